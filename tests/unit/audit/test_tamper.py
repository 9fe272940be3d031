"""Tampering with a populated home, as an attacker with the database and the store would, and
``verify`` naming what was done (issue #6; R15.1, R18.1). One home is built per module (an
office, three recordings ingested, signed tree heads at three sizes) and cloned for every test:
a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL. Each test drops (SQLite) or
disables (PostgreSQL) the write-once triggers of the tables it attacks, changes what it
changes, and runs the real ``verify`` (which then writes its own ``audit:verify:run`` entry).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, SADeprecationWarning

from lawcam.audit import log, merkle
from lawcam.audit.integrity import Collector, IntegrityProblem, check_log
from lawcam.audit.models import AuditEvent, MerkleNode, TreeHead
from lawcam.audit.service import canonical_json, record
from lawcam.audit.signing import Signer, head_message, key_id, load_signer
from lawcam.authz import Actor, console_actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence import integrity
from lawcam.evidence import service as evidence
from lawcam.evidence.models import Correction, Recording, Sighting
from lawcam.evidence.types import CorrectableField
from lawcam.org import service as org
from lawcam.org.models import Person
from lawcam.org.types import UnitClass, UnitIn
from lawcam.storage import StorageError, open_store
from lawcam.storage.local import LocalStore
from lawcam.timeutil import utcnow
from tests.conftest import BACKEND, _worker, pg_create, pg_drop
from tests.evidence_helpers import ingest
from tests.factories import build_office
from tests.media import make_jpeg, make_mp4, make_wav

pytestmark = [
    pytest.mark.req("R15.1"),
    pytest.mark.req("R18.1"),
]

_counter = itertools.count()
AUDIT = AuditEvent.__table__


# The home: built once per module, cloned per test -------------------------------------------


@dataclass
class Home:
    database: Database
    settings: Settings
    store: LocalStore
    signer: Signer
    actor: Actor
    recordings: dict[str, tuple[int, str]]  # file name -> (recording id, sha256)
    head_sizes: list[int]

    @property
    def dialect(self) -> str:
        return self.database.dialect

    def verify(self) -> list[IntegrityProblem]:
        found = integrity.verify(
            database=self.database,
            store=self.store,
            public_key=self.signer.public_key,
            actor=self.actor,
        )
        return found.problems

    def check(self) -> list[IntegrityProblem]:
        """What ``verify`` checks, without its own audit entry afterwards."""
        found = Collector()
        with self.database.read() as session:
            check_log(session=session, public_key=self.signer.public_key, found=found)
            integrity.check_objects(session=session, store=self.store, found=found)
        return found.problems

    def log_size(self) -> int:
        with self.database.read() as session:
            return log.log_size(session)


@dataclass(frozen=True)
class Golden:
    url: str
    pg_name: str | None
    folder: Path
    recordings: dict[str, tuple[int, str]]
    head_sizes: list[int]


def _build(database: Database, settings: Settings, actor: Actor, card: Path) -> Golden:
    build_office(database, settings, actor)
    signer = load_signer(settings.home)
    sizes = []
    with database.unit_of_work() as session:
        sizes.append(log.make_head(session=session, signer=signer).size)
    card.mkdir()
    make_wav(card / "REC_20261130_090000.wav", seconds=0.5)
    make_jpeg(card / "IMG_0001.jpg")
    make_mp4(card / "clip.mp4", seconds=0.5)
    report = ingest(database, settings, actor, card)
    recordings = {}
    for result in report.files:
        assert result.recording_id is not None and result.sha256, result
        recordings[Path(result.path).name] = (result.recording_id, result.sha256)
    again = card.parent / "card2"  # the clip seen again under another name: a duplicate sighting
    again.mkdir()
    shutil.copy2(card / "clip.mp4", again / "clip_copy.mp4")
    assert ingest(database, settings, actor, again).as_dict()["duplicates"] == 1
    with database.unit_of_work() as session:
        clip = session.get(Recording, recordings["clip.mp4"][0])
        assert clip is not None
        evidence.correct(
            session=session,
            actor=actor,
            recording=clip,
            field=CorrectableField.NOTE,
            value="现场执法",
            reason="补充备注",
            settings=settings,
            store=open_store(settings.resolved_storage_url),
        )
    with database.unit_of_work() as session:
        sizes.append(log.make_head(session=session, signer=signer).size)
    with database.unit_of_work() as session:
        org.create_unit(session=session, actor=actor, data=UnitIn(name="执法三处"))
        org.create_unit(
            session=session, actor=actor, data=UnitIn(name="执法四处", unit_class=UnitClass.MORE)
        )
    with database.unit_of_work() as session:
        sizes.append(log.make_head(session=session, signer=signer).size)
    assert len(recordings) == 3 and sizes[0] < sizes[1] < sizes[2]
    return Golden(database.url, None, settings.home.parent, recordings, sizes)


@pytest.fixture(scope="module")
def golden(db_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Golden]:
    folder = tmp_path_factory.mktemp("golden")
    pg_name = None
    if BACKEND == "postgresql":
        pg_name = f"lawcam_tamper_{_worker()}"
        url = pg_create(pg_name, template=db_template)
    else:
        shutil.copy(db_template, folder / "lawcam.db")
        url = f"sqlite:///{folder / 'lawcam.db'}"
    database = Database(url)
    settings = Settings(home=folder / "home", database_url=url)
    settings.home.mkdir()
    try:
        built = _build(database, settings, console_actor("tester"), folder / "card")
    finally:
        database.dispose()
    yield Golden(url, pg_name, folder, built.recordings, built.head_sizes)
    if pg_name:
        pg_drop(pg_name)


@pytest.fixture
def home(golden: Golden, tmp_path: Path) -> Iterator[Home]:
    pg_name = None
    if golden.pg_name:
        pg_name = f"lawcam_tamper_{_worker()}_{next(_counter)}"
        url = pg_create(pg_name, template=golden.pg_name)
    else:
        shutil.copy(golden.folder / "lawcam.db", tmp_path / "lawcam.db")
        url = f"sqlite:///{tmp_path / 'lawcam.db'}"
    shutil.copytree(golden.folder / "home", tmp_path / "home")
    settings = Settings(home=tmp_path / "home", database_url=url)
    database = Database(url)
    yield Home(
        database=database,
        settings=settings,
        store=LocalStore(settings.home / "objects"),
        signer=load_signer(settings.home),
        actor=console_actor("tester"),
        recordings=dict(golden.recordings),
        head_sizes=list(golden.head_sizes),
    )
    database.dispose()
    if pg_name:
        pg_drop(pg_name)


# The attacker's tools -----------------------------------------------------------------------


def unguard(connection: Connection, *tables: str) -> None:
    """What an attacker with the database does first: the triggers that refuse UPDATE and
    DELETE are dropped (SQLite) or disabled (PostgreSQL)."""
    for table in tables:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
            continue
        names = connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
            {"t": table},
        ).scalars()
        for name in list(names):
            connection.execute(text(f'DROP TRIGGER "{name}"'))


def writable(path: Path) -> None:
    path.chmod(0o644)


def entry_of(home: Home, seq: int) -> str:
    with home.database.read() as session:
        return session.execute(select(AuditEvent.entry).where(AuditEvent.seq == seq)).scalar_one()


def rebuild_tree(connection: Connection) -> bytes:
    """An attacker who rewrote rows and now recomputes every stored subtree to match them."""
    unguard(connection, "audit_merkle_node")
    connection.execute(text("DELETE FROM audit_merkle_node"))
    rows = connection.execute(text("SELECT seq, entry FROM audit_event ORDER BY seq")).all()
    frontier: list[tuple[int, bytes]] = []
    leaves = []
    for seq, entry in rows:
        leaf = merkle.leaf_hash(entry.encode("utf-8"))
        leaves.append(leaf)
        for (level, index), value in merkle.append_leaf(frontier, int(seq), leaf):
            connection.execute(
                text(
                    "INSERT INTO audit_merkle_node (key, level, idx, hash) VALUES (:k, :l, :i, :h)"
                ),
                {"k": MerkleNode.key_of(level, index), "l": level, "i": index, "h": value.hex()},
            )
    return merkle.root_of(leaves)


def insert_head(connection: Connection, size: int, root: bytes, key: Ed25519PrivateKey) -> None:
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    stamp = utcnow()
    head = TreeHead(
        size=size,
        root=root.hex(),
        timestamp=stamp,
        signature=key.sign(head_message(size, root.hex(), stamp)).hex(),
        key_id=key_id(public),
    )
    columns = ("size", "root", "timestamp", "signature", "key_id")
    connection.execute(TreeHead.__table__.insert().values(**{c: getattr(head, c) for c in columns}))


def kinds(problems: list[IntegrityProblem]) -> set[str]:
    return {p.kind for p in problems}


def named(problems: list[IntegrityProblem], kind: str) -> set[str]:
    """The subjects of the problems of one kind."""
    return {p.subject for p in problems if p.kind == kind}


# The untouched home and the guards ----------------------------------------------------------


def test_untouched_home_verifies_clean_and_verify_is_audited(home: Home) -> None:
    size = home.log_size()
    problems = home.verify()
    assert problems == []
    with home.database.read() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (last.seq, last.tag) == (size, "audit:verify:run")
    after = json.loads(last.after or "{}")
    assert after["problem_count"] == 0 and after["events_checked"] == size
    assert after["objects_checked"] == 3
    assert after["bytes_checked"] == sum(blob.size for blob in home.store.objects())
    assert home.verify() == []  # its own entry is a proper leaf


def test_verify_with_deprecations_as_errors(home: Home) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", SADeprecationWarning)
        with home.database.read() as session:
            check_log(session=session, public_key=home.signer.public_key, found=Collector())


@pytest.mark.parametrize("table", ["audit_merkle_node", "audit_tree_head"])
def test_tree_tables_refuse_update_delete_truncate(home: Home, table: str) -> None:
    statements = [f"UPDATE {table} SET hash = hash", f"DELETE FROM {table}"]
    if table == "audit_tree_head":
        statements[0] = f"UPDATE {table} SET root = root"
    if home.dialect == "postgresql":
        statements.append(f"TRUNCATE {table}")
    for statement in statements:
        with pytest.raises((IntegrityError, DBAPIError)), home.database.engine.begin() as conn:
            conn.execute(text(statement))
    assert home.verify() == []


# The stored originals -----------------------------------------------------------------------


def test_flipped_byte_in_an_object(home: Home) -> None:
    rid, sha = home.recordings["clip.mp4"]
    path = home.store.path(sha)
    writable(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    problems = home.verify()
    assert {"object_altered", "object_sm3_differs"} <= kinds(problems)
    assert named(problems, "object_altered") == {f"recording:{rid}"}
    assert named(problems, "object_sm3_differs") == {f"recording:{rid}"}


def test_truncated_object(home: Home) -> None:
    rid, sha = home.recordings["REC_20261130_090000.wav"]
    path = home.store.path(sha)
    writable(path)
    os.truncate(path, path.stat().st_size // 2)
    problems = home.verify()
    assert named(problems, "object_size_differs") == {f"recording:{rid}"}
    assert named(problems, "object_altered") == {f"recording:{rid}"}


def test_deleted_object(home: Home) -> None:
    rid, sha = home.recordings["IMG_0001.jpg"]
    home.store.path(sha).unlink()
    problems = home.verify()
    assert named(problems, "object_missing") == {f"recording:{rid}"}
    assert kinds(problems) == {"object_missing"}


def test_extra_object_and_stray_file(home: Home) -> None:
    planted = b"a file nobody ingested"
    sha = hashlib.sha256(planted).hexdigest()
    path = home.store.path(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(planted)
    (home.store.root / "notes.txt").write_text("not an object")
    problems = home.verify()
    assert named(problems, "object_without_row") == {f"object:{sha}"}
    assert named(problems, "object_stray") == {f"store:{home.store.root / 'notes.txt'}"}
    assert kinds(problems) == {"object_without_row", "object_stray"}


# The recording rows -------------------------------------------------------------------------


def test_edited_sha256_in_a_recording_row(home: Home) -> None:
    rid, sha = home.recordings["clip.mp4"]
    forged = hashlib.sha256(b"something else").hexdigest()
    with home.database.engine.begin() as conn:
        unguard(conn, "recording")
        conn.execute(
            text("UPDATE recording SET sha256 = :s WHERE id = :i"), {"s": forged, "i": rid}
        )
    problems = home.verify()
    assert named(problems, "recording_row_altered") == {f"recording:{rid}"}
    assert named(problems, "object_missing") == {f"recording:{rid}"}
    assert named(problems, "object_without_row") == {f"object:{sha}"}


def test_edited_sm3_in_a_recording_row(home: Home) -> None:
    rid, _ = home.recordings["IMG_0001.jpg"]
    with home.database.engine.begin() as conn:
        unguard(conn, "recording")
        conn.execute(text("UPDATE recording SET sm3 = :s WHERE id = :i"), {"s": "0" * 64, "i": rid})
    problems = home.verify()
    assert named(problems, "recording_row_altered") == {f"recording:{rid}"}
    assert named(problems, "object_sm3_differs") == {f"recording:{rid}"}
    assert kinds(problems) == {"recording_row_altered", "object_sm3_differs"}


def test_edited_digests_and_size_together_still_named_by_the_audit_entry(home: Home) -> None:
    """An attacker who swaps an object and makes the row agree with it: the hashed ingest
    entry still says what was ingested."""
    rid, sha = home.recordings["clip.mp4"]
    path = home.store.path(sha)
    replacement = b"a forged clip"
    new_sha = hashlib.sha256(replacement).hexdigest()
    new_sm3 = hashlib.new("sm3", replacement).hexdigest()
    target = home.store.path(new_sha)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(replacement)
    target.chmod(0o444)  # a careful attacker leaves it read-only, as published ones are
    writable(path)
    path.unlink()
    with home.database.engine.begin() as conn:
        unguard(conn, "recording")
        conn.execute(
            text("UPDATE recording SET sha256 = :h, sm3 = :s, size = :n WHERE id = :i"),
            {"h": new_sha, "s": new_sm3, "n": len(replacement), "i": rid},
        )
    problems = home.verify()
    assert kinds(problems) == {"recording_row_altered"}
    assert named(problems, "recording_row_altered") == {f"recording:{rid}"}
    assert len(problems) == 3  # sha256, sm3 and size each named


def _delete_recording_row(home: Home, rid: int) -> None:
    with home.database.engine.begin() as conn:
        unguard(conn, "recording", "recording_sighting", "recording_correction")
        conn.execute(text("DELETE FROM recording_sighting WHERE recording_id = :i"), {"i": rid})
        conn.execute(text("DELETE FROM recording_correction WHERE recording_id = :i"), {"i": rid})
        conn.execute(
            text("UPDATE evidence_upload SET recording_id = NULL WHERE recording_id = :i"),
            {"i": rid},
        )
        conn.execute(text("DELETE FROM recording WHERE id = :i"), {"i": rid})


def test_deleted_recording_row(home: Home) -> None:
    rid, sha = home.recordings["REC_20261130_090000.wav"]
    _delete_recording_row(home, rid)
    problems = home.verify()
    assert named(problems, "object_without_row") == {f"object:{sha}"}
    assert named(problems, "recording_missing") == {f"recording:{rid}"}
    assert len(named(problems, "sighting_missing")) == 1  # its first sighting, in its entry


def test_deleted_recording_row_and_its_object(home: Home) -> None:
    rid, sha = home.recordings["REC_20261130_090000.wav"]
    _delete_recording_row(home, rid)
    home.store.path(sha).unlink()
    problems = home.verify()
    assert f"recording:{rid}" in {p.subject for p in problems}


def test_recording_row_without_audit_entry(home: Home) -> None:
    """A row copied in beside the log (its object planted too) has no ingest entry."""
    rid, _ = home.recordings["IMG_0001.jpg"]
    planted = b"planted evidence"
    sha = hashlib.sha256(planted).hexdigest()
    path = home.store.path(sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(planted)
    path.chmod(0o444)
    with home.database.engine.begin() as conn:
        table = Recording.__table__
        row = dict(conn.execute(select(table).where(table.c.id == rid)).mappings().one())
        row.update(
            id=rid + 1000,
            sha256=sha,
            sm3=hashlib.new("sm3", planted).hexdigest(),
            size=len(planted),
        )
        conn.execute(Recording.__table__.insert().values(**row))
    problems = home.verify()
    assert named(problems, "recording_not_audited") == {f"recording:{rid + 1000}"}
    assert kinds(problems) == {"recording_not_audited"}


# The audit rows -----------------------------------------------------------------------------


def _unit_seq(home: Home) -> int:
    with home.database.read() as session:
        stmt = select(AuditEvent.seq).where(AuditEvent.tag == "org:unit:create").order_by("seq")
        return int(session.scalars(stmt).all()[1])  # 执法二处


def test_edited_audit_row(home: Home) -> None:
    seq = _unit_seq(home)
    entry = entry_of(home, seq)
    assert "执法二处" in entry
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_event")
        conn.execute(
            text(
                "UPDATE audit_event SET entry = :e, after = REPLACE(after, '执法二处', '执法九处') WHERE seq = :s"
            ),
            {"e": entry.replace("执法二处", "执法九处"), "s": seq},
        )
    problems = home.verify()
    assert named(problems, "audit_row_altered") == {f"audit:{seq}"}
    assert "tree_head_root_mismatch" in kinds(problems)  # every head since covers it
    assert len(named(problems, "tree_head_root_mismatch")) == len(home.head_sizes)


def test_edited_audit_row_columns_beside_the_entry(home: Home) -> None:
    seq = _unit_seq(home)
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_event")
        conn.execute(
            text("UPDATE audit_event SET tag = 'org:unit:delete', after = NULL WHERE seq = :s"),
            {"s": seq},
        )
    problems = home.verify()
    assert f"audit:{seq}" in {p.subject for p in problems}


def test_deleted_audit_row(home: Home) -> None:
    seq = _unit_seq(home)
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_event")
        conn.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": seq})
    problems = home.verify()
    missing = named(problems, "audit_row_missing")
    assert f"audit:{seq}" in missing
    assert f"audit:{seq - 1}" not in missing
    assert "tree_head_root_mismatch" in kinds(problems)


def test_deleted_audit_row_names_only_that_row(home: Home) -> None:
    seq = _unit_seq(home)
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_event")
        conn.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": seq})
    problems = home.check()
    assert named(problems, "audit_row_missing") == {f"audit:{seq}"}
    assert "audit_row_altered" not in kinds(problems)


def test_two_audit_rows_swapped(home: Home) -> None:
    first = _unit_seq(home)
    second = first + 3
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_event")
        swap = "UPDATE audit_event SET seq = :to WHERE seq = :from"
        conn.execute(text(swap), {"from": first, "to": -1})
        conn.execute(text(swap), {"from": second, "to": first})
        conn.execute(text(swap), {"from": -1, "to": second})
    problems = home.verify()
    assert named(problems, "audit_row_moved") == {f"audit:{first}", f"audit:{second}"}
    assert named(problems, "audit_row_altered") == {f"audit:{first}", f"audit:{second}"}
    assert "tree_head_root_mismatch" in kinds(problems)


def _forged_row(home: Home, seq: int, claims: int) -> dict[str, object]:
    """Row ``seq`` copied (read before the attack starts: on PostgreSQL the attacker's
    transaction holds table locks) with a forged entry that claims seq ``claims``."""
    with home.database.read() as session:
        row = dict(session.execute(select(AUDIT).where(AUDIT.c.seq == seq)).mappings().one())
    entry = json.loads(str(row["entry"]))
    entry.update(seq=claims, tag="org:unit:create", after={"name": "伪造处"})
    row.pop("id")
    row.update(seq=claims, tag="org:unit:create", entry=canonical_json(entry))
    return row


def _insert_in_the_middle(home: Home) -> tuple[int, int]:
    seq = _unit_seq(home)
    last = home.log_size() - 1
    forged = _forged_row(home, seq, seq)
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_event")
        conn.execute(text("UPDATE audit_event SET seq = seq + 1000000 WHERE seq >= :s"), {"s": seq})
        conn.execute(text("UPDATE audit_event SET seq = seq - 999999 WHERE seq >= 1000000"))
        conn.execute(AUDIT.insert().values(**forged))
    return seq, last


def test_audit_row_inserted_in_the_middle(home: Home) -> None:
    """Rows from ``seq`` on renumbered one up, and a forged row put in the gap, naming its seq.
    (``check``: verify itself fails here, see the next test.)"""
    seq, last = _insert_in_the_middle(home)
    problems = home.check()
    assert f"audit:{seq}" in named(problems, "audit_row_altered")
    assert {f"audit:{s}" for s in range(seq + 1, last + 2)} <= named(problems, "audit_row_moved")
    assert named(problems, "audit_leaf_missing") == {f"audit:{last + 1}"}


def test_audit_row_inserted_in_the_middle_through_verify(home: Home) -> None:
    seq, _ = _insert_in_the_middle(home)
    problems = home.verify()
    assert f"audit:{seq}" in named(problems, "audit_row_altered")


def _drop_seq_uniqueness(conn: Connection) -> None:
    """As an attacker with the database would: PostgreSQL drops the constraint, SQLite (which
    cannot drop an inline UNIQUE) rebuilds the table without it."""
    if BACKEND == "postgresql":
        conn.execute(text("ALTER TABLE audit_event DROP CONSTRAINT uq_audit_event_seq"))
        return
    conn.execute(text("CREATE TABLE audit_copy AS SELECT * FROM audit_event"))
    conn.execute(text("DROP TABLE audit_event"))
    conn.execute(text("ALTER TABLE audit_copy RENAME TO audit_event"))


def test_audit_row_inserted_beside_an_existing_seq(home: Home) -> None:
    """With the unique constraint dropped as well, a second row claims an existing seq."""
    seq = _unit_seq(home)
    forged = _forged_row(home, seq, seq)
    forged["id"] = 10_000_000
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_event")
        _drop_seq_uniqueness(conn)
        conn.execute(AUDIT.insert().values(**forged))
    problems = home.verify()
    assert f"audit:{seq}" in named(problems, "audit_row_inserted")


def _truncate_tail(home: Home, count: int, *, nodes: bool) -> int:
    size = home.log_size()
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_event", "audit_merkle_node")
        conn.execute(text("DELETE FROM audit_event WHERE seq >= :s"), {"s": size - count})
        if nodes:  # every stored subtree that reaches past the kept rows
            stored = conn.execute(text("SELECT key, level, idx FROM audit_merkle_node")).all()
            for key, level, idx in stored:
                if (int(idx) + 1) << int(level) > size - count:
                    conn.execute(text("DELETE FROM audit_merkle_node WHERE key = :k"), {"k": key})
    return size - count


def test_tail_truncated_with_its_tree_nodes(home: Home) -> None:
    """The last rows deleted, and the stored subtrees that cover them, as a careful attacker
    would: the last signed head is longer than the log."""
    kept = _truncate_tail(home, 2, nodes=True)
    with home.database.read() as session:
        assert log.log_size(session) == kept
    problems = home.verify()
    assert "audit_log_truncated" in kinds(problems)
    with home.database.read() as session:
        last_head = session.scalars(select(TreeHead).order_by(TreeHead.id.desc())).first()
    assert last_head is not None
    assert named(problems, "audit_log_truncated") == {f"tree_head:{last_head.id}"}


def test_tail_truncated_rows_only(home: Home) -> None:
    _truncate_tail(home, 2, nodes=False)
    assert "audit_log_truncated" in kinds(home.check())  # the check itself finds it
    problems = home.verify()
    assert "audit_log_truncated" in kinds(problems)


# The tree and its heads ---------------------------------------------------------------------


def test_tree_head_resigned_with_another_key(home: Home) -> None:
    other = Ed25519PrivateKey.generate()
    other_public = other.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with home.database.read() as session:
        head = session.scalars(select(TreeHead).order_by(TreeHead.id.desc())).first()
    assert head is not None
    signature = other.sign(head_message(head.size, head.root, head.timestamp)).hex()
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_tree_head")
        conn.execute(
            text("UPDATE audit_tree_head SET signature = :s, key_id = :k WHERE id = :i"),
            {"s": signature, "k": key_id(other_public), "i": head.id},
        )
    problems = home.verify()
    assert named(problems, "tree_head_bad_signature") == {f"tree_head:{head.id}"}
    assert kinds(problems) == {"tree_head_bad_signature"}


def test_tree_head_added_with_another_key_and_this_key_id(home: Home) -> None:
    """A head signed by someone else, claiming the home's key id."""
    other = Ed25519PrivateKey.generate()
    size = home.log_size()
    with home.database.read() as session:
        real_root = merkle.tree_root(log.fetcher(session), size)
    stamp = utcnow()
    with home.database.engine.begin() as conn:
        conn.execute(
            TreeHead.__table__.insert().values(
                size=size,
                root=real_root.hex(),
                timestamp=stamp,
                signature=other.sign(head_message(size, real_root.hex(), stamp)).hex(),
                key_id=home.signer.key_id,
            )
        )
        new_id = conn.execute(select(func.max(TreeHead.id))).scalar_one()
    problems = home.verify()
    assert named(problems, "tree_head_bad_signature") == {f"tree_head:{new_id}"}


def test_forged_head_inconsistent_with_an_earlier_one(home: Home) -> None:
    """An attacker with the database and the home's key rewrites an old row, rebuilds every
    stored subtree to match, and signs a new head: the rows now give the new root, but the new
    head does not extend the heads signed before."""
    seq = _unit_seq(home)
    entry = entry_of(home, seq).replace("执法二处", "执法九处")
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_event")
        conn.execute(
            text("UPDATE audit_event SET entry = :e WHERE seq = :s"), {"e": entry, "s": seq}
        )
        root = rebuild_tree(conn)
        size = conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        insert_head(conn, size, root, home.signer.private_key)
    with home.database.read() as session:
        heads = session.scalars(select(TreeHead).order_by(TreeHead.id)).all()
    forged = heads[-1]
    problems = home.verify()
    assert f"tree_head:{forged.id}" in named(problems, "tree_head_inconsistent")
    assert named(problems, "tree_head_root_mismatch") == {f"tree_head:{h.id}" for h in heads[:-1]}
    assert "audit_row_altered" not in kinds(problems)  # the leaves were rebuilt too
    assert "tree_head_bad_signature" not in kinds(problems)


def test_forged_head_with_a_wrong_root(home: Home) -> None:
    """A head signed with the home's key over a root the log never had."""
    size = home.log_size()
    with home.database.engine.begin() as conn:
        insert_head(conn, size, hashlib.sha256(b"forged").digest(), home.signer.private_key)
        new_id = conn.execute(select(func.max(TreeHead.id))).scalar_one()
    problems = home.verify()
    assert named(problems, "tree_head_root_mismatch") == {f"tree_head:{new_id}"}
    assert named(problems, "tree_head_inconsistent") == {f"tree_head:{new_id}"}


def test_altered_tree_node(home: Home) -> None:
    """A stored subtree of the frontier changed: the next head would be built on it."""
    size = home.log_size()
    level, index = merkle.frontier_keys(size)[0]
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_merkle_node")
        conn.execute(
            text("UPDATE audit_merkle_node SET hash = :h WHERE key = :k"),
            {"h": "00" * 32, "k": MerkleNode.key_of(level, index)},
        )
    problems = home.verify()
    assert named(problems, "audit_tree_node_altered") == {f"audit_tree:{level}/{index}"}


def test_deleted_leaf(home: Home) -> None:
    seq = _unit_seq(home)
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_merkle_node")
        conn.execute(
            text("DELETE FROM audit_merkle_node WHERE key = :k"), {"k": MerkleNode.key_of(0, seq)}
        )
    problems = home.verify()
    assert named(problems, "audit_leaf_missing") == {f"audit:{seq}"}


def test_recorded_after_tampering_still_detected(home: Home) -> None:
    """Changes keep being recorded after an edit; the next verify still names it."""
    seq = _unit_seq(home)
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_event")
        conn.execute(
            text("UPDATE audit_event SET entry = :e WHERE seq = :s"),
            {"e": entry_of(home, seq).replace("执法二处", "执法九处"), "s": seq},
        )
    with home.database.unit_of_work() as session:
        record(session, home.actor, "test:thing:touch", ("thing", 1))
    problems = home.verify()
    assert named(problems, "audit_row_altered") == {f"audit:{seq}"}


# Every column of every write-once row (issue 13, "What was seen" 5) ---------------------------


def _row(home: Home, table: Any, row_id: int) -> dict[str, Any]:
    with home.database.read() as session:
        found = session.execute(select(table).where(table.c.id == row_id)).mappings().one()
    return dict(found)


def _update(home: Home, table: Any, row_id: int, **values: object) -> None:
    """As an attacker with the database: the write-once trigger dropped, the row changed."""
    with home.database.engine.begin() as conn:
        unguard(conn, table.name)
        conn.execute(table.update().where(table.c.id == row_id).values(**values))


def _another_officer(home: Home, current: int | None) -> int:
    with home.database.read() as session:
        ids = session.scalars(select(Person.id).where(Person.id != (current or 0))).all()
    return int(ids[0])


RECORDING = Recording.__table__
SIGHTING = Sighting.__table__
CORRECTION = Correction.__table__


@pytest.mark.parametrize(
    "column", ["officer_id", "start_at", "end_at", "retain_until", "original_name", "workstation"]
)
def test_each_edited_recording_column_is_named(home: Home, column: str) -> None:
    """The edits verify used to miss (officer, times, a shortened retention, the file's name,
    the workstation): each is named by the column, against the ingest entry."""
    rid, _ = home.recordings["clip.mp4"]
    row = _row(home, RECORDING, rid)
    forged: dict[str, object] = {
        "officer_id": _another_officer(home, row["officer_id"]),
        "start_at": row["start_at"] - timedelta(hours=3),
        "end_at": row["end_at"] + timedelta(minutes=5),
        "retain_until": row["retain_until"] - timedelta(days=700),
        "original_name": "换过的名字.mp4",
        "workstation": "另一台工作站",
    }
    _update(home, RECORDING, rid, **{column: forged[column]})
    problems = home.verify()
    assert kinds(problems) == {"recording_row_altered"}
    (problem,) = problems
    assert problem.subject == f"recording:{rid}" and problem.detail.startswith(f"{column} is ")


@pytest.mark.req("R14.2")
def test_shortened_retention_is_named_with_both_dates(home: Home) -> None:
    rid, _ = home.recordings["REC_20261130_090000.wav"]
    promised = _row(home, RECORDING, rid)["retain_until"]
    _update(home, RECORDING, rid, retain_until=date(2020, 1, 1))
    (problem,) = home.verify()
    assert problem.kind == "recording_row_altered"
    assert "2020-01-01" in problem.detail and promised.isoformat() in problem.detail


def test_every_column_of_a_recording_is_in_its_ingest_entry(home: Home) -> None:
    rid, _ = home.recordings["IMG_0001.jpg"]
    with home.database.read() as session:
        stmt = select(AuditEvent.entry).where(
            AuditEvent.subject_type == "recording",
            AuditEvent.subject_id == str(rid),
            AuditEvent.tag == "evidence:recording:ingest",
        )
        after = json.loads(session.scalars(stmt).one())["after"]
    assert set(RECORDING.columns.keys()) <= set(after)
    assert set(SIGHTING.columns.keys()) == set(after["sighting"])


def _sightings(home: Home, duplicate: bool) -> list[int]:
    with home.database.read() as session:
        stmt = select(Sighting.id).where(Sighting.duplicate.is_(duplicate)).order_by(Sighting.id)
        return [int(i) for i in session.scalars(stmt)]


@pytest.mark.parametrize("duplicate", [False, True], ids=["first", "duplicate"])
def test_edited_sighting_is_named(home: Home, duplicate: bool) -> None:
    """The first sighting (in its recording's ingest entry) and a duplicate (its own entry)."""
    sid = _sightings(home, duplicate)[0]
    _update(home, SIGHTING, sid, source_path="别处/clip.mp4", mtime_ns=1)
    problems = home.verify()
    assert kinds(problems) == {"sighting_row_altered"}
    assert named(problems, "sighting_row_altered") == {f"sighting:{sid}"}
    assert {p.detail.split(" ")[0] for p in problems} == {"source_path", "mtime_ns"}


def test_deleted_and_planted_sightings_are_named(home: Home) -> None:
    sid = _sightings(home, True)[0]
    row = _row(home, SIGHTING, sid)
    with home.database.engine.begin() as conn:
        unguard(conn, "recording_sighting")
        conn.execute(SIGHTING.delete().where(SIGHTING.c.id == sid))
        planted = {**row, "id": sid + 1000, "source_path": "伪造/x.mp4", "source_hash": "0" * 64}
        conn.execute(SIGHTING.insert().values(**planted))
    problems = home.verify()
    assert named(problems, "sighting_missing") == {f"sighting:{sid}"}
    assert named(problems, "sighting_not_audited") == {f"sighting:{sid + 1000}"}
    assert kinds(problems) == {"sighting_missing", "sighting_not_audited"}


def _correction(home: Home) -> int:
    with home.database.read() as session:
        return int(session.scalars(select(Correction.id)).one())


def test_edited_correction_is_named(home: Home) -> None:
    cid = _correction(home)
    _update(home, CORRECTION, cid, value="改过的备注", corrected_by="别人")
    problems = home.verify()
    assert named(problems, "correction_row_altered") == {f"correction:{cid}"}
    assert {p.detail.split(" ")[0] for p in problems} == {"value", "corrected_by"}


def test_deleted_and_planted_corrections_are_named(home: Home) -> None:
    cid = _correction(home)
    row = _row(home, CORRECTION, cid)
    with home.database.engine.begin() as conn:
        unguard(conn, "recording_correction")
        conn.execute(CORRECTION.delete().where(CORRECTION.c.id == cid))
        conn.execute(CORRECTION.insert().values(**{**row, "id": cid + 1000}))
    problems = home.verify()
    assert named(problems, "correction_missing") == {f"correction:{cid}"}
    assert named(problems, "correction_not_audited") == {f"correction:{cid + 1000}"}
    assert kinds(problems) == {"correction_missing", "correction_not_audited"}


def test_entries_written_before_every_column_are_compared_on_their_keys(home: Home) -> None:
    """A duplicate sighting audited the way it was before entries carried every column (path,
    run and device only): clean while it agrees, named when its path is changed."""
    rid, _ = home.recordings["IMG_0001.jpg"]
    first = _row(home, SIGHTING, _sightings(home, False)[0])
    with home.database.unit_of_work() as session:
        old = Sighting(
            **{**first, "id": None, "recording_id": rid, "source_path": "旧/IMG.jpg"},
        )
        old.duplicate, old.source_hash = True, None
        session.add(old)
        session.flush()
        after = {"path": old.source_path, "ingest_run_id": old.ingest_run_id, "device_id": 1}
        after["device_id"] = old.device_id
        record(session, home.actor, "evidence:recording:sighting", ("recording", rid), after=after)
        sid = old.id
    assert home.check() == []
    _update(home, SIGHTING, sid, source_path="改/IMG.jpg")
    problems = home.verify()
    assert [(p.kind, p.subject) for p in problems] == [("sighting_row_altered", f"sighting:{sid}")]


# Every node of the stored tree --------------------------------------------------------------


@pytest.mark.parametrize(("level", "index"), [(1, 0), (2, 1), (1, 5)])
def test_altered_interior_node(home: Home, level: int, index: int) -> None:
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_merkle_node")
        conn.execute(
            text("UPDATE audit_merkle_node SET hash = :h WHERE key = :k"),
            {"h": "11" * 32, "k": MerkleNode.key_of(level, index)},
        )
    problems = home.check()
    assert named(problems, "audit_tree_node_altered") == {f"audit_tree:{level}/{index}"}
    assert "audit_row_altered" not in kinds(problems)


@pytest.mark.parametrize(("level", "index"), [(1, 2), (2, 0), (3, 1)])
def test_deleted_interior_node(home: Home, level: int, index: int) -> None:
    with home.database.engine.begin() as conn:
        unguard(conn, "audit_merkle_node")
        conn.execute(
            text("DELETE FROM audit_merkle_node WHERE key = :k"),
            {"k": MerkleNode.key_of(level, index)},
        )
    problems = home.check()
    assert named(problems, "audit_tree_node_missing") == {f"audit_tree:{level}/{index}"}
    assert not {"audit_tree_node_extra", "audit_leaf_missing"} & kinds(problems)


def _insert_node(home: Home, key: int, level: int, idx: int) -> None:
    with home.database.engine.begin() as conn:
        conn.execute(
            MerkleNode.__table__.insert().values(key=key, level=level, idx=idx, hash="22" * 32)
        )


def test_node_beyond_the_tree(home: Home) -> None:
    size = home.log_size()
    _insert_node(home, MerkleNode.key_of(0, size + 5), 0, size + 5)
    _insert_node(home, MerkleNode.key_of(4, size), 4, size)
    problems = home.check()
    assert named(problems, "audit_tree_node_extra") == {
        f"audit_tree:0/{size + 5}",
        f"audit_tree:4/{size}",
    }
    assert kinds(problems) == {"audit_tree_node_extra"}


def test_node_under_a_key_that_is_not_its_own(home: Home) -> None:
    _insert_node(home, 63, 0, 12345)  # the key of level 63, index 0
    problems = home.check()
    assert [(p.kind, p.subject) for p in problems] == [
        ("audit_tree_node_extra", "audit_tree_key:63")
    ]


def test_tail_rows_deleted_leave_their_nodes_named_as_extra(home: Home) -> None:
    kept = _truncate_tail(home, 1, nodes=False)
    problems = home.check()
    assert f"audit_tree:0/{kept}" in named(problems, "audit_tree_node_extra")
    assert "audit_log_truncated" in kinds(problems)


# The originals' own protection --------------------------------------------------------------


@pytest.mark.req("R14.2")
def test_original_made_writable(home: Home) -> None:
    """Its bytes untouched: only the mode changed (the first step of an edit in place)."""
    rid, sha = home.recordings["IMG_0001.jpg"]
    writable(home.store.path(sha))
    problems = home.verify()
    assert [(p.kind, p.subject) for p in problems] == [("object_writable", f"recording:{rid}")]


def test_anchor_beyond_the_log(home: Home) -> None:
    size = home.log_size()
    found = Collector()
    with home.database.read() as session:
        anchors = {size + 10: hashlib.sha256(b"paper").digest()}
        check_log(session=session, public_key=home.signer.public_key, found=found, anchors=anchors)
    assert [(p.kind, p.subject) for p in found.problems] == [
        ("anchor_beyond_log", f"anchor:{size + 10}")
    ]


class _FailingDisk(LocalStore):
    """A store whose disk fails to read one object (an I/O error, as a bad sector gives)."""

    def __init__(self, root: Path, broken: str) -> None:
        super().__init__(root)
        self.broken = broken

    def open(self, sha256: str) -> BinaryIO:
        if sha256 == self.broken:
            raise StorageError(f"cannot open {sha256}: [Errno 5] Input/output error")
        return super().open(sha256)


def test_unreadable_object(home: Home) -> None:
    rid, sha = home.recordings["clip.mp4"]
    store = _FailingDisk(home.store.root, sha)
    found = integrity.verify(
        database=home.database, store=store, public_key=home.signer.public_key, actor=home.actor
    )
    assert [(p.kind, p.subject) for p in found.problems] == [
        ("object_unreadable", f"recording:{rid}")
    ]


def test_verify_that_cannot_audit_itself_says_so(home: Home) -> None:
    """A leaf planted where verify's own entry would go: the findings still stand."""
    size = home.log_size()
    _insert_node(home, MerkleNode.key_of(0, size), 0, size)
    problems = home.verify()
    assert named(problems, "audit_tree_node_extra") == {f"audit_tree:0/{size}"}
    assert named(problems, "verify_not_audited") == {"audit_log"}
    assert home.log_size() == size
