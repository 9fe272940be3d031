"""``lawcam backup`` and ``lawcam restore``: the database, the home's keys and a manifest that
names every file with its SHA-256. The originals are not copied: they are write-once in their
store, and the manifest says where they are and how to copy them.

A backup only reads the database (a read writes nothing: no audit entry). A restore checks
everything before it writes anything: the manifest against the files, the schema against this
program, the home and the database against data already there."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.engine import make_url

from lawcam import __version__
from lawcam.backup import databases
from lawcam.backup.types import (
    DATABASE_FILES,
    FORMAT,
    KEY_PATTERNS,
    MANIFEST,
    AuditState,
    BackupRefused,
    FileDigest,
)
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.db.migrate import alembic_config, current_revision, head_revision, upgrade
from lawcam.timeutil import utcnow

_SECRET_SETTINGS = {"session_secret", "database_url", "home", "storage_url"}


# Backup ----------------------------------------------------------------------------------------


def backup(*, settings: Settings, database: Database, dest: Path) -> dict[str, Any]:
    """The database and the home's keys into ``dest`` (a new or empty folder), then the
    manifest, written last: a folder without one is an unfinished backup."""
    storage = public_url(settings.resolved_storage_url)  # a setting refused before any write
    created = _empty_folder(dest)
    try:
        kind = _kind(database)
        target = dest / DATABASE_FILES[kind]
        if kind == "sqlite":
            revision, audit = databases.copy_sqlite(database, target)
        else:
            revision, audit = databases.dump_postgresql(database, target)
        files = [_digest(target), *(_copy_private(key, dest) for key in home_keys(settings.home))]
        manifest = _manifest(settings, database, storage, kind, revision, audit, files)
        _write_manifest(dest, manifest)
    except BaseException:
        _undo(dest, created)
        raise
    return {"folder": str(dest.resolve()), **manifest, "warnings": _warnings(files)}


def _empty_folder(dest: Path) -> bool:
    """Made (mode 0700: it holds private keys) or found empty; True when made here."""
    if dest.exists() and not dest.is_dir():
        raise BackupRefused(f"{dest} 已存在且不是文件夹：请指定一个新的或空的文件夹。")
    if dest.is_dir():
        if any(dest.iterdir()):
            raise BackupRefused(
                f"文件夹 {dest} 不是空的：备份只写入新的或空的文件夹，不覆盖已有的文件。"
            )
        return False
    try:
        dest.mkdir(parents=True, mode=0o700)
    except OSError as exc:
        raise BackupRefused(f"无法创建备份文件夹 {dest}：{exc.strerror}。") from None
    return True


def _undo(dest: Path, created: bool) -> None:
    """A failed backup leaves no half-written folder that could pass for a backup."""
    if created:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for path in dest.iterdir():
        path.unlink(missing_ok=True)


def _kind(database: Database) -> str:
    if database.dialect not in DATABASE_FILES:
        raise BackupRefused(f"不支持备份 {database.dialect} 数据库。")
    return database.dialect


def home_keys(home: Path) -> list[Path]:
    """The home's key files, each once, in a stable order."""
    found = {path for pattern in KEY_PATTERNS for path in home.glob(pattern) if path.is_file()}
    return sorted(found)


def _copy_private(source: Path, folder: Path) -> FileDigest:
    """A key file copied with mode 0600, on disk before the manifest names it."""
    data = source.read_bytes()
    fd = os.open(folder / source.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as sink:
        sink.write(data)
        sink.flush()
        os.fsync(sink.fileno())
    return FileDigest(source.name, len(data), hashlib.sha256(data).hexdigest())


def _digest(path: Path) -> FileDigest:
    with path.open("rb") as handle:
        sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
    return FileDigest(path.name, path.stat().st_size, sha256)


def _manifest(
    settings: Settings,
    database: Database,
    storage: str,
    kind: str,
    revision: str | None,
    audit: AuditState,
    files: list[FileDigest],
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "lawcam_version": __version__,
        "created_at": utcnow().isoformat(),
        "schema_revision": revision,
        "database": {
            "kind": kind,
            "file": DATABASE_FILES[kind],
            "url": make_url(database.url).render_as_string(hide_password=True),
        },
        "home": str(settings.home.resolve()),
        "storage": {"url": storage, "objects_copied": False, "how_to_copy": how_to_copy(storage)},
        "audit": audit.as_dict(),
        "files": [f.as_dict() for f in files],
        # The configuration that is not secret, for the record (it lives in the environment).
        "settings": settings.model_dump(mode="json", exclude=_SECRET_SETTINGS),
    }


def public_url(url: str) -> str:
    """A storage URL without any user name or password in it."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def how_to_copy(storage: str) -> str:
    """The way to copy the originals, which a backup does not hold (docs/operations.md)."""
    parts = urlsplit(storage)
    if parts.scheme == "file":
        return (
            f"原始资料在本地目录 {parts.path} 中，不在本备份内：用 rsync -a {parts.path}/ "
            "<备份位置>/objects/ 复制（对象只增不改，增量复制即可）。"
        )
    return (
        f"原始资料在 S3 存储桶 {parts.netloc} 中，不在本备份内：用存储的跨站复制（replication）"
        f"或 mc mirror 复制到另一处带对象锁定的存储。"
    )


def _write_manifest(dest: Path, manifest: dict[str, Any]) -> None:
    temporary = dest / f".{MANIFEST}.tmp"
    with temporary.open("x", encoding="utf-8") as sink:
        json.dump(manifest, sink, ensure_ascii=False, indent=2)
        sink.flush()
        os.fsync(sink.fileno())
    temporary.rename(dest / MANIFEST)
    databases.fsync(dest)


def _warnings(files: list[FileDigest]) -> list[str]:
    if any(f.name == "audit_signing_key.pem" for f in files):
        return []
    return [
        "数据目录中没有审计日志签名密钥 audit_signing_key.pem：本备份不含它，恢复后的树头核验需要它。"
    ]


# Restore ---------------------------------------------------------------------------------------


def restore(*, settings: Settings, src: Path) -> dict[str, Any]:
    """``src`` into the configured home and database, both empty; the schema upgraded after."""
    manifest = read_manifest(src)
    files = checked_files(src, manifest)
    storage = public_url(settings.resolved_storage_url)  # a setting refused before any write
    kind = str(manifest["database"]["kind"])
    with _database(settings) as database:
        _same_kind(kind, database)
        _known_revision(manifest.get("schema_revision"), database)
        keys = [f for f in files if f.name != DATABASE_FILES[kind]]
        sqlite_target = _nothing_there(settings, database, kind, keys)
        _place(src, kind, database, sqlite_target, keys, settings.home)
        restored = current_revision(database.engine)
        if restored != head_revision():
            upgrade(database.engine)
        revision = current_revision(database.engine)
    return {
        "home": str(settings.home.resolve()),
        "database": make_url(settings.resolved_database_url).render_as_string(hide_password=True),
        "restored_revision": restored,
        "revision": revision,
        "upgraded": restored != revision,
        "files": [f.as_dict() for f in files],
        "audit": manifest.get("audit"),
        "backup_storage": manifest["storage"]["url"],
        "storage": storage,
        "next": "lawcam verify",
    }


@contextmanager
def _database(settings: Settings) -> Iterator[Database]:
    database = Database(settings.resolved_database_url)
    try:
        yield database
    finally:
        database.dispose()


def read_manifest(src: Path) -> dict[str, Any]:
    path = src / MANIFEST
    if not path.is_file():
        raise BackupRefused(
            f"{src} 中没有 {MANIFEST}：这不是 lawcam 备份，或备份没有完成（清单最后写入）。"
        )
    try:
        manifest = json.loads(path.read_text("utf-8"))
        valid = (
            manifest["format"] == FORMAT
            and manifest["database"]["kind"] in DATABASE_FILES
            and isinstance(manifest["files"], list)
            and isinstance(manifest["storage"]["url"], str)
        )
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise BackupRefused(f"{path} 不是本程序能读的备份清单（格式应为 {FORMAT}）。")
    return dict(manifest)


def checked_files(src: Path, manifest: dict[str, Any]) -> list[FileDigest]:
    """Every file the manifest names, present, of its size and SHA-256; refused otherwise."""
    files = [_listed(entry) for entry in manifest["files"]]
    wanted = DATABASE_FILES[manifest["database"]["kind"]]
    if wanted not in {f.name for f in files}:
        raise BackupRefused(f"备份清单没有列出数据库文件 {wanted}。")
    for listed in files:
        path = src / listed.name
        if not path.is_file():
            raise BackupRefused(f"备份缺少文件 {listed.name}（清单中列出了它），未恢复任何内容。")
        found = _digest(path)
        if (found.size, found.sha256) != (listed.size, listed.sha256):
            raise BackupRefused(
                f"备份文件 {listed.name} 与清单不符（清单：{listed.size} 字节，SHA-256 "
                f"{listed.sha256[:16]}…；实际：{found.size} 字节，{found.sha256[:16]}…），"
                "备份已损坏或被改动，未恢复任何内容。"
            )
    return files


def _listed(entry: Any) -> FileDigest:
    """One file of the manifest; a name with a path in it is refused (it must stay inside)."""
    try:
        name, size, sha256 = str(entry["name"]), int(entry["size"]), str(entry["sha256"])
    except (KeyError, TypeError, ValueError):
        raise BackupRefused(f"备份清单中的文件条目不完整：{entry!r}。") from None
    allowed = set(DATABASE_FILES.values())
    if name not in allowed and not any(Path(name).match(p) for p in KEY_PATTERNS):
        raise BackupRefused(f"备份清单中有不认识的文件名“{name}”。")
    if Path(name).name != name:
        raise BackupRefused(f"备份清单中的文件名“{name}”不能带路径。")
    return FileDigest(name, size, sha256)


def _same_kind(kind: str, database: Database) -> None:
    if database.dialect != kind:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupRefused(
            f"备份来自 {names[kind]} 数据库，当前配置的是 {names.get(database.dialect, database.dialect)}："
            "只能恢复到同一种数据库（检查 LAWCAM_DATABASE_URL）。"
        )


def _known_revision(revision: Any, database: Database) -> None:
    """A backup of a schema this program does not know (a newer lawcam's) is refused: the
    program would misread it, and nothing can migrate it down."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(alembic_config(database.engine))
    try:
        known = revision is not None and script.get_revision(str(revision)) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupRefused(
            f"备份的数据库版本（{revision}）比本程序（最新 {head_revision()}）新或无法识别："
            "请先把 lawcam 升级到做备份时的版本或更新的版本，再恢复。"
        )


def _nothing_there(
    settings: Settings, database: Database, kind: str, keys: list[FileDigest]
) -> Path | None:
    """Refused when the home or the database already holds data; the SQLite file's place."""
    present = [k.name for k in keys if (settings.home / k.name).exists()]
    if present:
        raise BackupRefused(
            f"数据目录 {settings.home} 中已有 {'、'.join(present)}：恢复只写入新的数据目录，"
            "不覆盖已有的密钥。"
        )
    if kind == "postgresql":
        tables = databases.tables_in(database)
        if tables:
            raise BackupRefused(
                f"配置的数据库中已有数据表（{'、'.join(tables[:5])}{'等' if len(tables) > 5 else ''}）："
                "恢复只写入新建的空数据库（createdb 新建后再恢复）。"
            )
        return None
    target = databases.sqlite_path(settings.resolved_database_url)
    if target is None:
        raise BackupRefused("配置的是内存中的 SQLite 数据库，无法恢复到其中。")
    existing = [p.name for p in _sqlite_files(target) if p.exists()]
    if existing:
        raise BackupRefused(
            f"已有数据库文件 {'、'.join(existing)}（{target.parent}）：恢复只写入新的数据目录，"
            "不覆盖已有的数据。"
        )
    return target


def _sqlite_files(target: Path) -> list[Path]:
    # A stale -wal beside a new file would be replayed into it: its presence is data too.
    return [target, *(target.with_name(target.name + s) for s in ("-wal", "-shm", "-journal"))]


def _place(
    src: Path,
    kind: str,
    database: Database,
    sqlite_target: Path | None,
    keys: list[FileDigest],
    home: Path,
) -> None:
    """The database first (what can fail), then the keys; a failure takes back the keys."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    if sqlite_target is not None:
        database.dispose()  # no pooled connection to a file that did not exist
        databases.place_sqlite(src / DATABASE_FILES[kind], sqlite_target)
    else:
        databases.restore_postgresql(database.url, src / DATABASE_FILES[kind])
    written: list[Path] = []
    try:
        for key in keys:
            _copy_private(src / key.name, home)
            written.append(home / key.name)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    databases.fsync(home)
