"""The audit log's Merkle tree (issue #6): append rate, proofs at 10^3 … 10^6 leaves, and
``verify --log`` throughput, each against a floor or a reference measured in the same run.

1. Append rate: ``audit.service.record`` with a console actor, one event per
   ``Database.unit_of_work`` (one commit each), on SQLite and on PostgreSQL (a throw-away
   database created and dropped here). Three fresh databases per backend, taken in turns so that
   noise falls on all of them alike: the product as it is; the same with
   ``lawcam.audit.log.append`` replaced by a no-op (inside this benchmark only: the cost of the
   tree); and the floor, one Core INSERT of the same row per transaction.
2. Proofs: one log grown by bulk inserts (audit_event rows with canonical JSON entries and the
   audit_merkle_node rows ``merkle.append_leaf`` gives, SQLAlchemy Core executemany in batches)
   to 10^3, 10^5 and 10^6 leaves (``--quick``: 10^3, 10^4). At each size: ``log.inclusion_proof``
   for random leaves (median and p95 per proof, each in its own read session, as a request
   would), ``log.consistency_proof`` from a random size to the whole log, ``log.make_head``
   (commit not included), and one primary-key SELECT of a node (the cheapest query, for scale).
   Goal: inclusion proof at the largest size / at 10^3 < 3 (logarithmic). A sample of the proofs
   is checked with ``merkle.verify_inclusion`` / ``verify_consistency`` outside the clock.
   Then, on the largest log, ``record`` again (does the append rate depend on the log's size?).
3. ``verify --log``: ``audit.integrity.check_log`` at each size (per leaf: linear is about 1),
   and on the largest log against SHA-256 of the same entry bytes, leaf by leaf as the verifier
   hashes them (0x00 ‖ entry), from memory; also the plain scan of (seq, entry) rows in seq
   order, for scale.

``--experiments`` also times proposed changes, swapped in inside this process only (NOT the
product): ``log.append`` as two Core statements, and ``check_log`` reading the stored leaves by a
range of the primary key.

SQLite by default; ``--pg`` builds and measures the proof logs on PostgreSQL too (the append
rate is always measured on both when PostgreSQL answers). LAWCAM_TEST_PG_URL names the server
(default postgresql://postgres@127.0.0.1:5432/postgres, as the tests).

Usage: python bench/audit.py [--quick] [--pg] [--experiments] [--appends N] [--proofs N]
                             [--workdir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import platform
import random
import sqlite3
import ssl
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select, text
from sqlalchemy.exc import SADeprecationWarning
from sqlalchemy.orm import Session

from lawcam.audit import integrity as integrity_module
from lawcam.audit import log, merkle
from lawcam.audit.integrity import Collector, check_log
from lawcam.audit.models import AuditEvent, MerkleNode
from lawcam.audit.service import canonical_json, record
from lawcam.audit.signing import Signer
from lawcam.authz import Actor, console_actor
from lawcam.db import Database, make_engine
from lawcam.db.migrate import upgrade
from lawcam.timeutil import utcnow

PG_URL = os.environ.get("LAWCAM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TAG = "bench:leaf:write"
BATCH = 20_000  # rows per executemany while building a log
ROUND = 50  # appends per turn, per database

# check_log iterates Result.tuples(), deprecated in this SQLAlchemy; not this benchmark's concern.
warnings.filterwarnings("ignore", category=SADeprecationWarning)


# ---------------------------------------------------------------------------------------------
# Databases


@dataclass
class Backend:
    name: str  # "SQLite" or "PostgreSQL"
    workdir: Path
    made: list[str]

    @contextlib.contextmanager
    def database(self, label: str) -> Iterator[Database]:
        """A freshly migrated database, dropped (PostgreSQL) or left in the workdir (SQLite)."""
        if self.name == "SQLite":
            url = f"sqlite:///{self.workdir / f'{label}.db'}"
            database = Database(url)
            upgrade(database.engine)
            try:
                yield database
            finally:
                database.dispose()
            return
        name = f"lawcam_bench_audit_{os.getpid()}_{label}"
        pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg_execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        database = Database(pg_url(name))
        try:
            upgrade(database.engine)
            yield database
        finally:
            database.dispose()
            pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.made.remove(name)


def pg_url(name: str) -> str:
    base, _, _ = PG_URL.rpartition("/")
    return f"{base}/{name}"


def pg_execute(sql: str) -> object:
    engine = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            result = conn.execute(text(sql))
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def pg_version() -> str | None:
    try:
        return str(pg_execute("SHOW server_version"))
    except Exception:  # any failure means: no server to measure
        return None


# ---------------------------------------------------------------------------------------------
# 1. Append rate


def entry_of(seq: int, actor: Actor) -> tuple[dict[str, object], str]:
    """An audit row and its canonical JSON entry, shaped as ``record`` makes them."""
    occurred_at = utcnow()
    after = {"名称": f"第{seq}条", "单位": "执法中心", "数量": seq % 97}
    entry = {
        "seq": seq,
        "time": occurred_at.isoformat(),
        "tag": TAG,
        "actor": {
            "label": actor.label,
            "source": actor.source,
            "account_id": None,
            "person_id": None,
        },
        "subject": {"type": "thing", "id": str(seq)},
        "before": None,
        "after": after,
    }
    text_entry = canonical_json(entry)
    row = {
        "seq": seq,
        "occurred_at": occurred_at,
        "tag": TAG,
        "actor_label": actor.label,
        "actor_source": actor.source,
        "actor_account_id": None,
        "actor_person_id": None,
        "subject_type": "thing",
        "subject_id": str(seq),
        "before": None,
        "after": canonical_json(after),
        "entry": text_entry,
    }
    return row, text_entry


def clock(action: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds (this process: the server's CPU, on PostgreSQL, is not in it)."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def append_with(database: Database, actor: Actor, count: int) -> None:
    """``count`` events through ``record``, each in its own transaction."""
    for i in range(count):
        with database.unit_of_work() as session:
            record(session, actor, TAG, ("thing", i), after={"名称": f"第{i}条", "数量": i % 97})


def append_floor(database: Database, actor: Actor, count: int, first: int) -> None:
    """The same rows with one Core INSERT per transaction: no seq lookup, no ORM, no tree."""
    for i in range(count):
        row, _ = entry_of(first + i, actor)
        with database.unit_of_work() as session:
            session.execute(insert(AuditEvent), [row])


@contextlib.contextmanager
def replaced_append(function: Callable[[Session, int, str], None]) -> Iterator[None]:
    """``record`` with another ``lawcam.audit.log.append`` (this benchmark only)."""
    saved = log.append
    log.append = function  # type: ignore[assignment]
    try:
        yield
    finally:
        log.append = saved


def no_append(session: Session, seq: int, entry: str) -> None:
    """The Merkle append as a no-op: ``record`` without the tree."""


def append_rates(
    backend: Backend, actor: Actor, total: int, experiments: bool
) -> dict[str, tuple[float, float]]:
    """Seconds (wall, CPU) per event for each variant, each on its own fresh database."""
    variants: dict[str, Callable[[Session, int, str], None] | None] = {
        "tree": log.append,
        "no tree": no_append,
        "floor": None,  # one Core INSERT, no record()
    }
    if experiments:
        variants["EXPERIMENT core"] = append_core
    with contextlib.ExitStack() as stack:
        dbs = {
            name: stack.enter_context(backend.database(f"append_{i}"))
            for i, name in enumerate(variants)
        }

        def run(name: str, count: int, first: int) -> tuple[float, float]:
            function = variants[name]
            if function is None:
                return clock(lambda: append_floor(dbs[name], actor, count, first))
            with replaced_append(function):
                return clock(lambda: append_with(dbs[name], actor, count))

        for name in variants:  # connections open, first statements compiled, before the clock
            run(name, 5, 0)
        spent = {name: [0.0, 0.0] for name in variants}
        done = 0
        while done < total:
            n = min(ROUND, total - done)
            for name in variants:
                wall, cpu = run(name, n, 5 + done)
                spent[name][0] += wall
                spent[name][1] += cpu
            done += n
        for name in ("tree", "EXPERIMENT core"):  # the trees built are the RFC 9162 ones
            if name not in dbs:
                continue
            with dbs[name].read() as session:
                check = Collector()
                check_log(session=session, public_key=b"", found=check)
            if check.problems:
                sys.exit(f"{backend.name} {name}: the log does not verify: {check.problems[:3]}")
        return {name: (wall / total, cpu / total) for name, (wall, cpu) in spent.items()}


# ---------------------------------------------------------------------------------------------
# 2. Proofs


def grow(database: Database, actor: Actor, start: int, end: int) -> float:
    """Leaves [start, end) by bulk insert, continuing the stored tree of size ``start``."""
    began = time.perf_counter()
    with database.read() as session:
        keys = merkle.frontier_keys(start)
        nodes = log.fetcher(session)(keys)
    frontier = [(key[0], nodes[key]) for key in keys]
    for low in range(start, end, BATCH):
        events: list[dict[str, object]] = []
        tree: list[dict[str, object]] = []
        for seq in range(low, min(end, low + BATCH)):
            row, entry = entry_of(seq, actor)
            events.append(row)
            leaf = merkle.leaf_hash(entry.encode("utf-8"))
            for (level, index), value in merkle.append_leaf(frontier, seq, leaf):
                key = MerkleNode.key_of(level, index)
                tree.append({"key": key, "level": level, "idx": index, "hash": value.hex()})
        with database.unit_of_work() as session:
            session.execute(insert(AuditEvent), events)
            session.execute(insert(MerkleNode), tree)
    if database.dialect == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE audit_event"))
            conn.execute(text("VACUUM ANALYZE audit_merkle_node"))
    else:
        with database.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - began


@dataclass
class Timing:
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.samples, n=20)[18] if len(self.samples) > 1 else 0.0

    def text(self) -> str:
        return f"median {self.median * 1e3:7.3f} ms, p95 {self.p95 * 1e3:7.3f} ms"


def timed_each(database: Database, calls: list[Callable[..., object]]) -> tuple[Timing, list]:
    """Each call in its own read session, timed alone; results kept for checking."""
    samples, results = [], []
    for call in calls:
        with database.read() as session:
            started = time.perf_counter()
            result = call(session)
            samples.append(time.perf_counter() - started)
        results.append(result)
    return Timing(samples), results


@dataclass
class SizeFigures:
    size: int
    build_s: float
    lookup: Timing
    inclusion: Timing
    consistency: Timing
    head: Timing
    check_s: float


def measure_size(
    database: Database,
    actor: Actor,
    signer: Signer,
    size: int,
    proofs: int,
    heads: int,
    rng: random.Random,
) -> tuple[Timing, Timing, Timing, Timing]:
    leaves = [rng.randrange(size) for _ in range(proofs)]
    firsts = [rng.randrange(1, size) for _ in range(proofs)]
    keys = [MerkleNode.key_of(0, leaf) for leaf in leaves]

    def proof(leaf: int) -> Callable[..., object]:
        return lambda s: log.inclusion_proof(session=s, actor=actor, leaf_index=leaf)

    def consistency(first: int) -> Callable[..., object]:
        return lambda s: log.consistency_proof(session=s, actor=actor, first=first, second=size)

    def lookup(key: int) -> Callable[..., object]:
        return lambda s: s.execute(select(MerkleNode.hash).where(MerkleNode.key == key)).scalar()

    timed_each(database, [proof(leaf) for leaf in leaves[:20]])  # warm the caches and the pool
    looked, _ = timed_each(database, [lookup(key) for key in keys])
    inclusion, shown = timed_each(database, [proof(leaf) for leaf in leaves])
    consistent, checked = timed_each(database, [consistency(first) for first in firsts])
    for doc in shown[:50]:  # outside the clock: the proofs are right
        merkle.verify_inclusion(
            doc["leaf_index"],
            doc["tree_size"],
            bytes.fromhex(doc["leaf_hash"]),
            [bytes.fromhex(h) for h in doc["path"]],
            bytes.fromhex(doc["root"]),
        )
    for doc in checked[:50]:
        merkle.verify_consistency(
            doc["from"],
            doc["to"],
            bytes.fromhex(doc["first_root"]),
            bytes.fromhex(doc["second_root"]),
            [bytes.fromhex(h) for h in doc["path"]],
        )
    samples = []
    for _ in range(heads):
        with database.unit_of_work() as session:
            started = time.perf_counter()
            log.make_head(session=session, signer=signer, force=True)
            samples.append(time.perf_counter() - started)
    return looked, inclusion, consistent, Timing(samples)


def proofs_on(
    backend: Backend, actor: Actor, signer: Signer, sizes: list[int], args: argparse.Namespace
) -> tuple[list[SizeFigures], dict[str, float]]:
    rng = random.Random(6)
    figures: list[SizeFigures] = []
    with backend.database("proofs") as database:
        built = 0
        for size in sizes:
            build_s = grow(database, actor, built, size)
            built = size
            looked, inclusion, consistent, head = measure_size(
                database, actor, signer, size, args.proofs, args.heads, rng
            )
            check_s = time_check_log(database, signer, size)
            figures.append(SizeFigures(size, build_s, looked, inclusion, consistent, head, check_s))
            print(
                f"  {backend.name} {size:>9,} leaves built (+{build_s:.1f} s); "
                f"inclusion {inclusion.text()}",
                flush=True,
            )
        verify = verify_floors(database) | {"check_s": figures[-1].check_s}
        if args.experiments:
            verify |= experiments(database, actor, signer, sizes[-1])
        verify |= append_on_big(database, actor, args.big_appends)
    return figures, verify


def append_on_big(database: Database, actor: Actor, count: int) -> dict[str, float]:
    append_with(database, actor, 5)
    wall, cpu = clock(lambda: append_with(database, actor, count))
    return {"big_append_wall": wall / count, "big_append_cpu": cpu / count}


# ---------------------------------------------------------------------------------------------
# 3. verify --log


def time_check_log(database: Database, signer: Signer, size: int) -> float:
    found = Collector()
    with database.read() as session:
        started = time.perf_counter()
        check_log(session=session, public_key=signer.public_key, found=found)
        spent = time.perf_counter() - started
    if found.problems or found.events_checked != size:
        sys.exit(f"check_log found problems on a sound log: {found.problems[:3]}")
    return spent


def verify_floors(database: Database) -> dict[str, float]:
    """The scan of (seq, entry) rows in order, and SHA-256 of each 0x00 ‖ entry from memory."""
    with database.read() as session:
        stmt = select(AuditEvent.seq, AuditEvent.entry).order_by(AuditEvent.seq, AuditEvent.id)
        started = time.perf_counter()
        entries = [entry for _, entry in session.execute(stmt)]
        scan_s = time.perf_counter() - started
    data = [entry.encode("utf-8") for entry in entries]
    del entries
    started = time.perf_counter()
    for item in data:
        hashlib.sha256(b"\x00" + item).digest()
    sha_s = time.perf_counter() - started
    return {
        "events": len(data),
        "bytes": sum(len(item) for item in data),
        "sha_s": sha_s,
        "scan_s": scan_s,
    }


# ---------------------------------------------------------------------------------------------
# Experiments (--experiments): proposed changes, NOT the product. The functions below replace
# the product's own for the time of one measurement, in this process only.


def leaves_by_key_range(session: Session, first: int, count: int) -> dict[int, bytes]:
    """EXPERIMENT. ``audit.integrity._stored_leaves`` as a range of the primary key (the key
    is ``idx << 6 | level``, so leaves [first, first + count) lie in one key range), instead of
    ``level = 0 AND idx BETWEEN …``, which no index serves (a full scan per batch)."""
    stmt = select(MerkleNode.idx, MerkleNode.hash).where(
        MerkleNode.key >= MerkleNode.key_of(0, first),
        MerkleNode.key < MerkleNode.key_of(0, first + count),
        MerkleNode.level == 0,
    )
    return {int(i): bytes.fromhex(h) for i, h in session.execute(stmt)}


def append_core(session: Session, seq: int, entry: str) -> None:
    """EXPERIMENT. ``log.append`` with the frontier SELECT and the node INSERT as Core
    statements on the session's connection (no ORM statement handling, no bulk-insert path)."""
    table, conn = MerkleNode.__table__, session.connection()
    keys = merkle.frontier_keys(seq)
    wanted = {MerkleNode.key_of(level, index): (level, index) for level, index in keys}
    found: dict[tuple[int, int], bytes] = {}
    if wanted:
        stmt = select(table.c.key, table.c.hash).where(table.c.key.in_(list(wanted)))
        found = {wanted[key]: bytes.fromhex(value) for key, value in conn.execute(stmt)}
    frontier = [(key[0], found[key]) for key in keys]
    new = merkle.append_leaf(frontier, seq, merkle.leaf_hash(entry.encode("utf-8")))
    rows = [
        {"key": MerkleNode.key_of(level, index), "level": level, "idx": index, "hash": h.hex()}
        for (level, index), h in new
    ]
    conn.execute(insert(table), rows)


def experiments(database: Database, actor: Actor, signer: Signer, size: int) -> dict[str, float]:
    saved_leaves = integrity_module._stored_leaves
    integrity_module._stored_leaves = leaves_by_key_range
    try:
        check_s = time_check_log(database, signer, size)
    finally:
        integrity_module._stored_leaves = saved_leaves
    return {"exp_check_s": check_s}


# ---------------------------------------------------------------------------------------------
# Reporting


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def print_append(name: str, per_event: dict[str, tuple[float, float]], total: int) -> None:
    print(f"  {name}: {total} events per database, one per transaction, {ROUND} at a turn")
    print(f"    {'':<28} {'events/s':>9} {'wall µs/event':>14} {'CPU µs/event':>13}")
    labels = {
        "tree": "record() with the tree",
        "no tree": "record(), append a no-op",
        "floor": "floor: one Core INSERT",
        "EXPERIMENT core": "EXPERIMENT append via Core",
    }
    for key, label in labels.items():
        if key not in per_event:
            continue
        wall, cpu = per_event[key]
        print(f"    {label:<28} {1 / wall:9.0f} {wall * 1e6:14.0f} {cpu * 1e6:13.0f}")
    (tree_w, tree_c), (bare_w, bare_c) = per_event["tree"], per_event["no tree"]
    floor_w, floor_c = per_event["floor"]
    print(
        f"    the tree costs {(tree_w - bare_w) * 1e6:.0f} µs/event wall, "
        f"{(tree_c - bare_c) * 1e6:.0f} µs/event CPU"
    )
    print(
        f"    ratio with/without tree: wall {tree_w / bare_w:.2f}, CPU {tree_c / bare_c:.2f}; "
        f"ratio record()/floor: wall {tree_w / floor_w:.2f}, CPU {tree_c / floor_c:.2f}"
    )
    if "EXPERIMENT core" in per_event:
        exp_w, exp_c = per_event["EXPERIMENT core"]
        print(
            f"    EXPERIMENT: the tree via Core costs {(exp_w - bare_w) * 1e6:.0f} µs/event wall, "
            f"{(exp_c - bare_c) * 1e6:.0f} µs/event CPU"
        )


def print_proofs(name: str, figures: list[SizeFigures], verify: dict[str, float]) -> None:
    print(f"  {name}, per call (each in its own read session):")
    head = f"    {'leaves':>9}  {'what':<22} {'median':>9} {'p95':>9}"
    print(head)
    for f in figures:
        for label, timing in (
            ("PK lookup (one node)", f.lookup),
            ("inclusion_proof", f.inclusion),
            ("consistency_proof", f.consistency),
            ("make_head (no commit)", f.head),
        ):
            print(
                f"    {f.size:>9,}  {label:<22} {timing.median * 1e3:6.3f} ms "
                f"{timing.p95 * 1e3:6.3f} ms"
            )
    small, big = figures[0], figures[-1]
    exp = len(str(big.size)) - 1
    for label, pick in (
        ("inclusion_proof", lambda f: f.inclusion),
        ("consistency_proof", lambda f: f.consistency),
        ("make_head", lambda f: f.head),
        ("PK lookup", lambda f: f.lookup),
    ):
        ratio = pick(big).median / pick(small).median
        print(f"    ratio 10^{exp}/10^3 {label:<18} {ratio:5.2f}")
    ratio = big.inclusion.median / small.inclusion.median
    print(
        f"    inclusion proof / PK lookup at 10^{exp}: {big.inclusion.median / big.lookup.median:.1f}"
    )
    print(f"    ratio 10^{exp}/10^3 (inclusion proof, median): {ratio:.2f} (goal < 3)")
    print(f"  {name} check_log (verify --log) at each size:")
    for f in figures:
        print(f"    {f.size:>9,} leaves {f.check_s:8.2f} s {f.check_s / f.size * 1e6:7.1f} µs/leaf")
    per_leaf = (big.check_s / big.size) / (small.check_s / small.size)
    print(f"    ratio 10^{exp}/10^3 check_log per leaf: {per_leaf:.2f} (linear: about 1)")
    events, nbytes = verify["events"], verify["bytes"]
    check, sha, scan = verify["check_s"], verify["sha_s"], verify["scan_s"]
    print(f"  {name} verify --log (check_log) on {events:,.0f} entries ({nbytes / 1e6:.0f} MB):")
    print(f"    check_log                   {check:7.2f} s  {events / check:10,.0f} leaves/s")
    print(f"    SHA-256 of 0x00‖entry       {sha:7.2f} s  {events / sha:10,.0f} leaves/s")
    print(f"    scan (seq, entry) in order  {scan:7.2f} s  {events / scan:10,.0f} rows/s")
    print(f"    ratio check_log/SHA-256: {check / sha:.1f}")
    print(f"    ratio check_log/(scan + SHA-256): {check / (scan + sha):.1f}")
    if "exp_check_s" in verify:
        exp_s = verify["exp_check_s"]
        print(
            f"    EXPERIMENT check_log, leaves by key range {exp_s:7.2f} s "
            f"{events / exp_s:10,.0f} leaves/s; ratio to SHA-256 {exp_s / sha:.1f}"
        )
    wall, cpu = verify["big_append_wall"], verify["big_append_cpu"]
    print(
        f"  {name} record() on the {events:,.0f}-leaf log, one per transaction: "
        f"{1 / wall:.0f} events/s ({wall * 1e6:.0f} µs/event wall, {cpu * 1e6:.0f} µs CPU)"
    )


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 10^3 and 10^4 leaves")
    parser.add_argument("--pg", action="store_true", help="also build the proof logs on PostgreSQL")
    parser.add_argument("--appends", type=int, help="events per database (2000; quick 200)")
    parser.add_argument("--proofs", type=int, default=300, help="proofs per size (300, ≥ 200)")
    parser.add_argument("--workdir", type=Path, help="for the SQLite files (default: a temp dir)")
    parser.add_argument(
        "--experiments",
        action="store_true",
        help="also time proposed changes (replaced inside this process only; not the product)",
    )
    args = parser.parse_args()
    args.sizes = [10**3, 10**4] if args.quick else [10**3, 10**5, 10**6]
    args.appends = args.appends or (200 if args.quick else 2000)
    args.heads = 20 if args.quick else 50
    args.big_appends = 100 if args.quick else 500
    return args


def main() -> None:
    args = options()
    actor = console_actor("bench")
    signer = Signer(Ed25519PrivateKey.generate())
    pg = pg_version()
    print("lawcam audit log benchmark (bench/audit.py)")
    print(
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}), {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; SQLite "
        f"{sqlite3.sqlite_version}; PostgreSQL {pg or 'not reachable'}; {ssl.OPENSSL_VERSION}"
    )
    print(f"load average at start: {load()}")
    with tempfile.TemporaryDirectory(prefix="lawcam-bench-audit-", dir=args.workdir) as tmp:
        backends = [Backend("SQLite", Path(tmp), [])]
        if pg:
            backends.append(Backend("PostgreSQL", Path(tmp), []))
        print()
        print("1. append rate")
        for backend in backends:
            rates = append_rates(backend, actor, args.appends, args.experiments)
            print_append(backend.name, rates, args.appends)
        if not pg:
            print("  PostgreSQL: not reachable, skipped")
        print()
        print(f"2. proofs and 3. verify --log; {args.proofs} random proofs per size")
        for backend in backends:
            if backend.name == "PostgreSQL" and not args.pg:
                print("  PostgreSQL: proofs not measured (use --pg)")
                continue
            figures, verify = proofs_on(backend, actor, signer, args.sizes, args)
            print_proofs(backend.name, figures, verify)
    print(f"load average at end: {load()}")


if __name__ == "__main__":
    main()
