"""Bulk import of a 100,000-row people workbook through the real services.

Usage: python bench/bench_import.py [ROWS] [DATABASE_URL]
(default 100000 rows, a fresh SQLite file). Prints the time and its ratio to the 60 s limit.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from lawcam.authz import console_actor
from lawcam.db import Database
from lawcam.db.migrate import upgrade
from lawcam.org import service
from lawcam.org.spreadsheets import COLUMNS, SheetKind, import_file
from lawcam.org.types import UnitClass, UnitIn

LIMIT_S = 60.0
UNITS = 20


def write_people(path: Path, rows: int) -> None:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("人员")
    sheet.append([c.header for c in COLUMNS[SheetKind.PEOPLE]])
    for i in range(rows):
        sheet.append([f"人员{i}", f"B{i:07d}", f"单位{i % UNITS}", "是", "13800000000", None])
    workbook.save(path)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{tmp}/bench.db"
        database = Database(url)
        upgrade(database.engine)
        actor = console_actor("bench")
        with database.unit_of_work() as session:
            for u in range(UNITS):
                service.create_unit(
                    session=session,
                    actor=actor,
                    data=UnitIn(name=f"单位{u}", unit_class=UnitClass.MANY),
                )
        path = Path(tmp) / "people.xlsx"
        started = time.perf_counter()
        write_people(path, rows)
        written = time.perf_counter()
        with database.unit_of_work() as session:
            result = import_file(session=session, actor=actor, path=path)
        done = time.perf_counter()
        database.dispose()
    elapsed = done - written
    print(
        f"write {written - started:.1f} s; import {result.created} rows {elapsed:.1f} s "
        f"({elapsed / rows * 1e6:.0f} µs/row); ratio to {LIMIT_S:.0f} s limit: "
        f"{elapsed / LIMIT_S:.2f}"
    )


if __name__ == "__main__":
    main()
