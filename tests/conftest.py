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
from concurrent.futures import Future, ThreadPoolExecutor
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


class PgCopies:
    """Copies of one template, made one test ahead and dropped behind, on threads. CREATE
    DATABASE … TEMPLATE takes ~0.2 s and DROP DATABASE waits ~0.35 s for a checkpoint (seconds
    when the disk is busy), nearly all of it waiting for the server's disk, not CPU: a test
    waiting for neither saves about half a second on PostgreSQL. Concurrent drops share one
    checkpoint. Names carry a per-process counter, so a late drop never meets a reused name."""

    def __init__(self, template: str, prefix: str) -> None:
        self.template, self.prefix = template, prefix
        self.maker = ThreadPoolExecutor(1, thread_name_prefix="pg-create")
        self.dropper = ThreadPoolExecutor(6, thread_name_prefix="pg-drop")
        self.drops: list[Future[None]] = []
        self.next = self._make()

    def _make(self) -> Future[tuple[str, str]]:
        name = f"{self.prefix}_{next(_counter)}"
        return self.maker.submit(lambda: (name, pg_create(name, template=self.template)))

    def take(self) -> tuple[str, str]:
        """A fresh copy (name, url); the next one starts now."""
        ready, self.next = self.next, self._make()
        return ready.result()

    def drop_later(self, name: str) -> None:
        self.drops.append(self.dropper.submit(pg_drop, name))

    def close(self) -> None:
        self.drop_later(self.next.result()[0])
        self.maker.shutdown()
        self.dropper.shutdown()
        for drop in self.drops:
            drop.result()  # a failed drop is reported, not lost


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


@pytest.fixture(scope="session")
def pg_copies(db_template: str) -> Iterator[PgCopies | None]:
    """Migrated PostgreSQL databases, one per test that asks (none on SQLite)."""
    if BACKEND != "postgresql":
        yield None
        return
    copies = PgCopies(db_template, f"lawcam_t_{_worker()}")
    yield copies
    copies.close()


@pytest.fixture
def database(db_template: str, pg_copies: PgCopies | None, tmp_path: Path) -> Iterator[Database]:
    if pg_copies is not None:
        name, url = pg_copies.take()
        db = Database(url)
        yield db
        db.dispose()
        pg_copies.drop_later(name)
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
