"""Chinese pages for equipment (Art. 2–8): devices, models and specs, thresholds, special needs,
budgets and procurement, and the ratio and spec-conformance reports.

Thin: parse the form → call the service or query (they check permission) → render.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.audit.queries import events_for_subject
from lawcam.authz import Action, Actor
from lawcam.equipment import procurement as purchasing
from lawcam.equipment import queries, service
from lawcam.equipment.models import DeviceModel
from lawcam.equipment.specs import missing_features, spec_misses
from lawcam.equipment.types import (
    FEATURE_LABELS,
    RATIO_CATEGORIES,
    SPECIAL_NEEDS,
    Category,
    DeviceChanges,
    DeviceIn,
    DeviceStatus,
    EquipmentEvent,
    Feature,
    ModelIn,
    ProcurementIn,
    ProcurementStatus,
    QualityStatus,
    RatioRow,
    Thresholds,
)
from lawcam.errors import InvalidInput, LawcamError
from lawcam.org import queries as org_queries
from lawcam.org.models import Unit
from lawcam.org.types import UnitClass
from lawcam.timeutil import SHANGHAI, utcnow
from lawcam.web.deps import Auth, AuthDep, SessionDep, SettingsDep
from lawcam.web.pages_common import discard, redirect, render

router = APIRouter(include_in_schema=False)

Text100 = Annotated[str, Form(max_length=100)]
Text20 = Annotated[str, Form(max_length=20)]
Text500 = Annotated[str, Form(max_length=500)]

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

EVENT_LABELS: dict[str, str] = {
    EquipmentEvent.MODEL_CREATED: "登记型号",
    EquipmentEvent.MODEL_UPDATED: "修改型号",
    EquipmentEvent.MODEL_QUALITY_SET: "设置质量状态",
    EquipmentEvent.THRESHOLDS_SET: "设置规格阈值",
    EquipmentEvent.NEED_DECLARED: "声明特殊需求",
    EquipmentEvent.NEED_WITHDRAWN: "撤回特殊需求",
    EquipmentEvent.DEVICE_CREATED: "登记设备",
    EquipmentEvent.DEVICE_UPDATED: "修改设备信息",
    EquipmentEvent.DEVICE_STATUS_SET: "变更设备状态",
    EquipmentEvent.BUDGET_SET: "设置预算",
    EquipmentEvent.PROCUREMENT_CREATED: "登记采购",
    EquipmentEvent.PROCUREMENT_APPROVED: "批准采购",
    EquipmentEvent.PROCUREMENT_REJECTED: "驳回采购",
}
DEVICE_FIELDS = {
    "serial": "序列号",
    "asset_no": "资产编号",
    "model_id": "型号编号",
    "unit_id": "单位编号",
    "zone_id": "办案专区编号",
    "status": "状态",
    "commissioned_on": "启用日期",
    "firmware": "固件版本",
    "purchase_price": "购置价格",
    "procurement_id": "采购记录编号",
    "need": "执法需求",
    "reason": "理由",
}


# Parsing and display -------------------------------------------------------------------------


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
        return int(text)
    except ValueError:
        raise InvalidInput(f"{what}须为整数，而不是“{text}”。", field=field) from None


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
    return number


def parse_date(value: str, what: str, *, field: str, required: bool = False) -> date | None:
    text = value.strip()
    if not text:
        if required:
            raise InvalidInput(f"请填写{what}。", field=field)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{what}格式不正确，应为“年-月-日”，如 2026-11-30。", field=field
        ) from None


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


def with_notice(url: str, notice: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}{urlencode({'notice': notice})}"


def form_error(exc: LawcamError) -> dict[str, Any]:
    return {
        "status_code": exc.http_status,
        "error": exc.message,
        "error_field": exc.details.get("field"),
    }


# Devices -------------------------------------------------------------------------------------


@router.get("/devices", response_class=HTMLResponse)
def devices_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit_id: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    category: Annotated[str, Query(max_length=30)] = "",
    q: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    auth.actor.require(Action.EQUIPMENT_VIEW)
    error, status_code = None, 200
    unit_filter: int | None = None
    status_filter: DeviceStatus | None = None
    try:
        unit_filter = parse_int(unit_id, "单位参数", field="unit_id")
        if status.strip():
            status_filter = parse_choice(
                DeviceStatus, status, "设备状态参数不正确。", field="status"
            )
        if category.strip() and category.strip() not in CATEGORIES:
            raise InvalidInput("设备类别参数不正确。", field="category")
    except LawcamError as exc:
        error, status_code = exc.message, exc.http_status
        unit_filter, status_filter = None, None
    devices = queries.list_devices(
        session=session,
        actor=auth.actor,
        unit_id=unit_filter,
        status=status_filter,
        category=category.strip() if category.strip() in CATEGORIES else None,
        query=q.strip() or None,
    )
    return page(
        request,
        "devices.html",
        auth,
        status_code=status_code,
        error=error,
        devices=devices,
        units=units_for(session, auth.actor, Action.EQUIPMENT_VIEW),
        filters={"unit_id": unit_filter, "status": status, "category": category, "q": q},
    )


DEVICE_FORM_KEYS = (
    "serial",
    "asset_no",
    "model",
    "unit",
    "zone",
    "price",
    "need",
    "commissioned_on",
    "firmware",
    "procurement_id",
)


def _device_form_page(
    request: Request, session: Session, auth: Auth, form: dict[str, str], **extra: Any
) -> Response:
    actor = auth.actor
    models = [
        m
        for m in queries.list_models(session=session, actor=actor)
        if m.quality_status == QualityStatus.APPROVED.value
    ]
    procurements = []
    if actor.can(Action.BUDGET_VIEW):
        procurements = [
            p
            for p in queries.list_procurements(session=session, actor=actor)
            if p.status == ProcurementStatus.APPROVED.value
        ]
    return page(
        request,
        "device_form.html",
        auth,
        form=form,
        models=models,
        units=units_for(session, actor, Action.DEVICE_MANAGE),
        procurements=procurements,
        **extra,
    )


@router.get("/devices/new", response_class=HTMLResponse)
def device_new_form(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    auth.actor.require(Action.DEVICE_MANAGE)
    form = dict.fromkeys(DEVICE_FORM_KEYS, "")
    units = units_for(session, auth.actor, Action.DEVICE_MANAGE)
    if len(units) == 1:
        form["unit"] = units[0].name
    return _device_form_page(request, session, auth, form)


@router.post("/devices/new", response_class=HTMLResponse)
def device_new_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    serial: Annotated[str, Form(max_length=64)] = "",
    asset_no: Annotated[str, Form(max_length=64)] = "",
    model: Text100 = "",
    unit: Text100 = "",
    zone: Text100 = "",
    price: Text20 = "",
    need: Text500 = "",
    commissioned_on: Text20 = "",
    firmware: Text100 = "",
    procurement_id: Text20 = "",
) -> Response:
    auth.actor.require(Action.DEVICE_MANAGE)
    form = {
        "serial": serial,
        "asset_no": asset_no,
        "model": model,
        "unit": unit,
        "zone": zone,
        "price": price,
        "need": need,
        "commissioned_on": commissioned_on,
        "firmware": firmware,
        "procurement_id": procurement_id,
    }
    try:
        if not model.strip():
            raise InvalidInput("请选择设备型号。", field="model")
        if not unit.strip():
            raise InvalidInput("请选择所属单位。", field="unit")
        if not price.strip():
            raise InvalidInput("请填写购置价格（元）。", field="price")
        data = DeviceIn(
            serial=serial,
            asset_no=asset_no,
            model=model,
            unit=unit,
            price=service.money(price, "购置价格", field="price"),
            need=need,
            zone=zone.strip() or None,
            commissioned_on=parse_date(commissioned_on, "启用日期", field="commissioned_on"),
            firmware=firmware,
            procurement_id=parse_int(procurement_id, "采购记录编号", field="procurement_id"),
        )
        device = service.create_device(session=session, actor=auth.actor, data=data)
    except LawcamError as exc:
        discard(session)
        return _device_form_page(request, session, auth, form, **form_error(exc))
    return redirect(
        with_notice(f"/devices/{device.id}", f"设备 {device.serial}（{device.asset_no}）已登记。")
    )


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    label: str
    actor: str
    changes: list[tuple[str, str]]


def _show_value(key: str, value: object) -> str:
    if value is None:
        return "—"
    if value == "":
        return "（空）"
    if key == "status" and isinstance(value, str) and value in STATUSES:
        return STATUSES[value]
    if key == "purchase_price" and isinstance(value, str):
        return yuan(Decimal(value))
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _history(session: Session, device_id: int) -> list[HistoryRow]:
    rows = []
    for event in events_for_subject(session=session, subject_type="device", subject_id=device_id):
        before = json.loads(event.before) if event.before else {}
        after = json.loads(event.after) if event.after else {}
        changes = []
        if isinstance(before, dict) and isinstance(after, dict):
            keys = [k for k in DEVICE_FIELDS if k in after and after.get(k) != before.get(k)]
            if event.tag == EquipmentEvent.DEVICE_CREATED:
                keys = [k for k in ("serial", "asset_no", "status", "need") if k in after]
            for key in keys:
                old = f"{_show_value(key, before[key])} → " if key in before else ""
                changes.append((DEVICE_FIELDS[key], old + _show_value(key, after[key])))
        rows.append(
            HistoryRow(
                at=event.occurred_at,
                label=EVENT_LABELS.get(event.tag, event.tag),
                actor=event.actor_label,
                changes=changes,
            )
        )
    return rows


def _device_page(
    request: Request,
    session: Session,
    auth: Auth,
    device_id: int,
    *,
    form: dict[str, str] | None = None,
    status_form: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    device = queries.get_device(session=session, actor=auth.actor, device_id=device_id)
    # Only now, with the device visible to the actor, is its history read.
    history = _history(session, device.id)
    limits = queries.current_thresholds(session)
    needs = queries.unit_needs(session, device.unit_id)
    if form is None:
        form = {
            "zone": device.zone.name if device.zone else "",
            "firmware": device.firmware,
            "commissioned_on": device.commissioned_on.isoformat() if device.commissioned_on else "",
            "need": device.need,
        }
    ids = queries.visible_unit_ids(session, auth.actor, Action.DEVICE_MANAGE)
    manage = ids is None or device.unit_id in ids
    moves = sorted(service.ALLOWED_MOVES[DeviceStatus(device.status)], key=list(DeviceStatus).index)
    return page(
        request,
        "device.html",
        auth,
        device=device,
        history=history,
        assessed=device.model.category in RATIO_CATEGORIES,
        misses=spec_misses(device.model, limits),
        needs=sorted(needs),
        lacking=missing_features(device.model, needs),
        manage=manage and auth.actor.can(Action.DEVICE_MANAGE),
        moves=moves,
        form=form,
        status_form=status_form or {"status": "", "reason": ""},
        **extra,
    )


@router.get("/devices/{device_id}", response_class=HTMLResponse)
def device_page(request: Request, device_id: int, auth: AuthDep, session: SessionDep) -> Response:
    return _device_page(request, session, auth, device_id)


@router.post("/devices/{device_id}/status", response_class=HTMLResponse)
def device_status_submit(
    request: Request,
    device_id: int,
    auth: AuthDep,
    session: SessionDep,
    status: Text20 = "",
    reason: Text500 = "",
) -> Response:
    queries.get_device(session=session, actor=auth.actor, device_id=device_id)  # 404 first
    auth.actor.require(Action.DEVICE_MANAGE)
    status_form = {"status": status, "reason": reason}
    try:
        if not status.strip():
            raise InvalidInput("请选择新的设备状态。", field="status")
        new = parse_choice(DeviceStatus, status, "设备状态不正确。", field="status")
        device = service.set_device_status(
            session=session, actor=auth.actor, device_id=device_id, status=new, reason=reason
        )
    except LawcamError as exc:
        discard(session)
        return _device_page(
            request, session, auth, device_id, status_form=status_form, **form_error(exc)
        )
    return redirect(
        with_notice(
            f"/devices/{device.id}", f"设备状态已改为“{DeviceStatus(device.status).label}”。"
        )
    )


@router.post("/devices/{device_id}/edit", response_class=HTMLResponse)
def device_edit_submit(
    request: Request,
    device_id: int,
    auth: AuthDep,
    session: SessionDep,
    zone: Text100 = "",
    firmware: Text100 = "",
    commissioned_on: Text20 = "",
    need: Text500 = "",
) -> Response:
    queries.get_device(session=session, actor=auth.actor, device_id=device_id)
    auth.actor.require(Action.DEVICE_MANAGE)
    form = {"zone": zone, "firmware": firmware, "commissioned_on": commissioned_on, "need": need}
    try:
        changes = DeviceChanges(
            zone=zone.strip(),
            firmware=firmware,
            commissioned_on=parse_date(commissioned_on, "启用日期", field="commissioned_on"),
            need=need,
        )
        device = service.update_device(
            session=session, actor=auth.actor, device_id=device_id, changes=changes
        )
    except LawcamError as exc:
        discard(session)
        return _device_page(request, session, auth, device_id, form=form, **form_error(exc))
    return redirect(with_notice(f"/devices/{device.id}", "设备信息已保存。"))


# Models --------------------------------------------------------------------------------------


@router.get("/models", response_class=HTMLResponse)
def models_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    models = queries.list_models(session=session, actor=auth.actor)
    limits = queries.current_thresholds(session)
    return page(
        request,
        "models.html",
        auth,
        models=models,
        misses={m.id: spec_misses(m, limits) for m in models},
        assessed={m.id: m.category in RATIO_CATEGORIES for m in models},
    )


MODEL_FORM_KEYS = (
    "maker",
    "model",
    "category",
    "video",
    "photo_mp",
    "battery_mah",
    "record_hours",
    "storage_gb",
    "ip_rating",
)


def _model_form_page(request: Request, auth: Auth, form: dict[str, Any], **extra: Any) -> Response:
    return page(request, "model_form.html", auth, form=form, **extra)


@router.get("/models/new", response_class=HTMLResponse)
def model_new_form(request: Request, auth: AuthDep) -> Response:
    auth.actor.require(Action.MODEL_MANAGE)
    form: dict[str, Any] = dict.fromkeys(MODEL_FORM_KEYS, "")
    form["features"] = []
    return _model_form_page(request, auth, form)


@router.post("/models/new", response_class=HTMLResponse)
def model_new_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    maker: Text100 = "",
    model: Text100 = "",
    category: Annotated[str, Form(max_length=30)] = "",
    video: Text20 = "",
    photo_mp: Text20 = "",
    battery_mah: Text20 = "",
    record_hours: Text20 = "",
    storage_gb: Text20 = "",
    ip_rating: Annotated[str, Form(max_length=10)] = "",
    features: Annotated[list[str] | None, Form(max_length=20)] = None,
) -> Response:
    auth.actor.require(Action.MODEL_MANAGE)
    chosen = [f for f in features or [] if f]
    form: dict[str, Any] = {
        "maker": maker,
        "model": model,
        "category": category,
        "video": video,
        "photo_mp": photo_mp,
        "battery_mah": battery_mah,
        "record_hours": record_hours,
        "storage_gb": storage_gb,
        "ip_rating": ip_rating,
        "features": chosen,
    }
    try:
        if not category.strip():
            raise InvalidInput("请选择设备类别。", field="category")
        kind = parse_choice(Category, category, "设备类别不正确。", field="category")
        width, height = service.parse_resolution(video.strip() or None)
        data = ModelIn(
            maker=maker,
            model=model,
            category=kind,
            video_width=width,
            video_height=height,
            photo_mp=parse_float(photo_mp, "照片像素（百万）", field="photo_mp"),
            battery_mah=parse_int(battery_mah, "电池容量（mAh）", field="battery_mah"),
            record_hours=parse_float(record_hours, "连续录像时间（小时）", field="record_hours"),
            storage_gb=parse_int(storage_gb, "存储容量（GB）", field="storage_gb"),
            ip_rating=ip_rating.strip() or None,
            features=tuple(
                parse_choice(Feature, f, "特性选项不正确。", field="features") for f in chosen
            ),
        )
        created = service.create_model(session=session, actor=auth.actor, data=data)
    except LawcamError as exc:
        discard(session)
        return _model_form_page(request, auth, form, **form_error(exc))
    return redirect(with_notice(f"/models/{created.id}", f"型号“{created.model}”已登记。"))


def _model_page(
    request: Request,
    session: Session,
    auth: Auth,
    model_id: int,
    *,
    quality_form: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    model = queries.get_model(session=session, actor=auth.actor, model_id=model_id)
    devices = [
        d for d in queries.list_devices(session=session, actor=auth.actor) if d.model_id == model.id
    ]
    return page(
        request,
        "model.html",
        auth,
        model=model,
        devices=devices,
        assessed=model.category in RATIO_CATEGORIES,
        misses=spec_misses(model, queries.current_thresholds(session)),
        quality_form=quality_form
        or {"status": model.quality_status, "reason": model.quality_reason},
        **extra,
    )


@router.get("/models/{model_id}", response_class=HTMLResponse)
def model_page(request: Request, model_id: int, auth: AuthDep, session: SessionDep) -> Response:
    return _model_page(request, session, auth, model_id)


@router.post("/models/{model_id}/quality", response_class=HTMLResponse)
def model_quality_submit(
    request: Request,
    model_id: int,
    auth: AuthDep,
    session: SessionDep,
    status: Text20 = "",
    reason: Text500 = "",
) -> Response:
    auth.actor.require(Action.MODEL_QUALITY)
    queries.get_model(session=session, actor=auth.actor, model_id=model_id)
    quality_form = {"status": status, "reason": reason}
    try:
        if not status.strip():
            raise InvalidInput("请选择质量状态。", field="status")
        chosen = parse_choice(QualityStatus, status, "质量状态不正确。", field="status")
        model = service.set_model_quality(
            session=session, actor=auth.actor, model_id=model_id, status=chosen, reason=reason
        )
    except LawcamError as exc:
        discard(session)
        return _model_page(
            request, session, auth, model_id, quality_form=quality_form, **form_error(exc)
        )
    label = QualityStatus(model.quality_status).label
    return redirect(with_notice(f"/models/{model.id}", f"型号“{model.model}”已设为“{label}”。"))


# Thresholds (R7.1) ---------------------------------------------------------------------------


def _thresholds_form(limits: Thresholds) -> dict[str, str]:
    return {
        "video": f"{limits.video_width}x{limits.video_height}",
        "photo_mp": f"{limits.photo_mp:g}",
        "battery_mah": str(limits.battery_mah),
        "record_hours": f"{limits.record_hours:g}",
        "storage_gb": str(limits.storage_gb),
        "ip_rating": limits.ip_rating,
    }


def _thresholds_page(
    request: Request, session: Session, auth: Auth, form: dict[str, str] | None = None, **extra: Any
) -> Response:
    auth.actor.require(Action.EQUIPMENT_VIEW)
    limits = queries.current_thresholds(session)
    return page(
        request,
        "thresholds.html",
        auth,
        limits=limits,
        form=form or _thresholds_form(limits),
        defaults=Thresholds(),
        **extra,
    )


@router.get("/thresholds", response_class=HTMLResponse)
def thresholds_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    return _thresholds_page(request, session, auth)


@router.post("/thresholds", response_class=HTMLResponse)
def thresholds_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    video: Text20 = "",
    photo_mp: Text20 = "",
    battery_mah: Text20 = "",
    record_hours: Text20 = "",
    storage_gb: Text20 = "",
    ip_rating: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    auth.actor.require(Action.THRESHOLDS_SET)
    form = {
        "video": video,
        "photo_mp": photo_mp,
        "battery_mah": battery_mah,
        "record_hours": record_hours,
        "storage_gb": storage_gb,
        "ip_rating": ip_rating,
    }
    try:
        width, height = service.parse_resolution(video.strip() or None)
        values = {
            "video_width": width,
            "video_height": height,
            "photo_mp": parse_float(photo_mp, "照片像素（百万）", field="photo_mp"),
            "battery_mah": parse_int(battery_mah, "电池容量（mAh）", field="battery_mah"),
            "record_hours": parse_float(record_hours, "连续录像时间（小时）", field="record_hours"),
            "storage_gb": parse_int(storage_gb, "存储容量（GB）", field="storage_gb"),
            "ip_rating": ip_rating.strip() or None,
        }
        missing = [k for k, v in values.items() if v is None]
        if missing:
            raise InvalidInput(
                "每项规格阈值都须填写。", field=missing[0].replace("video_width", "video")
            )
        limits = Thresholds(**values)  # type: ignore[arg-type]
        service.set_thresholds(session=session, actor=auth.actor, limits=limits)
    except LawcamError as exc:
        discard(session)
        return _thresholds_page(request, session, auth, form, **form_error(exc))
    return redirect(with_notice("/thresholds", "规格阈值已更新，各型号的符合性按新阈值判断。"))


# Special needs (R7.2) ------------------------------------------------------------------------


def _needs_page(
    request: Request, session: Session, auth: Auth, form: dict[str, str] | None = None, **extra: Any
) -> Response:
    auth.actor.require(Action.EQUIPMENT_VIEW)
    units = units_for(session, auth.actor, Action.EQUIPMENT_VIEW)
    manageable = units_for(session, auth.actor, Action.UNIT_NEED_DECLARE)
    return page(
        request,
        "needs.html",
        auth,
        rows=[(u, sorted(queries.unit_needs(session, u.id))) for u in units],
        manageable={u.id for u in manageable},
        manage_units=manageable,
        needs_labels=NEEDS,
        form=form or {"unit": manageable[0].name if len(manageable) == 1 else "", "feature": ""},
        **extra,
    )


@router.get("/needs", response_class=HTMLResponse)
def needs_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    return _needs_page(request, session, auth)


def _need_change(
    request: Request, session: Session, auth: Auth, unit: str, feature: str, *, declare: bool
) -> Response:
    auth.actor.require(Action.UNIT_NEED_DECLARE)
    form = {"unit": unit, "feature": feature}
    try:
        if not unit.strip():
            raise InvalidInput("请选择单位。", field="unit")
        if feature.strip() not in NEEDS:
            raise InvalidInput(
                "特殊需求只能是：防爆、红外夜视、卫星定位、无线实时传输。", field="feature"
            )
        chosen = Feature(feature.strip())
        change = service.declare_need if declare else service.withdraw_need
        change(session=session, actor=auth.actor, unit=unit, feature=chosen)
    except LawcamError as exc:
        discard(session)
        return _needs_page(request, session, auth, form, **form_error(exc))
    done = "已声明" if declare else "已撤回"
    return redirect(with_notice("/needs", f"“{unit.strip()}”{done}特殊需求“{chosen.label}”。"))


@router.post("/needs/declare", response_class=HTMLResponse)
def need_declare_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit: Text100 = "",
    feature: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    return _need_change(request, session, auth, unit, feature, declare=True)


@router.post("/needs/withdraw", response_class=HTMLResponse)
def need_withdraw_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit: Text100 = "",
    feature: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    return _need_change(request, session, auth, unit, feature, declare=False)


# Budgets and procurement (R8.1) --------------------------------------------------------------


def _budgets_page(
    request: Request,
    session: Session,
    auth: Auth,
    year: int,
    form: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    rows = queries.budget_report(session=session, actor=auth.actor, year=year)
    manage_units = (
        units_for(session, auth.actor, Action.BUDGET_MANAGE)
        if auth.actor.can(Action.BUDGET_MANAGE)
        else []
    )
    totals = {
        key: sum((Decimal(str(r[key])) for r in rows if r[key] is not None), Decimal(0))
        for key in ("budget", "spent", "pending")
    }
    return page(
        request,
        "budgets.html",
        auth,
        year=year,
        rows=rows,
        totals=totals,
        manage_units=manage_units,
        form=form or {"unit": "", "year": str(year), "amount": "", "note": ""},
        **extra,
    )


@router.get("/budgets", response_class=HTMLResponse)
def budgets_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    year: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    auth.actor.require(Action.BUDGET_VIEW)
    try:
        chosen = parse_int(year, "年度", field="year") or this_year()
        if not 2000 <= chosen <= 2100:
            raise InvalidInput("年度须在 2000 至 2100 之间。", field="year")
    except LawcamError as exc:
        return _budgets_page(request, session, auth, this_year(), **form_error(exc))
    return _budgets_page(request, session, auth, chosen)


@router.post("/budgets/set", response_class=HTMLResponse)
def budget_set_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit: Text100 = "",
    year: Text20 = "",
    amount: Text20 = "",
    note: Text500 = "",
) -> Response:
    auth.actor.require(Action.BUDGET_MANAGE)
    form = {"unit": unit, "year": year, "amount": amount, "note": note}
    shown = this_year()
    try:
        if not unit.strip():
            raise InvalidInput("请选择单位。", field="unit")
        chosen = parse_int(year, "年度", field="year", required=True) or shown
        if 2000 <= chosen <= 2100:
            shown = chosen
        if not amount.strip():
            raise InvalidInput("请填写预算金额（元）。", field="amount")
        budget = purchasing.set_budget(
            session=session, actor=auth.actor, unit=unit, year=chosen, amount=amount, note=note
        )
    except LawcamError as exc:
        discard(session)
        return _budgets_page(request, session, auth, shown, form, **form_error(exc))
    return redirect(
        with_notice(
            f"/budgets?year={budget.year}",
            f"“{unit.strip()}”{budget.year} 年度预算已设为 {yuan(budget.amount)}。",
        )
    )


@router.get("/procurements", response_class=HTMLResponse)
def procurements_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    year: Annotated[str, Query(max_length=10)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    error, status_code = None, 200
    try:
        year_filter = parse_int(year, "年度", field="year")
    except LawcamError as exc:
        year_filter, error, status_code = None, exc.message, exc.http_status
    rows = queries.list_procurements(session=session, actor=auth.actor, year=year_filter)
    if status.strip() in PROCUREMENT_STATUSES:
        rows = [p for p in rows if p.status == status.strip()]
    return page(
        request,
        "procurements.html",
        auth,
        status_code=status_code,
        error=error,
        procurements=rows,
        filters={"year": year, "status": status},
    )


PROCUREMENT_FORM_KEYS = (
    "unit",
    "year",
    "purchased_on",
    "supplier",
    "model",
    "quantity",
    "unit_price",
    "note",
)


def _procurement_form_page(
    request: Request, session: Session, auth: Auth, form: dict[str, str], **extra: Any
) -> Response:
    return page(
        request,
        "procurement_form.html",
        auth,
        form=form,
        units=units_for(session, auth.actor, Action.PROCUREMENT_RECORD),
        models=queries.list_models(session=session, actor=auth.actor),
        **extra,
    )


@router.get("/procurements/new", response_class=HTMLResponse)
def procurement_new_form(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    auth.actor.require(Action.PROCUREMENT_RECORD)
    form = dict.fromkeys(PROCUREMENT_FORM_KEYS, "")
    form["year"], form["purchased_on"] = str(this_year()), today().isoformat()
    units = units_for(session, auth.actor, Action.PROCUREMENT_RECORD)
    if len(units) == 1:
        form["unit"] = units[0].name
    return _procurement_form_page(request, session, auth, form)


@router.post("/procurements/new", response_class=HTMLResponse)
def procurement_new_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit: Text100 = "",
    year: Text20 = "",
    purchased_on: Text20 = "",
    supplier: Annotated[str, Form(max_length=200)] = "",
    model: Text100 = "",
    quantity: Text20 = "",
    unit_price: Text20 = "",
    note: Text500 = "",
) -> Response:
    auth.actor.require(Action.PROCUREMENT_RECORD)
    form = {
        "unit": unit,
        "year": year,
        "purchased_on": purchased_on,
        "supplier": supplier,
        "model": model,
        "quantity": quantity,
        "unit_price": unit_price,
        "note": note,
    }
    try:
        if not unit.strip():
            raise InvalidInput("请选择单位。", field="unit")
        if not model.strip():
            raise InvalidInput("请选择型号。", field="model")
        if not unit_price.strip():
            raise InvalidInput("请填写单价（元）。", field="unit_price")
        data = ProcurementIn(
            unit=unit,
            year=parse_int(year, "年度", field="year", required=True) or 0,
            purchased_on=parse_date(purchased_on, "采购日期", field="purchased_on", required=True)
            or today(),
            supplier=supplier,
            model=model,
            quantity=parse_int(quantity, "数量", field="quantity", required=True) or 0,
            unit_price=service.money(unit_price, "单价", field="unit_price"),
            note=note,
        )
        created = purchasing.record_procurement(session=session, actor=auth.actor, data=data)
    except LawcamError as exc:
        discard(session)
        return _procurement_form_page(request, session, auth, form, **form_error(exc))
    return redirect(
        with_notice(
            f"/procurements/{created.id}",
            f"采购记录已登记，共 {yuan(created.total)}，待计划财务处审批。",
        )
    )


def _procurement_page(
    request: Request,
    session: Session,
    auth: Auth,
    procurement_id: int,
    *,
    decision: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    item = queries.get_procurement(session=session, actor=auth.actor, procurement_id=procurement_id)
    budget = queries.budget_of(session, item.unit_id, item.year)
    spent = queries.approved_spend(session, item.unit_id, item.year)
    remaining = None if budget is None else budget.amount - spent
    available = (budget.amount if budget else Decimal(0)) - spent
    devices = [
        d
        for d in queries.list_devices(session=session, actor=auth.actor, unit_id=item.unit_id)
        if d.procurement_id == item.id
    ]
    return page(
        request,
        "procurement.html",
        auth,
        item=item,
        budget=budget,
        spent=spent,
        remaining=remaining,
        over=item.status == ProcurementStatus.PENDING.value and item.total > available,
        devices=devices,
        decision=decision or {"overrun_reason": "", "reason": ""},
        **extra,
    )


@router.get("/procurements/{procurement_id}", response_class=HTMLResponse)
def procurement_page(
    request: Request, procurement_id: int, auth: AuthDep, session: SessionDep
) -> Response:
    return _procurement_page(request, session, auth, procurement_id)


def _decide(
    request: Request,
    session: Session,
    auth: Auth,
    procurement_id: int,
    decision: dict[str, str],
    act: Callable[[], Any],
    done: str,
) -> Response:
    auth.actor.require(Action.PROCUREMENT_APPROVE)
    queries.get_procurement(session=session, actor=auth.actor, procurement_id=procurement_id)
    try:
        act()
    except LawcamError as exc:
        discard(session)
        return _procurement_page(
            request, session, auth, procurement_id, decision=decision, **form_error(exc)
        )
    return redirect(with_notice(f"/procurements/{procurement_id}", done))


@router.post("/procurements/{procurement_id}/approve", response_class=HTMLResponse)
def procurement_approve_submit(
    request: Request,
    procurement_id: int,
    auth: AuthDep,
    session: SessionDep,
    overrun_reason: Text500 = "",
) -> Response:
    return _decide(
        request,
        session,
        auth,
        procurement_id,
        {"overrun_reason": overrun_reason, "reason": ""},
        lambda: purchasing.approve_procurement(
            session=session,
            actor=auth.actor,
            procurement_id=procurement_id,
            overrun_reason=overrun_reason,
        ),
        "采购已批准。",
    )


@router.post("/procurements/{procurement_id}/reject", response_class=HTMLResponse)
def procurement_reject_submit(
    request: Request,
    procurement_id: int,
    auth: AuthDep,
    session: SessionDep,
    reason: Text500 = "",
) -> Response:
    return _decide(
        request,
        session,
        auth,
        procurement_id,
        {"overrun_reason": "", "reason": reason},
        lambda: purchasing.reject_procurement(
            session=session, actor=auth.actor, procurement_id=procurement_id, reason=reason
        ),
        "采购已驳回。",
    )


# Reports: ratio (R6.1, R6.2) and specs (R7.1, R7.2) ------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    y: int
    counted: int
    required: int | None
    counted_width: float
    required_width: float
    compliant: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    plot_width: int
    bars: list[Bar]
    ticks: list[tuple[int, float]]


CHART_ROW = 34
CHART_LABEL = 190
CHART_PLOT = 560


def ratio_chart(rows: Sequence[RatioRow]) -> Chart:
    """Geometry of the bar chart (required vs counted per unit), drawn as inline SVG by the
    template: no script, no external asset (R15.3)."""
    top = max([1, *(r.devices_counted for r in rows), *(r.required or 0 for r in rows)])
    step = max(1, -(-top // 5))
    top = step * -(-top // step)
    scale = CHART_PLOT / top
    bars = [
        Bar(
            label=r.unit,
            y=30 + i * CHART_ROW,
            counted=r.devices_counted,
            required=r.required,
            counted_width=round(r.devices_counted * scale, 1),
            required_width=round((r.required or 0) * scale, 1),
            compliant=r.compliant,
        )
        for i, r in enumerate(rows)
    ]
    ticks = [(v, round(CHART_LABEL + v * scale, 1)) for v in range(0, top + 1, step)]
    return Chart(
        width=CHART_LABEL + CHART_PLOT + 60,
        height=30 + len(rows) * CHART_ROW + 40,
        label_width=CHART_LABEL,
        plot_width=CHART_PLOT,
        bars=bars,
        ticks=ticks,
    )


@router.get("/reports/ratio", response_class=HTMLResponse)
def ratio_page(
    request: Request, auth: AuthDep, session: SessionDep, settings: SettingsDep
) -> Response:
    rows, office = queries.ratio_report(
        session=session, actor=auth.actor, now=utcnow(), repair_days=settings.repair_count_days
    )
    return page(
        request,
        "ratio.html",
        auth,
        rows=rows,
        office=office,
        chart=ratio_chart(rows),
        repair_days=settings.repair_count_days,
    )


@router.get("/reports/specs", response_class=HTMLResponse)
def specs_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    report = queries.specs_report(session=session, actor=auth.actor)
    limits = queries.current_thresholds(session)
    return page(
        request,
        "specs.html",
        auth,
        report=report,
        limits=limits,
        limits_dict=asdict(limits),
        needs_labels=FEATURE_LABELS,
    )
