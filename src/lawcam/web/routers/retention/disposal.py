"""Disposal after retention (第十四条第（二）项, R14.2): the JSON API and the Chinese pages — the dry
run of a unit and the proposal form, the batches (those waiting for me first), one batch with
its items, approvals and outcomes. Thin: parse → domain → shape or render.

Running a batch removes stored objects one recording at a time, each in its own transaction: the
run routes are synchronous (a worker thread, never the event loop) and take no request session,
so that nothing holds a transaction open across the run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from lawcam.authz import Action, Actor, Role
from lawcam.errors import InvalidInput, LawcamError
from lawcam.retention import disposal, queries, reports
from lawcam.retention.disposal import MAX_BATCH, RunReport
from lawcam.retention.models import DisposalBatch
from lawcam.retention.types import DisposalStatus, Outcome
from lawcam.schemas.common import Id
from lawcam.schemas.disposal import CandidateOut, DisposalBatchOut, DisposalIn, RejectionIn
from lawcam.storage import BlobStore
from lawcam.web.deps import (
    Auth,
    AuthDep,
    CommittingRoute,
    CurrentActor,
    DatabaseDep,
    SessionDep,
    StoreDep,
)
from lawcam.web.forms import discard, flash_redirect, form_error, parse_int, render, units_for

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from lawcam.db import Database

api = APIRouter(prefix="/api/v1", tags=["retention"], route_class=CommittingRoute)
pages = APIRouter(include_in_schema=False)

Short = Annotated[str, Form(max_length=20)]
Text = Annotated[str, Form(max_length=1000)]


def _unit(actor: Actor, unit_id: int | None) -> int:
    """The unit asked for, or the actor's own."""
    chosen = unit_id or actor.unit_id
    if chosen is None:
        raise InvalidInput("请指定单位。", field="unit_id")
    return chosen


def _dry_run(session: Session, actor: Actor, unit_id: int) -> list[reports.Candidate]:
    """Exactly what a batch of every candidate would dispose of today: the proposer's."""
    actor.require(Action.DISPOSAL_PROPOSE)
    found = disposal.candidates(session=session, actor=actor, unit_id=unit_id)
    return reports.with_facts(session, found)


def _may_see_batches(actor: Actor) -> None:
    """Batches are the proposers' and the approvers' (queries.batch_action)."""
    actor.require(queries.batch_action(actor))


@api.get("/disposal/candidates", response_model=list[CandidateOut])
def candidates(
    actor: CurrentActor,
    session: SessionDep,
    unit_id: Annotated[Id | None, Query(description="单位编号（不填为本人所在单位）")] = None,
) -> list[CandidateOut]:
    """The dry run: exactly the recordings a batch of every candidate would dispose of today."""
    return [CandidateOut.of(c) for c in _dry_run(session, actor, _unit(actor, unit_id))]


@api.post("/disposal-batches", response_model=DisposalBatchOut, status_code=201)
def propose(body: DisposalIn, actor: CurrentActor, session: SessionDep) -> DisposalBatchOut:
    actor.require(Action.DISPOSAL_PROPOSE)
    batch = disposal.propose(
        session=session, actor=actor, unit_id=_unit(actor, body.unit_id), reason=body.reason,
        recording_ids=body.recording_ids,
    )  # fmt: skip
    return DisposalBatchOut.of(batch)


@api.get("/disposal-batches", response_model=list[DisposalBatchOut])
def list_batches(actor: CurrentActor, session: SessionDep) -> list[DisposalBatchOut]:
    _may_see_batches(actor)
    return [DisposalBatchOut.of(b) for b in queries.list_batches(session=session, actor=actor)]


@api.get("/disposal-batches/{batch_id}", response_model=DisposalBatchOut)
def get_batch(batch_id: Id, actor: CurrentActor, session: SessionDep) -> DisposalBatchOut:
    return DisposalBatchOut.of(queries.get_batch(session=session, actor=actor, batch_id=batch_id))


@api.post("/disposal-batches/{batch_id}/approval", response_model=DisposalBatchOut)
def approve(batch_id: Id, actor: CurrentActor, session: SessionDep) -> DisposalBatchOut:
    batch = queries.get_batch(session=session, actor=actor, batch_id=batch_id)
    disposal.approve(session=session, actor=actor, batch=batch)
    return DisposalBatchOut.of(batch)


@api.post("/disposal-batches/{batch_id}/rejection", response_model=DisposalBatchOut)
def reject(
    batch_id: Id, body: RejectionIn, actor: CurrentActor, session: SessionDep
) -> DisposalBatchOut:
    batch = queries.get_batch(session=session, actor=actor, batch_id=batch_id)
    disposal.reject(session=session, actor=actor, batch=batch, reason=body.reason)
    return DisposalBatchOut.of(batch)


@api.post("/disposal-batches/{batch_id}/run", response_model=DisposalBatchOut)
def run(
    batch_id: Id, request: Request, actor: CurrentActor, database: DatabaseDep, store: StoreDep
) -> DisposalBatchOut:
    """Runs an approved batch (in a worker thread; one transaction per recording)."""
    _run(request, actor, database, store, batch_id)
    with database.read() as session:
        batch = queries.get_batch(session=session, actor=actor, batch_id=batch_id)
        return DisposalBatchOut.of(batch)


def _run(
    request: Request, actor: Actor, database: Database, store: BlobStore, batch_id: int
) -> RunReport:
    return disposal.run(
        database=database, actor=actor, store=store, signer=request.app.state.signer.current(),
        batch_id=batch_id,
    )  # fmt: skip


# Pages -------------------------------------------------------------------------------------------

LABELS: dict[str, Any] = {
    "statuses": {str(s): s.label for s in DisposalStatus},
    "outcomes": {str(o): o.label for o in Outcome},
    "max_batch": MAX_BATCH,
}


def may_decide(actor: Actor, batch: DisposalBatch) -> bool:
    """Whether the batch waits for this person: the unit head first, then engineering
    supervision; never the proposer, never one who approved it already."""
    if not actor.can(Action.DISPOSAL_APPROVE) or actor.person_id in (
        batch.proposed_by_id,
        batch.head_by_id,
    ):
        return False
    if batch.status == DisposalStatus.PROPOSED:
        return Role.UNIT_HEAD in actor.roles
    return batch.status == DisposalStatus.HEAD_APPROVED and Role.ENGINEERING in actor.roles


def _list_page(
    request: Request, auth: Auth, session: Session, unit_text: str = "", **context: Any
) -> Response:
    actor = auth.actor
    _may_see_batches(actor)
    batches = queries.list_batches(session=session, actor=actor)
    waiting = [b for b in batches if may_decide(actor, b)]
    proposer = actor.can(Action.DISPOSAL_PROPOSE)
    units = units_for(session, actor, Action.DISPOSAL_PROPOSE) if proposer else []
    dry: list[reports.Candidate] = []
    unit_id = None
    if proposer:
        try:
            unit_id = _unit(actor, parse_int(unit_text, "单位", field="unit_id"))
            dry = _dry_run(session, actor, unit_id)
        except LawcamError as exc:
            context = {**form_error(exc), **context}
    queued = disposal.in_open_batches(session, [c.retention.recording_id for c in dry])
    chosen = [c.retention.recording_id for c in dry if c.retention.recording_id not in queued]
    context.setdefault("form", {"reason": "", "chosen": chosen})
    return render(request, "disposal.html", auth, batches=batches, waiting=waiting,
                  proposer=proposer, units=units, unit_id=unit_id, dry=dry, queued=queued,
                  **LABELS, **context)  # fmt: skip


@pages.get("/disposal", response_class=HTMLResponse)
def disposal_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit_id: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return _list_page(request, auth, session, unit_id)


@pages.post("/disposal", response_class=HTMLResponse)
def propose_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit_id: Short = "",
    reason: Text = "",
    recording_ids: Annotated[list[str] | None, Form(max_length=MAX_BATCH)] = None,
) -> Response:
    auth.actor.require(Action.DISPOSAL_PROPOSE)
    chosen = recording_ids or []
    kept = [int(t) for t in chosen if t.strip().isascii() and t.strip().isdigit()]
    form: dict[str, Any] = {"reason": reason, "chosen": kept}  # shown again when refused
    try:
        unit = _unit(auth.actor, parse_int(unit_id, "单位", field="unit_id"))
        ids = [_id(text) for text in chosen]
        if not ids:
            raise InvalidInput("请至少选择一条资料。", field="recording_ids")
        batch = disposal.propose(
            session=session, actor=auth.actor, unit_id=unit, reason=reason, recording_ids=ids
        )
    except LawcamError as exc:
        discard(session)
        return _list_page(request, auth, session, unit_id, form=form, **form_error(exc))
    notice = f"已提出销毁批次 #{batch.id}（{len(batch.items)} 条资料），待单位负责人审批。"
    return flash_redirect(request, f"/disposal/{batch.id}", notice)


def _id(text: str) -> int:
    found = parse_int(text, "资料编号", field="recording_ids", required=True)
    assert found is not None  # required: refused above when empty
    return found


def _batch_page(
    request: Request, auth: Auth, session: Session, batch_id: int, **context: Any
) -> Response:
    batch = queries.get_batch(session=session, actor=auth.actor, batch_id=batch_id)
    ids = [item.recording_id for item in batch.items]
    gone = queries.dispositions_of(session, ids)
    counts = {str(o): sum(1 for i in batch.items if i.outcome == o) for o in Outcome}
    runnable = auth.actor.can(Action.DISPOSAL_PROPOSE) and batch.status == DisposalStatus.APPROVED
    context.setdefault("form", {})
    return render(request, "disposal_batch.html", auth, batch=batch, gone=gone, counts=counts,
                  decide=may_decide(auth.actor, batch), runnable=runnable, **LABELS,
                  **context)  # fmt: skip


@pages.get("/disposal/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, batch_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    return _batch_page(request, auth, session, batch_id)


@pages.post("/disposal/{batch_id}/approval", response_class=HTMLResponse)
def approve_submit(request: Request, batch_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    auth.actor.require(Action.DISPOSAL_APPROVE)
    try:
        batch = queries.get_batch(session=session, actor=auth.actor, batch_id=batch_id)
        disposal.approve(session=session, actor=auth.actor, batch=batch)
    except LawcamError as exc:
        discard(session)
        return _batch_page(request, auth, session, batch_id, **form_error(exc))
    status = DisposalStatus(batch.status)
    then = "待工程监管处审批" if status == DisposalStatus.HEAD_APPROVED else "可以执行"
    return flash_redirect(request, f"/disposal/{batch_id}", f"已批准销毁批次 #{batch_id}，{then}。")


@pages.post("/disposal/{batch_id}/rejection", response_class=HTMLResponse)
def reject_submit(
    request: Request, batch_id: Id, auth: AuthDep, session: SessionDep, reason: Text = ""
) -> Response:
    auth.actor.require(Action.DISPOSAL_APPROVE)
    try:
        batch = queries.get_batch(session=session, actor=auth.actor, batch_id=batch_id)
        disposal.reject(session=session, actor=auth.actor, batch=batch, reason=reason)
    except LawcamError as exc:
        discard(session)
        return _batch_page(
            request, auth, session, batch_id, form={"reason": reason}, **form_error(exc)
        )
    return flash_redirect(request, f"/disposal/{batch_id}", f"已驳回销毁批次 #{batch_id}。")


@pages.post("/disposal/{batch_id}/run", response_class=HTMLResponse)
def run_submit(
    request: Request, batch_id: Id, auth: AuthDep, database: DatabaseDep, store: StoreDep
) -> Response:
    """No request session: the run keeps its own transactions, one per recording."""
    auth.actor.require(Action.DISPOSAL_PROPOSE)
    try:
        report = _run(request, auth.actor, database, store, batch_id)
    except LawcamError as exc:
        with database.read() as session:
            return _batch_page(request, auth, session, batch_id, **form_error(exc))
    words = [f"{o.label} {report.count(o)} 条" for o in Outcome if report.count(o)]
    notice = f"已执行销毁批次 #{batch_id}：" + ("，".join(words) or "没有待处理的资料") + "。"
    return flash_redirect(request, f"/disposal/{batch_id}", notice)
