"""Reads of penalty cases, holds and disposal batches, permission inside the query: the console,
engineering supervision and the office leader see every unit; an officer, a device
administrator and a unit head see their unit's and the units below; nobody else sees any. What
is not seen is not found (404), so a case number of another unit hints nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from lawcam.activities.models import ActivityLink
from lawcam.authz import Action, Actor, Role
from lawcam.errors import NotFound
from lawcam.evidence.models import Disposition
from lawcam.org.models import Unit
from lawcam.org.queries import unit_scope
from lawcam.retention.models import (
    CaseLink,
    DisposalBatch,
    LegalHold,
    PenaltyCase,
)
from lawcam.retention.types import CaseStatus

T = TypeVar("T")

WHOLE_OFFICE = frozenset({Role.ENGINEERING, Role.OFFICE_LEADER})


def permitted(session: Session, stmt: Select[T], actor: Actor, action: Action) -> Select[T]:
    """Rows of ``stmt`` (cases, holds or batches: its first entity's ``unit_id``)."""
    if not actor.can(action):
        return stmt.where(false())
    column = stmt.column_descriptions[0]["entity"].unit_id
    return stmt.where(in_scope(session, actor, column))


def in_scope(session: Session, actor: Actor, column: Any) -> ColumnElement[bool]:
    if actor.console or actor.roles & WHOLE_OFFICE:
        return true()
    if actor.unit_id is None:
        return false()
    return column.in_(unit_scope(session, actor.unit_id))  # type: ignore[no-any-return]


def unit_allowed(session: Session, actor: Actor, unit_id: int) -> bool:
    """Whether a unit that exists is within the actor's scope."""
    if session.get(Unit, unit_id) is None:
        return False
    if actor.console or actor.roles & WHOLE_OFFICE:
        return True
    return actor.unit_id is not None and unit_id in unit_scope(session, actor.unit_id)


@dataclass(frozen=True)
class CaseFilter:
    unit_id: int | None = None
    status: CaseStatus | None = None
    text: str = ""  # in the number, the title or the parties


def list_cases(
    *, session: Session, actor: Actor, where: CaseFilter = CaseFilter(), limit: int = 500
) -> list[PenaltyCase]:
    stmt = select(PenaltyCase).options(selectinload(PenaltyCase.unit))
    if where.unit_id is not None:
        stmt = stmt.where(PenaltyCase.unit_id == where.unit_id)
    if where.status is not None:
        stmt = stmt.where(PenaltyCase.status == str(where.status))
    if where.text:
        like = f"%{where.text}%"
        stmt = stmt.where(
            or_(
                PenaltyCase.number.like(like),
                PenaltyCase.title.like(like),
                PenaltyCase.parties.like(like),
            )
        )
    stmt = stmt.order_by(PenaltyCase.opened_on.desc(), PenaltyCase.id.desc()).limit(limit)
    return list(session.scalars(permitted(session, stmt, actor, Action.CASE_VIEW)))


def get_case(
    *,
    session: Session,
    actor: Actor,
    number: str | None = None,
    case_id: int | None = None,
    action: Action = Action.CASE_VIEW,
) -> PenaltyCase:
    stmt = select(PenaltyCase).options(selectinload(PenaltyCase.links))
    if case_id is not None:
        stmt = stmt.where(PenaltyCase.id == case_id)
    else:
        stmt = stmt.where(PenaltyCase.number == (number or "").strip())
    found = session.scalars(permitted(session, stmt, actor, action)).first()
    if found is None:
        raise NotFound("案件不存在，或您无权查看。")
    return found


def case_number_taken(session: Session, number: str) -> bool:
    """Whether any case (seen or not) has this number: numbers are unique office-wide."""
    stmt = select(PenaltyCase.id).where(PenaltyCase.number == number)
    return session.scalar(stmt) is not None


def live_links(case: PenaltyCase) -> list[CaseLink]:
    return [link for link in case.links if link.unlinked_at is None]


def cases_of_recording(session: Session, recording_id: int) -> list[tuple[PenaltyCase, CaseLink]]:
    """Cases a recording serves directly (through an activity: ``cases_of_activity``)."""
    stmt = (
        select(PenaltyCase, CaseLink)
        .join(CaseLink, CaseLink.case_id == PenaltyCase.id)
        .where(CaseLink.recording_id == recording_id, CaseLink.unlinked_at.is_(None))
        .order_by(PenaltyCase.id)
    )
    return [(case, link) for case, link in session.execute(stmt)]


def cases_of_activity(session: Session, activity_id: int) -> list[tuple[PenaltyCase, CaseLink]]:
    stmt = (
        select(PenaltyCase, CaseLink)
        .join(CaseLink, CaseLink.case_id == PenaltyCase.id)
        .where(CaseLink.activity_id == activity_id, CaseLink.unlinked_at.is_(None))
        .order_by(PenaltyCase.id)
    )
    return [(case, link) for case, link in session.execute(stmt)]


def recordings_of_case_number(session: Session, number: str) -> list[int]:
    """Recordings a case (by its number) keeps through live links: directly and through its
    linked activities. No permission here: access asks by case number across units, and
    answers with its own rule (a request decided by the collecting unit's head)."""
    case = select(PenaltyCase.id).where(PenaltyCase.number == number).scalar_subquery()
    live = (CaseLink.case_id == case) & CaseLink.unlinked_at.is_(None)
    direct = select(CaseLink.recording_id).where(live, CaseLink.recording_id.is_not(None))
    via = (
        select(ActivityLink.recording_id)
        .join(CaseLink, CaseLink.activity_id == ActivityLink.activity_id)
        .where(live, ActivityLink.detached_at.is_(None))
    )
    return sorted({rid for rid in session.scalars(direct.union(via)) if rid is not None})


def get_link(session: Session, case: PenaltyCase, link_id: int) -> CaseLink:
    for link in case.links:
        if link.id == link_id:
            return link
    raise NotFound(f"案件 {case.number} 没有编号为 {link_id} 的关联。")


def list_holds(
    *, session: Session, actor: Actor, live: bool | None = True, recording_id: int | None = None
) -> list[LegalHold]:
    stmt = select(LegalHold)
    if live is not None:
        released = LegalHold.released_at.is_(None)
        stmt = stmt.where(released if live else ~released)
    if recording_id is not None:
        stmt = stmt.where(LegalHold.recording_id == recording_id)
    stmt = stmt.order_by(LegalHold.id.desc())
    return list(session.scalars(permitted(session, stmt, actor, Action.HOLD_PLACE)))


def visible_holds(session: Session, actor: Actor) -> Action:
    """Holds are seen by those who may place them or approve their release."""
    return Action.HOLD_PLACE if actor.can(Action.HOLD_PLACE) else Action.HOLD_RELEASE_APPROVE


def get_hold(*, session: Session, actor: Actor, hold_id: int, action: Action) -> LegalHold:
    stmt = select(LegalHold).where(LegalHold.id == hold_id)
    found = session.scalars(permitted(session, stmt, actor, action)).first()
    if found is None:
        raise NotFound("保全记录不存在，或您无权查看。")
    return found


def batch_action(actor: Actor) -> Action:
    """Batches are seen by whoever may propose them or approve them."""
    if actor.can(Action.DISPOSAL_PROPOSE):
        return Action.DISPOSAL_PROPOSE
    return Action.DISPOSAL_APPROVE


def list_batches(*, session: Session, actor: Actor) -> list[DisposalBatch]:
    stmt = select(DisposalBatch).options(
        selectinload(DisposalBatch.unit), selectinload(DisposalBatch.items)
    )
    stmt = stmt.order_by(DisposalBatch.id.desc())
    return list(session.scalars(permitted(session, stmt, actor, batch_action(actor))))


def get_batch(*, session: Session, actor: Actor, batch_id: int) -> DisposalBatch:
    stmt = select(DisposalBatch).where(DisposalBatch.id == batch_id)
    stmt = stmt.options(selectinload(DisposalBatch.items), selectinload(DisposalBatch.unit))
    found = session.scalars(permitted(session, stmt, actor, batch_action(actor))).first()
    if found is None:
        raise NotFound("销毁批次不存在，或您无权查看。")
    return found


def disposition_of(session: Session, recording_id: int) -> Disposition | None:
    stmt = select(Disposition).where(Disposition.recording_id == recording_id)
    return session.scalars(stmt).first()


def dispositions_of(session: Session, recording_ids: Sequence[int]) -> dict[int, Disposition]:
    if not recording_ids:
        return {}
    stmt = select(Disposition).where(Disposition.recording_id.in_(recording_ids))
    return {row.recording_id: row for row in session.scalars(stmt)}


def disposed_count(session: Session, batch_id: int) -> int:
    stmt = select(func.count()).select_from(Disposition).where(Disposition.batch_id == batch_id)
    return session.scalar(stmt) or 0


def days_from(today: date, until: date | None) -> int | None:
    return None if until is None else (until - today).days
