"""What waits on the system and security administrators' home pages (issue 14): accounts to
unlock or to hand a temporary password to, people with no account, units with no device
administrator (Art. 9). Scoped by ``queries.permitted`` like the pages they lead to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor, Role
from lawcam.org.models import Account, Person, RoleAssignment, Unit
from lawcam.org.queries import permitted


def _count(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def accounts_locked(*, session: Session, actor: Actor, now: datetime) -> int:
    """Active accounts refused at login until their lock runs out (or an unlock)."""
    stmt = select(Account).where(Account.is_active.is_(True), Account.locked_until > now)
    return _count(session, permitted(session, stmt, actor, Action.ACCOUNT_VIEW))


def accounts_temporary(*, session: Session, actor: Actor) -> int:
    """Active accounts whose holder has not yet replaced the initial or reset password."""
    stmt = select(Account).where(
        Account.is_active.is_(True), Account.must_change_password.is_(True)
    )
    return _count(session, permitted(session, stmt, actor, Action.ACCOUNT_VIEW))


def people_without_account(*, session: Session, actor: Actor) -> int:
    """People in service who cannot sign in: no account was opened for them."""
    has_account = select(Account.id).where(Account.person_id == Person.id).exists()
    stmt = select(Person).where(Person.is_active.is_(True), ~has_account)
    return _count(session, permitted(session, stmt, actor, Action.ACCOUNT_MANAGE))


def units_without_admin(*, session: Session, actor: Actor) -> list[Unit]:
    """Active units with no device administrator (Art. 9: one per unit), for who assigns."""
    has_admin = (
        select(RoleAssignment.id)
        .where(
            RoleAssignment.unit_id == Unit.id,
            RoleAssignment.role == Role.DEVICE_ADMIN.value,
            RoleAssignment.revoked_at.is_(None),
        )
        .exists()
    )
    stmt = select(Unit).where(Unit.is_active.is_(True), ~has_admin).order_by(Unit.id)
    return list(session.scalars(permitted(session, stmt, actor, Action.ROLE_ASSIGN)))
