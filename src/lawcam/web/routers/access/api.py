"""JSON API for access by approval (第十五条; DESIGN's wave-2 contract): ask, decide, revoke.
Thin: parse → domain → shape."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from lawcam.access import queries, service
from lawcam.access.types import AccessAction, RequestStatus
from lawcam.audit import log
from lawcam.audit.keys import public_key_for
from lawcam.authz import Actor
from lawcam.errors import InvalidInput, NotFound
from lawcam.evidence.models import Recording
from lawcam.evidence.queries import viewing_copy_of
from lawcam.reports.package import provision
from lawcam.schemas.access import AccessRequestIn, AccessRequestOut, DecisionIn, RevocationIn
from lawcam.schemas.common import Id
from lawcam.storage import BlobStore
from lawcam.timeutil import utcnow
from lawcam.web.deps import CommittingRoute, CurrentActor, DatabaseDep, SessionDep, StoreDep
from lawcam.web.ranges import OnServed, ranged

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from lawcam.db import Database

router = APIRouter(prefix="/api/v1", tags=["access"], route_class=CommittingRoute)


@router.post("/access-requests", response_model=AccessRequestOut, status_code=201)
def create_request(
    body: AccessRequestIn, actor: CurrentActor, session: SessionDep
) -> AccessRequestOut:
    row = service.request_access(session=session, actor=actor, data=body.data())
    return AccessRequestOut.of(row)


@router.get("/access-requests", response_model=list[AccessRequestOut])
def list_requests(
    actor: CurrentActor,
    session: SessionDep,
    to_decide: Annotated[bool, Query(description="只列由我审批的")] = False,
    status: RequestStatus | None = None,
) -> list[AccessRequestOut]:
    rows = queries.list_requests(session=session, actor=actor, to_decide=to_decide, status=status)
    return [AccessRequestOut.of(row) for row in rows]


@router.get("/access-requests/{request_id}", response_model=AccessRequestOut)
def get_request(request_id: Id, actor: CurrentActor, session: SessionDep) -> AccessRequestOut:
    return AccessRequestOut.of(
        queries.get_request(session=session, actor=actor, request_id=request_id)
    )


@router.post("/access-requests/{request_id}/decision", response_model=AccessRequestOut)
def decide(
    request_id: Id, body: DecisionIn, actor: CurrentActor, session: SessionDep
) -> AccessRequestOut:
    row = service.decide(
        session=session,
        actor=actor,
        request_id=request_id,
        approve=body.approve,
        reason=body.reason,
    )
    return AccessRequestOut.of(row)


@router.post("/access-requests/{request_id}/revocation", response_model=AccessRequestOut)
def revoke(
    request_id: Id, body: RevocationIn, actor: CurrentActor, session: SessionDep
) -> AccessRequestOut:
    row = service.revoke(session=session, actor=actor, request_id=request_id, reason=body.reason)
    return AccessRequestOut.of(row)


@router.get(
    "/access-requests/{request_id}/package",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def package(
    request_id: Id,
    request: Request,
    actor: CurrentActor,
    session: SessionDep,
    database: DatabaseDep,
    store: StoreDep,
) -> Response:
    """The provision package of an approved "provide" (DESIGN's wave-2 contract): a ZIP
    streamed in bounded memory that ``verify_package.py`` checks offline."""
    row = service.for_package(session=session, actor=actor, request_id=request_id)
    seq = queries.decision_seq(session, row.id)
    signer = request.app.state.signer.current()
    head = log.head_covering(database, signer, seq)
    key = public_key_for(session, head.key_id, signer.public_key)  # the head's signer's
    built, ids = provision(session, row=row, seq=seq, head=head, public_key=key, store=store)
    with database.unit_of_work() as own:
        service.packaged(
            session=own, actor=actor, request_id=row.id, recording_ids=ids, size=built.size
        )
    headers = {
        "Content-Length": str(built.size),
        "Content-Disposition": f'attachment; filename="{built.filename}"',
        "Cache-Control": "no-store",
    }
    return StreamingResponse(iter(built), media_type="application/zip", headers=headers)


# The content, only under a live grant ----------------------------------------------------------


@router.get(
    "/recordings/{recording_id}/content",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        206: {"description": "部分内容"},
    },
)
def recording_content(
    recording_id: Id,
    request: Request,
    actor: CurrentActor,
    session: SessionDep,
    database: DatabaseDep,
    store: StoreDep,
    download: Annotated[bool, Query(description="下载原始文件（须有下载授权）")] = False,
    copy: Annotated[
        Literal["viewing"] | None, Query(description="播放副本（派生文件，仅供浏览器播放）")
    ] = None,
) -> Response:
    """The original, byte for byte, with HTTP Range; 404 for anyone without a live grant — the
    same answer as a recording that does not exist. A refusal is recorded in a transaction of
    its own; each viewing session and each download, under the grant that allowed it."""
    action = AccessAction.DOWNLOAD if download else AccessAction.VIEW
    try:
        grant, recording = queries.granted(
            session=session, actor=actor, recording_id=recording_id, action=action
        )
    except NotFound:
        why = queries.refusal(session, actor, recording_id, utcnow())
        with database.unit_of_work() as own:
            service.refused(
                session=own, actor=actor, recording_id=recording_id, action=action, why=why
            )
        raise
    if copy is not None:
        return _viewing_copy(
            request, session, database, store, actor, grant.id, recording, download
        )
    if download:
        with database.unit_of_work() as own:
            service.downloaded(session=own, actor=actor, grant_id=grant.id, recording=recording)
    return ranged(
        request,
        store=store,
        sha256=recording.sha256,
        size=recording.size,
        media_type=mimetypes.guess_type(recording.original_name)[0] or "application/octet-stream",
        headers=_headers(recording, download),
        on_served=None if download else _viewed(database, actor, grant.id, recording.id),
        keep_serving=_still_granted(database, actor, recording.id, action),
    )


def _viewing_copy(
    request: Request,
    session: Session,
    database: Database,
    store: BlobStore,
    actor: Actor,
    grant_id: int,
    recording: Recording,
    download: bool,
) -> Response:
    """The derived copy Chromium can play, under the same view grant; never a download (a
    download and a package are always the original). Its session records no byte ranges: they
    would be the copy's offsets, not the original's."""
    if download:
        raise InvalidInput("播放副本不能下载；下载的始终是原始文件。", field="copy")
    made = viewing_copy_of(session, recording.id)
    if made is None:
        raise NotFound("该资料还没有播放副本。")
    headers = {
        "X-Content-SHA256": made.sha256,
        "X-Content-SM3": made.sm3,
        "X-Derived-From-SHA256": recording.sha256,
        "X-Viewing-Copy": "derived",
    }
    return ranged(
        request,
        store=store,
        sha256=made.sha256,
        size=made.size,
        media_type="video/mp4" if made.video_codec else "audio/mp4",
        headers=headers,
        on_served=_viewed(database, actor, grant_id, recording.id, derived=True),
        keep_serving=_still_granted(database, actor, recording.id, AccessAction.VIEW),
    )


def _viewed(
    database: Database, actor: Actor, grant_id: int, recording_id: int, derived: bool = False
) -> OnServed:
    """The bytes a viewer was actually sent, merged into their viewing session (audited at its
    start); called by the stream in a worker thread when it ends or is cut."""

    def served(start: int, end: int) -> None:
        with database.unit_of_work() as own:
            service.served(
                session=own,
                actor=actor,
                grant_id=grant_id,
                recording_id=recording_id,
                start=start,
                end=max(start, end),
                derived=derived,
            )

    return served


def _still_granted(
    database: Database, actor: Actor, recording_id: int, action: AccessAction
) -> Callable[[], bool]:
    """Asked while a long answer streams: a grant that expires or is revoked stops it."""

    def holds() -> bool:
        with database.read() as session:
            return queries.live_grant(session, actor, recording_id, action, utcnow()) is not None

    return holds


def _headers(recording: Recording, download: bool) -> dict[str, str]:
    headers = {"X-Content-SHA256": recording.sha256, "X-Content-SM3": recording.sm3}
    if download:
        name = quote(recording.original_name)
        headers["Content-Disposition"] = (
            f"attachment; filename=\"original\"; filename*=UTF-8''{name}"
        )
    return headers
