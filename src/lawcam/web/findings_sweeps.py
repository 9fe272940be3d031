"""Sweeps for findings (第十八条) while the server runs: every ``findings_sweep_minutes`` (0: off)
a daemon thread runs ``findings sweep`` as the server itself. Several nodes may each run the
thread: on PostgreSQL the sweep takes an advisory lock, so one sweeps at a time and the next
finds nothing new (keys are unique); SQLite has one writer anyway. Stopped with the server."""

from __future__ import annotations

import logging
import threading

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from lawcam.authz import Actor
from lawcam.compliance import service
from lawcam.errors import LawcamError
from lawcam.web import schedules

logger = logging.getLogger("lawcam.findings")
THREAD_NAME = "lawcam-findings-sweep"
SERVER = Actor(label="system:定时巡检", source="system", console=True)


def sweep_now(app: FastAPI) -> int:
    """One sweep; the number of new findings (0 when it failed: logged, tried next time)."""
    try:
        with app.state.database.unit_of_work() as session:
            report = service.run_sweep(session=session, actor=SERVER, settings=app.state.settings)
            return len(report.new)
    except (SQLAlchemyError, LawcamError) as exc:
        logger.warning("findings sweep failed: %s", exc)
        return 0


def start(app: FastAPI, stop: threading.Event) -> threading.Thread | None:
    """The schedule's thread, started (None when switched off); it ends when ``stop`` is set."""
    every = app.state.settings.findings_sweep_minutes * 60
    return schedules.every(every, lambda: sweep_now(app), stop, THREAD_NAME)
