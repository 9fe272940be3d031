"""JSON API for recordings (Art. 14, 15) and remote workstations' resumable uploads.
Thin: parse → domain → shape. Recording facts only; content needs approved access (R15.2)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from lawcam.evidence import queries, service, uploads
from lawcam.evidence.ingest import complete_upload
from lawcam.evidence.models import Recording
from lawcam.evidence.types import Problem
from lawcam.web.deps import CurrentActor, DatabaseDep, SessionDep, SettingsDep, StoreDep
from lawcam.web.schemas.evidence import (
    CorrectionCreate,
    CorrectionOut,
    FileResultOut,
    OffsetOut,
    RecordingDetail,
    RecordingOut,
    RecordingPage,
    RefusalCreate,
    RunCreate,
    RunOut,
    UploadCreate,
    UploadOut,
)

router = APIRouter(prefix="/api/v1", tags=["evidence"])


def recording_filter(
    unit_id: int | None = None,
    officer_id: int | None = None,
    device_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    flagged: bool | None = None,
    late: bool | None = None,
) -> queries.RecordingFilter:
    return queries.RecordingFilter(
        unit_id, officer_id, device_id, date_from, date_to, flagged, late
    )


FilterDep = Annotated[queries.RecordingFilter, Depends(recording_filter)]


@router.get("/recordings", response_model=RecordingPage)
def list_recordings(
    actor: CurrentActor,
    session: SessionDep,
    where: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RecordingPage:
    rows, total = queries.list_recordings(
        session=session, actor=actor, where=where, limit=limit, offset=offset
    )
    return RecordingPage(total=total, items=[RecordingOut.model_validate(r) for r in rows])


def _detail(session: SessionDep, recording: Recording) -> RecordingDetail:
    return RecordingDetail.model_validate(
        {
            **RecordingOut.model_validate(recording).model_dump(),
            "sightings": queries.sightings_of(session, recording.id),
            "corrections": queries.corrections_of(session, recording.id),
        }
    )


@router.get("/recordings/{recording_id}", response_model=RecordingDetail)
def get_recording(recording_id: int, actor: CurrentActor, session: SessionDep) -> RecordingDetail:
    recording = queries.get_recording(session=session, actor=actor, recording_id=recording_id)
    return _detail(session, recording)


@router.post(
    "/recordings/{recording_id}/corrections", response_model=CorrectionOut, status_code=201
)
def correct_recording(
    recording_id: int, body: CorrectionCreate, actor: CurrentActor, session: SessionDep
) -> CorrectionOut:
    recording = queries.get_recording(session=session, actor=actor, recording_id=recording_id)
    correction = service.correct(
        session=session,
        actor=actor,
        recording=recording,
        field=body.field,
        value=body.value,
        reason=body.reason,
    )
    return CorrectionOut.model_validate(correction)


# Remote workstations (R14.1) -----------------------------------------------------------------


@router.post("/ingest-runs", response_model=RunOut, status_code=201)
def open_run(body: RunCreate, actor: CurrentActor, session: SessionDep) -> RunOut:
    docking = service.Docking(
        device=service.docking_device(session, actor, body.device),
        workstation=body.workstation,
        source=body.source,
        device_time=body.device_time,
        officer=service.given_officer(session, body.officer),
    )
    run = service.open_run(session=session, actor=actor, docking=docking)
    return RunOut(id=run.id, clock_offset_s=run.clock_offset_s)


@router.post("/ingest-runs/{run_id}/refusals", status_code=201)
def refuse_file(
    run_id: int, body: RefusalCreate, actor: CurrentActor, session: SessionDep
) -> dict[str, bool]:
    """A file the workstation could not read: audited here, where the log is."""
    uploads.own_run(session, actor, run_id)
    service.record_refusal(
        session=session,
        actor=actor,
        run_id=run_id,
        path=body.path,
        problem=Problem(body.code, body.message),
    )
    return {"recorded": True}


@router.post("/uploads", response_model=UploadOut, status_code=201)
def open_upload(
    body: UploadCreate, actor: CurrentActor, session: SessionDep, settings: SettingsDep
) -> UploadOut:
    found = uploads.open_upload(
        session=session, actor=actor, data=uploads.UploadIn(**body.model_dump())
    )
    if isinstance(found, Recording):
        service.add_sighting(
            session=session,
            actor=actor,
            recording=found,
            run_id=body.run_id,
            source=service.SourceFacts(
                body.name, body.name, body.size, int(body.mtime.timestamp() * 1e9)
            ),
        )
        return UploadOut(status="duplicate", size=found.size, recording_id=found.id)
    offset = uploads.received(settings.upload_spool, found)
    return UploadOut(status="open", id=found.id, offset=offset, size=found.size)


@router.get("/uploads/{upload_id}", response_model=UploadOut)
def upload_state(
    upload_id: str, actor: CurrentActor, session: SessionDep, settings: SettingsDep
) -> UploadOut:
    upload = uploads.own_upload(session, actor, upload_id)
    offset = uploads.received(settings.upload_spool, upload)
    return UploadOut(
        status=upload.status,
        id=upload.id,
        offset=offset,
        size=upload.size,
        recording_id=upload.recording_id,
    )


async def raw_body(request: Request) -> bytes:
    return await request.body()


@router.put("/uploads/{upload_id}", response_model=OffsetOut)
def upload_piece(
    upload_id: str,
    offset: Annotated[int, Query(ge=0)],
    data: Annotated[bytes, Depends(raw_body)],
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
) -> OffsetOut:
    upload = uploads.own_upload(session, actor, upload_id)
    return OffsetOut(offset=uploads.append(settings.upload_spool, upload, offset, data))


@router.post("/uploads/{upload_id}/complete", response_model=FileResultOut)
def complete(
    upload_id: str,
    actor: CurrentActor,
    session: SessionDep,
    database: DatabaseDep,
    store: StoreDep,
    settings: SettingsDep,
) -> FileResultOut:
    # The ingest path commits one file per transaction of its own; the request's unit of work
    # (which recorded the token's use) ends first, so SQLite's single writer is free for it.
    session.commit()
    result = complete_upload(
        database=database, store=store, settings=settings, actor=actor, upload_id=upload_id
    )
    return FileResultOut.model_validate(result.as_dict())
