"""Bulk import of a people workbook through the real services, against the floor measured in the
same run: reading the same workbook (openpyxl, read-only) plus inserting the same rows and one
audit row each with one executemany per table, in one transaction, on the same database.

Usage: python bench/bench_import.py [ROWS] [DATABASE_URL]
(default 100000 rows, a fresh SQLite file; a PostgreSQL URL must name an empty database).
Prints the import time, the floor, and their ratio (how many times the floor the import costs).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from sqlalchemy import insert

from lawcam.audit.models import AuditEvent
from lawcam.authz import console_actor
from lawcam.db import Database
from lawcam.db.migrate import upgrade
from lawcam.org import service
from lawcam.org.models import Person
from lawcam.org.spreadsheets import COLUMNS, SheetKind, import_file
from lawcam.org.types import UnitClass, UnitIn
from lawcam.timeutil import utcnow

UNITS = 20


def write_people(path: Path, rows: int, prefix: str) -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("人员")
    sheet.append([c.header for c in COLUMNS[SheetKind.PEOPLE]])
    for i in range(rows):
        sheet.append(
            [f"人员{i}", f"{prefix}{i:07d}", f"单位{i % UNITS}", "是", "13800000000", None]
        )
    workbook.save(path)


def read_floor(path: Path) -> float:
    started = time.perf_counter()
    workbook = openpyxl.load_workbook(path, read_only=True)
    for _ in workbook.worksheets[0].iter_rows(values_only=True):
        pass
    workbook.close()
    return time.perf_counter() - started


def insert_floor(database: Database, rows: int, unit_ids: list[int]) -> float:
    now = utcnow()
    people = [
        {
            "name": f"底线{i}",
            "badge": f"F{i:07d}",
            "unit_id": unit_ids[i % UNITS],
            "is_officer": True,
            "phone": "13800000000",
            "is_active": True,
            "created_at": now,
        }
        for i in range(rows)
    ]
    events = [
        {
            "seq": 10_000_000 + i,
            "occurred_at": now,
            "tag": "bench:floor:insert",
            "actor_label": "bench",
            "actor_source": "cli",
            "subject_type": "person",
            "subject_id": str(i),
            "entry": "{}",
        }
        for i in range(rows)
    ]
    started = time.perf_counter()
    with database.unit_of_work() as session:
        session.execute(insert(Person), people)
        session.execute(insert(AuditEvent), events)
    return time.perf_counter() - started


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{tmp}/bench.db"
        database = Database(url)
        upgrade(database.engine)
        actor = console_actor("bench")
        with database.unit_of_work() as session:
            unit_ids = [
                service.create_unit(
                    session=session,
                    actor=actor,
                    data=UnitIn(name=f"单位{u}", unit_class=UnitClass.MANY),
                ).id
                for u in range(UNITS)
            ]
        path = Path(tmp) / "people.xlsx"
        write_people(path, rows, "B")
        read_s = read_floor(path)
        started = time.perf_counter()
        with database.unit_of_work() as session:
            result = import_file(session=session, actor=actor, path=path)
        import_s = time.perf_counter() - started
        insert_s = insert_floor(database, rows, unit_ids)
        database.dispose()
    floor = read_s + insert_s
    print(f"rows {result.created}; import {import_s:.1f} s ({import_s / rows * 1e6:.0f} µs/row)")
    print(f"floor: read workbook {read_s:.1f} s + bulk insert {insert_s:.1f} s = {floor:.1f} s")
    print(f"ratio import/floor: {import_s / floor:.1f}")


if __name__ == "__main__":
    main()
