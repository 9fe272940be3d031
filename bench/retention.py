"""Effective retention (issue 17, 第十四条): every effective retention recomputed, and a case with
10^4 linked recordings archived on SeaweedFS, each against a floor measured in the same run, on
SQLite and on PostgreSQL.

The office's people (units, officers, devices) are made through the services; the bulk is
loaded with SQLAlchemy Core executemany on SQLite and COPY on PostgreSQL: 10^6 recordings
(``--quick``: 10^4) spread over four years, 10^5 activities of 5 recordings each, 10^4 penalty
cases (30 % open, 55 % archived for 10 or 30 years, 15 % 永久), each linking 10 recordings
directly and one activity (2 % of the links since unlinked), and 10^3 legal holds (a fifth
released). The ledger (a ``retain_until`` correction where an archived case reaches past the
promise) and the kept states are set as the domain sets them, so the pass below finds them
current, as a nightly ``lawcam retention recompute`` does.

1. ``lawcam.retention.recompute.recompute``: every recording with more than its promise derived
   again from the rows (``effective.standing``: the cases, the direct links, the links through
   activities, the holds, the ledger, read once each as plain rows) and compared with its kept
   state (which carries the ingest promise, migration 0016); against the floor = one read of
   the same rows: live case links joined to their case, live case links of activities joined to
   the activities' links and the case, live holds, the ledger rows, each iterated in Python,
   read through the ORM session, through Core row by row and through Core ``FETCH`` rows at a
   time (as ``standing`` reads), the fastest counting. Goal: ≤ 3× the floor.
   A second floor adds the kept states (with their promises) read through Core.
2. ``lawcam.retention.service.archive_case`` of an open case with ``--archive`` recordings
   (10^4; quick 200) linked directly, in one transaction with its commit (which lets the legal
   holds go): the ledger, the audit entries, the kept states, and on SeaweedFS each object's
   COMPLIANCE lock extended (and its hold released after the commit); the objects are tiny
   distinct blobs published through ``store.writer()`` and put under a hold as linking does.
   Against the floor = as many bare PutObjectRetention calls with the same boto3 client (each
   object's lock pushed one day further, best of two passes). ``--profile`` prints where the
   archive's time goes (cProfile).

LAWCAM_TEST_PG_URL names the PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/
postgres, as the tests); a temporary database is created and dropped. Unreachable: skipped.

Usage: python bench/retention.py [--quick] [--size N] [--only sqlite|postgresql] [--archive N]
                                 [--no-archive] [--profile] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from harness import databases, server_version
from harness import load as load_average
from sqlalchemy import insert, select, text

from lawcam.activities.models import Activity, ActivityLink
from lawcam.authz import Actor, console_actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.equipment import service as equipment
from lawcam.equipment.types import Category, DeviceIn, DeviceStatus, ModelIn
from lawcam.evidence.models import Correction, IngestRun, Recording
from lawcam.evidence.retention import RETAIN_UNTIL_FIELD
from lawcam.org import service as org
from lawcam.org.types import PersonIn, UnitClass, UnitIn
from lawcam.retention import enforce
from lawcam.retention import service as cases
from lawcam.retention.effective import FETCH, rows_of
from lawcam.retention.models import (
    CaseLink,
    LegalHold,
    PenaltyCase,
    RetentionState,
)
from lawcam.retention.recompute import recompute
from lawcam.retention.types import CaseStatus
from lawcam.storage.local import LocalStore
from lawcam.timeutil import add_years, lock_until, today_shanghai

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.seaweed starts SeaweedFS as the S3 tests do

UNITS = 8
DEVICES = 16
PER_ACTIVITY = 5
PER_CASE = 10
BATCH = 20_000  # rows per executemany / COPY chunk
TERMS = {"permanent": 0, "30y": 30, "10y": 10}


# --- the office --------------------------------------------------------------------------------


@dataclass
class Office:
    units: list[int] = field(default_factory=list)
    devices: list[int] = field(default_factory=list)
    officers: list[int] = field(default_factory=list)
    recordings: int = 0
    runs: int = 0


def build_people(database: Database, actor: Actor) -> Office:
    office = Office()
    with database.unit_of_work() as session:
        names = []
        for u in range(UNITS):
            name = f"执法{u + 1}大队"
            unit = org.create_unit(
                session=session, actor=actor, data=UnitIn(name=name, unit_class=UnitClass.MANY)
            )
            office.units.append(unit.id)
            names.append(name)
        equipment.create_model(
            session=session, actor=actor,
            data=ModelIn(maker="基准厂", model="BENCH-R", category=Category.BODY_CAMERA),
        )  # fmt: skip
        for i in range(DEVICES):
            unit = names[i % UNITS]
            person = org.create_person(
                session=session, actor=actor,
                data=PersonIn(name=f"警员{i}", unit=unit, badge=f"R{i:05d}", is_officer=True),
            )  # fmt: skip
            device = equipment.create_device(
                session=session, actor=actor,
                data=DeviceIn(
                    serial=f"RD-{i:05d}", asset_no=f"ZC-RD-{i:05d}", model="BENCH-R", unit=unit,
                    price=Decimal("3280.00"), need="现场执法全过程记录",
                    status=DeviceStatus.IN_SERVICE,
                ),
            )  # fmt: skip
            office.officers.append(person.id)
            office.devices.append(device.id)
    return office


# --- bulk rows -----------------------------------------------------------------------------------


def recording_row(office: Office, rid: int, start: datetime, sha256: str, run: int) -> dict:
    d = rid % DEVICES
    end = start + timedelta(minutes=10)
    return {
        "id": rid, "sha256": sha256, "sm3": sha256, "size": 1000, "original_name": f"V{rid}.MP4",
        "device_id": office.devices[d], "officer_id": office.officers[d],
        "officer_source": "custody", "unit_id": office.units[d % UNITS], "ingest_run_id": run,
        "kind": "video", "container": "mp4", "video_codec": "h264", "audio_codec": None,
        "duration_s": 600.0, "width": 1920, "height": 1080, "frame_rate": 25.0,
        "start_at": start, "end_at": end, "start_source": "container", "clock_offset_s": 0.0,
        "corrected_start_at": start, "corrected_end_at": end, "ingested_at": end,
        "workstation": "基准工作站", "upload_deadline": end + timedelta(hours=24),
        "uploaded_late": False, "retain_until": add_years(start.date(), 2), "flagged": False,
        "problems": [],
    }  # fmt: skip


def run_row(office: Office, run: int, at: datetime) -> dict:
    return {
        "id": run, "device_id": office.devices[run % DEVICES], "workstation": "基准工作站",
        "source": f"/media/card{run}", "started_at": at, "started_by": "bench",
        "device_time": at, "clock_offset_s": 0.0, "officer_id": office.officers[run % DEVICES],
    }  # fmt: skip


@dataclass
class Truth:
    """What the domain would have set: per recording, its promise and what keeps it longer."""

    promise: dict[int, date] = field(default_factory=dict)
    unit: dict[int, int] = field(default_factory=dict)
    cases: dict[int, set[tuple[int, date | None, bool]]] = field(
        default_factory=lambda: defaultdict(set)
    )
    held: set[int] = field(default_factory=set)


class Generator:
    def __init__(self, office: Office, recordings: int, cases_: int, holds: int) -> None:
        self.office, self.total, self.case_count, self.hold_count = (
            office,
            recordings,
            cases_,
            holds,
        )
        self.activities = recordings // 2 // PER_ACTIVITY  # half the recordings in an activity
        self.random = random.Random(17)
        self.now = datetime.now(UTC)
        self.today = today_shanghai()
        self.first = self.now - timedelta(days=4 * 365)
        self.step = (self.now - self.first - timedelta(days=1)) / recordings
        self.truth = Truth()

    def recordings(self) -> Iterator[tuple[type, list[dict]]]:
        runs, rows = [], []
        for rid in range(1, self.total + 1):
            start = self.first + self.step * rid
            if (rid - 1) % 1000 == 0:
                self.office.runs += 1
                runs.append(run_row(self.office, self.office.runs, start))
            row = recording_row(self.office, rid, start, f"{rid:064x}", self.office.runs)
            self.truth.promise[rid], self.truth.unit[rid] = row["retain_until"], row["unit_id"]
            rows.append(row)
            if len(rows) >= BATCH:
                yield IngestRun, runs
                yield Recording, rows
                runs, rows = [], []
        yield IngestRun, runs
        yield Recording, rows
        self.office.recordings = self.total

    def activities_rows(self) -> Iterator[tuple[type, list[dict]]]:
        acts, links = [], []
        for k in range(1, self.activities + 1):
            first = (k - 1) * PER_ACTIVITY + 1
            at = self.first + self.step * first
            acts.append(
                {
                    "id": k, "unit_id": self.truth.unit[first], "kind": "inspection",
                    "place": f"中山路 {k} 号", "zone_id": None, "arrived_at": at,
                    "ended_at": at + timedelta(hours=1), "announced": True, "obstructed": False,
                    "obstruction_note": "", "case_number": "", "entry_key": f"{k:064x}",
                    "created_at": self.now, "created_by": "bench", "coverage": 1.0,
                    "no_recording": False, "unexplained": 0,
                    "upload_deadline": at + timedelta(hours=25), "late_uploads": 0,
                }
            )  # fmt: skip
            for rid in range(first, first + PER_ACTIVITY):
                links.append(
                    {
                        "id": rid,
                        "activity_id": k, "recording_id": rid, "how": "auto", "reason": "",
                        "linked_by": "bench", "linked_at": self.now, "detached_at": None,
                        "detached_by": "", "detach_reason": "", "late": False,
                    }
                )  # fmt: skip
            if len(links) >= BATCH:
                yield Activity, acts
                yield ActivityLink, links
                acts, links = [], []
        yield Activity, acts
        yield ActivityLink, links

    def cases_rows(self) -> Iterator[tuple[type, list[dict]]]:
        rng, truth = self.random, self.truth
        penalty, links, link_id = [], [], 0
        activity_ids = rng.sample(
            range(1, self.activities + 1), min(self.case_count, self.activities)
        )
        for c in range(1, self.case_count + 1):
            kind = rng.random()
            opened = self.today - timedelta(days=rng.randint(400, 6 * 365))
            archived: date | None = None
            term = "30y"
            if kind >= 0.30:
                archived = opened + timedelta(days=rng.randint(30, (self.today - opened).days))
                term = "permanent" if kind >= 0.85 else rng.choice(("10y", "30y"))
            years = TERMS[term]
            until = None if archived is None or years == 0 else add_years(archived, years)
            fact = (c, until, archived is None or years == 0)
            penalty.append(
                {
                    "id": c, "number": f"京执罚〔基准〕{c}号", "unit_id": self.office.units[c % UNITS],
                    "title": "基准案件", "parties": "某某", "opened_on": opened,
                    "decided_on": None, "closed_on": None, "archived_on": archived, "term": term,
                    "term_years": years,
                    "status": str(CaseStatus.ARCHIVED if archived else CaseStatus.OPEN),
                    "created_by": "bench", "created_at": self.now,
                }
            )  # fmt: skip
            material: list[tuple[int | None, int | None]] = [
                (rid, None) for rid in rng.sample(range(1, self.total + 1), PER_CASE)
            ]
            if c <= len(activity_ids):
                material.append((None, activity_ids[c - 1]))
            for rid, aid in material:
                link_id += 1
                gone = rng.random() < 0.02 and archived is None  # unlinked only before archiving
                links.append(
                    {
                        "id": link_id, "case_id": c, "recording_id": rid, "activity_id": aid,
                        "reason": "作为证据", "linked_by": "bench", "linked_at": self.now,
                        "unlink_reason": "误关联" if gone else "",
                        "unlink_requested_by": "bench" if gone else "",
                        "unlink_requested_by_id": None,
                        "unlink_requested_at": self.now if gone else None,
                        "unlinked_by": "bench" if gone else "",
                        "unlinked_at": self.now if gone else None,
                    }
                )  # fmt: skip
                if gone:
                    continue
                first = ((aid or 0) - 1) * PER_ACTIVITY + 1
                for r in [rid] if rid else range(first, first + PER_ACTIVITY):
                    truth.cases[r].add(fact)
        yield PenaltyCase, penalty
        yield CaseLink, links

    def holds_rows(self) -> Iterator[tuple[type, list[dict]]]:
        rows = []
        for h, rid in enumerate(self.random.sample(range(1, self.total + 1), self.hold_count), 1):
            released = h % 5 == 0
            rows.append(
                {
                    "id": h, "recording_id": rid, "unit_id": self.truth.unit[rid],
                    "reason": "当事人提起行政诉讼", "placed_by": "bench", "placed_by_id": None,
                    "placed_at": self.now, "release_reason": "诉讼终结" if released else "",
                    "release_requested_by": "bench" if released else "",
                    "release_requested_by_id": None,
                    "release_requested_at": self.now if released else None,
                    "released_by": "bench" if released else "",
                    "released_at": self.now if released else None,
                }
            )  # fmt: skip
            if not released:
                self.truth.held.add(rid)
        yield LegalHold, rows

    def derived_rows(self) -> Iterator[tuple[type, list[dict]]]:
        """The ledger and the kept states, as ``enforce.settle`` leaves them."""
        truth, ledger, states = self.truth, [], []
        for rid in sorted(set(truth.cases) | truth.held):
            promise = truth.promise[rid]
            dated = [u for _, u, _ in truth.cases.get(rid, ()) if u is not None]
            until = max([promise, *dated])
            if until > promise:
                ledger.append(
                    {
                        "id": len(ledger) + 1, "recording_id": rid, "field": RETAIN_UNTIL_FIELD,
                        "value": until.isoformat(), "reason": "案件归档", "corrected_by": "bench",
                        "corrected_at": self.now,
                    }
                )  # fmt: skip
            indefinite = rid in truth.held or any(i for _, _, i in truth.cases.get(rid, ()))
            states.append(
                {
                    "recording_id": rid, "unit_id": truth.unit[rid], "retain_until": until,
                    "indefinite": indefinite, "computed_at": self.now, "promise": promise,
                }
            )  # fmt: skip
        yield Correction, ledger
        yield RetentionState, states


def load(database: Database, chunks: Iterator[tuple[type, list[dict]]]) -> dict[str, int]:
    """Core executemany on SQLite, COPY on PostgreSQL, in one transaction."""
    counts: dict[str, int] = defaultdict(int)
    with database.unit_of_work() as session:
        for model, rows in chunks:
            if not rows:
                continue
            counts[model.__tablename__] += len(rows)
            if database.dialect != "postgresql":
                session.execute(insert(model), rows)
                continue
            columns = list(rows[0])
            raw = session.connection().connection.driver_connection
            statement = f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(
                        [json.dumps(v) if isinstance(v, list) else v for v in row.values()]
                    )
    return counts


def settle_sequences(database: Database) -> None:
    with database.unit_of_work() as session:
        if database.dialect == "postgresql":  # ids were given: move the sequences past them
            for model in (
                IngestRun, Recording, Activity, ActivityLink, PenaltyCase, CaseLink, LegalHold,
                Correction,
            ):  # fmt: skip
                table = model.__tablename__
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
        session.execute(text("ANALYZE"))


# --- 1. recomputation ------------------------------------------------------------------------------


def floor(database: Database) -> Floor:
    """One read of the link rows, the holds and the ledger, iterated (then the promises)."""
    direct = (
        select(CaseLink.recording_id, PenaltyCase.id, PenaltyCase.number,
               PenaltyCase.archived_on, PenaltyCase.term_years)
        .join(PenaltyCase, PenaltyCase.id == CaseLink.case_id)
        .where(CaseLink.recording_id.is_not(None), CaseLink.unlinked_at.is_(None))
    )  # fmt: skip
    through = (
        select(ActivityLink.recording_id, PenaltyCase.id, PenaltyCase.number,
               PenaltyCase.archived_on, PenaltyCase.term_years)
        .join(CaseLink, CaseLink.activity_id == ActivityLink.activity_id)
        .join(PenaltyCase, PenaltyCase.id == CaseLink.case_id)
        .where(CaseLink.unlinked_at.is_(None), ActivityLink.detached_at.is_(None))
    )  # fmt: skip
    holds = select(LegalHold.recording_id, LegalHold.id).where(LegalHold.released_at.is_(None))
    ledger = select(Correction.recording_id, Correction.value).where(
        Correction.field == RETAIN_UNTIL_FIELD
    )
    with database.read() as session:
        orm, _ = _read(session.execute, (direct, through, holds, ledger))
    with database.read() as session:  # through Core, row by row and as effective.standing reads
        connection = session.connection()
        core, (cpu, rows) = _read(connection.execute, (direct, through, holds, ledger))
        batches = partial(rows_of, connection)
        batched, (batched_cpu, _) = _read(batches, (direct, through, holds, ledger))
        states, (states_cpu, more) = _read(batches, (kept_states(),))
    links_cpu = min(cpu, batched_cpu)
    return Floor(orm, core, batched, states, rows, rows + more, links_cpu, links_cpu + states_cpu)


def _read(execute: Any, statements: tuple[Any, ...]) -> tuple[float, tuple[float, int]]:
    started, cpu, rows = time.perf_counter(), time.process_time(), 0
    for stmt in statements:
        for _row in execute(stmt):
            rows += 1
    return time.perf_counter() - started, (time.process_time() - cpu, rows)


@dataclass
class Floor:
    """The floor as issue 17 defines it: the link, hold and ledger rows, read once (through the
    ORM session, through Core row by row and ``FETCH`` rows at a time: the fastest counts), and
    the kept states read too."""

    orm: float
    core: float
    batched: float
    states: float  # the kept states with their promise (what the recomputation reads besides)
    rows: int
    wider_rows: int
    links_cpu: float  # this process's CPU time (on SQLite, the database's too), Core's read
    cpu: float  # and the kept states'

    @property
    def links(self) -> float:
        return min(self.orm, self.core, self.batched)

    @property
    def wider(self) -> float:
        return min(self.core, self.batched) + self.states


def kept_states() -> Any:
    """What the recomputation reads besides the links: the kept states, each with the ingest
    promise (migration 0016); the wide recording table only for recordings without one."""
    return select(
        RetentionState.recording_id, RetentionState.retain_until, RetentionState.indefinite,
        RetentionState.promise,
    )  # fmt: skip


def full_pass(database: Database, actor: Actor, store: LocalStore) -> tuple[float, int, int, float]:
    started, cpu = time.perf_counter(), time.process_time()
    with database.unit_of_work() as session:
        done = recompute(session=session, actor=actor, store=store)
    return time.perf_counter() - started, done.scanned, done.settled, time.process_time() - cpu


# --- 2. archiving on SeaweedFS ---------------------------------------------------------------------


@dataclass
class ArchiveSetup:
    case_id: int
    shas: list[str]
    built: float


def publish_objects(store: Any, count: int, tag: str) -> tuple[list[str], datetime]:
    """Tiny distinct objects, each locked two years ahead (the ingest promise), then held as
    linking to an open case leaves them."""
    import hashlib

    start = datetime.now(UTC) - timedelta(days=30)
    lock = lock_until(add_years(start.date(), 2))
    blobs = [f"lawcam bench {tag} {i} {uuid.uuid4().hex}".encode() for i in range(count)]
    shas = [hashlib.sha256(b).hexdigest() for b in blobs]

    def one(pair: tuple[bytes, str]) -> None:
        blob, sha256 = pair
        with store.writer() as writer:
            writer.write(blob)
            assert writer.publish(sha256, lock)
        store.legal_hold(sha256, True)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, zip(blobs, shas, strict=True)))
    return shas, start


def build_archive_case(
    database: Database, settings: Settings, actor: Actor, office: Office, store: Any, count: int
) -> ArchiveSetup:
    began = time.perf_counter()
    shas, start = publish_objects(store, count, database.dialect)
    new = cases.NewCase(
        number=f"京执罚〔基准〕归档{uuid.uuid4().hex[:6]}", unit_id=office.units[0],
        title="归档基准", opened_on=today_shanghai() - timedelta(days=60), term="10y",
    )  # fmt: skip
    with database.unit_of_work() as session:
        case_id = cases.create_case(
            session=session, actor=actor, terms=settings.case_terms, new=new
        ).id
    first_run, first = office.runs + 1, office.recordings + 1
    now = datetime.now(UTC)

    def rows() -> Iterator[tuple[type, list[dict]]]:
        yield IngestRun, [run_row(office, first_run, start)]
        recs = [
            recording_row(office, first + i, start + timedelta(seconds=i), sha, first_run)
            for i, sha in enumerate(shas)
        ]
        for r in recs:
            r["unit_id"] = office.units[0]
        yield Recording, recs
        yield CaseLink, [
            {
                "case_id": case_id, "recording_id": r["id"], "activity_id": None,
                "reason": "作为证据", "linked_by": "bench", "linked_at": now,
                "unlink_reason": "", "unlink_requested_by": "", "unlink_requested_by_id": None,
                "unlink_requested_at": None, "unlinked_by": "", "unlinked_at": None,
            }
            for r in recs
        ]  # fmt: skip
        yield RetentionState, [
            {
                "recording_id": r["id"], "unit_id": r["unit_id"],
                "retain_until": r["retain_until"], "indefinite": True, "computed_at": now,
                "promise": r["retain_until"],
            }
            for r in recs
        ]  # fmt: skip

    load(database, rows())
    office.runs, office.recordings = first_run, first + count - 1
    settle_sequences(database)
    return ArchiveSetup(case_id, shas, time.perf_counter() - began)


def bare_puts(store: Any, shas: list[str], days: int, start: datetime) -> float:
    """PutObjectRetention on each object, one call each, the same client: the lock a few days
    further (never shorter than what it has: COMPLIANCE cannot shrink)."""
    from lawcam.storage import address

    wanted = lock_until(add_years(start.date(), 2) + timedelta(days=days))
    began = time.perf_counter()
    for sha256 in shas:
        store.client.put_object_retention(
            Bucket=store.bucket, Key=address(sha256),
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": wanted},
        )  # fmt: skip
    return time.perf_counter() - began


def archive(
    database: Database, actor: Actor, store: Any, case_id: int, profile: bool
) -> tuple[float, float, str]:
    """The archive in its transaction, then the commit (the holds released after it)."""
    profiler = cProfile.Profile() if profile else None
    began = time.perf_counter()
    if profiler:
        profiler.enable()
    with database.unit_of_work() as session:
        case = session.get(PenaltyCase, case_id)
        assert case is not None
        cases.archive_case(
            session=session, actor=actor, store=store, case=case, archived_on=today_shanghai()
        )
        in_transaction = time.perf_counter() - began
    total = time.perf_counter() - began
    shown = ""
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
        shown = out.getvalue()
    return total, in_transaction, shown


def check_archived(store: Any, shas: list[str]) -> str:
    """A sample read back: the lock at archive + 10 years, the hold off."""
    wanted = lock_until(add_years(today_shanghai(), 10))
    sample = random.Random(3).sample(shas, min(20, len(shas)))
    bad = [s for s in sample if (p := store.protection(s)) is None
           or p.retain_until != wanted or p.legal_hold]  # fmt: skip
    return "locks and holds as expected" if not bad else f"{len(bad)} of {len(sample)} WRONG"


# --- running ----------------------------------------------------------------------------------------


def measure(kind: str, args: argparse.Namespace, workdir: Path, seaweed: Any) -> None:
    actor = console_actor("bench")
    with databases(kind, workdir, "retention") as database:
        if database is None:
            return
        home = workdir / f"home-{kind}"
        home.mkdir()
        settings = Settings(home=home, database_url=database.url)
        print(f"\n{'SQLite' if kind == 'sqlite' else 'PostgreSQL'} {server_version(database)}")
        office = build_people(database, actor)
        generator = Generator(office, args.recordings, args.cases, args.holds)
        began = time.perf_counter()
        counts = load(database, generator.recordings())
        counts.update(load(database, generator.activities_rows()))
        counts.update(load(database, generator.cases_rows()))
        counts.update(load(database, generator.holds_rows()))
        counts.update(load(database, generator.derived_rows()))
        settle_sequences(database)
        shown = ", ".join(f"{n:,} {table}" for table, n in counts.items())
        print(f"  built in {time.perf_counter() - began:.1f} s: {shown}")
        store = LocalStore(workdir / f"objects-{kind}")  # untouched: every state is current
        floors, orms, cores, batched, wider, domains, cpus = [], [], [], [], [], [], []
        for _ in range(args.repeat):  # in turns, so that noise falls on both alike
            found = floor(database)
            floors.append(found.links)
            orms.append(found.orm)
            cores.append(found.core)
            batched.append(found.batched)
            wider.append(found.wider)
            took, scanned, settled, cpu = full_pass(database, actor, store)
            domains.append(took)
            cpus.append((cpu, found.links_cpu, found.cpu))
        best_floor, best_wider, best = min(floors), min(wider), min(domains)
        cpu = (min(c[0] for c in cpus), min(c[1] for c in cpus), min(c[2] for c in cpus))
        print(
            f"  1. recompute every effective retention: {best:.2f} s ({scanned:,} recordings "
            f"with more than their promise, {settled} settled); floor {best_floor:.2f} s "
            f"({found.rows:,} link, hold and ledger rows; through the ORM session {min(orms):.2f}"
            f" s, through Core {min(cores):.2f} s, {FETCH} rows at a time {min(batched):.2f} s); ratio {best / best_floor:.2f}× (goal ≤ 3×); "
            f"with the kept states and their promises read too {best_wider:.2f} s "
            f"({found.wider_rows:,} rows), ratio {best / best_wider:.2f}× (best of {args.repeat};"
            f" all: {fmt(domains)} / {fmt(floors)} / {fmt(wider)}); this process's CPU "
            f"{cpu[0]:.2f} s against {cpu[1]:.2f} s / {cpu[2]:.2f} s: {cpu[0] / cpu[1]:.2f}× / "
            f"{cpu[0] / cpu[2]:.2f}×"
        )
        if seaweed is None:
            return
        bucket = seaweed.store(f"lawcam-bench-{kind}-{uuid.uuid4().hex[:8]}", spool_dir=workdir)
        bucket.ensure_bucket()
        setup = build_archive_case(database, settings, actor, office, bucket, args.archive)
        start = datetime.now(UTC) - timedelta(days=30)
        puts = [bare_puts(bucket, setup.shas, days, start) for days in (1, 2)]
        total, in_tx, profile = archive(database, actor, bucket, setup.case_id, args.profile)
        bare = min(puts)
        print(
            f"  2. archive a case of {args.archive:,} recordings on SeaweedFS: {total:.1f} s "
            f"({total / args.archive * 1e3:.1f} ms each; in the transaction {in_tx:.1f} s, commit "
            f"and hold releases {total - in_tx:.1f} s); floor {bare:.1f} s of bare "
            f"PutObjectRetention ({bare / args.archive * 1e3:.1f} ms each; passes {fmt(puts)}); "
            f"ratio {total / bare:.1f}×; {check_archived(bucket, setup.shas)} "
            f"(set up in {setup.built:.1f} s)"
        )
        if profile:
            print(profile)


def fmt(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 10^4 recordings")
    parser.add_argument("--size", type=int, help="recordings (10^6; cases and holds in scale)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database only")
    parser.add_argument("--workdir", type=Path, help="for the SQLite file (default: a temp dir)")
    parser.add_argument("--repeat", type=int, help="recomputations per database (3; quick 2)")
    parser.add_argument("--archive", type=int, help="recordings of the archived case (10^4)")
    parser.add_argument("--no-archive", action="store_true", help="skip SeaweedFS (part 2)")
    parser.add_argument("--profile", action="store_true", help="cProfile the archive")
    parser.add_argument("--pool", type=int, help="store calls at once in settle (enforce.POOL)")
    args = parser.parse_args()
    args.recordings = args.size or (10**4 if args.quick else 10**6)
    args.cases = max(args.recordings // 100, 10)
    args.holds = max(args.recordings // 1000, 10) if args.recordings > 10**5 else args.cases
    args.repeat = args.repeat or (2 if args.quick else 3)
    args.archive = args.archive or (200 if args.quick else 10**4)
    return args


def main() -> None:
    args = options()
    if args.pool:
        enforce.POOL = args.pool
    print("lawcam retention benchmark (bench/retention.py)")
    print(f"store calls at once while settling: {enforce.POOL}")
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}"
    )
    print(f"load average at start: {load_average()}")
    kinds = [args.only] if args.only else ["sqlite", "postgresql"]
    with tempfile.TemporaryDirectory(prefix="lawcam-bench-retention-", dir=args.workdir) as tmp:
        seaweed = None
        if not args.no_archive:
            from tests.seaweed import start_seaweed

            (Path(tmp) / "seaweed").mkdir()
            seaweed = start_seaweed(Path(tmp) / "seaweed")
        try:
            for kind in kinds:
                measure(kind, args, Path(tmp), seaweed)
        finally:
            if seaweed is not None:
                seaweed.stop()
    print(f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    sys.exit(main())
