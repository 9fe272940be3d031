"""Issue 13, seen 2 and 8, in the services: 三员分立 (DESIGN "Interfaces"), workstation tokens
restricted in the Actor, temporary passwords, sessions ended by a password change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lawcam.authz import WORKSTATION_ACTIONS, Action, Actor, Role
from lawcam.errors import Conflict, Forbidden
from lawcam.org import accounts
from lawcam.org.models import Account, ApiToken, LoginSession
from tests.factories import PASSWORD, build_office

TEMPORARY = "Temporary-Pass-4821!"


def actor_of(database, username: str, *, workstation: bool = False) -> Actor:  # type: ignore[no-untyped-def]
    with database.read() as session:
        account = session.scalars(select(Account).where(Account.username == username)).one()
        return accounts.actor_for(account, "api", workstation=workstation)


def test_a_token_actor_may_only_ingest(database, settings, console) -> None:
    """Seen 2: a token had its account's full powers; now the Actor itself is restricted, so
    every existing permission check applies to it."""
    office = build_office(database, settings, console)
    for role in Role:
        actor = actor_of(database, office.user(role), workstation=True)
        assert actor.actions <= WORKSTATION_ACTIONS
        assert actor.can(Action.EVIDENCE_INGEST) == (role is Role.DEVICE_ADMIN)
        assert not actor.can(Action.RECORDING_VIEW) and not actor.can(Action.AUDIT_READ)


def test_sysadmin_mints_no_token_for_anyone(database, settings, console) -> None:
    office = build_office(database, settings, console)
    sysadmin = actor_of(database, office.user("sysadmin"))
    for role in ("auditor", "unit_head", "device_admin", "sysadmin"):
        with pytest.raises(Forbidden), database.unit_of_work() as session:
            accounts.create_token(
                session=session, actor=sysadmin, account_id=office.accounts[role], name="x"
            )


def test_device_admin_mints_own_token_only(database, settings, console) -> None:
    office = build_office(database, settings, console)
    admin = actor_of(database, office.user("device_admin"))
    with database.unit_of_work() as session:
        token, _ = accounts.create_token(
            session=session, actor=admin, account_id=office.accounts["device_admin"], name="站"
        )
        assert token.account_id == office.accounts["device_admin"]
    with pytest.raises(Forbidden), database.unit_of_work() as session:
        accounts.create_token(
            session=session, actor=admin, account_id=office.accounts["spare"], name="x"
        )


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_only_secadmin_resets_or_deactivates_the_three_roles(
    database, settings, console, role: str
) -> None:
    """Seen 2: the sysadmin reset the auditor's password and logged in as them."""
    office = build_office(database, settings, console)
    sysadmin = actor_of(database, office.user("sysadmin"))
    secadmin = actor_of(database, office.user("secadmin"))
    target = office.accounts[role]
    with pytest.raises(Forbidden, match="安全管理员"), database.unit_of_work() as session:
        accounts.reset_password(
            session=session,
            actor=sysadmin,
            settings=settings,
            account_id=target,
            password=TEMPORARY,
        )
    with pytest.raises(Forbidden), database.unit_of_work() as session:
        accounts.set_account_active(
            session=session, actor=sysadmin, account_id=target, active=False
        )
    if role == "secadmin":
        with pytest.raises(Conflict), database.unit_of_work() as session:
            accounts.reset_password(
                session=session,
                actor=secadmin,
                settings=settings,
                account_id=target,
                password=TEMPORARY,
            )
        return
    with database.unit_of_work() as session:
        account = accounts.reset_password(
            session=session,
            actor=secadmin,
            settings=settings,
            account_id=target,
            password=TEMPORARY,
        )
        assert account.must_change_password


def test_initial_and_reset_passwords_are_temporary(database, settings, console) -> None:
    office = build_office(database, settings, console)
    with database.read() as session:
        assert not session.get_one(Account, office.accounts["officer"]).must_change_password
    with database.unit_of_work() as session:
        account = accounts.reset_password(
            session=session,
            actor=console,
            settings=settings,
            account_id=office.accounts["officer"],
            password=TEMPORARY,
        )
        assert account.must_change_password
    sysadmin = actor_of(database, office.user("sysadmin"))
    with database.unit_of_work() as session:
        made = accounts.create_account(
            session=session,
            actor=sysadmin,
            settings=settings,
            person_id=office.people["other_unit_officer"],
            username="newbie",
            password=TEMPORARY,
            must_change=False,  # only the console may waive the change
        )
        assert made.must_change_password


def test_tokens_revoked_by_reset_and_deactivation_stay_revoked(database, settings, console) -> None:
    office = build_office(database, settings, console)
    account_id = office.accounts["device_admin"]
    with database.unit_of_work() as session:
        _, first = accounts.create_token(
            session=session, actor=console, account_id=account_id, name="一"
        )
        accounts.reset_password(
            session=session,
            actor=console,
            settings=settings,
            account_id=account_id,
            password=TEMPORARY,
        )
        _, second = accounts.create_token(
            session=session, actor=console, account_id=account_id, name="二"
        )
        accounts.set_account_active(
            session=session, actor=console, account_id=account_id, active=False
        )
        accounts.set_account_active(
            session=session, actor=console, account_id=account_id, active=True
        )
    with database.read() as session:
        assert accounts.resolve_token(session=session, plain=first) is None
        assert accounts.resolve_token(session=session, plain=second) is None
        live = session.scalars(
            select(ApiToken).where(ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None))
        ).all()
        assert live == []


def test_a_password_change_ends_the_other_sessions(database, settings, console) -> None:
    """Seen 8: changing one's password left one's other sessions alive."""
    office = build_office(database, settings, console)
    with database.unit_of_work() as session:
        account = session.get_one(Account, office.accounts["ict"])
        _, kept = accounts.start_session(session=session, account=account)
        _, other = accounts.start_session(session=session, account=account)
        kept_id, other_id = kept.id, other.id
    actor = actor_of(database, office.user("ict"))
    with database.unit_of_work() as session:
        accounts.change_own_password(
            session=session,
            actor=actor,
            settings=settings,
            old=PASSWORD,
            new="Chosen-Secret-7305!",
            keep_login_id=kept_id,
        )
    with database.read() as session:
        assert session.get_one(LoginSession, kept_id).ended_at is None
        assert session.get_one(LoginSession, other_id).ended_at is not None
