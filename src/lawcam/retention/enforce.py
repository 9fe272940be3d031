"""Bring the ledger, the kept state and the store's own locks in line with the effective
retention of some recordings, in the caller's transaction (R14.2, R14.3, R15.1).

What grows is done at once, inside the transaction: a later date is a write-once extension with
its audit entry and a longer COMPLIANCE lock (``evidence.retention.extend``); an indefinite
retention puts the store's legal hold on. If the store refuses, the change is rolled back. What
lets go — a legal hold no longer needed after an approved unlink or release — is done only after
the commit: a failure then leaves the object held (safe), and ``lawcam retention recompute``
or the next change releases it.

The store's calls wait on the network, not on this process: a case of 10^4 recordings makes
tens of thousands of them. So the database work is done first for every recording, then the
store's calls run ``POOL`` at a time, still before the transaction ends (bench/retention.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.errors import Conflict
from lawcam.evidence import retention as ledger
from lawcam.evidence.models import Recording
from lawcam.retention.effective import CHUNK, Retention, derive
from lawcam.retention.models import RetentionState
from lawcam.storage import BlobStore, StorageError
from lawcam.timeutil import utcnow

_RELEASE_KEY = "lawcam.retention.release_holds"
POOL = 8  # store calls at once (botocore keeps 10 connections per client)


def settle(
    *, session: Session, actor: Actor, store: BlobStore, recording_ids: Iterable[int], reason: str
) -> dict[int, Retention]:
    """The effective retention of each recording, enforced; returns what was derived."""
    derived = derive(session, recording_ids)
    kept = _states(session, list(derived))
    recordings = _recordings(session, list(derived))  # not one SELECT per recording
    calls = _Calls(store)
    with session.no_autoflush:  # the reads below ask nothing of rows pending here
        for rid, retention in derived.items():
            _enforce(session, actor, calls, recordings[rid], retention, kept.get(rid), reason)
    calls.run()
    return derived


def _enforce(
    session: Session,
    actor: Actor,
    calls: _Calls,
    recording: Recording,
    retention: Retention,
    state: RetentionState | None,
    reason: str,
) -> None:
    if retention.until > retention.promised:  # an archived case's date the ledger lacks
        calls.extending = (recording.id, retention.until)
        ledger.extend(
            session=session, actor=actor, recording=recording, until=retention.until,
            reason=reason, store=cast(BlobStore, calls),  # it only asks for extend_retention
        )  # fmt: skip
    was_indefinite = state is not None and state.indefinite
    if retention.indefinite and not was_indefinite:
        calls.hold(recording)
    elif was_indefinite and not retention.indefinite:
        _release_after_commit(session, calls.store, recording.sha256)
    _keep(session, recording, retention, state)


@dataclass
class _Calls:
    """The store's calls a settlement needs, gathered while the rows are written and made
    together before the transaction ends: if the store refuses one, the whole change is rolled
    back, with the words the call made one by one would have given."""

    store: BlobStore
    extending: tuple[int, date] = (0, date.min)  # the recording ``ledger.extend`` works on
    pending: list[tuple[Callable[[], object], str]] = field(default_factory=list)

    def extend_retention(self, sha256: str, retain_until: datetime) -> bool:
        """Called by ``ledger.extend`` for the original and its viewing copy: done later."""
        rid, until = self.extending
        refused = (
            f"存储未能将资料 #{rid} 的保存期限延长至 {until.isoformat()}，"
            "本次更正未保存；请检查存储后重试。"
        )
        self.pending.append((lambda: self.store.extend_retention(sha256, retain_until), refused))
        return True

    def hold(self, recording: Recording) -> None:
        sha256 = recording.sha256
        refused = (
            f"存储未能对资料 #{recording.id} 设置保全（法律保留），本次操作未保存；"
            "请检查存储后重试。"
        )
        self.pending.append((lambda: self.store.legal_hold(sha256, True), refused))

    def run(self) -> None:
        """Every call, ``POOL`` at a time; the first refusal (in order) is raised."""
        outcomes = _in_pool([call for call, _ in self.pending])
        for (_, refused), error in zip(self.pending, outcomes, strict=True):
            if error is not None:
                raise Conflict(f"{refused}（{error}）", code="storage_refused") from error


def _keep(
    session: Session, recording: Recording, retention: Retention, state: RetentionState | None
) -> None:
    if state is None:
        state = RetentionState(recording_id=retention.recording_id, unit_id=retention.unit_id)
        session.add(state)
    state.promise = recording.retain_until  # the recomputation's copy (effective.standing)
    state.retain_until = retention.until
    state.indefinite = retention.indefinite
    state.computed_at = utcnow()


def _states(session: Session, ids: list[int]) -> dict[int, RetentionState]:
    found: dict[int, RetentionState] = {}
    for start in range(0, len(ids), 500):
        stmt = select(RetentionState).where(
            RetentionState.recording_id.in_(ids[start : start + 500])
        )
        found.update({row.recording_id: row for row in session.scalars(stmt)})
    return found


def _recordings(session: Session, ids: list[int]) -> dict[int, Recording]:
    found: dict[int, Recording] = {}
    for start in range(0, len(ids), CHUNK):
        stmt = select(Recording).where(Recording.id.in_(ids[start : start + CHUNK]))
        found.update({row.id: row for row in session.scalars(stmt)})
    return found


def _in_pool(calls: list[Callable[[], object]]) -> list[StorageError | None]:
    """Each call's StorageError (None: done); one call alone is made here, without threads."""
    if len(calls) <= 1:
        return [_attempt(call) for call in calls]
    with ThreadPoolExecutor(POOL, thread_name_prefix="lawcam-settle") as pool:
        return list(pool.map(_attempt, calls))


def _attempt(call: Callable[[], object]) -> StorageError | None:
    try:
        call()
    except StorageError as exc:
        return exc
    return None


def _release_after_commit(session: Session, store: BlobStore, sha256: str) -> None:
    pending: list[tuple[BlobStore, str]] | None = session.info.get(_RELEASE_KEY)
    if pending is None:
        pending = session.info[_RELEASE_KEY] = []
        event.listen(session, "after_commit", _release_pending, once=True)
        event.listen(session, "after_rollback", _forget_pending, once=True)
    pending.append((store, sha256))


def _release_pending(session: Session) -> None:
    """Still held where this fails: safe; the recomputation releases it."""
    pending: list[tuple[BlobStore, str]] = session.info.pop(_RELEASE_KEY, [])
    _in_pool([_releasing(store, sha256) for store, sha256 in pending])


def _releasing(store: BlobStore, sha256: str) -> Callable[[], object]:
    return lambda: store.legal_hold(sha256, False)


def _forget_pending(session: Session) -> None:
    session.info.pop(_RELEASE_KEY, None)
