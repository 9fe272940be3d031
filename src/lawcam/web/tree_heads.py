"""Signed tree heads at intervals while the server runs: a daemon thread signs the log
whenever it has grown, so that a head is never older than the interval. Several app nodes may each sign: heads are independent statements of the same log."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from lawcam.audit import log

logger = logging.getLogger("lawcam.tree_heads")


def _sign_now(app: FastAPI) -> None:
    try:
        with app.state.database.unit_of_work() as session:
            log.make_head(session=session, signer=app.state.signer)
    except (SQLAlchemyError, LookupError) as exc:  # logged and tried again next interval
        logger.warning("could not sign a tree head: %s", exc)


def _run(app: FastAPI, minutes: int, stop: threading.Event) -> None:
    while not stop.wait(minutes * 60):
        _sign_now(app)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    minutes = app.state.settings.tree_head_minutes
    stop = threading.Event()
    thread = None
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
