from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from lawcam.audit.models import AuditEvent
from lawcam.audit.types import AuditFilter
from lawcam.authz import Action, Actor


def permitted(stmt: Select[AuditEvent], actor: Actor) -> Select[AuditEvent]:
    """Only the auditor (and the local console) reads the audit log."""
    if actor.can(Action.AUDIT_READ):
        return stmt
    return stmt.where(false())


def _filtered(actor: Actor, flt: AuditFilter) -> Select[AuditEvent]:
    stmt = permitted(select(AuditEvent), actor)
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
    stmt = _filtered(actor, flt or AuditFilter())
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
