"""A tiny app serving stored objects with ``ranged`` (the way the content route will), on a
real LocalStore with objects written through its writer; and a /health route that answers
from the event loop, to show that the loop is never held by a read."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, cast

from fastapi import FastAPI, Request
from fastapi.responses import Response

from lawcam.storage import BlobStore
from lawcam.web.ranges import ranged

MiB = 1024 * 1024
UNTIL = datetime.now(UTC) + timedelta(days=2)


def put(store: BlobStore, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    writer = store.writer()
    for start in range(0, len(data), MiB):
        writer.write(data[start : start + MiB])
    assert writer.publish(digest, UNTIL) is True
    return digest


@dataclass
class Served:
    """What on_served reported, (name, start, end) per streamed body."""

    calls: list[tuple[str, int, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def recorder(self, name: str) -> Any:
        def record(start: int, end: int) -> None:
            with self.lock:
                self.calls.append((name, start, end))

        return record

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[str, int, int]]:
        deadline = time.monotonic() + timeout
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.calls)


class Counting:
    """A store whose ranged streams count the bytes read and can sleep before each read (a
    slow disk or a remote store): a read on the event loop would then stall every request."""

    def __init__(self, store: BlobStore, delay: float = 0.0) -> None:
        self.store, self.delay = store, delay
        self.read = 0  # bytes
        self.calls = 0  # reads
        self.lock = threading.Lock()

    def open_range(self, sha256: str, start: int, end: int) -> BinaryIO:
        return cast(BinaryIO, _CountedStream(self, self.store.open_range(sha256, start, end)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


class _CountedStream:
    def __init__(self, owner: Counting, stream: BinaryIO) -> None:
        self.owner, self.stream = owner, stream

    def read(self, size: int = -1) -> bytes:
        if self.owner.delay:
            time.sleep(self.owner.delay)
        block = self.stream.read(size)
        with self.owner.lock:
            self.owner.read += len(block)
            self.owner.calls += 1
        return block

    def close(self) -> None:
        self.stream.close()


def make_app(
    store: Any, objects: dict[str, tuple[str, int]], served: Served, **options: Any
) -> FastAPI:
    """``objects``: name -> (sha256, size). GET and HEAD /content/{name} (``options`` go to
    ``ranged``); GET /health."""
    app = FastAPI()

    @app.api_route("/content/{name}", methods=["GET", "HEAD"])
    def content(name: str, request: Request) -> Response:
        sha256, size = objects[name]
        return ranged(
            request, store=store, sha256=sha256, size=size, media_type="video/mp4",
            headers={"X-Recording": name, "Cache-Control": "max-age=3600"},
            on_served=served.recorder(name), **options,
        )  # fmt: skip

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
