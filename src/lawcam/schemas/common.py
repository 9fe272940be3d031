"""Input types every route and form shares, so that nothing the database cannot hold reaches it:
ids and offsets within PostgreSQL's BIGINT, counts within INTEGER, days and moments within the
supported range, and text without NUL (PostgreSQL refuses it) or lone surrogates (not UTF-8).

Filters and forms take 1970-01-01 … 2999-12-31; a device's own clock (``device_time``, a file's
``mtime``) may be wildly off, so it gets 1900 … 2200 (a file's time is kept as a 64-bit count of
nanoseconds, which ends in 2262)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import AfterValidator, BaseModel, field_validator
from pydantic_core import PydanticCustomError

from lawcam.timeutil import SHANGHAI

BIGINT_MAX = 2**63 - 1
INTEGER_MAX = 2**31 - 1
FIRST_YEAR = 1970
LAST_YEAR = 2999
DEVICE_FIRST_YEAR = 1900
DEVICE_LAST_YEAR = 2200

Id = Annotated[int, Interval(ge=1, le=BIGINT_MAX)]
Offset = Annotated[int, Interval(ge=0, le=BIGINT_MAX)]
Count = Annotated[int, Interval(ge=0, le=INTEGER_MAX)]
Integer = Annotated[int, Interval(ge=-INTEGER_MAX, le=INTEGER_MAX)]
Number = Annotated[float, Interval(ge=-1e15, le=1e15)]
Year = Annotated[int, Interval(ge=FIRST_YEAR, le=LAST_YEAR)]


def _years(value: date, first: int, last: int) -> None:
    if not first <= value.year <= last:
        raise PydanticCustomError(
            "date_range", "须在 {first}—{last} 年之间", {"first": first, "last": last}
        )


def _day(value: date) -> date:
    _years(value, FIRST_YEAR, LAST_YEAR)
    return value


def _moment(value: datetime, first: int = FIRST_YEAR, last: int = LAST_YEAR) -> datetime:
    # Checked on the instant in Shanghai too: 2999-12-31T23:00-08:00 is already the year 3000.
    _years(value, first, last)
    _years(value.astimezone(SHANGHAI) if value.tzinfo else value, first, last)
    return value


def _device_moment(value: datetime) -> datetime:
    return _moment(value, DEVICE_FIRST_YEAR, DEVICE_LAST_YEAR)


Day = Annotated[date, AfterValidator(_day)]
Moment = Annotated[datetime, AfterValidator(_moment)]
DeviceMoment = Annotated[datetime, AfterValidator(_device_moment)]


def storable(text: str) -> bool:
    """True when the database can keep the text as given: no NUL, valid UTF-8."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        if not storable(value):
            raise PydanticCustomError("text_unstorable", "含有空字符或无效字符")
    elif isinstance(value, list | tuple | set):
        for item in value:
            _clean(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _clean(key)
            _clean(item)
    return value


Clean = AfterValidator(_clean)


class In(BaseModel):
    """Base of every request body: no field's text may hold NUL or invalid characters."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _clean(value)


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None
    offset: int | None = None  # a resumable upload: where the workstation continues


class ErrorOut(BaseModel):
    """The one error shape of the API (web/errors.py)."""

    error: ErrorDetail
