"""Reads of findings, permission inside the query: the person concerned sees their own; a unit's
device administrator and head, their units'; engineering supervision and the office leader,
all; the security administrator and the auditor, what verify found and refused accesses; nobody
else any. A finding not seen is not found (404)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor, Role
from lawcam.compliance.models import Finding, FindingDocument
from lawcam.compliance.types import FindingStatus, Rule
from lawcam.documents.models import Document
from lawcam.errors import NotFound
from lawcam.org.queries import unit_scope
from lawcam.timeutil import utcnow

T = TypeVar("T")

WHOLE_OFFICE = frozenset({Role.ENGINEERING, Role.OFFICE_LEADER})
UNIT_WIDE = frozenset({Role.DEVICE_ADMIN, Role.UNIT_HEAD})
SECURITY = frozenset({Role.SECADMIN, Role.AUDITOR})
SECURITY_RULES = (str(Rule.TAMPERING), str(Rule.OBJECT_MISSING), str(Rule.ACCESS_DENIED))


def permitted(session: Session, stmt: Select[T], actor: Actor, action: Action) -> Select[T]:
    if not actor.can(action):
        return stmt.where(false())
    return stmt.where(visible(session, actor))


def visible(session: Session, actor: Actor) -> ColumnElement[bool]:
    if actor.console or actor.roles & WHOLE_OFFICE:
        return true()
    allowed: list[ColumnElement[bool]] = []
    if actor.person_id is not None:
        allowed.append(Finding.person_id == actor.person_id)
    if actor.roles & UNIT_WIDE and actor.unit_id is not None:
        allowed.append(Finding.unit_id.in_(unit_scope(session, actor.unit_id)))
    if actor.roles & SECURITY:
        allowed.append(Finding.rule.in_(SECURITY_RULES))
    return or_(*allowed) if allowed else false()


def in_unit_scope(session: Session, actor: Actor, unit_id: int | None) -> bool:
    if actor.console or actor.roles & WHOLE_OFFICE:
        return True
    return (
        unit_id is not None
        and actor.unit_id is not None
        and unit_id in unit_scope(session, actor.unit_id)
    )


@dataclass(frozen=True)
class FindingFilter:
    rule: Rule | None = None
    status: FindingStatus | None = None
    person_id: int | None = None
    unit_id: int | None = None


def list_findings(
    *, session: Session, actor: Actor, where: FindingFilter = FindingFilter(), limit: int = 500
) -> list[Finding]:
    stmt = select(Finding)
    if where.rule is not None:
        stmt = stmt.where(Finding.rule == str(where.rule))
    if where.status is not None:
        stmt = stmt.where(Finding.status == str(where.status))
    if where.person_id is not None:
        stmt = stmt.where(Finding.person_id == where.person_id)
    if where.unit_id is not None:
        stmt = stmt.where(Finding.unit_id == where.unit_id)
    stmt = stmt.order_by(Finding.found_at.desc(), Finding.id.desc()).limit(limit)
    return list(session.scalars(permitted(session, stmt, actor, Action.FINDING_VIEW)))


def get_finding(*, session: Session, actor: Actor, finding_id: int) -> Finding:
    stmt = select(Finding).where(Finding.id == finding_id)
    found = session.scalars(permitted(session, stmt, actor, Action.FINDING_VIEW)).first()
    if found is None:
        raise NotFound("执法过错记录不存在，或您无权查看。")
    return found


def documents_of(session: Session, finding_id: int) -> list[tuple[Document, str]]:
    """A finding's documents with their role (evidence | statement), in the order filed; seen
    by whoever sees the finding (asked after ``get_finding``)."""
    stmt = (
        select(Document, FindingDocument.role)
        .join(FindingDocument, FindingDocument.document_id == Document.id)
        .where(FindingDocument.finding_id == finding_id)
        .order_by(Document.id)
    )
    return [(document, role) for document, role in session.execute(stmt)]


def document_of(session: Session, actor: Actor, finding_id: int, document_id: int) -> Document:
    """One document of a finding the actor sees; not found otherwise."""
    get_finding(session=session, actor=actor, finding_id=finding_id)
    for document, _ in documents_of(session, finding_id):
        if document.id == document_id:
            return document
    raise NotFound("附件不存在，或您无权查看。")


def waiting_decision(session: Session, actor: Actor) -> list[Finding]:
    """Pending findings the actor (a unit head) may decide now: about someone else in their
    units, the person heard (a statement made or its time over)."""
    if not actor.can(Action.FINDING_DECIDE):
        return []
    stmt = select(Finding).where(Finding.status == str(FindingStatus.PENDING))
    if actor.person_id is not None:
        stmt = stmt.where(or_(Finding.person_id.is_(None), Finding.person_id != actor.person_id))
    if not (actor.console or actor.roles & WHOLE_OFFICE):
        if actor.unit_id is None:
            return []
        stmt = stmt.where(Finding.unit_id.in_(unit_scope(session, actor.unit_id)))
    now = utcnow()
    heard = or_(
        Finding.statement_at.is_not(None),
        Finding.statement_due.is_(None),
        Finding.statement_due < now,
    )
    return list(session.scalars(stmt.where(heard).order_by(Finding.found_at).limit(500)))
