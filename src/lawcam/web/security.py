"""Session cookies, CSRF tokens, flash messages and the security headers of every answer."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response
from itsdangerous import BadSignature, Signer, URLSafeSerializer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "lawcam_session"
LOGIN_CSRF_COOKIE = "lawcam_login_csrf"
FLASH_COOKIE = "lawcam_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt="lawcam.session")


def sign_session_key(secret_key: str, key: str) -> str:
    return signer(secret_key).sign(key).decode()


def unsign_session_key(secret_key: str, cookie: str) -> str | None:
    try:
        return signer(secret_key).unsign(cookie).decode()
    except BadSignature:
        return None


def same_token(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def client_source(request: Request) -> str:
    """The client's address, for login throttling. Behind a trusted proxy it is the one the
    proxy reports (uvicorn's proxy headers support rewrites the client before we see it)."""
    return request.client.host if request.client else ""


# Flash messages: what a change reports on the page after its redirect. Carried by a signed
# cookie read once, never by the query string (a link could otherwise put any "system notice"
# on any page), and never written to the database (a GET writes nothing).


def _flash_serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="lawcam.flash")


def set_flash(response: Response, secret_key: str, message: str) -> None:
    value = _flash_serializer(secret_key).dumps(message[:500])
    response.set_cookie(FLASH_COOKIE, value, httponly=True, samesite="strict", path="/")


def read_flash(request: Request, secret_key: str) -> str | None:
    """The message waiting for this page (its response must ``clear_flash``)."""
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return None
    try:
        message = _flash_serializer(secret_key).loads(value)
    except BadSignature:
        return None
    return message if isinstance(message, str) else None


def clear_flash(response: Response) -> None:
    response.delete_cookie(FLASH_COOKIE, path="/", httponly=True, samesite="strict")


SECURITY_HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """Every answer gets the headers above, and pages and API answers ``no-store`` (personal
    data, evidence facts); static assets may be cached. Cookies get ``Secure`` when the request
    came over HTTPS (the scheme after the proxy headers) or ``secure_cookies`` is set."""

    def __init__(self, app: ASGIApp, secure_cookies: bool = False) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = self.secure_cookies or scope.get("scheme") == "https"
        cacheable = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_headers(message["headers"], secure, cacheable)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _with_headers(
    headers: list[tuple[bytes, bytes]], secure: bool, cacheable: bool
) -> list[tuple[bytes, bytes]]:
    names = {name.lower() for name, _ in SECURITY_HEADERS}
    out = [(k, v) for k, v in headers if k.lower() not in names]
    out += SECURITY_HEADERS
    if not cacheable:
        out = [(k, v) for k, v in out if k.lower() != b"cache-control"]
        out.append((b"cache-control", b"no-store"))
    if secure:
        out = [(k, _secure_cookie(v) if k.lower() == b"set-cookie" else v) for k, v in out]
    return out


def _secure_cookie(value: bytes) -> bytes:
    return value if b"; secure" in value.lower() else value + b"; Secure"
