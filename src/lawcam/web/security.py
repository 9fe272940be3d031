"""Session cookies and CSRF tokens."""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, Signer

SESSION_COOKIE = "lawcam_session"
LOGIN_CSRF_COOKIE = "lawcam_login_csrf"
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
