"""Times are stored in UTC and shown in Asia/Shanghai."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lawcam.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
# How the office writes a day: 2026-11-30, 2026/11/30, 2026.11.30, 2026年11月30日.
_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


# Set only by ``clock_at``: the demo plays weeks of history through the real services.
_PLAYED_AT: ContextVar[datetime | None] = ContextVar("lawcam_played_at", default=None)


def utcnow() -> datetime:
    """Now in UTC (inside ``clock_at``, the moment it plays)."""
    played = _PLAYED_AT.get()
    return datetime.now(UTC) if played is None else played


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Every change made inside happens at ``moment`` for the services and the audit log, so
    that a demo (or a test) can lay down past weeks of custody as they would have been done.
    Serving never sets it; it holds for the current thread or task only."""
    token = _PLAYED_AT.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _PLAYED_AT.reset(token)


def shanghai_day_start(day: date) -> datetime:
    """The first instant of a Shanghai calendar day, as an aware UTC datetime: what a user means
    by a date typed into a filter."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(UTC)


def today_shanghai() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def check_day_range(
    first: date | None, last: date | None, *, fields: tuple[str, str] = ("from", "to")
) -> None:
    """A range of days typed into a filter that can hold nothing is refused, saying why, rather
    than answered with an empty list that looks like "nothing happened"."""
    if first is not None and last is not None and first > last:
        raise InvalidInput(
            f"起始日期 {first} 晚于截止日期 {last}：请调换两个日期后再查询。", field=fields[0]
        )
    today = today_shanghai()
    if first is not None and first > today:
        raise InvalidInput(
            f"起始日期 {first} 晚于今天（{today}），这段时间还没有记录。", field=fields[0]
        )


def local(dt: datetime | None) -> str:
    if dt is None:
        return ""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def parse_day(
    text: str, what: str = "日期", *, field: str | None = None, loose: bool = False
) -> date:
    """The one reader of a calendar day typed by a person (forms, command line, spreadsheets):
    ISO 8601 (2026-11-30). ``loose`` also takes the ways a spreadsheet cell is written
    (2026/11/30, 2026.11.30, 2026年11月30日). Anything else is refused in Chinese, naming
    ``what`` was wrong (the command line puts what was typed into it: 日期“昨天”)."""
    written = text.strip()
    match = _DAY.match(written) if loose else None
    try:
        if match is not None:
            return date(int(match[1]), int(match[2]), int(match[3]))
        return date.fromisoformat(written)
    except ValueError:
        raise InvalidInput(
            f"{what}格式不正确，应为“年-月-日”，如 2026-11-30。请按 YYYY-MM-DD 填写。",
            field=field,
        ) from None


def add_years(day: date, years: int) -> date:
    """Calendar years; 29 February moves to 1 March so that the period is never shorter.
    Past the calendar's end, the last day there is (kept for ever, in practice)."""
    if day.year + years > date.max.year:
        return date.max
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def lock_until(retain_until: date) -> datetime:
    """The store keeps the object locked through the whole retention day, Shanghai time."""
    if retain_until >= date.max - timedelta(days=1):
        return datetime.combine(date.max, time(), UTC)
    return datetime.combine(retain_until + timedelta(days=1), time(), SHANGHAI).astimezone(UTC)
