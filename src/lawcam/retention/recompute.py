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

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor
from lawcam.retention.effective import standing
from lawcam.retention.enforce import settle
from lawcam.retention.models import RetentionState
from lawcam.storage import BlobStore


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
    kept, promises = _kept(session)
    done, lagging = Recomputed(), []
    for rid, promised, until, indefinite in standing(session, promises):
        done.scanned += 1
        state = kept.pop(rid, None)
        # The ledger lacks an archived case's date, or the state is not what the rows say.
        if until > promised or state != (until, indefinite):
            lagging.append(rid)
        if progress and done.scanned % 10_000 == 0:
            progress(done.scanned)
    # States whose recording has nothing more than its promise now: derived again, to the promise.
    lagging += [rid for rid, (_until, indefinite) in kept.items() if indefinite]
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


def _kept(session: Session) -> tuple[dict[int, tuple[date, bool]], dict[int, date]]:
    """Each kept state as (date, indefinite), and the ingest promises the states carry."""
    kept: dict[int, tuple[date, bool]] = {}
    promises: dict[int, date] = {}
    stmt = select(
        RetentionState.recording_id,
        RetentionState.retain_until,
        RetentionState.indefinite,
        RetentionState.promise,
    )
    for rid, until, indefinite, promise in session.connection().execute(stmt):
        kept[rid] = (until, indefinite)
        if promise is not None:
            promises[rid] = promise
    return kept, promises
