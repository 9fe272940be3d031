"""A recording's effective retention (R14.2, R14.3): the latest of its ingest promise (two years
from the recording day, never before the ingest day + two years), the extensions recorded since,
every linked case (held indefinitely while open or unarchived; once archived, the archive date +
the case file's term; 永久 for ever) and any legal hold (indefinitely).

Reads only. ``derive`` answers for a list of recordings from the rows themselves (the links,
the holds, the ledger of extensions), so that disposal never trusts a cache; ``scan`` walks
every recording that has more than its promise, window by window, with its reasons (verify);
``standing`` answers the same for every recording at once as plain tuples, without reasons,
for the nightly recomputation (bench/retention.py), and a test holds it to ``derive``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVarTuple, cast

from sqlalchemy import BindParameter, ColumnElement, Connection, Row, Select, bindparam, select
from sqlalchemy.orm import QueryableAttribute, Session

from lawcam.activities.models import ActivityLink
from lawcam.evidence.models import Correction, Recording
from lawcam.evidence.retention import RETAIN_UNTIL_FIELD
from lawcam.retention.models import CaseLink, LegalHold, PenaltyCase
from lawcam.retention.types import PERMANENT
from lawcam.timeutil import add_years

CHUNK = 500  # ids per IN list: well inside SQLite's and PostgreSQL's parameter limits
FETCH = 200  # rows asked of the driver at once by ``rows_of`` (bench/retention.py)
_Ts = TypeVarTuple("_Ts")
# Which recordings a read is about, as a condition on a column holding a recording id: each
# table is filtered on its own recording column (its index), never joined to the recordings.
Among = Callable[[QueryableAttribute[Any]], ColumnElement[bool]]


CaseRow = tuple[int, int, str, date | None, int]  # recording, case id, number, archived, years


def _within(ids: Sequence[int]) -> Among:
    return lambda column: column.in_(ids)


def _between(low: int, high: int) -> Among:
    return lambda column: column.between(low, high)


def case_end(archived_on: date | None, term_years: int) -> date | None:
    """How long a linked case keeps a recording: None while the case is open or unarchived, or
    for 永久; otherwise the archive date + the term (29 February: ``add_years``)."""
    if archived_on is None or term_years == PERMANENT:
        return None
    return add_years(archived_on, term_years)


@dataclass(frozen=True)
class CaseFact:
    case_id: int
    number: str
    archived_on: date | None
    term_years: int
    # Worked out once: one fact serves every recording of its case in a read (a recomputation
    # meets each case a dozen times; bench/retention.py).
    indefinite: bool = field(init=False, compare=False)  # open or unarchived, or 永久
    until: date | None = field(init=False, compare=False)  # None while indefinite
    why: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        until = case_end(self.archived_on, self.term_years)
        if self.archived_on is None:
            why = f"案件 {self.number} 未归档"
        elif self.term_years == PERMANENT:
            why = f"案件 {self.number} 永久保存"
        else:
            why = f"案件 {self.number} 归档后 {self.term_years} 年"
        object.__setattr__(self, "indefinite", until is None)
        object.__setattr__(self, "until", until)
        object.__setattr__(self, "why", why)


@dataclass
class Retention:
    """One recording's answer: the dated part (never less than the ledger), whether something
    keeps it beyond any date, and the reasons in words."""

    recording_id: int
    unit_id: int
    promised: date  # the ingest promise and every recorded extension: the ledger
    until: date  # the dated part: the ledger and every archived case's date
    indefinite: bool = False
    reasons: list[str] = field(default_factory=list)
    case_ids: set[int] = field(default_factory=set)
    hold_ids: list[int] = field(default_factory=list)

    @property
    def retain_until(self) -> date | None:
        """The effective retention as users read it: None while kept without end."""
        return None if self.indefinite else self.until

    def expired(self, today: date) -> bool:
        return not self.indefinite and self.until < today


def derive(session: Session, recording_ids: Iterable[int]) -> dict[int, Retention]:
    """The effective retention of each recording, read from the rows, in a few queries per
    ``CHUNK`` of ids."""
    found: dict[int, Retention] = {}
    ids = sorted(set(recording_ids))
    for start in range(0, len(ids), CHUNK):
        found.update(_derive(session, _within(ids[start : start + CHUNK])))
    return found


def scan(session: Session, window: int = 20_000) -> Iterator[Retention]:
    """Every recording whose retention is more than its promise, in id windows: one read of
    the extensions, the direct links and the holds of each window. The links through
    activities are read once, from the cases' side: an activity's links are many (nearly every
    recording has one), the activities linked to a case few, and a window of the activities'
    links would read them all (bench/retention.py)."""
    top = session.scalar(select(Recording.id).order_by(Recording.id.desc()).limit(1)) or 0
    through: dict[int, list[CaseRow]] = defaultdict(list)
    for row in session.execute(_through_activities(None)):
        through[(row[0] - 1) // window].append(row)
    for low in range(1, top + 1, window):
        rows = through.pop((low - 1) // window, [])
        yield from _derive(session, _between(low, low + window - 1), True, rows).values()


def _derive(
    session: Session, among: Among, only_more: bool = False, through: list[CaseRow] | None = None
) -> dict[int, Retention]:
    ledger = _ledger(session, among)
    cases = _cases(session, among, through)
    holds = _holds(session, among)
    wanted = set(ledger) | set(cases) | set(holds)
    stmt = select(Recording.id, Recording.unit_id, Recording.retain_until)
    if only_more:
        if not wanted:
            return {}
        # An expanding parameter: thousands of ids, not thousands of literals to coerce.
        ids: BindParameter[int] = bindparam("wanted", sorted(wanted), expanding=True)
        stmt = stmt.where(among(Recording.id), Recording.id.in_(ids))
    else:
        stmt = stmt.where(among(Recording.id))
    found: dict[int, Retention] = {}
    for rid, unit_id, promise in session.execute(stmt):
        promised = max([promise, *ledger.get(rid, ())])
        retention = Retention(rid, unit_id, promised, promised)
        _apply(retention, cases[rid].values() if rid in cases else (), holds.get(rid, ()))
        found[rid] = retention
    return found


def _apply(retention: Retention, cases: Iterable[CaseFact], holds: Sequence[int]) -> None:
    for case in cases:
        retention.case_ids.add(case.case_id)
        retention.reasons.append(case.why)
        if case.until is None:
            retention.indefinite = True
        elif case.until > retention.until:
            retention.until = case.until
    for hold_id in holds:
        retention.hold_ids.append(hold_id)
        retention.reasons.append(f"保全 #{hold_id}")
        retention.indefinite = True


def _ledger(session: Session, among: Among) -> dict[int, list[date]]:
    stmt = select(Correction.recording_id, Correction.value).where(
        among(Correction.recording_id), Correction.field == RETAIN_UNTIL_FIELD
    )
    found: dict[int, list[date]] = defaultdict(list)
    for rid, value in session.execute(stmt):
        found[rid].append(date.fromisoformat(value))
    return found


def _cases(
    session: Session, among: Among, through: list[CaseRow] | None
) -> dict[int, dict[int, CaseFact]]:
    """Each recording's cases by id, in the order first met (linked directly and through an
    activity: once). ``through``: the rows through activities, already read (``scan``)."""
    found: dict[int, dict[int, CaseFact]] = defaultdict(dict)
    facts: dict[int, CaseFact] = {}
    direct = session.execute(_direct(among))
    indirect = session.execute(_through_activities(among)) if through is None else through
    for rows in (direct, indirect):
        for rid, case_id, number, archived_on, years in rows:
            fact = facts.get(case_id)
            if fact is None:
                fact = facts[case_id] = CaseFact(case_id, number, archived_on, years)
            found[rid].setdefault(case_id, fact)
    return found


_CASE_COLUMNS = (
    PenaltyCase.id,
    PenaltyCase.number,
    PenaltyCase.archived_on,
    PenaltyCase.term_years,
)


def _direct(among: Among) -> Select[int, int, str, date | None, int]:
    stmt = (
        select(CaseLink.recording_id, *_CASE_COLUMNS)
        .join(PenaltyCase, PenaltyCase.id == CaseLink.case_id)
        .where(among(CaseLink.recording_id), CaseLink.unlinked_at.is_(None))
    )
    return cast("Select[int, int, str, date | None, int]", stmt)  # IN / BETWEEN: never NULL


def _through_activities(among: Among | None) -> Select[int, int, str, date | None, int]:
    """Every recording of a linked activity, as the activity's links stand now: a recording
    attached to the activity after the case was linked serves the case too (``among`` None:
    of every linked activity)."""
    stmt = (
        select(ActivityLink.recording_id, *_CASE_COLUMNS)
        .join(CaseLink, CaseLink.activity_id == ActivityLink.activity_id)
        .join(PenaltyCase, PenaltyCase.id == CaseLink.case_id)
        .where(CaseLink.unlinked_at.is_(None), ActivityLink.detached_at.is_(None))
    )
    return stmt if among is None else stmt.where(among(ActivityLink.recording_id))


def _holds(session: Session, among: Among) -> dict[int, list[int]]:
    stmt = (
        select(LegalHold.recording_id, LegalHold.id)
        .where(among(LegalHold.recording_id), LegalHold.released_at.is_(None))
        .order_by(LegalHold.id)
    )
    found: dict[int, list[int]] = defaultdict(list)
    for rid, hold_id in session.execute(stmt):
        found[rid].append(hold_id)
    return found


# One recording's effective retention without its reasons, as ``Retention`` would hold it:
# (promised: the ingest promise and the ledger, until: the dated part, indefinite).
Standing = tuple[date, date, bool]


def standing(session: Session, promises: Mapping[int, date]) -> dict[int, Standing]:
    """Every recording whose retention is more than its promise (as ``scan`` finds them), by
    recording id in order, from one read of each kind of row as plain tuples through Core: the
    cases (id → how long), the live links as (recording, case) directly and through activities,
    the live holds, the ledger. ``promises``: the ingest promises already known (the kept states
    carry them); only the others are read from the wide recording table. The same answers as
    ``derive`` (test_standing.py), which stays the one authority for settling and disposal.
    A pass per fact over whole dictionaries, not a step per recording: 10^5 recordings and more
    (bench/retention.py)."""
    session.flush()  # the reads below go past the session: nothing pending may be missed
    connection = session.connection()
    dated, forever = _linked(connection)
    forever.update(rid for (rid,) in rows_of(connection, _held()))
    extended: dict[int, str] = {}  # per recording, its latest extension (ISO: ordered as text)
    for rid, value in rows_of(connection, _extensions()):
        if value > extended.get(rid, ""):
            extended[rid] = value
    wanted = dated.keys() | forever | extended.keys()
    promised = {rid: day for rid in wanted if (day := promises.get(rid)) is not None}
    promised.update(_promises(connection, sorted(wanted - promised.keys())))
    for rid, value in extended.items():
        if (day := date.fromisoformat(value)) > promised[rid]:
            promised[rid] = day
    until = promised.copy()
    for rid, day in dated.items():
        if day > until[rid]:
            until[rid] = day
    return {rid: (promised[rid], until[rid], rid in forever) for rid in sorted(wanted)}


def _linked(connection: Connection) -> tuple[dict[int, date], set[int]]:
    """Per recording, the latest date of its archived cases; and the recordings in an open or
    unarchived case, or a 永久 one."""
    ends = {
        case_id: case_end(archived_on, years)
        for case_id, archived_on, years in rows_of(
            connection, select(PenaltyCase.id, PenaltyCase.archived_on, PenaltyCase.term_years)
        )
    }
    dated: dict[int, date] = {}
    forever: set[int] = set()
    for rows in (rows_of(connection, _direct_pairs()), rows_of(connection, _through_pairs())):
        for rid, case_id in rows:
            end = ends[case_id]
            if end is None:
                forever.add(rid)
            elif end > dated.get(rid, date.min):
                dated[rid] = end
    return dated, forever


def rows_of(connection: Connection, stmt: Select[*_Ts]) -> Iterator[Row[*_Ts]]:
    """A statement's rows, fetched a batch at a time: iterating a result asks the driver for
    each row alone (``fetchone``), and ``all()`` keeps every row alive at once (the collector
    then walks them again and again); batches cost neither (bench/retention.py)."""
    for batch in connection.execute(stmt).partitions(FETCH):
        yield from batch


def _direct_pairs() -> Select[int, int]:
    stmt = select(CaseLink.recording_id, CaseLink.case_id).where(
        CaseLink.recording_id.is_not(None), CaseLink.unlinked_at.is_(None)
    )
    return cast("Select[int, int]", stmt)  # IS NOT NULL: never NULL


def _through_pairs() -> Select[int, int]:
    """As ``_through_activities``, without the case's columns (read once, by ``standing``)."""
    return (
        select(ActivityLink.recording_id, CaseLink.case_id)
        .join(CaseLink, CaseLink.activity_id == ActivityLink.activity_id)
        .where(CaseLink.unlinked_at.is_(None), ActivityLink.detached_at.is_(None))
    )


def _held() -> Select[int]:
    return select(LegalHold.recording_id).where(LegalHold.released_at.is_(None))


def _extensions() -> Select[int, str]:
    return select(Correction.recording_id, Correction.value).where(
        Correction.field == RETAIN_UNTIL_FIELD
    )


def _promises(connection: Connection, ids: list[int]) -> dict[int, date]:
    """The ingest promise of recordings without a kept state (the lagging new ones, few)."""
    found: dict[int, date] = {}
    for start in range(0, len(ids), CHUNK):
        chunk: BindParameter[int] = bindparam("ids", ids[start : start + CHUNK], expanding=True)
        stmt = select(Recording.id, Recording.retain_until).where(Recording.id.in_(chunk))
        found.update({rid: promise for rid, promise in connection.execute(stmt)})
    return found
