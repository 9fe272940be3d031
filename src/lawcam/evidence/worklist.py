"""What waits on a person's home page, in evidence (issue 14): late uploads in the actor's
scope, and the officer's own custody periods whose recordings are not on the server yet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lawcam.authz import Action, Actor
from lawcam.custody.models import CustodyPeriod
from lawcam.custody.worklist import count
from lawcam.evidence.models import IngestRun, Recording
from lawcam.evidence.queries import permitted


def late_uploads(*, session: Session, actor: Actor) -> int:
    """Recordings that reached a workstation after their deadline (Art. 14), in scope."""
    stmt = select(Recording).where(Recording.uploaded_late.is_(True))
    return count(session, permitted(session, stmt, actor, Action.RECORDING_VIEW))


def awaiting_upload(*, session: Session, actor: Actor, since: datetime) -> Sequence[CustodyPeriod]:
    """The actor's own custody periods, held now or returned since ``since``, whose device has
    not been docked at a workstation since it was issued: what was recorded then is still only
    on the device (Art. 14: on the server within 24 hours of the duty's end)."""
    if actor.person_id is None or not actor.can(Action.RECORDING_VIEW):
        return []
    docked = (
        select(IngestRun.id)
        .where(
            IngestRun.device_id == CustodyPeriod.device_id,
            IngestRun.started_at >= CustodyPeriod.issued_at,
        )
        .exists()
    )
    stmt = (
        select(CustodyPeriod)
        .where(CustodyPeriod.officer_id == actor.person_id, ~docked)
        .where(CustodyPeriod.returned_at.is_(None) | (CustodyPeriod.returned_at >= since))
        .options(selectinload(CustodyPeriod.device))
        .order_by(CustodyPeriod.issued_at, CustodyPeriod.id)
    )
    return session.scalars(stmt).all()
