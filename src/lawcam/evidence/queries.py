"""Reads of recordings, with permission inside the query: an officer sees the recordings made
while a device was in their custody, a unit's administrator and head see their unit's, the
console sees all; nobody else sees any (三员 never see evidence)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from lawcam.authz import Action, Actor, Role
from lawcam.custody.models import CustodyPeriod
from lawcam.errors import NotFound
from lawcam.evidence.models import Correction, IngestRun, Recording, Sighting, ViewingCopy
from lawcam.org.queries import unit_scope
from lawcam.timeutil import SHANGHAI

UNIT_WIDE = frozenset({Role.DEVICE_ADMIN, Role.UNIT_HEAD})


def permitted(
    session: Session, stmt: Select[Recording], actor: Actor, action: Action
) -> Select[Recording]:
    if not actor.can(action):
        return stmt.where(false())
    return stmt.where(recording_visible(session, actor))


def recording_visible(session: Session, actor: Actor) -> ColumnElement[bool]:
    """The condition on ``Recording`` that ``permitted`` applies, for queries that
    must count a recording the actor may not open (the ledger's 记录内容)."""
    if not actor.can(Action.RECORDING_VIEW):
        return false()
    if actor.console:
        return true()
    allowed: list[ColumnElement[bool]] = []
    if actor.roles & UNIT_WIDE and actor.unit_id is not None:
        allowed.append(Recording.unit_id.in_(unit_scope(session, actor.unit_id)))
    if Role.OFFICER in actor.roles and actor.person_id is not None:
        allowed.append(Recording.officer_id == actor.person_id)
    return or_(*allowed) if allowed else false()


@dataclass(frozen=True)
class RecordingFilter:
    unit_id: int | None = None
    officer_id: int | None = None
    device_id: int | None = None
    date_from: date | None = None  # Shanghai days, inclusive
    date_to: date | None = None
    flagged: bool | None = None
    late: bool | None = None


def _filtered(stmt: Select[Recording], where: RecordingFilter) -> Select[Recording]:
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


def list_recordings(
    *,
    session: Session,
    actor: Actor,
    where: RecordingFilter | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[Sequence[Recording], int]:
    """A page of recordings, newest first, and how many match in all."""
    actor.require(Action.RECORDING_VIEW)
    stmt = _filtered(
        permitted(session, select(Recording), actor, Action.RECORDING_VIEW),
        where or RecordingFilter(),
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = stmt.options(
        selectinload(Recording.device),
        selectinload(Recording.officer),
        selectinload(Recording.unit),
    )
    rows = session.scalars(
        page.order_by(Recording.start_at.desc(), Recording.id.desc()).limit(limit).offset(offset)
    ).all()
    return rows, total


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
    *, session: Session, actor: Actor, periods: Select[CustodyPeriod]
) -> dict[int, PeriodRecordings]:
    """For each period of ``periods`` (a permission-scoped ledger statement), the recordings its
    device made from issue until return, in one query. A recording belongs to the period its
    start falls in (the time corrected for the device clock, R11.2, when there is one), the
    return instant excluded: at a handover it is the next officer's, as ingest attributes it."""
    start = func.coalesce(Recording.corrected_start_at, Recording.start_at)
    ids = periods.with_only_columns(CustodyPeriod.id).order_by(None).subquery()
    stmt = (
        select(
            CustodyPeriod.id,
            Recording.id,
            start,
            Recording.duration_s,
            Recording.kind,
            recording_visible(session, actor),
        )
        .select_from(ids)
        .join(CustodyPeriod, CustodyPeriod.id == ids.c.id)
        .join(
            Recording,
            (Recording.device_id == CustodyPeriod.device_id)
            & (start >= CustodyPeriod.issued_at)
            & (CustodyPeriod.returned_at.is_(None) | (start < CustodyPeriod.returned_at)),
        )
        .order_by(CustodyPeriod.id, start, Recording.id)
    )
    found: dict[int, PeriodRecordings] = defaultdict(PeriodRecordings)
    for period_id, recording_id, at, seconds, kind, visible in session.execute(stmt):
        entry = found[period_id]
        entry.count += 1
        entry.duration_s += seconds or 0.0
        if visible:
            entry.shown.append(RecordingLink(recording_id, at, seconds, kind))
    return dict(found)


def viewing_copy_of(session: Session, recording_id: int) -> ViewingCopy | None:
    """The recording's viewing copy, if one was made. No permission here: the caller has
    already found the recording through ``permitted`` or a live grant."""
    stmt = select(ViewingCopy).where(ViewingCopy.recording_id == recording_id)
    return session.scalars(stmt).one_or_none()
