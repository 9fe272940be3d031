"""Times are stored in UTC and shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def shanghai_day_start(day: date) -> datetime:
    """The first instant of a Shanghai calendar day, as an aware UTC datetime: what a user means
    by a date typed into a filter."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(UTC)


def local(dt: datetime | None) -> str:
    if dt is None:
        return ""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
