"""What waits on someone in retention, for the home tiles (web.worklist): unlinks for the unit
head, hold releases for another approver, disposal batches for the next approver, approved
batches for the device administrator to run. Reads, scoped like the lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor, Role
from lawcam.retention.models import CaseLink, DisposalBatch, LegalHold, PenaltyCase
from lawcam.retention.queries import in_scope
from lawcam.retention.types import DisposalStatus


def unlinks_to_approve(session: Session, actor: Actor) -> int:
    if not actor.can(Action.CASE_UNLINK_APPROVE):
        return 0
    stmt = (
        select(func.count(CaseLink.id))
        .join(PenaltyCase, PenaltyCase.id == CaseLink.case_id)
        .where(CaseLink.unlink_requested_at.is_not(None), CaseLink.unlinked_at.is_(None))
        .where(PenaltyCase.archived_on.is_(None), in_scope(session, actor, PenaltyCase.unit_id))
    )
    return _count(session, _not_mine(stmt, CaseLink.unlink_requested_by_id, actor))


def hold_releases_to_approve(session: Session, actor: Actor) -> int:
    if not actor.can(Action.HOLD_RELEASE_APPROVE):
        return 0
    stmt = select(func.count(LegalHold.id)).where(
        LegalHold.release_requested_at.is_not(None),
        LegalHold.released_at.is_(None),
        in_scope(session, actor, LegalHold.unit_id),
    )
    return _count(session, _not_mine(stmt, LegalHold.release_requested_by_id, actor))


def batches_to_approve(session: Session, actor: Actor) -> int:
    """The unit head approves a proposed batch; engineering supervision one the head approved."""
    steps = []
    if Role.UNIT_HEAD in actor.roles:
        steps.append(str(DisposalStatus.PROPOSED))
    if Role.ENGINEERING in actor.roles:
        steps.append(str(DisposalStatus.HEAD_APPROVED))
    if not steps or not actor.can(Action.DISPOSAL_APPROVE):
        return 0
    stmt = select(func.count(DisposalBatch.id)).where(
        DisposalBatch.status.in_(steps), in_scope(session, actor, DisposalBatch.unit_id)
    )
    return _count(session, _not_mine(stmt, DisposalBatch.proposed_by_id, actor))


def batches_to_run(session: Session, actor: Actor) -> int:
    if not actor.can(Action.DISPOSAL_PROPOSE):
        return 0
    stmt = select(func.count(DisposalBatch.id)).where(
        DisposalBatch.status == str(DisposalStatus.APPROVED),
        in_scope(session, actor, DisposalBatch.unit_id),
    )
    return _count(session, stmt)


def _not_mine(stmt: Select[int], column: Any, actor: Actor) -> Select[int]:
    """Nobody approves what they asked for themselves."""
    if actor.person_id is None:
        return stmt
    return stmt.where(column.is_(None) | (column != actor.person_id))


def _count(session: Session, stmt: Select[int]) -> int:
    return int(session.scalar(stmt) or 0)
