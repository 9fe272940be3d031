"""Login and logout shared by the page and the API."""

from __future__ import annotations

from fastapi import Response
from sqlalchemy.orm import Session

from lawcam.config import Settings
from lawcam.errors import Unauthenticated
from lawcam.org import accounts
from lawcam.org.models import LoginSession
from lawcam.web.security import SESSION_COOKIE, sign_session_key


def log_in(
    *, session: Session, settings: Settings, username: str, password: str
) -> tuple[LoginSession | None, str | None, str | None]:
    """Returns (login, cookie value, error). Failed attempts are audited and committed by the
    caller's unit of work, so the caller must *return* the error, not raise it."""
    result = accounts.authenticate(
        session=session, settings=settings, username=username, password=password
    )
    if result.account is None:
        return None, None, result.error
    key, login = accounts.start_session(session=session, account=result.account)
    return login, sign_session_key(settings.secret_key, key), None


def set_session_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )


def log_out(*, session: Session, login: LoginSession | None, response: Response) -> None:
    if login is None:
        raise Unauthenticated("请先登录。")
    accounts.end_session(session=session, login=login)
    response.delete_cookie(SESSION_COOKIE, path="/")
