"""Changes to models, thresholds, special needs and devices. Each writes its audit row."""

from __future__ import annotations

import re
from dataclasses import asdict
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Action, Actor
from lawcam.equipment import queries
from lawcam.equipment.models import Device, DeviceModel, Procurement, ThresholdSet, UnitNeed
from lawcam.equipment.specs import ip_levels
from lawcam.equipment.types import (
    SPECIAL_NEEDS,
    Category,
    DeviceChanges,
    DeviceIn,
    DeviceStatus,
    EquipmentEvent,
    Feature,
    ModelIn,
    ProcurementStatus,
    QualityStatus,
    Thresholds,
)
from lawcam.errors import Conflict, Forbidden, InvalidInput
from lawcam.org.models import Unit, Zone
from lawcam.org.queries import unit_by_name
from lawcam.org.service import clean_name
from lawcam.timeutil import utcnow

IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/.]{0,63}$")
MAX_PRICE = Decimal("1000000.00")  # one device: above a million yuan is a typing error
RESOLUTION = re.compile(r"^\s*(\d{2,5})\s*[x×X*]\s*(\d{2,5})\s*$")


def parse_resolution(text: str | None) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    match = RESOLUTION.match(text)
    if match is None:
        raise InvalidInput(
            f"视频分辨率应写作“宽×高”，如 1920x1080，而不是“{text}”。", field="video"
        )
    return int(match.group(1)), int(match.group(2))


def money(
    value: object, what: str, *, field: str, maximum: Decimal = MAX_PRICE, allow_zero: bool = False
) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{what}须为金额（元），如 3280.00。", field=field) from None
    floor = "不小于 0" if allow_zero else "大于 0"
    if not amount.is_finite():  # NaN and Infinity parse as Decimals but are no amounts
        raise InvalidInput(f"{what}须{floor} 且不超过 {maximum:,.2f} 元。", field=field)
    low_ok = amount >= 0 if allow_zero else amount > 0
    if not low_ok or amount > maximum:
        raise InvalidInput(f"{what}须{floor} 且不超过 {maximum:,.2f} 元。", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(f"{what}最多精确到分（两位小数）。", field=field)
    return amount.quantize(Decimal("0.01"))


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def _range(value: float | None, low: float, high: float, what: str, field: str) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidInput(f"{what}须在 {_number(low)} 至 {_number(high)} 之间。", field=field)


def _check_specs(data: ModelIn) -> None:
    if (data.video_width is None) != (data.video_height is None):
        raise InvalidInput("视频分辨率须同时填写宽和高。", field="video")
    _range(data.video_width, 16, 20000, "视频宽度", "video")
    _range(data.video_height, 16, 20000, "视频高度", "video")
    _range(data.photo_mp, 0.1, 1000, "照片像素（百万）", "photo_mp")
    _range(data.battery_mah, 100, 1_000_000, "电池容量（mAh）", "battery_mah")
    _range(data.record_hours, 0.1, 1000, "连续录像时间（小时）", "record_hours")
    _range(data.storage_gb, 1, 10_000_000, "存储容量（GB）", "storage_gb")
    if data.ip_rating and ip_levels(data.ip_rating) is None:
        raise InvalidInput(
            f"防护等级应写作 IP67 这样的形式，而不是“{data.ip_rating}”。", field="ip_rating"
        )


def create_model(*, session: Session, actor: Actor, data: ModelIn) -> DeviceModel:
    actor.require(Action.MODEL_MANAGE)
    maker = clean_name(data.maker, "生产厂家", field="maker")
    name = clean_name(data.model, "型号", field="model")
    if queries.model_by_name(session, name) is not None:
        raise Conflict(f"型号“{name}”已存在。", field="model")
    _check_specs(data)
    model = DeviceModel(
        maker=maker,
        model=name,
        category=data.category.value,
        video_width=data.video_width,
        video_height=data.video_height,
        photo_mp=data.photo_mp,
        battery_mah=data.battery_mah,
        record_hours=data.record_hours,
        storage_gb=data.storage_gb,
        ip_rating=data.ip_rating.upper() if data.ip_rating else None,
        features=sorted({f.value for f in data.features}),
        quality_status=QualityStatus.APPROVED.value,
        quality_reason="",
        created_at=utcnow(),
    )
    session.add(model)
    session.flush()
    record(
        session,
        actor,
        EquipmentEvent.MODEL_CREATED,
        ("device_model", model.id),
        None,
        model.snapshot(),
    )
    return model


def set_model_quality(
    *, session: Session, actor: Actor, model_id: int, status: QualityStatus, reason: str
) -> DeviceModel:
    """R4.1: the ICT support department supervises product quality."""
    actor.require(Action.MODEL_QUALITY)
    model = queries.get_model(session=session, actor=actor, model_id=model_id)
    text = reason.strip()
    if status is QualityStatus.SUSPENDED and not text:
        raise InvalidInput("暂停使用某型号须说明理由。", field="reason")
    before = model.snapshot()
    model.quality_status, model.quality_reason = status.value, text[:500]
    session.flush()
    record(
        session,
        actor,
        EquipmentEvent.MODEL_QUALITY_SET,
        ("device_model", model.id),
        before,
        model.snapshot(),
    )
    return model


def set_thresholds(*, session: Session, actor: Actor, limits: Thresholds) -> ThresholdSet:
    """R7.1: engineering supervision sets the thresholds; every version is kept."""
    actor.require(Action.THRESHOLDS_SET)
    _check_specs(
        ModelIn(
            maker="-",
            model="-",
            category=Category.BODY_CAMERA,
            video_width=limits.video_width,
            video_height=limits.video_height,
            photo_mp=limits.photo_mp,
            battery_mah=limits.battery_mah,
            record_hours=limits.record_hours,
            storage_gb=limits.storage_gb,
            ip_rating=limits.ip_rating,
        )
    )
    before = asdict(queries.current_thresholds(session))
    row = ThresholdSet(**asdict(limits), set_by=actor.label, set_at=utcnow())
    row.ip_rating = limits.ip_rating.upper()
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        EquipmentEvent.THRESHOLDS_SET,
        ("threshold_set", row.id),
        before,
        asdict(limits),
    )
    return row


def unit_in_scope(session: Session, actor: Actor, name: str, action: Action, *, field: str) -> Unit:
    unit = unit_by_name(session, name)
    if unit is None or not unit.is_active:
        raise InvalidInput(f"单位“{name.strip()}”不存在或已停用。", field=field)
    ids = queries.visible_unit_ids(session, actor, action)
    if ids is not None and unit.id not in ids:
        raise Forbidden(f"您只能办理本单位的事项，不能操作“{unit.name}”。")
    return unit


def declare_need(*, session: Session, actor: Actor, unit: str, feature: Feature) -> UnitNeed:
    actor.require(Action.UNIT_NEED_DECLARE)
    target = unit_in_scope(session, actor, unit, Action.UNIT_NEED_DECLARE, field="unit")
    if feature not in SPECIAL_NEEDS:
        raise InvalidInput(
            "特殊需求只能是：防爆、红外夜视、卫星定位、无线实时传输。", field="feature"
        )
    if feature in queries.unit_needs(session, target.id):
        raise Conflict(f"“{target.name}”已声明需求“{feature.label}”。", field="feature")
    need = UnitNeed(
        unit_id=target.id, feature=feature.value, declared_by=actor.label, declared_at=utcnow()
    )
    session.add(need)
    session.flush()
    record(
        session,
        actor,
        EquipmentEvent.NEED_DECLARED,
        ("unit", target.id),
        None,
        {"feature": feature.value},
    )
    return need


def withdraw_need(*, session: Session, actor: Actor, unit: str, feature: Feature) -> None:
    actor.require(Action.UNIT_NEED_DECLARE)
    target = unit_in_scope(session, actor, unit, Action.UNIT_NEED_DECLARE, field="unit")
    need = session.scalars(
        select(UnitNeed).where(UnitNeed.unit_id == target.id, UnitNeed.feature == feature.value)
    ).first()
    if need is None:
        raise Conflict(f"“{target.name}”未声明需求“{feature.label}”。", field="feature")
    session.delete(need)
    session.flush()
    record(
        session,
        actor,
        EquipmentEvent.NEED_WITHDRAWN,
        ("unit", target.id),
        {"feature": feature.value},
        None,
    )


def _identifier(value: str, what: str, field: str) -> str:
    text = (value or "").strip()
    if not IDENTIFIER.match(text):
        raise InvalidInput(f"{what}须为 1 至 64 位字母、数字或“-_/.”，不能为空。", field=field)
    return text


def _clean_need(text: str) -> str:
    need = " ".join((text or "").split())
    if not need:
        raise InvalidInput(
            "须填写该设备服务的执法需求：与执法无关的设备严禁配备（第五条）。", field="need"
        )
    if len(need) > 500:
        raise InvalidInput("执法需求说明过长（最多 500 字）。", field="need")
    return need


def create_device(*, session: Session, actor: Actor, data: DeviceIn) -> Device:
    actor.require(Action.DEVICE_MANAGE)
    if data.status not in (DeviceStatus.IN_STOCK, DeviceStatus.IN_SERVICE):
        raise InvalidInput("新登记的设备只能是“在库”或“在用”状态。", field="status")
    serial = _identifier(data.serial, "序列号", "serial")
    asset_no = _identifier(data.asset_no, "资产编号", "asset_no")
    need = _clean_need(data.need)
    price = money(data.price, "购置价格", field="price")
    unit = unit_in_scope(session, actor, data.unit, Action.DEVICE_MANAGE, field="unit")
    model = _model_for_device(session, data.model)
    _check_unique(session, serial, asset_no)
    procurement = _procurement_for(session, data.procurement_id, unit, model)
    device = Device(
        serial=serial,
        asset_no=asset_no,
        model_id=model.id,
        unit_id=unit.id,
        zone_id=_zone_id(session, unit, data.zone),
        status=data.status.value,
        status_since=utcnow(),
        commissioned_on=data.commissioned_on,
        firmware=(data.firmware or "").strip()[:100],
        purchase_price=price,
        procurement_id=procurement.id if procurement else None,
        need=need,
        created_at=utcnow(),
    )
    session.add(device)
    session.flush()
    record(
        session,
        actor,
        EquipmentEvent.DEVICE_CREATED,
        ("device", device.id),
        None,
        device.snapshot(),
    )
    return device


def _model_for_device(session: Session, name: str) -> DeviceModel:
    model = queries.model_by_name(session, name or "")
    if model is None:
        raise InvalidInput(
            f"型号“{(name or '').strip()}”不存在，请先登记型号（lawcam model add）。", field="model"
        )
    if model.quality_status == QualityStatus.SUSPENDED.value:
        raise Conflict(
            f"型号“{model.model}”已被信息通信保障部暂停使用：{model.quality_reason}", field="model"
        )
    return model


def _check_unique(session: Session, serial: str, asset_no: str) -> None:
    if session.scalars(select(Device.id).where(Device.serial == serial)).first() is not None:
        raise Conflict(f"序列号 {serial} 已登记。", field="serial")
    if session.scalars(select(Device.id).where(Device.asset_no == asset_no)).first() is not None:
        raise Conflict(f"资产编号 {asset_no} 已登记。", field="asset_no")


def _zone_id(session: Session, unit: Unit, zone: str | None) -> int | None:
    if not zone or not zone.strip():
        return None
    found = session.scalars(
        select(Zone).where(Zone.unit_id == unit.id, Zone.name == zone.strip())
    ).first()
    if found is None:
        raise InvalidInput(
            f"“{unit.name}”没有名为“{zone.strip()}”的办案专区（第五条）。", field="zone"
        )
    return found.id


def _procurement_for(
    session: Session, procurement_id: int | None, unit: Unit, model: DeviceModel
) -> Procurement | None:
    if procurement_id is None:
        return None
    procurement = session.get(Procurement, procurement_id)
    if procurement is None:
        raise InvalidInput(f"采购记录 {procurement_id} 不存在。", field="procurement_id")
    if procurement.status != ProcurementStatus.APPROVED.value:
        raise Conflict("该采购尚未经计划财务处批准，不能据此登记设备。", field="procurement_id")
    if procurement.unit_id != unit.id or procurement.model_id != model.id:
        raise InvalidInput("采购记录的单位或型号与设备不符。", field="procurement_id")
    linked = session.scalars(select(Device.id).where(Device.procurement_id == procurement.id)).all()
    if len(linked) >= procurement.quantity:
        raise Conflict(f"该采购共 {procurement.quantity} 台，已全部登记。", field="procurement_id")
    return procurement


ALLOWED_MOVES: dict[DeviceStatus, frozenset[DeviceStatus]] = {
    DeviceStatus.IN_STOCK: frozenset(
        {
            DeviceStatus.IN_SERVICE,
            DeviceStatus.FAULTY,
            DeviceStatus.IN_REPAIR,
            DeviceStatus.LOST,
            DeviceStatus.SCRAPPED,
        }
    ),
    DeviceStatus.IN_SERVICE: frozenset(
        {
            DeviceStatus.IN_STOCK,
            DeviceStatus.FAULTY,
            DeviceStatus.IN_REPAIR,
            DeviceStatus.LOST,
            DeviceStatus.SCRAPPED,
        }
    ),
    DeviceStatus.CHECKED_OUT: frozenset(),  # only custody returns it
    DeviceStatus.FAULTY: frozenset(
        {DeviceStatus.IN_REPAIR, DeviceStatus.SCRAPPED, DeviceStatus.IN_STOCK}
    ),
    DeviceStatus.IN_REPAIR: frozenset(
        {DeviceStatus.IN_STOCK, DeviceStatus.IN_SERVICE, DeviceStatus.SCRAPPED}
    ),
    DeviceStatus.LOST: frozenset({DeviceStatus.IN_STOCK}),  # found again
    DeviceStatus.SCRAPPED: frozenset(),
}


def set_device_status(
    *, session: Session, actor: Actor, device_id: int, status: DeviceStatus, reason: str = ""
) -> Device:
    device = queries.get_device(session=session, actor=actor, device_id=device_id)
    actor.require(Action.DEVICE_MANAGE)
    unit_in_scope(session, actor, device.unit.name, Action.DEVICE_MANAGE, field="unit")
    current = DeviceStatus(device.status)
    if status in (DeviceStatus.LOST, DeviceStatus.SCRAPPED) and not reason.strip():
        raise InvalidInput(f"将设备改为“{status.label}”须说明原因。", field="reason")
    if status not in ALLOWED_MOVES[current]:
        raise Conflict(
            f"设备 {device.serial} 当前为“{current.label}”，不能直接改为“{status.label}”。",
            field="status",
        )
    before = device.snapshot()
    device.status, device.status_since = status.value, utcnow()
    session.flush()
    after = {**device.snapshot(), "reason": reason.strip()[:500]}
    record(session, actor, EquipmentEvent.DEVICE_STATUS_SET, ("device", device.id), before, after)
    return device


def update_device(
    *, session: Session, actor: Actor, device_id: int, changes: DeviceChanges
) -> Device:
    device = queries.get_device(session=session, actor=actor, device_id=device_id)
    actor.require(Action.DEVICE_MANAGE)
    unit_in_scope(session, actor, device.unit.name, Action.DEVICE_MANAGE, field="unit")
    before = device.snapshot()
    if changes.zone is not None:
        device.zone_id = _zone_id(session, device.unit, changes.zone)
    if changes.firmware is not None:
        device.firmware = changes.firmware.strip()[:100]
    if changes.commissioned_on is not None:
        device.commissioned_on = changes.commissioned_on
    if changes.need is not None:
        device.need = _clean_need(changes.need)
    if device.snapshot() != before:
        session.flush()
        record(
            session,
            actor,
            EquipmentEvent.DEVICE_UPDATED,
            ("device", device.id),
            before,
            device.snapshot(),
        )
    return device
