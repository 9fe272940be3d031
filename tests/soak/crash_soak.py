"""Crash soak for the ingest path (issue #5, R14.1, R15.1): SIGKILL ``lawcam ingest`` at random
moments, run it again to the end, and check that nothing is half done.

    .venv/bin/python -m tests.soak.crash_soak --runs 500
    LAWCAM_TEST_DATABASE=postgresql .venv/bin/python -m tests.soak.crash_soak --runs 500

Each run takes a fresh copy of a database that holds the test office (tests/factories.py) and an
empty local store, forks a child that ingests a docked folder (about 33 MB: two videos of
several 8 MiB blocks, a file of noise, a short clip, a WAV, a photo and a copy of it) and kills
it with SIGKILL after a random delay spread over the time a whole ingest takes (measured at
the start and again every 50 runs); one run in three is killed twice, so that the recovery
itself is cut short too. After every kill it checks what must hold at every instant, then runs
the ingest to its end and checks what must hold after it (``check_after_kill``, ``check_complete``); one run in ten then runs it
once more and checks that nothing is added. The first failure stops the soak with the run's
number and the seed (kill times depend on the machine, so a seed gives the same plan, not the
same moments). The pytest suite runs the same bench (tests/unit/evidence/test_crash.py) until
50 kills have hit a running ingest.

Options: ``--seed N`` (default 20261130), ``--database sqlite|postgresql`` (default
``LAWCAM_TEST_DATABASE`` or sqlite; PostgreSQL at ``LAWCAM_TEST_PG_URL``, default
postgresql://postgres@127.0.0.1:5432/postgres), ``--workdir DIR`` (default a temporary folder,
removed at the end).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import random
import shutil
import signal
import sqlite3
import stat
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import select, text

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, console_actor
from lawcam.config import Settings
from lawcam.db import Database, make_engine
from lawcam.evidence.ingest import IngestReport, IngestRequest, ingest_folder
from lawcam.evidence.models import Recording, Sighting
from lawcam.evidence.stream import BLOCK
from lawcam.evidence.types import EvidenceEvent, FileStatus
from lawcam.storage.local import TMP_DIR, LocalStore
from tests import media

SERIAL = "T2-0001"  # the registered device of 执法二处 (tests/factories.py)
WORKSTATION = "crash-bench"
DEFAULT_SEED = 20261130
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CHILD_TIMEOUT_S = 120.0


class CrashBenchError(AssertionError):
    """An invariant broken after a kill, or a child that failed on its own."""


# --- the docked folder -------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    path: str  # relative to the folder, as the ingest report names it
    sha256: str
    sm3: str
    size: int


def digests_of(path: Path, *, sm3: bool = True) -> tuple[str, str, int]:
    """SHA-256, SM3 (or "" when not asked for) and size of a file, computed here, not by lawcam."""
    sha256_hash, sm3_hash, size = hashlib.sha256(), hashlib.new("sm3"), 0
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            sha256_hash.update(block)
            if sm3:
                sm3_hash.update(block)
            size += len(block)
    return sha256_hash.hexdigest(), sm3_hash.hexdigest() if sm3 else "", size


def make_folder(root: Path) -> dict[str, Source]:
    """A docked body camera's card, about 33 MB: videos of three and two 8 MiB blocks (so that
    kills land between blocks, in the fsync and in the publish), 4 MB of noise named .mp4, a
    short clip, a WAV, a photo and the same photo copied into a second folder."""
    start = datetime(2026, 11, 30, 0, 1, 2, tzinfo=UTC)
    dcim, audio, photo = root / "DCIM", root / "AUDIO", root / "PHOTO"
    for folder in (dcim, audio, photo, photo / "备份"):
        folder.mkdir(parents=True)
    long1 = media.make_mp4(dcim / "VID_20261130_080102.mp4", creation_time=start)
    media.pad_mdat(long1, 2 * BLOCK + 1_000_001)
    long2 = media.make_mp4(
        dcim / "VID_20261130_090000.mp4", creation_time=start + timedelta(hours=1)
    )
    media.pad_mdat(long2, BLOCK + 2_345_678)
    media.make_random_bytes(dcim / "VID_20261130_100000.mp4", BLOCK // 2 + 12_345, seed=5)
    media.make_mp4(dcim / "VID_20261130_110000.mp4", creation_time=start + timedelta(hours=3))
    media.make_wav(audio / "REC_20261130_120000.wav", seconds=2.0)
    media.make_jpeg(photo / "IMG_20261130_130000.jpg", taken_at=start + timedelta(hours=5))
    shutil.copy2(photo / "IMG_20261130_130000.jpg", photo / "备份" / "IMG_20261130_130000.jpg")
    sources = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = str(path.relative_to(root))
        sources[relative] = Source(relative, *digests_of(path))
    return sources


# --- fresh databases from a base that holds the office -----------------------------------------


class Databases(Protocol):
    def new(self) -> str: ...
    def drop(self, url: str) -> None: ...
    def close(self) -> None: ...


class SqliteCopies:
    """Copies of a SQLite file (the online backup API: a consistent copy whatever the WAL holds)."""

    def __init__(self, base_url: str, folder: Path) -> None:
        self.base = Path(base_url.removeprefix("sqlite:///"))
        self.folder = folder
        self.numbers = itertools.count()

    def new(self) -> str:
        path = self.folder / f"crash-{next(self.numbers)}.db"
        with closing(sqlite3.connect(self.base)) as src, closing(sqlite3.connect(path)) as dst:
            src.backup(dst)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(path + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        pass


class PgCopies:
    """``CREATE DATABASE … TEMPLATE base``; the base must have no open connection."""

    def __init__(self, base_url: str) -> None:
        self.server, _, self.template = base_url.rpartition("/")
        self.admin = make_engine(f"{self.server}/postgres", isolation_level="AUTOCOMMIT")
        self.numbers = itertools.count()

    def new(self) -> str:
        name = f"{self.template[:50]}_c{next(self.numbers)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        return f"{self.server}/{name}"

    def drop(self, url: str) -> None:
        name = url.rpartition("/")[2]
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        self.admin.dispose()


def copies_of(base_url: str, folder: Path) -> Databases:
    if base_url.startswith("sqlite"):
        return SqliteCopies(base_url, folder)
    return PgCopies(base_url)


# --- the ingest process ------------------------------------------------------------------------


def spawn(work: Callable[[], object]) -> int:
    """Fork a child that does ``work`` and exits (0 when it returned). The child builds its own
    engine: it never uses a connection of the parent's, and ``os._exit`` skips every cleanup
    that could touch one."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        code = 70
        try:
            work()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def wait(pid: int, timeout: float = CHILD_TIMEOUT_S) -> int:
    """The child's exit status; a child still running after ``timeout`` is killed (a hang)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.005)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise CrashBenchError(f"the ingest child {pid} hung for {timeout:.0f} s")


def kill_after(pid: int, delay: float) -> bool:
    """SIGKILL the child after ``delay`` seconds; True when it was still running."""
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)  # a child already exited is a zombie until reaped: no error
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return True
    if os.WEXITSTATUS(status) != 0:
        raise CrashBenchError(f"the ingest failed on its own (exit {os.WEXITSTATUS(status)})")
    return False


@contextmanager
def opened(url: str) -> Iterator[Database]:
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()


# --- what must hold ----------------------------------------------------------------------------


def temp_files(store: LocalStore) -> list[str]:
    return sorted(os.listdir(store.root / TMP_DIR))


def hash_objects(store: LocalStore, *, sm3: bool = True) -> dict[str, tuple[str, str, int]]:
    """Every object in the store hashed again (one read each; SM3 too unless ``sm3`` is
    false). No object is visible at a content address unless it is whole: its bytes hash to its name, it is
    read-only, and nothing else lies in the tree."""
    found = {}
    for obj in store.objects():
        path = store.path(obj.sha256)
        found[obj.sha256] = digests = digests_of(path, sm3=sm3)
        if digests[0] != obj.sha256:
            raise CrashBenchError(f"{path} holds other bytes than its name ({digests[2]} bytes)")
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode != 0o444:
            raise CrashBenchError(f"{path} has mode {mode:o}, not 0444")
    strays = list(store.strays())
    if strays:
        raise CrashBenchError(f"entries in the store that are not objects: {strays}")
    return found


def check_rows(
    database: Database, objects: dict[str, tuple[str, str, int]]
) -> dict[str, Recording]:
    """Every recording row points at a whole blob with its size and both its digests
    (``objects``: the store hashed again), and has its audit entry (ingest or adopt) from the
    same transaction."""
    with database.read() as session:
        rows = list(session.scalars(select(Recording)))
        audited = Counter(
            session.scalars(
                select(AuditEvent.subject_id).where(
                    AuditEvent.subject_type == "recording",
                    AuditEvent.tag.in_(
                        [EvidenceEvent.RECORDING_INGESTED, EvidenceEvent.RECORDING_ADOPTED]
                    ),
                )
            )
        )
    by_sha: dict[str, Recording] = {}
    for row in rows:
        if row.sha256 in by_sha:
            raise CrashBenchError(f"two recordings for {row.sha256}")
        by_sha[row.sha256] = row
        if row.sha256 not in objects:
            raise CrashBenchError(f"recording {row.id} points at a missing blob {row.sha256}")
        sha256, sm3, size = objects[row.sha256]
        if (row.sha256, row.size) != (sha256, size) or (sm3 and sm3 != row.sm3):
            raise CrashBenchError(f"recording {row.id}: the blob differs from its digests")
        if audited[str(row.id)] != 1:
            raise CrashBenchError(f"recording {row.id} has {audited[str(row.id)]} audit entries")
    return by_sha


@dataclass
class Seen:
    """What one kill left behind."""

    hit: bool  # the child was still running when the signal came
    temp: int  # temporary files of the dead writer (cut mid-stream or before the link)
    orphans: int  # whole blobs without a row (cut between publish and commit)
    committed: int  # recordings committed before the kill


def check_after_kill(database: Database, store: LocalStore, hit: bool) -> Seen:
    """What must hold at every instant, however the ingest was cut short (SHA-256 only here:
    the completing run's check compares SM3 as well)."""
    objects = hash_objects(store, sm3=False)
    rows = check_rows(database, objects)
    return Seen(hit, len(temp_files(store)), len(set(objects) - set(rows)), len(rows))


def check_complete(
    database: Database, store: LocalStore, report: IngestReport, sources: dict[str, Source]
) -> int:
    """After a run to the end: every file stored exactly once with the right digests, one
    sighting per path, no blob without a row, no temporary file left. Returns the number of
    recordings that were adopted (a blob without a row found and checked again)."""
    statuses = {result.path: result for result in report.files}
    if set(statuses) != set(sources):
        raise CrashBenchError(f"the report names {sorted(statuses)}, not {sorted(sources)}")
    for path, source in sources.items():
        result = statuses[path]
        if result.status not in (FileStatus.INGESTED, FileStatus.DUPLICATE):
            raise CrashBenchError(f"{path} was {result.status}: {result.problems}")
        if (result.sha256, result.sm3, result.size) != (source.sha256, source.sm3, source.size):
            raise CrashBenchError(f"{path}: the report's digests are not the file's")
    objects = hash_objects(store)
    rows = check_rows(database, objects)
    wanted = {source.sha256 for source in sources.values()}
    if set(rows) != wanted:
        raise CrashBenchError(
            f"recordings {sorted(set(rows) - wanted)} extra, {sorted(wanted - set(rows))} missing"
        )
    for source in sources.values():
        row = rows[source.sha256]
        if (row.sm3, row.size) != (source.sm3, source.size):
            raise CrashBenchError(f"{source.path}: the row's SM3 or size is not the file's")
    with database.read() as session:
        sightings = list(session.scalars(select(Sighting)))
        adopted = session.scalars(
            select(AuditEvent.id).where(AuditEvent.tag == EvidenceEvent.RECORDING_ADOPTED)
        ).all()
    paths = Counter(s.source_path for s in sightings)
    if paths != Counter(list(sources)):
        raise CrashBenchError(f"sightings per path {dict(paths)}, expected one for each file")
    by_id = {row.id: row for row in rows.values()}
    for sighting in sightings:
        if by_id[sighting.recording_id].sha256 != sources[sighting.source_path].sha256:
            raise CrashBenchError(f"the sighting of {sighting.source_path} names another recording")
    if set(objects) != wanted:
        raise CrashBenchError(f"blobs without a row: {sorted(set(objects) - wanted)}")
    if temp_files(store):
        raise CrashBenchError(f"temporary files of dead writers left: {temp_files(store)}")
    return len(adopted)


# --- the bench ---------------------------------------------------------------------------------


@dataclass
class Tally:
    runs: int = 0
    kills: int = 0  # SIGKILLs that hit a running ingest
    missed: int = 0  # signals that came after the ingest had finished
    cut_mid_write: int = 0  # kills that left a temporary file (mid-stream, fsync or link)
    cut_before_commit: int = 0  # kills after which a whole blob was without its row
    cut_between_files: int = 0  # kills after some files were committed
    adopted: int = 0  # blobs without a row taken over (checked again) by the next run
    delays: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        spread = f"{min(self.delays):.3f}–{max(self.delays):.3f} s" if self.delays else "-"
        return (
            f"{self.runs} runs, {self.kills} SIGKILLs during the ingest ({self.missed} after it "
            f"had finished), delays {spread}; after a kill: a temporary file left "
            f"{self.cut_mid_write}×, a blob without its row {self.cut_before_commit}× "
            f"({self.adopted} adopted by the next run), some files committed "
            f"{self.cut_between_files}×; {self.seconds:.1f} s"
        )


class CrashBench:
    """Fresh database copies, a prepared folder, and the kill-and-finish loop."""

    def __init__(
        self,
        *,
        databases: Databases,
        folder: Path,
        sources: dict[str, Source],
        workdir: Path,
        settings: Settings,
        actor: Actor,
    ) -> None:
        self.databases, self.folder, self.sources = databases, folder, sources
        self.workdir, self.settings, self.actor = workdir, settings, actor
        self.numbers = itertools.count()
        self.duration = 0.0
        self.tally = Tally()

    def ingest(self, url: str, store_root: Path) -> IngestReport:
        with opened(url) as database:
            return ingest_folder(
                database=database,
                store=LocalStore(store_root),
                settings=self.settings,
                actor=self.actor,
                request=IngestRequest(self.folder, SERIAL, WORKSTATION),
            )

    def measure(self, rounds: int = 2) -> float:
        """How long a whole ingest takes in a child, fork to exit (the shortest of ``rounds``:
        the kills are spread over this time, and a kill after the end cuts nothing). One ingest
        here first: what it loads and caches once (codecs, compiled queries) every later child
        inherits, and would otherwise count in the measure."""
        self.warm_up()
        shortest = float("inf")
        for _ in range(rounds):
            url, store_root = self.databases.new(), self.workdir / f"measure-{next(self.numbers)}"
            try:
                began = time.monotonic()
                status = wait(spawn(lambda: self.ingest(url, store_root)))
                shortest = min(shortest, time.monotonic() - began)
                if status != 0:
                    raise CrashBenchError(f"an uninterrupted ingest failed (status {status})")
                with opened(url) as database:
                    report = self.ingest(url, store_root)
                    check_complete(database, LocalStore(store_root), report, self.sources)
            finally:
                self.databases.drop(url)
                shutil.rmtree(store_root, ignore_errors=True)
        self.duration = shortest
        return shortest

    def warm_up(self) -> None:
        url, store_root = self.databases.new(), self.workdir / f"warm-{next(self.numbers)}"
        try:
            report = self.ingest(url, store_root)
            with opened(url) as database:
                check_complete(database, LocalStore(store_root), report, self.sources)
        finally:
            self.databases.drop(url)
            shutil.rmtree(store_root, ignore_errors=True)

    def crash_run(self, rng: random.Random) -> list[Seen]:
        """Kill the ingest once (one run in three: twice), then run it to the end and check."""
        delays = [rng.uniform(0.0, self.duration) for _ in range(2 if rng.random() < 1 / 3 else 1)]
        return self.kill_and_finish([lambda: None] * len(delays), delays, rerun=rng.random() < 0.1)

    def kill_and_finish(
        self,
        setups: list[Callable[[], object]],
        delays: list[float | None],
        *,
        rerun: bool = False,
    ) -> list[Seen]:
        """One child per setup, each SIGKILLed after its delay (None: the setup makes the child
        kill itself at a chosen point, see test_crash.py); the checks after each kill; then the
        ingest run to its end here, its checks, and (``rerun``) a further run that adds
        nothing."""
        index = next(self.numbers)
        url, store_root = self.databases.new(), self.workdir / f"store-{index}"
        began = time.monotonic()
        seen = []
        try:
            for setup, delay in zip(setups, delays, strict=True):

                def work(setup: Callable[[], object] = setup) -> None:
                    setup()
                    self.ingest(url, store_root)

                pid = spawn(work)
                if delay is None:
                    status = wait(pid)
                    if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
                        raise CrashBenchError(f"the child was not killed (status {status})")
                    hit = True
                else:
                    hit = kill_after(pid, delay)
                    self.tally.delays.append(delay)
                with opened(url) as database:
                    seen.append(check_after_kill(database, LocalStore(store_root), hit))
            report = self.ingest(url, store_root)
            with opened(url) as database:
                adopted = check_complete(database, LocalStore(store_root), report, self.sources)
                if rerun:
                    self.check_rerun_adds_nothing(url, store_root, database)
        except CrashBenchError as exc:
            raise CrashBenchError(f"run {index}: {exc}") from exc
        finally:
            self.databases.drop(url)
            shutil.rmtree(store_root, ignore_errors=True)
        self.count(seen, adopted, time.monotonic() - began)
        return seen

    def check_rerun_adds_nothing(self, url: str, store_root: Path, database: Database) -> None:
        with database.read() as session:
            before = (
                len(session.scalars(select(Recording.id)).all()),
                len(session.scalars(select(Sighting.id)).all()),
            )
        report = self.ingest(url, store_root)
        with database.read() as session:
            after = (
                len(session.scalars(select(Recording.id)).all()),
                len(session.scalars(select(Sighting.id)).all()),
            )
        if after != before or report.count(FileStatus.DUPLICATE) != len(self.sources):
            raise CrashBenchError(f"a further run added {before} → {after}")

    def count(self, seen: list[Seen], adopted: int, seconds: float) -> None:
        tally = self.tally
        tally.runs += 1
        tally.seconds += seconds
        tally.adopted += adopted
        for one in seen:
            tally.kills += one.hit
            tally.missed += not one.hit
            tally.cut_mid_write += one.temp > 0
            tally.cut_before_commit += one.orphans > 0
            tally.cut_between_files += one.committed > 0


# --- the script --------------------------------------------------------------------------------


def _base_database(backend: str, workdir: Path) -> str:
    from lawcam.db.migrate import upgrade

    if backend == "postgresql":
        server = os.environ.get("LAWCAM_TEST_PG_URL", PG_URL)
        admin = make_engine(server, isolation_level="AUTOCOMMIT")
        name = f"lawcam_soak_{os.getpid()}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = f"{server.rpartition('/')[0]}/{name}"
    else:
        url = f"sqlite:///{workdir / 'base.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _drop_base(url: str) -> None:
    if url.startswith("postgresql"):
        server, _, name = url.rpartition("/")
        admin = make_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.soak.crash_soak",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default=os.environ.get("LAWCAM_TEST_DATABASE", "sqlite"),
    )
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("LAWCAM_ARGON2_MEMORY_KIB", "1024")  # the office's accounts, quickly
    os.environ.setdefault("LAWCAM_ARGON2_TIME_COST", "1")
    from tests.factories import build_office

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lawcam-crash-"))
    workdir.mkdir(parents=True, exist_ok=True)
    base = _base_database(args.database, workdir)
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    settings = Settings(home=home, database_url=base)
    actor = console_actor("crash-soak")
    databases: Databases | None = None
    try:
        with opened(base) as database:
            build_office(database, settings, actor)
        sources = make_folder(workdir / "card")
        databases = copies_of(base, workdir)
        bench = CrashBench(
            databases=databases,
            folder=workdir / "card",
            sources=sources,
            workdir=workdir,
            settings=settings,
            actor=actor,
        )
        size = sum(s.size for s in sources.values())
        duration = bench.measure()
        print(
            f"{args.database}: {len(sources)} files, {size / 1e6:.1f} MB; a whole ingest "
            f"takes {duration:.3f} s; seed {args.seed}",
            flush=True,
        )
        rng = random.Random(args.seed)
        for run in range(args.runs):
            bench.crash_run(rng)
            if (run + 1) % 50 == 0:
                print(f"  {run + 1}: {bench.tally.summary()}", flush=True)
                bench.measure()  # the machine's load moves: keep the kills spread over a run
        print(f"OK {bench.tally.summary()}")
        return 0
    except CrashBenchError as exc:
        print(f"FAILED (seed {args.seed}): {exc}", file=sys.stderr)
        return 1
    finally:
        if databases is not None:
            databases.close()
        _drop_base(base)
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
