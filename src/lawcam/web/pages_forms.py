"""Shared pieces of the equipment pages (Art. 2–8): form types and parsing of integers,
numbers, dates and choices; label and status-tag maps; money and spec display; and page(),
render() with the labels and helpers every equipment page uses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor
from lawcam.equipment import queries
from lawcam.equipment.models import DeviceModel
from lawcam.equipment.types import (
    SPECIAL_NEEDS,
    Category,
    DeviceStatus,
    Feature,
    ProcurementStatus,
    QualityStatus,
)
from lawcam.errors import InvalidInput, LawcamError
from lawcam.org import queries as org_queries
from lawcam.org.models import Unit
from lawcam.org.types import UnitClass
from lawcam.schemas.common import FIRST_YEAR, INTEGER_MAX, LAST_YEAR, Clean
from lawcam.timeutil import SHANGHAI, utcnow
from lawcam.web.deps import Auth
from lawcam.web.pages_common import render

Text100 = Annotated[str, Form(max_length=100), Clean]
Text20 = Annotated[str, Form(max_length=20), Clean]
Text500 = Annotated[str, Form(max_length=500), Clean]
NUMBER_MAX = 1e15

CATEGORIES = {c.value: c.label for c in Category}
FEATURES = {f.value: f.label for f in Feature}
NEEDS = {f.value: f.label for f in SPECIAL_NEEDS}
STATUSES = {s.value: s.label for s in DeviceStatus}
QUALITY = {q.value: q.label for q in QualityStatus}
PROCUREMENT_STATUSES = {p.value: p.label for p in ProcurementStatus}
CLASS_LABELS = {c.value: c.label for c in UnitClass}
STATUS_TAGS = {
    "in_stock": "plain",
    "in_service": "ok",
    "checked_out": "",
    "faulty": "warn",
    "in_repair": "warn",
    "lost": "bad",
    "scrapped": "off",
}


def yuan(value: Decimal | int | float | None) -> str:
    """Money as the office writes it: 3,280.00 元."""
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f} 元"


def parse_int(value: str, what: str, *, field: str, required: bool = False) -> int | None:
    text = value.strip()
    if not text:
        if required:
            raise InvalidInput(f"请填写{what}。", field=field)
        return None
    try:
        number = int(text)
    except ValueError:
        raise InvalidInput(f"{what}须为整数，而不是“{text}”。", field=field) from None
    return in_range(number, what, field=field)


def in_range(number: int, what: str, *, field: str) -> int:
    """Every integer a form carries fits the database's INTEGER (ids, counts, years)."""
    if abs(number) > INTEGER_MAX:
        raise InvalidInput(f"{what}超出允许范围。", field=field)
    return number


def parse_float(value: str, what: str, *, field: str) -> float | None:
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise InvalidInput(f"{what}须为数字，而不是“{text}”。", field=field) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InvalidInput(f"{what}须为数字，而不是“{text}”。", field=field)
    if abs(number) > NUMBER_MAX:
        raise InvalidInput(f"{what}超出允许范围。", field=field)
    return number


def parse_date(value: str, what: str, *, field: str, required: bool = False) -> date | None:
    text = value.strip()
    if not text:
        if required:
            raise InvalidInput(f"请填写{what}。", field=field)
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{what}格式不正确，应为“年-月-日”，如 2026-11-30。", field=field
        ) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(f"{what}须在 {FIRST_YEAR}—{LAST_YEAR} 年之间。", field=field)
    return day


E = TypeVar("E", Category, DeviceStatus, QualityStatus, Feature)


def parse_choice(kind: type[E], value: str, message: str, *, field: str) -> E:
    try:
        return kind(value.strip())
    except ValueError:
        raise InvalidInput(message, field=field) from None


def this_year() -> int:
    return utcnow().astimezone(SHANGHAI).year


def today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def units_for(session: Session, actor: Actor, action: Action) -> list[Unit]:
    """Active units the actor may act on (or see) for this action."""
    ids = queries.visible_unit_ids(session, actor, action)
    units = org_queries.list_units(session=session, actor=actor)
    return [u for u in units if ids is None or u.id in ids]


def video(model: DeviceModel) -> str:
    if not model.video_width:
        return "—"
    return f"{model.video_width}×{model.video_height}"


def _num(value: float | int | None, unit: str) -> str:
    return "—" if value is None else f"{value:g} {unit}"


def key_specs(model: DeviceModel) -> list[str]:
    """The model's specs in the words of Art. 7."""
    photo = "—" if model.photo_mp is None else f"{model.photo_mp * 100:g} 万像素"
    return [
        f"视频 {video(model)}",
        f"照片 {photo}",
        f"电池 {_num(model.battery_mah, 'mAh')}",
        f"录像 {_num(model.record_hours, '小时')}",
        f"存储 {_num(model.storage_gb, 'GB')}",
        f"防护 {model.ip_rating or '—'}",
    ]


def page(
    request: Request, template: str, auth: Auth, status_code: int = 200, **context: Any
) -> Response:
    """render() with the labels and helpers every equipment page uses."""
    return render(
        request,
        template,
        auth,
        status_code=status_code,
        yuan=yuan,
        categories=CATEGORIES,
        features=FEATURES,
        statuses=STATUSES,
        status_tags=STATUS_TAGS,
        quality=QUALITY,
        procurement_statuses=PROCUREMENT_STATUSES,
        class_labels=CLASS_LABELS,
        key_specs=key_specs,
        video=video,
        **context,
    )


def form_error(exc: LawcamError) -> dict[str, Any]:
    return {
        "status_code": exc.http_status,
        "error": exc.message,
        "error_field": exc.details.get("field"),
    }
