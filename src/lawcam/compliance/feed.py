"""What changed since the last sweep, read from the audit log: it is the office's change feed
(every change writes an entry in its transaction; ``seq`` is dense and in commit order, so the
entries after a seq are exactly the changes a sweep that read up to it has not seen). From the
entries, the subjects the rules look at; from the clock, the activities whose deadline or
explain-by moment fell since the last sweep (a time-based rule becomes due with no entry)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from lawcam.access.models import SampleItem
from lawcam.access.sample_types import SampleEvent
from lawcam.access.types import AccessEvent
from lawcam.activities.models import Activity, ActivityLink
from lawcam.activities.types import ActivityEvent
from lawcam.audit.models import AuditEvent
from lawcam.compliance.checks import Limits, chunks, within

LINK_TAGS = frozenset({str(ActivityEvent.LINKED), str(ActivityEvent.UNLINKED)})


@dataclass
class Touched:
    """The subjects named by the entries of a stretch of the log."""

    activity_ids: set[int] = field(default_factory=set)
    recording_ids: set[int] = field(default_factory=set)  # a recording's own facts changed
    linked_ids: set[int] = field(default_factory=set)  # recordings named by link entries
    person_ids: set[int] = field(default_factory=set)
    items: set[tuple[int, int]] = field(default_factory=set)  # (sample, recording) with a result

    def add(self, tag: str, subject: tuple[str, str], person_id: int | None, raw: Any) -> None:
        kind, sid = subject
        if kind == "activity":
            self.activity_ids.add(int(sid))
            if tag in LINK_TAGS:
                self.linked_ids.update(_named(raw(), "recording_id"))
        elif tag == AccessEvent.REFUSED:
            if person_id is not None:
                self.person_ids.add(person_id)
        elif kind == "recording" and tag.startswith("evidence:"):
            self.recording_ids.add(int(sid))
        elif tag == SampleEvent.RESULT:
            self.items.update((int(sid), rid) for rid in _named(raw(), "recording_id"))
        elif kind == "person":
            self.person_ids.add(int(sid))


def _named(sides: tuple[str | None, str | None], key: str) -> set[int]:
    found = set()
    for side in sides:
        value = json.loads(side).get(key) if side else None
        if isinstance(value, int):
            found.add(value)
    return found


def touched(session: Session, after: int, through: int) -> Touched:
    """The subjects of the entries ``after`` < seq ≤ ``through`` (the primary index's range)."""
    found = Touched()
    stmt = select(
        AuditEvent.tag, AuditEvent.subject_type, AuditEvent.subject_id,
        AuditEvent.actor_person_id, AuditEvent.before, AuditEvent.after,
    ).where(AuditEvent.seq > after, AuditEvent.seq <= through)  # fmt: skip
    for tag, kind, sid, person_id, before, after_ in session.execute(stmt):
        if not sid.isdigit():
            continue  # no rule looks at it (a finding's sweep, a setting)
        found.add(tag, (kind, sid), person_id, lambda b=before, a=after_: (b, a))
    return found


def due(session: Session, since: Limits, now: Limits) -> set[int]:
    """Activities whose upload deadline, or whose explain-by moment (``explain_days`` after
    the end), fell in [since.now, now.now): due now and not at the last sweep (the checks
    compare with ``<``). By indexed columns: ``no_recording`` (few rows), ``ended_at``."""
    deadline = select(Activity.id).where(
        Activity.no_recording.is_(True),
        Activity.upload_deadline >= since.now,
        Activity.upload_deadline < now.now,
    )
    explain = select(Activity.id).where(
        Activity.ended_at >= since.now - timedelta(days=since.explain_days),
        Activity.ended_at < now.now - timedelta(days=now.explain_days),
    )
    return set(session.scalars(union_all(deadline, explain)))


def restricted(session: Session, limits: Limits, found: Touched, due_ids: set[int]) -> Limits:
    """``limits`` restricted to every subject the changes reach: a recording's activities (its
    facts count in their coverage and lateness), an activity's recordings (their lateness),
    the people who tried to reach a changed recording (in or out of their scope), and the
    sample items of a result or of a changed recording."""
    own = found.recording_ids
    activity_ids = (
        found.activity_ids
        | due_ids
        | _column(session, ActivityLink.activity_id, ActivityLink.recording_id, own)
    )
    recording_ids = (
        own
        | found.linked_ids
        | _column(session, ActivityLink.recording_id, ActivityLink.activity_id, found.activity_ids)
    )
    return replace(
        limits,
        activity_ids=frozenset(activity_ids),
        recording_ids=frozenset(recording_ids),
        person_ids=frozenset(found.person_ids | _tried(session, own)),
        item_ids=frozenset(_items(session, found.items, own)),
    )


def _column(session: Session, wanted: Any, by: Any, ids: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunks(ids):
        found.update(session.scalars(within(select(wanted).distinct(), by, chunk)))
    return found


def _tried(session: Session, recording_ids: set[int]) -> set[int]:
    """Who was refused these recordings (by the entries' subject index)."""
    found: set[int] = set()
    for chunk in chunks(recording_ids):
        stmt = select(AuditEvent.actor_person_id).where(
            AuditEvent.subject_type == "recording",
            AuditEvent.subject_id.in_([str(i) for i in chunk or []]),
            AuditEvent.tag == str(AccessEvent.REFUSED),
            AuditEvent.actor_person_id.is_not(None),
        )
        found.update(int(p or 0) for p in session.scalars(stmt))
    return found


def _items(session: Session, pairs: set[tuple[int, int]], recording_ids: set[int]) -> set[int]:
    found = _column(session, SampleItem.id, SampleItem.recording_id, recording_ids)
    for sample_id in {s for s, _ in pairs}:
        stmt = select(SampleItem.id).where(
            SampleItem.sample_id == sample_id,
            SampleItem.recording_id.in_([r for s, r in pairs if s == sample_id]),
        )
        found.update(session.scalars(stmt))
    return found
