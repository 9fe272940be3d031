"""Playback by HTTP Range (issue 16, item 4): viewers seeking at random in originals through a
live server, against floors measured in the same run.

The data: ``--files`` originals of ``--size-mib`` (default 4 × 1 GiB; ``--quick`` 4 × 64 MiB),
random-ish bytes (every 8 MiB block different), written through the store's own writer: the
local store (a folder), or with ``--s3`` a SeaweedFS started here (``weed mini`` on loopback,
as the tests start it). Every original is read once before anything is timed, so the server
and the floors all read from the page cache (the machine is shared; caches cannot be dropped).

The server: this script's ``make_app`` under uvicorn in its own process(es) (their RSS is
theirs alone, and the load generator does not share their interpreter), with the production
defaults (h11, asyncio; ``--workers`` processes, default 1), one route ``GET /content/{i}``
answering ``lawcam.web.ranges.ranged`` (no database, no grant check: the ranged path alone),
``/health`` and ``/served`` (what ``on_served`` was told, per process).

The load: ``--viewers`` threads (default 50), each with its own keep-alive connection. A viewer
seeks: picks an original and an offset at random, asks ``Range: bytes=a-b`` for
``--range-mib`` (default 2 MiB, what a browser buffers after a seek), reads the answer into a
buffer and checks its first and last 4 KiB against the file. TTFB is the time from sending the
request to the first body bytes received. Two phases of ``--seconds`` each:

- play: each viewer watches what it fetched at ``--bitrate`` (default 8 Mbit/s, a body
  camera's 1080p) before seeking again, the viewers starting at random moments of the first
  range's playing time: the load of fifty people watching; the TTFB goal is for this phase;
- flat out: no pause, every viewer fetches as fast as it can: the server's throughput;
- with ``--s3`` also "play, S3 direct": the play phase again with the viewers' GETs going
  straight to SeaweedFS (first read 64 KiB, as the server's): the store's own share of the
  TTFB at that moment.

Floors, over the very ranges of the flat-out phase, with as many threads as viewers, in chunks
of the server's size:

- direct: read from the files (``os.preadv``; with ``--s3`` ranged GETs straight to the same
  SeaweedFS, one client per thread): the throughput goal's floor (issue 16);
- loopback: the same bytes sent with ``os.sendfile`` over loopback TCP to a reader per range:
  what the machine moves between two sockets with no HTTP and no Python per byte, for context.

Reported: TTFB p50/p95/max per phase, throughputs and ratios, the server's RSS before the
first phase, after the last and its peak (VmHWM), CPU seconds of server and load generator,
and the load average (other sessions share the machine). Goals (issue 16): TTFB p95 ≤ 100 ms,
throughput ≥ 0.8 × direct, RSS flat.

Usage: python bench/playback.py [--viewers 50] [--files 4] [--size-mib 1024] [--range-mib 2]
                                [--bitrate 8] [--seconds 20] [--chunk-kib 512] [--workers 1]
                                [--s3] [--quick] [--workdir DIR] [--keep] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.seaweed starts SeaweedFS as the S3 tests do

from fastapi import FastAPI, Request  # noqa: E402  (module level: the route's annotations)
from fastapi.responses import Response  # noqa: E402

from lawcam.storage import BlobStore, open_store  # noqa: E402
from lawcam.storage.local import LocalStore  # noqa: E402
from lawcam.web.ranges import FIRST, ranged  # noqa: E402

MIB = 1024 * 1024
BLOCK = 8 * MIB
CHECK = 4096
CONFIG_ENV = "LAWCAM_PLAYBACK_CONFIG"
GOALS = {"ttfb_p95_ms": 100.0, "ratio": 0.8}
Ranges = list[tuple[int, int, int]]  # (original, start, end), half-open


# ---------------------------------------------------------------------------------------------
# The data


def _blocks(index: int, size: int, seed: bytes) -> Iterator[bytes]:
    """Random-ish bytes: one random seed, rotated and stamped per file and per block."""
    for number, offset in enumerate(range(0, size, BLOCK)):
        shift = (index * 7919 + number * 104_729) % len(seed)
        block = (seed[shift:] + seed[:shift])[: min(BLOCK, size - offset)]
        yield struct.pack(">QQ", index, number)[: len(block)] + block[16:]


def write_originals(store: BlobStore, files: int, size: int) -> list[tuple[str, int]]:
    """(sha256, size) of each original, written through the store's writer."""
    seed = os.urandom(BLOCK)
    made = []
    for index in range(files):
        digest, writer = hashlib.sha256(), store.writer()
        for block in _blocks(index, size, seed):
            digest.update(block)
            writer.write(block)
        writer.publish(digest.hexdigest(), datetime.now(UTC) + timedelta(days=1))
        made.append((digest.hexdigest(), size))
    return made


def warm(store: BlobStore, objects: list[tuple[str, int]]) -> None:
    """Read every original once, so that server and floors all start from the page cache."""
    for sha256, size in objects:
        with store.open_range(sha256, 0, size) as stream:
            while stream.read(BLOCK):
                pass


# ---------------------------------------------------------------------------------------------
# The server (uvicorn builds it from this file, in its own process or processes)


def make_app() -> FastAPI:
    config = json.loads(Path(os.environ[CONFIG_ENV]).read_text())
    store = open_store(config["store"])
    objects = [tuple(item) for item in config["objects"]]
    served = {"bodies": 0, "bytes": 0}
    lock = threading.Lock()

    def tally(start: int, end: int) -> None:
        with lock:
            served["bodies"] += 1
            served["bytes"] += end - start

    app = FastAPI()

    @app.get("/content/{index}")
    async def content(index: int, request: Request) -> Response:
        sha256, size = objects[index]
        return ranged(request, store=store, sha256=sha256, size=size, media_type="video/mp4",
                      on_served=tally, chunk_size=config["chunk"])  # fmt: skip

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/served")
    async def report() -> dict[str, int]:
        return {**served, "pid": os.getpid()}

    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def get(self, path: str) -> Any:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path)
            return json.loads(connection.getresponse().read())
        finally:
            connection.close()

    def pids(self) -> list[int]:
        """The server and its worker processes."""
        found, queue = [], [self.process.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                queue += [int(child) for child in task.read_text().split()]
        return found

    def memory(self, field_name: str) -> int:
        """A /proc/PID/status figure (VmRSS, VmHWM) in bytes, summed over the processes."""
        total = 0
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field_name + ":"):
                    total += int(line.split()[1]) * 1024
        return total

    def cpu(self) -> float:
        total = 0.0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total


@contextmanager
def server(workdir: Path, setup: Setup, objects: list[tuple[str, int]],
           args: argparse.Namespace) -> Iterator[Server]:  # fmt: skip
    port = free_port()
    config = workdir / "server.json"
    config.write_text(json.dumps({"store": setup.store_url, "objects": objects,
                                  "chunk": args.chunk_kib * 1024}))  # fmt: skip
    command = [
        sys.executable, "-m", "uvicorn", "playback:make_app", "--factory",
        "--app-dir", str(Path(__file__).parent), "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(args.workers), "--log-level", "warning", "--no-access-log",
        "--timeout-keep-alive", "75",
    ]  # fmt: skip
    env = {**os.environ, **setup.env, CONFIG_ENV: str(config), "PYTHONPATH": str(ROOT)}
    running = Server(subprocess.Popen(command, env=env), port)
    try:
        _wait_ready(running)
        yield running
    finally:
        running.process.terminate()
        try:
            running.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait()


def _wait_ready(running: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RuntimeError("the server exited before answering")
        try:
            running.get("/health")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer in {timeout} s")


# ---------------------------------------------------------------------------------------------
# The load


@dataclass
class Tally:
    ttfb: list[float] = field(default_factory=list)
    ranges: Ranges = field(default_factory=list)
    received: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, ttfb: float, item: tuple[int, int, int], got: int, problem: str) -> None:
        with self.lock:
            self.ttfb.append(ttfb)
            self.ranges.append(item)
            self.received += got
            if problem:
                self.errors.append(problem)


@dataclass(frozen=True)
class Load:
    port: int
    paths: list[Path]
    size: int
    length: int
    bits_per_second: float  # 0: flat out
    until: float
    direct: S3Direct | None = None  # viewers GET straight from S3, not through the server


@dataclass(frozen=True)
class S3Direct:
    """What viewers need to GET ranges straight from the bucket: a client each, made before
    the clock starts (making fifty at once costs seconds of CPU)."""

    clients: list[Any]
    bucket: str
    addresses: list[str]


Fetch = Callable[[int, int, int, bytearray], tuple[int, float, bytes, bytes]]


def viewer(load: Load, seed: int, tally: Tally) -> None:
    """One viewer: seek, fetch a range, check its ends, watch it (when paced), again."""
    rng, buffer = random.Random(seed), bytearray(MIB)
    fetch, close = _fetcher(load, seed)
    if load.bits_per_second:  # people do not all press play in the same millisecond
        time.sleep(rng.uniform(0, load.length * 8 / load.bits_per_second))
    try:
        while time.monotonic() < load.until:
            index, start = rng.randrange(len(load.paths)), rng.randrange(load.size)
            end = min(load.size, start + load.length)
            began = time.perf_counter()
            got, first, head, tail = fetch(index, start, end, buffer)
            problem = _check(load.paths[index], start, end, got, head, tail)
            tally.add(first - began, (index, start, end), got, problem)
            if load.bits_per_second:
                time.sleep(max(0.0, began + got * 8 / load.bits_per_second - time.perf_counter()))
    except Exception as exc:  # counted, not raised: the run goes on
        with tally.lock:
            tally.errors.append(f"viewer {seed}: {exc!r}")
    finally:
        close()


def _fetcher(load: Load, seed: int) -> tuple[Fetch, Callable[[], None]]:
    if load.direct is not None:
        client, direct = load.direct.clients[seed], load.direct
        return (lambda i, s, e, b: _fetch_s3(client, direct, i, s, e, b)), lambda: None
    connection = http.client.HTTPConnection("127.0.0.1", load.port, timeout=60)
    return (lambda i, s, e, b: _fetch(connection, i, s, e, b)), connection.close


def _fetch_s3(client: Any, direct: S3Direct, index: int, start: int, end: int,
              buffer: bytearray) -> tuple[int, float, bytes, bytes]:  # fmt: skip
    """As ``_fetch``, straight from the bucket: a first read of 64 KiB, as the server's."""
    answer = client.get_object(Bucket=direct.bucket, Key=direct.addresses[index],
                               Range=f"bytes={start}-{end - 1}")  # fmt: skip
    body, size = answer["Body"], FIRST
    got, first, head, tail = 0, 0.0, b"", b""
    while block := body.read(size):
        first, size = first or time.perf_counter(), MIB
        head = head if len(head) >= CHECK else (head + block[:CHECK])[:CHECK]
        got += len(block)
        tail = (tail + block[-CHECK:])[-CHECK:]
    return got, first, head, tail


def _fetch(connection: http.client.HTTPConnection, index: int, start: int, end: int,
           buffer: bytearray) -> tuple[int, float, bytes, bytes]:  # fmt: skip
    """Bytes received, the time of the first body bytes, the first and last 4 KiB."""
    connection.request("GET", f"/content/{index}", headers={"Range": f"bytes={start}-{end - 1}"})
    response = connection.getresponse()
    if response.status != 206:
        raise http.client.HTTPException(f"status {response.status}: {response.read()[:200]!r}")
    view, got, first, head, tail = memoryview(buffer), 0, 0.0, b"", b""
    while True:
        count = response.readinto1(view)  # what one receive gives: the first bytes at once
        if not count:
            break
        first = first or time.perf_counter()
        if len(head) < CHECK:
            head = (head + bytes(view[: min(count, CHECK)]))[:CHECK]
        got += count
        tail = (tail + bytes(view[max(0, count - CHECK) : count]))[-CHECK:]
    response.read()  # read1 leaves a finished response open; read marks it done
    return got, first, head, tail


def _check(path: Path, start: int, end: int, got: int, head: bytes, tail: bytes) -> str:
    if got != end - start:
        return f"{path.name} [{start}, {end}): {got} bytes"
    with path.open("rb") as original:
        original.seek(start)
        want_head = original.read(min(CHECK, end - start))
        original.seek(max(start, end - CHECK))
        want_tail = original.read(CHECK)
    if head[: len(want_head)] != want_head or tail[-len(want_tail) :] != want_tail:
        return f"{path.name} [{start}, {end}): bytes differ"
    return ""


def run_phase(port: int, paths: list[Path], size: int, args: argparse.Namespace,
              bits_per_second: float, direct: S3Direct | None = None) -> Tally:  # fmt: skip
    tally = Tally()
    began = time.monotonic()
    length = int(args.range_mib * MIB)
    load = Load(port, paths, size, length, bits_per_second, began + args.seconds, direct)
    threads = [threading.Thread(target=viewer, args=(load, n, tally))
               for n in range(args.viewers)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.seconds = time.monotonic() - began
    return tally


# ---------------------------------------------------------------------------------------------
# The floors: the same ranges without the server


def floor_direct(paths: list[Path], ranges: Ranges, threads: int, chunk: int) -> float:
    """Seconds to read every range from the files with ``threads`` threads, in chunks."""
    descriptors = [os.open(path, os.O_RDONLY) for path in paths]

    def read(item: tuple[int, int, int]) -> int:
        index, start, end = item
        buffer = bytearray(chunk)
        position = start
        while position < end:
            view = memoryview(buffer)[: min(chunk, end - position)]
            position += os.preadv(descriptors[index], [view], position)
        return end - start

    try:
        return _timed_pool(read, ranges, threads)
    finally:
        for fd in descriptors:
            os.close(fd)


def floor_s3(store: Any, objects: list[tuple[str, int]], ranges: Ranges, threads: int,
             chunk: int) -> float:  # fmt: skip
    """Seconds to GET every range straight from S3 (one client per thread), in chunks."""
    from lawcam.storage.base import address
    from lawcam.storage.s3 import make_client

    local = threading.local()
    credentials = store.client._request_signer._credentials
    endpoint = store.client.meta.endpoint_url

    def read(item: tuple[int, int, int]) -> int:
        index, start, end = item
        if not hasattr(local, "client"):
            local.client = make_client(endpoint, store.region, credentials.access_key,
                                       credentials.secret_key)  # fmt: skip
        answer = local.client.get_object(Bucket=store.bucket, Key=address(objects[index][0]),
                                         Range=f"bytes={start}-{end - 1}")  # fmt: skip
        while answer["Body"].read(chunk):
            pass
        return end - start

    return _timed_pool(read, ranges, threads)


def floor_loopback(paths: list[Path], ranges: Ranges, threads: int, chunk: int) -> float:
    """Seconds to move every range with sendfile over loopback TCP to a reader thread."""
    descriptors = [os.open(path, os.O_RDONLY) for path in paths]
    listener = socket.create_server(("127.0.0.1", 0), backlog=threads * 2)
    lock = threading.Lock()

    def move(item: tuple[int, int, int]) -> int:
        index, start, end = item
        with lock:  # one accept per connect: each pair is its own
            receiving = socket.create_connection(listener.getsockname())
            sending, _ = listener.accept()
        reader = threading.Thread(target=_drain, args=(receiving, chunk))
        reader.start()
        with sending:
            position = start
            while position < end:
                position += os.sendfile(sending.fileno(), descriptors[index], position,
                                        end - position)  # fmt: skip
        reader.join()
        return end - start

    try:
        return _timed_pool(move, ranges, threads)
    finally:
        listener.close()
        for fd in descriptors:
            os.close(fd)


def _drain(connection: socket.socket, chunk: int) -> None:
    buffer = bytearray(chunk)
    with connection:
        while connection.recv_into(buffer):
            pass


def _timed_pool(read: Callable[[tuple[int, int, int]], int], ranges: Ranges,
                threads: int) -> float:  # fmt: skip
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(read, ranges[: threads * 2]))  # warm the threads and connections
        began = time.monotonic()
        total = sum(pool.map(read, ranges))
        elapsed = time.monotonic() - began
    assert total == sum(end - start for _, start, end in ranges)
    return elapsed


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class Setup:
    store: BlobStore
    store_url: str
    env: dict[str, str]
    stop: Callable[[], None]


def make_store(args: argparse.Namespace, workdir: Path) -> Setup:
    if not args.s3:
        store = LocalStore(workdir / "objects")
        return Setup(store, store.url, {}, lambda: None)
    from tests.seaweed import start_seaweed

    (workdir / "seaweed").mkdir()
    seaweed = start_seaweed(workdir / "seaweed")
    s3 = seaweed.store("lawcam-playback", spool_dir=workdir)
    s3.ensure_bucket()
    env = {"LAWCAM_S3_ACCESS_KEY": seaweed.access_key, "LAWCAM_S3_SECRET_KEY": seaweed.secret_key}
    return Setup(s3, s3.url, env, seaweed.stop)


def local_copies(setup: Setup, objects: list[tuple[str, int]], workdir: Path) -> list[Path]:
    """Files to check the answers against (and for the file floors): the store's own files,
    or for S3 copies downloaded once."""
    if isinstance(setup.store, LocalStore):
        return [setup.store.path(sha256) for sha256, _ in objects]
    paths = []
    for sha256, size in objects:
        path = workdir / f"{sha256}.copy"
        with setup.store.open_range(sha256, 0, size) as stream, path.open("wb") as copy:
            shutil.copyfileobj(stream, copy, BLOCK)
        paths.append(path)
    return paths


@dataclass
class Measured:
    phases: dict[str, Tally]
    floors: dict[str, float]
    rss: tuple[int, int, int]  # before, after, peak
    cpu: tuple[float, float]  # server, load generator
    served: list[dict[str, int]]
    written: float
    samples: list[int]  # RSS once a second during the load


def measure(args: argparse.Namespace, workdir: Path) -> Measured:
    setup = make_store(args, workdir)
    try:
        began = time.monotonic()
        objects = write_originals(setup.store, args.files, args.size_mib * MIB)
        written = time.monotonic() - began
        paths = local_copies(setup, objects, workdir)
        warm(setup.store, objects)
        direct = _direct(setup.store, objects, args.viewers) if args.s3 else None
        with server(workdir, setup, objects, args) as running:
            measured = _load(running, paths, args, written, direct)
        chunk = args.chunk_kib * 1024
        flat = measured.phases["flat out"].ranges
        if args.s3:
            measured.floors["direct"] = floor_s3(setup.store, objects, flat, args.viewers, chunk)
        else:
            measured.floors["direct"] = floor_direct(paths, flat, args.viewers, chunk)
        measured.floors["loopback"] = floor_loopback(paths, flat, args.viewers, chunk)
    finally:
        setup.stop()
    return measured


def _load(running: Server, paths: list[Path], args: argparse.Namespace, written: float,
          direct: S3Direct | None) -> Measured:  # fmt: skip
    for _ in range(4 * args.workers):
        _fetch_one(running.port)  # imports, threads, the first connections of each worker
    rss_before, cpu_before, load_cpu = running.memory("VmRSS"), running.cpu(), time.process_time()
    size = args.size_mib * MIB
    samples: list[int] = []
    with _sampling(running, samples):
        phases = {
            "play": run_phase(running.port, paths, size, args, args.bitrate * 1e6),
            "flat out": run_phase(running.port, paths, size, args, 0.0),
        }
    if direct is not None:  # the same play, straight from S3: its own share of the TTFB
        phases["play, S3 direct"] = run_phase(0, paths, size, args, args.bitrate * 1e6, direct)
    load_cpu = time.process_time() - load_cpu
    server_cpu = running.cpu() - cpu_before
    time.sleep(1.0)  # the last on_served calls
    rss = (rss_before, running.memory("VmRSS"), running.memory("VmHWM"))
    served = [running.get("/served") for _ in range(2 * args.workers)]
    return Measured(phases, {}, rss, (server_cpu, load_cpu), served, written, samples)


@contextmanager
def _sampling(running: Server, samples: list[int], every: float = 1.0) -> Iterator[None]:
    """The server's RSS once a second while the load runs: flat, or growing?"""
    done = threading.Event()

    def sample() -> None:
        while not done.wait(every):
            samples.append(running.memory("VmRSS"))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _direct(store: Any, objects: list[tuple[str, int]], viewers: int) -> S3Direct:
    from lawcam.storage.base import address
    from lawcam.storage.s3 import make_client

    credentials = store.client._request_signer._credentials
    keys = (credentials.access_key, credentials.secret_key)
    endpoint = store.client.meta.endpoint_url
    clients = [make_client(endpoint, store.region, *keys) for _ in range(viewers)]
    addresses = [address(sha256) for sha256, _ in objects]
    return S3Direct(clients, store.bucket, addresses)


def _fetch_one(port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/content/0", headers={"Range": "bytes=0-1023"})
    assert len(connection.getresponse().read()) == 1024
    connection.close()


# ---------------------------------------------------------------------------------------------
# The report


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def phase_report(tally: Tally) -> dict[str, Any]:
    ttfb = sorted(tally.ttfb)
    if len(ttfb) < 2:
        raise SystemExit(f"too few requests answered: {tally.errors[:5]}")
    return {
        "requests": len(ttfb), "errors": len(tally.errors), "first_errors": tally.errors[:3],
        "ttfb_p50_ms": _ms(statistics.median(ttfb)),
        "ttfb_p95_ms": _ms(statistics.quantiles(ttfb, n=20, method="inclusive")[-1]), "ttfb_max_ms": _ms(ttfb[-1]),
        "mib_s": round(tally.received / tally.seconds / MIB, 1), "seconds": round(tally.seconds, 1),
    }  # fmt: skip


def report(args: argparse.Namespace, measured: Measured) -> dict[str, Any]:
    flat = measured.phases["flat out"]
    asked = sum(end - start for _, start, end in flat.ranges)
    rate = flat.received / flat.seconds
    floors = {name: asked / seconds for name, seconds in measured.floors.items()}
    served = {s["pid"]: s for s in measured.served}.values()  # each worker once
    return {
        "store": "s3 (SeaweedFS)" if args.s3 else "local", "viewers": args.viewers,
        "originals": f"{args.files} x {args.size_mib} MiB", "range_mib": args.range_mib,
        "bitrate_mbit_s": args.bitrate, "chunk_kib": args.chunk_kib, "workers": args.workers,
        "phases": {name: phase_report(tally) for name, tally in measured.phases.items()},
        "floor_mib_s": {name: round(value / MIB, 1) for name, value in floors.items()},
        "ratio": {name: round(rate / value, 3) for name, value in floors.items()},
        "rss_mib": dict(zip(("before", "after", "peak"),
                            (round(value / MIB, 1) for value in measured.rss), strict=True)),
        "rss_each_second_mib": [round(value / MIB) for value in measured.samples],
        "cpu_s": {"server": round(measured.cpu[0], 1), "load": round(measured.cpu[1], 1)},
        "served": {"bodies": sum(s["bodies"] for s in served),
                   "mib": round(sum(s["bytes"] for s in served) / MIB, 1),
                   "workers_seen": len(served)},
        "write_s": round(measured.written, 1), "load_avg": [round(x, 2) for x in os.getloadavg()],
    }  # fmt: skip


def show(result: dict[str, Any]) -> None:
    print(f"store {result['store']}: {result['viewers']} viewers, {result['originals']}, "
          f"ranges of {result['range_mib']} MiB, chunks of {result['chunk_kib']} KiB, "
          f"{result['workers']} server process(es)")  # fmt: skip
    for name, phase in result["phases"].items():
        print(f"  {name}: {phase['requests']} requests in {phase['seconds']} s, "
              f"{phase['errors']} errors {phase['first_errors'] or ''}; TTFB p50 "
              f"{phase['ttfb_p50_ms']} ms, p95 {phase['ttfb_p95_ms']} ms (goal ≤ "
              f"{GOALS['ttfb_p95_ms']:.0f}), max {phase['ttfb_max_ms']} ms; "
              f"{phase['mib_s']} MiB/s")  # fmt: skip
    for name, value in result["floor_mib_s"].items():
        print(f"  floor {name:8}: {value} MiB/s; flat out / floor = {result['ratio'][name]}"
              + (f" (goal ≥ {GOALS['ratio']})" if name == "direct" else ""))  # fmt: skip
    rss = result["rss_mib"]
    print(f"  server RSS {rss['before']} → {rss['after']} MiB, peak {rss['peak']} MiB; "
          f"CPU s: server {result['cpu_s']['server']}, load generator {result['cpu_s']['load']};"
          f" load average {result['load_avg']}")  # fmt: skip
    print(f"  server RSS each second (MiB): {result['rss_each_second_mib']}")
    print(f"  on_served: {result['served']}; originals written in {result['write_s']} s")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--range-mib", type=float, default=2.0)
    parser.add_argument("--bitrate", type=float, default=8.0, help="Mbit/s while playing")
    parser.add_argument("--seconds", type=float, help="per phase (default 20, --quick 10)")
    parser.add_argument("--chunk-kib", type=int, default=512)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--s3", action="store_true", help="SeaweedFS instead of a local folder")
    parser.add_argument("--quick", action="store_true", help="4 × 64 MiB")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.size_mib = 64
    if args.seconds is None:
        args.seconds = 10.0 if args.quick else 20.0
    return args


def main() -> None:
    args = parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lawcam-playback-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        result = report(args, measure(args, workdir))
    finally:
        if not args.keep:  # objects are 0444 in writable folders: removable like any file
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    show(result)


if __name__ == "__main__":
    main()
