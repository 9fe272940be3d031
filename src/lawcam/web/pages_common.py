"""Helpers shared by the HTML page routers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from lawcam.web.deps import Auth
from lawcam.web.navigation import chrome
from lawcam.web.security import FLASH_COOKIE, clear_flash, read_flash, set_flash


def render(
    request: Request, template: str, auth: Auth | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The page; a flash message waiting from the change before is shown once (never one from
    the query string)."""
    templates = request.app.state.templates
    context.setdefault("error", None)
    context.setdefault("notice", read_flash(request, request.app.state.settings.secret_key))
    if auth is not None and not auth.must_change_password:  # a temporary password: no menus
        context.setdefault("chrome", chrome(request.app.state.database, auth.actor))
    response: HTMLResponse = templates.TemplateResponse(
        request, template, {"auth": auth, **context}, status_code=status_code
    )
    if FLASH_COOKIE in request.cookies:
        clear_flash(response)
    return response


def redirect(url: str) -> RedirectResponse:
    """Post/redirect/get: 303 so that the browser fetches the next page with GET."""
    return RedirectResponse(url, status_code=303)


def flash_redirect(request: Request, url: str, notice: str) -> RedirectResponse:
    """Post/redirect/get with a message for the next page (a signed cookie, read once)."""
    response = redirect(url)
    set_flash(response, request.app.state.settings.secret_key, notice)
    return response


def safe_next(target: str | None) -> str:
    """Only local paths, so a login link cannot send the user to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def discard(session: Session) -> None:
    """A form that failed is shown again with its message; whatever the service had flushed
    before refusing is rolled back first, so nothing is half-written (the request's unit of
    work would otherwise commit it)."""
    session.rollback()
