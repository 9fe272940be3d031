from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from lawcam.audit.models import AuditEvent
from lawcam.audit.types import AuditFilter
from lawcam.authz import Action, Actor


def permitted(
    session: Session, stmt: Select[AuditEvent], actor: Actor, action: Action
) -> Select[AuditEvent]:
    """Only the auditor (and the local console) reads the audit log (``action`` is AUDIT_READ:
    the log has no unit, the role alone decides)."""
    if actor.can(action):
        return stmt
    return stmt.where(false())


def _filtered(session: Session, actor: Actor, flt: AuditFilter) -> Select[AuditEvent]:
    stmt = permitted(session, select(AuditEvent), actor, Action.AUDIT_READ)
    if flt.tag_prefix:
        stmt = stmt.where(AuditEvent.tag.startswith(flt.tag_prefix))
    if flt.subject_type:
        stmt = stmt.where(AuditEvent.subject_type == flt.subject_type)
    if flt.subject_id:
        stmt = stmt.where(AuditEvent.subject_id == flt.subject_id)
    if flt.actor:
        stmt = stmt.where(AuditEvent.actor_label.contains(flt.actor))
    if flt.since:
        stmt = stmt.where(AuditEvent.occurred_at >= flt.since)
    if flt.until:
        stmt = stmt.where(AuditEvent.occurred_at < flt.until)
    return stmt


def list_events(
    *,
    session: Session,
    actor: Actor,
    flt: AuditFilter | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[Sequence[AuditEvent], int]:
    actor.require(Action.AUDIT_READ)
    stmt = _filtered(session, actor, flt or AuditFilter())
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.scalars(stmt.order_by(AuditEvent.seq.desc()).limit(limit).offset(offset)).all()
    return rows, int(total)


def events_for_subject(
    *, session: Session, subject_type: str, subject_id: object
) -> Sequence[AuditEvent]:
    """Internal: a subject's history, for services that need it (not shown without permission)."""
    stmt = select(AuditEvent).where(
        AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id)
    )
    return session.scalars(stmt.order_by(AuditEvent.seq)).all()


def sides(event: AuditEvent) -> tuple[Any, Any]:
    """The entry's before and after, as recorded (JSON), or None where there is none."""
    before = json.loads(event.before) if event.before else None
    after = json.loads(event.after) if event.after else None
    return before, after


def changed_keys(before: Any, after: Any) -> set[str]:
    """The keys whose value differs between the two sides of a change; a side that is not a
    key-value record (or is missing) differs in none."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return set()
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
