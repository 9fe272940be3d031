"""Helpers shared by the HTML page routers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from lawcam.web.deps import Auth


def render(
    request: Request, template: str, auth: Auth | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    templates = request.app.state.templates
    context.setdefault("error", None)
    context.setdefault("notice", request.query_params.get("notice"))
    response: HTMLResponse = templates.TemplateResponse(
        request, template, {"auth": auth, **context}, status_code=status_code
    )
    return response


def redirect(url: str) -> RedirectResponse:
    """Post/redirect/get: 303 so that the browser fetches the next page with GET."""
    return RedirectResponse(url, status_code=303)


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
