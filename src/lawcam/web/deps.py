"""Request dependencies: the database session (one unit of work per request) and the actor."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.db.engine import ReadOnlySession, commit
from lawcam.errors import Forbidden, LawcamError, Unauthenticated
from lawcam.org import accounts
from lawcam.storage import BlobStore
from lawcam.timeutil import utcnow
from lawcam.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    same_token,
    unsign_session_key,
)

logger = logging.getLogger("lawcam.web")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(request: Request) -> Iterator[Session]:
    """The request's session. A change (POST, PUT, PATCH, DELETE) is one unit of work: the
    change and its audit rows commit together, before the response is sent
    (``scope="function"``), or roll back together. A read (GET, HEAD) gets a session that
    cannot write and commits nothing (DESIGN principle 7: a read writes nothing)."""
    database = get_database(request)
    context = database.read() if request.method in SAFE_METHODS else database.unit_of_work()
    with context as session:
        yield session


def committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A synchronous endpoint that commits its request's change in its own worker thread,
    before it returns. Left to the session dependency's exit, the commit would wait until
    FastAPI has validated the response model, which takes a worker thread too: with every
    worker waiting for the lock this change holds (SQLite's write lock, PostgreSQL's audit
    lock), nothing would ever commit (seen under bench/load.py on PostgreSQL)."""
    if inspect.iscoroutinefunction(endpoint):
        return endpoint  # async endpoints take no session (DESIGN principle 7)

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        for value in kwargs.values():
            if isinstance(value, Session) and not isinstance(value, ReadOnlySession):
                commit(value)
        return result

    return run


class CommittingRoute(APIRoute):
    """The API's routes: each synchronous endpoint commits before its answer is prepared."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, committing(endpoint), **kwargs)


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Auth:
    actor: Actor
    login_id: int | None = None  # None for API tokens
    csrf_token: str = ""
    must_change_password: bool = False  # a temporary password: only its change is reachable


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def csrf_given(request: Request) -> str | None:
    """The CSRF token a change carries (header, or the form field). Reads no database: the
    form is parsed here, on the event loop, so that the synchronous dependencies need not."""
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


@dataclass(frozen=True)
class _Seen:
    """What was resolved, and the last-seen time to refresh (None: fresh enough)."""

    auth: Auth
    touch: Callable[..., None] | None  # called with session=


def _by_token(session: Session, plain: str) -> _Seen:
    token = accounts.resolve_token(session=session, plain=plain)
    if token is None:
        raise Unauthenticated("API 令牌无效或已吊销。")
    touch = None
    if accounts.stale(token.last_used_at, utcnow()):
        touch = partial(accounts.touch_token, token_id=token.id)
    return _Seen(Auth(accounts.actor_for(token.account, "api", workstation=True)), touch)


def _by_cookie(session: Session, settings: Settings, request: Request) -> _Seen | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    key = unsign_session_key(settings.secret_key, cookie) if cookie else None
    login = accounts.resolve_session(session=session, settings=settings, key=key) if key else None
    if login is None:
        return None
    source = "api" if request.url.path.startswith("/api/") else "web"
    auth = Auth(
        accounts.actor_for(login.account, source),
        login.id,
        login.csrf_token,
        login.account.must_change_password,
    )
    touch = None
    if accounts.stale(login.last_seen_at, utcnow()):
        touch = partial(accounts.touch_session, login_id=login.id)
    return _Seen(auth, touch)


def _touch(database: Database, touch: Callable[..., None]) -> None:
    """A last-seen time, in a short transaction of its own; losing one is harmless (the next
    request a minute later writes it), so a busy database never fails the request."""
    try:
        with database.unit_of_work() as session:
            touch(session=session)
    except (SQLAlchemyError, LawcamError) as exc:
        logger.warning("could not record a last-seen time: %s", exc)


def optional_auth(
    request: Request,
    database: DatabaseDep,
    settings: SettingsDep,
    csrf: Annotated[str | None, Depends(csrf_given)],
) -> Auth | None:
    """Who is asking: a workstation's token or a browser's login, read in a short read-only
    transaction of its own (synchronous: it runs in the thread pool, never on the event loop)."""
    token = _bearer(request)
    with database.read() as session:
        seen = _by_token(session, token) if token else _by_cookie(session, settings, request)
    if seen is None:
        return None
    if seen.touch is not None:
        _touch(database, seen.touch)
    unsafe = request.method not in SAFE_METHODS
    if unsafe and seen.auth.login_id is not None and not same_token(seen.auth.csrf_token, csrf):
        raise Forbidden("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。", code="csrf")
    return seen.auth


OptionalAuth = Annotated[Auth | None, Depends(optional_auth)]


# A workstation's token reaches the ingest routes only (its Actor may only ingest, and these
# are the routes that ingest); a temporary password reaches only what changes it.
WORKSTATION_ROUTES = ("/api/v1/ingest-runs", "/api/v1/uploads")
MUST_CHANGE_ROUTES = frozenset(
    {"/me/password", "/logout", "/api/v1/me", "/api/v1/me/password", "/api/v1/auth/logout"}
)


def _route_path(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))


def required_auth(request: Request, auth: OptionalAuth) -> Auth:
    if auth is None:
        raise Unauthenticated("请先登录。")
    path = _route_path(request)
    if auth.actor.workstation and not path.startswith(WORKSTATION_ROUTES):
        raise Forbidden("工作站令牌只能用于上传音像资料。", action="workstation")
    if auth.must_change_password and path not in MUST_CHANGE_ROUTES:
        raise Forbidden(
            "您的密码是管理员设置的临时密码，须先修改密码才能继续使用。",
            code="password_change_required",
        )
    return auth


AuthDep = Annotated[Auth, Depends(required_auth)]


def current_actor(auth: AuthDep) -> Actor:
    return auth.actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def get_store(request: Request) -> BlobStore:
    store: BlobStore = request.app.state.store
    return store


StoreDep = Annotated[BlobStore, Depends(get_store)]
