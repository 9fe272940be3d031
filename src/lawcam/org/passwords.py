"""Password policy and argon2id hashing."""

from __future__ import annotations

import os
import string
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lawcam.config import PasswordPolicy
from lawcam.errors import InvalidInput

_ASCII_ALNUM = frozenset(string.ascii_letters + string.digits)
_CLASSES = (
    ("小写字母", set(string.ascii_lowercase)),
    ("大写字母", set(string.ascii_uppercase)),
    ("数字", set(string.digits)),
)


def check_policy(password: str, policy: PasswordPolicy) -> None:
    if len(password) < policy.min_length:
        raise InvalidInput(f"密码长度至少为 {policy.min_length} 位。", field="password")
    if len(password) > 256:
        raise InvalidInput("密码过长（最多 256 位）。", field="password")
    classes = sum(1 for _, chars in _CLASSES if any(c in chars for c in password))
    # Anything else is a "symbol": punctuation, and also Chinese characters and other non-ASCII.
    classes += any(c not in _ASCII_ALNUM for c in password)
    if classes < policy.min_classes:
        raise InvalidInput(
            f"密码须包含大写字母、小写字母、数字、符号中至少 {policy.min_classes} 类。",
            field="password",
        )


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    # Cost is configurable so that a test suite that hashes hundreds of passwords stays fast;
    # production keeps argon2-cffi's RFC 9106 defaults (64 MiB, 3 passes).
    memory = int(os.environ.get("LAWCAM_ARGON2_MEMORY_KIB", "65536"))
    time_cost = int(os.environ.get("LAWCAM_ARGON2_TIME_COST", "3"))
    return PasswordHasher(memory_cost=memory, time_cost=time_cost)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Verified against when the username is unknown, so that both cases take the same time."""
    return hash_password("lawcam-no-such-account-Aa1!")
