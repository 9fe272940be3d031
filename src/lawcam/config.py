"""Settings: the home directory, the database and the rule thresholds.

``load_settings`` reads them from the environment (prefix ``LAWCAM_``) so that a test, the
CLI's ``--home`` and a deployment all configure the same object; ``Settings(...)`` alone takes
only what it is given. A value that cannot be used is refused in Chinese, naming its variable
(docs/operations.md lists them all).

Read with the standard library, not pydantic: every command reads the settings before anything
else, and ``lawcam verify`` cannot start hashing until it has (pydantic-settings took about a
fifth of a second to import).
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from lawcam.errors import InvalidInput

SECRET_KEY_FILE = "secret_key"
DEFAULT_HOME = Path("./lawcam-data")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value not in _TRUE | _FALSE:
        raise ValueError(text)
    return value in _TRUE


def _text(text: str) -> str | None:
    return text.strip() or None


def _setting(
    default: Any,
    parse: Callable[[str], Any],
    *,
    low: float | None = None,
    high: float | None = None,
) -> Any:
    """A dataclass field with how to read it from its environment variable and its range."""
    return field(default=default, metadata={"parse": parse, "low": low, "high": high})


class _FromEnvironment:
    """Reading and range-checking shared by the settings classes."""

    ENV_PREFIX = "LAWCAM_"

    def __post_init__(self) -> None:
        for spec in dataclasses.fields(self):  # type: ignore[arg-type]
            low, high = spec.metadata.get("low"), spec.metadata.get("high")
            value = getattr(self, spec.name)
            if (low is not None and value < low) or (high is not None and value > high):
                bounds = f"在 {low} 到 {high} 之间" if high is not None else f"不小于 {low}"
                raise InvalidInput(
                    f"设置 {self.ENV_PREFIX}{spec.name.upper()} 的值 {value} 超出范围（应{bounds}）。",
                    field=spec.name,
                )

    @classmethod
    def from_environment(cls, **given: Any) -> Any:
        values = dict(given)
        for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
            name = f"{cls.ENV_PREFIX}{spec.name.upper()}"
            parse = spec.metadata.get("parse")
            if spec.name in values or parse is None or name not in os.environ:
                continue
            try:
                values[spec.name] = parse(os.environ[name])
            except ValueError:
                raise InvalidInput(
                    f"环境变量 {name} 的值“{os.environ[name]}”无法识别，请检查（见运维手册的设置表）。",
                    field=spec.name,
                ) from None
        return cls(**values)


@dataclass
class PasswordPolicy(_FromEnvironment):
    """Password rules; defaults follow common graded-protection (等保) practice."""

    ENV_PREFIX = "LAWCAM_PASSWORD_"

    min_length: int = _setting(8, int, low=6, high=128)
    min_classes: int = _setting(3, int, low=1, high=4)


@dataclass
class Settings(_FromEnvironment):
    home: Path = _setting(DEFAULT_HOME, Path)  # noqa: RUF009 (a field(), not a shared default)
    database_url: str | None = _setting(None, _text)
    session_idle_minutes: int = _setting(30, int, low=1)
    lockout_failures: int = _setting(5, int, low=1)
    lockout_minutes: int = _setting(15, int, low=1)
    secure_cookies: bool = _setting(False, _flag)  # set true behind TLS
    # The address staff use to reach the server: printed into the QR codes of asset labels.
    base_url: str = _setting("http://127.0.0.1:8000", str.strip)
    # R11.1: the pre-use check at checkout; a failed check needs the administrator's reason.
    checkout_min_battery_pct: int = _setting(80, int, low=0, high=100)
    checkout_min_free_hours: float = _setting(8.0, float, low=0)
    checkout_max_clock_offset_s: float = _setting(30.0, float, low=0)
    # R6.1: a device under repair still counts toward the ratio for this many days.
    repair_count_days: int = _setting(30, int, low=0, high=3650)
    # Where originals are kept: file:///path (default: <home>/objects) or
    # s3://bucket?endpoint=http://host:8333 (Object Lock COMPLIANCE).
    storage_url: str | None = _setting(None, _text)
    # R11.2: at upload, a device clock further than this from the workstation's is flagged.
    ingest_max_clock_offset_s: float = _setting(30.0, float, low=0)
    # R14.1: recordings must reach the workstation within this many hours of their end.
    upload_deadline_hours: int = _setting(24, int, low=1)
    # R14.2: originals are kept at least this many calendar years from recording.
    retention_years: int = _setting(2, int, low=2, high=100)
    # Signed tree heads of the audit log at this interval while the server runs (0: only on
    # demand: ``lawcam audit sth``, the auditor's page, ``lawcam verify``).
    tree_head_minutes: int = _setting(60, int, low=0)
    password: PasswordPolicy = field(default_factory=PasswordPolicy)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'lawcam.db').resolve()}"

    @property
    def resolved_storage_url(self) -> str:
        if self.storage_url:
            return self.storage_url
        return (self.home / "objects").resolve().as_uri()

    @property
    def upload_spool(self) -> Path:
        """Where remote uploads collect their bytes before they are verified and stored."""
        return self.home / "uploads"

    @cached_property
    def secret_key(self) -> str:
        """The key that signs session cookies; created on first use, mode 0600."""
        path = self.home / SECRET_KEY_FILE
        if not path.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


def load_settings(home: Path | None = None) -> Settings:
    """The settings from the environment; ``home`` (the CLI's ``--home``) wins over it."""
    given: dict[str, Any] = {"password": PasswordPolicy.from_environment()}
    if home is not None:
        given["home"] = home
    settings: Settings = Settings.from_environment(**given)
    return settings
