"""Reads of recordings, with permission inside the query: an officer sees the recordings made
while a device was in their custody, a unit's administrator and head see their unit's, the
console sees all; nobody else sees any (三员 never see evidence)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.orm import Session, selectinload

from lawcam import keyset
from lawcam.authz import Action, Actor, Role
from lawcam.custody.models import CustodyPeriod
from lawcam.db.base import UTCDateTime
from lawcam.errors import NotFound
from lawcam.evidence.models import Correction, IngestRun, Recording, Sighting, ViewingCopy
from lawcam.keyset import COUNT_CAP, Count, Cursor
from lawcam.org.queries import unit_scope
from lawcam.timeutil import SHANGHAI

UNIT_WIDE = frozenset({Role.DEVICE_ADMIN, Role.UNIT_HEAD})
Ts = TypeVarTuple("Ts")


def permitted(
    session: Session, stmt: Select[Recording], actor: Actor, action: Action
) -> Select[Recording]:
    if not actor.can(action):
        return stmt.where(false())
    return stmt.where(recording_visible(session, actor))


def recording_visible(session: Session, actor: Actor) -> ColumnElement[bool]:
    """The condition on ``Recording`` that ``permitted`` applies, for queries that
    must count a recording the actor may not open (the ledger's 记录内容)."""
    scope = _scope(session, actor)
    if scope is None:
        return true()
    units, officer_id = scope
    allowed: list[ColumnElement[bool]] = []
    if units:
        allowed.append(Recording.unit_id.in_(units))
    if officer_id is not None:
        allowed.append(Recording.officer_id == officer_id)
    return or_(*allowed) if allowed else false()


def _scope(session: Session, actor: Actor) -> tuple[list[int], int | None] | None:
    """Whose recordings the actor sees: the units' (unit-wide roles) and the officer's own;
    None for all of them (the console). The one statement of the rule, which
    ``recording_visible`` and the list's index branches each put in their own shape."""
    if actor.console and actor.can(Action.RECORDING_VIEW):
        return None
    units: list[int] = []
    officer_id = None
    if actor.can(Action.RECORDING_VIEW):
        if actor.roles & UNIT_WIDE and actor.unit_id is not None:
            units = sorted(unit_scope(session, actor.unit_id))
        if Role.OFFICER in actor.roles and actor.person_id is not None:
            officer_id = actor.person_id
    return units, officer_id


@dataclass(frozen=True)
class RecordingFilter:
    unit_id: int | None = None
    officer_id: int | None = None
    device_id: int | None = None
    date_from: date | None = None  # Shanghai days, inclusive
    date_to: date | None = None
    flagged: bool | None = None
    late: bool | None = None


def _filtered(stmt: Select[*Ts], where: RecordingFilter) -> Select[*Ts]:
    if where.unit_id is not None:
        stmt = stmt.where(Recording.unit_id == where.unit_id)
    if where.officer_id is not None:
        stmt = stmt.where(Recording.officer_id == where.officer_id)
    if where.device_id is not None:
        stmt = stmt.where(Recording.device_id == where.device_id)
    if where.date_from is not None:
        stmt = stmt.where(Recording.start_at >= _day_start(where.date_from))
    if where.date_to is not None:
        stmt = stmt.where(Recording.start_at < _day_start(where.date_to + timedelta(days=1)))
    if where.flagged is not None:
        stmt = stmt.where(Recording.flagged.is_(where.flagged))
    if where.late is not None:
        stmt = stmt.where(Recording.uploaded_late.is_(where.late))
    return stmt


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), SHANGHAI)


@dataclass(frozen=True)
class RecordingsPage:
    """A page of recordings, newest first, and the cursors of its neighbours (None: none)."""

    rows: Sequence[Recording]
    next_cursor: str | None  # older recordings (下一页)
    prev_cursor: str | None  # newer recordings (上一页)


def _branches(session: Session, actor: Actor, where: RecordingFilter) -> list[ColumnElement[bool]]:
    """``recording_visible`` as conditions each read from one index in ``start_at`` order (a
    unit of the actor's scope, the officer's own). One ``unit_id IN (…) OR officer_id = …``
    made SQLite read and sort every visible row (733k) to show 100 (issue 19)."""
    scope = _scope(session, actor)
    if scope is None:
        return [true()]
    units, officer_id = scope
    if where.unit_id is not None:  # the other units' branches could only come back empty
        units = [u for u in units if u == where.unit_id]
    branches: list[ColumnElement[bool]] = [Recording.unit_id == u for u in units]
    if officer_id is not None:
        branches.append(Recording.officer_id == officer_id)
    return branches


def page_recordings(
    *,
    session: Session,
    actor: Actor,
    where: RecordingFilter | None = None,
    limit: int = 100,
    cursor: Cursor | None = None,
    offset: int = 0,
) -> RecordingsPage:
    """A page of the recordings the actor may see, newest first: after (or, going back, before)
    ``cursor``, then ``offset`` rows skipped. Each branch of the permission reads at most
    offset + limit + 1 rows from its index; their union is sorted once."""
    actor.require(Action.RECORDING_VIEW)
    where = where or RecordingFilter()
    picked = _page_keys(session, actor, where, limit + 1, cursor, offset)
    keys, older, newer = keyset.page(
        picked, limit, cursor, lambda k: (k[1], k[0]), skipped=offset > 0
    )
    loaded = session.scalars(
        select(Recording)
        .where(Recording.id.in_([k[0] for k in keys]))
        .options(
            selectinload(Recording.device),
            selectinload(Recording.officer),
            selectinload(Recording.unit),
        )
    ).all()
    by_id = {r.id: r for r in loaded}
    return RecordingsPage([by_id[k[0]] for k in keys], older, newer)


def _page_keys(
    session: Session,
    actor: Actor,
    where: RecordingFilter,
    want: int,
    cursor: Cursor | None,
    offset: int,
) -> list[tuple[int, datetime]]:
    back = cursor is not None and cursor.back
    parts = []
    for branch in _branches(session, actor, where):
        part = _filtered(select(Recording.id, Recording.start_at).where(branch), where)
        if cursor is not None:
            part = part.where(
                keyset.past(Recording.start_at, Recording.id, cursor, descending=True)
            )
        parts.append(part)
    if not parts:
        return []
    if len(parts) == 1:
        stmt = parts[0].order_by(*_newest_first(Recording.start_at, Recording.id, back))
        return [(row[0], row[1]) for row in session.execute(stmt.offset(offset).limit(want))]
    each = [
        p.order_by(*_newest_first(Recording.start_at, Recording.id, back))
        .limit(offset + want)
        .subquery()
        for p in parts
    ]
    merged = union(*[select(e.c.id, e.c.start_at) for e in each]).subquery()
    stmt = select(merged.c.id, merged.c.start_at).order_by(
        *_newest_first(merged.c.start_at, merged.c.id, back)
    )
    return [(row[0], row[1]) for row in session.execute(stmt.offset(offset).limit(want))]


def _newest_first(at: Any, row_id: Any, back: bool) -> tuple[Any, Any]:
    # Going back to newer rows reads the index the other way; the caller reverses the page.
    return (at.asc(), row_id.asc()) if back else (at.desc(), row_id.desc())


def count_recordings(
    *, session: Session, actor: Actor, where: RecordingFilter | None = None
) -> Count:
    """How many recordings the actor may see match, counted up to COUNT_CAP (a count of all
    733k cost 40–76 ms on every page; up to 10,001 a few ms)."""
    actor.require(Action.RECORDING_VIEW)
    stmt = _filtered(
        select(Recording.id).where(recording_visible(session, actor)),
        where or RecordingFilter(),
    )
    found = (
        session.scalar(select(func.count()).select_from(stmt.limit(COUNT_CAP + 1).subquery())) or 0
    )
    return Count(min(found, COUNT_CAP), found <= COUNT_CAP)


def list_recordings(
    *,
    session: Session,
    actor: Actor,
    where: RecordingFilter | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[Sequence[Recording], int]:
    """A page of recordings, newest first, and how many match in all (exactly: the command
    line's listing says so; the pages and the API count up to COUNT_CAP)."""
    where = where or RecordingFilter()
    found = page_recordings(session=session, actor=actor, where=where, limit=limit, offset=offset)
    stmt = _filtered(select(Recording.id).where(recording_visible(session, actor)), where)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return found.rows, total


def get_recording(*, session: Session, actor: Actor, recording_id: int) -> Recording:
    stmt = select(Recording).where(Recording.id == recording_id)
    stmt = permitted(session, stmt, actor, Action.RECORDING_VIEW)
    recording = session.scalars(stmt).first()
    if recording is None:
        raise NotFound("资料不存在，或您无权查看。")
    return recording


def sightings_of(session: Session, recording_id: int) -> Sequence[Sighting]:
    stmt = select(Sighting).where(Sighting.recording_id == recording_id).order_by(Sighting.id)
    return session.scalars(stmt).all()


def corrections_of(session: Session, recording_id: int) -> Sequence[Correction]:
    stmt = select(Correction).where(Correction.recording_id == recording_id).order_by(Correction.id)
    return session.scalars(stmt).all()


def run_of(session: Session, recording: Recording) -> IngestRun:
    run = session.get(IngestRun, recording.ingest_run_id)
    assert run is not None
    return run


def shanghai_iso(value: datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat() if value else None


def recording_row(recording: Recording, retain_until: date) -> dict[str, object]:
    """A recording's facts for the CLI and spreadsheets: times in Shanghai, ISO 8601;
    ``retain_until`` the effective retention (evidence.retention), not the ingest promise."""
    officer = recording.officer
    return {
        "id": recording.id,
        "sha256": recording.sha256,
        "sm3": recording.sm3,
        "size": recording.size,
        "original_name": recording.original_name,
        "kind": recording.kind,
        "device": recording.device.serial,
        "officer": officer.name if officer else None,
        "officer_badge": officer.badge if officer else None,
        "officer_source": recording.officer_source,
        "unit": recording.unit.name,
        "start_at": shanghai_iso(recording.start_at),
        "end_at": shanghai_iso(recording.end_at),
        "start_source": recording.start_source,
        "duration_s": recording.duration_s,
        "clock_offset_s": recording.clock_offset_s,
        "corrected_start_at": shanghai_iso(recording.corrected_start_at),
        "corrected_end_at": shanghai_iso(recording.corrected_end_at),
        "container": recording.container,
        "video_codec": recording.video_codec,
        "audio_codec": recording.audio_codec,
        "width": recording.width,
        "height": recording.height,
        "frame_rate": recording.frame_rate,
        "ingested_at": shanghai_iso(recording.ingested_at),
        "workstation": recording.workstation,
        "upload_deadline": shanghai_iso(recording.upload_deadline),
        "uploaded_late": recording.uploaded_late,
        "retain_until": retain_until.isoformat(),
        "flagged": recording.flagged,
        "problems": list(recording.problems),
    }


# The ledger's 记录内容 (第九条, R9.2) ------------------------------------------------------------


@dataclass(frozen=True)
class RecordingLink:
    """A recording of a custody period that the actor may open."""

    id: int
    start_at: datetime
    duration_s: float | None
    kind: str


@dataclass
class PeriodRecordings:
    """What a device recorded in one custody period. ``count`` and ``duration_s`` are the
    ledger's (Art. 9 puts 记录内容 in the ledger, so whoever may read the row reads them);
    ``shown`` holds only the recordings the actor may open (Art. 15: the rest stay unnamed)."""

    count: int = 0
    duration_s: float = 0.0
    shown: list[RecordingLink] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return self.count - len(self.shown)


def recorded_in(
    *, session: Session, actor: Actor, period_ids: Collection[int]
) -> dict[int, PeriodRecordings]:
    """For each custody period of ``period_ids`` (rows of the ledger the actor may read), the
    recordings its device made from issue until return. A recording belongs to the period its
    start falls in (the time corrected for the device clock, R11.2, when there is one), the
    return instant excluded: at a handover it is the next officer's, as ingest attributes it.
    One query per PERIOD_CHUNK periods, two index ranges per period: (device, start_at) for
    the uncorrected recordings, (device, corrected_start_at) for the corrected; coalesce() of
    the two read every recording of the device for each period (a month's ledger at 10^6
    recordings: 3.8 s)."""
    found: dict[int, PeriodRecordings] = defaultdict(PeriodRecordings)
    visible = recording_visible(session, actor)
    ids = sorted(set(period_ids))
    rows: list[Any] = []
    for first in range(0, len(ids), PERIOD_CHUNK):
        chunk = ids[first : first + PERIOD_CHUNK]
        both = union_all(
            _recorded(Recording.start_at, chunk, visible),
            _recorded(Recording.corrected_start_at, chunk, visible),
        )
        rows += session.execute(both).all()
    rows.sort(key=lambda r: (r[0], r[2], r[1]))
    for period_id, recording_id, at, seconds, kind, shown in rows:
        entry = found[period_id]
        entry.count += 1
        entry.duration_s += seconds or 0.0
        if shown:
            entry.shown.append(RecordingLink(recording_id, at, seconds, kind))
    return dict(found)


PERIOD_CHUNK = 500  # periods per query: bound parameters stay far below SQLite's limit
# An open period's end, so that both ends of the range bound the index scan (with "returned_at
# IS NULL OR start < returned_at" only the start did: every later recording of the device).
NEVER = datetime(9999, 1, 1, tzinfo=UTC)


def _recorded(start: Any, period_ids: list[int], visible: ColumnElement[bool]) -> Select[Any]:
    corrected = Recording.corrected_start_at
    which = corrected.is_(None) if start is Recording.start_at else corrected.is_not(None)
    return (
        select(CustodyPeriod.id, Recording.id, start, Recording.duration_s, Recording.kind, visible)
        .join(
            Recording,
            (Recording.device_id == CustodyPeriod.device_id)
            & which
            & (start >= CustodyPeriod.issued_at)
            & (start < func.coalesce(CustodyPeriod.returned_at, literal(NEVER, UTCDateTime()))),
        )
        .where(CustodyPeriod.id.in_(period_ids))
    )


def viewing_copy_of(session: Session, recording_id: int) -> ViewingCopy | None:
    """The recording's viewing copy, if one was made. No permission here: the caller has
    already found the recording through ``permitted`` or a live grant."""
    stmt = select(ViewingCopy).where(ViewingCopy.recording_id == recording_id)
    return session.scalars(stmt).one_or_none()
