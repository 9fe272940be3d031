"""Fixtures. Every test gets its own freshly migrated database, copied from a template made once
per worker: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL. The audit table
refuses DELETE and TRUNCATE, so tests never clean up by deleting rows.

LAWCAM_TEST_DATABASE=sqlite (default) or postgresql; LAWCAM_TEST_PG_URL names the server
(default postgresql://postgres@127.0.0.1:5432/postgres)."""

from __future__ import annotations

import functools
import itertools
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

# Cheap argon2 parameters for the suite only: hundreds of accounts are hashed.
os.environ.setdefault("LAWCAM_ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("LAWCAM_ARGON2_TIME_COST", "1")
# On PostgreSQL every app node signs sessions with one configured key (Settings.secret_key):
# the suite's, for every app, command and server it starts.
if os.environ.get("LAWCAM_TEST_DATABASE") == "postgresql":
    os.environ.setdefault("LAWCAM_SESSION_SECRET", "lawcam-suite-session-secret-0123456789abcdef")
    # and keeps originals in a folder declared shared (one machine: trivially so).
    os.environ.setdefault("LAWCAM_STORAGE_SHARED", "true")

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


@contextmanager
def fresh_database(template: str, pg_copies: PgCopies | None, path: Path) -> Iterator[Database]:
    """A database at the newest revision, the test's alone: a PostgreSQL copy of the template,
    or the SQLite template copied to ``path``."""
    if pg_copies is not None:
        name, url = pg_copies.take()
        db = Database(url)
        yield db
        db.dispose()
        pg_copies.drop_later(name)
    else:
        shutil.copy(template, path)
        db = Database(f"sqlite:///{path}")
        yield db
        db.dispose()


@pytest.fixture
def database(db_template: str, pg_copies: PgCopies | None, tmp_path: Path) -> Iterator[Database]:
    with fresh_database(db_template, pg_copies, tmp_path / "lawcam.db") as db:
        yield db


class Seed:
    """A database and a home built once per worker (by a fixture of module or session scope),
    then copied whole for each test that starts from them: the same rows, ids, files and keys
    as building them again, for the price of a file copy or a CREATE DATABASE … TEMPLATE.

    ``database`` and ``settings`` are for building; ``freeze()`` closes them, after which
    ``copy(tmp_path)`` gives each test its own (database, settings)."""

    def __init__(self, db_template: str, pg_copies: PgCopies | None, root: Path) -> None:
        self.home = root / "home"
        self.home.mkdir(parents=True)
        self.pg_name: str | None = None
        if pg_copies is not None:
            self.pg_name, url = pg_copies.take()
            self.dropper = pg_copies
        else:
            self.file = root / "lawcam.db"
            shutil.copy(db_template, self.file)
            url = f"sqlite:///{self.file}"
        self.database = Database(url)
        self.settings = Settings(home=self.home, database_url=url)
        self.copies: PgCopies | None = None

    def freeze(self) -> None:
        self.database.dispose()  # a template must have no open connection
        if self.pg_name is not None:
            self.copies = PgCopies(self.pg_name, f"lawcam_s_{_worker()}")

    def copy(self, tmp_path: Path) -> Iterator[tuple[Database, Settings]]:
        home = tmp_path / "home"
        shutil.copytree(self.home, home, symlinks=True)
        if self.copies is not None:
            name, url = self.copies.take()
        else:
            for suffix in ("", "-wal"):
                if Path(f"{self.file}{suffix}").exists():
                    shutil.copy(f"{self.file}{suffix}", tmp_path / f"lawcam.db{suffix}")
            url = f"sqlite:///{tmp_path / 'lawcam.db'}"
        db = Database(url)
        yield db, Settings(home=home, database_url=url)
        db.dispose()
        if self.copies is not None:
            self.copies.drop_later(name)

    def close(self) -> None:
        if self.copies is not None:
            self.copies.close()
        if self.pg_name is not None:
            self.dropper.drop_later(self.pg_name)


@pytest.fixture(autouse=True, scope="session")
def templates_compiled_once() -> Iterator[None]:
    """Every app compiles all its Jinja templates at start-up (tree_heads._chores: ~0.8 s of
    CPU, 6 s on a loaded machine) on a thread that competes with the test for the interpreter.
    A server process has one app; the suite makes hundreds: they share one set, made by the
    same make_templates and compiled by the first app (Jinja's environment is thread-safe)."""
    from lawcam.web import app as web_app

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(web_app, "make_templates", functools.cache(web_app.make_templates))
        yield


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    # One file at a time: the tests name recordings by their card's order. Side by side has
    # tests of its own (test_parallel_ingest, the crash test's random kills), and the demo and
    # the command-line tests ingest at the machine's default.
    return Settings(home=home, database_url=database.url, ingest_workers=1)


@pytest.fixture
def console() -> Actor:
    return console_actor("tester")
