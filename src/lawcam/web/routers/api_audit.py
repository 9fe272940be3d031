"""The audit log, for the auditor only."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query

from lawcam.audit import queries
from lawcam.audit.types import AuditFilter
from lawcam.timeutil import SHANGHAI
from lawcam.web.deps import CurrentActor, SessionDep
from lawcam.web.schemas.audit import AuditEventOut, AuditPage

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", response_model=AuditPage)
def list_audit(
    actor: CurrentActor,
    session: SessionDep,
    tag: str | None = Query(default=None, max_length=80),
    subject_type: str | None = Query(default=None, max_length=50),
    subject_id: str | None = Query(default=None, max_length=100),
    who: str | None = Query(default=None, max_length=100),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0),
) -> AuditPage:
    # A time without a zone is what the user sees on screen: Asia/Shanghai.
    since = since.replace(tzinfo=SHANGHAI) if since and since.tzinfo is None else since
    until = until.replace(tzinfo=SHANGHAI) if until and until.tzinfo is None else until
    flt = AuditFilter(
        tag_prefix=tag,
        subject_type=subject_type,
        subject_id=subject_id,
        actor=who,
        since=since,
        until=until,
    )
    rows, total = queries.list_events(
        session=session, actor=actor, flt=flt, limit=limit, offset=offset
    )
    return AuditPage(total=total, items=[AuditEventOut.of(e) for e in rows])
