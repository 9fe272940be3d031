"""Chinese pages for recordings (Art. 14, 15): the list with filters and a recording's facts
with its sightings and corrections. The late-upload list (R14.1) counts by the activities'
rule and lives with them (/activities/late); its old address leads there. No playback here:
viewing content needs an approved request (R15.2), which comes with access control."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam import keyset
from lawcam.activities.service import relink_recordings
from lawcam.authz import Action, Actor
from lawcam.equipment.queries import device_by_serial
from lawcam.errors import InvalidInput, LawcamError, NotFound
from lawcam.evidence import queries, retention, service
from lawcam.evidence.types import CorrectableField, MediaKind, StartSource
from lawcam.org.queries import person_by_badge
from lawcam.retention import views as retention_views
from lawcam.schemas.common import Id
from lawcam.timeutil import check_day_range
from lawcam.web.deps import Auth, AuthDep, SessionDep, SettingsDep, StoreDep
from lawcam.web.forms import (
    discard,
    flash_redirect,
    form_error,
    page,
    parse_date,
    parse_int,
    redirect,
    units_for,
)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100
Short = Annotated[str, Query(max_length=64)]

LABELS: dict[str, Any] = {
    "kinds": {str(k): k.label for k in MediaKind},
    "start_sources": {str(s): s.label for s in StartSource},
    "officer_sources": {"custody": "领用台账", "given": "导入时指定", "unknown": "无法确定"},
    "correctable": {str(f): f.label for f in CorrectableField},
}


def _filter(session: Session, actor: Actor, form: dict[str, str]) -> queries.RecordingFilter:
    officer_id = device_id = None
    if form["officer"]:
        person = person_by_badge(session, form["officer"])
        if person is None:
            raise NotFound(f"执法证号为 {form['officer']} 的人员不存在。", field="officer")
        officer_id = person.id
    if form["device"]:
        device_id = device_by_serial(session=session, actor=actor, serial=form["device"]).id
    return queries.RecordingFilter(
        unit_id=parse_int(form["unit_id"], "单位参数", field="unit_id"),
        officer_id=officer_id,
        device_id=device_id,
        date_from=parse_date(form["from"], "起始日期", field="from"),
        date_to=parse_date(form["to"], "截止日期", field="to"),
        flagged=True if form["flagged"] else None,
        late=True if form["late"] else None,
    )


def _list_page(request: Request, auth: Auth, session: Session, form: dict[str, str]) -> Response:
    auth.actor.require(Action.RECORDING_VIEW)
    error, status_code = None, 200
    cursor = None
    try:
        where = _filter(session, auth.actor, form)
        check_day_range(where.date_from, where.date_to)
        cursor = keyset.parse_cursor(form["cursor"])
    except LawcamError as exc:
        error, status_code = exc.message, exc.http_status
        where = queries.RecordingFilter()
    found = queries.page_recordings(
        session=session, actor=auth.actor, where=where, limit=PAGE_SIZE, cursor=cursor
    )
    return page(
        request,
        "recordings.html",
        auth,
        status_code=status_code,
        error=error,
        recordings=found.rows,
        total=queries.count_recordings(session=session, actor=auth.actor, where=where),
        next_cursor=found.next_cursor,
        prev_cursor=found.prev_cursor,
        units=units_for(session, auth.actor, Action.EQUIPMENT_VIEW),
        filters=form,
        **LABELS,
    )


def _form(
    unit_id: str,
    officer: str,
    device: str,
    from_: str,
    to: str,
    flagged: str,
    late: str,
    cursor: str,
) -> dict[str, str]:
    return {
        "unit_id": unit_id.strip(),
        "officer": officer.strip(),
        "device": device.strip(),
        "from": from_.strip(),
        "to": to.strip(),
        "flagged": flagged.strip(),
        "late": late.strip(),
        "cursor": cursor.strip(),
    }


@router.get("/recordings", response_class=HTMLResponse)
def recordings_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit_id: Short = "",
    officer: Short = "",
    device: Short = "",
    from_: Annotated[str, Query(alias="from", max_length=20)] = "",
    to: Short = "",
    flagged: Short = "",
    late: Short = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    form = _form(unit_id, officer, device, from_, to, flagged, late, cursor)
    return _list_page(request, auth, session, form)


@router.get("/recordings/late")
def late_page(request: Request, auth: AuthDep) -> Response:
    """The late list moved to the activities (its deadline runs from the activity's end,
    第十四条): old links and bookmarks land there with their filters."""
    auth.actor.require(Action.RECORDING_VIEW)
    query = request.url.query
    return redirect("/activities/late" + (f"?{query}" if query else ""))


def _recording_page(
    request: Request, auth: Auth, session: Session, recording_id: int, **context: Any
) -> Response:
    recording = queries.get_recording(session=session, actor=auth.actor, recording_id=recording_id)
    return page(
        request,
        "recording.html",
        auth,
        recording=recording,
        retain_until=retention.effective_retention(session, recording),
        kept=retention_views.recording_retention(session, auth.actor, recording.id),
        run=queries.run_of(session, recording),
        sightings=queries.sightings_of(session, recording.id),
        corrections=queries.corrections_of(session, recording.id),
        **LABELS,
        **context,
    )


@router.get("/recordings/{recording_id}", response_class=HTMLResponse)
def recording_page(
    request: Request, recording_id: Id, auth: AuthDep, session: SessionDep
) -> Response:
    return _recording_page(request, auth, session, recording_id, form={})


@router.post("/recordings/{recording_id}/corrections", response_class=HTMLResponse)
def correction_submit(
    request: Request,
    recording_id: Id,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    field: Annotated[str, Form(max_length=30)] = "",
    value: Annotated[str, Form(max_length=1000)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    recording = queries.get_recording(session=session, actor=auth.actor, recording_id=recording_id)
    form = {"field": field, "value": value, "reason": reason}
    try:
        chosen = _field(field)
        service.correct(
            session=session,
            actor=auth.actor,
            recording=recording,
            field=chosen,
            value=value,
            reason=reason,
            settings=settings,
            store=store,
        )
        ids = [recording.id]  # a corrected time or officer moves it between activities
        relink_recordings(session=session, actor=auth.actor, settings=settings, recording_ids=ids)
    except LawcamError as exc:
        discard(session)
        return _recording_page(request, auth, session, recording_id, form=form, **form_error(exc))
    notice = f"已记录更正：{chosen.label}。原始记录保持不变。"
    return flash_redirect(request, f"/recordings/{recording_id}", notice)


def _field(value: str) -> CorrectableField:
    try:
        return CorrectableField(value.strip())
    except ValueError:
        raise InvalidInput("请选择要更正的项目。", field="field") from None
