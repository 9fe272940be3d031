"""``lawcam verify --log``: the audit log recomputed from its rows and compared with what was
signed. Small ``_check_*`` steps feed one collector of problems; each problem names what was
found so that it can become a finding (Art. 18 (4)(5))."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit import merkle
from lawcam.audit.log import fetcher
from lawcam.audit.models import AuditEvent, MerkleNode, TreeHead
from lawcam.audit.signing import head_message, key_id, signature_valid

BATCH = 5000


@dataclass(frozen=True)
class IntegrityProblem:
    kind: str
    subject: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "subject": self.subject, "detail": self.detail}


@dataclass
class Collector:
    problems: list[IntegrityProblem] = field(default_factory=list)
    events_checked: int = 0
    objects_checked: int = 0
    bytes_checked: int = 0

    def add(self, kind: str, subject: str, detail: str) -> None:
        self.problems.append(IntegrityProblem(kind, subject, detail))


@dataclass
class _Replay:
    """The tree rebuilt leaf by leaf from the rows, with its root at every signed size."""

    frontier: list[tuple[int, bytes]] = field(default_factory=list)
    roots: dict[int, bytes] = field(default_factory=dict)
    size: int = 0


_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.entry,
    AuditEvent.occurred_at,
    AuditEvent.tag,
    AuditEvent.actor_label,
    AuditEvent.actor_source,
    AuditEvent.actor_account_id,
    AuditEvent.actor_person_id,
    AuditEvent.subject_type,
    AuditEvent.subject_id,
    AuditEvent.before,
    AuditEvent.after,
)


def _batches(session: Session) -> Iterator[list[Any]]:
    stmt = select(*_COLUMNS).order_by(AuditEvent.seq, AuditEvent.id)
    rows = iter(session.execute(stmt.execution_options(yield_per=BATCH)))
    while batch := list(islice(rows, BATCH)):
        yield batch


def _stored_leaves(session: Session, first: int, count: int) -> dict[int, bytes]:
    # By primary key range (key = idx << 6 | level): a scan of level and idx has no index.
    stmt = select(MerkleNode.idx, MerkleNode.hash).where(
        MerkleNode.key >= MerkleNode.key_of(0, first),
        MerkleNode.key < MerkleNode.key_of(0, first + count),
        MerkleNode.level == 0,
    )
    return {int(i): bytes.fromhex(h) for i, h in session.execute(stmt)}


def _parsed(entry: str) -> dict[str, Any]:
    try:
        value = json.loads(entry)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _side(text: str | None) -> object:
    return None if text is None else json.loads(text)


def _columns_differ(row: Any, entry: dict[str, Any]) -> list[str]:
    """The columns that pages and lists show, against the hashed entry they were copied from."""
    actor, subject = entry.get("actor") or {}, entry.get("subject") or {}
    expected = {
        "time": row.occurred_at.isoformat(),
        "tag": row.tag,
        "actor": [row.actor_label, row.actor_source, row.actor_account_id, row.actor_person_id],
        "subject": [row.subject_type, row.subject_id],
        "before": _side(row.before),
        "after": _side(row.after),
    }
    recorded = {
        "time": entry.get("time"),
        "tag": entry.get("tag"),
        "actor": [actor.get(k) for k in ("label", "source", "account_id", "person_id")],
        "subject": [subject.get("type"), subject.get("id")],
        "before": entry.get("before"),
        "after": entry.get("after"),
    }
    return [key for key in expected if expected[key] != recorded[key]]


def _check_row(found: Collector, row: Any, stored: bytes | None) -> bytes:
    """One row: its entry naming its own seq (rows swapped or moved), its leaf as stored when
    it was written (an edited entry), its visible columns as in its entry."""
    seq, entry = int(row.seq), str(row.entry)
    parsed = _parsed(entry)
    if parsed.get("seq") != seq:
        found.add(
            "audit_row_moved",
            f"audit:{seq}",
            f"the row's signed entry says seq {parsed.get('seq')}",
        )
    leaf = merkle.leaf_hash(entry.encode("utf-8"))
    if stored is None:
        found.add("audit_leaf_missing", f"audit:{seq}", "no stored leaf hash")
    elif stored != leaf:
        found.add(
            "audit_row_altered",
            f"audit:{seq}",
            "the row's canonical JSON no longer hashes to the leaf recorded when it was written",
        )
    differ = _columns_differ(row, parsed)
    if differ and parsed:
        found.add(
            "audit_row_columns_altered",
            f"audit:{seq}",
            "shown columns differ from the hashed entry: " + ", ".join(differ),
        )
    return leaf


def _check_place(found: Collector, expected: int, seq: int) -> int:
    """Seq dense from 0: a gap names the missing rows once, a repeat names the extra row."""
    if seq > expected:
        missing = f"{expected}" if seq == expected + 1 else f"{expected}–{seq - 1}"
        for gone in range(expected, seq):
            found.add("audit_row_missing", f"audit:{gone}", f"rows {missing} are gone")
    elif seq < expected:
        found.add("audit_row_inserted", f"audit:{seq}", f"a second row with seq {seq}")
        return expected
    return seq + 1


def _check_rows(
    session: Session, found: Collector, sizes: set[int], on_event: Callable[[int], None] | None
) -> _Replay:
    replay = _Replay(roots={0: merkle.EMPTY_ROOT})
    expected = 0
    for batch in _batches(session):
        seqs = [int(row.seq) for row in batch]
        stored = _stored_leaves(session, min(seqs), max(seqs) - min(seqs) + 1)
        for row in batch:
            expected = _check_place(found, expected, int(row.seq))
            leaf = _check_row(found, row, stored.get(int(row.seq)))
            merkle.append_leaf(replay.frontier, replay.size, leaf)
            replay.size += 1
            if replay.size in sizes:
                replay.roots[replay.size] = merkle.compact_root([h for _, h in replay.frontier])
        found.events_checked += len(batch)
        if on_event:
            on_event(len(batch))
    return replay


def _check_signature(head: TreeHead, public_key: bytes, found: Collector) -> None:
    message = head_message(head.size, head.root, head.timestamp)
    signed = head.key_id == key_id(public_key) and signature_valid(
        public_key, message, bytes.fromhex(head.signature)
    )
    if not signed:
        found.add(
            "tree_head_bad_signature",
            f"tree_head:{head.id}",
            f"size {head.size}: not signed by this home's key",
        )


def _check_root(head: TreeHead, replay: _Replay, found: Collector) -> None:
    subject = f"tree_head:{head.id}"
    if head.size > replay.size:
        detail = f"a head signed {head.size} entries; the log now holds {replay.size}"
        found.add("audit_log_truncated", subject, detail)
    elif replay.roots.get(head.size) != bytes.fromhex(head.root):
        detail = f"size {head.size}: the rows no longer give the signed root {head.root}"
        found.add("tree_head_root_mismatch", subject, detail)


def _check_consistency(
    session: Session, previous: TreeHead, head: TreeHead, found: Collector
) -> None:
    """RFC 9162 consistency between two signed heads, with the proof the log itself serves
    (as a remote auditor would check it)."""
    try:
        path = merkle.consistency_path(fetcher(session), previous.size, head.size)
        merkle.verify_consistency(
            previous.size,
            head.size,
            bytes.fromhex(previous.root),
            bytes.fromhex(head.root),
            path,
        )
    except (merkle.ProofError, LookupError) as exc:
        found.add(
            "tree_head_inconsistent",
            f"tree_head:{head.id}",
            f"size {head.size} does not extend the head of size {previous.size}: {exc}",
        )


def _check_frontier(session: Session, replay: _Replay, found: Collector) -> None:
    """The stored subtrees that the next head will be built from equal the rebuilt ones."""
    keys = merkle.frontier_keys(replay.size)
    try:
        stored = fetcher(session)(keys)
    except LookupError as exc:
        found.add("audit_tree_node_missing", "audit_tree", str(exc))
        return
    for key, (_, rebuilt) in zip(keys, replay.frontier, strict=True):
        if stored[key] != rebuilt:
            found.add(
                "audit_tree_node_altered",
                f"audit_tree:{key[0]}/{key[1]}",
                "stored subtree hash differs",
            )


def _check_anchors(anchors: dict[int, bytes], replay: _Replay, found: Collector) -> None:
    """Roots kept outside the database (the paper anchor, an auditor's copy): a rewrite of the
    whole database, heads and key file included, cannot give them back."""
    for size, root in sorted(anchors.items()):
        if size > replay.size:
            found.add("anchor_beyond_log", f"anchor:{size}", f"the log now holds {replay.size}")
        elif replay.roots.get(size) != root:
            found.add(
                "anchor_mismatch",
                f"anchor:{size}",
                f"the rows give {replay.roots.get(size, b'').hex()}, the anchor says {root.hex()}",
            )


def check_log(
    *,
    session: Session,
    public_key: bytes,
    found: Collector,
    on_event: Callable[[int], None] | None = None,
    anchors: dict[int, bytes] | None = None,
) -> None:
    anchors = anchors or {}
    heads = list(session.scalars(select(TreeHead).order_by(TreeHead.id)))
    sizes = {head.size for head in heads} | set(anchors)
    replay = _check_rows(session, found, sizes, on_event)
    _check_frontier(session, replay, found)
    _check_anchors(anchors, replay, found)
    previous: TreeHead | None = None
    for head in heads:
        _check_signature(head, public_key, found)
        _check_root(head, replay, found)
        if previous is not None:
            _check_consistency(session, previous, head, found)
        previous = head
