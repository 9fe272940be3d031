"""Limits on what a request may carry, checked before any handler runs (one pure ASGI
middleware): a body no larger than its kind allows (JSON, forms, spreadsheet imports), by
Content-Length up front and by counting streamed bytes when there is none; and a path, query
string and urlencoded form without NUL or invalid UTF-8, which the database cannot store.

Upload pieces (``PUT /api/v1/uploads/{id}``) are exempt: that route streams them to disk under
its own maximum."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lawcam.config import Settings
from lawcam.web.errors import error_response

UPLOAD_PIECE = re.compile(r"^/api/v1/uploads/[^/]+/?$")
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
UNSTORABLE = "请求中含有空字符或无效的 UTF-8 字符。"


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes its limit; FastAPI lets an
    HTTPException through body parsing, and the handlers answer 413 in the one error shape."""

    def __init__(self) -> None:
        super().__init__(413)


def storable(raw: bytes) -> bool:
    """True when percent-decoded bytes hold no NUL and are valid UTF-8."""
    data = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class _Kind:
    limit: int
    urlencoded: bool = False


class RequestLimits:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not storable(scope.get("raw_path") or b"") or not storable(scope["query_string"]):
            await error_response(Request(scope), 422, UNSTORABLE)(scope, receive, send)
            return
        if self._exempt(scope):
            await self.app(scope, receive, send)
            return
        kind = self._kind(scope)
        declared = _content_length(scope)
        if declared is not None and declared > kind.limit:
            await error_response(Request(scope), 413)(scope, receive, send)
            return
        if kind.urlencoded:
            await self._form(scope, receive, send, kind.limit)
            return
        await self._counted(scope, receive, send, kind.limit)

    def _exempt(self, scope: Scope) -> bool:
        return scope["method"] == "PUT" and bool(UPLOAD_PIECE.match(scope["path"]))

    def _kind(self, scope: Scope) -> _Kind:
        content_type = _header(scope, b"content-type").lower()
        if content_type.startswith(MULTIPART):
            return _Kind(self.settings.max_multipart_bytes)
        if content_type.startswith(FORM):
            return _Kind(self.settings.max_form_bytes, urlencoded=True)
        return _Kind(self.settings.max_json_bytes)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        started = False
        seen = 0

        async def counting() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, sending)
        except BodyTooLarge:
            if started:
                raise
            await error_response(Request(scope), 413)(scope, receive, send)

    async def _form(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """A urlencoded form is small: read it whole, check it, then hand it on."""
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > limit:
                await error_response(Request(scope), 413)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        if not storable(bytes(body)):
            await error_response(Request(scope), 422, UNSTORABLE)(scope, receive, send)
            return
        await self.app(scope, _replay(bytes(body), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def _content_length(scope: Scope) -> int | None:
    text = _header(scope, b"content-length").strip()
    return int(text) if text.isdigit() and len(text) < 20 else None
