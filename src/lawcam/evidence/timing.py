"""The regulation's clocks for a recording: corrected times (R11.2), the upload deadline
(R14.1) and the retention date (R14.2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

# Kept in timeutil so that documents (below evidence) count retention the same way.
from lawcam.timeutil import SHANGHAI
from lawcam.timeutil import add_years as add_years
from lawcam.timeutil import lock_until as lock_until


def clock_offset(device_time: datetime, workstation_time: datetime) -> float:
    """Seconds the device clock is ahead of the workstation's (negative: behind)."""
    return (device_time - workstation_time).total_seconds()


LATEST = datetime.max.replace(tzinfo=UTC)
EARLIEST = datetime.min.replace(tzinfo=UTC)


def shifted(at: datetime, delta: timedelta) -> datetime:
    """``at + delta``, held at the ends of the calendar: a device can claim year 9999, and its
    file must still be stored and flagged, not crash the ingest."""
    try:
        return at + delta
    except OverflowError:
        return LATEST if delta > timedelta(0) else EARLIEST


def corrected(at: datetime, offset_s: float | None) -> datetime | None:
    """A device-clock time put on the workstation's clock; None without a measured offset."""
    if offset_s is None:
        return None
    return shifted(at, -timedelta(seconds=offset_s))


def upload_deadline(end_at: datetime, hours: int) -> datetime:
    return shifted(end_at, timedelta(hours=hours))


def retention_date(start_at: datetime, years: int) -> date:
    """Kept at least ``years`` calendar years from the recording day in Shanghai (R14.2)."""
    try:
        day = start_at.astimezone(SHANGHAI).date()
    except OverflowError:  # within hours of either end of the calendar
        if start_at.year == date.min.year:  # before year 1 in Shanghai: no later than its start
            return add_years(date.min, years)
        return date.max  # the last hours of year 9999 in UTC are past the calendar in Shanghai
    return add_years(day, years)
