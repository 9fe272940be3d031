from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

TAG_PATTERN = re.compile(r"^[a-z][a-z_]*:[a-z][a-z_]*:[a-z][a-z_]*$")


class AuthEvent(StrEnum):
    """Tags of the login and account security events (``domain:subject:action``)."""

    LOGIN_SUCCEEDED = "auth:session:login"
    LOGIN_FAILED = "auth:session:login_failed"
    LOGGED_OUT = "auth:session:logout"
    ACCOUNT_LOCKED = "auth:account:lock"


class IntegrityEvent(StrEnum):
    VERIFY_RUN = "audit:verify:run"
    ANCHOR_PRINTED = "audit:anchor:print"


class KeyEvent(StrEnum):
    """The registry of tree-head signing keys (``audit.keys``)."""

    REGISTERED = "audit:signing_key:register"
    RETIRED = "audit:signing_key:retire"


@dataclass(frozen=True)
class AuditFilter:
    tag_prefix: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
