"""Chinese pages for units (with their case-handling zones, R5.2) and people (an officer's
page lists their recent enforcement activities, 第十条).

Thin: parse the form → call the service or query (they check permission) → render.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.activities import views as activity_views
from lawcam.activities.types import KIND_LABELS
from lawcam.authz import Action, Role
from lawcam.errors import InvalidInput, LawcamError
from lawcam.org import queries, service
from lawcam.org.types import PersonChanges, PersonIn, UnitChanges, UnitClass, UnitIn
from lawcam.reports.activity_list import coverage_text
from lawcam.schemas.common import Id
from lawcam.web.deps import Auth, AuthDep, SessionDep
from lawcam.web.forms import (
    active_units,
    discard,
    flash_redirect,
    parse_class,
    parse_int,
    render,
    role_tags,
    split_list,
    unit_names,
)

router = APIRouter(include_in_schema=False)

CLASS_LABELS = {c.value: c.label for c in UnitClass}
CLASS_HINTS = {
    "many": "执法人员、任务和执法环节多，原则上每 3 名执法人员配备 1 台",
    "more": "原则上每 5 名执法人员配备 1 台",
    "fewer": "由单位设定配备目标台数（第六条）",
}

Text100 = Annotated[str, Form(max_length=100)]
Text40 = Annotated[str, Form(max_length=40)]
RECENT_ACTIVITIES = 10  # on a person's page; the rest through the filtered activity list


# Units ---------------------------------------------------------------------------------------


@router.get("/units", response_class=HTMLResponse)
def units_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    include_inactive: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    units = queries.list_units(
        session=session, actor=auth.actor, include_inactive=bool(include_inactive)
    )
    names = unit_names(session, auth)
    return render(
        request,
        "units.html",
        auth,
        units=units,
        names=names,
        class_labels=CLASS_LABELS,
        include_inactive=bool(include_inactive),
    )


def _unit_form_page(
    request: Request,
    session: Session,
    auth: Auth,
    form: dict[str, str],
    *,
    status_code: int = 200,
    error: str | None = None,
    error_field: str | None = None,
) -> Response:
    return render(
        request,
        "unit_form.html",
        auth,
        status_code=status_code,
        form=form,
        error=error,
        error_field=error_field,
        parents=active_units(session, auth),
        class_labels=CLASS_LABELS,
        class_hints=CLASS_HINTS,
    )


@router.get("/units/new", response_class=HTMLResponse)
def unit_new_form(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    auth.actor.require(Action.UNIT_MANAGE)
    empty = dict.fromkeys(("name", "unit_class", "target", "parent", "zones", "note"), "")
    return _unit_form_page(request, session, auth, empty)


@router.post("/units/new", response_class=HTMLResponse)
def unit_new_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    name: Text100 = "",
    unit_class: Annotated[str, Form(max_length=10)] = "",
    target: Annotated[str, Form(max_length=20)] = "",
    parent: Text100 = "",
    zones: Annotated[str, Form(max_length=2000)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    auth.actor.require(Action.UNIT_MANAGE)  # refuse before any parsing message
    form = {
        "name": name,
        "unit_class": unit_class,
        "target": target,
        "parent": parent,
        "zones": zones,
        "note": note,
    }
    try:
        data = UnitIn(
            name=name,
            unit_class=parse_class(unit_class),
            target=parse_int(target, "配备目标", field="target", message="配备目标须为整数。"),
            parent=parent.strip() or None,
            zones=split_list(zones),
            note=note,
        )
        unit = service.create_unit(session=session, actor=auth.actor, data=data)
    except LawcamError as exc:
        discard(session)
        return _unit_form_page(
            request,
            session,
            auth,
            form,
            status_code=exc.http_status,
            error=exc.message,
            error_field=exc.details.get("field"),
        )
    return flash_redirect(request, f"/units/{unit.id}", f"单位“{unit.name}”已创建。")


def _unit_page(
    request: Request,
    session: Session,
    auth: Auth,
    unit_id: int,
    *,
    form: dict[str, str] | None = None,
    zone_name: str = "",
    status_code: int = 200,
    error: str | None = None,
    error_field: str | None = None,
) -> Response:
    unit = queries.get_unit(session=session, actor=auth.actor, unit_id=unit_id)
    if form is None:
        form = {
            "name": unit.name,
            "unit_class": unit.unit_class or "",
            "target": "" if unit.target is None else str(unit.target),
            "parent": unit.parent.name if unit.parent else "",
            "note": unit.note,
        }
    people = queries.list_people(
        session=session, actor=auth.actor, unit_id=unit.id, include_inactive=True
    )
    children = [u for u in active_units(session, auth) if u.parent_id == unit.id]
    parents = [u for u in active_units(session, auth) if u.id != unit.id]
    return render(
        request,
        "unit.html",
        auth,
        status_code=status_code,
        unit=unit,
        people=people,
        children=children,
        parents=parents,
        form=form,
        zone_name=zone_name,
        error=error,
        error_field=error_field,
        class_labels=CLASS_LABELS,
        class_hints=CLASS_HINTS,
        role_tags=role_tags,
    )


@router.get("/units/{unit_id}", response_class=HTMLResponse)
def unit_page(request: Request, unit_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    return _unit_page(request, session, auth, unit_id)


@router.post("/units/{unit_id}/edit", response_class=HTMLResponse)
def unit_edit_submit(
    request: Request,
    unit_id: Id,
    auth: AuthDep,
    session: SessionDep,
    name: Text100 = "",
    unit_class: Annotated[str, Form(max_length=10)] = "",
    target: Annotated[str, Form(max_length=20)] = "",
    parent: Text100 = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    auth.actor.require(Action.UNIT_MANAGE)
    form = {
        "name": name,
        "unit_class": unit_class,
        "target": target,
        "parent": parent,
        "note": note,
    }
    try:
        parsed_target = parse_int(target, "配备目标", field="target", message="配备目标须为整数。")
        changes = UnitChanges(
            name=name,
            unit_class=parse_class(unit_class),
            target=parsed_target,
            parent=parent,
            note=note,
            clear_target=parsed_target is None,
        )
        unit = service.update_unit(
            session=session, actor=auth.actor, unit_id=unit_id, changes=changes
        )
    except LawcamError as exc:
        discard(session)
        return _unit_page(
            request,
            session,
            auth,
            unit_id,
            form=form,
            status_code=exc.http_status,
            error=exc.message,
            error_field=exc.details.get("field"),
        )
    return flash_redirect(request, f"/units/{unit.id}", "单位信息已保存。")


@router.post("/units/{unit_id}/zones", response_class=HTMLResponse)
def unit_zone_submit(
    request: Request,
    unit_id: Id,
    auth: AuthDep,
    session: SessionDep,
    name: Text100 = "",
) -> Response:
    try:
        zone = service.add_zone(session=session, actor=auth.actor, unit_id=unit_id, name=name)
    except LawcamError as exc:
        discard(session)
        return _unit_page(
            request,
            session,
            auth,
            unit_id,
            zone_name=name,
            status_code=exc.http_status,
            error=exc.message,
            error_field="zone",
        )
    return flash_redirect(request, f"/units/{unit_id}", f"办案专区“{zone.name}”已添加。")


@router.post("/units/{unit_id}/deactivate", response_class=HTMLResponse)
def unit_deactivate_submit(
    request: Request, unit_id: Id, auth: AuthDep, session: SessionDep
) -> Response:
    try:
        unit = service.deactivate_unit(session=session, actor=auth.actor, unit_id=unit_id)
    except LawcamError as exc:
        discard(session)
        return _unit_page(
            request, session, auth, unit_id, status_code=exc.http_status, error=exc.message
        )
    return flash_redirect(request, f"/units/{unit.id}", f"单位“{unit.name}”已停用。")


# People --------------------------------------------------------------------------------------


@router.get("/people", response_class=HTMLResponse)
def people_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit_id: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    include_inactive: Annotated[str, Query(max_length=10)] = "",
    officers_only: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    error = None
    try:
        unit_filter = parse_int(unit_id, "单位参数", field="unit_id", message="单位参数不正确。")
    except LawcamError as exc:
        unit_filter, error = None, exc.message
    people = queries.list_people(
        session=session,
        actor=auth.actor,
        unit_id=unit_filter,
        query=q.strip() or None,
        include_inactive=bool(include_inactive),
        officers_only=bool(officers_only),
    )
    return render(
        request,
        "people.html",
        auth,
        people=people,
        units=active_units(session, auth),
        names=unit_names(session, auth),
        filters={
            "unit_id": unit_filter,
            "q": q,
            "include_inactive": bool(include_inactive),
            "officers_only": bool(officers_only),
        },
        error=error,
        role_tags=role_tags,
    )


def _person_form_page(
    request: Request,
    session: Session,
    auth: Auth,
    form: dict[str, Any],
    *,
    status_code: int = 200,
    error: str | None = None,
    error_field: str | None = None,
) -> Response:
    return render(
        request,
        "person_form.html",
        auth,
        status_code=status_code,
        form=form,
        units=active_units(session, auth),
        error=error,
        error_field=error_field,
    )


@router.get("/people/new", response_class=HTMLResponse)
def person_new_form(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit_id: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    auth.actor.require(Action.PERSON_MANAGE)
    names = unit_names(session, auth)
    preset = names.get(int(unit_id), "") if unit_id.strip().isdigit() else ""
    form = {"name": "", "unit": preset, "badge": "", "is_officer": True, "phone": ""}
    return _person_form_page(request, session, auth, form)


@router.post("/people/new", response_class=HTMLResponse)
def person_new_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    name: Text100 = "",
    unit: Text100 = "",
    badge: Text40 = "",
    is_officer: Annotated[str, Form(max_length=10)] = "",
    phone: Text40 = "",
) -> Response:
    auth.actor.require(Action.PERSON_MANAGE)
    form = {
        "name": name,
        "unit": unit,
        "badge": badge,
        "is_officer": bool(is_officer),
        "phone": phone,
    }
    try:
        if not unit.strip():
            raise InvalidInput("请选择所属单位。", field="unit")
        person = service.create_person(
            session=session,
            actor=auth.actor,
            data=PersonIn(
                name=name,
                unit=unit,
                badge=badge.strip() or None,
                is_officer=bool(is_officer),
                phone=phone,
            ),
        )
    except LawcamError as exc:
        discard(session)
        return _person_form_page(
            request,
            session,
            auth,
            form,
            status_code=exc.http_status,
            error=exc.message,
            error_field=exc.details.get("field"),
        )
    return flash_redirect(request, f"/people/{person.id}", f"人员“{person.name}”已添加。")


def _person_page(
    request: Request,
    session: Session,
    auth: Auth,
    person_id: int,
    *,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
    error: str | None = None,
    error_field: str | None = None,
) -> Response:
    person = queries.get_person(session=session, actor=auth.actor, person_id=person_id)
    if form is None:
        form = {
            "name": person.name,
            "unit": person.unit.name,
            "badge": person.badge or "",
            "is_officer": person.is_officer,
            "phone": person.phone,
        }
    account = None
    if auth.actor.can(Action.ACCOUNT_VIEW):
        account = next(
            (
                a
                for a in queries.list_accounts(session=session, actor=auth.actor)
                if a.person_id == person.id
            ),
            None,
        )
    return render(
        request,
        "person.html",
        auth,
        status_code=status_code,
        person=person,
        account=account,
        form=form,
        units=active_units(session, auth),
        names=unit_names(session, auth),
        error=error,
        error_field=error_field,
        role_tags=role_tags,
        role_label=lambda r: Role(r).label,
        activities=activity_views.recent_of(
            session=session, actor=auth.actor, person_id=person.id, limit=RECENT_ACTIVITIES
        ),
        activity_kinds={str(k): label for k, label in KIND_LABELS.items()},
        coverage_text=coverage_text,
    )


@router.get("/people/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, person_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    return _person_page(request, session, auth, person_id)


@router.post("/people/{person_id}/edit", response_class=HTMLResponse)
def person_edit_submit(
    request: Request,
    person_id: Id,
    auth: AuthDep,
    session: SessionDep,
    name: Text100 = "",
    unit: Text100 = "",
    badge: Text40 = "",
    is_officer: Annotated[str, Form(max_length=10)] = "",
    phone: Text40 = "",
) -> Response:
    form = {
        "name": name,
        "unit": unit,
        "badge": badge,
        "is_officer": bool(is_officer),
        "phone": phone,
    }
    try:
        changes = PersonChanges(
            name=name,
            unit=unit.strip() or None,
            badge=badge,
            is_officer=bool(is_officer),
            phone=phone,
        )
        person = service.update_person(
            session=session, actor=auth.actor, person_id=person_id, changes=changes
        )
    except LawcamError as exc:
        discard(session)
        return _person_page(
            request,
            session,
            auth,
            person_id,
            form=form,
            status_code=exc.http_status,
            error=exc.message,
            error_field=exc.details.get("field"),
        )
    return flash_redirect(request, f"/people/{person.id}", "人员信息已保存。")


def _set_active(
    request: Request, session: Session, auth: Auth, person_id: int, *, active: bool
) -> Response:
    try:
        person = service.set_person_active(
            session=session, actor=auth.actor, person_id=person_id, active=active
        )
    except LawcamError as exc:
        discard(session)
        return _person_page(
            request, session, auth, person_id, status_code=exc.http_status, error=exc.message
        )
    done = "已恢复在职" if active else "已停用"
    return flash_redirect(request, f"/people/{person.id}", f"“{person.name}”{done}。")


@router.post("/people/{person_id}/deactivate", response_class=HTMLResponse)
def person_deactivate_submit(
    request: Request, person_id: Id, auth: AuthDep, session: SessionDep
) -> Response:
    return _set_active(request, session, auth, person_id, active=False)


@router.post("/people/{person_id}/reactivate", response_class=HTMLResponse)
def person_reactivate_submit(
    request: Request, person_id: Id, auth: AuthDep, session: SessionDep
) -> Response:
    return _set_active(request, session, auth, person_id, active=True)
