"""Chinese pages for access by approval (第十五条): my requests and the request form, the
requests I decide, one request with its decision and its recordings, and the player with the
viewer's watermark. Thin: parse → domain → render."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.access import queries, service
from lawcam.access.types import ACTION_LABELS, MAX_DAYS, AccessAction, Approver, RequestStatus
from lawcam.access.uses import LIMIT, UseFilter, uses
from lawcam.authz import Action
from lawcam.errors import InvalidInput, LawcamError
from lawcam.evidence.queries import viewing_copy_of
from lawcam.evidence.viewing import make_viewing_copy, needs_copy
from lawcam.reports.access_uses import write_uses_xlsx
from lawcam.schemas.common import Id
from lawcam.timeutil import SHANGHAI, check_day_range, utcnow
from lawcam.web.deps import Auth, AuthDep, SessionDep, StoreDep
from lawcam.web.forms import discard, flash_redirect, form_error, parse_date, parse_int, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=1000)]
Short = Annotated[str, Form(max_length=200)]
LABELS: dict[str, Any] = {"actions": {str(a): a.label for a in AccessAction}, "max_days": MAX_DAYS}


def _mine_page(request: Request, auth: Auth, session: Session, **context: Any) -> Response:
    rows = queries.list_requests(session=session, actor=auth.actor)
    context.setdefault("form", {})
    return render(request, "access.html", auth, rows=rows, **LABELS, **context)


@router.get("/access", response_class=HTMLResponse)
def access_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    recording: Annotated[str, Query(max_length=20)] = "",
    activity: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    auth.actor.require(Action.ACCESS_REQUEST)
    form = {"recording_ids": recording, "activity_id": activity, "action": "view", "days": "7"}
    return _mine_page(request, auth, session, form=form)


@router.post("/access", response_class=HTMLResponse)
def access_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    recording_ids: Short = "",
    activity_id: Short = "",
    case_number: Short = "",
    action: Annotated[str, Form(max_length=10)] = "",
    purpose: Text = "",
    days: Annotated[str, Form(max_length=5)] = "",
    recipient: Short = "",
    recipient_org: Short = "",
) -> Response:
    auth.actor.require(Action.ACCESS_REQUEST)
    form = dict(recording_ids=recording_ids, activity_id=activity_id, case_number=case_number,
                action=action, purpose=purpose, days=days, recipient=recipient,
                recipient_org=recipient_org)  # fmt: skip
    try:
        row = service.request_access(session=session, actor=auth.actor, data=_data(form))
    except LawcamError as exc:
        discard(session)
        return _mine_page(request, auth, session, form=form, **form_error(exc))
    notice = f"已提交调阅申请 #{row.id}，待{Approver(row.approver).label}审批。"
    return flash_redirect(request, f"/access/{row.id}", notice)


def _data(form: dict[str, str]) -> service.RequestData:
    if form["action"] not in ACTION_LABELS:
        raise InvalidInput("请选择调阅方式：查看、下载或向外部提供。", field="action")
    ids = [
        _id(part) for part in form["recording_ids"].replace("，", ",").split(",") if part.strip()
    ]
    return service.RequestData(
        action=AccessAction(form["action"]),
        purpose=form["purpose"],
        days=parse_int(form["days"], "使用期限", field="days", required=True) or 0,
        recording_ids=tuple(ids),
        activity_id=parse_int(form["activity_id"], "执法活动编号", field="activity_id"),
        case_number=form["case_number"],
        recipient=form["recipient"],
        recipient_org=form["recipient_org"],
    )


def _id(text: str) -> int:
    value = parse_int(text.strip().lstrip("#"), "资料编号", field="recording_ids", required=True)
    if not value or value < 1:
        raise InvalidInput(
            f"资料编号“{text.strip()}”不正确：应为正整数，多个用逗号分隔。", field="recording_ids"
        )
    return value


@router.get("/access/decide", response_class=HTMLResponse)
def decide_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    auth.actor.require(Action.ACCESS_APPROVE)
    rows = queries.list_requests(session=session, actor=auth.actor, to_decide=True)
    pending = [r for r in rows if r.status == RequestStatus.PENDING]
    done = [r for r in rows if r.status != RequestStatus.PENDING]
    return render(request, "access_decide.html", auth, pending=pending, done=done, **LABELS)


def _request_page(
    request: Request, auth: Auth, session: Session, request_id: int, **context: Any
) -> Response:
    row = queries.get_request(session=session, actor=auth.actor, request_id=request_id)
    now = utcnow()
    live = (
        row.status == RequestStatus.APPROVED and row.expires_at is not None and row.expires_at > now
    )
    may_decide = auth.actor.can(Action.ACCESS_APPROVE) and row.requester_id != auth.actor.person_id
    context.setdefault("form", {})
    return render(request, "access_request.html", auth, row=row, live=live,
                  mine=row.requester_id == auth.actor.person_id, may_decide=may_decide,
                  **LABELS, **context)  # fmt: skip


@router.get("/access/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, request_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    return _request_page(request, auth, session, request_id)


@router.post("/access/{request_id}/decision", response_class=HTMLResponse)
def decision_submit(
    request: Request,
    request_id: Id,
    auth: AuthDep,
    session: SessionDep,
    approve: Annotated[str, Form(max_length=5)] = "",
    reason: Text = "",
) -> Response:
    auth.actor.require(Action.ACCESS_APPROVE)
    try:
        row = service.decide(session=session, actor=auth.actor, request_id=request_id,
                             approve=approve == "1", reason=reason)  # fmt: skip
    except LawcamError as exc:
        discard(session)
        return _request_page(
            request, auth, session, request_id, form={"reason": reason}, **form_error(exc)
        )
    return flash_redirect(
        request, f"/access/{row.id}", f"已{RequestStatus(row.status).label}调阅申请 #{row.id}。"
    )


@router.post("/access/{request_id}/revocation", response_class=HTMLResponse)
def revocation_submit(
    request: Request, request_id: Id, auth: AuthDep, session: SessionDep, reason: Text = ""
) -> Response:
    auth.actor.require(Action.ACCESS_APPROVE)
    try:
        row = service.revoke(
            session=session, actor=auth.actor, request_id=request_id, reason=reason
        )
    except LawcamError as exc:
        discard(session)
        return _request_page(
            request, auth, session, request_id, form={"reason": reason}, **form_error(exc)
        )
    return flash_redirect(request, f"/access/{row.id}", f"已撤销调阅授权 #{row.id}。")


@router.get("/recordings/{recording_id}/play", response_class=HTMLResponse)
def play_page(request: Request, recording_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    """The player, only under a live grant (else 404 as for any recording not there); the
    watermark names the viewer and the time it was opened."""
    now = utcnow()
    grant, recording = queries.granted(
        session=session, actor=auth.actor, recording_id=recording_id, action=AccessAction.VIEW
    )
    person = queries.viewer(session, auth.actor)
    needs = needs_copy(recording)
    made = viewing_copy_of(session, recording.id) if needs else None
    return render(request, "recording_play.html", auth, recording=recording, grant=grant,
                  viewer=person, opened_at=now, needs_copy=needs, copy=made)  # fmt: skip


@router.post("/recordings/{recording_id}/copy", response_class=HTMLResponse)
def copy_submit(
    request: Request, recording_id: Id, auth: AuthDep, session: SessionDep, store: StoreDep
) -> Response:
    """A viewing copy for a format the browser cannot play, made under the viewer's live grant
    (tens of seconds per minute of video: in a worker thread, never the event loop)."""
    _, recording = queries.granted(
        session=session, actor=auth.actor, recording_id=recording_id, action=AccessAction.VIEW
    )
    made = make_viewing_copy(session=session, actor=auth.actor, store=store, recording=recording)
    notice = f"已制作播放副本（H.264/AAC，SHA-256 {made.sha256[:12]}…）；原始文件不变。"
    return flash_redirect(request, f"/recordings/{recording_id}/play", notice)


# Who saw what (the security auditor) -----------------------------------------------------------


def _use_filter(form: dict[str, str]) -> UseFilter:
    where = UseFilter(
        date_from=parse_date(form["from"], "起始日期", field="from"),
        date_to=parse_date(form["to"], "截止日期", field="to"),
        who=form["who"],
        recording_id=parse_int(form["recording"], "资料编号", field="recording"),
        refused_only=bool(form["refused"]),
    )
    check_day_range(where.date_from, where.date_to)
    return where


def use_form(
    from_: Annotated[str, Query(alias="from", max_length=20)] = "",
    to: Annotated[str, Query(max_length=20)] = "",
    who: Annotated[str, Query(max_length=50)] = "",
    recording: Annotated[str, Query(max_length=20)] = "",
    refused: Annotated[str, Query(max_length=5)] = "",
) -> dict[str, str]:
    """The 调阅记录 filters as typed (the page and its export read the same)."""
    return {"from": from_, "to": to, "who": who, "recording": recording, "refused": refused}


UseForm = Annotated[dict[str, str], Depends(use_form)]


@router.get("/audit/access", response_class=HTMLResponse)
def uses_page(request: Request, auth: AuthDep, session: SessionDep, form: UseForm) -> Response:
    """第十五条 for the auditor: who saw, downloaded or packaged which recording, when, under
    which approval, and every refused attempt; from the audit log."""
    auth.actor.require(Action.AUDIT_READ)
    try:
        rows = uses(session, auth.actor, _use_filter(form))
    except InvalidInput as exc:
        return render(
            request, "audit_access.html", auth, rows=[], form=form, limit=LIMIT, **form_error(exc)
        )
    return render(request, "audit_access.html", auth, rows=rows, form=form, limit=LIMIT)


@router.get("/audit/access.xlsx")
def uses_export(auth: AuthDep, session: SessionDep, form: UseForm) -> Response:
    auth.actor.require(Action.AUDIT_READ)
    rows = uses(session, auth.actor, _use_filter(form))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "uses.xlsx"
        write_uses_xlsx(path, rows)
        data = path.read_bytes()
    name = quote(f"调阅记录-{utcnow().astimezone(SHANGHAI):%Y%m%d}.xlsx")
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=\"uses.xlsx\"; filename*=UTF-8''{name}",
            "Cache-Control": "no-store",
        },
    )
