"""The audit log, for the auditor only."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from lawcam.audit import log, queries
from lawcam.audit.keys import public_key_for
from lawcam.audit.signing import Signer
from lawcam.audit.types import AuditFilter
from lawcam.authz import Action
from lawcam.schemas.audit import (
    AuditEventOut,
    AuditPage,
    ConsistencyOut,
    InclusionOut,
    PublicKeyOut,
    TreeHeadOut,
)
from lawcam.schemas.common import Moment, Offset
from lawcam.timeutil import SHANGHAI
from lawcam.web.deps import CommittingRoute, CurrentActor, DatabaseDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["audit"], route_class=CommittingRoute)


@router.get("/audit", response_model=AuditPage)
def list_audit(
    actor: CurrentActor,
    session: SessionDep,
    tag: str | None = Query(default=None, max_length=80),
    subject_type: str | None = Query(default=None, max_length=50),
    subject_id: str | None = Query(default=None, max_length=100),
    who: str | None = Query(default=None, max_length=100),
    since: Moment | None = None,
    until: Moment | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: Offset = 0,
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


# The Merkle log (RFC 9162) -------------------------------------------------------------------


def _signer(request: Request) -> Signer:
    signer: Signer = request.app.state.signer.current()
    return signer


@router.get("/audit/sth", response_model=TreeHeadOut)
def current_head(request: Request, actor: CurrentActor, database: DatabaseDep) -> TreeHeadOut:
    """The newest signed tree head, signed now if the log has grown since the last one (the
    log's own bookkeeping, in a short transaction of its own: no record changes)."""
    actor.require(Action.AUDIT_READ)
    signer = _signer(request)
    head = log.fresh_head(database, signer)  # or the newest, another node's if unchanged
    with database.read() as session:
        key = public_key_for(session, head.key_id, signer.public_key)
    return TreeHeadOut(**log.head_document(head, key))


@router.get("/audit/public-key", response_model=PublicKeyOut)
def public_key(request: Request, actor: CurrentActor) -> PublicKeyOut:
    actor.require(Action.AUDIT_READ)
    signer = _signer(request)
    return PublicKeyOut(
        public_key=signer.public_key.hex(), pem=signer.public_key_pem, key_id=signer.key_id
    )


@router.get("/audit/proof", response_model=InclusionOut)
def inclusion_proof(
    actor: CurrentActor,
    session: SessionDep,
    leaf: Offset,
    size: Offset | None = None,
) -> InclusionOut:
    return InclusionOut(
        **log.inclusion_proof(session=session, actor=actor, leaf_index=leaf, size=size)
    )


@router.get("/audit/consistency", response_model=ConsistencyOut)
def consistency_proof(
    actor: CurrentActor,
    session: SessionDep,
    first: Offset = Query(alias="from"),
    second: Offset = Query(alias="to"),
) -> ConsistencyOut:
    proof = log.consistency_proof(session=session, actor=actor, first=first, second=second)
    return ConsistencyOut.model_validate(proof)
