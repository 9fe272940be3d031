"""Chinese pages for enforcement activities (第十条、第十二条、第十四条): the list with its
filters and Excel export, the late uploads (迟交清单), the entry form, and an activity's page —
its facts, the timeline, the interruptions with the officer's explanation and the device
administrator's confirmation, and the linked recordings with attach and detach.
Thin: parse → domain → render."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.activities import queries, service, views
from lawcam.activities.models import Activity
from lawcam.activities.queries import Facts
from lawcam.activities.types import ActivityKind, Cause, Explanation, InterruptionKind
from lawcam.authz import Action, Actor, Role
from lawcam.config import Settings
from lawcam.documents.types import MEDIA_LABELS
from lawcam.errors import InvalidInput, LawcamError
from lawcam.evidence.types import MediaKind
from lawcam.org import queries as org_queries
from lawcam.org.models import Person, Unit, Zone
from lawcam.org.queries import person_by_badge, unit_scope
from lawcam.reports.activity_list import announced_text, coverage_text, write_activities_xlsx
from lawcam.retention import views as retention_views
from lawcam.schemas.common import Clean, Id
from lawcam.storage import BlobStore
from lawcam.timeutil import SHANGHAI, check_day_range, utcnow
from lawcam.web.deps import Auth, AuthDep, SessionDep, SettingsDep, StoreDep
from lawcam.web.forms import discard, flash_redirect, form_error, parse_date, parse_int, render
from lawcam.web.routers.activities import timeline

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
LATE_PAGE_SIZE = 100
EXPORT_BATCH = 1000
Short = Annotated[str, Query(max_length=64)]
Flag = Annotated[str, Query(max_length=5)]
FormText = Annotated[str, Form(max_length=1000), Clean]
Text500 = Annotated[str, Form(max_length=500), Clean]
Text2000 = Annotated[str, Form(max_length=2000), Clean]
FILTER_KEYS = ("unit_id", "officer", "kind", "from", "to", "below_full", "unexplained", "late")

LABELS: dict[str, Any] = {
    "kinds": {str(k): k.label for k in ActivityKind},
    "interruption_kinds": {str(k): k.label for k in InterruptionKind},
    "explanations": {str(e): e.label for e in Explanation},
    "causes": {str(c): c.label for c in Cause},
    "media_kinds": {str(k): k.label for k in MediaKind},
    "states": timeline.STATE_LABELS,
    "coverage_text": coverage_text,
    "announced_text": announced_text,
    "media_labels": MEDIA_LABELS,
}


# ---------------------------------------------------------------------------------------------
# The list and its export


def _officer_id(session: Session, badge: str) -> int | None:
    if not badge:
        return None
    person = person_by_badge(session, badge)
    if person is None:
        raise InvalidInput(f"执法证号为 {badge} 的人员不存在。", field="officer")
    return person.id


def _filter(session: Session, form: dict[str, str]) -> queries.ActivityFilter:
    officer_id = _officer_id(session, form["officer"])
    if form["kind"] and form["kind"] not in LABELS["kinds"]:
        raise InvalidInput("执法活动类别不正确，请从列表中选择。", field="kind")
    where = queries.ActivityFilter(
        unit_id=parse_int(form["unit_id"], "单位参数", field="unit_id"),
        officer_id=officer_id,
        kind=form["kind"] or None,
        date_from=parse_date(form["from"], "起始日期", field="from"),
        date_to=parse_date(form["to"], "截止日期", field="to"),
        below_full=bool(form["below_full"]),
        unexplained=bool(form["unexplained"]),
        late=bool(form["late"]),
    )
    check_day_range(where.date_from, where.date_to)
    return where


def _filters(**given: str) -> dict[str, str]:
    return {key: value.strip() for key, value in given.items()}


def _page_number(text: str) -> int:
    number = parse_int(text, "页码", field="page") if text.strip() else 1
    if number is None or number < 1:
        raise InvalidInput("页码须为正整数。", field="page")
    return number


def _check_page(number: int, total: int, size: int = PAGE_SIZE, what: str = "执法活动") -> int:
    """A page past the last says so (a link outlives the rows it showed)."""
    pages = max(1, -(-total // size))
    if number > pages:
        raise InvalidInput(
            f"第 {number} 页超出范围：符合条件的{what}共 {total} 条，{pages} 页。", field="page"
        )
    return pages


def _units(session: Session, actor: Actor) -> list[Unit]:
    return list(org_queries.list_units(session=session, actor=actor))


@router.get("/activities", response_class=HTMLResponse)
def activities_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit_id: Short = "",
    officer: Short = "",
    kind: Short = "",
    from_: Annotated[str, Query(alias="from", max_length=20)] = "",
    to: Short = "",
    below_full: Flag = "",
    unexplained: Flag = "",
    late: Flag = "",
    page_: Annotated[str, Query(alias="page", max_length=10)] = "",
) -> Response:
    auth.actor.require(Action.ACTIVITY_VIEW)
    form = _filters(
        unit_id=unit_id,
        officer=officer,
        kind=kind,
        below_full=below_full,
        unexplained=unexplained,
        late=late,
        to=to,
        **{"from": from_},
    )
    context: dict[str, Any] = {"rows": [], "total": 0, "page_number": 1, "pages": 1}
    context["error_field"] = None
    try:
        where, number = _filter(session, form), _page_number(page_)
        rows, total = queries.list_activities(
            session=session,
            actor=auth.actor,
            where=where,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
        pages = _check_page(number, total)
        context.update(rows=rows, total=total, page_number=number, pages=pages)
    except LawcamError as exc:
        context.update(error=exc.message, error_field=exc.details.get("field"))
        context["status_code"] = exc.http_status
    query = urlencode({key: form[key] for key in FILTER_KEYS})
    return render(
        request,
        "activities.html",
        auth,
        filters=form,
        query=query,
        units=_units(session, auth.actor),
        **LABELS,
        **context,
    )


@router.get("/activities.xlsx")
def activities_sheet(
    auth: AuthDep,
    session: SessionDep,
    unit_id: Short = "",
    officer: Short = "",
    kind: Short = "",
    from_: Annotated[str, Query(alias="from", max_length=20)] = "",
    to: Short = "",
    below_full: Flag = "",
    unexplained: Flag = "",
    late: Flag = "",
) -> Response:
    """The filtered list, every page of it, as the office keeps activity lists: in Excel."""
    auth.actor.require(Action.ACTIVITY_VIEW)
    form = _filters(
        unit_id=unit_id,
        officer=officer,
        kind=kind,
        below_full=below_full,
        unexplained=unexplained,
        late=late,
        to=to,
        **{"from": from_},
    )
    where = _filter(session, form)
    rows: list[Activity] = []
    while True:
        batch, _ = queries.list_activities(
            session=session, actor=auth.actor, where=where, limit=EXPORT_BATCH, offset=len(rows)
        )
        rows.extend(batch)
        if len(batch) < EXPORT_BATCH:
            break
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "activities.xlsx"
        write_activities_xlsx(path, rows)
        return _xlsx(path, f"执法活动-{utcnow().astimezone(SHANGHAI):%Y%m%d}.xlsx")


def _xlsx(path: Path, filename: str) -> Response:
    # RFC 6266: an ASCII fallback and the UTF-8 name, so the Chinese file name survives.
    disposition = f"attachment; filename=\"activities.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        path.read_bytes(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


# ---------------------------------------------------------------------------------------------
# The late uploads (迟交清单, 第十四条)


def _late_filter(session: Session, form: dict[str, str]) -> queries.LateFilter:
    where = queries.LateFilter(
        unit_id=parse_int(form["unit_id"], "单位参数", field="unit_id"),
        officer_id=_officer_id(session, form["officer"]),
        date_from=parse_date(form["from"], "起始日期", field="from"),
        date_to=parse_date(form["to"], "截止日期", field="to"),
    )
    check_day_range(where.date_from, where.date_to)
    return where


@router.get("/activities/late", response_class=HTMLResponse)
def late_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    unit_id: Short = "",
    officer: Short = "",
    from_: Annotated[str, Query(alias="from", max_length=20)] = "",
    to: Short = "",
    page_: Annotated[str, Query(alias="page", max_length=10)] = "",
) -> Response:
    """Recordings the workstation received after their deadline: the activity's end + 24 h,
    or for one outside every activity its own end + 24 h; by officer and by unit."""
    auth.actor.require(Action.RECORDING_VIEW)
    form = _filters(unit_id=unit_id, officer=officer, to=to, **{"from": from_})
    context: dict[str, Any] = {"report": None, "page_number": 1, "pages": 1, "error_field": None}
    try:
        where, number = _late_filter(session, form), _page_number(page_)
        report = views.late_report(
            session=session,
            actor=auth.actor,
            where=where,
            hours=settings.upload_deadline_hours,
            limit=LATE_PAGE_SIZE,
            offset=(number - 1) * LATE_PAGE_SIZE,
        )
        pages = _check_page(number, report.total, LATE_PAGE_SIZE, "迟交资料")
        context.update(report=report, page_number=number, pages=pages)
    except LawcamError as exc:
        context.update(error=exc.message, error_field=exc.details.get("field"))
        context["status_code"] = exc.http_status
    return render(
        request,
        "late_uploads.html",
        auth,
        filters=form,
        query=urlencode({key: form[key] for key in ("unit_id", "officer", "from", "to")}),
        units=_units(session, auth.actor),
        hours=settings.upload_deadline_hours,
        **LABELS,
        **context,
    )


# ---------------------------------------------------------------------------------------------
# The entry form


def _recordable_units(session: Session, actor: Actor) -> list[Unit]:
    """The units the actor may enter activities for: the console, all; a unit's device
    administrator and head, theirs and the units below; an officer, their own."""
    units = _units(session, actor)
    if actor.console:
        return units
    if actor.unit_id is None:
        return []
    own = unit_scope(session, actor.unit_id) if actor.roles & queries.UNIT_WIDE else {actor.unit_id}
    return [u for u in units if u.id in own]


def _officers_of(session: Session, actor: Actor, units: list[Unit]) -> dict[int, list[Person]]:
    people = org_queries.list_people(session=session, actor=actor, officers_only=True)
    ids = {u.id for u in units}
    by_unit: dict[int, list[Person]] = {u.id: [] for u in units}
    for person in people:
        if person.unit_id in ids:
            by_unit[person.unit_id].append(person)
    return by_unit


def _form_page(
    request: Request, auth: Auth, session: Session, form: dict[str, Any], **context: Any
) -> Response:
    units = _recordable_units(session, auth.actor)
    return render(
        request,
        "activity_form.html",
        auth,
        form=form,
        units=units,
        officers=_officers_of(session, auth.actor, units),
        **LABELS,
        **context,
    )


EMPTY_FORM: dict[str, Any] = {
    "unit_id": "",
    "kind": "",
    "place": "",
    "zone_id": "",
    "arrived_at": "",
    "ended_at": "",
    "officer_ids": [],
    "announced": "",
    "obstructed": "",
    "obstruction_note": "",
    "case_number": "",
}


@router.get("/activities/new", response_class=HTMLResponse)
def new_activity_form(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    auth.actor.require(Action.ACTIVITY_RECORD)
    form = dict(EMPTY_FORM)
    units = _recordable_units(session, auth.actor)
    if len(units) == 1:
        form["unit_id"] = str(units[0].id)
    if Role.OFFICER in auth.actor.roles and auth.actor.person_id is not None:
        form["officer_ids"] = [str(auth.actor.person_id)]  # they were there: they enter it
    return _form_page(request, auth, session, form)


def parse_moment(text: str, what: str, *, field: str) -> datetime:
    """A datetime-local field (2026-12-07T09:30), read as Beijing time."""
    written = text.strip()
    if not written:
        raise InvalidInput(f"请填写{what}。", field=field)
    try:
        moment = datetime.fromisoformat(written)
    except ValueError:
        raise InvalidInput(
            f"{what}格式不正确，应为“年-月-日 时:分”，如 2026-12-07 09:30。", field=field
        ) from None
    if moment.tzinfo is not None:
        return moment
    if not 2000 <= moment.year <= 2100:
        raise InvalidInput(f"{what}的年份不正确。", field=field)
    return moment.replace(tzinfo=SHANGHAI)


def _announced(value: str) -> bool:
    if value not in ("yes", "no"):
        raise InvalidInput(
            "请选择是否已告知当事人正在进行音像记录（第十二条）。", field="announced"
        )
    return value == "yes"


def _data(form: dict[str, Any]) -> service.ActivityData:
    unit_id = parse_int(form["unit_id"], "单位", field="unit", required=True)
    if form["kind"] not in LABELS["kinds"]:
        raise InvalidInput("请选择执法活动类别。", field="kind")
    officers = [parse_int(v, "执法人员", field="officer") for v in form["officer_ids"]]
    return service.ActivityData(
        unit_id=unit_id or 0,
        kind=ActivityKind(form["kind"]),
        place=form["place"],
        arrived_at=parse_moment(form["arrived_at"], "到场时间", field="arrived_at"),
        ended_at=parse_moment(form["ended_at"], "现场执法结束时间", field="ended_at"),
        officer_ids=[o for o in officers if o is not None],
        announced=_announced(form["announced"]),
        obstructed=bool(form["obstructed"]),
        obstruction_note=form["obstruction_note"],
        case_number=form["case_number"],
        zone_id=parse_int(form["zone_id"], "办案区", field="zone"),
    )


@router.post("/activities/new", response_class=HTMLResponse)
def new_activity_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    unit_id: Annotated[str, Form(max_length=20)] = "",
    kind: Annotated[str, Form(max_length=40)] = "",
    place: Text500 = "",
    zone_id: Annotated[str, Form(max_length=20)] = "",
    arrived_at: Annotated[str, Form(max_length=40)] = "",
    ended_at: Annotated[str, Form(max_length=40)] = "",
    officer_ids: Annotated[list[str] | None, Form(max_length=20)] = None,
    announced: Annotated[str, Form(max_length=5)] = "",
    obstructed: Annotated[str, Form(max_length=5)] = "",
    obstruction_note: FormText = "",
    case_number: Annotated[str, Form(max_length=100), Clean] = "",
) -> Response:
    auth.actor.require(Action.ACTIVITY_RECORD)
    form = {
        "unit_id": unit_id.strip(),
        "kind": kind.strip(),
        "place": place,
        "zone_id": zone_id.strip(),
        "arrived_at": arrived_at.strip(),
        "ended_at": ended_at.strip(),
        "officer_ids": [v for v in officer_ids or [] if v.strip()],
        "announced": announced.strip(),
        "obstructed": obstructed.strip(),
        "obstruction_note": obstruction_note,
        "case_number": case_number,
    }
    try:
        activity, warnings = service.add_activity(
            session=session, actor=auth.actor, settings=settings, data=_data(form)
        )
    except LawcamError as exc:
        discard(session)
        return _form_page(request, auth, session, form, **form_error(exc))
    notice = " ".join([f"已登记执法活动 #{activity.id}。", *warnings])
    return flash_redirect(request, f"/activities/{activity.id}", notice)


# ---------------------------------------------------------------------------------------------
# An activity's page


def _whose(session: Session, activity: Activity) -> Any:
    """The activity officer a recording counts for, as the service counts it (else the row of
    the others)."""
    officers = activity.officer_ids

    def whose(fact: Facts) -> int:
        found = queries.counted_for(session, fact, officers)
        return timeline.OTHERS if found is None else found

    return whose


def _activity_page(
    request: Request, auth: Auth, session: Session, activity_id: int, **context: Any
) -> Response:
    activity = queries.get_activity(session=session, actor=auth.actor, activity_id=activity_id)
    all_links = queries.links_of(session, activity.id, active=False)
    links = [link for link in all_links if link.detached_at is None]
    facts = queries.facts_of(session, (link.recording_id for link in all_links))
    interruptions = queries.interruptions_of(session, activity.id)
    people = {o.person.id: o.person for o in activity.officers}
    context.setdefault("form", {})
    context.setdefault("document_max_mb", request.app.state.settings.document_max_bytes >> 20)
    return render(
        request,
        "activity.html",
        auth,
        activity=activity,
        zone=session.get(Zone, activity.zone_id) if activity.zone_id else None,
        links=links,
        detached=[link for link in all_links if link.detached_at is not None],
        facts=facts,
        interruptions=interruptions,
        people=people,
        timeline=timeline.build(activity, links, facts, interruptions, _whose(session, activity)),
        may=_may(auth.actor, activity),
        cases=retention_views.activity_cases(session, activity.id),
        **LABELS,
        **context,
    )


def _may(actor: Actor, activity: Activity) -> dict[str, bool]:
    """Which forms the page offers (the services decide; this only hides what would be
    refused): officers of the activity explain, the device administrator confirms."""
    return {
        "explain": actor.can(Action.INTERRUPTION_EXPLAIN)
        and actor.person_id in activity.officer_ids,
        "confirm": actor.can(Action.INTERRUPTION_CONFIRM) and Role.DEVICE_ADMIN in actor.roles,
        "link": actor.can(Action.ACTIVITY_LINK),
    }


@router.get("/activities/{activity_id}", response_class=HTMLResponse)
def activity_page(
    request: Request, activity_id: Id, auth: AuthDep, session: SessionDep
) -> Response:
    return _activity_page(request, auth, session, activity_id)


def _failed(
    request: Request, auth: Auth, session: Session, activity_id: int, exc: LawcamError, **form: Any
) -> Response:
    discard(session)
    context = form_error(exc)
    return _activity_page(request, auth, session, activity_id, form=form, **context)


@router.post(
    "/activities/{activity_id}/interruptions/{seq}/explanation", response_class=HTMLResponse
)
def explain_submit(
    request: Request,
    activity_id: Id,
    seq: Id,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    how: Annotated[str, Form(max_length=10)] = "",
    recording_id: Annotated[str, Form(max_length=20)] = "",
    cause: Annotated[str, Form(max_length=20)] = "",
    text: Text2000 = "",
    attachment: Annotated[UploadFile | None, File()] = None,
) -> Response:
    auth.actor.require(Action.INTERRUPTION_EXPLAIN)
    queries.get_activity(session=session, actor=auth.actor, activity_id=activity_id)
    scan = _scan(attachment, store, settings)
    try:
        _explain(
            session, auth.actor, settings, activity_id, seq, how, recording_id, cause, text, scan
        )
    except LawcamError as exc:
        form = {"seq": seq, "how": how, "recording_id": recording_id, "cause": cause, "text": text}
        return _failed(request, auth, session, activity_id, exc, **form)
    notice = f"已说明中断 {seq}，待本单位执法记录仪管理员确认。"
    return flash_redirect(request, f"/activities/{activity_id}#interruptions", notice)


def _scan(
    upload: UploadFile | None, store: BlobStore, settings: Settings
) -> service.Attachment | None:
    """The report's scan, when a file was chosen (a form sends an empty part otherwise)."""
    if upload is None or not upload.filename:
        return None
    return service.Attachment(upload.file, upload.filename, store, settings)


def _explain(
    session: Session,
    actor: Actor,
    settings: Any,
    activity_id: int,
    seq: int,
    how: str,
    recording_id: str,
    cause: str,
    text: str,
    scan: service.Attachment | None = None,
) -> None:
    if how == Explanation.VOICE:
        chosen = parse_int(recording_id, "恢复记录的录像", field="recording", required=True)
        service.explain_voice(
            session=session,
            actor=actor,
            settings=settings,
            activity_id=activity_id,
            seq=seq,
            recording_id=chosen or 0,
        )
    elif how == Explanation.WRITTEN:
        if cause not in LABELS["causes"]:
            raise InvalidInput("请选择中断原因。", field="cause")
        service.explain_written(
            session=session,
            actor=actor,
            activity_id=activity_id,
            seq=seq,
            cause=Cause(cause),
            text=text,
            attachment=scan,
        )
    else:
        raise InvalidInput("请选择说明方式：语音说明或书面说明。", field="how")


@router.post(
    "/activities/{activity_id}/interruptions/{seq}/confirmation", response_class=HTMLResponse
)
def confirm_submit(
    request: Request, activity_id: Id, seq: Id, auth: AuthDep, session: SessionDep
) -> Response:
    auth.actor.require(Action.INTERRUPTION_CONFIRM)
    queries.get_activity(session=session, actor=auth.actor, activity_id=activity_id)
    try:
        service.confirm(session=session, actor=auth.actor, activity_id=activity_id, seq=seq)
    except LawcamError as exc:
        return _failed(request, auth, session, activity_id, exc, seq=seq)
    notice = f"已确认中断 {seq} 的说明。"
    return flash_redirect(request, f"/activities/{activity_id}#interruptions", notice)


def _link_change(
    request: Request,
    auth: Auth,
    session: Session,
    settings: Any,
    activity_id: int,
    recording_id: str,
    reason: str,
    *,
    attach: bool,
) -> Response:
    auth.actor.require(Action.ACTIVITY_LINK)
    queries.get_activity(session=session, actor=auth.actor, activity_id=activity_id)
    change = service.attach if attach else service.detach
    try:
        chosen = parse_int(recording_id, "资料编号", field="recording", required=True)
        change(
            session=session,
            actor=auth.actor,
            settings=settings,
            activity_id=activity_id,
            recording_id=chosen or 0,
            reason=reason,
        )
    except LawcamError as exc:
        form = {"link": "attach" if attach else f"detach-{recording_id}", "reason": reason}
        form["recording_id"] = recording_id
        return _failed(request, auth, session, activity_id, exc, **form)
    done = "已将资料 #{} 关联到本次活动。" if attach else "已将资料 #{} 移出本次活动。"
    return flash_redirect(request, f"/activities/{activity_id}#links", done.format(chosen))


@router.post("/activities/{activity_id}/links", response_class=HTMLResponse)
def attach_submit(
    request: Request,
    activity_id: Id,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    recording_id: Annotated[str, Form(max_length=20)] = "",
    reason: Text500 = "",
) -> Response:
    return _link_change(
        request, auth, session, settings, activity_id, recording_id, reason, attach=True
    )


@router.post("/activities/{activity_id}/links/detach", response_class=HTMLResponse)
def detach_submit(
    request: Request,
    activity_id: Id,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    recording_id: Annotated[str, Form(max_length=20)] = "",
    reason: Text500 = "",
) -> Response:
    return _link_change(
        request, auth, session, settings, activity_id, recording_id, reason, attach=False
    )
