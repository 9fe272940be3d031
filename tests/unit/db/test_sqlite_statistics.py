"""SQLite's planner gets statistics (issue 19): nothing else ever ran ANALYZE, so a 10^6-row
table was planned as if it were empty. PRAGMA optimize runs when a pooled connection closes and
every OPTIMIZE_EVERY check-ins, sampled (analysis_limit) so it costs milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from lawcam.db import engine as engine_module
from lawcam.db.engine import ANALYSIS_LIMIT, make_engine


def _queried_table(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER)"))
        connection.execute(text("CREATE INDEX ix_t_k ON t (k)"))
        connection.execute(
            text("INSERT INTO t (k) VALUES " + ",".join(f"({i % 7})" for i in range(500)))
        )
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA analysis_limit")).scalar() == ANALYSIS_LIMIT
        connection.execute(text("SELECT count(*) FROM t WHERE k = 3")).scalar()
    engine.dispose()


def _stats(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        ).all()
        rows = (
            connection.execute(text("SELECT idx FROM sqlite_stat1")).scalars().all()
            if found
            else []
        )
    engine.dispose()
    return list(rows)


def test_closing_the_pool_leaves_statistics_for_the_planner(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'stats.db'}"
    _queried_table(url)
    assert "ix_t_k" in _stats(url)


def test_a_long_lived_connection_optimizes_every_so_often(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'stats.db'}"
    monkeypatch.setattr(engine_module, "OPTIMIZE_EVERY", 2)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER)"))
        connection.execute(text("CREATE INDEX ix_t_k ON t (k)"))
        connection.execute(
            text("INSERT INTO t (k) VALUES " + ",".join(f"({i % 7})" for i in range(500)))
        )
    with engine.connect() as connection:  # the second check-in of the one pooled connection
        connection.execute(text("SELECT count(*) FROM t WHERE k = 3")).scalar()
    with engine.connect() as connection:
        found = connection.execute(text("SELECT idx FROM sqlite_stat1")).scalars().all()
    assert "ix_t_k" in found
    engine.dispose()
