"""Changes to access (第十五条): ask, decide, revoke, and record each use and each refusal.
Each takes ``*, session, actor``, raises domain errors, never commits, and records its audit
entry in the caller's transaction (a refusal: in a transaction of its own, by the caller, so
that it survives the refused request's rollback)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, cast

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lawcam.access import queries
from lawcam.access.models import AccessItem, AccessRequest, ViewSession
from lawcam.access.types import (
    MAX_DAYS,
    MAX_RECORDINGS,
    AccessAction,
    AccessEvent,
    Approver,
    Refusal,
    RequestStatus,
)
from lawcam.activities import queries as activity_queries
from lawcam.activities.models import Activity, ActivityLink
from lawcam.audit.service import record
from lawcam.authz import Action, Actor, Role
from lawcam.errors import Conflict, Forbidden, InvalidInput, NotFound
from lawcam.evidence import queries as evidence_queries
from lawcam.evidence.models import Recording
from lawcam.evidence.stream import read_digests
from lawcam.org.queries import unit_scope
from lawcam.retention import queries as retention_queries
from lawcam.storage import BlobStore
from lawcam.timeutil import local, utcnow

SESSION_IDLE = timedelta(minutes=30)  # a pause longer than this starts a new viewing session


@dataclass(frozen=True)
class RequestData:
    """What is asked: one scope (chosen recordings, an activity's, a case's), the use, why."""

    action: AccessAction
    purpose: str
    days: int
    recording_ids: Sequence[int] = ()
    activity_id: int | None = None
    case_number: str = ""
    recipient: str = ""
    recipient_org: str = ""


def request_access(*, session: Session, actor: Actor, data: RequestData) -> AccessRequest:
    actor.require(Action.ACCESS_REQUEST)
    if actor.person_id is None:
        raise Forbidden("只有具名人员才能申请调阅。", action=str(Action.ACCESS_REQUEST))
    _check_request(data)
    recordings, scope = _scope(session, actor, data)
    recordings = _not_disposed(session, recordings, explicit=bool(data.recording_ids))
    unit_id = _one_unit(recordings)
    row = AccessRequest(
        requester_id=actor.person_id,
        requested_by=actor.label,
        requested_at=utcnow(),
        action=str(data.action),
        scope=scope,
        purpose=data.purpose.strip(),
        recipient=data.recipient.strip(),
        recipient_org=data.recipient_org.strip(),
        days=data.days,
        approver=str(_approver(session, actor, data.action, unit_id)),
        approver_unit_id=unit_id,
        status=str(RequestStatus.PENDING),
    )
    session.add(row)
    session.flush()
    session.add_all(AccessItem(request_id=row.id, recording_id=r.id) for r in recordings)
    session.flush()
    after = {**_facts(row), "recordings": [r.id for r in recordings]}
    record(session, actor, AccessEvent.REQUESTED, ("access_request", row.id), after=after)
    return row


def _check_request(data: RequestData) -> None:
    if not data.purpose.strip():
        raise InvalidInput("请写明调阅的事由（案件、用途）。", field="purpose")
    if len(data.purpose) > 1000:
        raise InvalidInput("事由最多 1000 字。", field="purpose")
    if not 1 <= data.days <= MAX_DAYS:
        raise InvalidInput(f"使用期限须为 1 至 {MAX_DAYS} 天。", field="days")
    if data.action is AccessAction.PROVIDE and not (
        data.recipient.strip() and data.recipient_org.strip()
    ):
        raise InvalidInput("向外部提供须写明接收人和接收单位。", field="recipient")
    chosen = (
        bool(data.recording_ids),
        data.activity_id is not None,
        bool(data.case_number.strip()),
    )
    if sum(chosen) != 1:
        raise InvalidInput(
            "请选择一种调阅范围：指定资料、某次执法活动或某个案件的全部资料。", field="scope"
        )
    if len(data.recording_ids) > MAX_RECORDINGS:
        raise InvalidInput(
            f"一次最多申请 {MAX_RECORDINGS} 条资料，请分批申请。", field="recording_ids"
        )


def _scope(session: Session, actor: Actor, data: RequestData) -> tuple[list[Recording], str]:
    """The recordings asked for, each one the requester may know of; anything else is
    answered as not found, naming nothing (no hint that it exists)."""
    if data.recording_ids:
        found = _visible_recordings(session, actor, set(data.recording_ids))
        return found, "资料 " + "、".join(f"#{i}" for i in sorted(set(data.recording_ids)))
    if data.activity_id is not None:
        activity = activity_queries.get_activity(
            session=session, actor=actor, activity_id=data.activity_id
        )
        return _linked(
            session, [activity.id], "本次执法活动没有关联的资料。"
        ), f"执法活动 #{activity.id}"
    number = data.case_number.strip()
    ids = list(session.scalars(select(Activity.id).where(Activity.case_number == number)))
    linked = retention_queries.recordings_of_case_number(session, number)
    found = _linked(session, ids, f"没有找到案件编号为 {number} 的资料。", also=linked)
    return found, f"案件 {number}"


def _not_disposed(
    session: Session, recordings: list[Recording], *, explicit: bool
) -> list[Recording]:
    """A disposed original cannot be viewed: asked by id, the request says so; within an
    activity or a case, the disposed ones are left out (and if nothing is left, it says so)."""
    gone = retention_queries.dispositions_of(session, [r.id for r in recordings])
    if not gone:
        return recordings
    first = gone[min(gone)]
    said = (
        f"资料 #{first.recording_id} 已于 {local(first.disposed_at)} 保存期限届满后依法销毁"
        f"（销毁批次 #{first.batch_id}），无法调阅。"
    )
    left = [r for r in recordings if r.id not in gone]
    if explicit or not left:
        raise Conflict(said, code="disposed")
    return left


def _visible_recordings(session: Session, actor: Actor, ids: set[int]) -> list[Recording]:
    stmt = select(Recording).where(Recording.id.in_(ids))
    found = list(
        session.scalars(evidence_queries.permitted(session, stmt, actor, Action.RECORDING_VIEW))
    )
    if len(found) != len(ids):
        raise NotFound("所申请的资料不存在，或不在您可以申请的范围内。")
    return found


def _linked(
    session: Session, activity_ids: list[int], empty: str, also: Sequence[int] = ()
) -> list[Recording]:
    """The recordings of the activities, and ``also`` those linked to a case directly."""
    held = select(ActivityLink.recording_id).where(
        ActivityLink.activity_id.in_(activity_ids), ActivityLink.detached_at.is_(None)
    )
    named = or_(Recording.id.in_(held), Recording.id.in_(list(also)))
    found = list(session.scalars(select(Recording).where(named).order_by(Recording.id)))
    if not found:
        raise NotFound(empty)
    if len(found) > MAX_RECORDINGS:
        raise InvalidInput(
            f"该范围共有 {len(found)} 条资料，超过一次 {MAX_RECORDINGS} 条的上限。", field="scope"
        )
    return found


def _one_unit(recordings: list[Recording]) -> int:
    units = {r.unit_id for r in recordings}
    if len(units) != 1:
        raise InvalidInput(
            "所申请的资料分属多个单位，请按采集单位分别申请（各由该单位负责人审批）。",
            field="scope",
        )
    return units.pop()


def _approver(session: Session, actor: Actor, action: AccessAction, unit_id: int) -> Approver:
    """The rule: provision outside the office → the office leader; otherwise the head of the
    unit that collected the material — unless the requester is that head (or above it)."""
    if action is AccessAction.PROVIDE:
        return Approver.OFFICE_LEADER
    heads = Role.UNIT_HEAD in actor.roles and actor.unit_id is not None
    if heads and unit_id in unit_scope(session, actor.unit_id or 0):
        return Approver.OFFICE_LEADER
    return Approver.UNIT_HEAD


def _facts(row: AccessRequest) -> dict[str, object]:
    keys = ("action", "scope", "purpose", "recipient", "recipient_org", "days", "approver",
            "approver_unit_id", "status", "decided_by", "decision_reason", "revoke_reason")  # fmt: skip
    shown: dict[str, object] = {key: getattr(row, key) for key in keys}
    for key in ("decided_at", "expires_at", "revoked_at"):
        value = getattr(row, key)
        shown[key] = value.isoformat() if value else None
    return shown


# Deciding -------------------------------------------------------------------------------------


def decide(
    *, session: Session, actor: Actor, request_id: int, approve: bool, reason: str
) -> AccessRequest:
    actor.require(Action.ACCESS_APPROVE)
    row = _for_decision(session, actor, request_id)
    now = utcnow()
    if row.status != RequestStatus.PENDING:
        raise Conflict(
            f"该申请已{RequestStatus(row.status).label}，不能再次审批。", field="approve"
        )
    if row.requested_at + timedelta(days=row.days) <= now:
        raise Conflict(
            "该申请已超过所申请的使用期限仍未审批，已失效；请申请人重新申请。", field="approve"
        )
    if not approve and not reason.strip():
        raise InvalidInput("驳回须写明理由。", field="reason")
    before = _facts(row)
    row.status = str(RequestStatus.APPROVED if approve else RequestStatus.REJECTED)
    row.decided_by_id, row.decided_by, row.decided_at = actor.person_id, actor.label, now
    row.decision_reason = reason.strip()[:1000]
    row.expires_at = now + timedelta(days=row.days) if approve else None
    session.flush()
    record(session, actor, AccessEvent.DECIDED, ("access_request", row.id), before, _facts(row))
    return row


def _for_decision(session: Session, actor: Actor, request_id: int) -> AccessRequest:
    """Locked: two approvers at once cannot both decide it. One's own request is refused by
    name (it is visible to its requester); one not routed to this actor is not found."""
    stmt = select(AccessRequest).where(AccessRequest.id == request_id).with_for_update()
    row = session.scalars(stmt).first()
    if row is not None and row.requester_id == actor.person_id:
        raise Forbidden("不能审批本人的申请。", action=str(Action.ACCESS_APPROVE))
    mine = queries.permitted(
        session,
        select(AccessRequest.id).where(AccessRequest.id == request_id),
        actor,
        Action.ACCESS_APPROVE,
    )
    if row is None or session.scalar(mine) is None:
        raise NotFound("调阅申请不存在，或不由您审批。")
    return row


def revoke(*, session: Session, actor: Actor, request_id: int, reason: str) -> AccessRequest:
    """The approver (or another who could have decided it) ends a grant before its expiry."""
    actor.require(Action.ACCESS_APPROVE)
    row = _for_decision(session, actor, request_id)
    if row.status != RequestStatus.APPROVED:
        raise Conflict("只有已批准的申请可以撤销。", field="reason")
    if not reason.strip():
        raise InvalidInput("撤销须写明理由。", field="reason")
    before = _facts(row)
    row.status, row.revoked_by, row.revoked_at = str(RequestStatus.REVOKED), actor.label, utcnow()
    row.revoke_reason = reason.strip()[:1000]
    session.flush()
    record(session, actor, AccessEvent.REVOKED, ("access_request", row.id), before, _facts(row))
    return row


# Uses and refusals ------------------------------------------------------------------------------


def refused(
    *, session: Session, actor: Actor, recording_id: int, action: AccessAction, why: Refusal
) -> None:
    """A refused attempt, for the findings (Art. 18 (3)). The caller runs it in a transaction
    of its own: the refused request itself writes nothing."""
    after = {"action": str(action), "refusal": str(why), "recording_id": recording_id}
    record(session, actor, AccessEvent.REFUSED, ("recording", recording_id), after=after)


def served(
    *,
    session: Session,
    actor: Actor,
    grant_id: int,
    recording_id: int,
    start: int,
    end: int,
    derived: bool = False,
) -> ViewSession:
    """Bytes [start, end) of a recording shown to a viewer: merged into the open viewing
    session, or a new session (audited) after a pause. Bytes of a viewing copy (``derived``)
    count, but their offsets are the copy's, so no range of the original is recorded."""
    now = utcnow()
    view = _open_session(session, actor, grant_id, recording_id, now)
    if view is None:
        view = ViewSession(request_id=grant_id, recording_id=recording_id, viewer_id=actor.person_id,
                           started_at=now, last_at=now, bytes_served=0, ranges=[])  # fmt: skip
        session.add(view)
        session.flush()
        after = {"grant": grant_id, "session": view.id, "recording_id": recording_id}
        after["viewing_copy"] = derived
        record(session, actor, AccessEvent.VIEWED, ("recording", recording_id), after=after)
    if not derived:
        view.ranges = merge_ranges([*view.ranges, [start, end]])
    view.bytes_served += max(0, end - start)
    view.last_at = now
    return view


def _open_session(
    session: Session, actor: Actor, grant_id: int, recording_id: int, now: datetime
) -> ViewSession | None:
    stmt = select(ViewSession).where(
        ViewSession.request_id == grant_id,
        ViewSession.recording_id == recording_id,
        ViewSession.viewer_id == actor.person_id,
        ViewSession.last_at > now - SESSION_IDLE,
    )
    return session.scalars(stmt.order_by(ViewSession.id.desc()).with_for_update()).first()


def merge_ranges(ranges: list[list[int]]) -> list[list[int]]:
    """Half-open byte ranges, sorted and joined where they touch or overlap."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def downloaded(*, session: Session, actor: Actor, grant_id: int, recording: Recording) -> None:
    after = {
        "grant": grant_id,
        "recording_id": recording.id,
        "sha256": recording.sha256,
        "size": recording.size,
    }
    record(session, actor, AccessEvent.DOWNLOADED, ("recording", recording.id), after=after)


def download(
    *, session: Session, actor: Actor, store: BlobStore, recording_id: int, target: BinaryIO
) -> Recording:
    """The original, byte for byte, written to ``target`` under a download grant; both digests
    checked on the way (a copy that differs from the record is refused, not handed over)."""
    grant, recording = queries.granted(
        session=session, actor=actor, recording_id=recording_id, action=AccessAction.DOWNLOAD
    )
    with store.open(recording.sha256) as handle:
        got = read_digests(cast(BinaryIO, _Tee(handle, target)))
    if (got.sha256, got.sm3) != (recording.sha256, recording.sm3):
        raise Conflict(
            "存储中的原始文件与记录的摘要不符，未交付；请安全管理员运行 lawcam verify。",
            field="recording",
        )
    downloaded(session=session, actor=actor, grant_id=grant.id, recording=recording)
    return recording


@dataclass
class _Tee:
    """A reader that also writes what it reads (hash once while copying)."""

    source: BinaryIO
    sink: BinaryIO

    def read(self, size: int = -1) -> bytes:
        block = self.source.read(size)
        self.sink.write(block)
        return block


def for_package(*, session: Session, actor: Actor, request_id: int) -> AccessRequest:
    """The requester's own approved, live provision: the only thing a package is made of."""
    row = queries.get_request(session=session, actor=actor, request_id=request_id)
    live = row.status == RequestStatus.APPROVED and row.expires_at is not None
    if row.requester_id != actor.person_id or row.action != AccessAction.PROVIDE:
        raise Conflict("只有申请人本人、经批准“向外部提供”的申请可以生成提供包。", field="request")
    if not live or (row.expires_at is not None and row.expires_at <= utcnow()):
        raise Conflict("该申请未获批准、已撤销或已过期，不能生成提供包。", field="request")
    asked = select(Recording).where(Recording.id.in_(row.recording_ids))
    _not_disposed(session, list(session.scalars(asked)), explicit=True)
    return row


def packaged(
    *, session: Session, actor: Actor, request_id: int, recording_ids: list[int], size: int
) -> None:
    after = {"grant": request_id, "recordings": recording_ids, "bytes": size}
    record(session, actor, AccessEvent.PACKAGED, ("access_request", request_id), after=after)
