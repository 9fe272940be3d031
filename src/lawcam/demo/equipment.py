"""Demo equipment of 市人防办: models (one older model below the thresholds), devices of the
enforcement center and the engineering supervision division, 2026 budgets and procurements,
and a special need — created through the equipment services, so every row is audited.

The numbers are chosen so that the reports have something to show: the center (24 officers,
class “many”, 8 required) counts 7 devices once the custody story (``demo.custody``) has lost
one recorder and sent one to central repair (it still counts), while engineering supervision
(8 officers, class “more”, 2 required) counts 2 with its older recorder reported faulty; the
center declares infrared night vision, which its older recorder and its terminal lack; the
engineering purchase exceeds its budget and was approved by finance with a reason; publicity's
purchase is still pending; 指挥通信处's request for the suspended model was turned down."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.demo.seed import CENTER, COMMAND, ENGINEERING, ICT_DEPT, PUBLICITY
from lawcam.equipment import procurement as purchasing
from lawcam.equipment import queries, service
from lawcam.equipment.types import (
    Category,
    DeviceIn,
    DeviceStatus,
    Feature,
    ModelIn,
    ProcurementIn,
    ProcurementStatus,
    QualityStatus,
)

YEAR = 2026

F = Feature
MODELS: tuple[ModelIn, ...] = (
    ModelIn(
        "海康威视",
        "DSJ-HK2",
        Category.BODY_CAMERA,
        2304,
        1296,
        36.0,
        3200,
        12.0,
        64,
        "IP68",
        (
            F.NIGHT_VISION,
            F.GPS,
            F.LIVE_UPLOAD,
            F.SIGNED_FILES,
            F.ENCRYPTED_FILES,
            F.NO_DEVICE_DELETE,
        ),
    ),
    ModelIn(
        "警翼",
        "DSJ-JY9",
        Category.BODY_CAMERA,
        1920,
        1080,
        32.0,
        3000,
        10.0,
        64,
        "IP67",
        (F.NIGHT_VISION, F.GPS, F.SIGNED_FILES, F.NO_DEVICE_DELETE),
    ),
    # Bought in 2021, before the thresholds: below them on five counts.
    ModelIn(
        "华德安",
        "DSJ-HDA3",
        Category.BODY_CAMERA,
        1280,
        720,
        12.0,
        2000,
        6.0,
        32,
        "IP54",
        (F.NO_DEVICE_DELETE,),
    ),
    ModelIn(
        "警翼",
        "ZFT-T8",
        Category.HANDHELD_TERMINAL,
        1920,
        1080,
        48.0,
        5000,
        10.0,
        128,
        "IP67",
        (F.GPS, F.LIVE_UPLOAD, F.SIGNED_FILES),
    ),
    ModelIn(
        "索尼",
        "HXR-NX80",
        Category.VIDEO_CAMERA,
        3840,
        2160,
        20.0,
        2200,
        3.0,
        128,
        None,
        (F.NIGHT_VISION,),
    ),
    ModelIn(
        "华德安",
        "CJZ-16",
        Category.STORAGE,
        storage_gb=16000,
        features=(F.SIGNED_FILES, F.ENCRYPTED_FILES, F.NO_DEVICE_DELETE),
    ),
)
OLD_MODEL = "DSJ-HDA3"
OLD_MODEL_REASON = "视频分辨率、电池容量和防护等级不达标，停止新购；存量设备继续使用至报废。"

BUDGETS: tuple[tuple[str, str, str], ...] = (
    (CENTER, "80000.00", "执法记录仪更新及采集站扩容"),
    (ENGINEERING, "5000.00", "人防工程监督检查用执法记录仪"),
    (COMMAND, "5000.00", ""),
    (PUBLICITY, "5000.00", ""),
)


@dataclass(frozen=True)
class _Purchase:
    key: str
    unit: str
    on: date
    supplier: str
    model: str
    quantity: int
    unit_price: str
    note: str
    approve: bool
    overrun_reason: str = ""
    reject_reason: str = ""  # turned down by the finance division


PURCHASES: tuple[_Purchase, ...] = (
    _Purchase(
        "center",
        CENTER,
        date(YEAR, 3, 16),
        "辽宁安视科技有限公司",
        "DSJ-HK2",
        6,
        "3280.00",
        "2026 年执法记录仪更新（第一批）",
        approve=True,
    ),
    _Purchase(
        "engineering",
        ENGINEERING,
        date(YEAR, 4, 20),
        "沈阳警翼电子科技有限公司",
        "DSJ-JY9",
        2,
        "2980.00",
        "人防工程监督检查配备",
        approve=True,
        overrun_reason="人防工程质量监督检查任务增加，经主任办公会研究同意超预算采购。",
    ),
    _Purchase(
        "publicity",
        PUBLICITY,
        date(YEAR, 9, 8),
        "辽宁安视科技有限公司",
        "DSJ-HK2",
        1,
        "3280.00",
        "宣传教育处执法检查配备",
        approve=False,
    ),
    _Purchase(
        "command",
        COMMAND,
        date(YEAR, 10, 15),
        "沈阳警翼电子科技有限公司",
        "DSJ-HDA3",
        2,
        "2150.00",
        "指挥通信处警报设施检查配备",
        approve=False,
        reject_reason="该型号已暂停采购（不符合现行技术规格），请改选符合规格的型号后重新申报。",
    ),
)


@dataclass(frozen=True)
class _Device:
    serial: str
    model: str
    unit: str
    price: str
    need: str
    commissioned: date
    firmware: str
    purchase: str | None = None  # key of the purchase it came from
    zone: str | None = None
    status: DeviceStatus = DeviceStatus.IN_SERVICE
    then: tuple[tuple[DeviceStatus, str], ...] = ()  # later status changes, with reasons


FIELD_NEED = "现场执法检查全过程音像记录"
INTERVIEW_NEED = "询问笔录同步录音录像"
NEW_FW, JY_FW, OLD_FW = "V5.2.1_260301", "JY9-2.4.0", "HDA3-1.0.7"

DEVICES: tuple[_Device, ...] = (
    *(
        _Device(
            f"HK2A2603{n:04d}",
            "DSJ-HK2",
            CENTER,
            "3280.00",
            FIELD_NEED,
            date(YEAR, 3, 25),
            NEW_FW,
            purchase="center",
        )
        for n in range(1, 7)
    ),
    _Device(
        "HDA3210517",
        OLD_MODEL,
        CENTER,
        "2150.00",
        FIELD_NEED,
        date(2021, 6, 1),
        OLD_FW,
        status=DeviceStatus.IN_STOCK,
    ),
    _Device(
        "ZFTT8250931",
        "ZFT-T8",
        CENTER,
        "4580.00",
        "现场执法文书制作及音像记录",
        date(2025, 10, 9),
        "T8-3.1.2",
    ),
    _Device(
        "NX80C240112",
        "HXR-NX80",
        CENTER,
        "16800.00",
        INTERVIEW_NEED,
        date(2024, 2, 20),
        "2.00",
        zone="询问室一",
    ),
    _Device(
        "CJZ16A240088",
        "CJZ-16",
        CENTER,
        "28600.00",
        "执法音像资料采集、存储与管理",
        date(2024, 3, 1),
        "CJZ-4.6.3",
        zone="询问室二",
    ),
    *(
        _Device(
            f"JY9B2604{n:04d}",
            "DSJ-JY9",
            ENGINEERING,
            "2980.00",
            "人防工程质量监督检查音像记录",
            date(YEAR, 4, 28),
            JY_FW,
            purchase="engineering",
        )
        for n in range(1, 3)
    ),
    _Device(
        "HDA3210522",
        OLD_MODEL,
        ENGINEERING,
        "2150.00",
        "人防工程质量监督检查音像记录",
        date(2021, 6, 1),
        OLD_FW,
    ),
    _Device(
        "JY9B2511031",
        "DSJ-JY9",
        COMMAND,
        "2980.00",
        "人防警报设施检查音像记录",
        date(2025, 11, 20),
        JY_FW,
    ),
    _Device(
        "JY9B2511032",
        "DSJ-JY9",
        ICT_DEPT,
        "2980.00",
        "执法记录仪产品质量抽检样机",
        date(2025, 11, 20),
        JY_FW,
        status=DeviceStatus.IN_STOCK,
    ),
)
ASSET_PREFIX = "RFB-ZF-"  # 人防办·执法装备


def seed_equipment(*, session: Session, actor: Actor) -> None:
    """Create the demo equipment in the caller's transaction (the units already exist)."""
    for model in MODELS:
        service.create_model(session=session, actor=actor, data=model)
    for unit, amount, note in BUDGETS:
        purchasing.set_budget(
            session=session, actor=actor, unit=unit, year=YEAR, amount=amount, note=note
        )
    purchases: dict[str, int] = {}
    for purchase in PURCHASES:
        made = purchasing.record_procurement(
            session=session,
            actor=actor,
            data=ProcurementIn(
                unit=purchase.unit,
                year=YEAR,
                purchased_on=min(purchase.on, date.today()),
                supplier=purchase.supplier,
                model=purchase.model,
                quantity=purchase.quantity,
                unit_price=Decimal(purchase.unit_price),
                note=purchase.note,
            ),
        )
        purchases[purchase.key] = made.id
        if purchase.approve:  # by the finance division (R8.1)
            purchasing.approve_procurement(
                session=session,
                actor=actor,
                procurement_id=made.id,
                overrun_reason=purchase.overrun_reason,
            )
        if purchase.reject_reason:
            purchasing.reject_procurement(
                session=session, actor=actor, procurement_id=made.id, reason=purchase.reject_reason
            )
    for number, item in enumerate(DEVICES, start=1):
        device = service.create_device(
            session=session,
            actor=actor,
            data=DeviceIn(
                serial=item.serial,
                asset_no=f"{ASSET_PREFIX}{number:04d}",
                model=item.model,
                unit=item.unit,
                price=Decimal(item.price),
                need=item.need,
                zone=item.zone,
                commissioned_on=item.commissioned,
                firmware=item.firmware,
                procurement_id=purchases[item.purchase] if item.purchase else None,
                status=item.status,
            ),
        )
        for status, reason in item.then:
            service.set_device_status(
                session=session, actor=actor, device_id=device.id, status=status, reason=reason
            )
    service.declare_need(session=session, actor=actor, unit=CENTER, feature=Feature.NIGHT_VISION)
    old = queries.model_by_name(session, OLD_MODEL)
    assert old is not None
    service.set_model_quality(
        session=session,
        actor=actor,
        model_id=old.id,
        status=QualityStatus.SUSPENDED,
        reason=OLD_MODEL_REASON,
    )


def equipment_summary(
    *, session: Session, actor: Actor, now: datetime, repair_days: int
) -> dict[str, object]:
    """What the home holds, in a few numbers (shown by ``lawcam demo``)."""
    specs = queries.specs_report(session=session, actor=actor)
    devices = queries.list_devices(session=session, actor=actor)
    statuses = Counter(DeviceStatus(d.status) for d in devices)
    procurements = queries.list_procurements(session=session, actor=actor, year=YEAR)
    decided = Counter(ProcurementStatus(p.status) for p in procurements)
    rows, _ = queries.ratio_report(session=session, actor=actor, now=now, repair_days=repair_days)
    budgets = queries.budget_report(session=session, actor=actor, year=YEAR)
    return {
        "models": len(specs["models"]),
        "models_below_thresholds": [
            str(m["model"]) for m in specs["models"] if m["assessed"] and not m["conforms"]
        ],
        "devices": len(devices),
        "devices_by_status": {s.value: statuses[s] for s in DeviceStatus if statuses[s]},
        "devices_lacking_needs": len(specs["devices"]),
        "year": YEAR,
        "budgets": sum(1 for b in budgets if b["budget"] is not None),
        "procurements": {s.value: decided[s] for s in ProcurementStatus if decided[s]},
        "over_budget_approved": sum(1 for p in procurements if p.overrun_reason),
        "compliant_units": [r.unit for r in rows if r.compliant],
        "short_units": [r.unit for r in rows if not r.compliant],
    }


def summary_lines(summary: dict[str, object]) -> list[str]:
    """The summary in Chinese, one line per subject."""
    statuses = summary["devices_by_status"]
    assert isinstance(statuses, dict)
    by_status = "、".join(f"{DeviceStatus(k).label} {v}" for k, v in statuses.items())
    decided = summary["procurements"]
    assert isinstance(decided, dict)
    by_decision = "、".join(f"{ProcurementStatus(k).label} {v}" for k, v in decided.items())
    below = summary["models_below_thresholds"]
    compliant, short = summary["compliant_units"], summary["short_units"]
    assert isinstance(below, list) and isinstance(compliant, list) and isinstance(short, list)
    return [
        f"设备型号 {summary['models']} 个"
        + (f"，其中未达技术指标：{'、'.join(below)}" if below else ""),
        f"设备 {summary['devices']} 台（{by_status}）；"
        f"{summary['devices_lacking_needs']} 台缺少所在单位声明的特殊需求功能",
        f"{summary['year']} 年度预算 {summary['budgets']} 个单位；采购 "
        f"{sum(decided.values())} 笔（{by_decision}），其中超预算批准 "
        f"{summary['over_budget_approved']} 笔",
        f"配备比例达标 {len(compliant)} 个单位，未达标 {len(short)} 个单位"
        + (f"（{'、'.join(short)}）" if short else ""),
    ]
