"""JSON API for filed documents: the facts and digests of one, and its bytes. 404 for anyone
who may not see it (its filer and its unit's head and device administrator may), the same
answer as a document that does not exist."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from lawcam.documents import queries
from lawcam.schemas.common import Id
from lawcam.schemas.documents import DocumentOut
from lawcam.web.deps import CurrentActor, SessionDep, StoreDep

router = APIRouter(prefix="/api/v1", tags=["documents"])


@router.get("/documents/{document_id}", response_model=DocumentOut)
def get_document(document_id: Id, actor: CurrentActor, session: SessionDep) -> DocumentOut:
    document = queries.get_document(session=session, actor=actor, document_id=document_id)
    return DocumentOut.of(document)


@router.get(
    "/documents/{document_id}/content",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
def document_content(
    document_id: Id, actor: CurrentActor, session: SessionDep, store: StoreDep
) -> Response:
    """The bytes as filed (at most the configured limit, so read whole in a worker thread).
    Shown in the browser (a PDF or an image), never sniffed into something else, never cached."""
    document = queries.get_document(session=session, actor=actor, document_id=document_id)
    with queries.open_content(store, document) as handle:
        data = handle.read()
    name = quote(document.original_name)
    return Response(
        content=data,
        media_type=document.media_type,
        headers={
            "Content-Disposition": f"inline; filename=\"document\"; filename*=UTF-8''{name}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
