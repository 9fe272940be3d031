"""Disposal after retention (第十四条第（二）项, R14.2, R15.1): never automatic, never early.

A unit's device administrator proposes a batch of recordings whose effective retention has
passed, in no open case and under no hold (a dry run shows exactly which, and the same words say
why any other is kept); the unit head approves, then engineering supervision — two people other
than the proposer. Running an approved batch derives each recording's retention again from the
rows (never from a cache), removes its objects (on S3 the store itself refuses while its lock
or a legal hold stands) and writes a tombstone: a signed disposition record that is also the
audit entry. Each recording is its own transaction, so a failure halfway leaves every removed
original with its record."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Exists, and_, exists, or_, select
from sqlalchemy.orm import Session

from lawcam.audit.service import canonical_json, record
from lawcam.audit.signing import Signer
from lawcam.authz import Action, Actor, Role
from lawcam.db import Database
from lawcam.errors import Conflict, Forbidden, InvalidInput, required_text
from lawcam.evidence.models import Disposition, Recording
from lawcam.evidence.queries import viewing_copy_of
from lawcam.evidence.types import EvidenceEvent
from lawcam.retention import queries
from lawcam.retention.effective import Retention, derive
from lawcam.retention.models import (
    CaseLink,
    DisposalBatch,
    DisposalItem,
    PenaltyCase,
    RetentionState,
)
from lawcam.retention.service import REASON_MAX, locked
from lawcam.retention.types import DisposalStatus, Outcome, RetentionEvent, term_label
from lawcam.storage import BlobStore, StorageError, StorageLocked
from lawcam.timeutil import local, today_shanghai, utcnow

MAX_BATCH = 5000


def candidates(
    *, session: Session, actor: Actor, unit_id: int, today: date | None = None
) -> list[Retention]:
    """Recordings of the unit whose effective retention has passed (a read; the dry run)."""
    actor.require(Action.DISPOSAL_PROPOSE)
    _check_unit(session, actor, unit_id, Action.DISPOSAL_PROPOSE)
    day = today or today_shanghai()
    stmt = (
        select(Recording.id)
        .outerjoin(RetentionState, RetentionState.recording_id == Recording.id)
        .where(Recording.unit_id == unit_id, Recording.retain_until < day, ~_disposed())
        .where(
            or_(
                RetentionState.recording_id.is_(None),
                and_(RetentionState.indefinite.is_(False), RetentionState.retain_until < day),
            )
        )
        .order_by(Recording.id)
        .limit(MAX_BATCH)
    )
    found = derive(session, session.scalars(stmt))
    return [r for r in found.values() if r.expired(day)]


def why_kept(retention: Retention, today: date) -> str | None:
    """None when the recording may be disposed of today; otherwise why not, in words."""
    if retention.indefinite:
        return "；".join(r for r in retention.reasons if "归档后" not in r) or "保存期限未届满"
    if retention.until >= today:
        return f"保存期限至 {retention.until.isoformat()}，尚未届满"
    return None


def propose(
    *,
    session: Session,
    actor: Actor,
    unit_id: int,
    reason: str,
    recording_ids: Sequence[int] | None = None,
    today: date | None = None,
) -> DisposalBatch:
    """A batch of the given recordings (each must be disposable today) or of every candidate."""
    actor.require(Action.DISPOSAL_PROPOSE)
    why = required_text(reason, "理由", REASON_MAX, "reason")
    day = today or today_shanghai()
    chosen = _chosen(session, actor, unit_id, recording_ids, day)
    batch = DisposalBatch(
        unit_id=unit_id, reason=why, status=str(DisposalStatus.PROPOSED),
        proposed_by=actor.label, proposed_by_id=actor.person_id, proposed_at=utcnow(),
    )  # fmt: skip
    session.add(batch)
    session.flush()
    for retention in chosen:
        item = DisposalItem(recording_id=retention.recording_id, retain_until=retention.until)
        batch.items.append(item)
    session.flush()
    after = {**batch.snapshot(), "recording_ids": [r.recording_id for r in chosen]}
    record(
        session, actor, RetentionEvent.DISPOSAL_PROPOSED, ("disposal_batch", batch.id), after=after
    )
    return batch


def _chosen(
    session: Session, actor: Actor, unit_id: int, ids: Sequence[int] | None, day: date
) -> list[Retention]:
    if ids is None:
        found = candidates(session=session, actor=actor, unit_id=unit_id, today=day)
        pending = in_open_batches(session, [r.recording_id for r in found])
        found = [r for r in found if r.recording_id not in pending]
        if not found:
            raise InvalidInput("该单位没有保存期限已届满、可以销毁的资料。", field="recording_ids")
        return found
    _check_unit(session, actor, unit_id, Action.DISPOSAL_PROPOSE)
    wanted = sorted(set(ids))
    if not wanted or len(wanted) > MAX_BATCH:
        raise InvalidInput(f"请指定 1 至 {MAX_BATCH} 条资料。", field="recording_ids")
    derived = derive(session, wanted)
    pending = in_open_batches(session, wanted)
    problems = [
        _problem(session, rid, derived.get(rid), unit_id, day, pending.get(rid)) for rid in wanted
    ]
    refused = [p for p in problems if p]
    if refused:
        raise Conflict(
            "以下资料不能销毁，本批次未登记：" + "；".join(refused[:20]), code="not_disposable"
        )
    return [derived[rid] for rid in wanted]


def _problem(
    session: Session,
    rid: int,
    retention: Retention | None,
    unit_id: int,
    day: date,
    batch: DisposalBatch | None,
) -> str | None:
    if retention is None or retention.unit_id != unit_id:
        return f"资料 #{rid} 不存在或不属于该单位"
    if queries.disposition_of(session, rid) is not None:
        return f"资料 #{rid} 已销毁"
    if batch is not None:
        return f"资料 #{rid} 已在销毁批次 #{batch.id} 中（{DisposalStatus(batch.status).label}）"
    kept = why_kept(retention, day)
    return None if kept is None else f"资料 #{rid}：{kept}"


OPEN = (DisposalStatus.PROPOSED, DisposalStatus.HEAD_APPROVED, DisposalStatus.APPROVED)


def in_open_batches(session: Session, recording_ids: Sequence[int]) -> dict[int, DisposalBatch]:
    """The batch not yet decided against or run that already holds each recording: one
    recording is proposed once at a time."""
    found: dict[int, DisposalBatch] = {}
    ids = list(recording_ids)
    for start in range(0, len(ids), 500):
        stmt = (
            select(DisposalItem.recording_id, DisposalBatch)
            .join(DisposalBatch, DisposalBatch.id == DisposalItem.batch_id)
            .where(
                DisposalItem.recording_id.in_(ids[start : start + 500]),
                DisposalItem.outcome == "",
                DisposalBatch.status.in_([str(s) for s in OPEN]),
            )
        )
        found.update({rid: batch for rid, batch in session.execute(stmt)})
    return found


def approve(*, session: Session, actor: Actor, batch: DisposalBatch) -> None:
    """First the unit head, then engineering supervision; neither the proposer, nor twice."""
    actor.require(Action.DISPOSAL_APPROVE)
    locked(session, batch)  # two approvals at once: the second sees the first
    _not_party(actor, batch)
    before = batch.snapshot()
    if batch.status == DisposalStatus.PROPOSED:
        _as(actor, Role.UNIT_HEAD, "单位负责人", batch)
        _check_unit(session, actor, batch.unit_id, Action.DISPOSAL_APPROVE)
        batch.head_by, batch.head_by_id, batch.head_at = actor.label, actor.person_id, utcnow()
        batch.status = str(DisposalStatus.HEAD_APPROVED)
    elif batch.status == DisposalStatus.HEAD_APPROVED:
        _as(actor, Role.ENGINEERING, "工程监管处", batch)
        batch.supervision_by, batch.supervision_by_id = actor.label, actor.person_id
        batch.supervision_at, batch.status = utcnow(), str(DisposalStatus.APPROVED)
    else:
        raise Conflict(
            f"销毁批次 #{batch.id} {DisposalStatus(batch.status).label}，不能审批。", code="decided"
        )
    record(
        session, actor, RetentionEvent.DISPOSAL_APPROVED, ("disposal_batch", batch.id),
        before=before, after=batch.snapshot(),
    )  # fmt: skip


def reject(*, session: Session, actor: Actor, batch: DisposalBatch, reason: str) -> None:
    actor.require(Action.DISPOSAL_APPROVE)
    why = required_text(reason, "理由", REASON_MAX, "reason")
    locked(session, batch)
    _not_party(actor, batch)
    if batch.status not in (DisposalStatus.PROPOSED, DisposalStatus.HEAD_APPROVED):
        raise Conflict(
            f"销毁批次 #{batch.id} {DisposalStatus(batch.status).label}，不能驳回。", code="decided"
        )
    step = Role.UNIT_HEAD if batch.status == DisposalStatus.PROPOSED else Role.ENGINEERING
    _as(actor, step, "单位负责人" if step is Role.UNIT_HEAD else "工程监管处", batch)
    _check_unit(session, actor, batch.unit_id, Action.DISPOSAL_APPROVE)
    before = batch.snapshot()
    batch.rejected_by, batch.rejected_at, batch.reject_reason = actor.label, utcnow(), why
    batch.status = str(DisposalStatus.REJECTED)
    record(
        session, actor, RetentionEvent.DISPOSAL_REJECTED, ("disposal_batch", batch.id),
        before=before, after=batch.snapshot(),
    )  # fmt: skip


@dataclass
class RunReport:
    batch_id: int
    outcomes: dict[int, str] = field(default_factory=dict)  # recording id -> Outcome
    notes: dict[int, str] = field(default_factory=dict)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for value in self.outcomes.values() if value == outcome)


def run(
    *,
    database: Database,
    actor: Actor,
    store: BlobStore,
    signer: Signer,
    batch_id: int,
    progress: Callable[[int, int], None] | None = None,
) -> RunReport:
    """Run an approved batch, one recording per transaction (an item already done is skipped,
    so a run stopped halfway can be run again)."""
    with database.unit_of_work() as session:
        batch = _runnable(session, actor, batch_id)
        todo = [item.id for item in batch.items if not item.outcome]
    report = RunReport(batch_id)
    for done, item_id in enumerate(todo, start=1):
        with database.unit_of_work() as session:
            _run_item(session, actor, store, signer, item_id, report)
        if progress:
            progress(done, len(todo))
    with database.unit_of_work() as session:
        _finish(session, actor, batch_id, report)
    return report


def _runnable(session: Session, actor: Actor, batch_id: int) -> DisposalBatch:
    actor.require(Action.DISPOSAL_PROPOSE)
    batch = queries.get_batch(session=session, actor=actor, batch_id=batch_id)
    if batch.status != DisposalStatus.APPROVED:
        raise Conflict(
            f"销毁批次 #{batch.id} {DisposalStatus(batch.status).label}：只有经单位负责人和工程监管处"
            "两级批准的批次才能执行。",
            code="not_approved",
        )
    return batch


def _run_item(
    session: Session,
    actor: Actor,
    store: BlobStore,
    signer: Signer,
    item_id: int,
    report: RunReport,
) -> None:
    item = session.get(DisposalItem, item_id)
    assert item is not None
    stmt = select(Recording).where(Recording.id == item.recording_id).with_for_update()
    recording = session.scalars(stmt).one()  # a hold or link waits for this to end
    outcome, note = _dispose(session, actor, store, signer, item, recording)
    item.outcome, item.note = str(outcome), note[:500]
    report.outcomes[recording.id], report.notes[recording.id] = str(outcome), note


def _dispose(
    session: Session,
    actor: Actor,
    store: BlobStore,
    signer: Signer,
    item: DisposalItem,
    recording: Recording,
) -> tuple[Outcome, str]:
    if queries.disposition_of(session, recording.id) is not None:
        return Outcome.DISPOSED, "此前已销毁"
    retention = derive(session, [recording.id])[recording.id]
    kept = why_kept(retention, today_shanghai())
    if kept is not None:
        return Outcome.KEPT, f"提议后保存期限变化：{kept}"
    try:
        _remove(session, store, recording)
    except StorageLocked as exc:
        return Outcome.REFUSED, f"存储拒绝删除（锁定尚未到期或处于法律保留）：{exc}"
    except StorageError as exc:
        return Outcome.REFUSED, f"存储出错，未删除：{exc}"
    _tombstone(session, actor, signer, item, recording, retention)
    return Outcome.DISPOSED, ""


def _remove(session: Session, store: BlobStore, recording: Recording) -> None:
    """The viewing copy first (derived, locked as long), then the original: a refusal of
    either leaves the original in place."""
    copy = viewing_copy_of(session, recording.id)
    if copy is not None:
        store.dispose(copy.sha256)
    store.dispose(recording.sha256)


def _tombstone(
    session: Session,
    actor: Actor,
    signer: Signer,
    item: DisposalItem,
    recording: Recording,
    retention: Retention,
) -> Disposition:
    batch = session.get(DisposalBatch, item.batch_id)
    assert batch is not None
    now = utcnow()
    facts = _record(session, actor, batch, recording, retention, now)
    message = canonical_json(facts)
    disposition = Disposition(
        recording_id=recording.id, batch_id=batch.id, sha256=recording.sha256,
        sm3=recording.sm3, size=recording.size, retain_until=retention.until, disposed_at=now,
        disposed_by=actor.label, record=message, key_id=signer.key_id,
        signature=base64.b64encode(signer.sign(message.encode())).decode("ascii"),
    )  # fmt: skip
    session.add(disposition)
    session.flush()
    after = {"disposition": disposition.snapshot()}
    record(
        session, actor, EvidenceEvent.RECORDING_DISPOSED, ("recording", recording.id), after=after
    )
    return disposition


def _record(
    session: Session,
    actor: Actor,
    batch: DisposalBatch,
    recording: Recording,
    retention: Retention,
    now: object,
) -> dict[str, object]:
    """What the signed disposition says: enough to prove, offline, what was removed, why it
    was due, and who approved it."""
    return {
        "recording": {
            "id": recording.id, "sha256": recording.sha256, "sm3": recording.sm3,
            "size": recording.size, "original_name": recording.original_name,
            "unit_id": recording.unit_id, "officer_id": recording.officer_id,
            "start_at": recording.start_at.isoformat(), "ingested_at": recording.ingested_at.isoformat(),
        },
        "retention": {"promised": recording.retain_until.isoformat(), "until": retention.until.isoformat()},
        "cases": _cases_served(session, recording.id),
        "batch": {
            "id": batch.id, "reason": batch.reason, "proposed_by": batch.proposed_by,
            "proposed_at": local(batch.proposed_at), "head_by": batch.head_by,
            "head_at": local(batch.head_at), "supervision_by": batch.supervision_by,
            "supervision_at": local(batch.supervision_at),
        },
        "disposed_at": str(now),
        "disposed_by": actor.label,
    }  # fmt: skip


def _cases_served(session: Session, recording_id: int) -> list[dict[str, object]]:
    """Every case the recording was ever linked to directly, with its dates and term."""
    stmt = (
        select(PenaltyCase)
        .join(CaseLink, CaseLink.case_id == PenaltyCase.id)
        .where(CaseLink.recording_id == recording_id)
        .distinct()
    )
    return [
        {
            "number": case.number,
            "archived_on": case.archived_on.isoformat() if case.archived_on else None,
            "term": term_label(case.term_years),
        }
        for case in session.scalars(stmt)
    ]


def _finish(session: Session, actor: Actor, batch_id: int, report: RunReport) -> None:
    batch = session.get(DisposalBatch, batch_id)
    assert batch is not None
    if all(item.outcome for item in batch.items):
        batch.status = str(DisposalStatus.DONE)
    batch.run_by, batch.run_at = actor.label, utcnow()
    counts = {str(outcome): report.count(outcome) for outcome in Outcome}
    record(
        session, actor, RetentionEvent.DISPOSAL_RUN, ("disposal_batch", batch.id),
        after={**batch.snapshot(), "outcomes": counts},
    )  # fmt: skip


def _disposed() -> Exists:
    return exists().where(Disposition.recording_id == Recording.id)


def _not_party(actor: Actor, batch: DisposalBatch) -> None:
    if actor.person_id is None:
        return
    if actor.person_id == batch.proposed_by_id:
        raise Forbidden("不能审批本人提出的销毁批次。", action=str(Action.DISPOSAL_APPROVE))
    if actor.person_id in (batch.head_by_id, batch.supervision_by_id):
        raise Conflict(f"您已审批过销毁批次 #{batch.id}，不能重复审批。", code="approved_twice")


def _as(actor: Actor, role: Role, label: str, batch: DisposalBatch) -> None:
    if role not in actor.roles:
        raise Forbidden(
            f"销毁批次 #{batch.id} 现在{DisposalStatus(batch.status).label}，须由{label}审批。",
            action=str(Action.DISPOSAL_APPROVE),
        )


def _check_unit(session: Session, actor: Actor, unit_id: int, action: Action) -> None:
    if not queries.unit_allowed(session, actor, unit_id):
        raise Forbidden("该单位不在您的管辖范围内。", action=str(action))
