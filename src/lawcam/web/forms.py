"""The one helper module of the HTML pages: form field types and the parsing of what a form
carries (integers, numbers, days, choices, lists), each refused with a Chinese message naming
the field; the label and status-tag maps; money and spec display; the lists a form offers
(units, people's role tags); and page(), render() with the labels every equipment page uses.

Routers import this module and the domains, never one another: what two routers share lives
here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor, Role
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
from lawcam.org.models import Person, Unit
from lawcam.org.types import UnitClass
from lawcam.schemas.common import FIRST_YEAR, INTEGER_MAX, LAST_YEAR, Clean
from lawcam.timeutil import SHANGHAI, parse_day, utcnow
from lawcam.web.deps import Auth
from lawcam.web.navigation import chrome
from lawcam.web.security import FLASH_COOKIE, clear_flash, read_flash, set_flash

Text100 = Annotated[str, Form(max_length=100), Clean]
Text20 = Annotated[str, Form(max_length=20), Clean]
Text500 = Annotated[str, Form(max_length=500), Clean]
NUMBER_MAX = 1e15
LIST_SEPARATORS = re.compile(r"[,，、;；\n]+")

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


def parse_int(
    value: str, what: str, *, field: str, required: bool = False, message: str | None = None
) -> int | None:
    """Empty → None (or “请填写…” when required); anything but a whole number → ``message``, by
    default “…须为整数，而不是…”."""
    text = value.strip()
    if not text:
        if required:
            raise InvalidInput(f"请填写{what}。", field=field)
        return None
    try:
        number = int(text)
    except ValueError:
        refusal = message or f"{what}须为整数，而不是“{text}”。"
        raise InvalidInput(refusal, field=field) from None
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
    day = parse_day(text, what, field=field)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(f"{what}须在 {FIRST_YEAR}—{LAST_YEAR} 年之间。", field=field)
    return day


E = TypeVar("E", Category, DeviceStatus, QualityStatus, Feature)


def parse_class(value: str) -> UnitClass | None:
    text = value.strip()
    if not text:
        return None
    try:
        return UnitClass(text)
    except ValueError:
        raise InvalidInput("单位类别只能是“多”“较多”或“较少”。", field="unit_class") from None


def split_list(value: str) -> tuple[str, ...]:
    """A field listing several names (zones …), separated by commas, 、, ; or lines."""
    return tuple(part.strip() for part in LIST_SEPARATORS.split(value) if part.strip())


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


def active_units(session: Session, auth: Auth) -> Sequence[Unit]:
    return org_queries.list_units(session=session, actor=auth.actor)


def unit_names(session: Session, auth: Auth) -> dict[int, str]:
    """Every unit's name by id, the deactivated too (old records name them)."""
    units = org_queries.list_units(session=session, actor=auth.actor, include_inactive=True)
    return {u.id: u.name for u in units}


def role_tags(person: Person) -> list[str]:
    """Role labels of a person, the officer's badge first."""
    labels = [Role.OFFICER.label] if person.is_officer else []
    labels += [Role(r).label for r in person.active_roles]
    return labels


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


# Rendering (post/redirect/get, flash messages) ----------------------------------------


def render(
    request: Request, template: str, auth: Auth | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The page; a flash message waiting from the change before is shown once (never one from
    the query string)."""
    templates = request.app.state.templates
    context.setdefault("error", None)
    context.setdefault("notice", read_flash(request, request.app.state.settings.secret_key))
    if auth is not None and not auth.must_change_password:  # a temporary password: no menus
        context.setdefault("chrome", chrome(request.app.state.database, auth.actor))
    response: HTMLResponse = templates.TemplateResponse(
        request, template, {"auth": auth, **context}, status_code=status_code
    )
    if FLASH_COOKIE in request.cookies:
        clear_flash(response)
    return response


def redirect(url: str) -> RedirectResponse:
    """Post/redirect/get: 303 so that the browser fetches the next page with GET."""
    return RedirectResponse(url, status_code=303)


def flash_redirect(request: Request, url: str, notice: str) -> RedirectResponse:
    """Post/redirect/get with a message for the next page (a signed cookie, read once)."""
    response = redirect(url)
    set_flash(response, request.app.state.settings.secret_key, notice)
    return response


def safe_next(target: str | None) -> str:
    """Only local paths, so a login link cannot send the user to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def discard(session: Session) -> None:
    """A form that failed is shown again with its message; whatever the service had flushed
    before refusing is rolled back first, so nothing is half-written (the request's unit of
    work would otherwise commit it)."""
    session.rollback()
