"""Migrations upgrade an empty database on both backends, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from lawcam.db import make_engine
from lawcam.db.migrate import alembic_config, current_revision, upgrade
from lawcam.schema import metadata
from tests.conftest import BACKEND, _worker, pg_create, pg_drop


def _fresh_url(tmp_path) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    if BACKEND == "postgresql":
        name = f"lawcam_mig_{_worker()}"
        return pg_create(name), name
    return f"sqlite:///{tmp_path / 'empty.db'}", None


def test_upgrade_from_empty_and_models_match(tmp_path) -> None:
    url, pg_name = _fresh_url(tmp_path)
    engine = make_engine(url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        assert current_revision(engine) == head
        upgrade(engine)  # a second upgrade is a no-op
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        tables = set(inspect(engine).get_table_names())
        assert {"unit", "person", "account", "audit_event", "role_assignment"} <= tables
    finally:
        engine.dispose()
        if pg_name:
            pg_drop(pg_name)


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_head_read_from_the_files_is_alembics_head(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Commands check the head without loading Alembic; it must agree with Alembic's."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from lawcam.db.migrate import head_revision

    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert current_revision(engine) is None
    expected = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head_revision() == expected
    upgrade(engine)
    assert current_revision(engine) == expected


def _statistics(engine) -> object:  # type: ignore[no-untyped-def]
    """What the planner knows of a scratch table (one row, one index): SQLite's sqlite_stat1
    rows, PostgreSQL's last ANALYZE time."""
    with engine.connect() as connection:
        if BACKEND == "postgresql":
            query = "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'scratch'"
            return connection.execute(text(query)).scalar()
        return connection.execute(text("SELECT idx FROM sqlite_stat1 WHERE tbl = 'scratch'")).all()


def _forget_statistics(engine) -> None:  # type: ignore[no-untyped-def]
    if BACKEND == "sqlite":
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM sqlite_stat1"))


def test_an_upgrade_that_changes_something_leaves_statistics_for_the_planner(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 19: nothing else ran ANALYZE on SQLite, so a new index on a 10^6-row table was
    planned as if the table were empty; an upgrade with nothing to do does not analyze."""
    url, pg_name = _fresh_url(tmp_path)
    engine = make_engine(url)
    try:
        upgrade(engine, "0017")
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE scratch (id INTEGER PRIMARY KEY, k INTEGER)"))
            connection.execute(text("CREATE INDEX ix_scratch_k ON scratch (k)"))
            connection.execute(text("INSERT INTO scratch (id, k) VALUES (1, 7)"))
        _forget_statistics(engine)
        assert not _statistics(engine)
        upgrade(engine, "0018")  # a migration without an ANALYZE of its own
        analyzed = _statistics(engine)
        assert analyzed
        upgrade(engine)
        _forget_statistics(engine)
        before = _statistics(engine)
        upgrade(engine)  # nothing to do
        assert _statistics(engine) == before
    finally:
        engine.dispose()
        if pg_name:
            pg_drop(pg_name)
