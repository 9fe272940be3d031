"""What waits on a person's home page, in activities (第十条、第十四条): the officer's own
interruptions not yet explained, the device administrator's explanations not yet confirmed, and
the late uploads in the actor's scope."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lawcam.activities.models import Activity, ActivityOfficer, Interruption
from lawcam.activities.queries import LateFilter, late_uploads, permitted
from lawcam.authz import Action, Actor


def to_explain(*, session: Session, actor: Actor) -> list[tuple[Activity, Interruption]]:
    """Interruptions of activities the actor took part in that nobody has explained yet (the
    whole activity's under the any-officer policy, the actor's own under each-officer)."""
    if actor.person_id is None or not actor.can(Action.INTERRUPTION_EXPLAIN):
        return []
    mine = select(ActivityOfficer.activity_id).where(ActivityOfficer.person_id == actor.person_id)
    stmt = (
        select(Activity, Interruption)
        .join(Interruption, Interruption.activity_id == Activity.id)
        .where(Activity.id.in_(mine), Interruption.current.is_(True))
        .where(Interruption.explanation.is_(None))
        .where(or_(Interruption.officer_id.is_(None), Interruption.officer_id == actor.person_id))
        .order_by(Activity.arrived_at, Interruption.seq)
    )
    return [(a, i) for a, i in session.execute(stmt)]


def to_confirm(*, session: Session, actor: Actor) -> list[tuple[Activity, Interruption]]:
    """Explained interruptions in the administrator's units that wait for confirmation."""
    if not actor.can(Action.INTERRUPTION_CONFIRM):
        return []
    stmt = (
        select(Activity, Interruption)
        .join(Interruption, Interruption.activity_id == Activity.id)
        .where(Interruption.current.is_(True), Interruption.explanation.is_not(None))
        .where(Interruption.confirmed_at.is_(None))
        .order_by(Activity.arrived_at, Interruption.seq)
    )
    theirs = permitted(session, select(Activity.id), actor, Action.INTERRUPTION_CONFIRM)
    stmt = stmt.where(Activity.id.in_(theirs))
    return [(a, i) for a, i in session.execute(stmt)]


def late_count(*, session: Session, actor: Actor, hours: int) -> int:
    """How many lines the late-upload list (迟交清单) shows the actor unfiltered: received
    after the activity's end + 24 h, or a recording's own end outside every activity."""
    if not actor.can(Action.RECORDING_VIEW):
        return 0
    return len(late_uploads(session, actor, LateFilter(), hours))
