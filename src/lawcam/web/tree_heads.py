"""The server's own chores while it runs, each on a daemon thread (never the event loop):
signed tree heads at intervals (a thread signs the log whenever it has grown, so that a head
is never older than the interval; several app nodes may each sign: heads are independent
statements of the same log), templates compiled once at start (so that the first visitors
do not wait for it), and abandoned uploads swept every hour."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from lawcam.audit import log
from lawcam.errors import LawcamError
from lawcam.evidence import uploads
from lawcam.web import findings_sweeps, retention_recomputes

logger = logging.getLogger("lawcam.tree_heads")
SWEEP_EVERY_S = 3600


def _sign_now(app: FastAPI) -> None:
    try:
        with app.state.database.unit_of_work() as session:
            log.make_head(session=session, signer=app.state.signer.current())
    except (SQLAlchemyError, LookupError) as exc:  # logged and tried again next interval
        logger.warning("could not sign a tree head: %s", exc)


def _run(app: FastAPI, minutes: int, stop: threading.Event) -> None:
    while not stop.wait(minutes * 60):
        _sign_now(app)


def _sweep_now(app: FastAPI) -> None:
    settings = app.state.settings
    idle = timedelta(hours=settings.upload_abandon_hours)
    try:
        with app.state.database.unit_of_work() as session:
            uploads.sweep_abandoned(session=session, spool=settings.upload_spool, idle=idle)
    except (SQLAlchemyError, LawcamError, OSError) as exc:  # tried again next hour
        logger.warning("could not sweep abandoned uploads: %s", exc)


def _chores(app: FastAPI, stop: threading.Event) -> None:
    env = app.state.templates.env
    for name in env.list_templates():
        env.get_template(name)
    _sweep_now(app)
    while not stop.wait(SWEEP_EVERY_S):
        _sweep_now(app)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    minutes = app.state.settings.tree_head_minutes
    stop = threading.Event()
    thread = None
    chores = threading.Thread(target=_chores, args=(app, stop), name="lawcam-chores", daemon=True)
    chores.start()
    sweeps = findings_sweeps.start(app, stop)  # 第十八条: findings swept on a schedule
    recomputes = retention_recomputes.start(app, stop)  # 第十四条: states and holds follow
    if minutes > 0:
        thread = threading.Thread(
            target=_run, args=(app, minutes, stop), name="lawcam-tree-heads", daemon=True
        )
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=5)
        chores.join(timeout=5)
        for schedule in (sweeps, recomputes):
            if schedule is not None:
                schedule.join(timeout=5)
