"""The registry of tree-head signing keys (issue 19; R15.1): two app nodes, each with its own
home's key, sign heads of one log; once each node has registered its key, verify from either
home is clean (before, the other node's heads were bad signatures). A rotation retires a key
and registers the next: earlier heads still verify, a head the retired key signs after its
retirement is named, and a registry row written or removed behind the log's back is named. Only
the server's own console registers or rotates. On the suite's database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, update

from lawcam.audit import keys, log
from lawcam.audit.integrity import Collector, check_log
from lawcam.audit.models import SigningKey, TreeHead
from lawcam.audit.signing import (
    KEY_FILE,
    HomeSigner,
    Signer,
    head_message,
    load_signer,
    read_signer,
)
from lawcam.authz import Actor, Role
from lawcam.db import Database
from lawcam.errors import Forbidden
from lawcam.timeutil import utcnow
from tests.unit.audit.test_log import write

pytestmark = pytest.mark.req("R15.1")


def kinds(database: Database, verifier: Signer) -> list[str]:
    found = Collector()
    with database.read() as session:
        check_log(session=session, public_key=verifier.public_key, found=found)
    return sorted(p.kind for p in found.problems)


def sign(database: Database, signer: Signer) -> TreeHead:
    with database.unit_of_work() as session:
        return log.make_head(session=session, signer=signer, force=True)


def register(database: Database, console: Actor, signer: Signer, node: str) -> bool:
    with database.unit_of_work() as session:
        _, added = keys.register(session=session, actor=console, signer=signer, node=node)
        return added


def test_two_nodes_heads_verify_once_each_key_is_registered(
    database: Database, console: Actor, tmp_path: Path
) -> None:
    a, b = load_signer(tmp_path / "node-a"), load_signer(tmp_path / "node-b")
    write(database, console, 2)
    sign(database, a)
    write(database, console, 1)
    sign(database, b)
    assert kinds(database, a) == ["tree_head_bad_signature"]  # b's head, seen from a
    assert kinds(database, b) == ["tree_head_bad_signature"]  # and a's, from b
    assert register(database, console, a, "node-a") and register(database, console, b, "node-b")
    assert not register(database, console, a, "node-a")  # twice: nothing more
    write(database, console, 1)
    sign(database, a)
    assert kinds(database, a) == [] and kinds(database, b) == []
    with database.read() as session:  # a head's document carries its own signer's key
        newest = log.latest_head(session)
        assert newest is not None
        assert keys.public_key_for(session, newest.key_id, b.public_key) == a.public_key
        assert [k.node for k in keys.registered(session)] == ["node-a", "node-b"]


def test_a_rotation_keeps_old_heads_and_refuses_the_retired_key_after(
    database: Database, console: Actor, tmp_path: Path
) -> None:
    home = tmp_path / "node-a"
    old = load_signer(home)
    register(database, console, old, "node-a")
    write(database, console, 2)
    sign(database, old)
    with database.unit_of_work() as session:
        retired, new_row = keys.rotate(session=session, actor=console, home=home, node="node-a")
    keys.take_over(home)
    new = load_signer(home)
    assert (retired.key_id, new_row.key_id) == (old.key_id, new.key_id) != (old.key_id, old.key_id)
    assert read_signer(home / f"audit_signing_key.{old.key_id}.pem").key_id == old.key_id
    write(database, console, 1)
    sign(database, new)
    assert kinds(database, new) == []  # the old key's head verifies from the registry
    forged = sign(database, old)  # the retired key, stolen, signs a head past its retirement
    assert forged.key_id == old.key_id
    assert kinds(database, new) == ["tree_head_key_retired"]
    assert kinds(database, old) == ["tree_head_key_retired"]  # from any home
    with database.unit_of_work() as session:  # "un-retired" behind the log's back
        session.execute(
            update(SigningKey).where(SigningKey.key_id == old.key_id).values(retired_seq=None)
        )
    assert kinds(database, new) == ["signing_key_retirement_altered"]


def test_a_registry_row_changed_or_removed_behind_the_log_is_named(
    database: Database, console: Actor, tmp_path: Path
) -> None:
    a, b = load_signer(tmp_path / "node-a"), load_signer(tmp_path / "node-b")
    intruder = load_signer(tmp_path / "intruder")
    register(database, console, a, "node-a")
    register(database, console, b, "node-b")
    with database.unit_of_work() as session:  # b's row now holds an intruder's key
        session.execute(
            update(SigningKey)
            .where(SigningKey.key_id == b.key_id)
            .values(public_key=intruder.public_key.hex())
        )
    assert kinds(database, a) == ["signing_key_not_audited"]
    with database.unit_of_work() as session:
        session.execute(delete(SigningKey).where(SigningKey.key_id == b.key_id))
    assert kinds(database, a) == ["signing_key_row_missing"]
    write(database, console, 1)
    with database.unit_of_work() as session:  # and a head, well signed, by an unknown key
        size, now = log.log_size(session), utcnow()
        root = log.merkle.tree_root(log.fetcher(session), size).hex()
        signature = intruder.sign(head_message(size, root, now)).hex()
        session.add(
            TreeHead(size=size, root=root, timestamp=now, signature=signature,
                     key_id=intruder.key_id)
        )  # fmt: skip
    assert "tree_head_bad_signature" in kinds(database, a)


def test_only_the_console_registers_or_rotates(
    database: Database, tmp_path: Path, console: Actor
) -> None:
    web = Actor(label="secadmin", source="web", roles=frozenset({Role.SECADMIN}))
    home = tmp_path / "node-a"
    with database.unit_of_work() as session, pytest.raises(Forbidden, match="命令行"):
        keys.register(session=session, actor=web, signer=load_signer(home), node="x")
    with database.unit_of_work() as session, pytest.raises(Forbidden):
        keys.rotate(session=session, actor=web, home=home, node="x")
    assert (home / KEY_FILE).exists() and not (home / keys.NEXT_FILE).exists()


def test_a_running_server_signs_with_the_new_key_once_it_takes_over(
    database: Database, console: Actor, tmp_path: Path
) -> None:
    """The web server holds a HomeSigner: after a rotation's take-over, its next head is the
    new key's, no restart needed (a head of the retired key would be named)."""
    home = tmp_path / "node-a"
    serving = HomeSigner(home)
    old = serving.current()
    register(database, console, old, "node-a")
    with database.unit_of_work() as session:
        keys.rotate(session=session, actor=console, home=home, node="node-a")
    assert serving.current().key_id == old.key_id  # not yet taken over
    keys.take_over(home)
    assert serving.current().key_id == load_signer(home).key_id != old.key_id
    write(database, console, 1)
    sign(database, serving.current())
    assert kinds(database, serving.current()) == []
