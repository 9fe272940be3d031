"""Domain errors. Each carries a stable code and a message for the user in Chinese."""

from __future__ import annotations

from typing import Any


class LawcamError(Exception):
    code = "error"
    http_status = 400
    exit_code = 2

    def __init__(self, message_zh: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message_zh)
        self.message = message_zh
        if code is not None:
            self.code = code
        self.details = details


class NotFound(LawcamError):
    code = "not_found"
    http_status = 404


class Forbidden(LawcamError):
    code = "forbidden"
    http_status = 403


class Unauthenticated(LawcamError):
    code = "unauthenticated"
    http_status = 401


class Conflict(LawcamError):
    code = "conflict"
    http_status = 409


class InvalidInput(LawcamError):
    code = "invalid_input"
    http_status = 422


def required_text(value: str | None, what: str, limit: int, field: str | None = None) -> str:
    """The text a person must give (a reason, a statement), stripped; refused in Chinese when
    empty or longer than ``limit`` — never cut short, so nothing typed is silently lost."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"请填写{what}。", field=field or what)
    if len(text) > limit:
        raise InvalidInput(f"{what}过长（最多 {limit} 字）。", field=field or what)
    return text
