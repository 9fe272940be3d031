"""Reads of activities: who may see which (``permitted``), lists, and the recordings' facts
as the regulation counts them — the corrected start and officer, and the docking time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Select, exists, false, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased, joinedload, load_only, selectinload

from lawcam.activities.models import Activity, ActivityLink, ActivityOfficer, Interruption
from lawcam.activities.types import Span
from lawcam.authz import Action, Actor, Role
from lawcam.custody.models import CustodyPeriod
from lawcam.errors import InvalidInput, NotFound
from lawcam.evidence.models import Correction, IngestRun, Recording
from lawcam.evidence.queries import recording_visible
from lawcam.evidence.types import CorrectableField, MediaKind
from lawcam.org.models import Person, Zone
from lawcam.org.queries import unit_by_name, unit_scope
from lawcam.timeutil import SHANGHAI

T = TypeVar("T")
UNIT_WIDE = frozenset({Role.DEVICE_ADMIN, Role.UNIT_HEAD})
# A recording longer than this is not looked for before an activity's arrival (a device's
# file is at most a few hours; the window keeps the candidate search on the time index).
LONGEST_RECORDING = timedelta(hours=24)
COUNTED_KINDS = frozenset({MediaKind.VIDEO, MediaKind.AUDIO})


def permitted(session: Session, stmt: Select[T], actor: Actor, action: Action) -> Select[T]:
    """Activities the actor may see or act on: a unit's device administrator and head, their
    units' (and the units below); an officer, the ones they took part in; the console, all."""
    if not actor.can(action):
        return stmt.where(false())
    if actor.console:
        return stmt
    allowed = []
    if actor.roles & UNIT_WIDE and actor.unit_id is not None:
        allowed.append(Activity.unit_id.in_(unit_scope(session, actor.unit_id)))
    if Role.OFFICER in actor.roles and actor.person_id is not None:
        mine = select(ActivityOfficer.activity_id).where(
            ActivityOfficer.person_id == actor.person_id
        )
        allowed.append(Activity.id.in_(mine))
    return stmt.where(or_(*allowed) if allowed else false())


def get_activity(
    *, session: Session, actor: Actor, activity_id: int, action: Action = Action.ACTIVITY_VIEW
) -> Activity:
    stmt = select(Activity).where(Activity.id == activity_id).options(_with_officers())
    activity = session.scalars(permitted(session, stmt, actor, action)).first()
    if activity is None:
        raise NotFound("执法活动不存在，或您无权查看。")
    return activity


def _with_officers() -> Any:
    return selectinload(Activity.officers).joinedload(ActivityOfficer.person)


@dataclass(frozen=True)
class ActivityFilter:
    unit_id: int | None = None
    officer_id: int | None = None
    kind: str | None = None
    date_from: date | None = None  # Shanghai days of arrival, inclusive
    date_to: date | None = None
    below_full: bool = False  # coverage under 100 % (or nothing recorded)
    unexplained: bool = False
    late: bool = False


def _filtered(stmt: Select[Activity], where: ActivityFilter) -> Select[Activity]:
    if where.unit_id is not None:
        stmt = stmt.where(Activity.unit_id == where.unit_id)
    if where.officer_id is not None:
        took_part = select(ActivityOfficer.activity_id).where(
            ActivityOfficer.person_id == where.officer_id
        )
        stmt = stmt.where(Activity.id.in_(took_part))
    if where.kind:
        stmt = stmt.where(Activity.kind == where.kind)
    return _flags(_days(stmt, where), where)


def _days(stmt: Select[Activity], where: ActivityFilter) -> Select[Activity]:
    if where.date_from is not None:
        stmt = stmt.where(Activity.arrived_at >= day_start(where.date_from))
    if where.date_to is not None:
        stmt = stmt.where(Activity.arrived_at < day_start(where.date_to + timedelta(days=1)))
    return stmt


def _flags(stmt: Select[Activity], where: ActivityFilter) -> Select[Activity]:
    if where.below_full:
        stmt = stmt.where(Activity.coverage < 1.0)
    if where.unexplained:
        stmt = stmt.where(Activity.unexplained > 0)
    if where.late:
        stmt = stmt.where(Activity.late_uploads > 0)
    return stmt


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def list_activities(
    *, session: Session, actor: Actor, where: ActivityFilter, limit: int = 200, offset: int = 0
) -> tuple[Sequence[Activity], int]:
    """A page of the activities the actor may see, newest first, and how many there are."""
    actor.require(Action.ACTIVITY_VIEW)  # a role without activities is refused, not shown none
    stmt = _filtered(permitted(session, select(Activity), actor, Action.ACTIVITY_VIEW), where)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.options(_with_officers(), joinedload(Activity.unit))
    stmt = stmt.order_by(Activity.arrived_at.desc(), Activity.id.desc())
    return session.scalars(stmt.limit(limit).offset(offset)).all(), total


def links_of(session: Session, activity_id: int, *, active: bool = True) -> list[ActivityLink]:
    stmt = select(ActivityLink).where(ActivityLink.activity_id == activity_id)
    if active:
        stmt = stmt.where(ActivityLink.detached_at.is_(None))
    return list(session.scalars(stmt.order_by(ActivityLink.recording_id)))


def interruptions_of(
    session: Session, activity_id: int, *, current: bool = True
) -> list[Interruption]:
    stmt = select(Interruption).where(Interruption.activity_id == activity_id)
    if current:
        stmt = stmt.where(Interruption.current.is_(True))
    return list(session.scalars(stmt.order_by(Interruption.seq)))


def activities_by_id(session: Session, activity_ids: Sequence[int]) -> list[Activity]:
    """These activities with their officers, in the order of their ids."""
    stmt = select(Activity).where(Activity.id.in_(activity_ids)).order_by(Activity.id)
    return list(session.scalars(stmt.options(selectinload(Activity.officers))))


def links_of_many(session: Session, activity_ids: Sequence[int]) -> dict[int, list[ActivityLink]]:
    """The active links of each activity, in one query."""
    stmt = (
        select(ActivityLink)
        .where(ActivityLink.activity_id.in_(activity_ids), ActivityLink.detached_at.is_(None))
        .order_by(ActivityLink.activity_id, ActivityLink.recording_id)
        # What a recomputation reads and sets; the rest loads if a caller asks for it.
        .options(load_only(ActivityLink.activity_id, ActivityLink.recording_id, ActivityLink.late))
    )
    found: dict[int, list[ActivityLink]] = {}
    for link in session.scalars(stmt):
        found.setdefault(link.activity_id, []).append(link)
    return found


def interruptions_of_many(
    session: Session, activity_ids: Sequence[int]
) -> dict[int, list[Interruption]]:
    """Every interruption of each activity (current or not), in one query."""
    stmt = (
        select(Interruption)
        .where(Interruption.activity_id.in_(activity_ids))
        .order_by(Interruption.activity_id, Interruption.seq)
    )
    found: dict[int, list[Interruption]] = {i: [] for i in activity_ids}
    for row in session.scalars(stmt):
        found[row.activity_id].append(row)
    return found


class Facts(NamedTuple):
    """A recording as the activity rules count it: its span on the workstation's clock (the
    latest corrected start, the measured offset, or the device's own), its officer (the latest
    correction or the one at ingest), and when the workstation received it (the docking). A
    named tuple: a full pass builds one per linked recording, 10^6 of them, and a frozen
    dataclass costs several times as much to build."""

    id: int
    device_id: int
    unit_id: int
    kind: str
    span: Span
    officer_id: int | None
    docked_at: datetime

    @property
    def counts(self) -> bool:
        """Photos and empty files are linked but cover nothing (第十条 asks for recording)."""
        return self.kind in COUNTED_KINDS and self.span.seconds > 0


# The columns a recording's facts need: reading these instead of whole rows is what lets a
# full recomputation keep near the cost of scanning them (bench/coverage.py).
_FACT_COLUMNS = (
    Recording.id,
    Recording.device_id,
    Recording.unit_id,
    Recording.kind,
    Recording.start_at,
    Recording.end_at,
    Recording.corrected_start_at,
    Recording.officer_id,
)


def facts(session: Session, stmt: Select[Recording]) -> list[Facts]:
    run = aliased(IngestRun)  # the caller's statement may join the runs itself
    docked = stmt.join(run, run.id == Recording.ingest_run_id).with_only_columns(
        *_FACT_COLUMNS, run.started_at
    )
    rows = session.execute(docked).all()
    corrected = _corrections(session, [row.id for row in rows])
    return [_facts(row, corrected) for row in rows]


def facts_of(session: Session, recording_ids: Iterable[int]) -> dict[int, Facts]:
    ids = sorted(set(recording_ids))
    if not ids:
        return {}
    return {f.id: f for f in facts(session, select(Recording).where(Recording.id.in_(ids)))}


def _corrections(session: Session, ids: list[int]) -> dict[tuple[int, str], str]:
    """The latest correction of each recording's start and officer."""
    latest: dict[tuple[int, str], str] = {}
    for start in range(0, len(ids), 500):
        latest.update(_latest(session, Correction.recording_id.in_(ids[start : start + 500])))
    return _officers_named(session, latest)


def _latest(session: Session, which: Any) -> dict[tuple[int, str], str]:
    """(recording, field) -> the latest corrected value, for the corrections ``which`` picks."""
    fields = (str(CorrectableField.START_AT), str(CorrectableField.OFFICER))
    stmt = (
        select(Correction.recording_id, Correction.field, Correction.value)
        .where(which, Correction.field.in_(fields))
        .order_by(Correction.id)
    )
    return {(rid, field): value for rid, field, value in session.execute(stmt)}


def _officers_named(
    session: Session, latest: dict[tuple[int, str], str]
) -> dict[tuple[int, str], str]:
    """A corrected officer is written as a badge; the rules count the person's id."""
    badges = {v for (_, f), v in latest.items() if f == str(CorrectableField.OFFICER)}
    people = _people_by_badge(session, badges)
    for key, value in list(latest.items()):
        if key[1] == str(CorrectableField.OFFICER):
            latest[key] = str(people.get(value, ""))
    return latest


def _people_by_badge(session: Session, badges: set[str]) -> dict[str, int]:
    if not badges:
        return {}
    stmt = select(Person.badge, Person.id).where(Person.badge.in_(badges))
    return {badge: pid for badge, pid in session.execute(stmt) if badge}


_START_AT, _OFFICER = str(CorrectableField.START_AT), str(CorrectableField.OFFICER)


def _facts(recording: Any, corrected: dict[tuple[int, str], str]) -> Facts:
    """From a row of ``_FACT_COLUMNS`` and the docking time."""
    length = recording.end_at - recording.start_at
    start = recording.corrected_start_at or recording.start_at
    officer = recording.officer_id
    if corrected:  # few recordings are ever corrected
        if value := corrected.get((recording.id, _START_AT)):
            start = datetime.fromisoformat(value)
        if value := corrected.get((recording.id, _OFFICER)):
            officer = int(value)
    return Facts(
        recording.id,
        recording.device_id,
        recording.unit_id,
        recording.kind,
        Span(start, start + length),
        officer,
        recording.started_at,
    )


@dataclass(frozen=True)
class StoredBatch:
    """A batch of activities as stored, read by column for a full pass (most are current, and
    building their objects was most of its cost: bench/coverage.py)."""

    activities: Sequence[Any]  # rows of _STORED, in the order of their ids
    officers: dict[int, list[int]]  # activity -> its officers, as ``Activity.officer_ids``
    links: dict[int, list[tuple[int, bool]]]  # activity -> (recording, late) of active links
    facts: dict[int, Facts]  # the linked recordings'
    interruptions: dict[int, list[Any]]  # activity -> rows of its current interruptions


_STORED = (
    Activity.id,
    Activity.arrived_at,
    Activity.ended_at,
    Activity.coverage,
    Activity.no_recording,
    Activity.unexplained,
    Activity.upload_deadline,
    Activity.late_uploads,
)


def stored_after(session: Session, after: int, limit: int) -> StoredBatch | None:
    """The next ``limit`` activities by id after ``after`` (None when there are no more), with
    their officers, links, linked recordings' facts and current interruptions: five queries,
    each over a range of activity ids (a long IN list is the slow part on SQLite)."""
    stmt = select(*_STORED).where(Activity.id > after).order_by(Activity.id).limit(limit)
    rows = session.execute(stmt).all()
    if not rows:
        return None
    within = (after, rows[-1].id)
    links, found = _linked(session, within)
    return StoredBatch(rows, _officers_in(session, within), links, found, _gaps_in(session, within))


def _in(column: Any, within: tuple[int, int]) -> Any:
    return column.between(within[0] + 1, within[1])


def _officers_in(session: Session, within: tuple[int, int]) -> dict[int, list[int]]:
    stmt = (
        select(ActivityOfficer.activity_id, ActivityOfficer.person_id)
        .where(_in(ActivityOfficer.activity_id, within))
        .order_by(ActivityOfficer.id)
    )
    found: dict[int, list[int]] = {}
    for activity_id, person_id in session.execute(stmt):
        found.setdefault(activity_id, []).append(person_id)
    return found


def _linked(
    session: Session, within: tuple[int, int]
) -> tuple[dict[int, list[tuple[int, bool]]], dict[int, Facts]]:
    """The active links and their recordings' facts, in one scan of links joined to
    recordings and runs (and one query for the few corrections)."""
    active = (_in(ActivityLink.activity_id, within), ActivityLink.detached_at.is_(None))
    stmt = (
        select(ActivityLink.activity_id, ActivityLink.late, *_FACT_COLUMNS, IngestRun.started_at)
        .join(Recording, Recording.id == ActivityLink.recording_id)
        .join(IngestRun, IngestRun.id == Recording.ingest_run_id)
        .where(*active)
    )
    linked = select(ActivityLink.recording_id).where(*active)
    corrected = _officers_named(session, _latest(session, Correction.recording_id.in_(linked)))
    links: dict[int, list[tuple[int, bool]]] = {}
    found: dict[int, Facts] = {}
    for row in session.execute(stmt):
        links.setdefault(row.activity_id, []).append((row.id, row.late))
        if row.id not in found:
            found[row.id] = _facts(row, corrected)
    return links, found


def _gaps_in(session: Session, within: tuple[int, int]) -> dict[int, list[Any]]:
    stmt = select(
        Interruption.activity_id,
        Interruption.kind,
        Interruption.officer_id,
        Interruption.start_at,
        Interruption.end_at,
        Interruption.explanation,
    ).where(_in(Interruption.activity_id, within), Interruption.current.is_(True))
    found: dict[int, list[Any]] = {}
    for row in session.execute(stmt):
        found.setdefault(row.activity_id, []).append(row)
    return found


def candidates(session: Session, activity: Activity, tolerance: timedelta) -> list[Facts]:
    """Recordings made during the activity (its span widened by the tolerance) by one of its
    officers: the recording's officer, or whoever held its device at the moment it started.
    Only recordings that can be theirs are read: by one of them, on a device one of them held
    in that time, or corrected (the correction may name them or move the recording)."""
    window = Span(activity.arrived_at, activity.ended_at).widened(tolerance)
    officers = set(activity.officer_ids)
    when = or_(
        Recording.start_at.between(window.start - LONGEST_RECORDING, window.end),
        Recording.corrected_start_at.between(window.start - LONGEST_RECORDING, window.end),
        Recording.id.in_(_restarted(activity)),
    )
    # One arm per way a recording can be theirs, each on its own index (the officer's, the
    # device's, the corrections'): as one OR, PostgreSQL scanned every recording.
    arms = union_all(
        select(Recording.id).where(Recording.officer_id.in_(officers), when),
        select(Recording.id).where(Recording.device_id.in_(_held_in(officers, window)), when),
        select(Recording.id).where(Recording.id.in_(_reassigned()), when),
    )
    near = select(Recording).where(Recording.id.in_(arms))
    found = [f for f in facts(session, near) if f.span.overlaps(window)]
    return [f for f in found if f.officer_id in officers or _held_by(session, f, officers)]


def _held_in(officers: set[int], window: Span) -> Select[Any]:
    """Devices the officers held at some moment a recording overlapping the window started."""
    return (
        select(CustodyPeriod.device_id)
        .where(CustodyPeriod.officer_id.in_(officers), CustodyPeriod.issued_at <= window.end)
        .where(
            or_(
                CustodyPeriod.returned_at.is_(None),
                CustodyPeriod.returned_at >= window.start - LONGEST_RECORDING,
            )
        )
    )


def _restarted(activity: Activity) -> Select[Any]:
    """Recordings of the activity's unit whose start was corrected: the correction may move
    them anywhere, so they are checked one by one (there are few)."""
    return (
        select(Correction.recording_id)
        .join(Recording, Recording.id == Correction.recording_id)
        .where(Correction.field == str(CorrectableField.START_AT))
        .where(Recording.unit_id == activity.unit_id)
    )


def _reassigned() -> Select[Any]:
    """Recordings whose officer or start was corrected (there are few)."""
    fields = (str(CorrectableField.START_AT), str(CorrectableField.OFFICER))
    return select(Correction.recording_id).where(Correction.field.in_(fields))


def _held_by(session: Session, fact: Facts, officers: set[int]) -> bool:
    return custodian(session, fact.device_id, fact.span.start) in officers


def counted_for(session: Session, fact: Facts, officers: Iterable[int]) -> int | None:
    """The activity officer a recording counts for: its own officer, else whoever held its
    device when it started; None when neither is one of the activity's officers (a recording
    attached by hand). The service's coverage and the page's timeline both ask this."""
    present = set(officers)
    if fact.officer_id is not None and fact.officer_id in present:
        return fact.officer_id
    holder = custodian(session, fact.device_id, fact.span.start)
    return holder if holder is not None and holder in present else None


def custodian(session: Session, device_id: int, at: datetime) -> int | None:
    """Who held the device at that moment, from the ledger (第九条)."""
    stmt = (
        select(CustodyPeriod.officer_id)
        .where(CustodyPeriod.device_id == device_id, CustodyPeriod.issued_at <= at)
        .where(or_(CustodyPeriod.returned_at.is_(None), CustodyPeriod.returned_at >= at))
        .order_by(CustodyPeriod.issued_at.desc())
    )
    return session.scalars(stmt).first()


def custodians(session: Session, found: Sequence[Facts]) -> dict[int, int | None]:
    """Who held each recording's device at the moment it started (``custodian`` for many
    recordings, one query)."""
    if not found:
        return {}
    first, last = min(f.span.start for f in found), max(f.span.start for f in found)
    stmt = (
        select(
            CustodyPeriod.device_id,
            CustodyPeriod.officer_id,
            CustodyPeriod.issued_at,
            CustodyPeriod.returned_at,
        )
        .where(CustodyPeriod.device_id.in_({f.device_id for f in found}))
        .where(CustodyPeriod.issued_at <= last)
        .where(or_(CustodyPeriod.returned_at.is_(None), CustodyPeriod.returned_at >= first))
        .order_by(CustodyPeriod.issued_at.desc())
    )
    periods = session.execute(stmt).all()
    return {f.id: _holder(periods, f.device_id, f.span.start) for f in found}


def _holder(periods: Sequence[Any], device_id: int, at: datetime) -> int | None:
    for period in periods:  # the latest issue first, as ``custodian`` takes it
        held = period.returned_at is None or period.returned_at >= at
        if period.device_id == device_id and period.issued_at <= at and held:
            return int(period.officer_id)
    return None


def activities_near(
    session: Session, found: Sequence[Facts], tolerance: timedelta, people: dict[int, set[int]]
) -> list[Activity]:
    """Activities whose span (widened) overlaps one of the recordings' and that one of its
    ``people`` (its officer, its device's holder) took part in: those that may take it
    (``candidates`` decides). One query for all the recordings of a docking."""
    if not found:
        return []
    start = min(f.span.start for f in found) - tolerance
    end = max(f.span.end for f in found) + tolerance
    # Their activities first, then the time: as one query PostgreSQL walked the index of
    # arrival or end over every activity before or after the docking.
    present = select(ActivityOfficer.activity_id).where(
        ActivityOfficer.person_id.in_(set().union(*people.values()))
    )
    ids = sorted(set(session.scalars(present)))
    stmt = select(Activity).where(
        Activity.id.in_(ids), Activity.arrived_at < end, Activity.ended_at > start
    )
    near = session.scalars(stmt.options(selectinload(Activity.officers)))
    return [a for a in near if any(_may_take(a, f, tolerance, people[f.id]) for f in found)]


def _may_take(activity: Activity, fact: Facts, tolerance: timedelta, people: set[int]) -> bool:
    window = fact.span.widened(tolerance)
    overlaps = activity.arrived_at < window.end and activity.ended_at > window.start
    return overlaps and bool(people & set(activity.officer_ids))


def activities_linking(session: Session, recording_ids: Sequence[int]) -> list[Activity]:
    """Activities a recording is linked to now (automatically or by hand)."""
    if not recording_ids:
        return []
    linking = select(ActivityLink.activity_id).where(
        ActivityLink.recording_id.in_(recording_ids), ActivityLink.detached_at.is_(None)
    )
    stmt = select(Activity).where(Activity.id.in_(linking)).options(_with_officers())
    return list(session.scalars(stmt))


def unit_named(session: Session, name: str) -> int:
    unit = unit_by_name(session, name.strip())
    if unit is None:
        raise InvalidInput(f"没有名为“{name.strip()}”的单位。", field="unit")
    return unit.id


def officers_by_badge(session: Session, badges: Sequence[str]) -> list[int]:
    """The people behind the badges given, in order; an unknown badge is named."""
    wanted = [b.strip() for b in badges if b.strip()]
    found = _people_by_badge(session, set(wanted))
    for badge in wanted:
        if badge not in found:
            raise InvalidInput(f"执法证号 {badge} 不是本办登记的人员。", field="officers")
    return list(dict.fromkeys(found[b] for b in wanted))


def zone_named(session: Session, unit_id: int, name: str | None) -> int | None:
    if not name or not name.strip():
        return None
    stmt = select(Zone.id).where(Zone.unit_id == unit_id, Zone.name == name.strip())
    zone = session.scalars(stmt).first()
    if zone is None:
        raise InvalidInput(f"该单位没有名为“{name.strip()}”的办案区。", field="zone")
    return zone


@dataclass(frozen=True)
class LateUpload:
    """A recording the workstation received after its deadline (第十四条): the end of its
    activity + 24 h, or for a recording outside every activity its own end + 24 h."""

    recording_id: int
    unit_id: int
    officer_id: int | None
    activity_id: int | None
    deadline: datetime
    docked_at: datetime

    @property
    def hours_late(self) -> float:
        return (self.docked_at - self.deadline).total_seconds() / 3600


@dataclass(frozen=True)
class LateFilter:
    unit_id: int | None = None
    officer_id: int | None = None
    date_from: date | None = None  # Shanghai days of docking, inclusive
    date_to: date | None = None


def late_uploads(session: Session, actor: Actor, where: LateFilter, hours: int) -> list[LateUpload]:
    """Late uploads the actor may see (the recordings' own visibility), latest docking first."""
    actor.require(Action.RECORDING_VIEW)
    found = _late_in_activities(session, actor, where) + _late_outside(session, actor, where, hours)
    if where.officer_id is not None:
        found = [f for f in found if f.officer_id == where.officer_id]
    return sorted(found, key=lambda f: (f.docked_at, f.recording_id), reverse=True)


def _docked_between(stmt: Any, where: LateFilter) -> Any:  # any select joined to its run
    stmt = stmt.join(IngestRun, IngestRun.id == Recording.ingest_run_id)
    if where.unit_id is not None:
        stmt = stmt.where(Recording.unit_id == where.unit_id)
    if where.date_from is not None:
        stmt = stmt.where(IngestRun.started_at >= day_start(where.date_from))
    if where.date_to is not None:
        stmt = stmt.where(IngestRun.started_at < day_start(where.date_to + timedelta(days=1)))
    return stmt


def _late_in_activities(session: Session, actor: Actor, where: LateFilter) -> list[LateUpload]:
    stmt = (
        select(Recording, ActivityLink.activity_id, Activity.upload_deadline)
        .join(ActivityLink, ActivityLink.recording_id == Recording.id)
        .join(Activity, Activity.id == ActivityLink.activity_id)
        .where(ActivityLink.late.is_(True), ActivityLink.detached_at.is_(None))
    )
    stmt = _docked_between(stmt.where(recording_visible(session, actor)), where)
    rows: list[tuple[Recording, int, datetime]] = [tuple(row) for row in session.execute(stmt)]
    known = facts_of(session, [row[0].id for row in rows])
    return [
        LateUpload(r.id, r.unit_id, known[r.id].officer_id, activity, due, known[r.id].docked_at)
        for r, activity, due in rows
    ]


def _late_outside(
    session: Session, actor: Actor, where: LateFilter, hours: int
) -> list[LateUpload]:
    """Unassigned recordings docked after their own end + 24 h (the stored deadline narrows
    the search; a corrected start is then counted exactly)."""
    # NOT EXISTS, not NOT IN: PostgreSQL plans NOT IN over a large subquery as a scan of every
    # link per recording (quadratic; minutes at 10^6 links), NOT EXISTS as one anti-join.
    linked = ActivityLink.recording_id == Recording.id, ActivityLink.detached_at.is_(None)
    stmt = select(Recording).where(~exists().where(*linked))
    stmt = _docked_between(stmt.where(recording_visible(session, actor)), where)
    corrected = select(Correction.recording_id).where(
        Correction.field == str(CorrectableField.START_AT)
    )
    # Two narrow reads instead of one OR that only a scan of every recording can answer: the
    # flag stored at ingest (docked after the deadline implies ingested after it) on its index,
    # and the few recordings whose start was corrected.
    after_deadline = stmt.where(
        Recording.uploaded_late.is_(True), IngestRun.started_at > Recording.upload_deadline
    )
    found = {f.id: f for f in facts(session, after_deadline)}
    found.update((f.id, f) for f in facts(session, stmt.where(Recording.id.in_(corrected))))
    late = []
    for fact in found.values():
        due = fact.span.end + timedelta(hours=hours)
        if fact.docked_at > due:
            late.append(
                LateUpload(fact.id, fact.unit_id, fact.officer_id, None, due, fact.docked_at)
            )
    return late
