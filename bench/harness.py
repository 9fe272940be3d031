"""What the benchmarks share: a fresh database of either kind at the head revision (PostgreSQL
created and dropped around the run, skipped when it cannot be reached) and the p95 words."""

from __future__ import annotations

import os
import sqlite3
import statistics
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from lawcam.db import Database, make_engine
from lawcam.db.migrate import upgrade

PG_URL = os.environ.get("LAWCAM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1e3:.1f} / p95 {p95(values) * 1e3:.1f} ms"


@contextmanager
def databases(kind: str, workdir: Path, name: str) -> Iterator[Database | None]:
    """``name``.db in ``workdir`` (SQLite), or a PostgreSQL database lawcam_bench_``name``_…"""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'{name}.db'}"
        yield from _upgraded(url)
        return
    database_name = f"lawcam_bench_{name}_{uuid.uuid4().hex[:8]}"
    try:
        admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database_name}"'))
    except Exception as error:  # unreachable: say so and go on
        print(f"PostgreSQL: not reachable ({type(error).__name__}), skipped")
        yield None
        return
    try:
        yield from _upgraded(PG_URL.rpartition("/")[0] + "/" + database_name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)'))
        admin.dispose()


def _upgraded(url: str) -> Iterator[Database]:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    database = Database(url)
    yield database
    database.dispose()


def server_version(database: Database) -> str:
    if database.dialect == "sqlite":
        return sqlite3.sqlite_version
    with database.read() as session:
        return str(session.scalar(text("SHOW server_version")))


def load() -> str:
    """The load average: the machine is shared, so every figure is printed beside it."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"
