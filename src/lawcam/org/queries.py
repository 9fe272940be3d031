"""Reads, with permission inside the query: a list never shows what a detail page refuses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session, selectinload

from lawcam.authz import Action, Actor
from lawcam.errors import NotFound
from lawcam.org.models import Account, ApiToken, Person, Unit
from lawcam.org.types import AccountState

T = TypeVar("T")


def unit_scope(session: Session, unit_id: int) -> set[int]:
    """A unit and all units below it."""
    children: dict[int | None, list[int]] = {}
    for uid, parent in session.execute(select(Unit.id, Unit.parent_id)):
        children.setdefault(parent, []).append(uid)
    scope, todo = set(), [unit_id]
    while todo:
        current = todo.pop()
        if current not in scope:
            scope.add(current)
            todo.extend(children.get(current, []))
    return scope


def permitted(session: Session, stmt: Select[T], actor: Actor, action: Action) -> Select[T]:
    """The rows of ``stmt`` (units, people or accounts) the actor may see for ``action``.

    Every role may see the office's list of units and the account manager every account;
    people are what is restricted by unit: the supervising divisions see all, a unit's own
    roles their unit and the units below it."""
    if not actor.can(action):
        return stmt.where(false())
    if stmt.column_descriptions[0]["entity"] is not Person or actor.org_wide:
        return stmt
    if actor.unit_id is None:
        return stmt.where(false())
    return stmt.where(Person.unit_id.in_(unit_scope(session, actor.unit_id)))


def list_units(*, session: Session, actor: Actor, include_inactive: bool = False) -> Sequence[Unit]:
    stmt = permitted(session, select(Unit), actor, Action.UNIT_VIEW).options(
        selectinload(Unit.zones)
    )
    if not include_inactive:
        stmt = stmt.where(Unit.is_active.is_(True))
    return session.scalars(stmt.order_by(Unit.id)).all()


def get_unit(*, session: Session, actor: Actor, unit_id: int) -> Unit:
    stmt = permitted(session, select(Unit).where(Unit.id == unit_id), actor, Action.UNIT_VIEW)
    unit = session.scalars(stmt).one_or_none()
    if unit is None:
        raise NotFound("未找到该单位。")
    return unit


def list_people(
    *,
    session: Session,
    actor: Actor,
    unit_id: int | None = None,
    query: str | None = None,
    include_inactive: bool = False,
    officers_only: bool = False,
) -> Sequence[Person]:
    stmt = permitted(session, select(Person), actor, Action.PERSON_VIEW).options(
        selectinload(Person.role_assignments), selectinload(Person.unit)
    )
    if unit_id is not None:
        stmt = stmt.where(Person.unit_id == unit_id)
    if query:
        stmt = stmt.where(Person.name.contains(query) | Person.badge.contains(query))
    if not include_inactive:
        stmt = stmt.where(Person.is_active.is_(True))
    if officers_only:
        stmt = stmt.where(Person.is_officer.is_(True))
    return session.scalars(stmt.order_by(Person.unit_id, Person.id)).all()


def get_person(*, session: Session, actor: Actor, person_id: int) -> Person:
    stmt = permitted(
        session, select(Person).where(Person.id == person_id), actor, Action.PERSON_VIEW
    )
    person = session.scalars(stmt).one_or_none()
    if person is None:
        raise NotFound("未找到该人员。")
    return person


def list_accounts(*, session: Session, actor: Actor) -> Sequence[Account]:
    actor.require(Action.ACCOUNT_VIEW)
    stmt = permitted(session, select(Account), actor, Action.ACCOUNT_VIEW).options(
        selectinload(Account.person)
    )
    return session.scalars(stmt.order_by(Account.id)).all()


def is_locked(account: Account, now: datetime) -> bool:
    """Locked by repeated failed logins until ``locked_until`` (the lock lifts by itself)."""
    return account.locked_until is not None and account.locked_until > now


def search_accounts(
    *, session: Session, actor: Actor, text: str, state: AccountState | None, now: datetime
) -> Sequence[Account]:
    """The accounts whose username or holder's name contains ``text``, in the given state."""
    found = list_accounts(session=session, actor=actor)
    wanted = text.strip().lower()
    if wanted:
        found = [a for a in found if wanted in a.username or wanted in a.person.name.lower()]
    return found if state is None else [a for a in found if in_state(a, state, now)]


def in_state(account: Account, state: AccountState, now: datetime) -> bool:
    """A locked account may also be deactivated: it is then both locked and inactive."""
    if state is AccountState.LOCKED:
        return is_locked(account, now)
    if state is AccountState.INACTIVE:
        return not account.is_active
    return account.is_active and not is_locked(account, now)


def get_account(*, session: Session, actor: Actor, account_id: int) -> Account:
    stmt = permitted(
        session, select(Account).where(Account.id == account_id), actor, Action.ACCOUNT_VIEW
    )
    account = session.scalars(stmt).one_or_none()
    if account is None:
        raise NotFound("未找到该账号。")
    return account


def list_tokens(*, session: Session, actor: Actor, account_id: int) -> Sequence[ApiToken]:
    get_account(session=session, actor=actor, account_id=account_id)
    stmt = select(ApiToken).where(ApiToken.account_id == account_id).order_by(ApiToken.id)
    return session.scalars(stmt).all()


def unit_by_name(session: Session, name: str) -> Unit | None:
    return session.scalars(select(Unit).where(Unit.name == name.strip())).one_or_none()


def person_by_badge(session: Session, badge: str) -> Person | None:
    return session.scalars(select(Person).where(Person.badge == badge.strip())).one_or_none()
