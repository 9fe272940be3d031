"""Chinese pages for devices (Art. 2–8): list, registration, detail with history,
status changes and edits.

Thin: parse the form → call the service or query (they check permission) → render.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.audit.queries import events_for_subject
from lawcam.authz import Action
from lawcam.custody import queries as custody_queries
from lawcam.custody.types import CustodyEvent
from lawcam.equipment import queries, service
from lawcam.equipment.specs import missing_features, spec_misses
from lawcam.equipment.types import (
    RATIO_CATEGORIES,
    DeviceChanges,
    DeviceIn,
    DeviceStatus,
    EquipmentEvent,
    ProcurementStatus,
    QualityStatus,
)
from lawcam.errors import InvalidInput, LawcamError
from lawcam.schemas.common import Id
from lawcam.schemas.custody import LABELS as CUSTODY_LABELS
from lawcam.schemas.custody import check_limits
from lawcam.web.deps import Auth, AuthDep, SessionDep
from lawcam.web.pages_common import discard, flash_redirect
from lawcam.web.pages_forms import (
    CATEGORIES,
    STATUSES,
    Text20,
    Text100,
    Text500,
    form_error,
    page,
    parse_choice,
    parse_date,
    parse_int,
    units_for,
    yuan,
)

router = APIRouter(include_in_schema=False)


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
    CustodyEvent.CHECKED_OUT: "领用",
    CustodyEvent.RETURNED: "归还",
    CustodyEvent.HANDED_OVER: "交接",
    CustodyEvent.FAULT_REPORTED: "报告故障",
    CustodyEvent.FAULT_REGISTERED: "登记故障",
    CustodyEvent.REPAIR_ORDERED: "送修",
    CustodyEvent.REPAIR_DONE: "维修完成",
    CustodyEvent.CASE_OPENED: "立案（丢失/损坏）",
    CustodyEvent.CASE_DECIDED: "案件决定",
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
    return flash_redirect(
        request, f"/devices/{device.id}", f"设备 {device.serial}（{device.asset_no}）已登记。"
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
    # Custody (issue 4): the device's periods, faults, repairs and cases, and the check limits.
    extra.setdefault(
        "custody", custody_queries.device_custody(session=session, device_id=device.id)
    )
    extra.setdefault("check_limits", check_limits(request.app.state.settings))
    for key, labels in CUSTODY_LABELS.items():
        extra.setdefault(key, labels)
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
def device_page(request: Request, device_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    return _device_page(request, session, auth, device_id)


@router.post("/devices/{device_id}/status", response_class=HTMLResponse)
def device_status_submit(
    request: Request,
    device_id: Id,
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
    return flash_redirect(
        request, f"/devices/{device.id}", f"设备状态已改为“{DeviceStatus(device.status).label}”。"
    )


@router.post("/devices/{device_id}/edit", response_class=HTMLResponse)
def device_edit_submit(
    request: Request,
    device_id: Id,
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
    return flash_redirect(request, f"/devices/{device.id}", "设备信息已保存。")
