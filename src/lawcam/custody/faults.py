"""Faults and central repair (Art. 16, R16.1), loss and damage cases (Art. 17, R17.1)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Action, Actor
from lawcam.custody import notices
from lawcam.custody.models import CustodyPeriod, FaultReport, LossCase, Notification, RepairOrder
from lawcam.custody.service import managed_device, open_period
from lawcam.custody.types import (
    CaseKind,
    CustodyEvent,
    FaultStatus,
    LossCause,
    RepairOutcome,
)
from lawcam.equipment import queries as equipment
from lawcam.equipment.models import Device
from lawcam.equipment.types import DeviceStatus
from lawcam.errors import Conflict, Forbidden, InvalidInput, NotFound
from lawcam.timeutil import utcnow

AFTER_REPAIR = {
    RepairOutcome.REPAIRED: DeviceStatus.IN_STOCK,
    RepairOutcome.REPLACED: DeviceStatus.SCRAPPED,  # the unit received another device
    RepairOutcome.SCRAPPED: DeviceStatus.SCRAPPED,
}


def _text(value: str, what: str, field: str, limit: int = 1000) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise InvalidInput(f"须填写{what}。", field=field)
    return text[:limit]


def _set_status(device: Device, status: DeviceStatus) -> None:
    device.status, device.status_since = status.value, utcnow()


def notify_unit_heads(session: Session, actor: Actor, unit_id: int, text: str, link: str) -> int:
    """The unit's heads told (not the actor, when a head reports it); how many were."""
    heads = notices.unit_heads(session, unit_id)
    return len(notices.send(session, actor, [notices.Notice(p, text, link) for p in heads]))


def mark_read(*, session: Session, actor: Actor, notification_id: int) -> Notification:
    """Only the addressee's own notices; anyone else's answer as not found."""
    note = session.get(Notification, notification_id)
    if note is None or actor.person_id is None or note.person_id != actor.person_id:
        raise NotFound("未找到该消息。")
    if note.read_at is None:
        note.read_at = utcnow()
        session.flush()
        record(
            session,
            actor,
            CustodyEvent.NOTICE_READ,
            ("notification", note.id),
            None,
            {"read_at": note.read_at.isoformat()},
        )
    return note


def report_fault(*, session: Session, actor: Actor, serial: str, description: str) -> FaultReport:
    """An officer reports the device in their custody, or the administrator any of the unit's."""
    actor.require(Action.FAULT_REPORT)
    device = equipment.device_by_serial(session=session, actor=actor, serial=serial)
    period = open_period(session, device.id)
    holder = period is not None and period.officer_id == actor.person_id
    if not holder and not actor.can(Action.DEVICE_MANAGE):
        raise Forbidden("只能报告自己领用的设备的故障。")
    fault = FaultReport(
        device_id=device.id,
        description=_text(description, "故障情况", "description"),
        reported_by=actor.label,
        reported_at=utcnow(),
        status=FaultStatus.REPORTED.value,
    )
    session.add(fault)
    if period is None:  # a device on the shelf leaves service now; one in use on its return
        _set_status(device, DeviceStatus.FAULTY)
    session.flush()
    record(
        session,
        actor,
        CustodyEvent.FAULT_REPORTED,
        ("device", device.id),
        None,
        {"fault_id": fault.id, "description": fault.description},
    )
    notify_unit_heads(
        session,
        actor,
        device.unit_id,
        f"设备 {device.serial}（{device.asset_no}）报告故障：{fault.description}",
        f"/devices/{device.id}",
    )
    return fault


def _fault(session: Session, actor: Actor, fault_id: int) -> FaultReport:
    fault = session.get(FaultReport, fault_id)
    if fault is None:
        raise NotFound("未找到该故障报告。")
    equipment.get_device(session=session, actor=actor, device_id=fault.device_id)
    return fault


def register_fault(*, session: Session, actor: Actor, fault_id: int) -> FaultReport:
    fault = _fault(session, actor, fault_id)
    managed_device(session, actor, fault.device.serial)
    if fault.status != FaultStatus.REPORTED.value:
        raise Conflict(f"该故障已{FaultStatus(fault.status).label}。")
    fault.status, fault.registered_by, fault.registered_at = (
        FaultStatus.REGISTERED.value,
        actor.label,
        utcnow(),
    )
    session.flush()
    record(
        session,
        actor,
        CustodyEvent.FAULT_REGISTERED,
        ("device", fault.device_id),
        None,
        {"fault_id": fault.id},
    )
    return fault


def order_repair(*, session: Session, actor: Actor, fault_id: int) -> RepairOrder:
    fault = _fault(session, actor, fault_id)
    device = managed_device(session, actor, fault.device.serial)
    if fault.status != FaultStatus.REGISTERED.value:
        raise Conflict("故障须先登记，才能送修。")
    if open_period(session, device.id) is not None:
        raise Conflict(f"设备 {device.serial} 尚未归还，归还后才能送修。")
    order = RepairOrder(fault_id=fault.id, ordered_by=actor.label, ordered_at=utcnow())
    fault.status = FaultStatus.IN_REPAIR.value
    _set_status(device, DeviceStatus.IN_REPAIR)
    session.add(order)
    session.flush()
    record(
        session,
        actor,
        CustodyEvent.REPAIR_ORDERED,
        ("device", device.id),
        None,
        {"fault_id": fault.id, "repair_order_id": order.id},
    )
    return order


def complete_repair(
    *, session: Session, actor: Actor, order_id: int, diagnosis: str, outcome: RepairOutcome
) -> RepairOrder:
    """The central repair (ICT support) records diagnosis and outcome (R16.1)."""
    actor.require(Action.REPAIR_COMPLETE)
    order = session.get(RepairOrder, order_id)
    if order is None:
        raise NotFound("未找到该维修单。")
    if order.completed_at is not None:
        raise Conflict("该维修单已完成。")
    order.diagnosis = _text(diagnosis, "检测结论", "diagnosis")
    order.outcome, order.completed_by, order.completed_at = outcome.value, actor.label, utcnow()
    order.fault.status = FaultStatus.CLOSED.value
    device = order.fault.device
    _set_status(device, AFTER_REPAIR[outcome])
    session.flush()
    record(
        session,
        actor,
        CustodyEvent.REPAIR_DONE,
        ("device", device.id),
        None,
        {
            "repair_order_id": order.id,
            "diagnosis": order.diagnosis,
            "outcome": outcome.value,
            "device_status": device.status,
        },
    )
    return order


def last_custodian(session: Session, device_id: int) -> int | None:
    period = session.scalars(
        select(CustodyPeriod)
        .where(CustodyPeriod.device_id == device_id)
        .order_by(CustodyPeriod.issued_at.desc(), CustodyPeriod.id.desc())
        .limit(1)
    ).first()
    return period.officer_id if period else None


def open_loss_case(
    *, session: Session, actor: Actor, serial: str, kind: CaseKind, description: str
) -> LossCase:
    device = managed_device(session, actor, serial)
    case = LossCase(
        device_id=device.id,
        custodian_id=last_custodian(session, device.id),
        kind=kind.value,
        description=_text(description, "经过说明", "description"),
        opened_by=actor.label,
        opened_at=utcnow(),
    )
    session.add(case)
    session.flush()
    record(
        session,
        actor,
        CustodyEvent.CASE_OPENED,
        ("device", device.id),
        None,
        {"case_id": case.id, "kind": kind.value, "custodian_id": case.custodian_id},
    )
    return case


def decide_loss_case(
    *, session: Session, actor: Actor, case_id: int, cause: LossCause, decision: str
) -> LossCase:
    """The unit head decides; at fault, the custodian owes the original purchase price (Art. 17)."""
    actor.require(Action.LOSS_DECIDE)
    case = session.get(LossCase, case_id)
    if case is None:
        raise NotFound("未找到该案件。")
    device = equipment.get_device(session=session, actor=actor, device_id=case.device_id)
    if case.decided_at is not None:
        raise Conflict("该案件已作出决定。")
    if cause.user_at_fault and case.custodian_id is None:
        raise Conflict("该设备没有领用记录，无法认定保管人，不能判定由使用人赔偿。")
    case.cause, case.decision = cause.value, _text(decision, "处理决定", "decision")
    case.compensation = device.purchase_price if cause.user_at_fault else Decimal("0.00")
    case.decided_by, case.decided_at = actor.label, utcnow()
    session.flush()
    record(
        session,
        actor,
        CustodyEvent.CASE_DECIDED,
        ("device", device.id),
        None,
        {"case_id": case.id, "cause": cause.value, "compensation": str(case.compensation)},
    )
    return case
