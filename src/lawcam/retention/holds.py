"""Legal holds (保全): a recording kept beyond any date while litigation, a complaint or an
inquiry may need it. Placed by authorised staff with a reason; released only when one asks with
a reason and another authorised person approves. Audited; enforced on the store (a legal hold
on the S3 object while any hold or open case keeps it)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Action, Actor
from lawcam.errors import Conflict, Forbidden, InvalidInput, NotFound, required_text
from lawcam.evidence.models import Recording
from lawcam.retention import queries
from lawcam.retention.enforce import settle
from lawcam.retention.models import LegalHold
from lawcam.retention.service import REASON_MAX, locked
from lawcam.retention.types import RetentionEvent
from lawcam.storage import BlobStore
from lawcam.timeutil import utcnow

MAX_AT_ONCE = 1000


def place(
    *,
    session: Session,
    actor: Actor,
    store: BlobStore,
    recording_ids: Sequence[int],
    reason: str,
) -> list[LegalHold]:
    """One hold per recording, each audited; recordings out of scope are not found."""
    actor.require(Action.HOLD_PLACE)
    why = required_text(reason, "保全理由", REASON_MAX, "reason")
    ids = sorted(set(recording_ids))
    if not ids or len(ids) > MAX_AT_ONCE:
        raise InvalidInput(f"请指定 1 至 {MAX_AT_ONCE} 条音像资料。", field="recording_ids")
    placed = [_place(session, actor, _recording(session, actor, rid), why) for rid in ids]
    settle(session=session, actor=actor, store=store, recording_ids=ids, reason=f"保全：{why}")
    return placed


def ask_release(*, session: Session, actor: Actor, hold: LegalHold, reason: str) -> None:
    actor.require(Action.HOLD_PLACE)
    why = required_text(reason, "解除保全的理由", REASON_MAX, "reason")
    locked(session, hold)
    _live(hold)
    if hold.release_requested_at is not None:
        raise Conflict("已申请解除该保全，正待审批。", code="already_asked")
    before = hold.snapshot()
    hold.release_reason, hold.release_requested_by = why, actor.label
    hold.release_requested_by_id, hold.release_requested_at = actor.person_id, utcnow()
    record(
        session, actor, RetentionEvent.HOLD_RELEASE_ASKED, ("legal_hold", hold.id),
        before=before, after=hold.snapshot(),
    )  # fmt: skip


def approve_release(*, session: Session, actor: Actor, store: BlobStore, hold: LegalHold) -> None:
    """Another authorised person ends the hold; the recording then keeps its dated retention
    (never less than promised) and whatever else holds it."""
    actor.require(Action.HOLD_RELEASE_APPROVE)
    locked(session, hold)
    _live(hold)
    if hold.release_requested_at is None:
        raise Conflict("尚无解除保全的申请：须先说明理由提出。", code="not_asked")
    if actor.person_id is not None and actor.person_id == hold.release_requested_by_id:
        raise Forbidden("不能审批本人提出的解除保全申请。", action=str(Action.HOLD_RELEASE_APPROVE))
    before = hold.snapshot()
    hold.released_by, hold.released_at = actor.label, utcnow()
    record(
        session, actor, RetentionEvent.HOLD_RELEASED, ("legal_hold", hold.id),
        before=before, after=hold.snapshot(),
    )  # fmt: skip
    session.flush()
    settle(
        session=session, actor=actor, store=store, recording_ids=[hold.recording_id],
        reason=f"解除保全 #{hold.id}",
    )  # fmt: skip


def _place(session: Session, actor: Actor, recording: Recording, why: str) -> LegalHold:
    if queries.disposition_of(session, recording.id) is not None:
        raise Conflict(f"资料 #{recording.id} 已依法销毁，无法保全。", code="disposed")
    hold = LegalHold(
        recording_id=recording.id, unit_id=recording.unit_id, reason=why, placed_by=actor.label,
        placed_by_id=actor.person_id, placed_at=utcnow(),
    )  # fmt: skip
    session.add(hold)
    session.flush()
    record(
        session, actor, RetentionEvent.HOLD_PLACED, ("legal_hold", hold.id), after=hold.snapshot()
    )
    return hold


def _recording(session: Session, actor: Actor, recording_id: int) -> Recording:
    """A recording of a unit in the actor's scope (its facts; never its content)."""
    stmt = select(Recording).where(
        Recording.id == recording_id, queries.in_scope(session, actor, Recording.unit_id)
    )
    found = session.scalars(stmt).first()
    if found is None:
        raise NotFound(f"资料 #{recording_id} 不存在，或不在您的管辖范围内。")
    return found


def _live(hold: LegalHold) -> None:
    if hold.released_at is not None:
        raise Conflict(f"保全 #{hold.id} 已解除。", code="already_released")
