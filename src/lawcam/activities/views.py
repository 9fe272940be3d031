"""Activities as other pages show them (第十条、第十四条): the late-upload list with the names
and activities it needs, an officer's recent activities, and the activities of each custody
period of the ledger. Built on ``queries``, which decides who may see what; each asks the
database a fixed number of times for a page, whatever its number of rows."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.activities.models import Activity, ActivityOfficer
from lawcam.activities.queries import (
    ActivityFilter,
    LateFilter,
    LateUpload,
    day_start,
    late_uploads,
    list_activities,
    permitted,
)
from lawcam.authz import Action, Actor
from lawcam.custody.models import CustodyPeriod
from lawcam.org.models import Person, Unit
from lawcam.timeutil import SHANGHAI

# --- the late uploads (第十四条) --------------------------------------------------------------


@dataclass(frozen=True)
class LateRow:
    """A late upload with what the list shows of it. ``activity`` is None for a recording
    outside every activity (its own end + 24 h) and for an activity the reader may not open."""

    late: LateUpload
    unit: str
    officer: Person | None
    activity: Activity | None


@dataclass(frozen=True)
class LateTally:
    """How many late uploads one officer or one unit has; ``key`` is what the list's filter
    takes (a badge, a unit's id), empty when there is none to filter by."""

    name: str
    key: str
    count: int


@dataclass(frozen=True)
class LateReport:
    total: int
    rows: list[LateRow]  # the page asked for
    by_officer: list[LateTally]  # over every late upload found, not only the page's
    by_unit: list[LateTally]


def late_report(
    *, session: Session, actor: Actor, where: LateFilter, hours: int, limit: int, offset: int
) -> LateReport:
    """The late uploads the actor may see (``queries.late_uploads``), one page of them named."""
    found = late_uploads(session, actor, where, hours)
    people = _people(session, {f.officer_id for f in found if f.officer_id is not None})
    units = _unit_names(session, {f.unit_id for f in found})
    shown = found[offset : offset + limit]
    activities = _openable(session, actor, {f.activity_id for f in shown if f.activity_id})
    rows = [
        LateRow(
            f,
            units.get(f.unit_id, ""),
            people.get(f.officer_id) if f.officer_id is not None else None,
            activities.get(f.activity_id) if f.activity_id is not None else None,
        )
        for f in shown
    ]
    return LateReport(len(found), rows, _by_officer(found, people), _by_unit(found, units))


def _people(session: Session, ids: set[int]) -> dict[int, Person]:
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}


def _unit_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(Unit.id, Unit.name).where(Unit.id.in_(ids))
    return {unit_id: name for unit_id, name in session.execute(stmt)}


def _openable(session: Session, actor: Actor, ids: set[int]) -> dict[int, Activity]:
    """The activities among ``ids`` the actor may open (the others are shown without a link)."""
    if not ids:
        return {}
    stmt = select(Activity).where(Activity.id.in_(ids))
    return {a.id: a for a in session.scalars(permitted(session, stmt, actor, Action.ACTIVITY_VIEW))}


def _by_officer(found: Sequence[LateUpload], people: dict[int, Person]) -> list[LateTally]:
    counts = Counter(f.officer_id for f in found)
    tallies = []
    for officer_id, count in counts.most_common():
        person = people.get(officer_id) if officer_id is not None else None
        name = person.name if person else "（执法人员未确定）"
        tallies.append(LateTally(name, (person.badge or "") if person else "", count))
    return tallies


def _by_unit(found: Sequence[LateUpload], units: dict[int, str]) -> list[LateTally]:
    counts = Counter(f.unit_id for f in found)
    return [LateTally(units.get(u, ""), str(u), n) for u, n in counts.most_common()]


# --- an officer's activities (第十条) ------------------------------------------------------


def recent_of(
    *, session: Session, actor: Actor, person_id: int, limit: int = 10
) -> tuple[Sequence[Activity], int] | None:
    """The latest activities the person took part in that the actor may see, and how many
    there are; None when the actor sees no activities at all (the page then shows none)."""
    if not actor.can(Action.ACTIVITY_VIEW):
        return None
    where = ActivityFilter(officer_id=person_id)
    return list_activities(session=session, actor=actor, where=where, limit=limit)


# --- the ledger's custody periods (第九条、第十条) -------------------------------------------


def shanghai_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def period_days(period: CustodyPeriod) -> tuple[date, date | None]:
    """The Beijing days a custody period spans: issue day to return day (None: still held).
    The activity list filters by days of arrival, so a period's activities are counted by
    them too, and the count is what the period's link lists."""
    returned = shanghai_day(period.returned_at) if period.returned_at else None
    return shanghai_day(period.issued_at), returned


def activities_by_period(
    *, session: Session, actor: Actor, periods: Sequence[CustodyPeriod]
) -> dict[int, int] | None:
    """For each period, how many activities the actor may see that its officer took part in
    and arrived at on a day of the period; one query for all the periods. None when the actor
    sees no activities at all."""
    if not actor.can(Action.ACTIVITY_VIEW):
        return None
    if not periods:
        return {}
    days = {p.id: period_days(p) for p in periods}
    arrivals = _arrivals(session, actor, periods, days)
    return {p.id: _within(arrivals.get(p.officer_id, []), *days[p.id]) for p in periods}


def _arrivals(
    session: Session,
    actor: Actor,
    periods: Sequence[CustodyPeriod],
    days: dict[int, tuple[date, date | None]],
) -> dict[int, list[date]]:
    """Each officer's days of arrival (sorted) over the periods' whole span."""
    first = min(d[0] for d in days.values())
    ends = [d[1] for d in days.values()]
    seen = permitted(session, select(Activity.id), actor, Action.ACTIVITY_VIEW)
    stmt = (
        select(ActivityOfficer.person_id, Activity.arrived_at)
        .join(Activity, Activity.id == ActivityOfficer.activity_id)
        .where(ActivityOfficer.person_id.in_({p.officer_id for p in periods}))
        .where(Activity.arrived_at >= day_start(first), Activity.id.in_(seen))
    )
    if None not in ends:
        last = max(d for d in ends if d is not None)
        stmt = stmt.where(Activity.arrived_at < day_start(last + timedelta(days=1)))
    found: dict[int, list[date]] = {}
    for person_id, arrived in session.execute(stmt):
        found.setdefault(person_id, []).append(shanghai_day(arrived))
    return {person: sorted(arrived) for person, arrived in found.items()}


def _within(arrived: list[date], first: date, last: date | None) -> int:
    """How many of the sorted days fall in [first, last] (no last: from first on)."""
    end = len(arrived) if last is None else bisect_right(arrived, last)
    return max(end - bisect_left(arrived, first), 0)
