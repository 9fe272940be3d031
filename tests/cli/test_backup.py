"""``lawcam backup`` and ``lawcam restore`` (issue 19, item 3): an office with ingested
recordings is backed up, restored into a fresh home (and, on PostgreSQL, a fresh empty
database) that points at the same originals, and ``lawcam verify`` there is clean with the same
audit log size and head — the originals' integrity survives a restore (R15.1). Each refusal
writes nothing; a backup taken while another thread keeps writing audit entries and signing
heads is consistent and verifies. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lawcam.audit.log import make_head
from lawcam.audit.service import record
from lawcam.audit.signing import load_signer
from lawcam.authz import console_actor
from lawcam.backup.databases import tables_in
from lawcam.db import Database
from tests.cli.conftest import Cli
from tests.cli.test_evidence_cli import card, ingested, office
from tests.conftest import BACKEND, _worker, pg_create, pg_drop

pytestmark = pytest.mark.req("R15.1")

__all__ = ["office"]  # the fixture, used by name

_counter = itertools.count()
KEYS = {"audit_signing_key.pem"} | ({"secret_key"} if BACKEND == "sqlite" else set())
DATABASE_FILE = "database.sqlite" if BACKEND == "sqlite" else "database.pgdump"


@dataclass
class Restored(Cli):
    """A fresh home whose originals are the first home's (LAWCAM_STORAGE_URL)."""

    storage_url: str = ""
    extra: dict[str, str] | None = None

    @property
    def env(self) -> dict[str, str | None]:
        return {**super().env, "LAWCAM_STORAGE_URL": self.storage_url, **(self.extra or {})}


@pytest.fixture
def fresh_url() -> Iterator[str | None]:
    """An empty database to restore into: a new PostgreSQL database (None: the new home's
    SQLite file)."""
    if BACKEND != "postgresql":
        yield None
        return
    name = f"lawcam_restore_{_worker()}_{next(_counter)}"
    url = pg_create(name)
    yield url
    pg_drop(name)


@pytest.fixture
def recorded(office: Cli, tmp_path: Path) -> Cli:
    """The office of test_evidence_cli with two recordings ingested from a docked camera."""
    doc = ingested(office, card(tmp_path))
    assert doc["ingested"] == 2
    return office


def restored_home(cli: Cli, tmp_path: Path, url: str | None, name: str = "restored") -> Restored:
    objects = (cli.home / "objects").resolve().as_uri()
    return Restored(home=tmp_path / name, database_url=url, storage_url=objects)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def everything(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its digest: what a refusal must leave as it was."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): sha256(p) for p in folder.rglob("*") if p.is_file()}


def test_restore_into_a_fresh_home_verifies_as_the_original(
    recorded: Cli, tmp_path: Path, fresh_url: str | None
) -> None:
    cli = recorded
    events = cli.audit_count()
    dest = tmp_path / "backup"
    doc = cli.ok("backup", str(dest))
    assert cli.audit_count() == events  # a backup only reads
    on_disk = json.loads((dest / "manifest.json").read_text("utf-8"))
    assert on_disk == {k: v for k, v in doc.items() if k not in ("folder", "warnings")}
    assert doc["warnings"] == []
    assert doc["database"]["kind"] == BACKEND and doc["schema_revision"]
    assert doc["storage"]["url"] == (cli.home / "objects").resolve().as_uri()
    assert "rsync -a" in doc["storage"]["how_to_copy"]
    assert doc["audit"]["size"] == events and doc["audit"]["head"]["size"] == events
    files = {f["name"]: f for f in doc["files"]}
    assert set(files) == {DATABASE_FILE, *KEYS}
    for name, entry in files.items():
        path = dest / name
        assert (entry["size"], entry["sha256"]) == (path.stat().st_size, sha256(path))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
    assert set(p.name for p in dest.iterdir()) == {*files, "manifest.json"}

    fresh = restored_home(cli, tmp_path, fresh_url)
    done = fresh.ok("restore", str(dest))
    assert done["next"] == "lawcam verify" and done["audit"] == doc["audit"]
    assert done["revision"] == doc["schema_revision"] and not done["upgraded"]
    for name in KEYS:
        assert sha256(fresh.home / name) == sha256(cli.home / name)
        assert stat.S_IMODE((fresh.home / name).stat().st_mode) == 0o600

    head = fresh.ok("audit", "sth")  # the newest head, as it was: the log has not grown
    assert (head["size"], head["root"]) == (events, doc["audit"]["head"]["root"])
    assert head == cli.ok("audit", "sth")
    checked = fresh.ok("verify")  # which then audits its own run (one entry more)
    assert checked["ok"] is True, checked["problems"]
    assert (checked["events_checked"], checked["objects_checked"]) == (events, 2)
    listed = fresh.ok("recording", "list")
    assert listed == cli.ok("recording", "list")


def test_refusals_write_nothing(recorded: Cli, tmp_path: Path, fresh_url: str | None) -> None:
    cli = recorded
    dest = tmp_path / "backup"
    cli.ok("backup", str(dest))

    full = tmp_path / "full"
    full.mkdir()
    (full / "note.txt").write_text("x")
    assert "不是空的" in cli.refused("backup", str(full))["message"]
    assert everything(full) == {"note.txt": sha256(full / "note.txt")}
    assert "不是文件夹" in cli.refused("backup", str(full / "note.txt"))["message"]

    # The home and database the backup came from hold data: refused, untouched.
    before = everything(cli.home)
    source = Restored(home=cli.home, database_url=cli.database_url)
    assert "已有" in source.refused("restore", str(dest))["message"]
    assert everything(cli.home) == before

    fresh = restored_home(cli, tmp_path, fresh_url)

    def refused(changed: Path, words: str, who: Cli = fresh) -> None:
        message = who.refused("restore", str(changed))["message"]
        assert words in message, message
        assert not fresh.home.exists()  # nothing written: no home, no database file
        if fresh_url is not None:
            database = Database(fresh_url)
            assert tables_in(database) == []
            database.dispose()

    tampered = clone(dest, tmp_path / "tampered")
    with (tampered / DATABASE_FILE).open("r+b") as handle:
        handle.seek(-1, 2)
        last = handle.read(1)
        handle.seek(-1, 2)
        handle.write(bytes([last[0] ^ 1]))
    refused(tampered, "与清单不符")

    missing = clone(dest, tmp_path / "missing")
    (missing / "audit_signing_key.pem").unlink()
    refused(missing, "缺少文件 audit_signing_key.pem")

    newer = clone(dest, tmp_path / "newer")
    edit_manifest(newer, schema_revision="9999")
    refused(newer, "比本程序")

    outside = clone(dest, tmp_path / "outside")
    manifest = json.loads((outside / "manifest.json").read_text("utf-8"))
    edit_manifest(outside, files=[*manifest["files"], {"name": "../x", "size": 0, "sha256": ""}])
    refused(outside, "不认识的文件名")

    unfinished = clone(dest, tmp_path / "unfinished")
    (unfinished / "manifest.json").unlink()
    refused(unfinished, "不是 lawcam 备份")

    # A backup of the other kind of database (its file renamed as that kind's).
    other, other_file = ("postgresql", "database.pgdump")
    if BACKEND != "sqlite":
        other, other_file = ("sqlite", "database.sqlite")
    foreign = clone(dest, tmp_path / "foreign")
    (foreign / DATABASE_FILE).rename(foreign / other_file)
    manifest = json.loads((foreign / "manifest.json").read_text("utf-8"))
    for entry in manifest["files"]:
        entry["name"] = other_file if entry["name"] == DATABASE_FILE else entry["name"]
    edit_manifest(foreign, files=manifest["files"], database={"kind": other, "file": other_file})
    refused(foreign, "只能恢复到同一种数据库")

    # A new home over a database that holds data: the source's PostgreSQL database, or a
    # lawcam.db file already in the new home.
    occupied = Restored(home=tmp_path / "occupied", database_url=cli.database_url)
    if cli.database_url is None:
        occupied.home.mkdir()
        shutil.copy(cli.home / "lawcam.db", occupied.home / "lawcam.db")
        words = "已有数据库文件 lawcam.db"
    else:
        words = "配置的数据库中已有数据表"
    kept = everything(occupied.home)
    assert words in occupied.refused("restore", str(dest))["message"]
    assert everything(occupied.home) == kept

    if fresh_url is not None:  # originals in a folder the nodes are not declared to share
        unshared = restored_home(cli, tmp_path, fresh_url)
        unshared.extra = {"LAWCAM_STORAGE_SHARED": "false"}
        refused(dest, "LAWCAM_STORAGE_SHARED", unshared)

    # And the real one still restores after all that.
    assert fresh.ok("restore", str(dest))["revision"]
    assert fresh.ok("verify")["ok"] is True


def clone(folder: Path, to: Path) -> Path:
    shutil.copytree(folder, to)
    return to


def edit_manifest(folder: Path, **changes: Any) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    path.write_text(json.dumps({**manifest, **changes}, ensure_ascii=False), "utf-8")


def test_a_backup_while_others_write_is_consistent(
    recorded: Cli, tmp_path: Path, fresh_url: str | None
) -> None:
    """Server-like activity goes on during the backup: another thread appends audit entries and
    signs heads with the home's key. The copy is of one instant: it verifies after a restore,
    with exactly the log size the manifest names."""
    cli = recorded
    database = cli.database()
    signer = load_signer(cli.home)
    stop, written, errors = threading.Event(), itertools.count(), []

    def write() -> None:
        worker = console_actor("server")
        try:
            while not stop.is_set():
                with database.unit_of_work() as session:
                    index = next(written)
                    record(session, worker, "test:backup:touched", ("thing", index))
                    if index % 3 == 0:
                        make_head(session=session, signer=signer)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    thread = threading.Thread(target=write)
    before = cli.audit_count()
    thread.start()
    try:
        while cli.audit_count() < before + 5 and thread.is_alive():
            pass
        doc = cli.ok("backup", str(tmp_path / "backup"))
    finally:
        stop.set()
        thread.join(timeout=60)
        database.dispose()
    assert not errors, errors
    after = cli.audit_count()
    assert before + 5 <= doc["audit"]["size"] <= after
    assert doc["audit"]["head"]["size"] <= doc["audit"]["size"]

    fresh = restored_home(cli, tmp_path, fresh_url)
    fresh.ok("restore", str(tmp_path / "backup"))
    checked = fresh.ok("verify")
    assert checked["ok"] is True, checked["problems"]
    assert checked["events_checked"] == doc["audit"]["size"]


@dataclass
class PgCli(Cli):
    """A home on its own PostgreSQL database whatever the suite's backend, with the settings a
    node on PostgreSQL needs."""

    extra: dict[str, str] | None = None

    @property
    def env(self) -> dict[str, str | None]:
        return {
            **super().env,
            "LAWCAM_SESSION_SECRET": "lawcam-backup-test-session-secret-0123456789",
            "LAWCAM_STORAGE_SHARED": "true",
            **(self.extra or {}),
        }


@pytest.mark.postgresql
def test_pg_dump_missing_or_failing_is_refused_and_the_password_stays_off_its_command_line(
    tmp_path: Path,
) -> None:
    name = f"lawcam_backup_tool_{_worker()}_{next(_counter)}"
    # The server trusts local connections, so any password is accepted: one is put in the URL
    # to see where it goes.
    url = pg_create(name).replace("postgres@", "postgres:s3cret-pw@", 1)
    assert "s3cret-pw" in url
    try:
        cli = PgCli(home=tmp_path / "home", database_url=url)
        cli.ok("init")
        empty = tmp_path / "bin"
        empty.mkdir()
        cli.extra = {"PATH": str(empty)}
        message = cli.refused("backup", str(tmp_path / "b1"))["message"]
        assert "找不到 pg_dump" in message and "postgresql-client" in message
        assert not (tmp_path / "b1").exists()

        fake = empty / "pg_dump"
        fake.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "$@" > {tmp_path}/argv\n'
            f'printf "%s" "$PGPASSWORD" > {tmp_path}/password\n'
            'echo "pg_dump: error: server version: 99.0; pg_dump version: 15.0" >&2\n'
            'echo "pg_dump: error: aborting because of server version mismatch" >&2\n'
            "exit 1\n"
        )
        fake.chmod(0o755)
        (tmp_path / "b2").mkdir()  # an empty folder given: it stays, empty
        message = cli.refused("backup", str(tmp_path / "b2"))["message"]
        assert "pg_dump 失败（退出码 1）" in message and "server version mismatch" in message
        assert list((tmp_path / "b2").iterdir()) == []
        argv = (tmp_path / "argv").read_text()
        assert "s3cret-pw" not in argv and "--format=custom" in argv
        assert (tmp_path / "password").read_text() == "s3cret-pw"
    finally:
        pg_drop(name)


def test_an_older_schema_is_upgraded_on_restore(
    tmp_path: Path, db_template: str, fresh_url: str | None
) -> None:
    """A backup made by an older lawcam: restored as it was, then migrated to this one's."""
    from alembic.script import ScriptDirectory

    from lawcam.backup.service import backup
    from lawcam.config import Settings
    from lawcam.db.migrate import MIGRATIONS, head_revision, upgrade

    head = head_revision()
    older = ScriptDirectory(str(MIGRATIONS)).get_revision(head).down_revision
    assert isinstance(older, str)
    home = tmp_path / "old-home"
    name = f"lawcam_backup_old_{_worker()}_{next(_counter)}"
    url = pg_create(name) if BACKEND == "postgresql" else f"sqlite:///{home / 'lawcam.db'}"
    home.mkdir()
    database = Database(url)
    try:
        upgrade(database.engine, older)
        load_signer(home)
        settings = Settings(home=home, database_url=url)
        backup(settings=settings, database=database, dest=tmp_path / "backup")
    finally:
        database.dispose()
        if BACKEND == "postgresql":
            pg_drop(name)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text("utf-8"))
    assert manifest["schema_revision"] == older

    fresh = Restored(home=tmp_path / "restored", database_url=fresh_url)
    done = fresh.ok("restore", str(tmp_path / "backup"))
    assert (done["restored_revision"], done["revision"], done["upgraded"]) == (older, head, True)
    assert fresh.ok("verify")["ok"] is True
