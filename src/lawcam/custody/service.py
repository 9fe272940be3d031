"""Checkout, return and handover (R9.2, R11.1, R17.1). Each step writes its audit row; a
refused step writes nothing. Custody owns the device's checked-out status.

A device with an open fault report (R16.1: reported, registered or in repair, not yet closed by
the central repair) is not in order: it is not issued, not handed to the next officer, and not
taken back as 完好; its return (as 故障 or 损坏) takes it out of service to be registered and
repaired."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Action, Actor
from lawcam.custody.models import CustodyPeriod, FaultReport
from lawcam.custody.types import (
    CheckLimits,
    CheckoutIn,
    Condition,
    CustodyEvent,
    FaultStatus,
    PreUseCheck,
)
from lawcam.equipment import queries as equipment
from lawcam.equipment.models import Device
from lawcam.equipment.service import unit_in_scope
from lawcam.equipment.types import DeviceStatus
from lawcam.errors import Conflict, InvalidInput
from lawcam.org.models import Person
from lawcam.org.queries import person_by_badge
from lawcam.timeutil import local, utcnow

ISSUABLE = frozenset({DeviceStatus.IN_STOCK, DeviceStatus.IN_SERVICE})
AFTER_RETURN = {
    Condition.OK: DeviceStatus.IN_STOCK,
    Condition.FAULTY: DeviceStatus.FAULTY,
    Condition.DAMAGED: DeviceStatus.FAULTY,
    Condition.LOST: DeviceStatus.LOST,
}
MAX_OFFSET_S = 10 * 366 * 86400  # beyond ten years the reading is a typing error, not a clock


def check_failures(check: PreUseCheck, limits: CheckLimits) -> list[str]:
    """What a pre-use check fails (R11.1), in words for the ledger; empty when it passes."""
    if not 0 <= check.battery_pct <= 100:
        raise InvalidInput("电量须为 0 至 100 之间的百分数。", field="battery")
    if not 0 <= check.free_hours <= 10_000:
        raise InvalidInput("剩余存储须为 0 至 10000 小时。", field="free_hours")
    if abs(check.clock_offset_s) > MAX_OFFSET_S:
        raise InvalidInput("时钟偏差读数不合理（超过十年），请重新核对。", field="clock_offset")
    failures = []
    if check.battery_pct < limits.min_battery_pct:
        failures.append(f"电量 {check.battery_pct}% 低于 {limits.min_battery_pct}%")
    if check.free_hours < limits.min_free_hours:
        failures.append(f"剩余存储 {check.free_hours:g} 小时少于 {limits.min_free_hours:g} 小时")
    if abs(check.clock_offset_s) > limits.max_clock_offset_s:
        failures.append(
            f"设备时钟偏差 {check.clock_offset_s:+g} 秒超过 ±{limits.max_clock_offset_s:g} 秒"
        )
    return failures


def open_period(session: Session, device_id: int) -> CustodyPeriod | None:
    stmt = select(CustodyPeriod).where(
        CustodyPeriod.device_id == device_id, CustodyPeriod.returned_at.is_(None)
    )
    return session.scalars(stmt).first()


def open_fault(session: Session, device_id: int) -> FaultReport | None:
    """The device's oldest fault report the central repair has not yet closed (R16.1)."""
    stmt = (
        select(FaultReport)
        .where(
            FaultReport.device_id == device_id,
            FaultReport.status != FaultStatus.CLOSED.value,
        )
        .order_by(FaultReport.reported_at, FaultReport.id)
    )
    return session.scalars(stmt).first()


NEXT_STEP = {
    FaultStatus.REPORTED: "先登记，再送集中维修",
    FaultStatus.REGISTERED: "送集中维修",
    FaultStatus.IN_REPAIR: "等集中维修完成",
}


def fault_words(fault: FaultReport) -> str:
    """The open fault named for a refusal: number, when, who, what and where it stands."""
    return (
        f"未结束的故障报告 #{fault.id}（{local(fault.reported_at)[:16]} {fault.reported_by}"
        f"报告：“{fault.description[:100]}”，{FaultStatus(fault.status).label}）"
    )


def next_step(fault: FaultReport) -> str:
    """What R16.1 asks next of a fault that is not closed."""
    return NEXT_STEP.get(FaultStatus(fault.status), NEXT_STEP[FaultStatus.IN_REPAIR])


def _refuse_if_faulty(session: Session, device: Device, doing: str, advice: str) -> None:
    """``advice`` holds ``{next}``: the fault's next step."""
    fault = open_fault(session, device.id)
    if fault is not None:
        raise Conflict(
            f"设备 {device.serial} 有{fault_words(fault)}，不能{doing}；"
            + advice.format(next=next_step(fault))
            + "（第十六条）。",
            field="device",
        )


def managed_device(session: Session, actor: Actor, serial: str) -> Device:
    device = equipment.device_by_serial(session=session, actor=actor, serial=serial)
    actor.require(Action.DEVICE_MANAGE)
    unit_in_scope(session, actor, device.unit.name, Action.DEVICE_MANAGE, field="device")
    return device


def _officer(session: Session, badge: str, device: Device, reason: str) -> Person:
    officer = person_by_badge(session, badge or "")
    if officer is None or not officer.is_officer:
        raise InvalidInput(
            f"执法证号 {(badge or '').strip()} 不是本办登记的执法人员。", field="officer"
        )
    if not officer.is_active:
        raise Conflict(f"“{officer.name}”已停用，不能领用设备。", field="officer")
    if officer.unit_id != device.unit_id and not reason:
        raise Conflict(
            f"“{officer.name}”属于“{officer.unit.name}”，不是设备所属的“{device.unit.name}”；"
            "跨单位领用须由执法记录仪管理员填写理由。",
            field="officer",
        )
    return officer


def checkout(
    *, session: Session, actor: Actor, data: CheckoutIn, limits: CheckLimits
) -> CustodyPeriod:
    device = managed_device(session, actor, data.serial)
    status = DeviceStatus(device.status)
    if status not in ISSUABLE or open_period(session, device.id) is not None:
        raise Conflict(f"设备 {device.serial} 当前为“{status.label}”，不能领用。", field="device")
    _refuse_if_faulty(session, device, "领用", "请{next}，修复后方可领用")
    reason = " ".join(data.override_reason.split())[:500]
    failures = check_failures(data.check, limits)
    if failures and not reason:
        raise Conflict(
            "领用前检查未通过："
            + "；".join(failures)
            + "。如确需领用，须由执法记录仪管理员填写理由。",
            field="check",
        )
    officer = _officer(session, data.officer_badge, device, reason)
    return _issue(session, actor, device, officer, data.check, failures, reason, None)


def _issue(
    session: Session,
    actor: Actor,
    device: Device,
    officer: Person,
    check: PreUseCheck,
    failures: list[str],
    reason: str,
    previous: CustodyPeriod | None,
) -> CustodyPeriod:
    period = CustodyPeriod(
        device_id=device.id,
        officer_id=officer.id,
        issued_at=utcnow(),
        issued_by=actor.label,
        battery_pct=check.battery_pct,
        free_hours=check.free_hours,
        clock_offset_s=check.clock_offset_s,
        check_failures=failures,
        override_reason=reason,
        handed_over_from_id=previous.id if previous else None,
    )
    device.status, device.status_since = DeviceStatus.CHECKED_OUT.value, period.issued_at
    session.add(period)
    session.flush()
    tag = CustodyEvent.HANDED_OVER if previous else CustodyEvent.CHECKED_OUT
    record(session, actor, tag, ("device", device.id), None, period.snapshot())
    return period


def return_device(
    *, session: Session, actor: Actor, serial: str, condition: Condition, note: str = ""
) -> CustodyPeriod:
    device = managed_device(session, actor, serial)
    period = open_period(session, device.id)
    if period is None:
        status = DeviceStatus(device.status).label
        raise Conflict(
            f"设备 {device.serial} 当前为“{status}”，没有领用记录，无需归还。", field="device"
        )
    fault = _fault_on_return(session, device, condition)
    before = period.snapshot()
    period.returned_at, period.returned_to = utcnow(), actor.label
    period.condition, period.return_note = condition.value, " ".join(note.split())[:500]
    device.status, device.status_since = AFTER_RETURN[condition].value, period.returned_at
    session.flush()
    record(
        session,
        actor,
        CustodyEvent.RETURNED,
        ("device", device.id),
        before,
        {
            **period.snapshot(),
            "device_status": device.status,
            "open_fault_id": fault.id if fault else None,
        },
    )
    return period


def _fault_on_return(session: Session, device: Device, condition: Condition) -> FaultReport | None:
    """An open fault takes the device out of service on its return (R16.1), so it cannot come
    back as 完好: it is returned as 故障 or 损坏 (or 丢失) and goes on to registration and repair."""
    fault = open_fault(session, device.id)
    if fault is not None and condition is Condition.OK:
        raise Conflict(
            f"设备 {device.serial} 有{fault_words(fault)}，不能按“完好”归还。"
            f"请按“故障”或“损坏”归还：设备随即停用，{next_step(fault)}，"
            "修复后方可再领用（第十六条）。",
            field="condition",
        )
    return fault


def handover(
    *,
    session: Session,
    actor: Actor,
    serial: str,
    to_badge: str,
    check: PreUseCheck,
    limits: CheckLimits,
    override_reason: str = "",
) -> CustodyPeriod:
    """One recorded step (R9.2): the period of the first officer ends and the next begins at
    the same moment, with its own pre-use check."""
    device = managed_device(session, actor, serial)
    previous = open_period(session, device.id)
    if previous is None:
        raise Conflict(f"设备 {device.serial} 未被领用，不能交接；请办理领用。", field="device")
    _refuse_if_faulty(session, device, "交接给下一名执法人员", "请按“故障”或“损坏”归还，{next}")
    reason = " ".join(override_reason.split())[:500]
    failures = check_failures(check, limits)
    if failures and not reason:
        raise Conflict("交接时检查未通过：" + "；".join(failures) + "。", field="check")
    officer = _officer(session, to_badge, device, reason)
    if officer.id == previous.officer_id:
        raise Conflict(f"设备已在“{officer.name}”处，无需交接。", field="officer")
    before = previous.snapshot()
    previous.returned_at, previous.returned_to = utcnow(), f"交接给 {officer.name}"
    previous.condition = Condition.OK.value
    session.flush()
    record(
        session, actor, CustodyEvent.RETURNED, ("device", device.id), before, previous.snapshot()
    )
    return _issue(session, actor, device, officer, check, failures, reason, previous)
