"""API shapes for equipment: separate In and Out models. Money goes out as a string with two
decimals ("3280.00") and comes in as a string or a number; the domain checks the amount."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from lawcam.equipment.models import Budget, Device, DeviceModel, Procurement
from lawcam.equipment.specs import spec_misses
from lawcam.equipment.types import (
    SPECIAL_NEEDS,
    Category,
    DeviceStatus,
    Feature,
    ProcurementStatus,
    QualityStatus,
    RatioRow,
    SpecMiss,
    Thresholds,
)
from lawcam.org.models import Unit
from lawcam.schemas.common import Count, Day, Id, In, Number, Year


def _money_text(value: object) -> str:
    """A JSON string or number, kept as text so that no float rounding reaches the domain."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("金额须为字符串或数字")
    return str(value)


MoneyIn = Annotated[
    str,
    BeforeValidator(_money_text),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "number"}],
            "description": '金额（元），字符串或数字，最多两位小数，如 "3280.00"。',
        }
    ),
]
Resolution = Annotated[str, Field(max_length=20, description="宽×高，如 1920x1080。")]


def money_out(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def _video(width: int | None, height: int | None) -> str | None:
    return f"{width}x{height}" if width and height else None


# Models and thresholds --------------------------------------------------------------------


class ModelCreate(In):
    maker: str = Field(max_length=200)
    model: str = Field(max_length=200)
    category: Category
    video: Resolution | None = None
    photo_mp: Number | None = None
    battery_mah: Count | None = None
    record_hours: Number | None = None
    storage_gb: Count | None = None
    ip_rating: str | None = Field(default=None, max_length=10)
    features: list[Feature] = Field(default_factory=list, max_length=20)


class QualityIn(In):
    status: QualityStatus
    reason: str = Field(default="", max_length=500)


class SpecMissOut(BaseModel):
    spec: str
    required: str
    actual: str

    @classmethod
    def of(cls, miss: SpecMiss) -> SpecMissOut:
        return cls(spec=miss.spec, required=miss.required, actual=miss.actual)


class ModelOut(BaseModel):
    id: int
    maker: str
    model: str
    category: Category
    category_label: str
    video: str | None
    video_width: int | None
    video_height: int | None
    photo_mp: float | None
    battery_mah: int | None
    record_hours: float | None
    storage_gb: int | None
    ip_rating: str | None
    features: list[Feature]
    quality_status: QualityStatus
    quality_reason: str
    conforms: bool
    misses: list[SpecMissOut]
    created_at: datetime

    @classmethod
    def of(cls, model: DeviceModel, limits: Thresholds) -> ModelOut:
        category = Category(model.category)
        return cls(
            id=model.id,
            maker=model.maker,
            model=model.model,
            category=category,
            category_label=category.label,
            video=_video(model.video_width, model.video_height),
            video_width=model.video_width,
            video_height=model.video_height,
            photo_mp=model.photo_mp,
            battery_mah=model.battery_mah,
            record_hours=model.record_hours,
            storage_gb=model.storage_gb,
            ip_rating=model.ip_rating,
            features=[Feature(f) for f in model.features or []],
            quality_status=QualityStatus(model.quality_status),
            quality_reason=model.quality_reason,
            conforms=not (misses := spec_misses(model, limits)),
            misses=[SpecMissOut.of(m) for m in misses],
            created_at=model.created_at,
        )


class ThresholdsIn(In):
    video: Resolution
    photo_mp: Number
    battery_mah: Count
    record_hours: Number
    storage_gb: Count
    ip_rating: str = Field(max_length=10)


class ThresholdsOut(BaseModel):
    video: str
    video_width: int
    video_height: int
    photo_mp: float
    battery_mah: int
    record_hours: float
    storage_gb: int
    ip_rating: str

    @classmethod
    def of(cls, limits: Thresholds) -> ThresholdsOut:
        return cls(
            video=f"{limits.video_width}x{limits.video_height}",
            video_width=limits.video_width,
            video_height=limits.video_height,
            photo_mp=limits.photo_mp,
            battery_mah=limits.battery_mah,
            record_hours=limits.record_hours,
            storage_gb=limits.storage_gb,
            ip_rating=limits.ip_rating,
        )


# Special needs (R7.2) -----------------------------------------------------------------------


class NeedIn(In):
    feature: Feature


class NeedOut(BaseModel):
    feature: Feature
    label: str


class UnitNeedsOut(BaseModel):
    unit_id: int
    unit: str
    needs: list[NeedOut]

    @classmethod
    def of(cls, unit: Unit, declared: set[Feature]) -> UnitNeedsOut:
        """The unit's declared special needs, in the order of SPECIAL_NEEDS."""
        return cls(
            unit_id=unit.id,
            unit=unit.name,
            needs=[NeedOut(feature=f, label=f.label) for f in SPECIAL_NEEDS if f in declared],
        )


# Devices ------------------------------------------------------------------------------------


class DeviceCreate(In):
    serial: str = Field(max_length=100)
    asset_no: str = Field(max_length=100)
    model: str = Field(max_length=200, description="型号名称")
    unit: str = Field(max_length=200, description="单位名称")
    price: MoneyIn
    need: str = Field(max_length=2000, description="该设备服务的执法需求（第五条）")
    zone: str | None = Field(default=None, max_length=200)
    commissioned_on: Day | None = None
    firmware: str = Field(default="", max_length=100)
    procurement_id: Id | None = None
    status: DeviceStatus = DeviceStatus.IN_STOCK


class DeviceUpdate(In):
    zone: str | None = Field(default=None, max_length=200, description="空字符串清除办案专区")
    firmware: str | None = Field(default=None, max_length=100)
    commissioned_on: Day | None = None
    need: str | None = Field(default=None, max_length=2000)


class DeviceStatusIn(In):
    status: DeviceStatus
    reason: str = Field(default="", max_length=500)


class DeviceOut(BaseModel):
    id: int
    serial: str
    asset_no: str
    model_id: int
    model: str
    category: Category
    unit_id: int
    unit: str
    zone_id: int | None
    zone: str | None
    status: DeviceStatus
    status_label: str
    status_since: datetime
    commissioned_on: date | None
    firmware: str
    purchase_price: str
    procurement_id: int | None
    need: str
    created_at: datetime

    @classmethod
    def of(cls, device: Device) -> DeviceOut:
        status = DeviceStatus(device.status)
        return cls(
            id=device.id,
            serial=device.serial,
            asset_no=device.asset_no,
            model_id=device.model_id,
            model=device.model.model,
            category=Category(device.model.category),
            unit_id=device.unit_id,
            unit=device.unit.name,
            zone_id=device.zone_id,
            zone=device.zone.name if device.zone else None,
            status=status,
            status_label=status.label,
            status_since=device.status_since,
            commissioned_on=device.commissioned_on,
            firmware=device.firmware,
            purchase_price=f"{Decimal(device.purchase_price):.2f}",
            procurement_id=device.procurement_id,
            need=device.need,
            created_at=device.created_at,
        )


# Budgets and procurement (R8.1) -----------------------------------------------------------


class BudgetIn(In):
    amount: MoneyIn
    note: str = Field(default="", max_length=500)


class BudgetOut(BaseModel):
    unit_id: int
    unit: str
    year: int
    amount: str
    note: str

    @classmethod
    def of(cls, budget: Budget) -> BudgetOut:
        return cls(
            unit_id=budget.unit_id,
            unit=budget.unit.name,
            year=budget.year,
            amount=f"{Decimal(budget.amount):.2f}",
            note=budget.note,
        )


class ProcurementCreate(In):
    unit: str = Field(max_length=200, description="单位名称")
    year: Year | None = Field(default=None, description="预算年度；默认取采购日期的年份")
    purchased_on: Day
    supplier: str = Field(max_length=200)
    model: str = Field(max_length=200, description="型号名称")
    quantity: Count
    unit_price: MoneyIn
    note: str = Field(default="", max_length=500)


class ApproveIn(In):
    overrun_reason: str = Field(default="", max_length=500)


class RejectIn(In):
    reason: str = Field(max_length=500)


class ProcurementOut(BaseModel):
    id: int
    unit_id: int
    unit: str
    year: int
    purchased_on: date
    supplier: str
    model_id: int
    model: str
    quantity: int
    unit_price: str
    total: str
    status: ProcurementStatus
    status_label: str
    note: str
    overrun_reason: str
    recorded_by: str
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, item: Procurement) -> ProcurementOut:
        status = ProcurementStatus(item.status)
        return cls(
            id=item.id,
            unit_id=item.unit_id,
            unit=item.unit.name,
            year=item.year,
            purchased_on=item.purchased_on,
            supplier=item.supplier,
            model_id=item.model_id,
            model=item.model.model,
            quantity=item.quantity,
            unit_price=f"{Decimal(item.unit_price):.2f}",
            total=f"{Decimal(item.total):.2f}",
            status=status,
            status_label=status.label,
            note=item.note,
            overrun_reason=item.overrun_reason,
            recorded_by=item.recorded_by,
            decided_by=item.decided_by,
            decided_at=item.decided_at,
            created_at=item.created_at,
        )


# Reports ----------------------------------------------------------------------------------


class RatioRowOut(BaseModel):
    """The contract keys of ``lawcam report ratio --json`` (issue 3), plus note and excluded."""

    model_config = ConfigDict(populate_by_name=True)

    unit: str
    unit_class: str | None = Field(alias="class")
    officers: int
    devices_counted: int
    required: int | None
    shortfall: int | None
    compliant: bool
    note: str
    excluded: list[str]

    @classmethod
    def of(cls, row: RatioRow) -> RatioRowOut:
        return cls(
            unit=row.unit,
            unit_class=row.unit_class,
            officers=row.officers,
            devices_counted=row.devices_counted,
            required=row.required,
            shortfall=row.shortfall,
            compliant=row.compliant,
            note=row.note,
            excluded=list(row.excluded),
        )


class RatioReportOut(BaseModel):
    units: list[RatioRowOut]
    office: RatioRowOut


class ModelSpecRow(BaseModel):
    model: str
    model_id: int
    maker: str
    category: Category
    quality: QualityStatus
    assessed: bool
    conforms: bool
    misses: list[SpecMissOut]


class DeviceNeedRow(BaseModel):
    serial: str
    device_id: int
    unit: str
    model: str
    missing: list[Feature]
    missing_labels: list[str]


class SpecsReportOut(BaseModel):
    models: list[ModelSpecRow]
    devices: list[DeviceNeedRow]
    thresholds: ThresholdsOut


class BudgetReportRow(BaseModel):
    unit: str
    unit_id: int
    year: int
    budget: str | None
    spent: str
    pending: str
    remaining: str | None
    over_budget: bool

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> BudgetReportRow:
        """A row of ``equipment.queries.budget_report``, its amounts as money text."""
        money = {key: money_out(row[key]) for key in ("budget", "spent", "pending", "remaining")}
        return cls.model_validate({**row, **money})
