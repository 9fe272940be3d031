"""The database half of a backup: a consistent copy while the server keeps writing (SQLite's
online backup API; ``pg_dump`` in an exported snapshot) and the audit log's state read from
that very copy, so that the manifest describes exactly what the folder holds."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Connection, create_engine, func, inspect, select, text
from sqlalchemy.engine import URL, make_url

from lawcam.audit.models import AuditEvent, TreeHead
from lawcam.backup.types import AuditState, BackupRefused
from lawcam.db import Database

DUMP_TIMEOUT_S = 24 * 3600  # a dump of a city's archive takes long; a hung one does not end


def state_of(connection: Connection) -> tuple[str | None, AuditState]:
    """The schema revision and the audit log's size and newest head, as ``connection`` sees it."""
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    last = connection.execute(select(func.max(AuditEvent.seq))).scalar()
    head = connection.execute(
        select(TreeHead.size, TreeHead.root, TreeHead.key_id, TreeHead.timestamp)
        .order_by(TreeHead.id.desc())
        .limit(1)
    ).first()
    audit = AuditState(
        size=0 if last is None else int(last) + 1,
        head_size=None if head is None else int(head.size),
        head_root=None if head is None else head.root,
        head_key_id=None if head is None else head.key_id,
        head_timestamp=None if head is None else head.timestamp.isoformat(),
    )
    return (None if revision is None else str(revision)), audit


# SQLite ----------------------------------------------------------------------------------------


def copy_sqlite(database: Database, target: Path) -> tuple[str | None, AuditState]:
    """The online backup API copies every page in one step under one read transaction: a
    consistent copy however many writers the server has (they are not blocked: WAL)."""
    raw = database.engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        private(target)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            # One self-contained file (no -wal beside it); the server turns WAL on again.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        raw.close()
    fsync(target)
    return state_of_file(target)


def state_of_file(path: Path) -> tuple[str | None, AuditState]:
    """Read-only: opening the copy must not change a byte of it."""
    uri = f"{path.resolve().as_uri()}?mode=ro".replace("file://", "file:", 1)
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
    try:
        with engine.connect() as connection:
            return state_of(connection)
    finally:
        engine.dispose()


def sqlite_path(url: str) -> Path | None:
    """The configured SQLite file (None for another database or an in-memory one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def place_sqlite(copy: Path, target: Path) -> None:
    """The backup's file at ``target``: written beside it, synced, then linked into place (a
    file that appeared there meanwhile is never replaced)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{target.name}.restoring~{os.getpid()}")
    try:
        with copy.open("rb") as source, temporary.open("xb") as sink:
            shutil.copyfileobj(source, sink, 1024 * 1024)
            sink.flush()
            os.fsync(sink.fileno())
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise BackupRefused(f"恢复期间出现了数据库文件 {target}，未覆盖它。") from None
    finally:
        temporary.unlink(missing_ok=True)
    fsync(target.parent)


# PostgreSQL ------------------------------------------------------------------------------------


def dump_postgresql(database: Database, target: Path) -> tuple[str | None, AuditState]:
    """``pg_dump`` in a snapshot this transaction exported: the state read here and the dump
    are of the same instant, however many nodes keep writing."""
    pg_dump = tool("pg_dump")
    private(target)
    with database.engine.connect() as connection:
        reader = connection.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        with reader.begin():
            snapshot = reader.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revision, audit = state_of(reader)
            dsn, env = libpq(database.url)
            run(
                [
                    pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}",
                    f"--dbname={dsn}",
                ],
                env,
                "pg_dump",
            )  # fmt: skip
    fsync(target)
    return revision, audit


def restore_postgresql(url: str, dump: Path) -> None:
    """Into the configured, empty database, all or nothing (one transaction)."""
    pg_restore = tool("pg_restore")
    dsn, env = libpq(url)
    run(
        [
            pg_restore, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
            f"--dbname={dsn}", str(dump),
        ],
        env,
        "pg_restore",
    )  # fmt: skip


def tables_in(database: Database) -> list[str]:
    """The tables the configured database already holds (in its default schema)."""
    with database.engine.connect() as connection:
        return sorted(inspect(connection).get_table_names())


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupRefused(
            f"找不到 {name}：请安装 PostgreSQL 客户端（主版本不低于数据库服务器，Debian："
            f"apt-get install postgresql-client），并确认 {name} 在 PATH 中。"
        )
    return found


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and an environment that carries the password: nothing
    secret on a command line (any user on the machine can read those)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = URL.create(
        "postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database,
        parsed.query,
    )  # fmt: skip
    return plain.render_as_string(hide_password=False), env


def run(argv: list[str], env: dict[str, str], name: str) -> None:
    try:
        # The tool found on PATH, with arguments built here (the password in the environment).
        done = subprocess.run(  # noqa: S603
            argv, env=env, capture_output=True, text=True, timeout=DUMP_TIMEOUT_S, check=False
        )
    except OSError as exc:
        raise BackupRefused(f"无法运行 {name}：{exc.strerror}。") from None
    if done.returncode != 0:
        raise BackupRefused(f"{name} 失败（退出码 {done.returncode}）：{gist(done.stderr)}")


def gist(stderr: str) -> str:
    """The last lines a tool printed (its error), short enough for one message."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    text_ = "；".join(lines[-3:]) or "没有输出错误信息"
    return text_ if len(text_) <= 500 else text_[:500] + "…"


# Files -----------------------------------------------------------------------------------------


def private(path: Path) -> None:
    """An empty file of mode 0600 for a tool to fill: the database holds password hashes."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def fsync(path: Path) -> None:
    """A file's bytes, or a folder's entries, on disk before anything says they are there."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
