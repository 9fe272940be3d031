from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class Category(StrEnum):
    """R2.1: the seven kinds of Art. 2, and collection/storage equipment."""

    CAMERA = "camera"
    AUDIO_RECORDER = "audio_recorder"
    VIDEO_CAMERA = "video_camera"
    BODY_CAMERA = "body_camera"
    HANDHELD_TERMINAL = "handheld_terminal"
    SURVEILLANCE = "surveillance"
    STORAGE = "storage"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    Category.CAMERA: "照相机",
    Category.AUDIO_RECORDER: "录音机",
    Category.VIDEO_CAMERA: "摄像机",
    Category.BODY_CAMERA: "执法记录仪",
    Category.HANDHELD_TERMINAL: "手持执法终端",
    Category.SURVEILLANCE: "视频监控",
    Category.STORAGE: "采集存储设备（采集站、存储服务器）",
}

# Art. 6 and Art. 7 speak of these two: they count for the ratio and carry the spec thresholds.
RATIO_CATEGORIES = frozenset({Category.BODY_CAMERA, Category.HANDHELD_TERMINAL})


class Feature(StrEnum):
    """Art. 7: special needs (first four) and file-integrity features (last three)."""

    EXPLOSION_PROOF = "explosion_proof"
    NIGHT_VISION = "night_vision"
    GPS = "gps"
    LIVE_UPLOAD = "live_upload"
    SIGNED_FILES = "signed_files"
    ENCRYPTED_FILES = "encrypted_files"
    NO_DEVICE_DELETE = "no_device_delete"

    @property
    def label(self) -> str:
        return FEATURE_LABELS[self]


FEATURE_LABELS = {
    Feature.EXPLOSION_PROOF: "防爆",
    Feature.NIGHT_VISION: "红外夜视",
    Feature.GPS: "卫星定位",
    Feature.LIVE_UPLOAD: "无线实时传输",
    Feature.SIGNED_FILES: "文件签名防篡改",
    Feature.ENCRYPTED_FILES: "文件加密",
    Feature.NO_DEVICE_DELETE: "设备端不可删除",
}
SPECIAL_NEEDS = (Feature.EXPLOSION_PROOF, Feature.NIGHT_VISION, Feature.GPS, Feature.LIVE_UPLOAD)


class DeviceStatus(StrEnum):
    IN_STOCK = "in_stock"
    IN_SERVICE = "in_service"
    CHECKED_OUT = "checked_out"
    FAULTY = "faulty"
    IN_REPAIR = "in_repair"
    LOST = "lost"
    SCRAPPED = "scrapped"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    DeviceStatus.IN_STOCK: "在库",
    DeviceStatus.IN_SERVICE: "在用",
    DeviceStatus.CHECKED_OUT: "已领用",
    DeviceStatus.FAULTY: "故障",
    DeviceStatus.IN_REPAIR: "维修中",
    DeviceStatus.LOST: "丢失",
    DeviceStatus.SCRAPPED: "报废",
}
COUNTED_STATUSES = frozenset(
    {DeviceStatus.IN_SERVICE, DeviceStatus.IN_STOCK, DeviceStatus.CHECKED_OUT}
)


class QualityStatus(StrEnum):
    APPROVED = "approved"
    SUSPENDED = "suspended"

    @property
    def label(self) -> str:
        return {"approved": "合格", "suspended": "暂停使用"}[self.value]


class ProcurementStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"pending": "待审批", "approved": "已批准", "rejected": "已驳回"}[self.value]


class EquipmentEvent(StrEnum):
    MODEL_CREATED = "equipment:model:create"
    MODEL_UPDATED = "equipment:model:update"
    MODEL_QUALITY_SET = "equipment:model:set_quality"
    THRESHOLDS_SET = "equipment:thresholds:set"
    NEED_DECLARED = "equipment:unit_need:declare"
    NEED_WITHDRAWN = "equipment:unit_need:withdraw"
    DEVICE_CREATED = "equipment:device:create"
    DEVICE_UPDATED = "equipment:device:update"
    DEVICE_STATUS_SET = "equipment:device:set_status"
    BUDGET_SET = "equipment:budget:set"
    PROCUREMENT_CREATED = "equipment:procurement:create"
    PROCUREMENT_APPROVED = "equipment:procurement:approve"
    PROCUREMENT_REJECTED = "equipment:procurement:reject"


@dataclass(frozen=True)
class ModelIn:
    maker: str
    model: str
    category: Category
    video_width: int | None = None
    video_height: int | None = None
    photo_mp: float | None = None
    battery_mah: int | None = None
    record_hours: float | None = None
    storage_gb: int | None = None
    ip_rating: str | None = None
    features: tuple[Feature, ...] = ()


@dataclass(frozen=True)
class Thresholds:
    """Spec thresholds for body-worn recorders and handheld terminals (R7.1). Defaults follow
    comparable local rules."""

    video_width: int = 1920
    video_height: int = 1080
    photo_mp: float = 30.0
    battery_mah: int = 2500
    record_hours: float = 8.0
    storage_gb: int = 16
    ip_rating: str = "IP67"


@dataclass(frozen=True)
class DeviceIn:
    serial: str
    asset_no: str
    model: str  # the model's name
    unit: str  # the unit's name
    price: Decimal
    need: str  # R5.1: the enforcement need it serves
    zone: str | None = None
    commissioned_on: date | None = None
    firmware: str = ""
    procurement_id: int | None = None
    status: DeviceStatus = DeviceStatus.IN_STOCK


@dataclass(frozen=True)
class ProcurementIn:
    unit: str
    year: int
    purchased_on: date
    supplier: str
    model: str
    quantity: int
    unit_price: Decimal
    note: str = ""


@dataclass(frozen=True)
class SpecMiss:
    spec: str  # Chinese name of the spec
    required: str
    actual: str


@dataclass
class RatioRow:
    unit: str
    unit_id: int | None
    unit_class: str | None
    officers: int
    devices_counted: int
    required: int | None
    shortfall: int | None
    compliant: bool
    note: str = ""
    excluded: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DeviceChanges:
    zone: str | None = None  # "" clears the zone
    firmware: str | None = None
    commissioned_on: date | None = None
    need: str | None = None
