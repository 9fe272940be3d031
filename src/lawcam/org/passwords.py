"""Password policy and argon2id hashing."""

from __future__ import annotations

import os
import string
import threading
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

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


def check_policy(password: str, policy: PasswordPolicy, words: Sequence[str] = ()) -> None:
    """Length and classes, then the account's own words (user name, name, badge), then a guess
    estimate (zxcvbn): ``Passw0rd`` or ``Lawcam2026`` for user lawcam pass the classes only."""
    _check_composition(password, policy)
    own = [w.lower() for w in words if w and len(w) >= 3]
    if any(w in password.lower() for w in own):
        raise InvalidInput("密码不能包含用户名、姓名或执法证号。", field="password")
    _check_strength(password, policy, own)


def _check_composition(password: str, policy: PasswordPolicy) -> None:
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


# zxcvbn's patterns in the order they are worth naming; its own feedback is English.
_WEAKNESS = (
    (lambda m: m.get("dictionary_name") == "user_inputs", "含有用户名、姓名或执法证号"),
    (lambda m: m.get("dictionary_name") == "passwords", "是常见密码或与常见密码相似"),
    (lambda m: m["pattern"] in ("date", "regex"), "含有年份或日期"),
    (lambda m: m["pattern"] == "sequence", "含有 abc、1234 之类的顺序字符"),
    (lambda m: m["pattern"] == "repeat", "含有重复的字符"),
    (lambda m: m["pattern"] == "spatial", "含有键盘上相邻按键的排列"),
    (lambda m: m["pattern"] == "dictionary", "主要由常见单词或人名构成"),
)


def _check_strength(password: str, policy: PasswordPolicy, words: list[str]) -> None:
    from zxcvbn import zxcvbn  # loaded only where a password is set (CLI start-up stays short)

    # zxcvbn is slow on very long inputs, and past 100 characters guessing is hopeless anyway.
    result = zxcvbn(password[:100], user_inputs=words)
    if result["score"] >= policy.min_score:
        return
    raise InvalidInput(
        f"密码太容易被猜中（{_weakness(result['sequence'])}），请加长密码，"
        "或加入几个不相关的词语、数字和符号。",
        field="password",
    )


def _weakness(matches: Sequence[Mapping[str, Any]]) -> str:
    for applies, reason in _WEAKNESS:
        if any(applies(m) for m in matches):
            return reason
    return "组合过于简单"


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    # OWASP's argon2id configuration (19 MiB, 2 passes, 1 lane) rather than argon2-cffi's RFC 9106
    # default (64 MiB, 3 passes, 4 lanes): about 40 ms of one core instead of 240 ms. A shift of
    # 100 people logging in within half a minute on the office's 2-core server cost 24 CPU seconds
    # and pushed everyone's pages to seconds (docs/performance.md); lockout and per-source
    # throttling bound online guessing, and this cost still makes an offline guess of a zxcvbn-3
    # password impractical. Hashes keep their own parameters, so older ones still verify; an
    # office with more cores may raise the cost (and a test suite lower it) in the environment.
    memory = int(os.environ.get("LAWCAM_ARGON2_MEMORY_KIB", "19456"))
    time_cost = int(os.environ.get("LAWCAM_ARGON2_TIME_COST", "2"))
    lanes = int(os.environ.get("LAWCAM_ARGON2_PARALLELISM", "1"))
    return PasswordHasher(memory_cost=memory, time_cost=time_cost, parallelism=lanes)


# At most one argon2 computation per core at a time: each takes tens of CPU milliseconds and
# 19 MiB, so a burst of logins (a shift starting) queues here instead of taking every worker
# thread and gigabytes of memory from the people already at work.
_ARGON2_SLOTS = threading.BoundedSemaphore(os.cpu_count() or 1)


def hash_password(password: str) -> str:
    with _ARGON2_SLOTS:
        return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _ARGON2_SLOTS:
            return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Verified against when the username is unknown, so that both cases take the same time."""
    return hash_password("lawcam-no-such-account-Aa1!")
