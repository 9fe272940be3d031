"""Migration 0005 (issue #6; R15.1, R18.1): a log written before the Merkle tree existed becomes
its leaves. A database is upgraded to 0004 and audit rows are written there through the org
services (with the Merkle append of today's ``record`` switched off, as the code of 0004 had
none); after the upgrade to 0005 the stored tree is exactly the RFC 9162 tree of those rows'
entries, the log verifies clean, new rows extend it consistently, its tables are append-only,
and a downgrade and upgrade again rebuild the same tree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from lawcam.audit import log, merkle
from lawcam.audit import service as audit_service
from lawcam.audit.integrity import Collector, check_log
from lawcam.audit.models import AuditEvent, MerkleNode
from lawcam.audit.signing import load_signer
from lawcam.authz import console_actor
from lawcam.db import Database, make_engine
from lawcam.db.migrate import alembic_config, current_revision, upgrade
from lawcam.evidence import integrity
from lawcam.org import service as org
from lawcam.org.types import PersonIn, UnitClass, UnitIn
from lawcam.storage.local import LocalStore
from tests.conftest import BACKEND, _worker, pg_create, pg_drop
from tests.unit.audit.test_merkle import ref_mth, ref_proof

pytestmark = [
    pytest.mark.req("R15.1"),
    pytest.mark.req("R18.1"),
]

ACTOR = console_actor("tester")


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    if BACKEND == "postgresql":
        name = f"lawcam_mig5_{_worker()}"
        yield pg_create(name)
        pg_drop(name)
    else:
        yield f"sqlite:///{tmp_path / 'old.db'}"


def _office_before_0005(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Units and people through the services, audited as 0004's code audited them: a row with
    its canonical entry, no tree (there is no audit_merkle_node table yet)."""
    with monkeypatch.context() as patched:
        patched.setattr(audit_service.log, "append", lambda session, seq, entry: None)
        for index in range(5):
            with database.unit_of_work() as session:  # one transaction each
                org.create_unit(
                    session=session,
                    actor=ACTOR,
                    data=UnitIn(name=f"旧单位{index}", unit_class=UnitClass.MORE),
                )
        with database.unit_of_work() as session:  # and many in one
            for index in range(16):
                org.create_person(
                    session=session,
                    actor=ACTOR,
                    data=PersonIn(
                        name=f"旧人员{index}",
                        unit=f"旧单位{index % 5}",
                        badge=f"J{index:04d}",
                        is_officer=True,
                    ),
                )


def _entries(database: Database) -> list[bytes]:
    with database.read() as session:
        rows = session.execute(select(AuditEvent.seq, AuditEvent.entry).order_by(AuditEvent.seq))
        pairs = [(int(seq), entry) for seq, entry in rows]
    assert [seq for seq, _ in pairs] == list(range(len(pairs)))
    return [entry.encode("utf-8") for _, entry in pairs]


def _tree(database: Database) -> dict[tuple[int, int], bytes]:
    with database.read() as session:
        rows = session.execute(select(MerkleNode.level, MerkleNode.idx, MerkleNode.hash))
        return {(int(level), int(idx)): bytes.fromhex(h) for level, idx, h in rows}


def _assert_tree_is(database: Database, leaves: list[bytes]) -> None:
    nodes = _tree(database)
    size = len(leaves)
    perfect = {
        (level, index)
        for level in range(size.bit_length())
        for index in range(size >> level)
        if (index + 1) << level <= size
    }
    assert set(nodes) == perfect
    for (level, index), value in nodes.items():
        assert value == ref_mth(leaves[index << level : (index + 1) << level]), (level, index)
    with database.read() as session:
        assert merkle.tree_root(log.fetcher(session), size) == ref_mth(leaves)


def test_existing_rows_become_leaves(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(url)
    database = Database(url)
    home = tmp_path / "home"
    try:
        upgrade(engine, "0004")
        assert current_revision(engine) == "0004"
        _office_before_0005(database, monkeypatch)
        old = _entries(database)
        assert len(old) == 21  # not a power of two

        upgrade(engine, "0005")
        _assert_tree_is(database, old)

        signer = load_signer(home)
        with database.unit_of_work() as session:
            first = log.make_head(session=session, signer=signer)
        assert (first.size, first.root) == (21, ref_mth(old).hex())
        found = integrity.verify(
            database=database,
            store=LocalStore(home / "objects"),
            public_key=signer.public_key,
            actor=ACTOR,
            objects=False,  # the log at 0005; the tables of later domains do not exist yet
        )
        assert found.problems == [] and found.events_checked == 21

        upgrade(engine)  # and whatever comes after 0005
        with database.unit_of_work() as session:  # the tree goes on from the migrated leaves
            org.create_unit(session=session, actor=ACTOR, data=UnitIn(name="新单位"))
        leaves = _entries(database)
        assert leaves[:21] == old and len(leaves) == 23  # verify's own entry, and the unit
        _assert_tree_is(database, leaves)
        with database.unit_of_work() as session:
            second = log.make_head(session=session, signer=signer)
            proof = log.consistency_proof(session=session, actor=ACTOR, first=21, second=23)
        path = [bytes.fromhex(p) for p in proof["path"]]
        assert path == ref_proof(21, leaves)
        merkle.verify_consistency(
            21, 23, bytes.fromhex(first.root), bytes.fromhex(second.root), path
        )
        found = Collector()
        with database.read() as session:
            check_log(session=session, public_key=signer.public_key, found=found)
        assert found.problems == []
    finally:
        database.dispose()
        engine.dispose()


def test_tree_tables_are_append_only_and_downgrade_rebuilds(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(url)
    database = Database(url)
    try:
        upgrade(engine, "0004")
        _office_before_0005(database, monkeypatch)
        upgrade(engine, "0005")
        leaves = _entries(database)
        with database.unit_of_work() as session:  # a head, so that its table has a row
            log.make_head(session=session, signer=load_signer(tmp_path / "home"))
        for statement in (
            "UPDATE audit_merkle_node SET hash = hash",
            "DELETE FROM audit_merkle_node",
            "UPDATE audit_tree_head SET root = root",
            "DELETE FROM audit_tree_head",
        ):
            with pytest.raises((IntegrityError, DBAPIError)), engine.begin() as connection:
                connection.execute(text(statement))
        command.downgrade(alembic_config(engine), "0004")
        assert current_revision(engine) == "0004"
        assert _entries(database) == leaves  # the log itself is untouched
        upgrade(engine, "0005")
        _assert_tree_is(database, leaves)
    finally:
        database.dispose()
        engine.dispose()
