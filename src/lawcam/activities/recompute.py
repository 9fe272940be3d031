"""Coverage kept current (第十条、第十四条): an activity's coverage, interruptions, upload
deadline and late links recomputed from its linked recordings and stored, with an audit entry
when anything changed. ``recompute`` does one activity after a change of a link or of the
activity; ``recompute_all`` does every one (a changed tolerance or policy, a nightly check)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lawcam.activities import queries
from lawcam.activities.coverage import Coverage, Gap, coverage
from lawcam.activities.models import Activity, ActivityLink, Interruption
from lawcam.activities.queries import Facts, StoredBatch
from lawcam.activities.types import ActivityEvent, CoveragePolicy, Span
from lawcam.audit.service import record
from lawcam.authz import Actor
from lawcam.config import Settings


def deadline(ended_at: datetime, settings: Settings) -> datetime:
    """第十四条: within 24 hours of the end of the duty (the activity), not of each file."""
    return ended_at + timedelta(hours=settings.upload_deadline_hours)


def tolerance(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.activity_tolerance_s)


def recompute(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    activity: Activity,
    known: dict[int, Facts] | None = None,
) -> None:
    """Coverage, interruptions, the deadline and each link's lateness from the linked
    recordings; stored, and audited when anything changed. ``known``: facts the caller has
    already read (relinking has its candidates); the other linked recordings' are read."""
    links = queries.links_of(session, activity.id)
    facts = dict(known or {})
    facts.update(
        queries.facts_of(session, (k.recording_id for k in links if k.recording_id not in facts))
    )
    rows = queries.interruptions_of(session, activity.id, current=False)
    _store(session, actor, settings, activity, links, facts, rows)


def recompute_all(
    *, session: Session, actor: Actor, settings: Settings, batch: int = 10_000
) -> int:
    """Every activity's stored coverage recomputed as ``recompute`` does, a batch at a time.
    Most are current, so a batch is read by column in a few queries and checked with the same
    rules; only the activities whose stored values differ are loaded and updated (and audited)
    as one change is. The number changed. Large batches: PostgreSQL joins a batch's links to
    the recordings by scanning them all, once a batch (about 50 MB of facts per batch)."""
    changed, after = 0, 0
    while stored := queries.stored_after(session, after, batch):
        stale = [
            row.id for row in stored.activities if not _current(session, settings, row, stored)
        ]
        changed += _restore(session, actor, settings, stale, stored.facts)
        after = stored.activities[-1].id
    return changed


def _current(session: Session, settings: Settings, row: Any, stored: StoredBatch) -> bool:
    """Whether ``_store`` would change nothing for this activity (read by column): the same
    coverage, interruptions, deadline, late links and unexplained count as stored."""
    links, facts = stored.links.get(row.id, []), stored.facts
    due = deadline(row.ended_at, settings)
    late = [_late(facts.get(rid), due) for rid, _ in links]
    span, officers = Span(row.arrived_at, row.ended_at), stored.officers.get(row.id, [])
    counted = [facts[rid] for rid, _ in links if rid in facts]
    result = _coverage(session, span, officers, settings, counted)
    kept = stored.interruptions.get(row.id, [])
    derived = (
        round(result.fraction, 6),
        result.no_recording,
        due,
        sum(late),
        sum(1 for r in kept if r.explanation is None),
    )
    return (
        late == [was for _, was in links]
        and {_row_key(r) for r in kept} == {_gap_key(g) for g in result.gaps}
        and (row.coverage, row.no_recording, row.upload_deadline, row.late_uploads, row.unexplained)
        == derived
    )


def _restore(
    session: Session, actor: Actor, settings: Settings, ids: list[int], facts: dict[int, Facts]
) -> int:
    """The activities whose stored values differ, loaded and updated as by ``recompute``."""
    if not ids:
        return 0
    links = queries.links_of_many(session, ids)
    rows = queries.interruptions_of_many(session, ids)
    return sum(
        _store(
            session, actor, settings, activity, links.get(activity.id, []), facts, rows[activity.id]
        )
        for activity in queries.activities_by_id(session, ids)
    )


def _store(
    session: Session,
    actor: Actor,
    settings: Settings,
    activity: Activity,
    links: list[ActivityLink],
    facts: dict[int, Facts],
    rows: list[Interruption],
) -> bool:
    """The recomputation from what was read: ``rows`` are all the activity's interruptions
    (current or not, so that a new one gets the next number). True when anything changed."""
    counted = [facts[link.recording_id] for link in links if link.recording_id in facts]
    span = Span(activity.arrived_at, activity.ended_at)
    result = _coverage(session, span, activity.officer_ids, settings, counted)
    before = _derived(activity)
    late = _mark_late(links, facts, deadline(activity.ended_at, settings))
    added, dropped = _sync_interruptions(session, activity, result.gaps, rows)
    _assign(
        activity,
        coverage=round(result.fraction, 6),
        no_recording=result.no_recording,
        upload_deadline=deadline(activity.ended_at, settings),
        late_uploads=len(late),
        unexplained=sum(1 for r in rows if r.current and r.explanation is None),
    )
    after = _derived(activity)
    if before != after or added or dropped:
        changes = {**after, "late_recordings": late, "new": added, "superseded": dropped}
        record(session, actor, ActivityEvent.COVERAGE, ("activity", activity.id), before, changes)
        return True
    return False


def _assign(row: object, **values: object) -> None:
    """Only the values that differ are set: an unchanged row is not made dirty."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _derived(activity: Activity) -> dict[str, object]:
    return {
        "coverage": activity.coverage,
        "no_recording": activity.no_recording,
        "unexplained": activity.unexplained,
        "late_uploads": activity.late_uploads,
        "upload_deadline": activity.upload_deadline.isoformat(),
    }


def _coverage(
    session: Session, span: Span, officers: list[int], settings: Settings, facts: list[Facts]
) -> Coverage:
    by_officer: dict[int, list[Span]] = {}
    for fact in facts:
        if fact.counts:
            by_officer.setdefault(_whose(session, fact, officers), []).append(fact.span)
    policy = CoveragePolicy(settings.activity_policy)
    return coverage(span, by_officer, officers, policy, tolerance(settings))


def _whose(session: Session, fact: Facts, officers: list[int]) -> int:
    """0 (anyone's) for a recording attached by hand that names none of the officers."""
    return queries.counted_for(session, fact, officers) or 0


def _late(fact: Facts | None, due: datetime) -> bool:
    """第十四条: a recording is late when the workstation received it after the deadline."""
    return fact is not None and fact.docked_at > due


def _mark_late(links: list[ActivityLink], facts: dict[int, Facts], due: datetime) -> list[int]:
    for link in links:
        _assign(link, late=_late(facts.get(link.recording_id), due))
    return [link.recording_id for link in links if link.late]


def _gap_key(gap: Gap) -> tuple[Any, ...]:
    """What makes a stored interruption (``_row_key``) the same as a computed one."""
    return (gap.kind, gap.officer_id, gap.span.start, gap.span.end)


def _row_key(row: Any) -> tuple[Any, ...]:  # an Interruption or a row of its columns
    return (row.kind, row.officer_id, row.start_at, row.end_at)


def _sync_interruptions(
    session: Session, activity: Activity, gaps: Sequence[Gap], rows: list[Interruption]
) -> tuple[list[dict[str, object]], list[int]]:
    """The stored interruptions (``rows``, all of them) made to match the computed ones: an
    unchanged one keeps its number and its explanation; one that no longer exists stays, marked
    not current. New ones are appended to ``rows``."""
    wanted = {_gap_key(g): g for g in gaps}
    kept = set()
    dropped = []
    for row in (r for r in rows if r.current):
        key = _row_key(row)
        if key in wanted:
            kept.add(key)
        else:
            row.current = False
            dropped.append(row.seq)
    added = []
    for key, gap in wanted.items():
        if key not in kept:
            rows.append(
                _add_interruption(session, activity, gap, max((r.seq for r in rows), default=0) + 1)
            )
            added.append(rows[-1].snapshot())
    if dropped:
        session.flush()
    return added, dropped


def _add_interruption(session: Session, activity: Activity, gap: Gap, seq: int) -> Interruption:
    row = Interruption(
        activity_id=activity.id,
        seq=seq,
        kind=str(gap.kind),
        officer_id=gap.officer_id,
        start_at=gap.span.start,
        end_at=gap.span.end,
        current=True,
        text="",
        explained_by="",
        confirmed_by="",
    )
    session.add(row)
    session.flush()
    return row
