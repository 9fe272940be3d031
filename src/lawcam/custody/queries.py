"""The ledger (台账, R9.2): custody periods the actor may see, by unit and time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import false, select
from sqlalchemy.orm import Session, selectinload

from lawcam.authz import Action, Actor
from lawcam.custody.models import CustodyPeriod
from lawcam.equipment.models import Device
from lawcam.equipment.queries import visible_unit_ids


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
