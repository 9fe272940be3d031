"""Login and logout shared by the page and the API."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Response
from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.errors import Unauthenticated
from lawcam.org import accounts
from lawcam.org.models import LoginSession
from lawcam.web.security import SESSION_COOKIE, sign_session_key


@dataclass(frozen=True)
class LoggedIn:
    actor: Actor
    csrf_token: str
    cookie: str
    must_change_password: bool = False


def log_in(
    *, database: Database, settings: Settings, username: str, password: str, source: str = ""
) -> LoggedIn | str:
    """A new login, or the Chinese reason it failed. The password is checked outside any
    write transaction; the attempt (counted and audited, success or not) is then committed in
    one short transaction of its own."""
    with database.read() as session:
        stored = accounts.stored_hash(session=session, username=username)
    check = accounts.check_password(stored, password)  # no connection held meanwhile
    with database.unit_of_work() as session:
        result = accounts.authenticate(
            session=session, settings=settings, username=username, check=check, source=source
        )
        if result.account is None:
            return result.error or accounts.BAD_CREDENTIALS
        key, login = accounts.start_session(session=session, account=result.account)
        actor = accounts.actor_for(result.account, "web")
        cookie = sign_session_key(settings.secret_key, key)
        return LoggedIn(actor, login.csrf_token, cookie, result.account.must_change_password)


def set_session_cookie(response: Response, settings: Settings, value: str) -> None:
    """Secure when ``secure_cookies`` is set; over HTTPS (directly or behind a trusted proxy)
    ``security.SecurityHeaders`` marks every cookie Secure."""
    response.set_cookie(
        SESSION_COOKIE,
        value,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )


def log_out(*, session: Session, login_id: int | None, response: Response) -> None:
    if login_id is None:
        raise Unauthenticated("请先登录。")
    login = session.get(LoginSession, login_id)
    if login is None:
        raise Unauthenticated("请先登录。")
    accounts.end_session(session=session, login=login)
    response.delete_cookie(SESSION_COOKIE, path="/")
