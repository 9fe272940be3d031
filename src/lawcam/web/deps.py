"""Request dependencies: the database session (one unit of work per request) and the actor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.errors import Forbidden, Unauthenticated
from lawcam.org import accounts
from lawcam.org.models import LoginSession
from lawcam.storage import BlobStore
from lawcam.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    same_token,
    unsign_session_key,
)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: the change and its audit rows commit together, before the
    response is sent (``scope="function"``), or roll back together."""
    with get_database(request).unit_of_work() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Auth:
    actor: Actor
    login: LoginSession | None  # None for API tokens

    @property
    def csrf_token(self) -> str:
        return self.login.csrf_token if self.login else ""


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def _csrf_given(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def optional_auth(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Auth | None:
    token = _bearer(request)
    if token is not None:
        account = accounts.resolve_token(session=session, plain=token)
        if account is None:
            raise Unauthenticated("API 令牌无效或已吊销。")
        return Auth(accounts.actor_for(account, "api"), None)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    key = unsign_session_key(settings.secret_key, cookie)
    login = accounts.resolve_session(session=session, settings=settings, key=key) if key else None
    if login is None:
        return None
    source = "api" if request.url.path.startswith("/api/") else "web"
    auth = Auth(accounts.actor_for(login.account, source), login)
    if request.method not in SAFE_METHODS and not same_token(
        login.csrf_token, await _csrf_given(request)
    ):
        raise Forbidden("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。", code="csrf")
    return auth


OptionalAuth = Annotated[Auth | None, Depends(optional_auth)]


def required_auth(auth: OptionalAuth) -> Auth:
    if auth is None:
        raise Unauthenticated("请先登录。")
    return auth


AuthDep = Annotated[Auth, Depends(required_auth)]


def current_actor(auth: AuthDep) -> Actor:
    return auth.actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


DatabaseDep = Annotated[Database, Depends(get_database)]


def get_store(request: Request) -> BlobStore:
    store: BlobStore = request.app.state.store
    return store


StoreDep = Annotated[BlobStore, Depends(get_store)]
