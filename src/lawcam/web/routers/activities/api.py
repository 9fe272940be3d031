"""JSON API for enforcement activities (第十条、第十二条、第十四条): enter and list them, link
recordings by hand, explain and confirm interruptions. Thin: parse → domain → shape."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from sqlalchemy.orm import Session

from lawcam.activities import queries, service
from lawcam.activities.types import ActivityKind, Cause
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.schemas.activities import (
    ActivityAmend,
    ActivityCreate,
    ActivityOut,
    ActivityPage,
    ActivitySummaryOut,
    ExplanationIn,
    LateUploadsOut,
    LinkChange,
    activity_out,
    late_uploads_out,
)
from lawcam.schemas.common import Day, Id, Offset
from lawcam.storage import BlobStore
from lawcam.web.deps import CommittingRoute, CurrentActor, SessionDep, SettingsDep, StoreDep

router = APIRouter(prefix="/api/v1", tags=["activities"], route_class=CommittingRoute)


def activity_filter(
    unit_id: Id | None = None,
    officer_id: Id | None = None,
    kind: ActivityKind | None = None,
    date_from: Day | None = None,
    date_to: Day | None = None,
    below_full: bool = False,
    unexplained: bool = False,
    late: bool = False,
) -> queries.ActivityFilter:
    return queries.ActivityFilter(
        unit_id, officer_id, kind, date_from, date_to, below_full, unexplained, late
    )


@router.get("/activities", response_model=ActivityPage)
def list_activities(
    actor: CurrentActor,
    session: SessionDep,
    where: Annotated[queries.ActivityFilter, Depends(activity_filter)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> ActivityPage:
    rows, total = queries.list_activities(
        session=session, actor=actor, where=where, limit=limit, offset=offset
    )
    return ActivityPage(total=total, items=[ActivitySummaryOut.of(row) for row in rows])


def _reread(session: Session, actor: Actor, activity_id: int) -> ActivityOut:
    session.expire_all()  # the stored coverage as the change left it
    activity = queries.get_activity(session=session, actor=actor, activity_id=activity_id)
    return activity_out(session, activity)


@router.post("/activities", response_model=ActivityOut, status_code=201)
def add_activity(
    body: ActivityCreate, actor: CurrentActor, session: SessionDep, settings: SettingsDep
) -> ActivityOut:
    data = service.data_named(
        session,
        unit=body.unit,
        officers=body.officers,
        zone=body.zone,
        kind=body.kind,
        place=body.place,
        arrived_at=body.arrived_at,
        ended_at=body.ended_at,
        announced=body.announced,
        obstructed=body.obstructed,
        obstruction_note=body.obstruction_note,
        case_number=body.case_number,
    )
    activity, warnings = service.add_activity(
        session=session, actor=actor, settings=settings, data=data
    )
    return activity_out(session, activity, warnings)


@router.get("/late-uploads", response_model=LateUploadsOut)
def late_uploads(
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    unit_id: Id | None = None,
    officer_id: Id | None = None,
    date_from: Day | None = None,
    date_to: Day | None = None,
) -> LateUploadsOut:
    """第十四条: recordings received after their deadline, by officer and by unit."""
    where = queries.LateFilter(unit_id, officer_id, date_from, date_to)
    found = queries.late_uploads(session, actor, where, settings.upload_deadline_hours)
    return late_uploads_out(session, found)


@router.get("/activities/{activity_id}", response_model=ActivityOut)
def show_activity(activity_id: Id, actor: CurrentActor, session: SessionDep) -> ActivityOut:
    return activity_out(
        session, queries.get_activity(session=session, actor=actor, activity_id=activity_id)
    )


@router.patch("/activities/{activity_id}", response_model=ActivityOut)
def amend_activity(
    activity_id: Id,
    body: ActivityAmend,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
) -> ActivityOut:
    """A corrected entry: the old facts stay in the audit log with the reason (第十条)."""
    activity = queries.get_activity(session=session, actor=actor, activity_id=activity_id)
    given = body.model_dump(exclude_unset=True, exclude={"reason", "officers", "zone"})
    # null means "not stated" only for the announcement; elsewhere it changes nothing
    changes = {k: v for k, v in given.items() if v is not None or k == "announced"}
    data = replace(service.current_data(activity), **changes)
    if body.officers is not None:
        data = replace(data, officer_ids=queries.officers_by_badge(session, body.officers))
    if "zone" in body.model_fields_set:
        data = replace(data, zone_id=queries.zone_named(session, activity.unit_id, body.zone))
    service.amend_activity(
        session=session,
        actor=actor,
        settings=settings,
        activity_id=activity_id,
        data=data,
        reason=body.reason,
    )
    return _reread(session, actor, activity_id)


@router.post("/activities/{activity_id}/links", response_model=ActivityOut, status_code=201)
def attach(
    activity_id: Id,
    body: LinkChange,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
) -> ActivityOut:
    service.attach(
        session=session,
        actor=actor,
        settings=settings,
        activity_id=activity_id,
        recording_id=body.recording_id,
        reason=body.reason,
    )
    return _reread(session, actor, activity_id)


@router.post("/activities/{activity_id}/links/detach", response_model=ActivityOut)
def detach(
    activity_id: Id,
    body: LinkChange,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
) -> ActivityOut:
    service.detach(
        session=session,
        actor=actor,
        settings=settings,
        activity_id=activity_id,
        recording_id=body.recording_id,
        reason=body.reason,
    )
    return _reread(session, actor, activity_id)


@router.post(
    "/activities/{activity_id}/interruptions/{seq}/written-report", response_model=ActivityOut
)
def file_written_report(
    activity_id: Id,
    seq: Id,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    cause: Annotated[Cause, Form(description="中断原因")],
    text: Annotated[str, Form(max_length=2000, description="经过")],
    attachment: Annotated[UploadFile | None, File(description="扫描件（PDF 或图片）")] = None,
) -> ActivityOut:
    """A written report with its scanned page (multipart): the report and the scan are filed
    together or not at all."""
    service.explain_written(
        session=session,
        actor=actor,
        activity_id=activity_id,
        seq=seq,
        cause=cause,
        text=text,
        attachment=_attachment(attachment, store, settings),
    )
    return _reread(session, actor, activity_id)


def _attachment(
    upload: UploadFile | None, store: BlobStore, settings: Settings
) -> service.Attachment | None:
    if upload is None or (not upload.filename and not upload.size):
        return None  # a form's empty file field
    return service.Attachment(upload.file, upload.filename or "", store, settings)


@router.post(
    "/activities/{activity_id}/interruptions/{seq}/explanation", response_model=ActivityOut
)
def explain(
    activity_id: Id,
    seq: Id,
    body: ExplanationIn,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
) -> ActivityOut:
    if body.voice_recording_id is not None:
        service.explain_voice(
            session=session,
            actor=actor,
            settings=settings,
            activity_id=activity_id,
            seq=seq,
            recording_id=body.voice_recording_id,
        )
    else:
        assert body.cause is not None  # the schema allows one way or the other
        service.explain_written(
            session=session,
            actor=actor,
            activity_id=activity_id,
            seq=seq,
            cause=body.cause,
            text=body.text,
        )
    return _reread(session, actor, activity_id)


@router.post(
    "/activities/{activity_id}/interruptions/{seq}/confirmation", response_model=ActivityOut
)
def confirm(activity_id: Id, seq: Id, actor: CurrentActor, session: SessionDep) -> ActivityOut:
    service.confirm(session=session, actor=actor, activity_id=activity_id, seq=seq)
    return _reread(session, actor, activity_id)
