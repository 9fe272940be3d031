"""API shapes for custody (Art. 9, 11, 16, 17): checkout, return and handover, the ledger,
faults and repair, loss and damage cases, and the caller's notifications. Money goes out as a
string with two decimals ("3280.00")."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from lawcam.config import Settings
from lawcam.custody.models import CustodyPeriod, FaultReport, LossCase, Notification, RepairOrder
from lawcam.custody.types import (
    CaseKind,
    CheckLimits,
    Condition,
    FaultStatus,
    LossCause,
    RepairOutcome,
)
from lawcam.schemas.common import Count, In, Number
from lawcam.schemas.equipment import money_out


def check_limits(settings: Settings) -> CheckLimits:
    """R11.1: the pre-use check thresholds of this deployment (LAWCAM_CHECKOUT_*)."""
    return CheckLimits(
        min_battery_pct=settings.checkout_min_battery_pct,
        min_free_hours=settings.checkout_min_free_hours,
        max_clock_offset_s=settings.checkout_max_clock_offset_s,
    )


class CheckoutCreate(In):
    device: str = Field(max_length=64, description="设备序列号")
    officer: str = Field(max_length=64, description="领用人执法证号")
    battery_pct: Count = Field(description="电量（%）")
    free_hours: Number = Field(description="剩余存储（可录像小时数）")
    clock_offset_s: Number = Field(description="设备时钟与标准时间之差（秒）")
    override_reason: str = Field(
        default="", max_length=500, description="超限理由（检查未通过）或例外理由（跨单位领用）"
    )


class ReturnCreate(In):
    device: str = Field(max_length=64)
    condition: Condition
    note: str = Field(default="", max_length=500)


class HandoverCreate(In):
    device: str = Field(max_length=64)
    to_officer: str = Field(max_length=64, description="接收人执法证号")
    battery_pct: Count
    free_hours: Number
    clock_offset_s: Number
    override_reason: str = Field(default="", max_length=500)


class PeriodOut(BaseModel):
    id: int
    device_id: int
    device: str
    asset_no: str
    unit: str
    officer_id: int
    officer: str
    officer_badge: str | None
    issued_at: datetime
    issued_by: str
    battery_pct: int
    free_hours: float
    clock_offset_s: float
    check_failures: list[str]
    override_reason: str
    handed_over_from_id: int | None
    returned_at: datetime | None
    returned_to: str | None
    condition: Condition | None
    condition_label: str | None
    return_note: str
    device_status: str  # the device's status now: checked_out after a checkout, faulty …

    @classmethod
    def of(cls, p: CustodyPeriod) -> PeriodOut:
        condition = Condition(p.condition) if p.condition else None
        return cls(
            id=p.id,
            device_id=p.device_id,
            device=p.device.serial,
            asset_no=p.device.asset_no,
            unit=p.device.unit.name,
            officer_id=p.officer_id,
            officer=p.officer.name,
            officer_badge=p.officer.badge,
            issued_at=p.issued_at,
            issued_by=p.issued_by,
            battery_pct=p.battery_pct,
            free_hours=p.free_hours,
            clock_offset_s=p.clock_offset_s,
            check_failures=list(p.check_failures or []),
            override_reason=p.override_reason,
            handed_over_from_id=p.handed_over_from_id,
            returned_at=p.returned_at,
            returned_to=p.returned_to,
            condition=condition,
            condition_label=condition.label if condition else None,
            return_note=p.return_note,
            device_status=p.device.status,
        )


class FaultCreate(In):
    device: str = Field(max_length=64)
    description: str = Field(max_length=1000)


class FaultOut(BaseModel):
    id: int
    device_id: int
    device: str
    description: str
    reported_by: str
    reported_at: datetime
    status: FaultStatus
    status_label: str
    registered_by: str | None
    registered_at: datetime | None
    device_status: str

    @classmethod
    def of(cls, f: FaultReport) -> FaultOut:
        status = FaultStatus(f.status)
        return cls(
            id=f.id,
            device_id=f.device_id,
            device=f.device.serial,
            description=f.description,
            reported_by=f.reported_by,
            reported_at=f.reported_at,
            status=status,
            status_label=status.label,
            registered_by=f.registered_by,
            registered_at=f.registered_at,
            device_status=f.device.status,
        )


class RepairComplete(In):
    diagnosis: str = Field(max_length=1000)
    outcome: RepairOutcome


class RepairOut(BaseModel):
    id: int
    fault_id: int
    device_id: int
    device: str
    ordered_by: str
    ordered_at: datetime
    diagnosis: str
    outcome: RepairOutcome | None
    outcome_label: str | None
    completed_by: str | None
    completed_at: datetime | None
    fault_status: FaultStatus
    device_status: str

    @classmethod
    def of(cls, r: RepairOrder) -> RepairOut:
        outcome = RepairOutcome(r.outcome) if r.outcome else None
        return cls(
            id=r.id,
            fault_id=r.fault_id,
            device_id=r.fault.device_id,
            device=r.fault.device.serial,
            ordered_by=r.ordered_by,
            ordered_at=r.ordered_at,
            diagnosis=r.diagnosis,
            outcome=outcome,
            outcome_label=outcome.label if outcome else None,
            completed_by=r.completed_by,
            completed_at=r.completed_at,
            fault_status=FaultStatus(r.fault.status),
            device_status=r.fault.device.status,
        )


class LossCaseCreate(In):
    device: str = Field(max_length=64)
    kind: CaseKind
    description: str = Field(max_length=1000)


class DecideIn(In):
    cause: LossCause
    decision: str = Field(max_length=1000)


class LossCaseOut(BaseModel):
    id: int
    device_id: int
    device: str
    kind: CaseKind
    kind_label: str
    description: str
    custodian_id: int | None
    custodian: str | None
    opened_by: str
    opened_at: datetime
    cause: LossCause | None
    cause_label: str | None
    decision: str
    compensation: str | None
    decided_by: str | None
    decided_at: datetime | None

    @classmethod
    def of(cls, c: LossCase) -> LossCaseOut:
        kind = CaseKind(c.kind)
        cause = LossCause(c.cause) if c.cause else None
        return cls(
            id=c.id,
            device_id=c.device_id,
            device=c.device.serial,
            kind=kind,
            kind_label=kind.label,
            description=c.description,
            custodian_id=c.custodian_id,
            custodian=c.custodian.name if c.custodian else None,
            opened_by=c.opened_by,
            opened_at=c.opened_at,
            cause=cause,
            cause_label=cause.label if cause else None,
            decision=c.decision,
            compensation=money_out(c.compensation),
            decided_by=c.decided_by,
            decided_at=c.decided_at,
        )


class NotificationOut(BaseModel):
    id: int
    text: str
    link: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        return cls(id=n.id, text=n.text, link=n.link, created_at=n.created_at, read_at=n.read_at)


# Chinese labels for the pages (the templates look values up here).
LABELS: dict[str, dict[str, str]] = {
    "conditions": {c.value: c.label for c in Condition},
    "fault_statuses": {s.value: s.label for s in FaultStatus},
    "outcomes": {o.value: o.label for o in RepairOutcome},
    "causes": {c.value: c.label for c in LossCause},
    "case_kinds": {k.value: k.label for k in CaseKind},
}
