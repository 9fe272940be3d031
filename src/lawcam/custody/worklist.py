"""What waits on a person's home page, in custody (issue 14): counts and short lists, each
scoped by ``queries.permitted`` like the pages they lead to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from lawcam.authz import Action, Actor
from lawcam.custody.models import CustodyPeriod, FaultReport, LossCase, Notification
from lawcam.custody.queries import permitted
from lawcam.custody.types import FaultStatus
from lawcam.equipment.models import Device, DeviceModel
from lawcam.org.models import Person


def count(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def held_by(*, session: Session, actor: Actor) -> Sequence[CustodyPeriod]:
    """The devices the actor holds now, each with the moment it was issued."""
    if actor.person_id is None:
        return []
    stmt = (
        select(CustodyPeriod)
        .where(CustodyPeriod.officer_id == actor.person_id, CustodyPeriod.returned_at.is_(None))
        .options(selectinload(CustodyPeriod.device))
        .order_by(CustodyPeriod.issued_at, CustodyPeriod.id)
    )
    return session.scalars(stmt).all()


def unread_notices(*, session: Session, actor: Actor, about: str | None = None) -> int:
    """The actor's own notices not yet read (the badge on 消息); ``about``: only those linking
    under that path (a fault report's notice links to its device, ``/devices/``; a finding's to
    ``/findings``), so the unit head's fault tile counts fault reports alone."""
    if actor.person_id is None:
        return 0
    stmt = select(Notification.id).where(
        Notification.person_id == actor.person_id, Notification.read_at.is_(None)
    )
    if about is not None:
        stmt = stmt.where(Notification.link.startswith(about, autoescape=True))
    return count(session, stmt)


def devices_out(*, session: Session, actor: Actor, issued_before: datetime | None = None) -> int:
    """Devices issued and not returned; with ``issued_before``, those out since before it."""
    stmt = (
        select(CustodyPeriod.id)
        .join(Device, CustodyPeriod.device_id == Device.id)
        .where(CustodyPeriod.returned_at.is_(None))
    )
    if issued_before is not None:
        stmt = stmt.where(CustodyPeriod.issued_at < issued_before)
    return count(session, permitted(session, stmt, actor, Action.EQUIPMENT_VIEW))


def open_faults(*, session: Session, actor: Actor, status: FaultStatus | None = None) -> int:
    """Fault reports not yet closed (or in one ``status``), of devices the actor may see."""
    stmt = select(FaultReport.id).join(Device, FaultReport.device_id == Device.id)
    if status is None:
        stmt = stmt.where(FaultReport.status != FaultStatus.CLOSED.value)
    else:
        stmt = stmt.where(FaultReport.status == status.value)
    return count(session, permitted(session, stmt, actor, Action.EQUIPMENT_VIEW))


def cases_to_decide(*, session: Session, actor: Actor) -> int:
    """Loss and damage cases with no decision yet that the actor may decide (Art. 17)."""
    stmt = (
        select(LossCase.id)
        .join(Device, LossCase.device_id == Device.id)
        .where(LossCase.decided_at.is_(None))
    )
    return count(session, permitted(session, stmt, actor, Action.LOSS_DECIDE))


def open_faults_by_model(*, session: Session, actor: Actor) -> list[tuple[str, int]]:
    """Per model, the fault reports not yet closed; most first (Art. 4: product quality)."""
    visible = permitted(
        session,
        select(FaultReport.id).join(Device, FaultReport.device_id == Device.id),
        actor,
        Action.EQUIPMENT_VIEW,
    )
    stmt = (
        select(DeviceModel.maker, DeviceModel.model, func.count(FaultReport.id))
        .select_from(FaultReport)
        .join(Device, FaultReport.device_id == Device.id)
        .join(DeviceModel, Device.model_id == DeviceModel.id)
        .where(FaultReport.status != FaultStatus.CLOSED.value, FaultReport.id.in_(visible))
        .group_by(DeviceModel.id, DeviceModel.maker, DeviceModel.model)
    )
    found = [(f"{maker} {model}", int(n)) for maker, model, n in session.execute(stmt)]
    return sorted(found, key=lambda row: (-row[1], row[0]))


def holders_of(*, session: Session, device_ids: Sequence[int]) -> dict[int, str]:
    """Who holds each of these devices now, by name: a list of devices says who has one that
    is 已领用 (and that nobody has the rest). The ids come from a permitted list."""
    if not device_ids:
        return {}
    stmt = (
        select(CustodyPeriod.device_id, Person.name)
        .join(Person, CustodyPeriod.officer_id == Person.id)
        .where(CustodyPeriod.device_id.in_(device_ids), CustodyPeriod.returned_at.is_(None))
    )
    return {device_id: name for device_id, name in session.execute(stmt)}
