"""The ledger (台账, R9.2): custody periods the actor may see, by unit and time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session, selectinload

from lawcam.authz import Action, Actor
from lawcam.custody.models import CustodyPeriod, FaultReport, LossCase, Notification, RepairOrder
from lawcam.custody.types import FaultStatus
from lawcam.equipment.models import Device
from lawcam.equipment.queries import visible_unit_ids
from lawcam.errors import NotFound

T = TypeVar("T")


def ledger(
    *,
    session: Session,
    actor: Actor,
    unit_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Sequence[CustodyPeriod]:
    """Periods that overlap [since, until): issued before the end, returned after the start
    (or not yet returned)."""
    actor.require(Action.EQUIPMENT_VIEW)
    stmt = (
        select(CustodyPeriod)
        .join(Device, CustodyPeriod.device_id == Device.id)
        .options(selectinload(CustodyPeriod.device), selectinload(CustodyPeriod.officer))
    )
    ids = visible_unit_ids(session, actor, Action.EQUIPMENT_VIEW)
    if ids is not None:
        stmt = stmt.where(Device.unit_id.in_(ids)) if ids else stmt.where(false())
    if unit_id is not None:
        stmt = stmt.where(Device.unit_id == unit_id)
    if until is not None:
        stmt = stmt.where(CustodyPeriod.issued_at < until)
    if since is not None:
        stmt = stmt.where(
            CustodyPeriod.returned_at.is_(None) | (CustodyPeriod.returned_at >= since)
        )
    return session.scalars(stmt.order_by(CustodyPeriod.issued_at, CustodyPeriod.id)).all()


def notifications_for(*, session: Session, person_id: int | None) -> Sequence[Notification]:
    """A person's own notices, newest first (R16.1: the unit head's inbox)."""
    if person_id is None:
        return []
    stmt = (
        select(Notification)
        .where(Notification.person_id == person_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return session.scalars(stmt).all()


@dataclass(frozen=True)
class DeviceCustody:
    periods: Sequence[CustodyPeriod]
    faults: Sequence[FaultReport]
    repairs: Sequence[RepairOrder]
    cases: Sequence[LossCase]


def device_custody(*, session: Session, device_id: int) -> DeviceCustody:
    """A device's timeline; the caller has already shown the device is visible to the actor."""
    periods = session.scalars(
        select(CustodyPeriod)
        .where(CustodyPeriod.device_id == device_id)
        .options(selectinload(CustodyPeriod.officer))
        .order_by(CustodyPeriod.issued_at.desc(), CustodyPeriod.id.desc())
    ).all()
    faults = session.scalars(
        select(FaultReport)
        .where(FaultReport.device_id == device_id)
        .order_by(FaultReport.reported_at.desc(), FaultReport.id.desc())
    ).all()
    repairs = session.scalars(
        select(RepairOrder)
        .join(FaultReport, RepairOrder.fault_id == FaultReport.id)
        .where(FaultReport.device_id == device_id)
        .order_by(RepairOrder.ordered_at.desc(), RepairOrder.id.desc())
    ).all()
    cases = session.scalars(
        select(LossCase)
        .where(LossCase.device_id == device_id)
        .options(selectinload(LossCase.custodian))
        .order_by(LossCase.opened_at.desc(), LossCase.id.desc())
    ).all()
    return DeviceCustody(periods=periods, faults=faults, repairs=repairs, cases=cases)


def _visible(session: Session, actor: Actor, stmt: Select[T]) -> Select[T]:
    ids = visible_unit_ids(session, actor, Action.EQUIPMENT_VIEW)
    if ids is None:
        return stmt
    return stmt.where(Device.unit_id.in_(ids)) if ids else stmt.where(false())


def open_faults(*, session: Session, actor: Actor) -> Sequence[FaultReport]:
    """Faults not yet closed, of the devices the actor may see."""
    actor.require(Action.EQUIPMENT_VIEW)
    stmt = (
        select(FaultReport)
        .join(Device, FaultReport.device_id == Device.id)
        .where(FaultReport.status != FaultStatus.CLOSED.value)
        .options(selectinload(FaultReport.device))
        .order_by(FaultReport.reported_at, FaultReport.id)
    )
    return session.scalars(_visible(session, actor, stmt)).all()


def repair_orders(*, session: Session, actor: Actor) -> Sequence[RepairOrder]:
    """Repair orders of the devices the actor may see, open ones first."""
    actor.require(Action.EQUIPMENT_VIEW)
    stmt = (
        select(RepairOrder)
        .join(FaultReport, RepairOrder.fault_id == FaultReport.id)
        .join(Device, FaultReport.device_id == Device.id)
        .order_by(RepairOrder.completed_at.is_not(None), RepairOrder.ordered_at.desc())
    )
    return session.scalars(_visible(session, actor, stmt)).all()


def loss_cases(*, session: Session, actor: Actor) -> Sequence[LossCase]:
    """Loss and damage cases of the devices the actor may see, undecided first."""
    actor.require(Action.EQUIPMENT_VIEW)
    stmt = (
        select(LossCase)
        .join(Device, LossCase.device_id == Device.id)
        .options(selectinload(LossCase.device), selectinload(LossCase.custodian))
        .order_by(LossCase.decided_at.is_not(None), LossCase.opened_at.desc())
    )
    return session.scalars(_visible(session, actor, stmt)).all()


def get_loss_case(*, session: Session, actor: Actor, case_id: int) -> LossCase:
    """A case whose device the actor may see; otherwise not found."""
    actor.require(Action.EQUIPMENT_VIEW)
    stmt = select(LossCase).join(Device, LossCase.device_id == Device.id)
    case = session.scalars(_visible(session, actor, stmt.where(LossCase.id == case_id))).first()
    if case is None:
        raise NotFound("未找到该案件。")
    return case
