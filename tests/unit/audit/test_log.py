"""The audit log's Merkle tree in the database (issue #6; R15.1, R18.1): leaves appended with
their rows, the stored perfect subtrees, signed tree heads and proofs served from them, checked
against the RFC 9162 reference of tests/unit/audit/test_merkle.py over the rows' own entries.
An empty log, one leaf, sizes around powers of two, many leaves in one transaction, rolled-back
writers, and leaf indexes assigned without gaps under concurrent writers."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from lawcam.audit import log, merkle
from lawcam.audit import service as audit_service
from lawcam.audit.integrity import Collector, check_log
from lawcam.audit.models import AuditEvent, MerkleNode, TreeHead
from lawcam.audit.service import record
from lawcam.audit.signing import Signer, head_message, load_signer
from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.errors import Forbidden, InvalidInput
from lawcam.org import service as org
from lawcam.org.types import UnitIn
from tests.conftest import BACKEND
from tests.unit.audit.test_merkle import ref_mth, ref_path, ref_proof

pytestmark = [
    pytest.mark.req("R15.1"),
    pytest.mark.req("R18.1"),
]

TAG = "test:leaf:write"
SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65]


# Helpers ------------------------------------------------------------------------------------


@pytest.fixture
def signer(settings: Settings) -> Signer:
    return load_signer(settings.home)


def write(database: Database, actor: Actor, count: int, *, label: str = "") -> None:
    """``count`` audit rows in one transaction (Chinese in the entry: the leaf covers UTF-8)."""
    with database.unit_of_work() as session:
        for index in range(count):
            record(
                session, actor, TAG, ("thing", f"{label}{index}"), after={"名称": f"第{index}条"}
            )


def entries(database: Database) -> list[bytes]:
    with database.read() as session:
        rows = session.execute(select(AuditEvent.seq, AuditEvent.entry).order_by(AuditEvent.seq))
        pairs = [(int(seq), entry) for seq, entry in rows]
    assert [seq for seq, _ in pairs] == list(range(len(pairs))), "seq is not dense from 0"
    return [entry.encode("utf-8") for _, entry in pairs]


def problems(database: Database, signer: Signer) -> tuple[list[str], int]:
    found = Collector()
    with database.read() as session:
        check_log(session=session, public_key=signer.public_key, found=found)
    return [f"{p.kind} {p.subject} {p.detail}" for p in found.problems], found.events_checked


def head(database: Database, signer: Signer, *, force: bool = False) -> TreeHead:
    with database.unit_of_work() as session:
        return log.make_head(session=session, signer=signer, force=force)


def signed(h: TreeHead, signer: Signer) -> bool:
    """The signature checked with ``cryptography`` over the documented bytes."""
    public = Ed25519PublicKey.from_public_bytes(signer.public_key)
    try:
        public.verify(bytes.fromhex(h.signature), head_message(h.size, h.root, h.timestamp))
    except Exception:
        return False
    return True


def inclusion(database: Database, actor: Actor, leaf: int, size: int | None = None) -> dict:
    with database.read() as session:
        return log.inclusion_proof(session=session, actor=actor, leaf_index=leaf, size=size)


def consistency(database: Database, actor: Actor, first: int, second: int) -> dict:
    with database.read() as session:
        return log.consistency_proof(session=session, actor=actor, first=first, second=second)


def stored_nodes(database: Database) -> dict[tuple[int, int], bytes]:
    with database.read() as session:
        rows = session.execute(select(MerkleNode.level, MerkleNode.idx, MerkleNode.hash))
        return {(int(level), int(idx)): bytes.fromhex(h) for level, idx, h in rows}


def perfect_subtrees(size: int) -> set[tuple[int, int]]:
    return {
        (level, index)
        for level in range(size.bit_length())
        for index in range(size >> level)
        if (index + 1) << level <= size
    }


def assert_tree_is(database: Database, leaves: list[bytes]) -> None:
    """The store holds exactly the perfect subtrees of the log, each the RFC hash of its range."""
    nodes = stored_nodes(database)
    assert set(nodes) == perfect_subtrees(len(leaves))
    for (level, index), value in nodes.items():
        assert value == ref_mth(leaves[index << level : (index + 1) << level]), (level, index)


# Empty and one leaf -------------------------------------------------------------------------


def test_empty_log(database: Database, signer: Signer, console: Actor) -> None:
    first = head(database, signer)
    assert (first.size, first.root) == (0, merkle.EMPTY_ROOT.hex())
    assert first.root == ref_mth([]).hex() and signed(first, signer)
    assert first.key_id == signer.key_id
    assert problems(database, signer) == ([], 0)
    assert head(database, signer).id == first.id  # nothing grew: the same head
    forced = head(database, signer, force=True)
    assert forced.id != first.id and (forced.size, forced.root) == (0, first.root)
    assert consistency(database, console, 0, 0) == {
        "from": 0,
        "to": 0,
        "path": [],
        "first_root": first.root,
        "second_root": first.root,
    }
    with pytest.raises(InvalidInput, match="审计日志还是空的"):
        inclusion(database, console, 0)
    assert problems(database, signer) == ([], 0)


def test_one_leaf(database: Database, signer: Signer, console: Actor) -> None:
    empty = head(database, signer)
    write(database, console, 1)
    leaves = entries(database)
    one = head(database, signer)
    assert one.size == 1 and one.root == merkle.leaf_hash(leaves[0]).hex() == ref_mth(leaves).hex()
    assert signed(one, signer)
    proof = inclusion(database, console, 0)
    assert proof == {
        "leaf_index": 0,
        "tree_size": 1,
        "leaf_hash": one.root,
        "path": [],
        "root": one.root,
    }
    assert consistency(database, console, 0, 1)["path"] == []
    assert consistency(database, console, 1, 1)["path"] == []
    merkle.verify_consistency(0, 1, bytes.fromhex(empty.root), bytes.fromhex(one.root), [])
    assert_tree_is(database, leaves)
    assert problems(database, signer) == ([], 1)


# Sizes around powers of two -----------------------------------------------------------------


def test_heads_around_powers_of_two(database: Database, signer: Signer, console: Actor) -> None:
    """The log grows to each size of SIZES in one transaction (so the in-transaction frontier
    crosses every kind of boundary), and is signed there; every head's root is the RFC root of
    the rows, proofs are the RFC's PATH and PROOF and verify, and ``check_log`` is clean."""
    heads: list[TreeHead] = []
    for size in SIZES:
        write(database, console, size - (heads[-1].size if heads else 0), label=f"{size}-")
        heads.append(head(database, signer))
    leaves = entries(database)
    assert [h.size for h in heads] == SIZES and len(leaves) == SIZES[-1]
    assert_tree_is(database, leaves)
    for h in heads:
        root = ref_mth(leaves[: h.size])
        assert h.root == root.hex() and signed(h, signer), h.size
        small = h.size <= 17
        for m in range(h.size) if small else sorted({0, 1, h.size // 2, h.size - 2, h.size - 1}):
            proof = inclusion(database, console, m, h.size)
            path = [bytes.fromhex(p) for p in proof["path"]]
            assert path == ref_path(m, leaves[: h.size]), (m, h.size)
            assert proof["leaf_hash"] == merkle.leaf_hash(leaves[m]).hex()
            assert proof["root"] == h.root
            merkle.verify_inclusion(m, h.size, merkle.leaf_hash(leaves[m]), path, root)
    for earlier, later in ((a, b) for i, a in enumerate(heads) for b in heads[i + 1 :]):
        proof = consistency(database, console, earlier.size, later.size)
        path = [bytes.fromhex(p) for p in proof["path"]]
        assert path == ref_proof(earlier.size, leaves[: later.size])
        assert (proof["first_root"], proof["second_root"]) == (earlier.root, later.root)
        merkle.verify_consistency(
            earlier.size, later.size, bytes.fromhex(earlier.root), bytes.fromhex(later.root), path
        )
    assert problems(database, signer) == ([], SIZES[-1])


def test_one_leaf_per_transaction_matches_bulk(
    database: Database, signer: Signer, console: Actor
) -> None:
    """Without the in-transaction frontier: each leaf reads the frontier from the store."""
    for _ in range(9):
        write(database, console, 1)
    leaves = entries(database)
    assert head(database, signer).root == ref_mth(leaves).hex()
    assert_tree_is(database, leaves)
    assert problems(database, signer) == ([], 9)


def test_head_document(database: Database, signer: Signer, console: Actor) -> None:
    write(database, console, 3)
    h = head(database, signer)
    document = log.head_document(h, signer.public_key)
    assert document == {
        "size": 3,
        "root": h.root,
        "timestamp": h.timestamp.isoformat(),
        "signature": h.signature,
        "public_key": signer.public_key.hex(),
    }
    with database.read() as session:  # as read back from the database, still signed
        again = session.get(TreeHead, h.id)
        assert again is not None and signed(again, signer)
        assert again.timestamp == h.timestamp


# Transactions -------------------------------------------------------------------------------


def test_rolled_back_writes_leave_no_leaves(
    database: Database, signer: Signer, console: Actor
) -> None:
    write(database, console, 20)
    first = head(database, signer)
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        for index in range(5):
            record(session, console, TAG, ("thing", f"lost{index}"))
        raise RuntimeError("the change fails after its audit rows were written")
    assert stored_nodes(database).keys() == perfect_subtrees(20)
    write(database, console, 3, label="after-")
    leaves = entries(database)
    assert len(leaves) == 23 and all(b"lost" not in leaf for leaf in leaves)
    second = head(database, signer)
    assert second.root == ref_mth(leaves).hex()
    assert_tree_is(database, leaves)
    assert problems(database, signer) == ([], 23)
    path = [bytes.fromhex(p) for p in consistency(database, console, 20, 23)["path"]]
    merkle.verify_consistency(20, 23, bytes.fromhex(first.root), bytes.fromhex(second.root), path)


def test_rolled_back_savepoint_leaves_no_gap(
    database: Database, signer: Signer, console: Actor
) -> None:
    with database.unit_of_work() as session:
        record(session, console, TAG, ("thing", "kept-1"))
        with pytest.raises(RuntimeError), session.begin_nested():
            record(session, console, TAG, ("thing", "lost"))
            raise RuntimeError("a nested change fails")
        record(session, console, TAG, ("thing", "kept-2"))
    leaves = entries(database)  # asserts seq dense from 0
    assert len(leaves) == 2
    assert problems(database, signer) == ([], 2)


# Proof requests -----------------------------------------------------------------------------


def test_proof_requests_out_of_range_are_refused(database: Database, console: Actor) -> None:
    write(database, console, 5)
    for leaf, size in [(5, None), (5, 5), (-1, None), (3, 3), (0, 6), (0, -1)]:
        with pytest.raises(InvalidInput) as refused:
            inclusion(database, console, leaf, size)
        assert "树大小" in refused.value.message or "叶序号" in refused.value.message
    for first, second in [(4, 3), (-1, 3), (2, 6)]:
        with pytest.raises(InvalidInput):
            consistency(database, console, first, second)
    officer = Actor(label="officer", source="web", roles=frozenset({Role.OFFICER}))
    with pytest.raises(Forbidden):
        inclusion(database, officer, 0)
    with pytest.raises(Forbidden):
        consistency(database, officer, 1, 2)
    auditor = Actor(label="auditor", source="web", roles=frozenset({Role.AUDITOR}))
    assert inclusion(database, auditor, 4)["tree_size"] == 5


# Concurrent writers -------------------------------------------------------------------------


def run_at_once(count: int, work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_writers_get_dense_seqs(
    database: Database, signer: Signer, console: Actor
) -> None:
    """Several threads, each with its own sessions, write at once. On PostgreSQL each
    transaction is an audit row alone (record() first: the advisory lock orders them); on
    SQLite (fewer threads) each creates a unit first, as the services do, and then audits it."""
    postgresql = BACKEND == "postgresql"
    threads, each = (8, 12) if postgresql else (3, 8)

    def work(thread: int) -> None:
        for index in range(each):
            with database.unit_of_work() as session:
                if postgresql:
                    record(session, console, TAG, ("thread", f"{thread}-{index}"))
                    if index % 3 == 0:  # and some transactions with more than one row
                        record(session, console, TAG, ("thread", f"{thread}-{index}b"))
                else:
                    org.create_unit(
                        session=session, actor=console, data=UnitIn(name=f"并发{thread}-{index}")
                    )

    assert run_at_once(threads, work) == []
    leaves = entries(database)  # dense 0..n-1
    extra = threads * len(range(0, each, 3)) if postgresql else 0
    assert len(leaves) == threads * each + extra
    assert_tree_is(database, leaves)
    assert head(database, signer).root == ref_mth(leaves).hex()
    assert problems(database, signer) == ([], len(leaves))


def test_writer_recording_first_waits_for_another(
    database: Database, signer: Signer, console: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic interleaving: after the first writer has chosen its seq (record() has
    read the log's size) and before it inserts, a second writer records and commits."""
    real = audit_service.utcnow
    calls: list[int] = []
    other_errors: list[BaseException] = []

    def other() -> None:
        try:
            with database.unit_of_work() as session:
                record(session, console, TAG, ("writer", "second"))
        except BaseException as exc:
            other_errors.append(exc)

    second = threading.Thread(target=other)

    def hooked():  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:  # inside the first record(), between _next_seq and the INSERT
            second.start()
            second.join(timeout=0.3)  # PostgreSQL: it waits for the first writer's lock
        return real()

    monkeypatch.setattr(audit_service, "utcnow", hooked)
    with database.unit_of_work() as session:
        record(session, console, TAG, ("writer", "first"))
    second.join(timeout=30)
    assert other_errors == []
    leaves = entries(database)
    assert len(leaves) == 2
    assert_tree_is(database, leaves)
    assert problems(database, signer) == ([], 2)


def test_two_signers_at_once_store_heads_in_size_order(
    database: Database, signer: Signer, console: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic interleaving (issue 19): after the first signer has read the log's size and
    root, another writes an entry and signs a head of its own. Heads are one signer at a time,
    so the other waits for the first's commit: the heads are stored in size order and verify
    proves each consistent with the one before (two signers interleaved used to store the
    larger head first, and verify then reported a false inconsistency)."""
    write(database, console, 3)
    real = log.utcnow
    calls: list[int] = []
    other_errors: list[BaseException] = []

    def other() -> None:
        try:
            write(database, console, 1, label="other")
            with database.unit_of_work() as session:
                log.make_head(session=session, signer=signer, force=True)
        except BaseException as exc:
            other_errors.append(exc)

    second = threading.Thread(target=other)

    def hooked():  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:  # inside the first make_head, between reading the size and storing
            second.start()
            second.join(timeout=1.0)  # it waits for the first signer (and, on SQLite, writer)
        return real()

    monkeypatch.setattr(log, "utcnow", hooked)
    with database.unit_of_work() as session:
        log.make_head(session=session, signer=signer, force=True)
    second.join(timeout=30)
    assert other_errors == []
    with database.read() as session:
        sizes = list(session.scalars(select(TreeHead.size).order_by(TreeHead.id)))
    assert sizes == [3, 4]
    assert problems(database, signer) == ([], 4)
