"""Chinese pages: login, logout, own password. Each domain's pages live in its own
folder, web/routers/<domain>/; app.py includes them all."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lawcam.errors import LawcamError
from lawcam.org import accounts
from lawcam.web.deps import AuthDep, DatabaseDep, OptionalAuth, SessionDep, SettingsDep
from lawcam.web.forms import discard, flash_redirect, redirect, render, safe_next
from lawcam.web.login import log_in, log_out, set_session_cookie
from lawcam.web.security import LOGIN_CSRF_COOKIE, client_source, new_token, same_token

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, auth: OptionalAuth, next: str = "/") -> Response:
    if auth is not None:
        return redirect(safe_next(next))
    token = new_token()
    response = render(request, "login.html", None, next=safe_next(next), login_csrf=token)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    database: DatabaseDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=300)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        return _login_again(request, next, "登录页面已过期，请重新输入。")
    outcome = log_in(
        database=database,
        settings=settings,
        username=username,
        password=password,
        source=client_source(request),
    )
    if isinstance(outcome, str):
        return _login_again(request, next, outcome, username=username, status_code=401)
    # A temporary password (initial or reset) is changed before anything else.
    target = "/me/password" if outcome.must_change_password else safe_next(next)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, settings, outcome.cookie)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _login_again(
    request: Request, next: str, error: str, username: str = "", status_code: int = 400
) -> Response:
    token = new_token()
    response = render(
        request,
        "login.html",
        None,
        status_code=status_code,
        next=safe_next(next),
        login_csrf=token,
        error=error,
        username=username,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


@router.post("/logout")
def logout(auth: AuthDep, session: SessionDep) -> Response:
    response = redirect("/login")
    log_out(session=session, login_id=auth.login_id, response=response)
    return response


@router.get("/me/password", response_class=HTMLResponse)
def password_form(request: Request, auth: AuthDep) -> Response:
    return render(request, "password.html", auth)


@router.post("/me/password", response_class=HTMLResponse)
def password_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    old_password: Annotated[str, Form(max_length=300)] = "",
    new_password: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        accounts.change_own_password(
            session=session,
            actor=auth.actor,
            settings=settings,
            old=old_password,
            new=new_password,
            keep_login_id=auth.login_id,
        )
    except LawcamError as exc:
        discard(session)
        return render(
            request, "password.html", auth, status_code=exc.http_status, error=exc.message
        )
    return flash_redirect(request, "/", "密码已修改。")
