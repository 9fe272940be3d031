"""JSON API for recordings (Art. 14, 15) and remote workstations' resumable uploads.
Thin: parse → domain → shape. Recording facts only; content needs approved access (R15.2)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from lawcam import keyset
from lawcam.activities.service import relink_recordings
from lawcam.evidence import queries, service, uploads
from lawcam.evidence.ingest import complete_upload
from lawcam.evidence.models import Recording
from lawcam.evidence.types import Problem
from lawcam.retention.effective import derive
from lawcam.schemas.common import Day, Id, Offset
from lawcam.schemas.evidence import (
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
from lawcam.timeutil import check_day_range
from lawcam.web.deps import (
    CommittingRoute,
    CurrentActor,
    DatabaseDep,
    SessionDep,
    SettingsDep,
    StoreDep,
)

router = APIRouter(prefix="/api/v1", tags=["evidence"], route_class=CommittingRoute)
# Each branch of the permission reads offset + limit rows: deep pages go by cursor instead.
OFFSET_MAX = 100_000
CURSOR_HELP = "翻页：上一页返回的 next_cursor 或 prev_cursor；offset 在其后再跳过若干条"
UploadId = Annotated[str, Path(max_length=64)]


def recording_filter(
    unit_id: Id | None = None,
    officer_id: Id | None = None,
    device_id: Id | None = None,
    date_from: Day | None = None,
    date_to: Day | None = None,
    flagged: bool | None = None,
    late: bool | None = None,
) -> queries.RecordingFilter:
    check_day_range(date_from, date_to, fields=("date_from", "date_to"))  # says why, not []
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
    offset: Annotated[Offset, Query(le=OFFSET_MAX)] = 0,
    cursor: Annotated[str | None, Query(max_length=200, description=CURSOR_HELP)] = None,
) -> RecordingPage:
    found = queries.page_recordings(
        session=session,
        actor=actor,
        where=where,
        limit=limit,
        cursor=keyset.parse_cursor(cursor),
        offset=offset,
    )
    count = queries.count_recordings(session=session, actor=actor, where=where)
    kept = derive(session, [r.id for r in found.rows])  # a few queries for the page
    items = [RecordingOut.of(r, kept[r.id].retain_until) for r in found.rows]
    return RecordingPage(
        total=count.value,
        total_exact=count.exact,
        items=items,
        next_cursor=found.next_cursor,
        prev_cursor=found.prev_cursor,
    )


def _detail(session: SessionDep, recording: Recording) -> RecordingDetail:
    return RecordingDetail.of_recording(
        recording,
        derive(session, [recording.id])[recording.id].retain_until,  # None: kept without end
        queries.sightings_of(session, recording.id),
        queries.corrections_of(session, recording.id),
    )


@router.get("/recordings/{recording_id}", response_model=RecordingDetail)
def get_recording(recording_id: Id, actor: CurrentActor, session: SessionDep) -> RecordingDetail:
    recording = queries.get_recording(session=session, actor=actor, recording_id=recording_id)
    return _detail(session, recording)


@router.post(
    "/recordings/{recording_id}/corrections", response_model=CorrectionOut, status_code=201
)
def correct_recording(
    recording_id: Id,
    body: CorrectionCreate,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
) -> CorrectionOut:
    recording = queries.get_recording(session=session, actor=actor, recording_id=recording_id)
    correction = service.correct(
        session=session,
        actor=actor,
        recording=recording,
        field=body.field,
        value=body.value,
        reason=body.reason,
        settings=settings,
        store=store,
    )
    relink_recordings(session=session, actor=actor, settings=settings, recording_ids=[recording.id])
    return CorrectionOut.model_validate(correction)


# Remote workstations (R14.1) -----------------------------------------------------------------


@router.post("/ingest-runs", response_model=RunOut, status_code=201)
def open_run(body: RunCreate, actor: CurrentActor, session: SessionDep) -> RunOut:
    docking = service.Docking(
        device=service.docking_device(session, actor, body.device),
        workstation=body.workstation,
        source=body.source,
        device_time=body.device_time,
        officer=service.docking_officer(session, actor, body.officer),
    )
    run = service.open_run(session=session, actor=actor, docking=docking)
    return RunOut(id=run.id, clock_offset_s=run.clock_offset_s)


@router.post("/ingest-runs/{run_id}/refusals", status_code=201)
def refuse_file(
    run_id: Id, body: RefusalCreate, actor: CurrentActor, session: SessionDep
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
        session=session,
        actor=actor,
        data=uploads.UploadIn(**body.model_dump()),
        max_size=settings.max_file_bytes,
    )
    if isinstance(found, Recording):  # the caller's own unit holds these bytes already
        return UploadOut(status="duplicate", size=found.size, recording_id=found.id)
    offset = uploads.received(settings.upload_spool, found)
    return UploadOut(status="open", id=found.id, offset=offset, size=found.size)


@router.get("/uploads/{upload_id}", response_model=UploadOut)
def upload_state(
    upload_id: UploadId, actor: CurrentActor, session: SessionDep, settings: SettingsDep
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


def piece_target(upload_id: UploadId, actor: CurrentActor, database: DatabaseDep) -> uploads.Target:
    """The upload a piece is for, checked in a short read of its own (a dependency: it runs in
    the thread pool, and the streaming route itself never touches the database)."""
    with database.read() as session:
        return uploads.piece_target(session, actor, upload_id)


def _declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


async def _blocks(request: Request, size: int = 4 * 1024 * 1024) -> AsyncIterator[bytearray]:
    """The body in blocks of about ``size`` (few hand-offs to the writing thread). The same
    buffer is refilled after each block: the caller is done with it before asking for more."""
    pending = bytearray()
    async for chunk in request.stream():
        pending += chunk
        if len(pending) >= size:
            yield pending
            pending.clear()
    if pending:
        yield pending


@router.put(
    "/uploads/{upload_id}",
    response_model=OffsetOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_piece(
    request: Request,
    target: Annotated[uploads.Target, Depends(piece_target)],
    offset: Offset,
    settings: SettingsDep,
) -> OffsetOut:
    """A piece of an upload, streamed to disk as it arrives (never held whole in memory, never
    on the event loop: reads of the body are awaited, file writes run in worker threads)."""
    limit = settings.upload_piece_bytes
    piece = await run_in_threadpool(uploads.Piece, settings.upload_spool, target, offset, limit)
    try:
        piece.check_declared(_declared_length(request), limit)
        loop = asyncio.get_running_loop()
        async for block in _blocks(request):
            await loop.run_in_executor(uploads.RECEIVERS, piece.write, block)
        return OffsetOut(offset=await run_in_threadpool(piece.commit))
    finally:
        await run_in_threadpool(piece.close)


@router.post("/uploads/{upload_id}/complete", response_model=FileResultOut)
def complete(
    upload_id: UploadId,
    actor: CurrentActor,
    database: DatabaseDep,
    store: StoreDep,
    settings: SettingsDep,
) -> FileResultOut:
    """The received bytes through the ingest path, which commits one file per transaction of
    its own (so this request holds no transaction while the bytes are hashed and stored)."""
    result = complete_upload(
        database=database, store=store, settings=settings, actor=actor, upload_id=upload_id
    )
    if result.recording_id is not None:  # the activities it was made in (第十条、第十四条)
        with database.unit_of_work() as session:
            relink_recordings(
                session=session, actor=actor, settings=settings, recording_ids=[result.recording_id]
            )
    return FileResultOut.model_validate(result.as_dict())
