"""Fixtures. Every test gets its own freshly migrated database, copied from a template made once
per worker: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL. The audit table
refuses DELETE and TRUNCATE, so tests never clean up by deleting rows.

LAWCAM_TEST_DATABASE=sqlite (default) or postgresql; LAWCAM_TEST_PG_URL names the server
(default postgresql://postgres@127.0.0.1:5432/postgres)."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

# Cheap argon2 parameters for the suite only: hundreds of accounts are hashed.
os.environ.setdefault("LAWCAM_ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("LAWCAM_ARGON2_TIME_COST", "1")

from lawcam.authz import Actor, console_actor
from lawcam.config import Settings
from lawcam.db import Database, make_engine
from lawcam.db.migrate import upgrade

BACKEND = os.environ.get("LAWCAM_TEST_DATABASE", "sqlite")
PG_URL = os.environ.get("LAWCAM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
_counter = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: needs PostgreSQL whatever the backend")


def _worker() -> str:
    """Unique per test process and per run, so that two runs on one server never collide."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))[:8]
    return f"{run}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def pg_admin():  # type: ignore[no-untyped-def]
    return make_engine(PG_URL, isolation_level="AUTOCOMMIT")


def pg_url(name: str) -> str:
    base, _, _ = PG_URL.rpartition("/")
    return f"{base}/{name}"


def pg_create(name: str, template: str | None = None) -> str:
    admin = pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    admin.dispose()
    return pg_url(name)


def pg_drop(name: str) -> None:
    admin = pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def db_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if BACKEND == "postgresql":
        name = f"lawcam_tpl_{_worker()}"
        engine = make_engine(pg_create(name))
        upgrade(engine)
        engine.dispose()
        yield name
        pg_drop(name)
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        yield str(path)


@pytest.fixture
def database(db_template: str, tmp_path: Path) -> Iterator[Database]:
    if BACKEND == "postgresql":
        name = f"lawcam_t_{_worker()}_{next(_counter)}"
        db = Database(pg_create(name, template=db_template))
        yield db
        db.dispose()
        pg_drop(name)
    else:
        path = tmp_path / "lawcam.db"
        shutil.copy(db_template, path)
        db = Database(f"sqlite:///{path}")
        yield db
        db.dispose()


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    return Settings(home=home, database_url=database.url)


@pytest.fixture
def console() -> Actor:
    return console_actor("tester")
