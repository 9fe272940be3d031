"""What waits on a person's home page, in evidence (issue 14): the officer's own custody periods
whose recordings are not on the server yet. (Late uploads are counted by the activities' rule,
``activities.worklist.late_count``: the deadline runs from the activity's end.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lawcam.authz import Action, Actor
from lawcam.custody.models import CustodyPeriod
from lawcam.evidence.models import IngestRun


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
