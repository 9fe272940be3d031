"""Reads, with permission inside the query: the supervising divisions see every unit (R4.1);
a unit's own roles see their unit and the units below it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, selectinload

from lawcam.audit.models import AuditEvent
from lawcam.authz import Action, Actor
from lawcam.equipment.models import Budget, Device, DeviceModel, Procurement, ThresholdSet, UnitNeed
from lawcam.equipment.specs import missing_features, spec_misses
from lawcam.equipment.types import (
    COUNTED_STATUSES,
    RATIO_CATEGORIES,
    DeviceStatus,
    Feature,
    ProcurementStatus,
    RatioRow,
    Thresholds,
)
from lawcam.errors import NotFound
from lawcam.org.models import Person, Unit
from lawcam.org.queries import unit_scope
from lawcam.org.types import UnitClass

T = TypeVar("T")


def visible_unit_ids(session: Session, actor: Actor, action: Action) -> set[int] | None:
    """None means every unit; otherwise the ids the actor may see for this action."""
    if not actor.can(action):
        return set()
    if actor.org_wide:
        return None
    return unit_scope(session, actor.unit_id) if actor.unit_id is not None else set()


def permitted(session: Session, stmt: Select[T], actor: Actor, action: Action) -> Select[T]:
    """The rows of ``stmt`` that belong to a unit the actor may act on for ``action``: devices,
    budgets and procurements by their unit, units themselves by their id. Models belong to no
    unit: the action alone decides."""
    column = _UNIT_COLUMN.get(stmt.column_descriptions[0]["entity"])
    if column is None:
        return stmt if actor.can(action) else stmt.where(false())
    ids = visible_unit_ids(session, actor, action)
    if ids is None:
        return stmt
    return stmt.where(column.in_(ids)) if ids else stmt.where(false())


_UNIT_COLUMN: dict[object, Any] = {
    Device: Device.unit_id,
    Budget: Budget.unit_id,
    Procurement: Procurement.unit_id,
    Unit: Unit.id,
}


def device_history(*, session: Session, actor: Actor, device_id: int) -> Sequence[AuditEvent]:
    """The device's own audit entries, oldest first, for whoever may see the device (not the
    whole audit log). The permission is part of the query: a device the actor may not see has
    no history, and answers 404."""
    get_device(session=session, actor=actor, device_id=device_id)
    seen = select(Device.id).where(Device.id == device_id)
    stmt = select(AuditEvent).where(
        AuditEvent.subject_type == "device",
        AuditEvent.subject_id == str(device_id),
        permitted(session, seen, actor, Action.EQUIPMENT_VIEW).exists(),
    )
    return session.scalars(stmt.order_by(AuditEvent.seq)).all()


def list_models(*, session: Session, actor: Actor) -> Sequence[DeviceModel]:
    actor.require(Action.EQUIPMENT_VIEW)
    return session.scalars(
        select(DeviceModel).order_by(DeviceModel.category, DeviceModel.model)
    ).all()


def get_model(*, session: Session, actor: Actor, model_id: int) -> DeviceModel:
    actor.require(Action.EQUIPMENT_VIEW)
    model = session.get(DeviceModel, model_id)
    if model is None:
        raise NotFound("未找到该设备型号。")
    return model


def model_by_name(session: Session, name: str) -> DeviceModel | None:
    return session.scalars(select(DeviceModel).where(DeviceModel.model == name.strip())).first()


def list_devices(
    *,
    session: Session,
    actor: Actor,
    unit_id: int | None = None,
    status: DeviceStatus | None = None,
    category: str | None = None,
    query: str | None = None,
) -> Sequence[Device]:
    stmt = permitted(session, select(Device), actor, Action.EQUIPMENT_VIEW).options(
        selectinload(Device.model), selectinload(Device.unit), selectinload(Device.zone)
    )
    if unit_id is not None:
        stmt = stmt.where(Device.unit_id == unit_id)
    if status is not None:
        stmt = stmt.where(Device.status == status.value)
    if category:
        stmt = stmt.join(DeviceModel).where(DeviceModel.category == category)
    if query:
        stmt = stmt.where(Device.serial.contains(query) | Device.asset_no.contains(query))
    return session.scalars(stmt.order_by(Device.unit_id, Device.asset_no)).all()


def get_device(*, session: Session, actor: Actor, device_id: int) -> Device:
    stmt = select(Device).where(Device.id == device_id)
    stmt = permitted(session, stmt, actor, Action.EQUIPMENT_VIEW)
    device = session.scalars(stmt).one_or_none()
    if device is None:
        raise NotFound("未找到该设备。")
    return device


def device_by_serial(*, session: Session, actor: Actor, serial: str) -> Device:
    stmt = select(Device).where(Device.serial == serial.strip())
    stmt = permitted(session, stmt, actor, Action.EQUIPMENT_VIEW)
    device = session.scalars(stmt).one_or_none()
    if device is None:
        raise NotFound(f"未找到序列号为 {serial.strip()} 的设备。")
    return device


def current_thresholds(session: Session) -> Thresholds:
    row = session.scalars(select(ThresholdSet).order_by(ThresholdSet.id.desc()).limit(1)).first()
    if row is None:
        return Thresholds()
    return Thresholds(
        video_width=row.video_width,
        video_height=row.video_height,
        photo_mp=row.photo_mp,
        battery_mah=row.battery_mah,
        record_hours=row.record_hours,
        storage_gb=row.storage_gb,
        ip_rating=row.ip_rating,
    )


def unit_needs(session: Session, unit_id: int) -> set[Feature]:
    rows = session.scalars(select(UnitNeed.feature).where(UnitNeed.unit_id == unit_id))
    return {Feature(f) for f in rows}


# Ratio (R6.1, R6.2) -------------------------------------------------------------------------


def required_devices(unit_class: str | None, officers: int, target: int | None) -> int | None:
    if unit_class == UnitClass.MANY:
        return math.ceil(officers / 3)
    if unit_class == UnitClass.MORE:
        return math.ceil(officers / 5)
    if unit_class == UnitClass.FEWER:
        return target
    return None


def counts_for_ratio(device: Device, now: datetime, repair_days: int) -> bool:
    if device.model.category not in RATIO_CATEGORIES:
        return False
    status = DeviceStatus(device.status)
    if status in COUNTED_STATUSES:
        return True
    # In repair only for the first N days (R6.1): a long repair is as good as no device.
    return status is DeviceStatus.IN_REPAIR and now - device.status_since <= timedelta(
        days=repair_days
    )


def ratio_report(
    *, session: Session, actor: Actor, now: datetime, repair_days: int
) -> tuple[list[RatioRow], RatioRow]:
    actor.require(Action.EQUIPMENT_VIEW)
    ids = visible_unit_ids(session, actor, Action.EQUIPMENT_VIEW)
    units_stmt = select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.id)
    if ids is not None:
        units_stmt = units_stmt.where(Unit.id.in_(ids))
    units = session.scalars(units_stmt).all()
    officer_counts = (
        select(Person.unit_id, func.count(Person.id))
        .where(Person.is_officer.is_(True), Person.is_active.is_(True))
        .group_by(Person.unit_id)
    )
    officers = {unit_id: int(n) for unit_id, n in session.execute(officer_counts)}
    devices = session.scalars(
        select(Device)
        .options(selectinload(Device.model))
        .where(Device.unit_id.in_([u.id for u in units]))
    ).all()
    rows = [
        _ratio_row(
            u, officers.get(u.id, 0), [d for d in devices if d.unit_id == u.id], now, repair_days
        )
        for u in units
    ]
    return rows, _office_row(rows)


def _ratio_row(
    unit: Unit, officers: int, devices: list[Device], now: datetime, repair_days: int
) -> RatioRow:
    counted = [d for d in devices if counts_for_ratio(d, now, repair_days)]
    excluded = [
        f"{d.serial}（{DeviceStatus(d.status).label}）"
        for d in devices
        if d.model.category in RATIO_CATEGORIES and d not in counted
    ]
    required = required_devices(unit.unit_class, officers, unit.target)
    note = ""
    if unit.unit_class is None:
        note = "未设单位类别，无法计算应配台数"
    elif required is None:
        note = "“较少”类单位未设配备目标"
    shortfall = None if required is None else max(required - len(counted), 0)
    return RatioRow(
        unit=unit.name,
        unit_id=unit.id,
        unit_class=unit.unit_class,
        officers=officers,
        devices_counted=len(counted),
        required=required,
        shortfall=shortfall,
        compliant=shortfall == 0,
        note=note,
        excluded=excluded,
    )


def _office_row(rows: list[RatioRow]) -> RatioRow:
    known = [r for r in rows if r.required is not None]
    return RatioRow(
        unit="全办合计",
        unit_id=None,
        unit_class=None,
        officers=sum(r.officers for r in rows),
        devices_counted=sum(r.devices_counted for r in rows),
        required=sum(r.required or 0 for r in known),
        shortfall=sum(r.shortfall or 0 for r in known),
        compliant=bool(rows) and all(r.compliant for r in rows),
        note="" if len(known) == len(rows) else f"{len(rows) - len(known)} 个单位无法计算",
    )


# Budgets (R8.1) -----------------------------------------------------------------------------


def approved_spend(session: Session, unit_id: int, year: int) -> Decimal:
    total = session.execute(
        select(func.coalesce(func.sum(Procurement.total), 0)).where(
            Procurement.unit_id == unit_id,
            Procurement.year == year,
            Procurement.status == ProcurementStatus.APPROVED.value,
        )
    ).scalar_one()
    return Decimal(total)


def budget_of(session: Session, unit_id: int, year: int) -> Budget | None:
    return session.scalars(
        select(Budget).where(Budget.unit_id == unit_id, Budget.year == year)
    ).first()


def list_procurements(
    *,
    session: Session,
    actor: Actor,
    year: int | None = None,
    unit_id: int | None = None,
    status: ProcurementStatus | None = None,
) -> Sequence[Procurement]:
    actor.require(Action.BUDGET_VIEW)
    stmt = permitted(session, select(Procurement), actor, Action.BUDGET_VIEW).options(
        selectinload(Procurement.unit), selectinload(Procurement.model)
    )
    if status is not None:
        stmt = stmt.where(Procurement.status == status.value)
    if year is not None:
        stmt = stmt.where(Procurement.year == year)
    if unit_id is not None:
        stmt = stmt.where(Procurement.unit_id == unit_id)
    return session.scalars(stmt.order_by(Procurement.purchased_on, Procurement.id)).all()


def get_procurement(*, session: Session, actor: Actor, procurement_id: int) -> Procurement:
    stmt = select(Procurement).where(Procurement.id == procurement_id)
    stmt = permitted(session, stmt, actor, Action.BUDGET_VIEW)
    procurement = session.scalars(stmt).one_or_none()
    if procurement is None:
        raise NotFound("未找到该采购记录。")
    return procurement


def budget_report(*, session: Session, actor: Actor, year: int) -> list[dict[str, object]]:
    """Per unit: budget, approved spend, pending, remaining (R8.1)."""
    actor.require(Action.BUDGET_VIEW)
    stmt = select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.id)
    stmt = permitted(session, stmt, actor, Action.BUDGET_VIEW)
    rows: list[dict[str, object]] = []
    for unit in session.scalars(stmt):
        budget = budget_of(session, unit.id, year)
        spent = approved_spend(session, unit.id, year)
        pending = Decimal(
            session.execute(
                select(func.coalesce(func.sum(Procurement.total), 0)).where(
                    Procurement.unit_id == unit.id,
                    Procurement.year == year,
                    Procurement.status == ProcurementStatus.PENDING.value,
                )
            ).scalar_one()
        )
        amount = budget.amount if budget else None
        rows.append(
            {
                "unit": unit.name,
                "unit_id": unit.id,
                "year": year,
                "budget": amount,
                "spent": spent,
                "pending": pending,
                "remaining": None if amount is None else amount - spent,
                "over_budget": amount is not None and spent > amount,
            }
        )
    return rows


def budget_totals(rows: Sequence[dict[str, object]]) -> dict[str, Decimal]:
    """The office's sums of a budget report: budget, approved spend and pending."""
    return {
        key: sum((Decimal(str(r[key])) for r in rows if r[key] is not None), Decimal(0))
        for key in ("budget", "spent", "pending")
    }


# Specs (R7.1, R7.2) ---------------------------------------------------------------------------


def specs_report(*, session: Session, actor: Actor) -> dict[str, list[dict[str, object]]]:
    """Every model with what it misses, and every visible device whose model lacks a special
    need its unit declared. One function for the page, the API, the CLI and the spreadsheet."""
    actor.require(Action.EQUIPMENT_VIEW)
    limits = current_thresholds(session)
    models = [
        {
            "model": m.model,
            "model_id": m.id,
            "maker": m.maker,
            "category": m.category,
            "quality": m.quality_status,
            "assessed": m.category in RATIO_CATEGORIES,
            "conforms": not (misses := spec_misses(m, limits)),
            "misses": [
                {"spec": x.spec, "required": x.required, "actual": x.actual} for x in misses
            ],
        }
        for m in session.scalars(select(DeviceModel).order_by(DeviceModel.model))
    ]
    needs: dict[int, set[Feature]] = {}
    for unit_id, feature in session.execute(select(UnitNeed.unit_id, UnitNeed.feature)):
        needs.setdefault(unit_id, set()).add(Feature(feature))
    devices = []
    for item in list_devices(session=session, actor=actor):
        # Art. 7's special needs concern body-worn recorders and handheld terminals.
        if item.model.category not in RATIO_CATEGORIES or DeviceStatus(item.status) in (
            DeviceStatus.LOST,
            DeviceStatus.SCRAPPED,
        ):
            continue
        lacking = missing_features(item.model, needs.get(item.unit_id, set()))
        if lacking:
            devices.append(
                {
                    "serial": item.serial,
                    "device_id": item.id,
                    "unit": item.unit.name,
                    "model": item.model.model,
                    "missing": [f.value for f in lacking],
                    "missing_labels": [f.label for f in lacking],
                }
            )
    return {"models": models, "devices": devices, "thresholds": [asdict(limits)]}
