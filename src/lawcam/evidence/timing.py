"""The regulation's clocks for a recording: corrected times (R11.2), the upload deadline
(R14.1) and the retention date (R14.2)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from lawcam.timeutil import SHANGHAI


def clock_offset(device_time: datetime, workstation_time: datetime) -> float:
    """Seconds the device clock is ahead of the workstation's (negative: behind)."""
    return (device_time - workstation_time).total_seconds()


def corrected(at: datetime, offset_s: float | None) -> datetime | None:
    """A device-clock time put on the workstation's clock; None without a measured offset."""
    if offset_s is None:
        return None
    return at - timedelta(seconds=offset_s)


def upload_deadline(end_at: datetime, hours: int) -> datetime:
    return end_at + timedelta(hours=hours)


def add_years(day: date, years: int) -> date:
    """Calendar years; 29 February moves to 1 March so that the period is never shorter."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def retention_date(start_at: datetime, years: int) -> date:
    """Kept at least ``years`` calendar years from the recording day in Shanghai (R14.2)."""
    return add_years(start_at.astimezone(SHANGHAI).date(), years)
