"""What the case page, the recording page and the activity page show of cases and holds (reads
only): a case with its links, the recordings each link covers as they stand now, their effective
retention and the live holds on them; the cases a recording or an activity serves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from lawcam.activities.models import ActivityLink
from lawcam.authz import Action, Actor
from lawcam.evidence.models import Disposition
from lawcam.retention import queries
from lawcam.retention.effective import Retention, derive
from lawcam.retention.models import CaseLink, LegalHold, PenaltyCase


@dataclass(frozen=True)
class LinkRow:
    """One link of a case and the recordings it covers now (an activity's: all of them)."""

    link: CaseLink
    recording_ids: list[int]

    @property
    def live(self) -> bool:
        return self.link.unlinked_at is None


@dataclass(frozen=True)
class CaseView:
    case: PenaltyCase
    links: list[LinkRow]  # live ones first, then the ended, each in link order
    retention: dict[int, Retention]  # every recording a live link covers
    holds: list[LegalHold] = field(default_factory=list)  # live, on those recordings

    @property
    def recording_ids(self) -> list[int]:
        return sorted(self.retention)


def case_view(session: Session, actor: Actor, case: PenaltyCase) -> CaseView:
    """The case as its page reads it; holds only for those who may see holds."""
    links = sorted(case.links, key=lambda made: (made.unlinked_at is not None, made.id))
    covered = _activity_recordings(session, [m.activity_id for m in links if m.activity_id])
    rows = [
        LinkRow(m, [m.recording_id] if m.recording_id else covered.get(m.activity_id or 0, []))
        for m in links
    ]
    ids = {rid for row in rows if row.live for rid in row.recording_ids}
    return CaseView(case, rows, derive(session, ids), _holds(session, actor, ids))


@dataclass(frozen=True)
class Served:
    """A case a recording or an activity serves, and how (directly or through an activity)."""

    case: PenaltyCase
    link: CaseLink


@dataclass(frozen=True)
class RecordingRetention:
    """A recording's effective retention, the cases it serves and the live holds on it."""

    retention: Retention
    cases: list[Served]
    holds: list[LegalHold]
    disposition: Disposition | None = None  # the tombstone, once its original was disposed of


def recording_retention(session: Session, actor: Actor, recording_id: int) -> RecordingRetention:
    retention = derive(session, [recording_id])[recording_id]
    direct = _served(CaseLink.recording_id == recording_id)
    through = (
        select(PenaltyCase, CaseLink)
        .join(CaseLink, CaseLink.case_id == PenaltyCase.id)
        .join(ActivityLink, ActivityLink.activity_id == CaseLink.activity_id)
        .where(
            ActivityLink.recording_id == recording_id,
            ActivityLink.detached_at.is_(None),
            CaseLink.unlinked_at.is_(None),
        )
        .order_by(PenaltyCase.id)
    )
    served = _rows(session, direct) + _rows(session, through)
    holds = _holds(session, actor, [recording_id])
    return RecordingRetention(
        retention, served, holds, queries.disposition_of(session, recording_id)
    )


def activity_cases(session: Session, activity_id: int) -> list[Served]:
    return _rows(session, _served(CaseLink.activity_id == activity_id))


def _served(where: ColumnElement[bool]) -> Select[PenaltyCase, CaseLink]:
    return (
        select(PenaltyCase, CaseLink)
        .join(CaseLink, CaseLink.case_id == PenaltyCase.id)
        .where(where, CaseLink.unlinked_at.is_(None))
        .order_by(PenaltyCase.id)
    )


def _rows(session: Session, stmt: Select[PenaltyCase, CaseLink]) -> list[Served]:
    return [Served(case, made) for case, made in session.execute(stmt)]


def may_see_holds(actor: Actor) -> bool:
    return actor.can(Action.HOLD_PLACE) or actor.can(Action.HOLD_RELEASE_APPROVE)


def _holds(session: Session, actor: Actor, ids: Sequence[int] | set[int]) -> list[LegalHold]:
    if not ids or not may_see_holds(actor):
        return []
    stmt = (
        select(LegalHold)
        .where(
            LegalHold.recording_id.in_(sorted(ids)),
            LegalHold.released_at.is_(None),
            queries.in_scope(session, actor, LegalHold.unit_id),
        )
        .order_by(LegalHold.id)
    )
    return list(session.scalars(stmt))


def _activity_recordings(session: Session, activity_ids: Sequence[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    if not activity_ids:
        return found
    stmt = (
        select(ActivityLink.activity_id, ActivityLink.recording_id)
        .where(
            ActivityLink.activity_id.in_(sorted(set(activity_ids))),
            ActivityLink.detached_at.is_(None),
        )
        .order_by(ActivityLink.recording_id)
    )
    for activity_id, recording_id in session.execute(stmt):
        found[activity_id].append(recording_id)
    return found
