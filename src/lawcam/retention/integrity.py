"""What verify checks of retention (R14.2, R14.3, R15.1): the kept state against the rows it is
derived from, and, on a store that locks, the store's legal hold on every recording kept
without end (an open or unarchived case, a 永久 case, a hold)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.integrity import Collector
from lawcam.evidence.models import Recording
from lawcam.retention.effective import Retention, scan
from lawcam.retention.models import RetentionState
from lawcam.storage import BlobStore, StorageError


def check_retention(session: Session, store: BlobStore, found: Collector) -> None:
    kept = {row.recording_id: row for row in session.scalars(select(RetentionState))}
    indefinite: list[int] = []
    for retention in scan(session):
        _check_state(found, retention, kept.get(retention.recording_id))
        if retention.indefinite:
            indefinite.append(retention.recording_id)
    _check_holds(session, store, indefinite, found)


def _check_state(found: Collector, retention: Retention, state: RetentionState | None) -> None:
    """A state that lags the rows (a recording attached to a linked activity since): the
    reports would be wrong until ``lawcam retention recompute`` (disposal re-derives anyway)."""
    if state is None or (state.retain_until, state.indefinite) != (
        retention.until,
        retention.indefinite,
    ):
        shown = "none" if state is None else f"{state.retain_until} indefinite={state.indefinite}"
        found.add(
            "retention_state_stale",
            f"recording:{retention.recording_id}",
            f"kept state {shown}; the rows give {retention.until} indefinite={retention.indefinite}",
        )


def _check_holds(session: Session, store: BlobStore, ids: list[int], found: Collector) -> None:
    for start in range(0, len(ids), 500):
        stmt = select(Recording.id, Recording.sha256).where(
            Recording.id.in_(ids[start : start + 500])
        )
        for rid, sha256 in session.execute(stmt):
            try:
                protection = store.protection(sha256)
            except StorageError as exc:
                found.add(
                    "object_unreadable", f"recording:{rid}", f"its protection is unreadable: {exc}"
                )
                continue
            if protection is not None and protection.store_locks and not protection.legal_hold:
                found.add(
                    "object_not_held",
                    f"recording:{rid}",
                    "kept without end (an unarchived or 永久 case, or a hold), but the store has no legal hold on it",
                )
