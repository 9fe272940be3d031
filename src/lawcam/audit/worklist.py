"""What waits on the auditor's home page (issue 14): the entries written since a moment, and
how many of them the latest signed tree head does not cover yet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lawcam.audit import log
from lawcam.audit.models import AuditEvent, TreeHead
from lawcam.audit.queries import permitted
from lawcam.authz import Action, Actor


def entries_since(*, session: Session, actor: Actor, since: datetime) -> int:
    stmt = select(AuditEvent).where(AuditEvent.occurred_at >= since)
    stmt = permitted(session, stmt, actor, Action.AUDIT_READ)
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def unsigned_entries(*, session: Session, actor: Actor) -> tuple[int, TreeHead | None]:
    """Entries after the latest tree head, and that head (None: none signed yet)."""
    if not actor.can(Action.AUDIT_READ):
        return 0, None
    head = log.latest_head(session)
    return log.log_size(session) - (head.size if head else 0), head
