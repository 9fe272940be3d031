"""What expires and what storage holds (第十四条, R14.2): reads for the retention report.

The effective retention here is the stored one: a recording without a ``RetentionState`` keeps
its ingest promise (``Recording.retain_until``), one with a state keeps the state's date unless
it is kept without end; disposed recordings are gone from every figure. (Disposal itself never
trusts this: it derives each recording again from the rows.)

Storage is what the store holds for a unit: the originals not disposed of, their viewing copies
and the filed documents. The projection adds, month by month for a year, the average monthly
intake of the last six months and takes away what expires by then (as if disposed of when due).

Scope: a unit's device administrator and head see their unit and those below; engineering
supervision, the office leader, ICT (who plans the storage) and the console see every unit."""

from __future__ import annotations

from bisect import bisect_right
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from lawcam.authz import Action, Actor, Role
from lawcam.documents.models import Document
from lawcam.errors import NotFound
from lawcam.evidence.models import Disposition, Recording, ViewingCopy
from lawcam.org.models import Unit
from lawcam.org.queries import unit_scope
from lawcam.retention import queries
from lawcam.retention.models import RetentionState
from lawcam.timeutil import shanghai_day_start, today_shanghai

if TYPE_CHECKING:  # the type only: effective reaches evidence.retention, which writes
    from lawcam.retention.effective import Retention

# Who sees every unit: besides the office-wide readers of retention, ICT, who plans the storage.
WHOLE = queries.WHOLE_OFFICE | {Role.ICT}
CHUNK = 500  # ids per IN list
HISTORY_MONTHS = 6  # the intake averaged
AHEAD_MONTHS = 12  # the projection


@dataclass(frozen=True)
class Amount:
    count: int = 0
    size: int = 0  # bytes: the originals and their viewing copies

    def __sub__(self, other: Amount) -> Amount:
        return Amount(self.count - other.count, self.size - other.size)


@dataclass
class ExpiringRow:
    """One unit: what is past its date and not yet disposed of, what expires within each
    window (days from today, the windows nested), and what is kept without end."""

    unit_id: int
    unit: str
    overdue: Amount = Amount()
    within: dict[int, Amount] = field(default_factory=dict)
    indefinite: Amount = Amount()


@dataclass(frozen=True)
class Expiring:
    today: date
    days: tuple[int, ...]
    rows: list[ExpiringRow]
    total: ExpiringRow


@dataclass
class StorageRow:
    unit_id: int
    unit: str
    recordings: int = 0  # bytes of originals not disposed of
    copies: int = 0
    documents: int = 0
    monthly: float = 0.0  # average bytes a month over the last HISTORY_MONTHS
    expiring: int = 0  # bytes that expire within AHEAD_MONTHS (or already have)

    @property
    def used(self) -> int:
        return self.recordings + self.copies + self.documents

    @property
    def projected(self) -> int:
        """In AHEAD_MONTHS, if the intake goes on and what expires is disposed of."""
        return max(0, round(self.used + self.monthly * AHEAD_MONTHS - self.expiring))


@dataclass(frozen=True)
class Month:
    day: date  # the first day after the month: what expires before it is gone
    projected: int  # bytes
    without_disposal: int


@dataclass(frozen=True)
class Storage:
    today: date
    rows: list[StorageRow]
    total: StorageRow
    months: list[Month]  # today, then each of the AHEAD_MONTHS months


def expiring(
    *,
    session: Session,
    actor: Actor,
    days: Sequence[int],
    unit_id: int | None = None,
    today: date | None = None,
) -> Expiring:
    """What expires within each of ``days`` (Settings.retention_report_days), by unit."""
    scope = _scope(session, actor, unit_id)
    day = today or today_shanghai()
    return _expiring(session, _due(session, scope, _expiring_cuts(day, days)), day, days)


def storage(
    *, session: Session, actor: Actor, unit_id: int | None = None, today: date | None = None
) -> Storage:
    """Storage used now by unit, and projected month by month for AHEAD_MONTHS."""
    scope = _scope(session, actor, unit_id)
    day = today or today_shanghai()
    return _storage(session, scope, _tally(session, scope, _storage_cuts(day), day), day)


def overview(
    *, session: Session, actor: Actor, days: Sequence[int], today: date | None = None
) -> tuple[Expiring, Storage]:
    """Both reports of the retention page from one pass over the recordings."""
    scope = _scope(session, actor, None)
    day = today or today_shanghai()
    tally = _tally(session, scope, [*_expiring_cuts(day, days), *_storage_cuts(day)], day)
    return _expiring(session, tally, day, days), _storage(session, scope, tally, day)


def _expiring_cuts(day: date, days: Sequence[int]) -> list[date]:
    return [day, *(day + timedelta(days=d) for d in days)]


def _storage_cuts(day: date) -> list[date]:
    return [_add_months(day, m) for m in range(1, AHEAD_MONTHS + 1)]


def _expiring(session: Session, tally: _Tally, day: date, days: Sequence[int]) -> Expiring:
    windows = tuple(sorted(set(days)))
    cuts = [day, *(day + timedelta(days=d) for d in windows)]
    found = {uid: [tally.before(uid, cut) for cut in cuts] for uid in tally.dated}
    kept = dict(tally.indefinite)
    names = _names(session, set(found) | set(kept))
    rows = []
    for uid in sorted(names, key=lambda u: (names[u], u)):
        amounts = found.get(uid, [Amount()] * len(cuts))
        row = ExpiringRow(uid, names[uid], amounts[0], indefinite=kept.get(uid, Amount()))
        row.within = {d: amounts[i + 1] - amounts[0] for i, d in enumerate(windows)}
        rows.append(row)
    return Expiring(day, windows, rows, _expiring_total(rows, windows))


def _storage(session: Session, scope: _Scope, tally: _Tally, day: date) -> Storage:
    ahead = _storage_cuts(day)
    used = _used(session, scope, tally)
    intake = _intake(session, scope, tally, day)
    gone = {uid: [tally.before(uid, cut) for cut in ahead] for uid in tally.dated}
    names = _names(session, set(used) | set(intake) | set(gone))
    rows = []
    for uid in sorted(names, key=lambda u: (names[u], u)):
        recordings, copies, documents = used.get(uid, (0, 0, 0))
        row = StorageRow(uid, names[uid], recordings, copies, documents)
        row.monthly = intake.get(uid, 0) / HISTORY_MONTHS
        row.expiring = gone[uid][-1].size if uid in gone else 0
        rows.append(row)
    total = _storage_total(rows)
    months = [Month(day, total.used, total.used)]
    for index, cut in enumerate(ahead):
        expired = sum(g[index].size for g in gone.values())
        grown = total.used + total.monthly * (index + 1)
        months.append(Month(cut, max(0, round(grown - expired)), round(grown)))
    return Storage(day, rows, total, months)


@dataclass(frozen=True)
class Candidate:
    """One recording of the dry run, with the facts a reader checks it by."""

    retention: Retention
    start_at: datetime
    size: int
    name: str


def with_facts(session: Session, found: Sequence[Retention]) -> list[Candidate]:
    """The dry run's recordings (``disposal.candidates``) with the facts a reader checks them by."""
    facts: dict[int, tuple[datetime, int, str]] = {}
    ids = [r.recording_id for r in found]
    columns = (Recording.id, Recording.start_at, Recording.corrected_start_at, Recording.size)
    for start in range(0, len(ids), CHUNK):
        stmt = select(*columns, Recording.original_name)
        stmt = stmt.where(Recording.id.in_(ids[start : start + CHUNK]))
        for rid, started, corrected, size, name in session.execute(stmt):
            facts[rid] = (corrected or started, size, name)
    return [Candidate(r, *facts[r.recording_id]) for r in found]


# The reads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """The units the actor may count (None: every unit)."""

    unit_ids: frozenset[int] | None

    def of(self, column: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[bool]:
        return true() if self.unit_ids is None else column.in_(self.unit_ids)


def _scope(session: Session, actor: Actor, unit_id: int | None) -> _Scope:
    actor.require(Action.RETENTION_REPORT)
    whole = actor.console or bool(actor.roles & WHOLE)
    if unit_id is not None:
        known = session.get(Unit, unit_id) is not None
        if not known or not (whole or queries.unit_allowed(session, actor, unit_id)):
            raise NotFound("未找到该单位，或不在您的管辖范围内。")
        return _Scope(frozenset({unit_id}))
    if whole:
        return _Scope(None)
    if actor.unit_id is None:
        return _Scope(frozenset())
    return _Scope(frozenset(unit_scope(session, actor.unit_id)))


@dataclass
class _Bucket:
    count: int = 0
    originals: int = 0  # bytes
    copies: int = 0  # bytes of their viewing copies

    def add(self, count: int, originals: int | None, copies: int | None) -> None:
        self.count += int(count)
        self.originals += int(originals or 0)
        self.copies += int(copies or 0)


@dataclass
class _Tally:
    """The recordings not disposed of, by unit: those kept to a date bucketed by the cuts
    (bucket i: before cuts[i] and not before the earlier cuts; the last: none of them), and
    those kept without end; and the bytes of every original (disposed of since or not)
    ingested in the HISTORY_MONTHS up to the day."""

    cuts: list[date]
    dated: dict[int, list[_Bucket]] = field(default_factory=dict)
    kept: dict[int, _Bucket] = field(default_factory=dict)
    intake: dict[int, int] = field(default_factory=dict)  # bytes of originals ingested lately

    def before(self, unit_id: int, cut: date) -> Amount:
        """The recordings of the unit kept to a date before ``cut`` (one of the cuts)."""
        buckets = self.dated[unit_id][: self.cuts.index(cut) + 1]
        return Amount(sum(b.count for b in buckets), sum(b.originals + b.copies for b in buckets))

    @property
    def indefinite(self) -> dict[int, Amount]:
        return {uid: Amount(b.count, b.originals + b.copies) for uid, b in self.kept.items()}


def _tally(session: Session, scope: _Scope, cuts: Sequence[date], day: date) -> _Tally:
    """One pass over the recordings for every figure of both reports: a GROUP BY on the unit,
    whether disposed of (an outer join, not a subquery per recording), kept without end,
    ingested lately, and the bucket of the effective date."""
    ordered = sorted(set(cuts))
    start, end = (shanghai_day_start(d) for d in _history(day))
    fresh = and_(Recording.ingested_at >= start, Recording.ingested_at < end)
    effective = case(
        (RetentionState.recording_id.is_(None), Recording.retain_until),
        else_=RetentionState.retain_until,
    )
    rows = (
        select(
            Recording.unit_id.label("unit_id"),
            case((Disposition.id.is_(None), 0), else_=1).label("gone"),
            case((fresh, 1), else_=0).label("fresh"),
            func.coalesce(RetentionState.indefinite, False).label("kept"),
            effective.label("until"),  # bucketed here: cheaper than a CASE of every cut a row
            Recording.size.label("size"),
            ViewingCopy.size.label("copy"),
        )
        .outerjoin(RetentionState, RetentionState.recording_id == Recording.id)
        .outerjoin(ViewingCopy, ViewingCopy.recording_id == Recording.id)
        .outerjoin(Disposition, Disposition.recording_id == Recording.id)
        .where(scope.of(Recording.unit_id))
        .subquery()
    )
    keys = (rows.c.unit_id, rows.c.gone, rows.c.fresh, rows.c.kept, rows.c.until)
    sums = (func.count(), func.sum(rows.c.size), func.sum(rows.c.copy))
    tally = _Tally(ordered)
    for uid, gone, new, kept, until, count, originals, copies in session.execute(
        select(*keys, *sums).group_by(*keys)
    ):
        if new:
            tally.intake[uid] = tally.intake.get(uid, 0) + int(originals or 0)
        if gone:
            continue
        if kept:  # every bucket of the dates they also carry
            into = tally.kept.setdefault(uid, _Bucket())
        else:
            into = tally.dated.setdefault(uid, _buckets(ordered))[bisect_right(ordered, until)]
        into.add(count, originals, copies)
    return tally


def _due(session: Session, scope: _Scope, cuts: Sequence[date]) -> _Tally:
    """The _Tally of the recordings kept to a date before the last cut, read by ranges of that
    date (recording: (unit_id, retain_until); retention_state: retain_until), and of those kept
    without end; no intake. A unit with none before the last cut keeps its row (of noughts)
    when it holds any recording kept to a date."""
    ordered = sorted(set(cuts))
    units = sorted(session.scalars(select(Unit.id).where(scope.of(Unit.id))))
    promised = _due_rows(Recording.retain_until, ordered, Recording.unit_id.in_(units))
    promised = promised.select_from(Recording).where(~_stated())
    stated = _due_rows(RetentionState.retain_until, ordered, scope.of(Recording.unit_id))
    stated = stated.select_from(RetentionState).join(
        Recording, Recording.id == RetentionState.recording_id
    )
    tally = _Tally(ordered)
    for stmt in (promised, stated):
        rows = stmt.outerjoin(ViewingCopy, ViewingCopy.recording_id == Recording.id).subquery()
        keys = (rows.c.unit_id, rows.c.kept, rows.c.bucket)
        sums = (func.count(), func.sum(rows.c.size), func.sum(rows.c.copy))
        for uid, kept, index, count, originals, copies in session.execute(
            select(*keys, *sums).group_by(*keys)
        ):
            if kept:
                into = tally.kept.setdefault(uid, _Bucket())
            else:
                into = tally.dated.setdefault(uid, _buckets(ordered))[index]
            into.add(count, originals, copies)
    for uid in session.scalars(select(Unit.id).where(Unit.id.in_(units), _holds_dated())):
        tally.dated.setdefault(uid, _buckets(ordered))
    return tally


def _buckets(ordered: Sequence[date]) -> list[_Bucket]:
    return [_Bucket() for _ in ordered] + [_Bucket()]


def _stated() -> ColumnElement[bool]:
    return exists().where(RetentionState.recording_id == Recording.id)


def _due_rows(
    until: InstrumentedAttribute[date], ordered: Sequence[date], scoped: ColumnElement[bool]
) -> Select[tuple[int, bool, int, int, int | None]]:
    """Rows (unit, kept without end, bucket, size, copy size) not disposed of: kept to a date
    before the last cut, or (by a state) kept without end."""
    window: ColumnElement[bool] = until < ordered[-1]
    kept: ColumnElement[bool] = false()
    if until is RetentionState.retain_until:
        kept = RetentionState.indefinite.is_(True)
        window = or_(kept, and_(RetentionState.indefinite.is_(False), window))
    bucket = case(*((until < cut, i) for i, cut in enumerate(ordered)), else_=len(ordered))
    return select(
        Recording.unit_id.label("unit_id"),
        kept.label("kept"),
        bucket.label("bucket"),
        Recording.size.label("size"),
        ViewingCopy.size.label("copy"),
    ).where(scoped, window, ~exists().where(Disposition.recording_id == Recording.id))


def _holds_dated() -> ColumnElement[bool]:
    """The unit holds a recording not disposed of and not kept without end."""
    kept = exists().where(
        RetentionState.recording_id == Recording.id, RetentionState.indefinite.is_(True)
    )
    return exists().where(
        Recording.unit_id == Unit.id,
        ~kept,
        ~exists().where(Disposition.recording_id == Recording.id),
    )


def _used(session: Session, scope: _Scope, tally: _Tally) -> dict[int, tuple[int, int, int]]:
    """Bytes held by unit: originals not disposed of, their viewing copies, documents."""
    found: dict[int, list[int]] = {}
    for uid, buckets in [*tally.dated.items(), *((u, [b]) for u, b in tally.kept.items())]:
        held = found.setdefault(uid, [0, 0, 0])
        held[0] += sum(b.originals for b in buckets)
        held[1] += sum(b.copies for b in buckets)
    documents = (
        select(Document.unit_id, func.sum(Document.size))
        .where(scope.of(Document.unit_id))
        .group_by(Document.unit_id)
    )
    for uid, total in session.execute(documents):
        found.setdefault(uid, [0, 0, 0])[2] = int(total or 0)
    return {uid: (a, b, c) for uid, (a, b, c) in found.items()}


def _history(day: date) -> tuple[date, date]:
    """The months up to the day, the day included: the intake averaged."""
    tomorrow = day + timedelta(days=1)
    return _add_months(tomorrow, -HISTORY_MONTHS), tomorrow


def _intake(session: Session, scope: _Scope, tally: _Tally, day: date) -> dict[int, int]:
    """Bytes that came in over the _history of the day (Beijing time), by unit: every original
    ingested (disposed of since or not; counted by _tally), viewing copy made, document filed."""
    start, end = (shanghai_day_start(d) for d in _history(day))
    copies = (
        select(Recording.unit_id, func.sum(ViewingCopy.size))
        .join(Recording, Recording.id == ViewingCopy.recording_id)
        .where(scope.of(Recording.unit_id), ViewingCopy.made_at >= start, ViewingCopy.made_at < end)
        .group_by(Recording.unit_id)
    )
    documents = (
        select(Document.unit_id, func.sum(Document.size))
        .where(scope.of(Document.unit_id), Document.filed_at >= start, Document.filed_at < end)
        .group_by(Document.unit_id)
    )
    found = dict(tally.intake)
    for stmt in (copies, documents):
        for uid, total in session.execute(stmt):
            found[uid] = found.get(uid, 0) + int(total or 0)
    return found


def _names(session: Session, unit_ids: set[int]) -> dict[int, str]:
    if not unit_ids:
        return {}
    stmt = select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))
    return {uid: name for uid, name in session.execute(stmt)}


def _expiring_total(rows: Sequence[ExpiringRow], windows: Sequence[int]) -> ExpiringRow:
    def add(amounts: Sequence[Amount]) -> Amount:
        return Amount(sum(a.count for a in amounts), sum(a.size for a in amounts))

    total = ExpiringRow(0, "合计", add([r.overdue for r in rows]))
    total.within = {d: add([r.within[d] for r in rows]) for d in windows}
    total.indefinite = add([r.indefinite for r in rows])
    return total


def _storage_total(rows: Sequence[StorageRow]) -> StorageRow:
    total = StorageRow(0, "合计")
    for row in rows:
        total.recordings += row.recordings
        total.copies += row.copies
        total.documents += row.documents
        total.monthly += row.monthly
        total.expiring += row.expiring
    return total


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier); the month's last day when it has fewer."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))
