"""Bring the ledger, the kept state and the store's own locks in line with the effective
retention of some recordings, in the caller's transaction (R14.2, R14.3, R15.1).

What grows is done at once, inside the transaction: a later date is a write-once extension with
its audit entry and a longer COMPLIANCE lock (``evidence.retention.extend``); an indefinite
retention puts the store's legal hold on. If the store refuses, the change is rolled back. What
lets go — a legal hold no longer needed after an approved unlink or release — is done only after
the commit: a failure then leaves the object held (safe), and ``lawcam retention recompute``
or the next change releases it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.errors import Conflict
from lawcam.evidence import retention as ledger
from lawcam.evidence.models import Recording
from lawcam.retention.effective import Retention, derive
from lawcam.retention.models import RetentionState
from lawcam.storage import BlobStore, StorageError
from lawcam.timeutil import utcnow

_RELEASE_KEY = "lawcam.retention.release_holds"


def settle(
    *, session: Session, actor: Actor, store: BlobStore, recording_ids: Iterable[int], reason: str
) -> dict[int, Retention]:
    """The effective retention of each recording, enforced; returns what was derived."""
    derived = derive(session, recording_ids)
    kept = _states(session, list(derived))
    for rid, retention in derived.items():
        _enforce(session, actor, store, retention, kept.get(rid), reason)
    return derived


def _enforce(
    session: Session,
    actor: Actor,
    store: BlobStore,
    retention: Retention,
    state: RetentionState | None,
    reason: str,
) -> None:
    recording = session.get(Recording, retention.recording_id)
    assert recording is not None  # derived from its row
    if retention.until > retention.promised:  # an archived case's date the ledger lacks
        ledger.extend(
            session=session, actor=actor, recording=recording, until=retention.until,
            reason=reason, store=store,
        )  # fmt: skip
    was_indefinite = state is not None and state.indefinite
    if retention.indefinite and not was_indefinite:
        _hold(store, recording, on=True)
    elif was_indefinite and not retention.indefinite:
        _release_after_commit(session, store, recording.sha256)
    _keep(session, retention, state)


def _keep(session: Session, retention: Retention, state: RetentionState | None) -> None:
    if state is None:
        state = RetentionState(recording_id=retention.recording_id, unit_id=retention.unit_id)
        session.add(state)
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


def _hold(store: BlobStore, recording: Recording, *, on: bool) -> None:
    try:
        store.legal_hold(recording.sha256, on)
    except StorageError as exc:
        raise Conflict(
            f"存储未能对资料 #{recording.id} 设置保全（法律保留），本次操作未保存；"
            f"请检查存储后重试。（{exc}）",
            code="storage_refused",
        ) from exc


def _release_after_commit(session: Session, store: BlobStore, sha256: str) -> None:
    pending: list[tuple[BlobStore, str]] | None = session.info.get(_RELEASE_KEY)
    if pending is None:
        pending = session.info[_RELEASE_KEY] = []
        event.listen(session, "after_commit", _release_pending, once=True)
        event.listen(session, "after_rollback", _forget_pending, once=True)
    pending.append((store, sha256))


def _release_pending(session: Session) -> None:
    for store, sha256 in session.info.pop(_RELEASE_KEY, []):
        with contextlib.suppress(StorageError):  # still held: safe; recomputation releases it
            store.legal_hold(sha256, False)


def _forget_pending(session: Session) -> None:
    session.info.pop(_RELEASE_KEY, None)
