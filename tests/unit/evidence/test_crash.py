"""SIGKILL during ingest (issue #5, R14.1, R15.1): a crash anywhere leaves either nothing visible
or a whole, verified recording, and running the ingest again finishes the job and adds nothing
twice.

The bench is tests/soak/crash_soak.py (500 runs: ``.venv/bin/python -m tests.soak.crash_soak``).
Each run forks a child that ingests a docked folder of about 33 MB (two videos of several 8 MiB
blocks, noise named .mp4, a clip, a WAV, a photo and a copy of it) into a fresh database copy
and an empty local store, kills it with SIGKILL, checks what must hold at every instant (no
partial object at a content address, no row without its whole blob), runs the ingest to its
end and checks every file stored exactly once with the right SHA-256 and SM3, one sighting per
path, no blob without a row, no temporary file of a dead writer left.

Here: the kill at each named point of the path (deterministic: the child kills itself there;
one file at a time), then at random moments, two files at a time as a docking is ingested on two
cores, until at least 50 SIGKILLs (26 on PostgreSQL) have hit a running ingest; and two ingests
of one folder at once.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence import ingest, service
from lawcam.evidence.types import FileStatus
from lawcam.storage import local
from lawcam.storage.local import LocalStore
from tests.conftest import BACKEND
from tests.factories import build_office
from tests.soak.crash_soak import (
    CrashBench,
    Seen,
    Source,
    check_complete,
    copies_of,
    make_folder,
    opened,
    spawn,
    wait,
)

pytestmark = pytest.mark.req("R14.1", "R15.1")

# Random kills per batch that must hit a running ingest; two batches (one per xdist worker).
# 50 on SQLite; 26 on PostgreSQL, where each run's fresh database (CREATE DATABASE … TEMPLATE)
# and connections cost about twice as much: the server rolling back a killed client's
# transaction is the same at every moment, and the deterministic points above run there too.
KILLS_PER_BATCH = 25 if BACKEND == "sqlite" else 13
MAX_RUNS_PER_BATCH = 60
SEED = 20261130


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Source]]:
    root = tmp_path_factory.mktemp("crash") / "card"
    return root, make_folder(root)


@pytest.fixture
def bench(
    database: Database,
    settings: Settings,
    console: Actor,
    card: tuple[Path, dict[str, Source]],
    tmp_path: Path,
) -> Iterator[CrashBench]:
    build_office(database, settings, console)
    database.dispose()  # each run copies this database: none of its connections may stay open
    databases = copies_of(database.url, tmp_path)
    folder, sources = card
    yield CrashBench(
        databases=databases,
        folder=folder,
        sources=sources,
        workdir=tmp_path,
        settings=settings,
        actor=console,
    )
    databases.close()


# --- the child kills itself at a named point ---------------------------------------------------


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(60)  # never reached


def kill_at(owner: Any, name: str, *, call: int = 1, after: bool = False) -> Callable[[], None]:
    """A setup for the child: SIGKILL itself on the ``call``-th call of ``owner.name``, before
    the call runs, or right after it returns (``after``)."""

    def install() -> None:
        real = getattr(owner, name)
        calls = itertools.count(1)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            number = next(calls)
            if number == call and not after:
                die()
            result = real(*args, **kwargs)
            if number == call and after:
                die()
            return result

        setattr(owner, name, wrapper)

    return install


# Files in the order they are ingested (the largest first): the 17.8 MB video (3 blocks), the
# 10.7 MB video (2 blocks), the noise, the WAV, the short clip, the photo, its copy (a duplicate).
POINTS: dict[str, tuple[list[Callable[[], None]], Callable[[list[Seen]], bool]]] = {
    # Two blocks of the first video written to the temporary file, the rest not yet read.
    "mid_stream": (
        [kill_at(local.LocalWriter, "write", call=3)],
        lambda seen: seen[0].temp == 1 and seen[0].committed == 0,
    ),
    # The whole video fsynced in its temporary file, not yet linked to its address.
    "before_link": (
        [kill_at(local, "_link", call=2)],
        lambda seen: seen[0].temp == 1 and seen[0].orphans == 0,
    ),
    # Linked at its address, the temporary name not yet removed, the row not yet written: the
    # next run adopts the blob after hashing it again.
    "after_link": (
        [kill_at(local, "_link", call=2, after=True)],
        lambda seen: seen[0].temp == 1 and seen[0].orphans == 1,
    ),
    # The row flushed inside its transaction, never committed.
    "before_commit": (
        [kill_at(service, "add_recording", call=2, after=True)],
        lambda seen: seen[0].orphans == 1 and seen[0].committed == 1,
    ),
    # Two files committed, the third not begun.
    "between_files": (
        [kill_at(ingest.Ingestor, "_store", call=2, after=True)],
        lambda seen: seen[0].committed == 2 and seen[0].orphans == 0,
    ),
    # Probing the second file (after its bytes were read, before publishing).
    "during_probe": (
        [kill_at(ingest, "probe", call=2)],
        lambda seen: seen[0].committed == 1 and seen[0].temp == 1,
    ),
    # The copy of the photo: its duplicate sighting flushed, not committed.
    "duplicate_sighting": (
        [kill_at(service, "add_sighting", call=1, after=True)],
        lambda seen: seen[0].committed == 6,
    ),
    # The docking itself: the run row flushed, not committed; nothing read yet.
    "opening_the_run": (
        [kill_at(service, "open_run", after=True)],
        lambda seen: seen[0].committed == 0 and seen[0].temp == 0,
    ),
    # A blob left without its row, then the run that adopts it killed while hashing it again,
    # then the next one killed while cleaning the dead writers' temporary files.
    "recovery_cut_short": (
        [
            kill_at(local, "_link", call=2, after=True),
            kill_at(ingest, "read_digests"),
            kill_at(local.LocalStore, "clean_abandoned"),
        ],
        lambda seen: seen[0].orphans == 1 and seen[1].orphans == 1 and seen[2].orphans == 1,
    ),
}


@pytest.mark.parametrize("point", list(POINTS))
def test_sigkill_at_each_point_of_the_path(bench: CrashBench, point: str) -> None:
    setups, expected = POINTS[point]
    # The points count calls in the folder's order, which only one file at a time follows; the
    # random kills below hit files ingested side by side.
    bench.settings = bench.settings.model_copy(update={"ingest_workers": 1})
    seen = bench.kill_and_finish(list(setups), [None] * len(setups), rerun=True)
    assert expected(seen), seen  # the kill landed where it was meant to
    if point in ("after_link", "before_commit", "recovery_cut_short"):
        assert bench.tally.adopted == 1  # the blob without a row, hashed again and taken over
    else:
        assert bench.tally.adopted == 0


# --- random moments ----------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [0, 1])
def test_sigkill_at_random_moments(bench: CrashBench, batch: int) -> None:
    """SIGKILL after a random delay spread over a whole ingest (seeded), sometimes twice in a
    row, until KILLS_PER_BATCH kills have hit a running ingest; every run checked."""
    bench.settings = bench.settings.model_copy(update={"ingest_workers": 2})  # side by side
    began = time.monotonic()
    duration = bench.measure()
    rng = random.Random(SEED + batch)
    while bench.tally.kills < KILLS_PER_BATCH:
        assert bench.tally.runs < MAX_RUNS_PER_BATCH, f"too many kills missed: {bench.tally}"
        bench.crash_run(rng)
    tally = bench.tally
    print(
        f"\n[{BACKEND} batch {batch}] a whole ingest {duration:.3f} s; {tally.summary()}; "
        f"with setup {time.monotonic() - began:.1f} s"
    )
    assert tally.kills >= KILLS_PER_BATCH


# --- two workstations at once ------------------------------------------------------------------


def test_two_ingests_of_one_folder_at_once_store_each_file_once(bench: CrashBench) -> None:
    """Two processes ingest the same card into the same database and store at the same time:
    the store links each address once, the database holds one row per SHA-256, and whoever
    comes second records a duplicate (not an error), once."""
    url, store_root = bench.databases.new(), bench.workdir / "store-both"
    try:
        pids = [spawn(lambda: bench.ingest(url, store_root)) for _ in range(2)]
        assert [wait(pid) for pid in pids] == [0, 0]  # neither failed
        report = bench.ingest(url, store_root)
        assert report.count(FileStatus.DUPLICATE) == len(bench.sources)
        with opened(url) as database:
            check_complete(database, LocalStore(store_root), report, bench.sources)
    finally:
        bench.databases.drop(url)
