"""In-system notices (消息, the inbox): one row per person, written for many people in one INSERT
and each audited (``custody:notification:create``) in the caller's transaction. Custody sends
through here (a fault report to the unit heads, R16.1), and so does compliance (each step of a
finding's review, 第十八条), which sits above custody and may import it; the table stays where it
was. Nobody is sent a notice of their own action."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Actor, Role
from lawcam.custody.models import Notification
from lawcam.custody.types import CustodyEvent
from lawcam.org.models import Person, RoleAssignment
from lawcam.timeutil import utcnow

TEXT_MAX = 1000  # Notification.text
LINK_MAX = 200  # Notification.link


@dataclass(frozen=True)
class Notice:
    person_id: int
    text: str
    link: str = ""


def send(session: Session, actor: Actor, notices: Iterable[Notice]) -> list[Notification]:
    """Each notice written once per person (the first for a person wins: someone who is both
    the person concerned and a unit head is told once), never to the actor."""
    now, seen, rows = utcnow(), set[int](), list[Notification]()
    for notice in notices:
        if notice.person_id == actor.person_id or notice.person_id in seen:
            continue
        seen.add(notice.person_id)
        rows.append(
            Notification(
                person_id=notice.person_id, text=notice.text[:TEXT_MAX],
                link=notice.link[:LINK_MAX], created_at=now,
            )
        )  # fmt: skip
    if not rows:
        return rows
    session.add_all(rows)
    session.flush()  # one INSERT for all of them (the ids come back for the audit entries)
    for note in rows:
        after = {"person_id": note.person_id, "text": note.text}
        record(session, actor, CustodyEvent.NOTIFIED, ("notification", note.id), None, after)
    return rows


def unit_heads(session: Session, unit_id: int | None) -> list[int]:
    """The active heads of the unit (not of the units above it)."""
    if unit_id is None:
        return []
    return _holders(session, [Role.UNIT_HEAD], RoleAssignment.unit_id == unit_id)


def role_holders(session: Session, roles: Iterable[Role]) -> list[int]:
    """The active holders of office-wide roles (engineering supervision, the security
    administrator, the auditor), whatever unit they sit in."""
    return _holders(session, roles)


def _holders(session: Session, roles: Iterable[Role], *where: ColumnElement[bool]) -> list[int]:
    stmt = (
        select(RoleAssignment.person_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(
            RoleAssignment.role.in_([str(r) for r in roles]),
            RoleAssignment.revoked_at.is_(None),
            Person.is_active.is_(True),
            *where,
        )
        .order_by(RoleAssignment.person_id)
        .distinct()
    )
    return list(session.scalars(stmt))
