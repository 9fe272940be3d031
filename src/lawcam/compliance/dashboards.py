"""What each role's home page shows of compliance (第十八条、第十三条): read-only and bounded.

Every rate is counted by the database (per month, GROUP BY unit over an indexed time range), never
row by row in Python, so a dashboard costs a few aggregate queries whatever the size of the
office. Months are calendar months in Beijing time.

The rates of a unit for a month:
- coverage (录像覆盖率): the mean share of each activity's time covered by recordings (an
  activity with no recording counts 0), activities by their arrival;
- on-time upload (按时上传率): of the activities with recordings, the share none of whose
  recordings was docked after the deadline;
- pre-use checks passed (领用检查通过率): of the devices issued that month, the share whose
  checks at checkout (battery, free space, clock) all passed;
- ratio met (配备达标率): devices counted against devices required (第六条), capped at 100 %. The
  office keeps no history of device status, so only the current month has it (None before).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from lawcam.access.types import AccessEvent
from lawcam.activities.models import Activity, ActivityOfficer, Interruption
from lawcam.audit.models import AuditEvent
from lawcam.authz import Action, Actor, Role
from lawcam.compliance.models import Finding
from lawcam.compliance.queries import SECURITY, UNIT_WIDE, WHOLE_OFFICE, in_unit_scope, visible
from lawcam.compliance.types import FindingStatus, Rule
from lawcam.custody.models import CustodyPeriod
from lawcam.equipment.models import Device
from lawcam.equipment.queries import counts_for_ratio, required_devices
from lawcam.errors import NotFound
from lawcam.evidence.models import Recording
from lawcam.org.models import Person, Unit
from lawcam.org.queries import unit_scope
from lawcam.timeutil import SHANGHAI, shanghai_day_start

MONTHS = 12
LIST_LIMIT = 8  # the lines shown under a number
RECENT_DAYS = 30  # the auditor's window of refused accesses
OPEN = (str(FindingStatus.PENDING), str(FindingStatus.CONFIRMED))
TAMPERING = (str(Rule.TAMPERING), str(Rule.OBJECT_MISSING))


@dataclass(frozen=True)
class Month:
    label: str  # 2026-12
    start: datetime  # aware UTC
    end: datetime


@dataclass
class Rates:
    """One month's rates of a unit (or of several, added up: ``combine``)."""

    month: str
    activities: int = 0
    coverage_sum: float = 0.0  # the activities' coverage added up
    recorded: int = 0  # activities with recordings
    recorded_on_time: int = 0
    checkouts: int = 0
    passed: int = 0
    devices_counted: int | None = None  # towards the ratio (capped at the required), this month
    devices_required: int | None = None

    @property
    def coverage(self) -> float | None:
        return self.coverage_sum / self.activities if self.activities else None

    @property
    def on_time(self) -> float | None:
        return self.recorded_on_time / self.recorded if self.recorded else None

    @property
    def checks_passed(self) -> float | None:
        return self.passed / self.checkouts if self.checkouts else None

    @property
    def ratio_met(self) -> float | None:
        if self.devices_required is None or self.devices_counted is None:
            return None
        return self.devices_counted / self.devices_required if self.devices_required else 1.0

    def value(self, name: str) -> float | None:
        found: float | None = getattr(self, name)
        return found


def combine(month: str, parts: Sequence[Rates]) -> Rates:
    """Several units' rates of one month as one (sums, so each activity weighs the same)."""
    total = Rates(month)
    for r in parts:
        total.activities += r.activities
        total.coverage_sum += r.coverage_sum
        total.recorded += r.recorded
        total.recorded_on_time += r.recorded_on_time
        total.checkouts += r.checkouts
        total.passed += r.passed
        if r.devices_required is not None and r.devices_counted is not None:
            total.devices_required = (total.devices_required or 0) + r.devices_required
            total.devices_counted = (total.devices_counted or 0) + r.devices_counted
    return total


RATE_LABELS = {
    "coverage": "录像覆盖率",
    "on_time": "按时上传率",
    "checks_passed": "领用检查通过率",
    "ratio_met": "配备达标率",
}


@dataclass(frozen=True)
class Line:
    text: str
    url: str = ""


@dataclass
class OfficerBoard:
    open_findings: int = 0
    findings: list[Line] = field(default_factory=list)
    unexplained: int = 0
    gaps: list[Line] = field(default_factory=list)
    late_uploads: int = 0  # recordings of mine docked late, the last 12 months
    late: list[Line] = field(default_factory=list)


@dataclass
class UnitBoard:
    unit_id: int
    unit: str
    waiting: int = 0  # pending findings in the unit's scope
    ready: int = 0  # of them, the person concerned heard (a statement, or its time passed)
    decisions: list[Line] = field(default_factory=list)
    months: list[Rates] = field(default_factory=list)


@dataclass(frozen=True)
class UnitRow:
    unit_id: int
    unit: str
    this: Rates
    last: Rates


@dataclass
class OfficeBoard:
    rows: list[UnitRow] = field(default_factory=list)
    trend: list[Rates] = field(default_factory=list)  # the whole office, month by month


@dataclass
class AuditBoard:
    refused: int = 0  # refused accesses, the last RECENT_DAYS days
    refusals: list[Line] = field(default_factory=list)
    tampering: int = 0  # open findings of altered or missing records
    findings: list[Line] = field(default_factory=list)


# Months ---------------------------------------------------------------------------------------


def months_to(now: datetime, count: int = MONTHS) -> list[Month]:
    """The ``count`` calendar months (Beijing time) ending with the one holding ``now``."""
    local = now.astimezone(SHANGHAI).date()
    firsts = [_month_add(date(local.year, local.month, 1), -i) for i in range(count - 1, -2, -1)]
    return [
        Month(f"{a:%Y-%m}", shanghai_day_start(a), shanghai_day_start(b))
        for a, b in pairwise(firsts)
    ]


def month_of(text: str) -> Month:
    """``YYYY-MM`` as a Month; a bad text is NotFound (the address names no report)."""
    try:
        first = datetime.strptime(text, "%Y-%m").date()
    except ValueError as error:
        raise NotFound("月份应写作 YYYY-MM，例如 2026-12。") from error
    return Month(text, shanghai_day_start(first), shanghai_day_start(_month_add(first, 1)))


def _month_add(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# Rates ----------------------------------------------------------------------------------------


def unit_rates(
    session: Session, units: Collection[int] | None, months: Sequence[Month], now: datetime,
    repair_days: int,
) -> dict[tuple[int, int], Rates]:  # fmt: skip
    """Each unit's rates by (unit id, month index); ``units`` None: every unit. One aggregate
    query for the activities, one for the checkouts, and the devices for the ratio."""
    found: dict[tuple[int, int], Rates] = {}

    def at(unit_id: int, index: int) -> Rates:
        return found.setdefault((unit_id, index), Rates(months[index].label))

    for unit_id, index, n, covered, recorded, on_time in _activity_rates(session, units, months):
        rates = at(unit_id, index)
        rates.activities, rates.coverage_sum = int(n), float(covered or 0.0)
        rates.recorded, rates.recorded_on_time = int(recorded or 0), int(on_time or 0)
    for unit_id, index, n, passed in _checkout_rates(session, units, months):
        rates = at(unit_id, index)
        rates.checkouts, rates.passed = int(n), int(passed or 0)
    current = len(months) - 1
    if months[current].start <= now < months[current].end:
        for unit_id, (counted, required) in _ratio_met(session, units, now, repair_days).items():
            rates = at(unit_id, current)
            rates.devices_counted, rates.devices_required = counted, required
    return found


def _activity_rates(
    session: Session, units: Collection[int] | None, months: Sequence[Month]
) -> list[Any]:
    recorded = case((Activity.no_recording.is_(False), 1), else_=0)
    on_time = case(((Activity.no_recording.is_(False)) & (Activity.late_uploads == 0), 1), else_=0)
    stmt = select(
        Activity.unit_id, func.count(Activity.id), func.sum(Activity.coverage),
        func.sum(recorded), func.sum(on_time),
    )  # fmt: skip
    if units is not None:
        stmt = stmt.where(Activity.unit_id.in_(list(units)))
    return _monthly(session, stmt, Activity.arrived_at, Activity.unit_id, months)


def _checkout_rates(
    session: Session, units: Collection[int] | None, months: Sequence[Month]
) -> list[Any]:
    passed = case((func.json_array_length(CustodyPeriod.check_failures) == 0, 1), else_=0)
    stmt = select(Device.unit_id, func.count(CustodyPeriod.id), func.sum(passed)).join(
        Device, Device.id == CustodyPeriod.device_id
    )
    if units is not None:
        stmt = stmt.where(Device.unit_id.in_(list(units)))
    return _monthly(session, stmt, CustodyPeriod.issued_at, Device.unit_id, months)


def _monthly(session: Session, stmt: Any, at: Any, unit: Any, months: Sequence[Month]) -> list[Any]:
    """(unit, month index, *aggregates): one range query per month, grouped by unit. Measured
    on SQLite at 10^5 activities, twelve month-long ranges cost less than one year-long range
    grouped by a month CASE (the CASE per row and the larger sort)."""
    found = []
    for index, month in enumerate(months):
        ranged = stmt.where(at >= month.start, at < month.end).group_by(unit)
        found += [(row[0], index, *row[1:]) for row in session.execute(ranged)]
    return found


def _ratio_met(
    session: Session, units: Collection[int] | None, now: datetime, repair_days: int
) -> dict[int, tuple[int, int]]:
    """Devices counted over devices required (第六条), as the ratio report counts them; the
    devices are few (hundreds), unlike activities and recordings."""
    unit_stmt = select(Unit).where(Unit.is_active.is_(True))
    if units is not None:
        unit_stmt = unit_stmt.where(Unit.id.in_(list(units)))
    chosen = list(session.scalars(unit_stmt))
    ids = [u.id for u in chosen]
    officers = dict(
        session.execute(
            select(Person.unit_id, func.count(Person.id))
            .where(Person.is_officer.is_(True), Person.is_active.is_(True))
            .where(Person.unit_id.in_(ids))
            .group_by(Person.unit_id)
        ).all()
    )
    counted: dict[int, int] = {}
    devices = session.scalars(
        select(Device).options(selectinload(Device.model)).where(Device.unit_id.in_(ids))
    )
    for device in devices:
        if counts_for_ratio(device, now, repair_days):
            counted[device.unit_id] = counted.get(device.unit_id, 0) + 1
    found: dict[int, tuple[int, int]] = {}
    for unit in chosen:
        required = required_devices(unit.unit_class, int(officers.get(unit.id, 0)), unit.target)
        if required is not None:  # a unit with no class or target: no ratio to meet
            found[unit.id] = (min(counted.get(unit.id, 0), required), required)
    return found


def series(
    found: dict[tuple[int, int], Rates], months: Sequence[Month], units: Collection[int] | None
) -> list[Rates]:
    """Month by month, the units' rates added up (``units`` None: all found)."""
    return [
        combine(
            m.label,
            [r for (u, i), r in found.items() if i == index and (units is None or u in units)],
        )
        for index, m in enumerate(months)
    ]


# Boards ---------------------------------------------------------------------------------------


def officer_board(*, session: Session, actor: Actor, now: datetime) -> OfficerBoard:
    board = OfficerBoard()
    me = actor.person_id
    if me is None:
        return board
    mine = (Finding.person_id == me) & Finding.status.in_(OPEN)
    board.open_findings = _count(session, select(func.count(Finding.id)).where(mine))
    for f in session.scalars(
        select(Finding).where(mine).order_by(Finding.found_at.desc()).limit(LIST_LIMIT)
    ):
        status = FindingStatus(f.status).label
        board.findings.append(
            Line(f"{Rule(f.rule).label}（{status}）：{_short(f.summary)}", f"/findings/{f.id}")
        )
    gaps = (
        select(Activity.id, Activity.place, Activity.arrived_at, Interruption.seq)
        .join(Interruption, Interruption.activity_id == Activity.id)
        .where(Activity.id.in_(select(ActivityOfficer.activity_id).where(ActivityOfficer.person_id == me)))
        .where(Interruption.current.is_(True), Interruption.explanation.is_(None))
        .where((Interruption.officer_id.is_(None)) | (Interruption.officer_id == me))
    )  # fmt: skip
    board.unexplained = _count(session, select(func.count()).select_from(gaps.subquery()))
    for activity_id, place, arrived, seq in session.execute(
        gaps.order_by(Activity.arrived_at.desc()).limit(LIST_LIMIT)
    ):
        when = arrived.astimezone(SHANGHAI)
        board.gaps.append(
            Line(f"{when:%m-%d %H:%M} {place}：第 {seq} 处中断", f"/activities/{activity_id}")
        )
    since = now - timedelta(days=365)
    late = (Recording.officer_id == me) & Recording.uploaded_late.is_(True)
    late = late & (Recording.start_at >= since)
    board.late_uploads = _count(session, select(func.count(Recording.id)).where(late))
    for rid, name, docked in session.execute(
        select(Recording.id, Recording.original_name, Recording.ingested_at)
        .where(late).order_by(Recording.start_at.desc()).limit(LIST_LIMIT)
    ):  # fmt: skip
        board.late.append(
            Line(f"{name}（{docked.astimezone(SHANGHAI):%m-%d %H:%M} 上传）", f"/recordings/{rid}")
        )
    return board


def unit_board(
    *, session: Session, actor: Actor, now: datetime, repair_days: int, unit_id: int | None = None
) -> UnitBoard:
    """The unit head's: decisions waiting and the unit's (with the units below it) rates."""
    chosen = actor.unit_id if unit_id is None else unit_id
    if chosen is None or not may_see_rates(session, actor, chosen):
        raise NotFound("未找到该单位。")
    unit = session.get(Unit, chosen)
    if unit is None:
        raise NotFound("未找到该单位。")
    scope = unit_scope(session, chosen)
    board = UnitBoard(unit.id, unit.name)
    pending = (
        Finding.unit_id.in_(scope) & (Finding.status == str(FindingStatus.PENDING))
        & visible(session, actor)
    )  # fmt: skip
    if actor.person_id is not None:  # nobody decides a finding about themselves
        pending = pending & (Finding.person_id.is_(None) | (Finding.person_id != actor.person_id))
    heard = Finding.statement_at.is_not(None) | (Finding.statement_due < now)
    heard = heard | Finding.statement_due.is_(None)
    row = session.execute(
        select(func.count(Finding.id), func.sum(case((heard, 1), else_=0))).where(pending)
    ).one()
    board.waiting, board.ready = int(row[0] or 0), int(row[1] or 0)
    for f in session.scalars(
        select(Finding).where(pending, heard).order_by(Finding.found_at).limit(LIST_LIMIT)
    ):
        board.decisions.append(
            Line(f"{Rule(f.rule).label}：{_short(f.summary)}", f"/findings/{f.id}")
        )
    months = months_to(now)
    board.months = series(unit_rates(session, scope, months, now, repair_days), months, None)
    return board


def office_board(*, session: Session, actor: Actor, now: datetime, repair_days: int) -> OfficeBoard:
    """Engineering supervision's: every unit side by side (this month and last), the trends."""
    if not (actor.console or actor.roles & WHOLE_OFFICE):
        return OfficeBoard()
    months = months_to(now)
    units = list(session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.id)))
    found = unit_rates(session, None, months, now, repair_days)  # one pass for both
    this, last = len(months) - 1, len(months) - 2

    def of(unit_id: int, index: int) -> Rates:
        return found.get((unit_id, index)) or Rates(months[index].label)

    rows = [UnitRow(u.id, u.name, of(u.id, this), of(u.id, last)) for u in units]
    return OfficeBoard(rows, series(found, months, None))


def audit_board(*, session: Session, actor: Actor, now: datetime) -> AuditBoard:
    """The auditor's (and security administrator's): refused accesses and tampering."""
    board = AuditBoard()
    if not (actor.console or actor.roles & SECURITY):
        return board
    refused = (AuditEvent.tag == str(AccessEvent.REFUSED)) & (
        AuditEvent.occurred_at >= now - timedelta(days=RECENT_DAYS)
    )
    board.refused = _count(session, select(func.count(AuditEvent.id)).where(refused))
    # “seq + 0”: ordered by the bare seq, SQLite walks its unique index backwards through every
    # entry looking for refusals (seconds at 10^6 entries); so, the tag's index, then a sort.
    for seq, at, who, subject in session.execute(
        select(AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.actor_label, AuditEvent.subject_id)
        .where(refused).order_by((AuditEvent.seq + 0).desc()).limit(LIST_LIMIT)
    ):  # fmt: skip
        board.refusals.append(
            Line(
                f"{at.astimezone(SHANGHAI):%m-%d %H:%M} {who}：调阅资料 #{subject} 被拒绝",
                f"/audit/proof?leaf={seq}",
            )
        )
    tampered = Finding.rule.in_(TAMPERING) & Finding.status.in_(OPEN)
    board.tampering = _count(session, select(func.count(Finding.id)).where(tampered))
    for f in session.scalars(
        select(Finding).where(tampered).order_by(Finding.found_at.desc()).limit(LIST_LIMIT)
    ):
        board.findings.append(
            Line(f"{Rule(f.rule).label}：{_short(f.summary)}", f"/findings/{f.id}")
        )
    return board


def may_see_rates(session: Session, actor: Actor, unit_id: int) -> bool:
    """A unit's rates: its head and device administrator (their units), the whole office's
    readers (engineering supervision, the office leader), the console."""
    if not actor.can(Action.FINDING_VIEW):
        return False
    if not (actor.console or actor.roles & (WHOLE_OFFICE | UNIT_WIDE)):
        return False
    return in_unit_scope(session, actor, unit_id)


def boards_for(actor: Actor) -> set[str]:
    """Which boards an actor's home shows."""
    shown = set()
    if actor.person_id is not None and Role.OFFICER in actor.roles:
        shown.add("officer")
    if actor.unit_id is not None and Role.UNIT_HEAD in actor.roles:
        shown.add("unit")
    if actor.roles & WHOLE_OFFICE:
        shown.add("office")
    if actor.roles & SECURITY:
        shown.add("audit")
    return shown


def _short(text: str, size: int = 60) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _count(session: Session, stmt: Any) -> int:
    return int(session.execute(stmt).scalar_one() or 0)
