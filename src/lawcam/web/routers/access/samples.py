"""Conduct-review sampling (第十三条, R13.1): the JSON API and the Chinese pages — the samples
and the draw form, one sample with its recordings (each played under the review grant) and the
result form. Thin: parse → domain → shape or render."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.access import sampling
from lawcam.access.sample_types import (
    DEFAULT_DAYS,
    MAX_SIZE,
    REASON_LABELS,
    RESULT_LABELS,
    Reason,
    Result,
)
from lawcam.access.types import MAX_DAYS
from lawcam.activities.types import KIND_LABELS, ActivityKind
from lawcam.authz import Action
from lawcam.errors import InvalidInput, LawcamError
from lawcam.schemas.access import ResultIn, SampleIn, SampleItemOut, SampleOut
from lawcam.schemas.common import Id
from lawcam.timeutil import today_shanghai, utcnow
from lawcam.web.deps import Auth, AuthDep, CommittingRoute, CurrentActor, SessionDep
from lawcam.web.forms import (
    discard,
    flash_redirect,
    form_error,
    parse_date,
    parse_int,
    render,
    unit_names,
)

api = APIRouter(prefix="/api/v1", tags=["access"], route_class=CommittingRoute)
pages = APIRouter(include_in_schema=False)
E = TypeVar("E", bound=StrEnum)


def _out(session: Session, row: Any) -> SampleOut:
    grant = sampling.grant_of(session, row.id)
    return SampleOut.of(row, grant.id if grant else None)


@api.post("/samples", response_model=SampleOut, status_code=201)
def draw(body: SampleIn, actor: CurrentActor, session: SessionDep) -> SampleOut:
    return _out(session, sampling.draw(session=session, actor=actor, data=body.draw()))


@api.get("/samples", response_model=list[SampleOut])
def list_samples(actor: CurrentActor, session: SessionDep) -> list[SampleOut]:
    return [_out(session, row) for row in sampling.list_samples(session=session, actor=actor)]


@api.get("/samples/{sample_id}", response_model=SampleOut)
def get_sample(sample_id: Id, actor: CurrentActor, session: SessionDep) -> SampleOut:
    return _out(session, sampling.get_sample(session=session, actor=actor, sample_id=sample_id))


@api.post("/samples/{sample_id}/results", response_model=SampleItemOut)
def record_result(
    sample_id: Id, body: ResultIn, actor: CurrentActor, session: SessionDep
) -> SampleItemOut:
    item = sampling.record_result(
        session=session, actor=actor, sample_id=sample_id, data=body.data()
    )
    return SampleItemOut.of(item)


# Pages -------------------------------------------------------------------------------------------

Short = Annotated[str, Form(max_length=30)]
LABELS: dict[str, Any] = {
    "kinds": {str(k): v for k, v in KIND_LABELS.items()},
    "results": {str(k): v for k, v in RESULT_LABELS.items()},
    "reasons": {str(k): v for k, v in REASON_LABELS.items()},
    "max_size": MAX_SIZE,
    "max_days": MAX_DAYS,
}


def _list_page(request: Request, auth: Auth, session: Session, **context: Any) -> Response:
    rows = sampling.list_samples(session=session, actor=auth.actor)
    start = today_shanghai().replace(day=1)
    context.setdefault("form", {"date_from": str(start), "date_to": str(today_shanghai()),
                                "size": "10", "days": str(DEFAULT_DAYS)})  # fmt: skip
    return render(request, "samples.html", auth, rows=rows, units=unit_names(session, auth),
                  **LABELS, **context)  # fmt: skip


@pages.get("/samples", response_class=HTMLResponse)
def samples_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    auth.actor.require(Action.SAMPLE_DRAW)
    return _list_page(request, auth, session)


@pages.post("/samples", response_class=HTMLResponse)
def draw_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit_id: Short = "",
    date_from: Short = "",
    date_to: Short = "",
    kind: Short = "",
    size: Short = "",
    seed: Short = "",
    days: Short = "",
) -> Response:
    auth.actor.require(Action.SAMPLE_DRAW)
    form = dict(unit_id=unit_id, date_from=date_from, date_to=date_to, kind=kind, size=size,
                seed=seed, days=days)  # fmt: skip
    try:
        row = sampling.draw(session=session, actor=auth.actor, data=_draw(form))
    except LawcamError as exc:
        discard(session)
        return _list_page(request, auth, session, form=form, **form_error(exc))
    notice = f"已抽取 {row.size} 条资料（总体 {row.population} 条，种子 {row.seed}）。"
    return flash_redirect(request, f"/samples/{row.id}", notice)


def _draw(form: dict[str, str]) -> sampling.Draw:
    kind = form["kind"].strip()
    filters = sampling.Filters(
        date_from=_day(form["date_from"], "期间起", "date_from"),
        date_to=_day(form["date_to"], "期间止", "date_to"),
        unit_id=parse_int(form["unit_id"], "单位", field="unit_id"),
        kind=_choice(ActivityKind, kind, "请选择执法活动类型。", field="kind") if kind else None,
    )
    return sampling.Draw(
        filters=filters,
        size=parse_int(form["size"], "抽查数量", field="size", required=True) or 0,
        seed=_seed(form["seed"]),
        days=parse_int(form["days"], "结果登记期限", field="days") or DEFAULT_DAYS,
    )


def _day(text: str, what: str, field: str) -> date:
    day = parse_date(text, what, field=field, required=True)
    assert day is not None  # required: refused above when empty
    return day


def _choice(kind: type[E], value: str, message: str, *, field: str) -> E:
    try:
        return kind(value.strip())
    except ValueError:
        raise InvalidInput(message, field=field) from None


def _seed(text: str) -> int | None:
    """A seed may exceed a form's INTEGER bound (the generated ones do); the draw bounds it."""
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise InvalidInput(f"随机种子须为非负整数，而不是“{text}”。", field="seed")
    return int(text)


def _sample_page(
    request: Request, auth: Auth, session: Session, sample_id: int, **context: Any
) -> Response:
    row = sampling.get_sample(session=session, actor=auth.actor, sample_id=sample_id)
    grant = sampling.grant_of(session, row.id)
    live = grant is not None and grant.status == "approved" and row.due_at > utcnow()
    context.setdefault("form", {})
    return render(request, "sample.html", auth, row=row, grant=grant, live=live,
                  reviewer=row.reviewer_id == auth.actor.person_id,
                  units=unit_names(session, auth), **LABELS, **context)  # fmt: skip


@pages.get("/samples/{sample_id}", response_class=HTMLResponse)
def sample_page(request: Request, sample_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    auth.actor.require(Action.SAMPLE_DRAW)
    return _sample_page(request, auth, session, sample_id)


@pages.post("/samples/{sample_id}/results", response_class=HTMLResponse)
def result_submit(
    request: Request,
    sample_id: Id,
    auth: AuthDep,
    session: SessionDep,
    recording_id: Short = "",
    result: Short = "",
    reason: Short = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    auth.actor.require(Action.SAMPLE_DRAW)
    form = dict(recording_id=recording_id, result=result, reason=reason, note=note)
    try:
        item = sampling.record_result(
            session=session, actor=auth.actor, sample_id=sample_id, data=_result(form)
        )
    except LawcamError as exc:
        discard(session)
        return _sample_page(request, auth, session, sample_id, form=form, **form_error(exc))
    notice = f"已登记资料 #{item.recording_id} 的抽查结果：{Result(item.result or '').label}。"
    return flash_redirect(request, f"/samples/{sample_id}", notice)


def _result(form: dict[str, str]) -> sampling.ResultData:
    reason = form["reason"].strip()
    return sampling.ResultData(
        recording_id=parse_int(
            form["recording_id"], "资料编号", field="recording_id", required=True
        )
        or 0,
        result=_choice(Result, form["result"], "请选择抽查结果：规范或不规范。", field="result"),
        reason=_choice(Reason, reason, "请选择不规范的情形。", field="reason") if reason else None,
        note=form["note"],
    )
