"""Every effective retention derived again from the rows (``lawcam retention recompute``): the
kept state corrected where it lags (a recording attached to a linked activity since, a state
lost), and where an archived case reaches further than a recording's ledger, the ledger and the
store's lock extended (audited, as every extension). Nothing is ever shortened: the state only
follows the rows, and the ledger only grows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor
from lawcam.retention.effective import Retention, scan
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
    kept = {
        rid: (until, indefinite)
        for rid, until, indefinite in session.execute(
            select(
                RetentionState.recording_id, RetentionState.retain_until, RetentionState.indefinite
            )
        )
    }
    done, lagging = Recomputed(), []
    for retention in scan(session):
        done.scanned += 1
        if _lags(retention, kept.pop(retention.recording_id, None)):
            lagging.append(retention.recording_id)
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


def _lags(retention: Retention, state: tuple[object, bool] | None) -> bool:
    if retention.until > retention.promised:  # the ledger lacks an archived case's date
        return True
    return state != (retention.until, retention.indefinite)
