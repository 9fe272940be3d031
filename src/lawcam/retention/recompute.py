"""Every effective retention derived again from the rows (``lawcam retention recompute``): the
kept state corrected where it lags (a recording attached to a linked activity since, a state
lost), and where an archived case reaches further than a recording's ledger, the ledger and the
store's lock extended (audited, as every extension). Nothing is ever shortened: the state only
follows the rows, and the ledger only grows.

The comparison reads plain rows (``effective.standing``: no reasons, no ``Retention`` per
recording, the ingest promise from the kept state rather than the wide recording table); only
what lags is derived again, by ``derive``, and settled (bench/retention.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor
from lawcam.retention.effective import rows_of, standing
from lawcam.retention.enforce import settle
from lawcam.retention.models import RetentionState
from lawcam.storage import BlobStore

RECOMPUTE_LOCK = 0x6C6177726574  # "lawret": any constant, the same on every node


@dataclass
class Recomputed:
    scanned: int = 0  # recordings with more than their ingest promise
    settled: int = 0  # whose state, ledger or lock had to follow


def recompute(
    *,
    session: Session,
    actor: Actor,
    store: BlobStore,
    progress: Callable[[int], None] | None = None,
) -> Recomputed:
    actor.require(Action.CASE_MANAGE)
    _one_at_a_time(session)
    kept, forever, promises = _kept(session)
    found = standing(session, promises)
    done = Recomputed(scanned=len(found))
    # The ledger lacks an archived case's date, or the state is not what the rows say.
    lagging = [
        rid
        for rid, (promised, until, indefinite) in found.items()
        if until > promised or kept.get(rid) != until or (rid in forever) != indefinite
    ]
    if progress:  # one pass of dictionaries: about a second for 10^6 recordings
        progress(done.scanned)
    # States whose recording has nothing more than its promise now: derived again, to the promise.
    lagging += [rid for rid in forever if rid not in found]
    if lagging:
        settle(
            session=session,
            actor=actor,
            store=store,
            recording_ids=lagging,
            reason="重新计算保存期限",
        )
    done.settled = len(lagging)
    return done


def _one_at_a_time(session: Session) -> None:
    """Two recomputations at once (two nodes' schedules, the command racing one) would insert
    the same kept states: the second waits, then finds everything settled. SQLite has one
    writer anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECOMPUTE_LOCK})


def _kept(session: Session) -> tuple[dict[int, date], set[int], dict[int, date]]:
    """Each kept state's date, those kept without end, and the ingest promises the states carry
    (three plain collections: no object per state)."""
    kept: dict[int, date] = {}
    forever: set[int] = set()
    promises: dict[int, date] = {}
    stmt = select(
        RetentionState.recording_id,
        RetentionState.retain_until,
        RetentionState.indefinite,
        RetentionState.promise,
    )
    for rid, until, indefinite, promise in rows_of(session.connection(), stmt):
        kept[rid] = until
        if indefinite:
            forever.add(rid)
        if promise is not None:
            promises[rid] = promise
    return kept, forever, promises
