"""Accounts, login with lockout, browser sessions and workstation API tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.audit.types import AuthEvent
from lawcam.authz import Action, Actor, Role, system_actor
from lawcam.config import Settings
from lawcam.errors import Conflict, InvalidInput, NotFound
from lawcam.org import queries
from lawcam.org.models import Account, ApiToken, LoginSession
from lawcam.org.passwords import check_policy, dummy_hash, hash_password, verify_password
from lawcam.org.service import clean_name
from lawcam.org.types import OrgEvent
from lawcam.timeutil import utcnow

USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9_.\-]{2,63}$")
TOKEN_PREFIX = "lct_"
BAD_CREDENTIALS = "用户名或密码错误。"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def actor_for(account: Account, source: str) -> Actor:
    person = account.person
    roles = {Role(r) for r in person.active_roles}
    if person.is_officer:
        roles.add(Role.OFFICER)
    return Actor(
        label=f"{person.name}({account.username})",
        source=source,
        account_id=account.id,
        person_id=person.id,
        unit_id=person.unit_id,
        roles=frozenset(roles),
    )


def create_account(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    person_id: int,
    username: str,
    password: str,
) -> Account:
    actor.require(Action.ACCOUNT_MANAGE)
    person = queries.get_person(session=session, actor=actor, person_id=person_id)
    name = clean_name(username, "用户名", field="username", limit=64).lower()
    if not USERNAME_PATTERN.match(name):
        raise InvalidInput(
            "用户名须以小写字母开头，由小写字母、数字、“_.-”组成，3 至 64 位。", field="username"
        )
    if session.scalars(select(Account).where(Account.username == name)).first() is not None:
        raise Conflict(f"用户名 {name} 已被使用。", field="username")
    if session.scalars(select(Account).where(Account.person_id == person.id)).first() is not None:
        raise Conflict(f"“{person.name}”已有账号。", field="person_id")
    if not person.is_active:
        raise Conflict(f"“{person.name}”已停用，不能开设账号。", field="person_id")
    check_policy(password, settings.password)
    now = utcnow()
    account = Account(
        username=name,
        person_id=person.id,
        password_hash=hash_password(password),
        is_active=True,
        failed_logins=0,
        password_changed_at=now,
        created_at=now,
    )
    session.add(account)
    session.flush()
    record(
        session, actor, OrgEvent.ACCOUNT_CREATED, ("account", account.id), None, account.snapshot()
    )
    return account


def _account_for_change(session: Session, actor: Actor, account_id: int) -> Account:
    account = queries.get_account(session=session, actor=actor, account_id=account_id)
    actor.require(Action.ACCOUNT_MANAGE)
    return account


def reset_password(
    *, session: Session, actor: Actor, settings: Settings, account_id: int, password: str
) -> Account:
    account = _account_for_change(session, actor, account_id)
    check_policy(password, settings.password)
    account.password_hash = hash_password(password)
    account.password_changed_at = utcnow()
    _end_sessions(session, account.id)
    session.flush()
    record(session, actor, OrgEvent.ACCOUNT_PASSWORD_RESET, ("account", account.id), None, None)
    return account


def change_own_password(
    *, session: Session, actor: Actor, settings: Settings, old: str, new: str
) -> Account:
    if actor.account_id is None:
        raise InvalidInput("只有登录账号才能修改自己的密码。")
    account = session.get(Account, actor.account_id)
    if account is None:
        raise NotFound("未找到该账号。")
    if not verify_password(account.password_hash, old):
        raise InvalidInput("原密码不正确。", field="old_password")
    if old == new:
        raise InvalidInput("新密码不能与原密码相同。", field="new_password")
    check_policy(new, settings.password)
    account.password_hash = hash_password(new)
    account.password_changed_at = utcnow()
    session.flush()
    record(session, actor, OrgEvent.ACCOUNT_PASSWORD_CHANGED, ("account", account.id), None, None)
    return account


def unlock_account(*, session: Session, actor: Actor, account_id: int) -> Account:
    account = _account_for_change(session, actor, account_id)
    before = account.snapshot()
    account.locked_until = None
    account.failed_logins = 0
    session.flush()
    record(
        session,
        actor,
        OrgEvent.ACCOUNT_UNLOCKED,
        ("account", account.id),
        before,
        account.snapshot(),
    )
    return account


def set_account_active(*, session: Session, actor: Actor, account_id: int, active: bool) -> Account:
    account = _account_for_change(session, actor, account_id)
    if account.is_active == active:
        raise Conflict(f"账号 {account.username} 已是{'启用' if active else '停用'}状态。")
    if not active and actor.account_id == account.id:
        raise Conflict("不能停用自己正在使用的账号。")
    before = account.snapshot()
    account.is_active = active
    if not active:
        _end_sessions(session, account.id)
    session.flush()
    tag = OrgEvent.ACCOUNT_REACTIVATED if active else OrgEvent.ACCOUNT_DEACTIVATED
    record(session, actor, tag, ("account", account.id), before, account.snapshot())
    return account


@dataclass(frozen=True)
class LoginResult:
    account: Account | None
    error: str | None


def authenticate(
    *, session: Session, settings: Settings, username: str, password: str
) -> LoginResult:
    """Check a password. Failures are audited and counted, so the caller must commit even when
    login fails. Unknown users cost one argon2 verification too, so timing tells nothing."""
    name = (username or "").strip().lower()
    account = session.scalars(select(Account).where(Account.username == name)).first()
    if account is None:
        verify_password(dummy_hash(), password)
        return LoginResult(None, BAD_CREDENTIALS)
    now = utcnow()
    ok = verify_password(account.password_hash, password)
    if account.locked_until is not None and account.locked_until > now:
        return LoginResult(
            None, f"账号已锁定，请于 {settings.lockout_minutes} 分钟后重试或联系系统管理员。"
        )
    if not ok:
        return _login_failed(session, settings, account)
    if not account.is_active or not account.person.is_active:
        return LoginResult(None, "账号已停用，请联系系统管理员。")
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    session.flush()
    record(session, actor_for(account, "web"), AuthEvent.LOGIN_SUCCEEDED, ("account", account.id))
    return LoginResult(account, None)


def _login_failed(session: Session, settings: Settings, account: Account) -> LoginResult:
    account.failed_logins += 1
    actor = system_actor("login")
    record(
        session,
        actor,
        AuthEvent.LOGIN_FAILED,
        ("account", account.id),
        None,
        {"failed_logins": account.failed_logins},
    )
    if account.failed_logins >= settings.lockout_failures:
        account.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes)
        account.failed_logins = 0
        record(
            session,
            actor,
            AuthEvent.ACCOUNT_LOCKED,
            ("account", account.id),
            None,
            {"locked_until": account.locked_until.isoformat()},
        )
        session.flush()
        return LoginResult(
            None, f"连续登录失败次数过多，账号已锁定 {settings.lockout_minutes} 分钟。"
        )
    session.flush()
    return LoginResult(None, BAD_CREDENTIALS)


def start_session(*, session: Session, account: Account) -> tuple[str, LoginSession]:
    """Returns the random key for the cookie; only its hash is stored."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    login = LoginSession(
        key_hash=_digest(key),
        account_id=account.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
    )
    session.add(login)
    session.flush()
    return key, login


def resolve_session(*, session: Session, settings: Settings, key: str) -> LoginSession | None:
    login = session.scalars(
        select(LoginSession).where(LoginSession.key_hash == _digest(key))
    ).first()
    if login is None or login.ended_at is not None:
        return None
    now = utcnow()
    if now - login.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        login.ended_at = now
        return None
    account = login.account
    if not account.is_active or not account.person.is_active:
        return None
    login.last_seen_at = now
    return login


def end_session(*, session: Session, login: LoginSession) -> None:
    login.ended_at = utcnow()
    record(
        session,
        actor_for(login.account, "web"),
        AuthEvent.LOGGED_OUT,
        ("account", login.account_id),
    )


def _end_sessions(session: Session, account_id: int) -> None:
    now = utcnow()
    for login in session.scalars(
        select(LoginSession).where(
            LoginSession.account_id == account_id, LoginSession.ended_at.is_(None)
        )
    ):
        login.ended_at = now


def create_token(
    *, session: Session, actor: Actor, account_id: int, name: str
) -> tuple[ApiToken, str]:
    """A workstation token. The plain token is returned once and never stored."""
    account = _account_for_change(session, actor, account_id)
    label = clean_name(name, "令牌名称（工作站）")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        account_id=account.id,
        name=label,
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        token_hash=_digest(plain),
        created_at=utcnow(),
    )
    session.add(token)
    session.flush()
    record(
        session,
        actor,
        OrgEvent.TOKEN_CREATED,
        ("api_token", token.id),
        None,
        {"account_id": account.id, "name": label, "prefix": token.prefix},
    )
    return token, plain


def revoke_token(*, session: Session, actor: Actor, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("未找到该令牌。")
    _account_for_change(session, actor, token.account_id)
    if token.revoked_at is not None:
        raise Conflict("该令牌已吊销。")
    token.revoked_at = utcnow()
    session.flush()
    record(session, actor, OrgEvent.TOKEN_REVOKED, ("api_token", token.id), None, {"revoked": True})
    return token


def resolve_token(*, session: Session, plain: str) -> Account | None:
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(plain))).first()
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.token_hash, _digest(plain)):
        return None
    account = token.account
    if not account.is_active or not account.person.is_active:
        return None
    token.last_used_at = utcnow()
    return account
