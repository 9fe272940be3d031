"""Reads of access requests and grants, permission inside the query: a requester sees their
own requests; an approver, those the rule sends them (a unit head, for material of the units in
their scope; the office leader, those for an office leader); nobody else. A grant is live only
while approved, unrevoked and unexpired — the expiry is in the query (principle 3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from lawcam.access.models import AccessItem, AccessRequest
from lawcam.access.types import ALLOWS, AccessAction, AccessEvent, Approver, Refusal, RequestStatus
from lawcam.audit.models import AuditEvent
from lawcam.authz import Action, Actor, Role
from lawcam.errors import Conflict, Forbidden, NotFound
from lawcam.evidence.models import Recording
from lawcam.org.models import Person
from lawcam.org.queries import unit_scope
from lawcam.retention import queries as retention_queries
from lawcam.timeutil import local, utcnow

T = TypeVar("T")


def permitted(session: Session, stmt: Select[T], actor: Actor, action: Action) -> Select[T]:
    if not actor.can(action) or actor.person_id is None:
        return stmt.where(false())
    if action is Action.ACCESS_APPROVE:
        return stmt.where(_to_decide(session, actor))
    return stmt.where(
        or_(AccessRequest.requester_id == actor.person_id, _to_decide(session, actor))
    )


def _to_decide(session: Session, actor: Actor) -> ColumnElement[bool]:
    """The requests the rule sends to this actor (never their own)."""
    routes: list[ColumnElement[bool]] = []
    if Role.OFFICE_LEADER in actor.roles:
        routes.append(AccessRequest.approver == str(Approver.OFFICE_LEADER))
    if Role.UNIT_HEAD in actor.roles and actor.unit_id is not None:
        units = unit_scope(session, actor.unit_id)
        routes.append(
            and_(
                AccessRequest.approver == str(Approver.UNIT_HEAD),
                AccessRequest.approver_unit_id.in_(units),
            )
        )
    if not routes:
        return false()
    return and_(or_(*routes), AccessRequest.requester_id != actor.person_id)


def get_request(
    *, session: Session, actor: Actor, request_id: int, action: Action = Action.ACCESS_REQUEST
) -> AccessRequest:
    stmt = select(AccessRequest).where(AccessRequest.id == request_id)
    stmt = stmt.options(selectinload(AccessRequest.items))
    found = session.scalars(_either(session, stmt, actor, action)).first()
    if found is None:
        raise NotFound("调阅申请不存在，或您无权查看。")
    return found


def _either(session: Session, stmt: Select[T], actor: Actor, action: Action) -> Select[T]:
    """A request is seen by whoever may request (their own) or approve (theirs to decide);
    anyone else is refused outright (三员 have no part in access, 第十五条)."""
    if not (actor.can(Action.ACCESS_REQUEST) or actor.can(Action.ACCESS_APPROVE)):
        raise Forbidden("您没有调阅申请或审批的权限。", action=str(action))
    if action is Action.ACCESS_REQUEST and not actor.can(action):
        action = Action.ACCESS_APPROVE
    return permitted(session, stmt, actor, action)


def list_requests(
    *, session: Session, actor: Actor, to_decide: bool = False, status: RequestStatus | None = None
) -> list[AccessRequest]:
    stmt = select(AccessRequest).options(selectinload(AccessRequest.items))
    if status is not None:
        stmt = stmt.where(AccessRequest.status == str(status))
    action = Action.ACCESS_APPROVE if to_decide else Action.ACCESS_REQUEST
    stmt = _either(session, stmt, actor, action).order_by(AccessRequest.id.desc()).limit(500)
    return list(session.scalars(stmt))


def _granted(actor: Actor, recording_id: int) -> Select[Any]:
    held = select(AccessItem.request_id).where(AccessItem.recording_id == recording_id)
    return select(AccessRequest).where(
        AccessRequest.requester_id == (actor.person_id or -1),
        AccessRequest.id.in_(held),
        AccessRequest.status.in_([str(RequestStatus.APPROVED), str(RequestStatus.REVOKED)]),
    )


def live_grant(
    session: Session, actor: Actor, recording_id: int, action: AccessAction, now: datetime
) -> AccessRequest | None:
    """The actor's grant that allows this use of this recording now, or None."""
    stmt = _granted(actor, recording_id).where(
        AccessRequest.status == str(RequestStatus.APPROVED), AccessRequest.expires_at > now
    )
    grants: list[AccessRequest] = list(
        session.scalars(stmt.order_by(AccessRequest.expires_at.desc()))
    )
    return next((g for g in grants if action in ALLOWS[AccessAction(g.action)]), None)


def refusal(session: Session, actor: Actor, recording_id: int, now: datetime) -> Refusal:
    """Why there is no live grant: the findings tell a lapsed grant from none at all."""
    grants = list(session.scalars(_granted(actor, recording_id)))
    if any(g.status == RequestStatus.REVOKED for g in grants):
        return Refusal.REVOKED
    if any(g.expires_at is not None and g.expires_at <= now for g in grants):
        return Refusal.EXPIRED
    return Refusal.NOT_ALLOWED if grants else Refusal.NO_GRANT


def pending_count(*, session: Session, actor: Actor) -> int:
    """Requests waiting for this approver (the count on their home)."""
    stmt = select(func.count()).select_from(AccessRequest)
    stmt = stmt.where(AccessRequest.status == str(RequestStatus.PENDING))
    return int(session.scalar(permitted(session, stmt, actor, Action.ACCESS_APPROVE)) or 0)


def granted_recording(session: Session, recording_id: int) -> Recording | None:
    """A recording read under a live grant: its unit need not be the reader's."""
    return session.get(Recording, recording_id)


def viewer(session: Session, actor: Actor) -> Person | None:
    """Who is watching, for the watermark: name and badge."""
    return session.get(Person, actor.person_id) if actor.person_id else None


def decision_seq(session: Session, request_id: int) -> int:
    """The audit entry that approved the request (a package proves it)."""
    stmt = select(func.max(AuditEvent.seq)).where(
        AuditEvent.tag == str(AccessEvent.DECIDED),
        AuditEvent.subject_type == "access_request",
        AuditEvent.subject_id == str(request_id),
    )
    seq = session.scalar(stmt)
    if seq is None:
        raise NotFound("找不到该申请的审批记录。")
    return int(seq)


REFUSED = "资料不存在，或您没有有效的调阅授权。"


def granted(
    *, session: Session, actor: Actor, recording_id: int, action: AccessAction
) -> tuple[AccessRequest, Recording]:
    """The live grant that allows this use and the recording it covers; NotFound otherwise —
    the same answer as a recording that does not exist. The caller records the refusal in a
    transaction of its own (``service.refused``)."""
    grant = live_grant(session, actor, recording_id, action, utcnow())
    recording = granted_recording(session, recording_id) if grant else None
    if grant is None or recording is None:
        raise NotFound(REFUSED)
    gone = retention_queries.disposition_of(session, recording_id)
    if gone is not None:  # granted before it was disposed of: say so, not "not found"
        raise Conflict(
            f"资料 #{recording_id} 已于 {local(gone.disposed_at)} 保存期限届满后依法销毁"
            f"（销毁批次 #{gone.batch_id}），原始文件已不存在。",
            code="disposed",
        )
    return grant, recording
