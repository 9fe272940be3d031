"""Effective retentions recomputed while the server runs (第十四条第（三）项): every
``retention_recompute_hours`` (0: off) a daemon thread runs ``retention recompute`` as the
server itself. It closes the one lag the changes themselves leave: a recording that joins an
activity already linked to a case (docked late, attached by hand, an activity's times amended)
is kept by the case at once in the rows — disposal derives from them — but its kept state and
the store's legal hold follow only at a recomputation. Several nodes: one at a time (the
recomputation's own lock). Stopped with the server."""

from __future__ import annotations

import logging
import threading

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from lawcam.authz import Actor
from lawcam.errors import LawcamError
from lawcam.retention.recompute import recompute
from lawcam.storage import StorageError
from lawcam.web import schedules

logger = logging.getLogger("lawcam.retention")
THREAD_NAME = "lawcam-retention-recompute"
SERVER = Actor(label="system:定时重算保存期限", source="system", console=True)


def recompute_now(app: FastAPI) -> int:
    """One recomputation; the number of recordings settled (0 when it failed: logged, tried
    at the next interval)."""
    try:
        with app.state.database.unit_of_work() as session:
            done = recompute(session=session, actor=SERVER, store=app.state.store)
            return done.settled
    except (SQLAlchemyError, LawcamError, StorageError) as exc:
        logger.warning("retention recompute failed: %s", exc)
        return 0


def start(app: FastAPI, stop: threading.Event) -> threading.Thread | None:
    """The schedule's thread, started (None when switched off); it ends when ``stop`` is set."""
    every = app.state.settings.retention_recompute_hours * 3600
    return schedules.every(every, lambda: recompute_now(app), stop, THREAD_NAME)
