"""Legal holds (保全): the JSON API and the Chinese page — the live holds in the reader's scope,
the form that places holds on recordings with a reason, and the release, asked with a reason and
approved by another authorised person. Thin: parse → domain → render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.authz import Action
from lawcam.errors import InvalidInput, LawcamError
from lawcam.retention import holds, queries
from lawcam.retention.effective import derive
from lawcam.retention.holds import MAX_AT_ONCE
from lawcam.schemas.common import Clean, Id
from lawcam.schemas.retention import HoldIn, HoldOut, ReasonIn
from lawcam.web.deps import Auth, AuthDep, CommittingRoute, CurrentActor, SessionDep, StoreDep
from lawcam.web.forms import discard, flash_redirect, form_error, parse_int, render, split_list

api = APIRouter(prefix="/api/v1", tags=["retention"], route_class=CommittingRoute)
pages = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=1000), Clean]


# JSON API ------------------------------------------------------------------------------------


@api.get("/holds", response_model=list[HoldOut])
def list_holds(
    actor: CurrentActor,
    session: SessionDep,
    recording_id: Annotated[Id | None, Query(description="资料编号")] = None,
    live: Annotated[bool, Query(description="只列未解除的")] = True,
) -> list[HoldOut]:
    actor.require(queries.visible_holds(session, actor))
    found = queries.list_holds(
        session=session, actor=actor, live=True if live else None, recording_id=recording_id
    )
    return [HoldOut.of(hold) for hold in found]


@api.post("/holds", response_model=list[HoldOut], status_code=201)
def place(body: HoldIn, actor: CurrentActor, session: SessionDep, store: StoreDep) -> list[HoldOut]:
    placed = holds.place(session=session, actor=actor, store=store,
                         recording_ids=body.recording_ids, reason=body.reason)  # fmt: skip
    return [HoldOut.of(hold) for hold in placed]


@api.post("/holds/{hold_id}/release-request", response_model=HoldOut)
def release_request(
    hold_id: Id, body: ReasonIn, actor: CurrentActor, session: SessionDep
) -> HoldOut:
    hold = queries.get_hold(session=session, actor=actor, hold_id=hold_id,
                            action=queries.visible_holds(session, actor))  # fmt: skip
    holds.ask_release(session=session, actor=actor, hold=hold, reason=body.reason)
    return HoldOut.of(hold)


@api.post("/holds/{hold_id}/release-approval", response_model=HoldOut)
def release_approval(
    hold_id: Id, actor: CurrentActor, session: SessionDep, store: StoreDep
) -> HoldOut:
    hold = queries.get_hold(session=session, actor=actor, hold_id=hold_id,
                            action=queries.visible_holds(session, actor))  # fmt: skip
    holds.approve_release(session=session, actor=actor, store=store, hold=hold)
    return HoldOut.of(hold)


# Pages ---------------------------------------------------------------------------------------


def _holds_page(request: Request, auth: Auth, session: Session, **context: Any) -> Response:
    actor = auth.actor
    actor.require(queries.visible_holds(session, actor))
    rows = queries.list_holds(session=session, actor=actor)
    context.setdefault("form", {})
    may = {
        "place": actor.can(Action.HOLD_PLACE),
        "approve": actor.can(Action.HOLD_RELEASE_APPROVE),
    }
    kept = derive(session, {h.recording_id for h in rows})
    return render(request, "holds.html", auth, rows=rows, may=may, kept=kept,
                  max_at_once=MAX_AT_ONCE, **context)  # fmt: skip


@pages.get("/holds", response_class=HTMLResponse)
def holds_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    recording: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return _holds_page(request, auth, session, form={"recording_ids": recording})


@pages.post("/holds", response_class=HTMLResponse)
def place_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    store: StoreDep,
    recording_ids: Annotated[str, Form(max_length=20_000)] = "",
    reason: Text = "",
) -> Response:
    auth.actor.require(Action.HOLD_PLACE)
    form = {"which": "place", "recording_ids": recording_ids, "reason": reason}
    try:
        ids = [_id(part) for part in split_list(recording_ids.replace("#", ""))]
        placed = holds.place(
            session=session, actor=auth.actor, store=store, recording_ids=ids, reason=reason
        )
    except LawcamError as exc:
        discard(session)
        return _holds_page(request, auth, session, form=form, **form_error(exc))
    named = "、".join(f"#{h.recording_id}" for h in placed)
    return flash_redirect(request, "/holds", f"已保全资料 {named}：解除前一直保存。")


def _id(text: str) -> int:
    value = parse_int(text, "资料编号", field="recording_ids", required=True,
                      message=f"资料编号“{text}”不正确：应为正整数，多个用逗号分隔。")  # fmt: skip
    if not value or value < 1:
        raise InvalidInput(
            f"资料编号“{text}”不正确：应为正整数，多个用逗号分隔。", field="recording_ids"
        )
    return value


@pages.post("/holds/{hold_id}/release-request", response_class=HTMLResponse)
def release_request_submit(
    request: Request, hold_id: Id, auth: AuthDep, session: SessionDep, reason: Text = ""
) -> Response:
    actor = auth.actor
    hold = queries.get_hold(session=session, actor=actor, hold_id=hold_id,
                            action=queries.visible_holds(session, actor))  # fmt: skip
    try:
        holds.ask_release(session=session, actor=actor, hold=hold, reason=reason)
    except LawcamError as exc:
        discard(session)
        form = {"which": f"release-{hold_id}", "reason": reason}
        return _holds_page(request, auth, session, form=form, **form_error(exc))
    notice = f"已申请解除保全 #{hold_id}，待另一位有权人员审批；审批前资料仍保全。"
    return flash_redirect(request, "/holds", notice)


@pages.post("/holds/{hold_id}/release-approval", response_class=HTMLResponse)
def release_approval_submit(
    request: Request, hold_id: Id, auth: AuthDep, session: SessionDep, store: StoreDep
) -> Response:
    actor = auth.actor
    hold = queries.get_hold(session=session, actor=actor, hold_id=hold_id,
                            action=queries.visible_holds(session, actor))  # fmt: skip
    try:
        holds.approve_release(session=session, actor=actor, store=store, hold=hold)
    except LawcamError as exc:
        discard(session)
        form = {"which": f"approve-{hold_id}"}
        return _holds_page(request, auth, session, form=form, **form_error(exc))
    notice = f"已解除保全 #{hold_id}；资料按其余依据保存，不短于已承诺的日期。"
    return flash_redirect(request, "/holds", notice)
