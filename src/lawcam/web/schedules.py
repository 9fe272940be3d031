"""A job run at intervals while the server runs, on a daemon thread (never the event loop):
the findings' sweeps, the retentions' recomputation. Each job logs its own failures and is
tried again at the next interval."""

from __future__ import annotations

import threading
from collections.abc import Callable


def every(
    seconds: float, job: Callable[[], object], stop: threading.Event, name: str
) -> threading.Thread | None:
    """``job`` every ``seconds`` until ``stop`` is set, on a thread named ``name``, started
    (None when ``seconds`` is 0 or less: switched off)."""
    if seconds <= 0:
        return None

    def run() -> None:
        while not stop.wait(seconds):
            job()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread
