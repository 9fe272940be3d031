"""``lawcam verify --log``: the audit log recomputed from its rows and compared with what was
signed. Small ``_check_*`` steps feed one collector of problems; each problem names what was
found so that it can become a finding (Art. 18 (4)(5))."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from lawcam.audit import merkle
from lawcam.audit.log import NODES, fetcher
from lawcam.audit.models import AuditEvent, MerkleNode, SigningKey, TreeHead
from lawcam.audit.signing import head_message, key_id, signature_valid
from lawcam.audit.types import KeyEvent

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

    named: set[tuple[str, str]] = field(default_factory=set)

    def add(self, kind: str, subject: str, detail: str) -> None:
        self.problems.append(IntegrityProblem(kind, subject, detail))
        self.named.add((kind, subject))

    def add_once(self, kind: str, subject: str, detail: str) -> None:
        """For what two checks may both find (a frontier node is also an interior node)."""
        if (kind, subject) not in self.named:
            self.add(kind, subject, detail)


@dataclass
class _Replay:
    """The tree rebuilt leaf by leaf from the rows, with its root at every signed size."""

    frontier: list[tuple[int, bytes]] = field(default_factory=list)
    roots: dict[int, bytes] = field(default_factory=dict)
    size: int = 0


@dataclass
class _Nodes:
    """The stored tree replayed from its own leaves, by seq: every interior node recomputed
    from the stored children below it (a row's own leaf where its stored leaf is gone). An
    altered row is named once, by its leaf; an altered interior node once, by itself."""

    frontier: list[tuple[int, bytes]] = field(default_factory=list)
    size: int = 0
    found: int = 0  # stored nodes read and accounted for
    broken: bool = False  # a row and its leaf both gone: nothing above them can be recomputed
    shadow: bool = True  # so far the rows' own replay has been this one (no need to repeat it)


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


def _node_subject(key: merkle.NodeKey) -> str:
    return f"audit_tree:{key[0]}/{key[1]}"


def _stored_nodes(session: Session, keys: list[int]) -> dict[int, tuple[int, int, bytes]]:
    """Stored nodes by key, with the level and index beside them, IN-lists of at most 1000."""
    found: dict[int, tuple[int, int, bytes]] = {}
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        stmt = select(NODES.c.key, NODES.c.level, NODES.c.idx, NODES.c.hash)
        rows = session.connection().execute(stmt.where(NODES.c.key.in_(chunk)))
        for key, level, idx, value in rows:
            found[int(key)] = (int(level), int(idx), bytes.fromhex(value))
    return found


def _replay_nodes(
    nodes: _Nodes, leaves: dict[int, bytes], row_leaves: dict[int, bytes], last: int
) -> dict[int, tuple[merkle.NodeKey, bytes]]:
    """Appends leaves up to ``last`` (a deleted row's stored leaf fills its gap) and returns
    the interior nodes they complete, by key."""
    computed: dict[int, tuple[merkle.NodeKey, bytes]] = {}
    while not nodes.broken and nodes.size <= last:
        leaf = leaves.get(nodes.size) or row_leaves.get(nodes.size)
        if leaf is None:
            nodes.broken = True
            break
        nodes.found += nodes.size in leaves
        for key, value in merkle.append_leaf(nodes.frontier, nodes.size, leaf)[1:]:
            computed[MerkleNode.key_of(*key)] = (key, value)
        nodes.size += 1
    return computed


def _follows(nodes: _Nodes, replay: _Replay, seq: int, stored: bytes | None, leaf: bytes) -> bool:
    """While rows and stored leaves agree, the rows' replay is the stored tree's and its nodes
    are taken as they are; from the first disagreement (a gap, an edited row) the stored tree
    is replayed on its own, from the same frontier."""
    if not nodes.shadow:
        return False
    if seq == nodes.size == replay.size and stored in (None, leaf):
        return True
    nodes.shadow, nodes.frontier = False, list(replay.frontier)
    return False


def _check_nodes(
    session: Session,
    found: Collector,
    nodes: _Nodes,
    leaves: dict[int, bytes],
    row_leaves: dict[int, bytes],
    computed: dict[int, tuple[merkle.NodeKey, bytes]],
) -> None:
    """Every interior node the batch's leaves complete, recomputed and compared: missing,
    altered, or filed under a key its level and index do not give."""
    computed.update(_replay_nodes(nodes, leaves, row_leaves, max(row_leaves)))
    stored = _stored_nodes(session, list(computed))
    for number, (key, value) in computed.items():
        got = stored.get(number)
        if got is None:
            found.add("audit_tree_node_missing", _node_subject(key), "no stored subtree hash")
            continue
        nodes.found += 1
        if got[2] != value:
            found.add_once(
                "audit_tree_node_altered", _node_subject(key), "stored subtree hash differs"
            )
        if got[:2] != key:
            _misfiled(found, number, got[0], got[1])


def _misfiled(found: Collector, key: int, level: int, idx: int) -> None:
    found.add_once(
        "audit_tree_node_extra",
        f"audit_tree_key:{key}",
        f"its key is not (idx << 6) | level for level {level}, index {idx}",
    )


def _check_extra_nodes(session: Session, found: Collector, nodes: _Nodes) -> None:
    """Stored nodes the tree does not have: beyond its size (a truncated tail's) or under a
    key that is not their own. Scanned only when the count says some are there."""
    if nodes.broken:
        return
    total = session.connection().execute(select(func.count()).select_from(NODES)).scalar_one()
    if int(total) == nodes.found:
        return
    stmt = select(NODES.c.key, NODES.c.level, NODES.c.idx).execution_options(yield_per=BATCH)
    for key, level, idx in session.connection().execute(stmt):
        key, level, idx = int(key), int(level), int(idx)
        if (key & 63, key >> 6) != (level, idx):
            _misfiled(found, key, level, idx)
        elif (idx + 1) << level > nodes.size:
            found.add(
                "audit_tree_node_extra",
                _node_subject((level, idx)),
                f"beyond the tree: the log holds {nodes.size} entries",
            )


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
    session: Session,
    found: Collector,
    sizes: set[int],
    on_event: Callable[[int], None] | None,
    nodes: _Nodes,
) -> _Replay:
    replay = _Replay(roots={0: merkle.EMPTY_ROOT})
    expected = 0
    for batch in _batches(session):
        seqs = [int(row.seq) for row in batch]
        first = min(min(seqs), nodes.size)  # from the first leaf not yet replayed (gaps too)
        stored = _stored_leaves(session, first, max(seqs) - first + 1)
        row_leaves: dict[int, bytes] = {}
        computed: dict[int, tuple[merkle.NodeKey, bytes]] = {}
        for row in batch:
            seq = int(row.seq)
            expected = _check_place(found, expected, seq)
            leaf = _check_row(found, row, stored.get(seq))
            row_leaves.setdefault(seq, leaf)
            shared = _follows(nodes, replay, seq, stored.get(seq), leaf)
            new = merkle.append_leaf(replay.frontier, replay.size, leaf)
            if shared:
                nodes.size, nodes.found = nodes.size + 1, nodes.found + (seq in stored)
                computed.update((MerkleNode.key_of(*key), (key, h)) for key, h in new[1:])
            replay.size += 1
            if replay.size in sizes:
                replay.roots[replay.size] = merkle.compact_root([h for _, h in replay.frontier])
        _check_nodes(session, found, nodes, stored, row_leaves, computed)
        found.events_checked += len(batch)
        if on_event:
            on_event(len(batch))
    return replay


def _check_signature(
    head: TreeHead, public_key: bytes, found: Collector, keys: dict[str, SigningKey]
) -> None:
    """Signed by this home's key or by a registered one (another node's, a rotated one); a
    retired key signs nothing that covers its retirement (issue 19)."""
    message = head_message(head.size, head.root, head.timestamp)
    row = keys.get(head.key_id)
    if head.key_id == key_id(public_key):
        key: bytes | None = public_key
    else:
        key = bytes.fromhex(row.public_key) if row is not None else None
    if key is None or not signature_valid(key, message, bytes.fromhex(head.signature)):
        found.add(
            "tree_head_bad_signature",
            f"tree_head:{head.id}",
            f"size {head.size}: not signed by this home's key nor by a registered one",
        )
    elif row is not None and row.retired_seq is not None and head.size > row.retired_seq:
        found.add(
            "tree_head_key_retired",
            f"tree_head:{head.id}",
            f"size {head.size}: signed by key {head.key_id}, retired at entry {row.retired_seq}",
        )


def checked_registry(session: Session, found: Collector) -> dict[str, SigningKey]:
    """The registry, each row against the audit entries that registered and retired it (none
    in a database older than the registry: a log verified at the revision it was left at)."""
    if not inspect(session.connection()).has_table(SigningKey.__tablename__):
        return {}
    rows = {row.key_id: row for row in session.scalars(select(SigningKey))}
    entries = session.scalars(
        select(AuditEvent).where(AuditEvent.tag.in_([str(e) for e in KeyEvent]))
    ).all()
    registered = {e.subject_id: e for e in entries if e.tag == KeyEvent.REGISTERED}
    retired = {e.subject_id: e for e in entries if e.tag == KeyEvent.RETIRED}
    for kid, row in rows.items():
        _check_key_row(found, row, registered.get(kid), retired.get(kid))
    for kid in registered.keys() - rows.keys():  # unregistering is no way to hide a key
        found.add("signing_key_row_missing", f"signing_key:{kid}", "registered, the row is gone")
    return rows


def _check_key_row(
    found: Collector, row: SigningKey, registered: AuditEvent | None, retired: AuditEvent | None
) -> None:
    subject = f"signing_key:{row.key_id}"
    said = {"public_key": row.public_key, "node": row.node}
    if registered is None or registered.seq != row.registered_seq or not _says(registered, said):
        found.add("signing_key_not_audited", subject, "the row is not what its entry registered")
    elif key_id(bytes.fromhex(row.public_key)) != row.key_id:
        found.add("signing_key_not_audited", subject, "the key id is not its public key's")
    if (retired.seq if retired is not None else None) != row.retired_seq:
        found.add("signing_key_retirement_altered", subject, "retirement differs from the log")


def _says(entry: AuditEvent, said: dict[str, str]) -> bool:
    return bool(entry.after) and json.loads(entry.after or "{}") == said


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
            found.add_once(
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
    nodes = _Nodes()
    replay = _check_rows(session, found, sizes, on_event, nodes)
    _check_extra_nodes(session, found, nodes)
    _check_frontier(session, replay, found)
    _check_anchors(anchors, replay, found)
    keys = checked_registry(session, found)
    previous: TreeHead | None = None
    for head in heads:
        _check_signature(head, public_key, found, keys)
        _check_root(head, replay, found)
        if previous is not None:
            _check_consistency(session, previous, head, found)
        previous = head
