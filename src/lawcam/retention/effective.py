"""A recording's effective retention (R14.2, R14.3): the latest of its ingest promise (two years
from the recording day, never before the ingest day + two years), the extensions recorded since,
every linked case (held indefinitely while open or unarchived; once archived, the archive date +
the case file's term; 永久 for ever) and any legal hold (indefinitely).

Reads only. ``derive`` answers for a list of recordings from the rows themselves (the links,
the holds, the ledger of extensions), so that disposal never trusts a cache; ``scan`` walks
every recording that has more than its promise, window by window, for the recomputation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from lawcam.activities.models import ActivityLink
from lawcam.evidence.models import Correction, Recording
from lawcam.evidence.retention import RETAIN_UNTIL_FIELD
from lawcam.retention.models import CaseLink, LegalHold, PenaltyCase
from lawcam.retention.types import PERMANENT
from lawcam.timeutil import add_years

CHUNK = 500  # ids per IN list: well inside SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class CaseFact:
    case_id: int
    number: str
    archived_on: date | None
    term_years: int

    @property
    def indefinite(self) -> bool:
        """Open or unarchived, or archived for ever (永久)."""
        return self.archived_on is None or self.term_years == PERMANENT

    @property
    def until(self) -> date | None:
        if self.indefinite or self.archived_on is None:
            return None
        return add_years(self.archived_on, self.term_years)

    @property
    def why(self) -> str:
        if self.archived_on is None:
            return f"案件 {self.number} 未归档"
        if self.term_years == PERMANENT:
            return f"案件 {self.number} 永久保存"
        return f"案件 {self.number} 归档后 {self.term_years} 年"


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
        found.update(_derive(session, Recording.id.in_(ids[start : start + CHUNK])))
    return found


def scan(session: Session, window: int = 20_000) -> Iterator[Retention]:
    """Every recording whose retention is more than its promise, in id windows: one read of
    the extensions, the links and the holds of each window."""
    top = session.scalar(select(Recording.id).order_by(Recording.id.desc()).limit(1)) or 0
    for low in range(1, top + 1, window):
        where = Recording.id.between(low, low + window - 1)
        yield from _derive(session, where, only_more=True).values()


def _derive(
    session: Session, where: ColumnElement[bool], only_more: bool = False
) -> dict[int, Retention]:
    ledger = _ledger(session, where)
    cases = _cases(session, where)
    holds = _holds(session, where)
    wanted = set(ledger) | set(cases) | set(holds)
    stmt = select(Recording.id, Recording.unit_id, Recording.retain_until).where(where)
    if only_more:
        if not wanted:
            return {}
        stmt = stmt.where(Recording.id.in_(wanted))
    found: dict[int, Retention] = {}
    for rid, unit_id, promise in session.execute(stmt):
        promised = max([promise, *ledger.get(rid, ())])
        retention = Retention(rid, unit_id, promised, promised)
        _apply(retention, cases.get(rid, ()), holds.get(rid, ()))
        found[rid] = retention
    return found


def _apply(retention: Retention, cases: Sequence[CaseFact], holds: Sequence[int]) -> None:
    for case in cases:
        retention.case_ids.add(case.case_id)
        retention.reasons.append(case.why)
        retention.indefinite |= case.indefinite
        if case.until is not None:
            retention.until = max(retention.until, case.until)
    for hold_id in holds:
        retention.hold_ids.append(hold_id)
        retention.reasons.append(f"保全 #{hold_id}")
        retention.indefinite = True


def _ledger(session: Session, where: ColumnElement[bool]) -> dict[int, list[date]]:
    stmt = (
        select(Correction.recording_id, Correction.value)
        .join(Recording, Recording.id == Correction.recording_id)
        .where(where, Correction.field == RETAIN_UNTIL_FIELD)
    )
    found: dict[int, list[date]] = defaultdict(list)
    for rid, value in session.execute(stmt):
        found[rid].append(date.fromisoformat(value))
    return found


def _cases(session: Session, where: ColumnElement[bool]) -> dict[int, list[CaseFact]]:
    found: dict[int, list[CaseFact]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for stmt in (_direct(where), _through_activities(where)):
        for rid, case_id, number, archived_on, years in session.execute(stmt):
            if (rid, case_id) not in seen:  # linked directly and through an activity: once
                seen.add((rid, case_id))
                found[rid].append(CaseFact(case_id, number, archived_on, years))
    return found


_CASE_COLUMNS = (
    PenaltyCase.id,
    PenaltyCase.number,
    PenaltyCase.archived_on,
    PenaltyCase.term_years,
)


def _direct(where: ColumnElement[bool]) -> Select[int, int, str, date | None, int]:
    return (
        select(Recording.id, *_CASE_COLUMNS)
        .join(CaseLink, CaseLink.recording_id == Recording.id)
        .join(PenaltyCase, PenaltyCase.id == CaseLink.case_id)
        .where(where, CaseLink.unlinked_at.is_(None))
    )


def _through_activities(
    where: ColumnElement[bool],
) -> Select[int, int, str, date | None, int]:
    """Every recording of a linked activity, as the activity's links stand now: a recording
    attached to the activity after the case was linked serves the case too."""
    return (
        select(Recording.id, *_CASE_COLUMNS)
        .join(ActivityLink, ActivityLink.recording_id == Recording.id)
        .join(CaseLink, CaseLink.activity_id == ActivityLink.activity_id)
        .join(PenaltyCase, PenaltyCase.id == CaseLink.case_id)
        .where(where, CaseLink.unlinked_at.is_(None), ActivityLink.detached_at.is_(None))
    )


def _holds(session: Session, where: ColumnElement[bool]) -> dict[int, list[int]]:
    stmt = (
        select(LegalHold.recording_id, LegalHold.id)
        .join(Recording, Recording.id == LegalHold.recording_id)
        .where(where, LegalHold.released_at.is_(None))
        .order_by(LegalHold.id)
    )
    found: dict[int, list[int]] = defaultdict(list)
    for rid, hold_id in session.execute(stmt):
        found[rid].append(hold_id)
    return found
