"""Accounts, login with lockout, browser sessions and workstation API tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.elements import ColumnElement

from lawcam.audit.service import record
from lawcam.audit.types import AuthEvent
from lawcam.authz import SEPARATED_ROLES, Action, Actor, Role, system_actor
from lawcam.config import Settings
from lawcam.errors import Conflict, Forbidden, InvalidInput, NotFound
from lawcam.org import queries
from lawcam.org.models import Account, ApiToken, LoginFailure, LoginSession, Person
from lawcam.org.passwords import check_policy, dummy_hash, hash_password, verify_password
from lawcam.org.service import clean_name
from lawcam.org.types import OrgEvent
from lawcam.timeutil import utcnow

USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9_.\-]{2,63}$")
TOKEN_PREFIX = "lct_"
BAD_CREDENTIALS = "用户名或密码错误。"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def actor_for(account: Account, source: str, *, workstation: bool = False) -> Actor:
    """The account's actor; through an API token (``workstation``) it may only ingest."""
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
        workstation=workstation,
    )


def _require_manage(actor: Actor, person: Person) -> None:
    """三员分立: the system roles' accounts are the security administrator's to manage, so that
    the system administrator cannot take over the auditor's (or the security administrator's)."""
    if SEPARATED_ROLES & {Role(r) for r in person.active_roles}:
        if not actor.can(Action.SEPARATED_ACCOUNT_MANAGE):
            raise Forbidden(
                "系统管理员、安全管理员、安全审计员的账号由安全管理员管理。",
                action=str(Action.SEPARATED_ACCOUNT_MANAGE),
            )
        return
    actor.require(Action.ACCOUNT_MANAGE)


def may_manage(actor: Actor, account: Account) -> bool:
    """Whether ``actor`` may reset, lock, unlock or (de)activate ``account`` (for pages)."""
    try:
        _require_manage(actor, account.person)
    except Forbidden:
        return False
    return True


def own_words(account: Account) -> list[str]:
    """What a password must not contain and what zxcvbn is told to guess with."""
    person = account.person
    return [w for w in (account.username, person.name, person.badge or "") if w]


def create_account(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    person_id: int,
    username: str,
    password: str,
    must_change: bool = True,
) -> Account:
    """The initial password is temporary (changed at first login); only the console may open an
    account whose password needs no change (demo data, test fixtures)."""
    if not (actor.can(Action.ACCOUNT_MANAGE) or actor.can(Action.SEPARATED_ACCOUNT_MANAGE)):
        actor.require(Action.ACCOUNT_MANAGE)
    person = queries.get_person(session=session, actor=actor, person_id=person_id)
    _require_manage(actor, person)
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
    check_policy(password, settings.password, [name, person.name, person.badge or ""])
    now = utcnow()
    account = Account(
        username=name,
        person_id=person.id,
        password_hash=hash_password(password),
        is_active=True,
        failed_logins=0,
        password_changed_at=now,
        must_change_password=must_change or not actor.console,
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
    _require_manage(actor, account.person)
    return account


def reset_password(
    *, session: Session, actor: Actor, settings: Settings, account_id: int, password: str
) -> Account:
    """The new password is temporary: its holder must change it at the next login, so the one
    who reset it cannot keep using the account. Sessions and API tokens end with it."""
    account = _account_for_change(session, actor, account_id)
    if actor.account_id == account.id:
        raise Conflict("不能重置自己的密码，请使用“修改密码”。")
    check_policy(password, settings.password, own_words(account))
    account.password_hash = hash_password(password)
    account.password_changed_at = utcnow()
    account.must_change_password = True
    _end_sessions(session, account.id)
    revoked = _revoke_tokens(session, actor, account.id)
    session.flush()
    after = {"must_change_password": True, "tokens_revoked": revoked}
    record(session, actor, OrgEvent.ACCOUNT_PASSWORD_RESET, ("account", account.id), None, after)
    return account


def change_own_password(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    old: str,
    new: str,
    keep_login_id: int | None = None,
) -> Account:
    """Ends the account's other sessions (keeps ``keep_login_id``, the one in use)."""
    if actor.account_id is None:
        raise InvalidInput("只有登录账号才能修改自己的密码。")
    account = session.get(Account, actor.account_id)
    if account is None:
        raise NotFound("未找到该账号。")
    if not verify_password(account.password_hash, old):
        raise InvalidInput("原密码不正确。", field="old_password")
    if old == new:
        raise InvalidInput("新密码不能与原密码相同。", field="new_password")
    check_policy(new, settings.password, own_words(account))
    account.password_hash = hash_password(new)
    account.password_changed_at = utcnow()
    account.must_change_password = False
    _end_sessions(session, account.id, keep=keep_login_id)
    session.flush()
    record(session, actor, OrgEvent.ACCOUNT_PASSWORD_CHANGED, ("account", account.id), None, None)
    return account


def unlock_account(*, session: Session, actor: Actor, account_id: int) -> Account:
    account = _account_for_change(session, actor, account_id)
    before = account.snapshot()
    account.locked_until = None
    account.failed_logins = 0
    # Lift the throttling of this user name from every source.
    session.execute(delete(LoginFailure).where(LoginFailure.username == account.username))
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
        # Tokens are revoked, not suspended: reactivating the account does not revive them.
        _end_sessions(session, account.id)
        _revoke_tokens(session, actor, account.id)
    session.flush()
    tag = OrgEvent.ACCOUNT_REACTIVATED if active else OrgEvent.ACCOUNT_DEACTIVATED
    record(session, actor, tag, ("account", account.id), before, account.snapshot())
    return account


@dataclass(frozen=True)
class LoginResult:
    account: Account | None
    error: str | None


@dataclass(frozen=True)
class PasswordCheck:
    """The argon2 verdict on a password against the hash stored when it was read: computed
    outside any write transaction (it takes tens of milliseconds, and on SQLite a writer holds
    the only write lock), then recorded by ``authenticate``."""

    password_hash: str | None
    ok: bool


def stored_hash(*, session: Session, username: str) -> str | None:
    """The password hash of a user name, or None: read, then let go of the session before
    argon2 runs (it takes a quarter of a CPU second and must not hold a connection)."""
    name = (username or "").strip().lower()
    stmt = select(Account.password_hash).where(Account.username == name)
    return session.scalars(stmt).first()


def check_password(stored: str | None, password: str) -> PasswordCheck:
    """The argon2 verdict, outside any transaction. Unknown users cost one argon2 verification
    too, so timing tells nothing."""
    ok = verify_password(stored or dummy_hash(), password) and stored is not None
    return PasswordCheck(stored, ok)


def authenticate(
    *, session: Session, settings: Settings, username: str, check: PasswordCheck, source: str = ""
) -> LoginResult:
    """Record a login attempt whose password was checked by ``check_password``. Failures are
    audited and counted, so the caller must commit even when login fails. ``source`` is the
    client's address: guessing throttles that source, never the account for everyone."""
    name = (username or "").strip().lower()
    account = session.scalars(select(Account).where(Account.username == name)).first()
    now = utcnow()
    # A password changed between the check and now: the check proves nothing about the new one.
    ok = account is not None and check.ok and check.password_hash == account.password_hash
    # Unknown, wrong, throttled or locked: one answer, and argon2 ran in every case, so neither
    # the message nor the time tells whether the account exists or is being guessed.
    if account is None or not ok or _throttled(session, settings, source, name, now):
        return _login_failed(session, settings, account, name, source)
    if account.locked_until is not None and account.locked_until > now:
        return _login_failed(session, settings, account, name, source)
    if not account.is_active or not account.person.is_active:
        return LoginResult(None, "账号已停用，请联系系统管理员。")
    account.failed_logins = 0
    account.last_login_at = now
    failures = delete(LoginFailure).where(
        LoginFailure.username == name, LoginFailure.source == source
    )
    session.execute(failures)
    session.flush()
    record(session, actor_for(account, "web"), AuthEvent.LOGIN_SUCCEEDED, ("account", account.id))
    return LoginResult(account, None)


def _failures_since(
    session: Session, minutes: int, now: datetime, *where: ColumnElement[bool]
) -> int:
    since = now - timedelta(minutes=minutes)
    stmt = select(func.count()).select_from(LoginFailure).where(LoginFailure.at > since, *where)
    return session.scalar(stmt) or 0


def _throttled(session: Session, settings: Settings, source: str, name: str, now: datetime) -> bool:
    """Too many failures from this source for this name, or for any names."""
    same_name = _failures_since(
        session,
        settings.lockout_minutes,
        now,
        LoginFailure.source == source,
        LoginFailure.username == name,
    )
    if same_name >= settings.lockout_failures:
        return True
    any_name = _failures_since(
        session, settings.login_source_minutes, now, LoginFailure.source == source
    )
    return any_name >= settings.login_source_failures


def _login_failed(
    session: Session, settings: Settings, account: Account | None, name: str, source: str
) -> LoginResult:
    now = utcnow()
    session.add(LoginFailure(source=source[:100], username=name[:100], at=now))
    # Old failures count for nothing: drop this source's, so the table stays small.
    keep = max(settings.lockout_minutes, settings.login_source_minutes)
    stale_rows = LoginFailure.source == source, LoginFailure.at < now - timedelta(minutes=keep)
    session.execute(delete(LoginFailure).where(*stale_rows))
    session.flush()
    if account is not None:
        _audit_failure(session, settings, account, name, source, now)
    return LoginResult(None, BAD_CREDENTIALS)


def _audit_failure(
    session: Session, settings: Settings, account: Account, name: str, source: str, now: datetime
) -> None:
    account.failed_logins += 1
    actor = system_actor("login")
    after = {"failed_logins": account.failed_logins, "source": source}
    record(session, actor, AuthEvent.LOGIN_FAILED, ("account", account.id), None, after)
    same_name = LoginFailure.source == source, LoginFailure.username == name
    if _failures_since(session, settings.lockout_minutes, now, *same_name) == (
        settings.lockout_failures
    ):
        # The source, not the account, is held back: the holder can still log in elsewhere.
        throttled = {"source": source, "minutes": settings.lockout_minutes}
        record(session, actor, AuthEvent.ACCOUNT_LOCKED, ("account", account.id), None, throttled)


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


# Last-seen and last-used times are kept to the minute: refreshing them on every request
# would make every read a write (and on SQLite queue every request on the one write lock).
TOUCH_EVERY = timedelta(minutes=1)


def stale(seen: datetime | None, now: datetime) -> bool:
    """Whether a last-seen time is old enough to be written again."""
    return seen is None or now - seen >= TOUCH_EVERY


def _who(entity: type[LoginSession] | type[ApiToken]) -> Any:
    """Every request asks who is behind its cookie or token: the account, person and roles in
    two statements instead of four lazy loads (a tenth of a page's CPU)."""
    through = joinedload(entity.account).joinedload(Account.person)
    return through.selectinload(Person.role_assignments)


def resolve_session(*, session: Session, settings: Settings, key: str) -> LoginSession | None:
    """The live login behind a cookie's key, or None. Writes nothing: the caller records the
    visit with ``touch_session`` when ``stale`` says so, in a transaction of its own."""
    stmt = select(LoginSession).where(LoginSession.key_hash == _digest(key))
    login = session.scalars(stmt.options(_who(LoginSession))).first()
    if login is None or login.ended_at is not None:
        return None
    if utcnow() - login.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        return None
    account = login.account
    if not account.is_active or not account.person.is_active:
        return None
    return login


def touch_session(*, session: Session, login_id: int) -> None:
    """The login was used now (for the idle timeout); not audited, like a web server's log."""
    stmt = update(LoginSession).where(LoginSession.id == login_id, LoginSession.ended_at.is_(None))
    session.execute(stmt.values(last_seen_at=utcnow()))


def touch_token(*, session: Session, token_id: int) -> None:
    stmt = update(ApiToken).where(ApiToken.id == token_id)
    session.execute(stmt.values(last_used_at=utcnow()))


def end_session(*, session: Session, login: LoginSession) -> None:
    login.ended_at = utcnow()
    record(
        session,
        actor_for(login.account, "web"),
        AuthEvent.LOGGED_OUT,
        ("account", login.account_id),
    )


def _end_sessions(session: Session, account_id: int, keep: int | None = None) -> None:
    now = utcnow()
    for login in session.scalars(
        select(LoginSession).where(
            LoginSession.account_id == account_id, LoginSession.ended_at.is_(None)
        )
    ):
        if login.id != keep:
            login.ended_at = now


def _revoke_tokens(session: Session, actor: Actor, account_id: int) -> int:
    live = session.scalars(
        select(ApiToken).where(ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in live:
        token.revoked_at = utcnow()
        session.flush()
        record(
            session, actor, OrgEvent.TOKEN_REVOKED, ("api_token", token.id), None, {"revoked": True}
        )
    return len(live)


def _token_holder(session: Session, actor: Actor, account_id: int) -> Account:
    """A token is a workstation's key: minted by its account holder for themselves when they
    may ingest, or at the server's console; never by an administrator for someone else (it
    would let them act as that person)."""
    if not actor.console and not (
        actor.account_id == account_id
        and actor.can(Action.EVIDENCE_INGEST)
        and not actor.workstation
    ):
        raise Forbidden(
            "工作站令牌只能由有采集权限的账号本人为自己生成，或在服务器控制台生成。",
            action=str(Action.EVIDENCE_INGEST),
        )
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("未找到该账号。")
    if not account.is_active:
        raise Conflict(f"账号 {account.username} 已停用，不能生成令牌。")
    return account


def create_token(
    *, session: Session, actor: Actor, account_id: int, name: str
) -> tuple[ApiToken, str]:
    """A workstation token. The plain token is returned once and never stored."""
    account = _token_holder(session, actor, account_id)
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
    # Its holder may revoke it (a workstation given up); otherwise the account's manager.
    if actor.account_id != token.account_id or actor.workstation:
        _account_for_change(session, actor, token.account_id)
    if token.revoked_at is not None:
        raise Conflict("该令牌已吊销。")
    token.revoked_at = utcnow()
    session.flush()
    record(session, actor, OrgEvent.TOKEN_REVOKED, ("api_token", token.id), None, {"revoked": True})
    return token


def resolve_token(*, session: Session, plain: str) -> ApiToken | None:
    if not plain.startswith(TOKEN_PREFIX):
        return None
    stmt = select(ApiToken).where(ApiToken.token_hash == _digest(plain))
    token = session.scalars(stmt.options(_who(ApiToken))).first()
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.token_hash, _digest(plain)):
        return None
    account = token.account
    if not account.is_active or not account.person.is_active:
        return None
    return token
