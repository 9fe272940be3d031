"""Chinese pages for budgets and procurement with finance approval (R8.1).

Thin: parse the form → call the service or query (they check permission) → render.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.authz import Action
from lawcam.equipment import procurement as purchasing
from lawcam.equipment import queries, service
from lawcam.equipment.types import ProcurementIn, ProcurementStatus
from lawcam.errors import InvalidInput, LawcamError
from lawcam.schemas.common import Id
from lawcam.web.deps import Auth, AuthDep, SessionDep
from lawcam.web.forms import (
    PROCUREMENT_STATUSES,
    Text20,
    Text100,
    Text500,
    discard,
    flash_redirect,
    form_error,
    page,
    parse_date,
    parse_int,
    this_year,
    today,
    units_for,
    yuan,
)

router = APIRouter(include_in_schema=False)


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
    return page(
        request,
        "budgets.html",
        auth,
        year=year,
        rows=rows,
        totals=queries.budget_totals(rows),
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
    return flash_redirect(
        request,
        f"/budgets?year={budget.year}",
        f"“{unit.strip()}”{budget.year} 年度预算已设为 {yuan(budget.amount)}。",
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
    chosen = status.strip()
    rows = queries.list_procurements(
        session=session,
        actor=auth.actor,
        year=year_filter,
        status=ProcurementStatus(chosen) if chosen in PROCUREMENT_STATUSES else None,
    )
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
    return flash_redirect(
        request,
        f"/procurements/{created.id}",
        f"采购记录已登记，共 {yuan(created.total)}，待计划财务处审批。",
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
    request: Request, procurement_id: Id, auth: AuthDep, session: SessionDep
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
    return flash_redirect(request, f"/procurements/{procurement_id}", done)


@router.post("/procurements/{procurement_id}/approve", response_class=HTMLResponse)
def procurement_approve_submit(
    request: Request,
    procurement_id: Id,
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
    procurement_id: Id,
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
