"""The audit log's Merkle tree in the database: leaves appended in the caller's transaction,
signed tree heads, and inclusion and consistency proofs from O(log n) stored subtrees."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from lawcam.audit import merkle
from lawcam.audit.models import AuditEvent, MerkleNode, TreeHead
from lawcam.audit.signing import Signer, head_message
from lawcam.authz import Action, Actor
from lawcam.db import Database
from lawcam.errors import InvalidInput, LawcamError
from lawcam.timeutil import utcnow

_FRONTIER_KEY = "lawcam.audit.frontier"
_PG_HEAD_LOCK = 0x6C6177686561  # "lawhea": any constant, the same for every signer
NODES: Table = MerkleNode.__table__  # type: ignore[assignment]


class TreeDamaged(LawcamError, LookupError):
    """Subtree hashes the log needs are not stored: the database was changed behind its back."""

    code = "audit_tree_damaged"
    http_status = 409


def current_transaction(session: Session) -> object:
    """What a per-transaction cache is keyed on: the innermost transaction, so that a rolled-back
    savepoint never leaves a cached sequence number or frontier behind."""
    return session.get_nested_transaction() or session.get_transaction()


def fetcher(session: Session) -> merkle.Fetch:
    def fetch(keys: Iterable[merkle.NodeKey]) -> Mapping[merkle.NodeKey, bytes]:
        wanted = {MerkleNode.key_of(level, index): (level, index) for level, index in keys}
        if not wanted:
            return {}
        # Core on the session's connection: the ORM's per-statement bookkeeping would cost more
        # than the query itself on every audited change.
        stmt = select(NODES.c.key, NODES.c.hash).where(NODES.c.key.in_(wanted))
        rows = session.connection().execute(stmt)
        found = {wanted[key]: bytes.fromhex(value) for key, value in rows}
        missing = [wanted[key] for key in wanted if wanted[key] not in found]
        if missing:
            raise TreeDamaged(
                f"审计日志默克尔树缺少节点 {missing[:5]}（数据库可能被改动），请运行 lawcam verify 检查。",
                missing=[list(key) for key in missing[:5]],
            )
        return found

    return fetch


def append(session: Session, seq: int, entry: str) -> None:
    """Leaf ``seq`` and the subtrees it completes, in the same transaction as the row. The
    caller holds the log's write lock (``audit.service._next_seq``), so the frontier read here
    is the one this transaction extends."""
    append_many(session, seq, [entry])


def append_many(session: Session, first: int, entries: Sequence[str]) -> None:
    """Leaves ``first``, ``first + 1``, … for ``entries`` and every subtree they complete, all
    computed here and inserted in one executemany (``append``'s rules otherwise)."""
    if not entries:
        return
    transaction = current_transaction(session)
    cached = session.info.get(_FRONTIER_KEY)
    if cached is not None and cached[0] is transaction and cached[1] == first:
        frontier = cached[2]
    else:
        nodes = fetcher(session)(merkle.frontier_keys(first))
        frontier = [(key[0], nodes[key]) for key in merkle.frontier_keys(first)]
    rows = []
    for seq, entry in enumerate(entries, start=first):
        new = merkle.append_leaf(frontier, seq, merkle.leaf_hash(entry.encode("utf-8")))
        rows += [
            {"key": MerkleNode.key_of(level, index), "level": level, "idx": index, "hash": h.hex()}
            for (level, index), h in new
        ]
    session.connection().execute(insert(NODES), rows)
    session.info[_FRONTIER_KEY] = (transaction, first + len(entries), frontier)


def log_size(session: Session) -> int:
    current = session.execute(select(func.max(AuditEvent.seq))).scalar_one()
    return 0 if current is None else int(current) + 1


def latest_head(session: Session) -> TreeHead | None:
    return session.scalars(select(TreeHead).order_by(TreeHead.id.desc()).limit(1)).first()


def make_head(*, session: Session, signer: Signer, force: bool = False) -> TreeHead:
    """Signs the log as it stands. Without ``force``, a log that has not grown since the last
    head keeps that head (heads at intervals need not pile up while nothing happens)."""
    _one_signer(session)
    size = log_size(session)
    latest = latest_head(session)
    if latest is not None and latest.size == size and not force:
        return latest
    root = merkle.tree_root(fetcher(session), size).hex()
    timestamp = utcnow()
    head = TreeHead(
        size=size,
        root=root,
        timestamp=timestamp,
        signature=signer.sign(head_message(size, root, timestamp)).hex(),
        key_id=signer.key_id,
    )
    session.add(head)
    session.flush()
    return head


def _one_signer(session: Session) -> None:
    """Heads are kept in the order they are stored, and verify proves each consistent with the
    one before: two signers at once (every node's tree-head thread, ``lawcam audit sth`` racing
    one) must never store a smaller head after a larger. So one signs at a time, from reading
    the log's size to the commit: PostgreSQL's advisory lock; on SQLite the write lock, taken
    before the size is read (a write that touches no row, as ``audit.service._next_seq``)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_HEAD_LOCK})
    else:
        session.execute(text("UPDATE audit_tree_head SET size = size WHERE 0 = 1"))


def fresh_head(database: Database, signer: Signer) -> TreeHead:
    """The newest head, signed now if the log has grown since: the log's own bookkeeping, in a
    short transaction of its own (a reading request's session writes nothing)."""
    with database.unit_of_work() as session:
        return make_head(session=session, signer=signer)


def head_covering(database: Database, signer: Signer, index: int) -> TreeHead:
    """The newest head, or, for an entry newer than it, a head signed now (as fresh_head)."""
    with database.read() as session:
        head = latest_head(session)
    if head is not None and index < head.size:
        return head
    return fresh_head(database, signer)


def proof_holds(proof: Mapping[str, object], root: str) -> tuple[bool, str]:
    """Whether an inclusion proof leads to ``root``; when not, why (in the verifier's words)."""
    path = proof["path"]
    assert isinstance(path, list)
    try:
        merkle.verify_inclusion(
            int(str(proof["leaf_index"])),
            int(str(proof["tree_size"])),
            bytes.fromhex(str(proof["leaf_hash"])),
            [bytes.fromhex(h) for h in path],
            bytes.fromhex(root),
        )
    except (merkle.ProofError, ValueError) as exc:
        return False, str(exc)
    return True, ""


def head_document(head: TreeHead, signer_public_key: bytes) -> dict[str, object]:
    return {
        "size": head.size,
        "root": head.root,
        "timestamp": head.timestamp.isoformat(),
        "signature": head.signature,
        "public_key": signer_public_key.hex(),
    }


def _checked_size(session: Session, size: int | None) -> int:
    current = log_size(session)
    if size is None:
        return current
    if not 0 <= size <= current:
        raise InvalidInput(
            f"树大小应在 0 到 {current} 之间（当前日志共 {current} 条）。", field="size"
        )
    return size


def inclusion_proof(
    *, session: Session, actor: Actor, leaf_index: int, size: int | None = None
) -> dict[str, object]:
    actor.require(Action.AUDIT_READ)
    tree_size = _checked_size(session, size)
    if tree_size == 0:
        raise InvalidInput("审计日志还是空的，没有可以证明的记录。", field="leaf")
    if not 0 <= leaf_index < tree_size:
        raise InvalidInput(
            f"叶序号应在 0 到 {tree_size - 1} 之间（树大小 {tree_size}）。", field="leaf"
        )
    leaf, path, root = merkle.inclusion(fetcher(session), leaf_index, tree_size)
    return {
        "leaf_index": leaf_index,
        "tree_size": tree_size,
        "leaf_hash": leaf.hex(),
        "path": [h.hex() for h in path],
        "root": root.hex(),
    }


def consistency_proof(
    *, session: Session, actor: Actor, first: int, second: int
) -> dict[str, object]:
    actor.require(Action.AUDIT_READ)
    second = _checked_size(session, second)
    if not 0 <= first <= second:
        raise InvalidInput("起始大小不能大于结束大小，也不能为负数。", field="from")
    path, first_root, second_root = merkle.consistency(fetcher(session), first, second)
    return {
        "from": first,
        "to": second,
        "path": [h.hex() for h in path],
        "first_root": first_root.hex(),
        "second_root": second_root.hex(),
    }
