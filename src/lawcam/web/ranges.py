"""HTTP Range for one stored object (RFC 9110 §14, §15.3.7, §15.5.17): how ``<video>``,
``<audio>`` and ``<img>`` play an original in the browser (R15.2) without the server ever
holding more than one chunk of it per viewer.

A route answers with ``ranged(request, store=..., sha256=..., size=..., media_type=...)``.
What each request gets:

- one range ``bytes=a-b``, ``bytes=a-`` or a suffix ``bytes=-n`` → 206 and Content-Range; an
  end past the object is cut to it, a suffix longer than the object is the whole object;
- no range at all → 200, the whole object;
- no range-spec satisfiable (every start at or past the end, or a suffix of 0) → 416 with
  ``Content-Range: bytes */size``;
- a Range the server ignores (RFC 9110 §14.2 lets it) → 200, the whole object, as without one:
  * garbage (another unit, a spec that does not parse, an end before its start, two Range
    fields): ignoring is what the RFC names first, and the answer is no more than a request
    without a Range gets;
  * several satisfiable ranges: not multipart/byteranges. Overlapping or many small ranges
    make a multipart answer larger than the object and cost a seek (on S3 a GET) per part
    (RFC 9110 §17.15), while a 200 is one sequential read of at most ``size`` bytes, streamed
    in bounded memory like any other answer, and ``on_served`` gets one contiguous range to
    audit. Browsers' media elements never ask for several. Serving only the first is not
    allowed (a client would take it for the whole answer);
  * an If-Range that is not the strong ETag (a weak tag never matches; a date never matches,
    as no Last-Modified is sent): the original may have changed, so the whole object;
  * an empty object: no byte to point at.
- HEAD → the same status and headers, without opening the object.

Every answer carries ``Accept-Ranges: bytes``, the strong ETag (the SHA-256 in quotes: the
bytes at a content address never change), ``Cache-Control: no-store`` (evidence is not left
in browser or proxy caches) and ``X-Content-Type-Options: nosniff``.

The body is read in chunks of ``chunk_size`` bytes, each read (and the opening of the stream:
on S3 a GET) in a worker thread, never on the event loop. A client that goes away stops the
reading at the next chunk. ``on_served(start, end)`` is then called, once per streamed body
(not for HEAD or 416), in a worker thread (it may write to the database), with the half-open
range of the bytes handed to the server for sending: from the window's start up to the end of
the last chunk sent. Bytes in the socket's buffers when a client goes away count as served;
a transfer cut before its first chunk gives ``start == end``. ``keep_serving`` lets the caller
stop a long body midway (see ``ranged``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import BinaryIO

import anyio
import anyio.to_thread
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from lawcam.storage import BlobStore, StorageError

KiB = 1024
CHUNK = 512 * KiB  # per read and per send: memory per viewer stays about this
FIRST = 64 * KiB  # the first read: on S3 a read waits for all it asks, and the viewer waits
RECHECK = 10.0  # seconds between two questions to keep_serving during one body
_SPEC = re.compile(r"([0-9]*)-([0-9]*)")
_HUGE = 10**18  # stands for any number too long to parse (more bytes than any object)
UNSATISFIABLE = "请求的字节范围超出了文件大小。"
OnServed = Callable[[int, int], object]


@dataclass(frozen=True)
class Window:
    """The answer to one request: its status and the half-open byte range it carries."""

    status: int  # 200, 206 or 416
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


def ranged(
    request: Request,
    *,
    store: BlobStore,
    sha256: str,
    size: int,
    media_type: str,
    etag: str | None = None,
    headers: Mapping[str, str] | None = None,
    on_served: OnServed | None = None,
    keep_serving: Callable[[], bool] | None = None,
    recheck: float = RECHECK,
    chunk_size: int = CHUNK,
) -> Response:
    """The answer to a GET or HEAD of the stored object ``sha256`` of ``size`` bytes (from the
    caller's row): 200, 206 or 416 as the module says. ``headers`` are added to the answer
    (the range headers, Cache-Control and nosniff are this function's and win). A missing or
    short object raises StorageError before any header is sent.

    ``keep_serving``, when given, is asked in a worker thread every ``recheck`` seconds while
    a body is being sent (a grant that expires or is revoked during a long answer: a
    browser plays a whole recording through one ``bytes=0-`` answer); False stops the body
    there, the connection is closed short of its Content-Length (uvicorn logs "returned
    without completing response") and ``on_served`` gets what went out."""
    etag = etag or f'"{sha256}"'
    window = select(
        request.headers.getlist("range"), request.headers.getlist("if-range"), size, etag
    )
    fixed = _headers(headers, window, size, etag)
    if window.status == 416:
        body = {"error": {"code": "range_not_satisfiable", "message": UNSATISFIABLE}}
        return JSONResponse(body, status_code=416, headers=fixed)
    source = _Source(store, sha256, chunk_size, keep_serving, recheck)
    head = request.method == "HEAD"
    return StoredBody(source, window, fixed, media_type, None if head else on_served, head)


def select(ranges: list[str], if_ranges: list[str], size: int, etag: str) -> Window:
    """Which bytes a request gets, from its Range and If-Range fields (each as many times as
    it came: a field given twice is invalid and ignored)."""
    whole = Window(200, 0, size)
    if len(ranges) != 1 or size == 0 or not _if_range_holds(if_ranges, etag):
        return whole
    specs = parse(ranges[0])
    if specs is None:
        return whole
    satisfiable = [w for w in (_resolve(spec, size) for spec in specs) if w is not None]
    if not satisfiable:
        return Window(416, 0, 0)
    if len(specs) > 1:
        return whole
    return satisfiable[0]


def _if_range_holds(if_ranges: list[str], etag: str) -> bool:
    """Whether the Range may be used: no If-Range, or exactly the strong ETag (RFC 9110
    §13.1.5: strong comparison; a weak tag or a date means the whole object)."""
    if not if_ranges:
        return True
    return len(if_ranges) == 1 and if_ranges[0].strip() == etag and not etag.startswith("W/")


def parse(value: str) -> list[tuple[int | None, int | None]] | None:
    """The range-specs of a Range field as (first, last) byte positions, inclusive as written
    (None where left out: ``a-`` or ``-n``); None when the field is not a bytes range set."""
    unit, equals, specs = value.partition("=")
    if not equals or unit.lower() != "bytes":
        return None
    found = []
    for item in specs.split(","):
        item = item.strip(" \t")
        if not item:
            continue  # the list syntax allows empty elements
        spec = _spec(item)
        if spec is None:
            return None
        found.append(spec)
    return found or None


def _spec(item: str) -> tuple[int | None, int | None] | None:
    match = _SPEC.fullmatch(item)
    if match is None or not (match[1] or match[2]):
        return None
    first = _number(match[1]) if match[1] else None
    last = _number(match[2]) if match[2] else None
    if first is not None and last is not None and last < first:
        return None
    return first, last


def _number(digits: str) -> int:
    """Python refuses to parse very long numbers; any that long is past every object's end."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else _HUGE


def _resolve(spec: tuple[int | None, int | None], size: int) -> Window | None:
    """The bytes one range-spec selects of an object of ``size`` bytes; None when none."""
    first, last = spec
    if first is None:  # a suffix: the last ``last`` bytes (``_spec`` gives one of the two)
        return Window(206, max(0, size - (last or 0)), size) if last else None
    if first >= size:
        return None
    end = size if last is None else min(last + 1, size)
    return Window(206, first, end)


def _headers(
    given: Mapping[str, str] | None, window: Window, size: int, etag: str
) -> dict[str, str]:
    fixed = {key.lower(): value for key, value in (given or {}).items()}
    fixed.update(
        {
            "accept-ranges": "bytes",
            "etag": etag,
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
        }
    )
    if window.status == 416:
        fixed["content-range"] = f"bytes */{size}"
        return fixed
    fixed["content-length"] = str(window.end - window.start)
    if window.status == 206:
        fixed["content-range"] = f"bytes {window.start}-{window.end - 1}/{size}"
    return fixed


@dataclass(frozen=True)
class _Source:
    store: BlobStore
    sha256: str
    chunk_size: int
    keep_serving: Callable[[], bool] | None
    recheck: float

    def open(self, window: Window) -> BinaryIO:
        return self.store.open_range(self.sha256, window.start, window.end)


@dataclass
class _Progress:
    """How far a body got: bytes handed to the server, whether the client went away."""

    sent: int = 0
    cut: bool = False


class StoredBody(Response):
    """One window of a stored object, read off the event loop and sent chunk by chunk."""

    def __init__(
        self,
        source: _Source,
        window: Window,
        headers: Mapping[str, str],
        media_type: str,
        on_served: OnServed | None,
        head: bool,
    ) -> None:
        self.status_code = window.status
        self.media_type = media_type
        self.background = None
        self.init_headers(headers)
        self.source, self.window, self.on_served, self.head = source, window, on_served, head

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = {
            "type": "http.response.start",
            "status": self.status_code,
            "headers": self.raw_headers,
        }
        if self.head:
            await send(start)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        stream, first = await anyio.to_thread.run_sync(self._open)
        progress = _Progress()
        try:
            await send(start)
            await self._stream(stream, first, receive, send, progress)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._finish, stream, progress)

    def _open(self) -> tuple[BinaryIO, bytes]:
        """In a worker thread: the stream and its first small block, in one trip (the viewer
        waits for both; on S3 a read waits for all it asks, hence a small first one)."""
        stream = self.source.open(self.window)
        try:
            return stream, stream.read(min(FIRST, self.source.chunk_size, self.window.length))
        except BaseException:
            stream.close()
            raise

    async def _stream(
        self, stream: BinaryIO, first: bytes, receive: Receive, send: Send, progress: _Progress
    ) -> None:
        """Chunks until the window is sent or the client goes away (which cancels the reading
        at its next step: a read in progress finishes first, its chunk is not sent)."""
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(_watch_disconnect, receive, group.cancel_scope, progress)
                await self._pump(stream, first, send, progress)
                group.cancel_scope.cancel()
        except BaseExceptionGroup as failed:  # anyio groups even one error: log that one
            if len(failed.exceptions) == 1:
                raise failed.exceptions[0] from None
            raise

    async def _pump(self, stream: BinaryIO, block: bytes, send: Send, progress: _Progress) -> None:
        remaining, checked = self.window.length, time.monotonic()
        while remaining > 0:
            if not block:
                raise StorageError(f"{self.source.sha256} ended {remaining} bytes early")
            if not await _send(send, block, progress):
                return
            remaining -= len(block)
            if remaining and self._due(checked):
                checked = time.monotonic()
                if not await anyio.to_thread.run_sync(self._keep_serving):
                    return  # the connection is closed short: the client sees it cut
            if remaining:
                size = min(self.source.chunk_size, remaining)
                block = await anyio.to_thread.run_sync(stream.read, size)
        await _send(send, b"", progress, more=False)

    def _due(self, checked: float) -> bool:
        keep = self.source.keep_serving
        return keep is not None and time.monotonic() - checked >= self.source.recheck

    def _keep_serving(self) -> bool:
        keep = self.source.keep_serving
        return keep is None or keep()

    def _finish(self, stream: BinaryIO, progress: _Progress) -> None:
        """In a worker thread: close the stream (on S3 drop the connection rather than drain
        it), then report what was served."""
        try:
            stream.close()
        finally:
            if self.on_served is not None:
                self.on_served(self.window.start, self.window.start + progress.sent)


async def _send(send: Send, block: bytes, progress: _Progress, more: bool = True) -> bool:
    """Hand one chunk to the server; False when the client is gone (an ASGI 2.4 server says
    so with OSError; uvicorn drops the chunk silently, and the watcher has seen it)."""
    if progress.cut:
        return False
    try:
        await send({"type": "http.response.body", "body": block, "more_body": more})
    except OSError:
        progress.cut = True
        return False
    if progress.cut:
        return False
    progress.sent += len(block)
    return True


async def _watch_disconnect(
    receive: Receive, scope: anyio.CancelScope, progress: _Progress
) -> None:
    """Cancel the body's reading when the client goes away (a request body is drained)."""
    while (await receive())["type"] != "http.disconnect":
        continue
    progress.cut = True
    scope.cancel()
