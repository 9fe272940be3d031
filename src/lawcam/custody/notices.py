"""In-system notices (消息, the inbox): one row per person, written for many people in one INSERT
and audited, each its own entry (``custody:notification:create``, or the sender's), in one more (``record_many``),
in the caller's transaction. Custody sends through here (a fault report to the unit heads,
R16.1), and so does compliance (each step of a finding's review, 第十八条), which sits above
custody and may import it; the table stays where it was. Nobody is sent a notice of their own
action."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.orm import Session

from lawcam.audit.service import Entry, record_many
from lawcam.authz import Actor, Role
from lawcam.custody.models import Notification
from lawcam.custody.types import CustodyEvent
from lawcam.org.models import Person, RoleAssignment, Unit
from lawcam.timeutil import utcnow

TEXT_MAX = 1000  # Notification.text
LINK_MAX = 200  # Notification.link
CHUNK = 1000  # rows per INSERT: 4 parameters each, far under SQLite's 32,766


@dataclass(frozen=True)
class Notice:
    person_id: int
    text: str
    link: str = ""


def send(
    session: Session,
    actor: Actor,
    notices: Iterable[Notice],
    tag: StrEnum | str = CustodyEvent.NOTIFIED,
) -> list[int]:
    """Each notice written once per person (the first for a person wins: someone who is both
    the person concerned and a unit head is told once), never to the actor; their ids.
    ``tag``: the sending domain's (a finding's notices are compliance's, whoever acted)."""
    now, rows = utcnow(), dict[int, dict[str, Any]]()
    for notice in notices:
        if notice.person_id != actor.person_id:
            rows.setdefault(notice.person_id, {
                "person_id": notice.person_id, "text": notice.text[:TEXT_MAX],
                "link": notice.link[:LINK_MAX], "created_at": now,
            })  # fmt: skip
    made: list[tuple[int, dict[str, Any]]] = []
    values = list(rows.values())
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        # One multi-row INSERT: the ORM's flush writes them one by one on SQLite, which does
        # not promise the order of RETURNING; each person is in it once, so ids map by person.
        stmt = insert(Notification).values(chunk).returning(Notification.person_id, Notification.id)
        ids = {person_id: note_id for person_id, note_id in session.execute(stmt)}
        made += [(ids[row["person_id"]], row) for row in chunk]
    made.sort(key=lambda pair: pair[0])
    record_many(session, actor, [_entry(tag, note_id, row) for note_id, row in made])
    return [note_id for note_id, _ in made]


def _entry(tag: StrEnum | str, note_id: int, row: dict[str, Any]) -> Entry:
    after = {"person_id": row["person_id"], "text": row["text"]}
    return Entry(tag, ("notification", note_id), None, after)


def unit_heads(session: Session, unit_id: int | None) -> list[int]:
    """The active heads of the unit; for a unit with none, those of the nearest unit above it
    that has one (their scope covers the units below: they decide there, so they are told)."""
    seen: set[int] = set()
    while unit_id is not None and unit_id not in seen:
        heads = _holders(session, [Role.UNIT_HEAD], RoleAssignment.unit_id == unit_id)
        if heads:
            return heads
        seen.add(unit_id)
        unit_id = session.scalar(select(Unit.parent_id).where(Unit.id == unit_id))
    return []


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
