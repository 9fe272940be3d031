"""The real app served by uvicorn on 127.0.0.1:<free port> in a background thread, for tests
that need real concurrency (the browser tests, many sessions at once)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: FastAPI, lifespan: str = "off") -> Iterator[str]:
    """Yields the base URL; stops the server (and waits for it) on exit."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan=lifespan
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive():
            pytest.fail(f"uvicorn did not start on 127.0.0.1:{port}", pytrace=False)
        if time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail(f"uvicorn did not answer on 127.0.0.1:{port} in 20 s", pytrace=False)
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
