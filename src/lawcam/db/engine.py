from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lawcam.errors import Conflict

# How a transaction begins on SQLite: readers DEFERRED (they never wait for the write lock),
# writers IMMEDIATE (they take the one write lock before their first read, so that two writers
# queue on the busy timeout instead of one failing when it later upgrades a stale snapshot).
_BEGIN = "lawcam_sqlite_begin"
BUSY_TIMEOUT_S = 30
ANALYSIS_LIMIT = 1000
OPTIMIZE_EVERY = 1000  # connection check-ins between two PRAGMA optimize


def make_engine(url: str, **kwargs: Any) -> Engine:
    # Enough connections for every worker thread of the server (anyio's default is 40), so a
    # burst of requests waits for a thread, never times out waiting for a connection.
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 40)
    if url.startswith("sqlite"):
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            kwargs.pop("pool_size"), kwargs.pop("max_overflow")
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "checkin", _sqlite_checkin)
        event.listen(engine, "close", _sqlite_optimize)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is switched off: _sqlite_begin says BEGIN itself, with
    # the mode the session asked for (SQLAlchemy's documented recipe; savepoints work too).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    # Statistics from a sample: ANALYZE and PRAGMA optimize then cost milliseconds, not a read
    # of every index (SQLite's recommended bound; the plans only need the rough shape).
    cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
    cursor.close()


def _sqlite_checkin(dbapi_connection: Any, record: Any) -> None:
    # A server's pooled connections live for months: every so often one refreshes the planner's
    # statistics (SQLite's advice is PRAGMA optimize at close and periodically; issue 19).
    if dbapi_connection is None:  # invalidated: nothing to optimize
        return
    record.info["checkins"] = done = record.info.get("checkins", 0) + 1
    if done % OPTIMIZE_EVERY == 0:
        _sqlite_optimize(dbapi_connection, record)


def _sqlite_optimize(dbapi_connection: Any, _record: Any) -> None:
    """PRAGMA optimize: ANALYZE only the tables this connection's queries would plan better with
    fresh statistics (usually none). Without waiting for the write lock: a busy database skips
    it, the next time comes."""
    cursor = dbapi_connection.cursor()
    with suppress(sqlite3.Error):  # busy, or the connection is going away: statistics can wait
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.execute("PRAGMA optimize")
    with suppress(sqlite3.Error):
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(_BEGIN, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def commit(session: Session) -> None:
    """Commit, or roll back and raise Conflict when a constraint refuses the change."""
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise conflict() from exc


def conflict() -> Conflict:
    # A constraint caught what the service's own checks could not see: a concurrent change
    # (two requests racing for the same badge or the same unit's administrator).
    return Conflict("与其他同时进行的修改冲突，未作任何更改，请刷新后重试。")


class ReadOnlySession(Session):
    """A session for reads: flushing a change is a programming error (a read writes nothing,
    DESIGN principle 7), refused loudly instead of silently rolled back."""

    def flush(self, objects: Any = None) -> None:
        if self.new or self.dirty or self.deleted:
            raise RuntimeError("a read-only session was asked to write")
        super().flush(objects)


class Database:
    """One engine and its session factories. ``unit_of_work`` commits a change and its
    audit rows together, or neither; ``read`` never commits anything."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **kwargs)
        writer = self.engine.execution_options(**{_BEGIN: "IMMEDIATE"})
        self.sessions = sessionmaker(writer, expire_on_commit=False)
        self.readers = sessionmaker(self.engine, class_=ReadOnlySession, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
            commit(session)
        except IntegrityError as exc:  # a flush inside the unit of work, as at its commit
            session.rollback()
            raise conflict() from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        session = self.readers()
        try:
            yield session
        finally:
            session.close()  # ends the transaction; loaded objects stay readable, detached

    def dispose(self) -> None:
        self.engine.dispose()
