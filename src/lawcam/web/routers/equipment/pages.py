"""Chinese pages for devices (Art. 2–8): list, registration, detail with history,
status changes and edits.

Thin: parse the form → call the service or query (they check permission) → render.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.authz import Action
from lawcam.custody import worklist as custody_worklist
from lawcam.equipment import queries, service
from lawcam.equipment.types import (
    DeviceChanges,
    DeviceIn,
    DeviceStatus,
    ProcurementStatus,
    QualityStatus,
)
from lawcam.errors import InvalidInput, LawcamError
from lawcam.schemas.common import Id
from lawcam.web.deps import Auth, AuthDep, SessionDep
from lawcam.web.device_page import render_device_page
from lawcam.web.forms import (
    CATEGORIES,
    Text20,
    Text100,
    Text500,
    discard,
    flash_redirect,
    form_error,
    page,
    parse_choice,
    parse_date,
    parse_int,
    units_for,
)

router = APIRouter(include_in_schema=False)


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
        holders=custody_worklist.holders_of(session=session, device_ids=[d.id for d in devices]),
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


@router.get("/devices/{device_id}", response_class=HTMLResponse)
def device_page(request: Request, device_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    return render_device_page(request, session, auth, device_id)


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
        return render_device_page(
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
        return render_device_page(request, session, auth, device_id, form=form, **form_error(exc))
    return flash_redirect(request, f"/devices/{device.id}", "设备信息已保存。")
