"""Penalty cases (案件, 第十四条第（三）项): the JSON API and the Chinese pages — the list and the
register form, a case's page with its dates, term, archive, linked activities and recordings
with their effective retention, unlinking (asked, then approved by the unit head), and the link
form the recording and activity pages post to. Thin: parse → domain → render.

A case is named by its number in every URL (``{number:path}``: numbers hold Chinese, 〔〕 and
sometimes a slash); links are made URL-safe with ``case_url``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.authz import Action
from lawcam.config import Settings
from lawcam.errors import InvalidInput, LawcamError, NotFound
from lawcam.org.queries import unit_by_name
from lawcam.retention import queries, service, views
from lawcam.retention.models import PenaltyCase
from lawcam.retention.queries import CaseFilter
from lawcam.retention.service import CaseDates, NewCase
from lawcam.retention.types import CASE_STATUS_LABELS, CaseStatus, term_label
from lawcam.schemas.common import Clean, Id
from lawcam.schemas.retention import (
    ArchiveIn,
    CaseDetailOut,
    CaseIn,
    CaseOut,
    DatesIn,
    LinkIn,
    ReasonIn,
    TermIn,
)
from lawcam.timeutil import add_years, today_shanghai
from lawcam.web.deps import (
    Auth,
    AuthDep,
    CommittingRoute,
    CurrentActor,
    SessionDep,
    SettingsDep,
    StoreDep,
)
from lawcam.web.forms import (
    active_units,
    discard,
    flash_redirect,
    form_error,
    parse_date,
    parse_int,
    render,
)

api = APIRouter(prefix="/api/v1", tags=["retention"], route_class=CommittingRoute)
pages = APIRouter(include_in_schema=False)

CASE = "/cases/{number:path}"
Text = Annotated[str, Form(max_length=1000), Clean]
Short = Annotated[str, Form(max_length=100), Clean]
Day = Annotated[str, Form(max_length=20)]


def case_url(number: str) -> str:
    return "/cases/" + quote(number, safe="")


# JSON API ------------------------------------------------------------------------------------


@api.get("/cases", response_model=list[CaseOut])
def list_cases(
    actor: CurrentActor,
    session: SessionDep,
    unit_id: Annotated[Id | None, Query(description="承办单位")] = None,
    status: CaseStatus | None = None,
    q: Annotated[str, Query(max_length=100, description="编号、名称或当事人中的文字")] = "",
) -> list[CaseOut]:
    actor.require(Action.CASE_VIEW)
    where = CaseFilter(unit_id=unit_id, status=status, text=q.strip())
    return [CaseOut.of(c) for c in queries.list_cases(session=session, actor=actor, where=where)]


@api.post("/cases", response_model=CaseDetailOut, status_code=201)
def create_case(
    body: CaseIn, actor: CurrentActor, session: SessionDep, settings: SettingsDep
) -> CaseDetailOut:
    unit = unit_by_name(session, body.unit.strip())
    if unit is None:
        raise NotFound(f"单位“{body.unit}”不存在。", field="unit")
    new = NewCase(number=body.number, unit_id=unit.id, title=body.title, opened_on=body.opened_on,
                  term=body.term, parties=body.parties)  # fmt: skip
    case = service.create_case(session=session, actor=actor, terms=settings.case_terms, new=new)
    return CaseDetailOut.view(views.case_view(session, actor, case))


@api.get(CASE, response_model=CaseDetailOut)
def get_case(number: str, actor: CurrentActor, session: SessionDep) -> CaseDetailOut:
    case = queries.get_case(session=session, actor=actor, number=number)
    return CaseDetailOut.view(views.case_view(session, actor, case))


@api.post(CASE + "/links", response_model=CaseDetailOut, status_code=201)
def link(
    number: str, body: LinkIn, actor: CurrentActor, session: SessionDep, store: StoreDep
) -> CaseDetailOut:
    case = queries.get_case(session=session, actor=actor, number=number)
    service.link(session=session, actor=actor, store=store, case=case, reason=body.reason,
                 recording_id=body.recording_id, activity_id=body.activity_id)  # fmt: skip
    return CaseDetailOut.view(views.case_view(session, actor, case))


@api.post(CASE + "/links/{link_id}/unlink-request", response_model=CaseDetailOut)
def unlink_request(
    number: str, link_id: Id, body: ReasonIn, actor: CurrentActor, session: SessionDep
) -> CaseDetailOut:
    case = queries.get_case(session=session, actor=actor, number=number)
    made = queries.get_link(session, case, link_id)
    service.ask_unlink(session=session, actor=actor, case=case, link=made, reason=body.reason)
    return CaseDetailOut.view(views.case_view(session, actor, case))


@api.post(CASE + "/links/{link_id}/unlink-approval", response_model=CaseDetailOut)
def unlink_approval(
    number: str, link_id: Id, actor: CurrentActor, session: SessionDep, store: StoreDep
) -> CaseDetailOut:
    case = queries.get_case(session=session, actor=actor, number=number)
    made = queries.get_link(session, case, link_id)
    service.approve_unlink(session=session, actor=actor, store=store, case=case, link=made)
    return CaseDetailOut.view(views.case_view(session, actor, case))


@api.post(CASE + "/dates", response_model=CaseDetailOut)
def dates(number: str, body: DatesIn, actor: CurrentActor, session: SessionDep) -> CaseDetailOut:
    case = queries.get_case(session=session, actor=actor, number=number)
    service.record_dates(session=session, actor=actor, case=case, dates=body.dates())
    return CaseDetailOut.view(views.case_view(session, actor, case))


@api.post(CASE + "/term", response_model=CaseDetailOut)
def term(
    number: str,
    body: TermIn,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
) -> CaseDetailOut:
    case = queries.get_case(session=session, actor=actor, number=number)
    service.change_term(session=session, actor=actor, store=store, terms=settings.case_terms,
                        case=case, term=body.term, reason=body.reason)  # fmt: skip
    return CaseDetailOut.view(views.case_view(session, actor, case))


@api.post(CASE + "/archive", response_model=CaseDetailOut)
def archive(
    number: str, body: ArchiveIn, actor: CurrentActor, session: SessionDep, store: StoreDep
) -> CaseDetailOut:
    case = queries.get_case(session=session, actor=actor, number=number)
    service.archive_case(
        session=session, actor=actor, store=store, case=case, archived_on=body.archived_on
    )
    return CaseDetailOut.view(views.case_view(session, actor, case))


# Pages ---------------------------------------------------------------------------------------


def _labels(settings: Settings) -> dict[str, Any]:
    terms = {name: f"{term_label(years)}" for name, years in settings.case_terms.items()}
    return {
        "terms": terms,
        "statuses": {str(s): label for s, label in CASE_STATUS_LABELS.items()},
        "case_url": case_url,
        "term_label": term_label,
    }


def _list_form(unit_id: str = "", status: str = "", q: str = "") -> dict[str, str]:
    return {"unit_id": unit_id.strip(), "status": status.strip(), "q": q.strip()}


def _filter(form: dict[str, str]) -> CaseFilter:
    status = None
    if form["status"]:
        if form["status"] not in CASE_STATUS_LABELS:
            raise InvalidInput("案件状态只能是办理中、已决定、已结案或已归档。", field="status")
        status = CaseStatus(form["status"])
    unit_id = parse_int(form["unit_id"], "单位参数", field="unit_id")
    return CaseFilter(unit_id=unit_id, status=status, text=form["q"])


def _list_page(
    request: Request,
    auth: Auth,
    session: Session,
    filters: dict[str, str],
    **context: Any,
) -> Response:
    auth.actor.require(Action.CASE_VIEW)
    try:
        where = _filter(filters)
    except InvalidInput as exc:
        where = CaseFilter()
        context = {**form_error(exc), **context}
    rows = queries.list_cases(session=session, actor=auth.actor, where=where)
    units = [
        u for u in active_units(session, auth) if queries.unit_allowed(session, auth.actor, u.id)
    ]
    settings = request.app.state.settings
    context.setdefault("form", {"opened_on": today_shanghai().isoformat(),
                                "unit_id": str(auth.actor.unit_id or "")})  # fmt: skip
    return render(request, "cases.html", auth, rows=rows, units=units, filters=filters,
                  may_manage=auth.actor.can(Action.CASE_MANAGE), **_labels(settings),
                  **context)  # fmt: skip


@pages.get("/cases", response_class=HTMLResponse)
def cases_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit_id: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    return _list_page(request, auth, session, _list_form(unit_id, status, q))


@pages.post("/cases", response_class=HTMLResponse)
def case_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    number: Short = "",
    unit_id: Annotated[str, Form(max_length=20)] = "",
    title: Annotated[str, Form(max_length=500), Clean] = "",
    parties: Text = "",
    opened_on: Day = "",
    term: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    auth.actor.require(Action.CASE_MANAGE)
    form = dict(number=number, unit_id=unit_id, title=title, parties=parties,
                opened_on=opened_on, term=term)  # fmt: skip
    try:
        new = NewCase(
            number=number, title=title, parties=parties, term=term,
            unit_id=parse_int(unit_id, "承办单位", field="unit_id", required=True) or 0,
            opened_on=_required(opened_on, "立案日期", "opened_on"),
        )  # fmt: skip
        case = service.create_case(
            session=session, actor=auth.actor, terms=settings.case_terms, new=new
        )
    except LawcamError as exc:
        discard(session)
        return _list_page(request, auth, session, _list_form(), form=form, **form_error(exc))
    return flash_redirect(request, case_url(case.number), f"已登记案件 {case.number}。")


def _case_page(
    request: Request, auth: Auth, session: Session, number: str, **context: Any
) -> Response:
    case = queries.get_case(session=session, actor=auth.actor, number=number)
    actor = auth.actor
    context.setdefault("form", {})
    may = {
        "manage": actor.can(Action.CASE_MANAGE),
        "approve": actor.can(Action.CASE_UNLINK_APPROVE),
        "holds": views.may_see_holds(actor),
    }
    until = add_years(case.archived_on, case.term_years) if case.archived_on else None
    return render(request, "case.html", auth, case=case, view=views.case_view(session, actor, case),
                  may=may, today=today_shanghai(), case_until=until,
                  **_labels(request.app.state.settings), **context)  # fmt: skip


@pages.get(CASE, response_class=HTMLResponse)
def case_page(request: Request, number: str, auth: AuthDep, session: SessionDep) -> Response:
    return _case_page(request, auth, session, number)


def _failed(
    request: Request, auth: Auth, session: Session, number: str, exc: LawcamError, **form: str
) -> Response:
    discard(session)
    return _case_page(request, auth, session, number, form=form, **form_error(exc))


@pages.post(CASE + "/links", response_class=HTMLResponse)
def link_submit(
    request: Request,
    number: str,
    auth: AuthDep,
    session: SessionDep,
    store: StoreDep,
    recording_id: Annotated[str, Form(max_length=20)] = "",
    activity_id: Annotated[str, Form(max_length=20)] = "",
    reason: Text = "",
) -> Response:
    auth.actor.require(Action.CASE_MANAGE)
    case = queries.get_case(session=session, actor=auth.actor, number=number)
    try:
        made = _link(session, auth, store, case, recording_id, activity_id, reason)
    except LawcamError as exc:
        return _failed(request, auth, session, number, exc, which="link",
                       recording_id=recording_id, activity_id=activity_id, reason=reason)  # fmt: skip
    return flash_redirect(
        request, case_url(case.number), _linked(made.recording_id, made.activity_id)
    )


def _link(
    session: Session,
    auth: Auth,
    store: Any,
    case: PenaltyCase,
    recording_id: str,
    activity_id: str,
    reason: str,
) -> Any:
    rid = parse_int(recording_id.strip().lstrip("#"), "资料编号", field="recording_id")
    aid = parse_int(activity_id.strip().lstrip("#"), "执法活动编号", field="activity_id")
    for value, field in ((rid, "recording_id"), (aid, "activity_id")):
        if value is not None and value < 1:
            raise InvalidInput("编号须为正整数。", field=field)
    return service.link(session=session, actor=auth.actor, store=store, case=case,
                        reason=reason, recording_id=rid, activity_id=aid)  # fmt: skip


def _linked(recording_id: int | None, activity_id: int | None) -> str:
    what = f"资料 #{recording_id}" if recording_id else f"执法活动 #{activity_id}（及其全部资料）"
    return f"已将{what}关联本案；在本案归档前一直保存，归档后按案卷保存期限保存。"


@pages.post(CASE + "/links/{link_id}/unlink-request", response_class=HTMLResponse)
def unlink_request_submit(
    request: Request,
    number: str,
    link_id: Id,
    auth: AuthDep,
    session: SessionDep,
    reason: Text = "",
) -> Response:
    auth.actor.require(Action.CASE_MANAGE)
    case = queries.get_case(session=session, actor=auth.actor, number=number)
    try:
        made = queries.get_link(session, case, link_id)
        service.ask_unlink(session=session, actor=auth.actor, case=case, link=made, reason=reason)
    except LawcamError as exc:
        return _failed(
            request, auth, session, number, exc, which=f"unlink-{link_id}", reason=reason
        )
    notice = f"已申请解除关联 #{link_id}，待单位负责人审批；审批前资料仍按本案保存。"
    return flash_redirect(request, case_url(case.number), notice)


@pages.post(CASE + "/links/{link_id}/unlink-approval", response_class=HTMLResponse)
def unlink_approval_submit(
    request: Request, number: str, link_id: Id, auth: AuthDep, session: SessionDep, store: StoreDep
) -> Response:
    auth.actor.require(Action.CASE_UNLINK_APPROVE)
    case = queries.get_case(session=session, actor=auth.actor, number=number)
    try:
        made = queries.get_link(session, case, link_id)
        service.approve_unlink(session=session, actor=auth.actor, store=store, case=case, link=made)
    except LawcamError as exc:
        return _failed(request, auth, session, number, exc, which=f"approve-{link_id}")
    notice = f"已批准解除关联 #{link_id}；资料的保存期限不因此缩短于已承诺的日期。"
    return flash_redirect(request, case_url(case.number), notice)


@pages.post(CASE + "/dates", response_class=HTMLResponse)
def dates_submit(
    request: Request,
    number: str,
    auth: AuthDep,
    session: SessionDep,
    decided_on: Day = "",
    closed_on: Day = "",
) -> Response:
    auth.actor.require(Action.CASE_MANAGE)
    case = queries.get_case(session=session, actor=auth.actor, number=number)
    try:
        given = CaseDates(
            decided_on=_day(decided_on, "处罚决定日期", "decided_on"),
            closed_on=_day(closed_on, "结案日期", "closed_on"),
        )
        if given == CaseDates():
            raise InvalidInput("请填写处罚决定日期或结案日期。", field="dates")
        service.record_dates(session=session, actor=auth.actor, case=case, dates=given)
    except LawcamError as exc:
        return _failed(request, auth, session, number, exc, which="dates",
                       decided_on=decided_on, closed_on=closed_on)  # fmt: skip
    return flash_redirect(request, case_url(case.number), "已记录案件日期。")


@pages.post(CASE + "/term", response_class=HTMLResponse)
def term_submit(
    request: Request,
    number: str,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    term: Annotated[str, Form(max_length=20)] = "",
    reason: Text = "",
) -> Response:
    auth.actor.require(Action.CASE_MANAGE)
    case = queries.get_case(session=session, actor=auth.actor, number=number)
    try:
        service.change_term(session=session, actor=auth.actor, store=store,
                            terms=settings.case_terms, case=case, term=term, reason=reason)  # fmt: skip
    except LawcamError as exc:
        return _failed(request, auth, session, number, exc, which="term", term=term, reason=reason)
    notice = f"案卷保存期限已改为{term_label(case.term_years)}。"
    return flash_redirect(request, case_url(case.number), notice)


@pages.post(CASE + "/archive", response_class=HTMLResponse)
def archive_submit(
    request: Request,
    number: str,
    auth: AuthDep,
    session: SessionDep,
    store: StoreDep,
    archived_on: Day = "",
) -> Response:
    auth.actor.require(Action.CASE_MANAGE)
    case = queries.get_case(session=session, actor=auth.actor, number=number)
    try:
        day = _required(archived_on, "归档日期", "archived_on")
        service.archive_case(
            session=session, actor=auth.actor, store=store, case=case, archived_on=day
        )
    except LawcamError as exc:
        return _failed(
            request, auth, session, number, exc, which="archive", archived_on=archived_on
        )
    notice = f"案件已于 {case.archived_on} 归档；在案资料按{term_label(case.term_years)}保存。"
    return flash_redirect(request, case_url(case.number), notice)


# Linking from a recording's or an activity's page ---------------------------------------------


@pages.post("/case-links", response_class=HTMLResponse)
def link_from_elsewhere(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    store: StoreDep,
    case_number: Short = "",
    recording_id: Annotated[str, Form(max_length=20)] = "",
    activity_id: Annotated[str, Form(max_length=20)] = "",
    reason: Text = "",
) -> Response:
    """The 关联案件 form of a recording's or an activity's page: back there when linked; a
    refusal shows the form again on a page of its own, with what was typed."""
    auth.actor.require(Action.CASE_MANAGE)
    form = dict(case_number=case_number, recording_id=recording_id, activity_id=activity_id,
                reason=reason)  # fmt: skip
    try:
        if not case_number.strip():
            raise InvalidInput("请填写案件编号。", field="case_number")
        case = queries.get_case(session=session, actor=auth.actor, number=case_number)
        made = _link(session, auth, store, case, recording_id, activity_id, reason)
    except LawcamError as exc:
        discard(session)
        return render(request, "case_link.html", auth, form=form, back=_back(form),
                      **form_error(exc))  # fmt: skip
    return flash_redirect(
        request,
        _back(form),
        f"已关联案件 {case.number}：" + _linked(made.recording_id, made.activity_id),
    )


def _back(form: dict[str, str]) -> str:
    """The page the form came from (only these two: never a URL from the form)."""
    for key, prefix in (("recording_id", "/recordings/"), ("activity_id", "/activities/")):
        value = form[key].strip().lstrip("#")
        if value.isdigit() and 0 < int(value) < 2**63:
            return prefix + value
    return "/cases"


def _day(value: str, what: str, field: str) -> date | None:
    return parse_date(value, what, field=field)


def _required(value: str, what: str, field: str) -> date:
    day = parse_date(value, what, field=field, required=True)
    assert day is not None  # required: “请填写…” otherwise
    return day
