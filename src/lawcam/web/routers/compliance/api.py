"""JSON API for findings (第十八条; DESIGN's wave-2 contract): the list with filters, one finding,
the statement of the person concerned (multipart, with its scans), the unit head's decision,
engineering supervision's review, a finding recorded by hand (multipart, with its documents),
a sweep, and a document's bytes. Thin: parse → domain → shape."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor
from lawcam.compliance import queries, service
from lawcam.compliance.models import Finding
from lawcam.compliance.types import FindingStatus, Rule
from lawcam.config import Settings
from lawcam.documents.queries import open_content
from lawcam.schemas.common import Id
from lawcam.schemas.findings import (
    FindingBrief,
    FindingDecisionIn,
    FindingOut,
    FindingReviewIn,
    SweepOut,
    people_of,
)
from lawcam.storage import BlobStore
from lawcam.web.deps import CommittingRoute, CurrentActor, SessionDep, SettingsDep, StoreDep

router = APIRouter(prefix="/api/v1", tags=["findings"], route_class=CommittingRoute)
Files = Annotated[list[UploadFile], File(description="附件（PDF、JPEG 或 PNG），可多个")]


def full(session: Session, actor: Actor, finding_id: int) -> FindingOut:
    finding = queries.get_finding(session=session, actor=actor, finding_id=finding_id)
    documents = queries.documents_of(session, finding.id)
    return FindingOut.full(finding, people_of(session, [finding]), documents)


def attachments(uploads: list[UploadFile], settings: Settings) -> list[service.Attachment]:
    """The files a form carries; a form's empty file field is no file."""
    return [
        service.Attachment(u.file, u.filename or "", settings)
        for u in uploads
        if u.filename or u.size
    ]


def attach_all(
    session: Session, actor: Actor, store: BlobStore, finding: Finding,
    files: list[service.Attachment], role: str,
) -> None:  # fmt: skip
    service.attach_all(session=session, actor=actor, store=store, finding=finding,
                       attachments=files, role=role)  # fmt: skip


@router.get("/findings", response_model=list[FindingOut])
def list_findings(
    actor: CurrentActor,
    session: SessionDep,
    rule: Rule | None = None,
    status: FindingStatus | None = None,
    person_id: Id | None = None,
    unit_id: Id | None = None,
) -> list[FindingOut]:
    actor.require(Action.FINDING_VIEW)
    where = queries.FindingFilter(rule=rule, status=status, person_id=person_id, unit_id=unit_id)
    rows = queries.list_findings(session=session, actor=actor, where=where)
    people = people_of(session, rows)
    return [FindingOut.full(row, people) for row in rows]


@router.post("/findings", response_model=FindingOut, status_code=201)
def record(
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    person_id: Annotated[Id, Form(description="当事人编号")],
    clause: Annotated[str, Form(max_length=2, description="第十八条的项：二 或 六")],
    summary: Annotated[str, Form(max_length=1000, description="过错事实")],
    attachment: Files = [],  # noqa: B006 (FastAPI copies defaults)
) -> FindingOut:
    """A finding recorded by hand (第十八条第（二）项、第（六）项) with its documents: all of it
    is kept, or (a document refused) none."""
    data = service.ManualFinding(person_id=person_id, clause=clause.strip(), summary=summary)
    finding = service.record_manual(session=session, actor=actor, data=data,
                                    statement_days=settings.findings_statement_days)  # fmt: skip
    attach_all(session, actor, store, finding, attachments(attachment, settings), "evidence")
    return full(session, actor, finding.id)


@router.post("/findings/sweep", response_model=SweepOut)
def sweep(actor: CurrentActor, session: SessionDep, settings: SettingsDep) -> SweepOut:
    report = service.run_sweep(session=session, actor=actor, settings=settings)
    people = people_of(session, report.new)
    return SweepOut(new=len(report.new), findings=[FindingBrief.of(f, people) for f in report.new])


@router.get("/findings/{finding_id}", response_model=FindingOut)
def get_finding(finding_id: Id, actor: CurrentActor, session: SessionDep) -> FindingOut:
    return full(session, actor, finding_id)


@router.post("/findings/{finding_id}/statement", response_model=FindingOut)
def statement(
    finding_id: Id,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    text: Annotated[str, Form(max_length=4000, description="陈述申辩的内容")],
    attachment: Files = [],  # noqa: B006
) -> FindingOut:
    """陈述申辩 with its scans (multipart): the statement and its documents together or not at
    all."""
    finding = queries.get_finding(session=session, actor=actor, finding_id=finding_id)
    service.statement(session=session, actor=actor, finding=finding, text=text)
    attach_all(session, actor, store, finding, attachments(attachment, settings), "statement")
    return full(session, actor, finding_id)


@router.post("/findings/{finding_id}/decision", response_model=FindingOut)
def decide(
    finding_id: Id, body: FindingDecisionIn, actor: CurrentActor, session: SessionDep
) -> FindingOut:
    finding = queries.get_finding(session=session, actor=actor, finding_id=finding_id)
    decision = service.Decision(confirm=body.confirm, reason=body.reason, measure=body.measure)
    service.decide(session=session, actor=actor, finding=finding, decision=decision)
    return full(session, actor, finding_id)


@router.post("/findings/{finding_id}/review", response_model=FindingOut)
def review(
    finding_id: Id, body: FindingReviewIn, actor: CurrentActor, session: SessionDep
) -> FindingOut:
    finding = queries.get_finding(session=session, actor=actor, finding_id=finding_id)
    service.review(session=session, actor=actor, finding=finding, overturn=body.overturn,
                   reason=body.reason)  # fmt: skip
    return full(session, actor, finding_id)


@router.get(
    "/findings/{finding_id}/documents/{document_id}/content",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
def document_content(
    finding_id: Id, document_id: Id, actor: CurrentActor, session: SessionDep, store: StoreDep
) -> Response:
    """A document of a finding, to whoever sees the finding; shown inline, never cached."""
    document = queries.document_of(session, actor, finding_id, document_id)
    with open_content(store, document) as handle:
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
