"""Chinese pages for custody (Art. 9, 11, 16, 17): the ledger (台账), faults and repair orders,
loss and damage cases, the caller's inbox, and the custody forms of a device's page (checkout,
return, handover, fault report, loss case).

Thin: parse the form → call the service (it checks permission) → redirect, or on refusal
discard the unit of work and show the form again with the Chinese message.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam import keyset
from lawcam.authz import Action
from lawcam.custody import faults, queries, service
from lawcam.custody.types import (
    CaseKind,
    CheckoutIn,
    Condition,
    LossCause,
    PreUseCheck,
    RepairOutcome,
)
from lawcam.equipment import queries as equipment
from lawcam.errors import InvalidInput, LawcamError
from lawcam.reports.ledger import duration_text, entries_of
from lawcam.schemas.common import Id
from lawcam.schemas.custody import LABELS, check_limits
from lawcam.timeutil import check_day_range, shanghai_day_start, today_shanghai
from lawcam.web.deps import Auth, AuthDep, SessionDep, SettingsDep
from lawcam.web.device_page import render_device_page
from lawcam.web.forms import (
    Text20,
    Text100,
    Text500,
    discard,
    flash_redirect,
    form_error,
    page,
    parse_date,
    parse_float,
    parse_int,
    redirect,
    units_for,
)

router = APIRouter(include_in_schema=False)

Text1000 = Annotated[str, Form(max_length=1000)]


def _check(battery_pct: str, free_hours: str, clock_offset_s: str) -> PreUseCheck:
    battery = parse_int(battery_pct, "电量", field="battery_pct", required=True)
    hours = parse_float(free_hours, "剩余存储（小时）", field="free_hours")
    offset = parse_float(clock_offset_s, "时钟偏差（秒）", field="clock_offset_s")
    if hours is None:
        raise InvalidInput("请填写剩余存储（可录像小时数）。", field="free_hours")
    if offset is None:
        raise InvalidInput("请填写设备时钟与标准时间的偏差（秒）。", field="clock_offset_s")
    assert battery is not None
    return PreUseCheck(battery_pct=battery, free_hours=hours, clock_offset_s=offset)


E = TypeVar("E", Condition, CaseKind, LossCause, RepairOutcome)


def _choice(kind: type[E], value: str, message: str, field: str) -> E:
    try:
        return kind(value.strip())
    except ValueError:
        raise InvalidInput(message, field=field) from None


def _labelled(**context: Any) -> dict[str, Any]:
    return {**LABELS, **context}


# The device page's custody forms (R9.2, R11.1, R16.1, R17.1) ---------------------------------


def _device_serial(session: Session, auth: Auth, device_id: int) -> str:
    """404 before anything else when the actor may not see the device."""
    return equipment.get_device(session=session, actor=auth.actor, device_id=device_id).serial


def _refused(
    request: Request,
    session: Session,
    auth: Auth,
    device_id: int,
    exc: LawcamError,
    form_name: str,
    form: dict[str, str],
) -> Response:
    discard(session)
    extra: dict[str, Any] = {form_name: form, **form_error(exc)}
    return render_device_page(request, session, auth, device_id, **extra)


@router.post("/devices/{device_id}/checkout", response_class=HTMLResponse)
def checkout_submit(
    request: Request,
    device_id: Id,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    officer: Text100 = "",
    battery_pct: Text20 = "",
    free_hours: Text20 = "",
    clock_offset_s: Text20 = "",
    override_reason: Text500 = "",
) -> Response:
    serial = _device_serial(session, auth, device_id)
    auth.actor.require(Action.DEVICE_MANAGE)
    form = {
        "officer": officer,
        "battery_pct": battery_pct,
        "free_hours": free_hours,
        "clock_offset_s": clock_offset_s,
        "override_reason": override_reason,
    }
    try:
        if not officer.strip():
            raise InvalidInput("请填写领用人的执法证号。", field="officer")
        data = CheckoutIn(
            serial=serial,
            officer_badge=officer.strip(),
            check=_check(battery_pct, free_hours, clock_offset_s),
            override_reason=override_reason,
        )
        period = service.checkout(
            session=session, actor=auth.actor, data=data, limits=check_limits(settings)
        )
    except LawcamError as exc:
        return _refused(request, session, auth, device_id, exc, "checkout_form", form)
    note = f"设备 {serial} 已由“{period.officer.name}”领用。"
    if period.check_failures:
        note += "（领用前检查未通过，已记录理由）"
    return flash_redirect(request, f"/devices/{device_id}", note)


@router.post("/devices/{device_id}/return", response_class=HTMLResponse)
def return_submit(
    request: Request,
    device_id: Id,
    auth: AuthDep,
    session: SessionDep,
    condition: Text20 = "",
    note: Text500 = "",
) -> Response:
    serial = _device_serial(session, auth, device_id)
    auth.actor.require(Action.DEVICE_MANAGE)
    form = {"condition": condition, "note": note}
    try:
        chosen = _choice(Condition, condition, "请选择归还时设备的状况。", "condition")
        service.return_device(
            session=session, actor=auth.actor, serial=serial, condition=chosen, note=note
        )
    except LawcamError as exc:
        return _refused(request, session, auth, device_id, exc, "return_form", form)
    notice = f"设备 {serial} 已归还（{chosen.label}）。"
    fault = service.open_fault(session, device_id)
    if fault is not None:  # R16.1: what the returned device waits for
        notice += f"故障报告 #{fault.id}：请{service.next_step(fault)}。"
    return flash_redirect(request, f"/devices/{device_id}", notice)


@router.post("/devices/{device_id}/handover", response_class=HTMLResponse)
def handover_submit(
    request: Request,
    device_id: Id,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    to_officer: Text100 = "",
    battery_pct: Text20 = "",
    free_hours: Text20 = "",
    clock_offset_s: Text20 = "",
    override_reason: Text500 = "",
) -> Response:
    serial = _device_serial(session, auth, device_id)
    auth.actor.require(Action.DEVICE_MANAGE)
    form = {
        "to_officer": to_officer,
        "battery_pct": battery_pct,
        "free_hours": free_hours,
        "clock_offset_s": clock_offset_s,
        "override_reason": override_reason,
    }
    try:
        if not to_officer.strip():
            raise InvalidInput("请填写接收人的执法证号。", field="to_officer")
        period = service.handover(
            session=session,
            actor=auth.actor,
            serial=serial,
            to_badge=to_officer.strip(),
            check=_check(battery_pct, free_hours, clock_offset_s),
            limits=check_limits(settings),
            override_reason=override_reason,
        )
    except LawcamError as exc:
        return _refused(request, session, auth, device_id, exc, "handover_form", form)
    return flash_redirect(
        request, f"/devices/{device_id}", f"设备 {serial} 已交接给“{period.officer.name}”。"
    )


@router.post("/devices/{device_id}/fault", response_class=HTMLResponse)
def fault_submit(
    request: Request,
    device_id: Id,
    auth: AuthDep,
    session: SessionDep,
    description: Text1000 = "",
) -> Response:
    serial = _device_serial(session, auth, device_id)
    auth.actor.require(Action.FAULT_REPORT)
    try:
        faults.report_fault(
            session=session, actor=auth.actor, serial=serial, description=description
        )
    except LawcamError as exc:
        form = {"description": description}
        return _refused(request, session, auth, device_id, exc, "fault_form", form)
    return flash_redirect(
        request, f"/devices/{device_id}", f"设备 {serial} 的故障已报告，已通知单位负责人。"
    )


@router.post("/devices/{device_id}/loss-case", response_class=HTMLResponse)
def loss_case_submit(
    request: Request,
    device_id: Id,
    auth: AuthDep,
    session: SessionDep,
    kind: Text20 = "",
    description: Text1000 = "",
) -> Response:
    serial = _device_serial(session, auth, device_id)
    auth.actor.require(Action.DEVICE_MANAGE)
    try:
        chosen = _choice(CaseKind, kind, "请选择案件类别（丢失或损坏）。", "kind")
        faults.open_loss_case(
            session=session, actor=auth.actor, serial=serial, kind=chosen, description=description
        )
    except LawcamError as exc:
        form = {"kind": kind, "description": description}
        return _refused(request, session, auth, device_id, exc, "case_form", form)
    return flash_redirect(request, "/losses", f"设备 {serial} 的{chosen.label}案件已登记。")


# The ledger (台账, R9.2) -----------------------------------------------------------------------


LEDGER_PAGE = 100  # periods a page
LEDGER_DAYS = 31  # without dates, the ledger of the last 31 days (today included)


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit_id: Annotated[str, Query(max_length=20)] = "",
    from_: Annotated[str, Query(alias="from", max_length=20)] = "",
    to: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The ledger, a page of LEDGER_PAGE periods at a time in issue order, by default of the
    last LEDGER_DAYS days; 上一页/下一页 carry a cursor (issue 19)."""
    auth.actor.require(Action.EQUIPMENT_VIEW)
    error, status_code = None, 200
    if not from_ and not to:
        today = today_shanghai()
        from_, to = (today - timedelta(days=LEDGER_DAYS - 1)).isoformat(), today.isoformat()
    unit_filter, since, until, after = None, None, None, None
    try:
        unit_filter = parse_int(unit_id, "单位参数", field="unit_id")
        first = parse_date(from_, "起始日期", field="from")
        last = parse_date(to, "截止日期", field="to")
        check_day_range(first, last)
        since = shanghai_day_start(first) if first else None
        until = shanghai_day_start(last + timedelta(days=1)) if last else None
        after = keyset.parse_cursor(cursor)
    except LawcamError as exc:
        error, status_code = exc.message, exc.http_status
        unit_filter, since, until, after = None, None, None, None
    found = queries.ledger_page(
        session=session,
        actor=auth.actor,
        unit_id=unit_filter,
        since=since,
        until=until,
        limit=LEDGER_PAGE,
        cursor=after,
    )
    entries = entries_of(
        session=session, actor=auth.actor, periods=found.periods, with_activities=True
    )
    return page(
        request,
        "ledger.html",
        auth,
        status_code=status_code,
        error=error,
        entries=entries,
        next_cursor=found.next_cursor,
        prev_cursor=found.prev_cursor,
        show_activities=auth.actor.can(Action.ACTIVITY_VIEW),
        duration=duration_text,
        units=units_for(session, auth.actor, Action.EQUIPMENT_VIEW),
        filters={"unit_id": unit_filter, "from": from_, "to": to},
        **LABELS,
    )


# Faults and central repair (R16.1) -----------------------------------------------------------


def _faults_page(
    request: Request, session: Session, auth: Auth, status_code: int = 200, **extra: Any
) -> Response:
    actor = auth.actor
    manage_ids = equipment.visible_unit_ids(session, actor, Action.DEVICE_MANAGE)
    return page(
        request,
        "faults.html",
        auth,
        status_code=status_code,
        faults=queries.open_faults(session=session, actor=actor),
        repairs=queries.repair_orders(session=session, actor=actor),
        can_manage=lambda unit_id: manage_ids is None or unit_id in manage_ids,
        can_complete=actor.can(Action.REPAIR_COMPLETE),
        complete_form=extra.pop("complete_form", {}),
        **_labelled(**extra),
    )


@router.get("/faults", response_class=HTMLResponse)
def faults_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    auth.actor.require(Action.EQUIPMENT_VIEW)
    return _faults_page(request, session, auth)


@router.post("/faults/{fault_id}/register", response_class=HTMLResponse)
def fault_register_submit(
    request: Request, fault_id: Id, auth: AuthDep, session: SessionDep
) -> Response:
    try:
        fault = faults.register_fault(session=session, actor=auth.actor, fault_id=fault_id)
    except LawcamError as exc:
        discard(session)
        return _faults_page(request, session, auth, **form_error(exc))
    return flash_redirect(request, "/faults", f"设备 {fault.device.serial} 的故障已登记。")


@router.post("/faults/{fault_id}/repair", response_class=HTMLResponse)
def fault_repair_submit(
    request: Request, fault_id: Id, auth: AuthDep, session: SessionDep
) -> Response:
    try:
        order = faults.order_repair(session=session, actor=auth.actor, fault_id=fault_id)
    except LawcamError as exc:
        discard(session)
        return _faults_page(request, session, auth, **form_error(exc))
    return flash_redirect(
        request, "/faults", f"设备 {order.fault.device.serial} 已送信息通信保障部维修。"
    )


@router.post("/repairs/{order_id}/complete", response_class=HTMLResponse)
def repair_complete_submit(
    request: Request,
    order_id: Id,
    auth: AuthDep,
    session: SessionDep,
    diagnosis: Text1000 = "",
    outcome: Text20 = "",
) -> Response:
    auth.actor.require(Action.REPAIR_COMPLETE)
    try:
        chosen = _choice(RepairOutcome, outcome, "请选择维修结果。", "outcome")
        order = faults.complete_repair(
            session=session,
            actor=auth.actor,
            order_id=order_id,
            diagnosis=diagnosis,
            outcome=chosen,
        )
    except LawcamError as exc:
        discard(session)
        form = {"order_id": str(order_id), "diagnosis": diagnosis, "outcome": outcome}
        return _faults_page(request, session, auth, complete_form=form, **form_error(exc))
    return flash_redirect(request, "/faults", f"维修单 #{order.id} 已完成：{chosen.label}。")


# Loss and damage (R17.1) ---------------------------------------------------------------------


def _losses_page(
    request: Request, session: Session, auth: Auth, status_code: int = 200, **extra: Any
) -> Response:
    return page(
        request,
        "losses.html",
        auth,
        status_code=status_code,
        cases=queries.loss_cases(session=session, actor=auth.actor),
        can_decide=auth.actor.can(Action.LOSS_DECIDE),
        decide_form=extra.pop("decide_form", {}),
        **_labelled(**extra),
    )


@router.get("/losses", response_class=HTMLResponse)
def losses_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    auth.actor.require(Action.EQUIPMENT_VIEW)
    return _losses_page(request, session, auth)


@router.post("/losses/{case_id}/decide", response_class=HTMLResponse)
def loss_decide_submit(
    request: Request,
    case_id: Id,
    auth: AuthDep,
    session: SessionDep,
    cause: Text20 = "",
    decision: Text1000 = "",
) -> Response:
    queries.get_loss_case(session=session, actor=auth.actor, case_id=case_id)  # 404 first
    auth.actor.require(Action.LOSS_DECIDE)
    try:
        chosen = _choice(LossCause, cause, "请选择原因认定。", "cause")
        case = faults.decide_loss_case(
            session=session, actor=auth.actor, case_id=case_id, cause=chosen, decision=decision
        )
    except LawcamError as exc:
        discard(session)
        form = {"case_id": str(case_id), "cause": cause, "decision": decision}
        return _losses_page(request, session, auth, decide_form=form, **form_error(exc))
    return flash_redirect(request, "/losses", f"丢失/损坏案件 #{case.id} 已作出决定。")


# The caller's inbox (R16.1) ------------------------------------------------------------------


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    notes = queries.notifications_for(session=session, person_id=auth.actor.person_id)
    return page(request, "inbox.html", auth, notes=notes)


@router.post("/inbox/{notification_id}/read")
def inbox_mark_read(notification_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    faults.mark_read(session=session, actor=auth.actor, notification_id=notification_id)
    return redirect("/inbox")
