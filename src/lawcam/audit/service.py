"""``record``: the one seam every change goes through."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import groupby
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from lawcam.audit import log
from lawcam.audit.models import AuditEvent
from lawcam.audit.types import TAG_PATTERN
from lawcam.authz import Actor
from lawcam.timeutil import utcnow

# Any constant works; it only has to be the same for every writer of the audit log.
_PG_AUDIT_LOCK = 0x6C617763616D  # "lawcam"
_SEQ_KEY = "lawcam.audit.next_seq"
_DEFERRED_KEY = "lawcam.audit.deferred"  # entries kept by ``deferred``
# Set on a session that wrote an entry: a command that wrote one signs a tree head at its end.
AUDITED = "lawcam.audit.recorded"


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same object always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class Entry:
    """One change to record with ``record_many``: what ``record`` takes after the actor."""

    tag: StrEnum | str
    subject: tuple[str, object]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def record(
    session: Session,
    actor: Actor,
    tag: StrEnum | str,
    subject: tuple[str, object],
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row in the caller's transaction. It commits with the change or not at all.
    Inside ``deferred`` the entry is kept and written at the block's end: the event returned
    then has no number yet (seq -1) and is not the row that will be stored."""
    wanted = Entry(tag, subject, before, after)
    _check(wanted)
    pending = session.info.get(_DEFERRED_KEY)
    if pending is not None:  # a copy: what the caller changes later is not what it recorded
        pending.append((actor, Entry(tag, subject, deepcopy(before), deepcopy(after))))
        return _event(actor, -1, utcnow(), wanted)
    event = _event(actor, _next_seq(session), utcnow(), wanted)
    session.add(event)
    session.flush()
    log.append(session, event.seq, event.entry)
    session.info[AUDITED] = True
    return event


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """Inside the block, ``record`` keeps each entry; at its end they are written, in order, with
    ``record_many``. A bulk write (an import of 100,000 rows) then takes the log's lock — held
    until its commit, and on PostgreSQL across every app node — for its last step only, not its
    whole length (issue 19). The entries are the ones ``record`` would have written, numbered when
    written; an error inside the block writes none (the caller's transaction is rolled back)."""
    pending: list[tuple[Actor, Entry]] = []
    session.info[_DEFERRED_KEY] = pending
    try:
        yield
    finally:
        session.info.pop(_DEFERRED_KEY, None)
    for _, run in groupby(pending, key=lambda kept: id(kept[0])):  # one actor's entries at a time
        kept = list(run)
        record_many(session, kept[0][0], [entry for _, entry in kept])


def record_many(session: Session, actor: Actor, entries: Sequence[Entry]) -> list[AuditEvent]:
    """Rows ``record`` would write for each entry in turn (consecutive seqs, the same canonical
    JSON), in one INSERT and one INSERT of their Merkle nodes: a sweep storing ten findings
    makes two round trips instead of twenty. Same transaction rules as ``record``."""
    for wanted in entries:
        _check(wanted)
    if not entries:
        return []
    # One lock and one max(seq) for the lot: _next_seq takes the log's write lock (held to
    # commit), so the numbers after the first are this transaction's to count on.
    first = _next_seq(session, len(entries))
    occurred_at = utcnow()
    events = [_event(actor, first + i, occurred_at, e) for i, e in enumerate(entries)]
    session.add_all(events)
    session.flush()
    log.append_many(session, first, [event.entry for event in events])
    session.info[AUDITED] = True
    return events


def _check(wanted: Entry) -> None:
    if not TAG_PATTERN.match(str(wanted.tag)):
        raise ValueError(f"audit tag must be domain:subject:action, got {str(wanted.tag)!r}")


def _event(actor: Actor, seq: int, occurred_at: datetime, wanted: Entry) -> AuditEvent:
    """The row and its canonical entry (the bytes leaf ``seq`` of the Merkle tree covers)."""
    tag, before, after = str(wanted.tag), wanted.before, wanted.after
    subject_type, subject_id = wanted.subject[0], str(wanted.subject[1])
    entry = {
        "seq": seq,
        "time": occurred_at.isoformat(),
        "tag": tag,
        "actor": {
            "label": actor.label,
            "source": actor.source,
            "account_id": actor.account_id,
            "person_id": actor.person_id,
        },
        "subject": {"type": subject_type, "id": subject_id},
        "before": before,
        "after": after,
    }
    return AuditEvent(
        seq=seq,
        occurred_at=occurred_at,
        tag=tag,
        actor_label=actor.label,
        actor_source=actor.source,
        actor_account_id=actor.account_id,
        actor_person_id=actor.person_id,
        subject_type=subject_type,
        subject_id=subject_id,
        before=None if before is None else canonical_json(before),
        after=None if after is None else canonical_json(after),
        entry=canonical_json(entry),
    )


def _next_seq(session: Session, count: int = 1) -> int:
    """Dense sequence in commit order: writers of the log take one lock until they commit
    (PostgreSQL advisory lock; SQLite allows one writer at a time anyway). Within a transaction
    the lock is already held, so the next number is counted on, not asked for again: a bulk
    import of 100,000 rows saves two round trips a row. ``count`` numbers are taken; the first
    is returned."""
    transaction = log.current_transaction(session)
    cached = session.info.get(_SEQ_KEY)
    if cached is not None and cached[0] is transaction:
        seq = int(cached[1])
    else:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK})
        else:
            # SQLite's driver begins the transaction only at the first write: take the write
            # lock now (a write that touches no row), so no other writer reads the same max.
            session.execute(text("UPDATE audit_event SET seq = seq WHERE 0 = 1"))
        current = session.execute(select(func.max(AuditEvent.seq))).scalar_one()
        seq = 0 if current is None else int(current) + 1
    session.info[_SEQ_KEY] = (transaction, seq + count)
    return seq
