"""Chinese pages for findings (第十八条): the list (mine with their deadlines, those waiting for
my decision, and all I may see, filtered), one finding with its facts, clause, evidence links,
documents and the review's forms (the statement for the person concerned, the decision for the
unit head, the review for engineering supervision), and a finding recorded by hand. Thin:
parse → domain → render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.authz import Action
from lawcam.compliance import queries, service
from lawcam.compliance.models import Finding
from lawcam.compliance.types import STATUS_LABELS, FindingStatus, Rule
from lawcam.errors import InvalidInput, LawcamError
from lawcam.org.queries import person_by_badge
from lawcam.schemas.common import Id
from lawcam.schemas.findings import FindingOut, people_of
from lawcam.timeutil import utcnow
from lawcam.web.deps import Auth, AuthDep, SessionDep, SettingsDep, StoreDep
from lawcam.web.forms import discard, flash_redirect, form_error, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=200)]
Files = Annotated[list[UploadFile], File()]
LABELS: dict[str, Any] = {
    "rules": {str(r): r.label for r in Rule},
    "statuses": {str(s): label for s, label in STATUS_LABELS.items()},
    "clauses": {"二": "第十八条第（二）项", "六": "第十八条第（六）项"},
}
# Where each kind of evidence is shown (the audit proof page takes the entry's sequence number).
EVIDENCE_URLS = {
    "activity": "/activities/{}",
    "recording": "/recordings/{}",
    "audit": "/audit/proof?leaf={}",
    "sample": "/samples/{}",
}


def _choice(value: str, choices: dict[str, str], what: str, field: str) -> str | None:
    if not value:
        return None
    if value not in choices:
        raise InvalidInput(f"{what}“{value}”不存在。", field=field)
    return value


@router.get("/findings", response_class=HTMLResponse)
def list_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    rule: Annotated[str, Query(max_length=30)] = "",
    status: Annotated[str, Query(max_length=12)] = "",
    person: Annotated[str, Query(max_length=50)] = "",
) -> Response:
    actor = auth.actor
    actor.require(Action.FINDING_VIEW)
    chosen_rule = _choice(rule, LABELS["rules"], "规则", "rule")
    chosen_status = _choice(status, LABELS["statuses"], "状态", "status")
    person_id = None
    if person.strip():
        found = person_by_badge(session, person.strip())
        person_id = found.id if found is not None else -1  # nobody: an empty list
    where = queries.FindingFilter(
        rule=Rule(chosen_rule) if chosen_rule else None,
        status=FindingStatus(chosen_status) if chosen_status else None,
        person_id=person_id,
    )
    rows = queries.list_findings(session=session, actor=actor, where=where)
    mine = []
    if actor.person_id is not None:
        mine = queries.list_findings(
            session=session, actor=actor, where=queries.FindingFilter(person_id=actor.person_id)
        )
    waiting = queries.waiting_decision(session, actor)
    people = people_of(session, rows + mine + waiting)

    def shown(found: list[Finding]) -> list[FindingOut]:
        return [FindingOut.full(f, people) for f in found]

    return render(request, "findings.html", auth, rows=shown(rows), mine=shown(mine),
                  waiting=shown(waiting), filters={"rule": rule, "status": status,
                  "person": person}, now=utcnow(), may_record=actor.can(Action.FINDING_RECORD),
                  may_sweep=actor.can(Action.FINDING_SWEEP), **LABELS)  # fmt: skip


@router.post("/findings/sweep", response_class=HTMLResponse)
def sweep_submit(
    request: Request, auth: AuthDep, session: SessionDep, settings: SettingsDep
) -> Response:
    report = service.run_sweep(session=session, actor=auth.actor, settings=settings)
    notice = f"巡检完成：新发现 {len(report.new)} 条，{len(report.cured)} 条标为已纠正。"
    return flash_redirect(request, "/findings", notice)


def _new_page(request: Request, auth: Auth, **context: Any) -> Response:
    context.setdefault("form", {"clause": "二"})
    return render(request, "finding_form.html", auth, **LABELS, **context)


@router.get("/findings/new", response_class=HTMLResponse)
def new_page(request: Request, auth: AuthDep) -> Response:
    auth.actor.require(Action.FINDING_RECORD)
    return _new_page(request, auth)


@router.post("/findings/new", response_class=HTMLResponse)
def new_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    person: Short = "",
    clause: Annotated[str, Form(max_length=2)] = "",
    summary: Text = "",
    attachment: Files = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    auth.actor.require(Action.FINDING_RECORD)
    form = {"person": person, "clause": clause, "summary": summary}
    try:
        found = person_by_badge(session, person.strip()) if person.strip() else None
        if found is None:
            raise InvalidInput(f"执法证号为“{person.strip()}”的人员不存在。", field="person")
        data = service.ManualFinding(person_id=found.id, clause=clause, summary=summary)
        finding = service.record_manual(session=session, actor=auth.actor, data=data,
                                        statement_days=settings.findings_statement_days)  # fmt: skip
        service.attach_all(session=session, actor=auth.actor, store=store, finding=finding,
                           attachments=_files(attachment, settings), role="evidence")  # fmt: skip
    except LawcamError as exc:
        discard(session)
        return _new_page(request, auth, form=form, **form_error(exc))
    return flash_redirect(request, f"/findings/{finding.id}", f"已登记执法过错 #{finding.id}。")


def _files(uploads: list[UploadFile], settings: Any) -> list[service.Attachment]:
    """The files chosen (a form sends an empty part when none is)."""
    return [service.Attachment(u.file, u.filename or "", settings) for u in uploads if u.filename]


def _finding_page(
    request: Request, auth: Auth, session: Session, finding_id: int, **context: Any
) -> Response:
    actor = auth.actor
    finding = queries.get_finding(session=session, actor=actor, finding_id=finding_id)
    shown = FindingOut.full(
        finding, people_of(session, [finding]), queries.documents_of(session, finding.id)
    )
    now = utcnow()
    pending = finding.status == FindingStatus.PENDING
    concerned = actor.person_id is not None and actor.person_id == finding.person_id
    may = {
        "statement": pending and concerned and finding.statement_at is None
        and (finding.statement_due is None or now <= finding.statement_due),
        "decide": pending and not concerned and actor.can(Action.FINDING_DECIDE)
        and queries.in_unit_scope(session, actor, finding.unit_id),
        "review": finding.status in (FindingStatus.CONFIRMED, FindingStatus.DISMISSED)
        and finding.reviewed_at is None and not concerned and actor.can(Action.FINDING_REVIEW),
        "attach": pending and not concerned and actor.can(Action.FINDING_RECORD)
        and queries.in_unit_scope(session, actor, finding.unit_id),
    }  # fmt: skip
    links = [
        (e, EVIDENCE_URLS[e["kind"]].format(e["id"]) if e.get("kind") in EVIDENCE_URLS else "")
        for e in shown.evidence
    ]
    context.setdefault("form", {})
    return render(request, "finding.html", auth, f=shown, may=may, concerned=concerned,
                  links=links, now=now, **LABELS, **context)  # fmt: skip


@router.get("/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(request: Request, finding_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    return _finding_page(request, auth, session, finding_id)


def _failed(
    request: Request, auth: Auth, session: Session, finding_id: int, exc: LawcamError,
    **form: str,
) -> Response:  # fmt: skip
    discard(session)
    return _finding_page(request, auth, session, finding_id, form=form, **form_error(exc))


@router.post("/findings/{finding_id}/statement", response_class=HTMLResponse)
def statement_submit(
    request: Request,
    finding_id: Id,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    text: Text = "",
    attachment: Files = [],  # noqa: B006
) -> Response:
    try:
        finding = queries.get_finding(session=session, actor=auth.actor, finding_id=finding_id)
        service.statement(session=session, actor=auth.actor, finding=finding, text=text)
        service.attach_all(session=session, actor=auth.actor, store=store, finding=finding,
                           attachments=_files(attachment, settings), role="statement")  # fmt: skip
    except LawcamError as exc:
        return _failed(request, auth, session, finding_id, exc, text=text)
    return flash_redirect(request, f"/findings/{finding_id}", "已提交陈述申辩。")


@router.post("/findings/{finding_id}/documents", response_class=HTMLResponse)
def documents_submit(
    request: Request,
    finding_id: Id,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    attachment: Files = [],  # noqa: B006
) -> Response:
    auth.actor.require(Action.FINDING_RECORD)
    try:
        finding = queries.get_finding(session=session, actor=auth.actor, finding_id=finding_id)
        files = _files(attachment, settings)
        if not files:
            raise InvalidInput("请选择要添加的材料。", field="attachment")
        service.attach_all(session=session, actor=auth.actor, store=store, finding=finding,
                           attachments=files, role="evidence")  # fmt: skip
    except LawcamError as exc:
        return _failed(request, auth, session, finding_id, exc)
    return flash_redirect(request, f"/findings/{finding_id}#documents", "已添加证据材料。")


@router.post("/findings/{finding_id}/decision", response_class=HTMLResponse)
def decision_submit(
    request: Request,
    finding_id: Id,
    auth: AuthDep,
    session: SessionDep,
    confirm: Annotated[str, Form(max_length=5)] = "",
    reason: Text = "",
    measure: Short = "",
) -> Response:
    auth.actor.require(Action.FINDING_DECIDE)
    form = {"reason": reason, "measure": measure}
    try:
        finding = queries.get_finding(session=session, actor=auth.actor, finding_id=finding_id)
        if confirm not in ("1", "0"):
            raise InvalidInput("请选择认定或不予认定。", field="confirm")
        decision = service.Decision(confirm=confirm == "1", reason=reason, measure=measure)
        service.decide(session=session, actor=auth.actor, finding=finding, decision=decision)
    except LawcamError as exc:
        return _failed(request, auth, session, finding_id, exc, **form)
    label = FindingStatus(finding.status).label
    return flash_redirect(request, f"/findings/{finding_id}", f"执法过错 #{finding_id}：{label}。")


@router.post("/findings/{finding_id}/review", response_class=HTMLResponse)
def review_submit(
    request: Request,
    finding_id: Id,
    auth: AuthDep,
    session: SessionDep,
    overturn: Annotated[str, Form(max_length=5)] = "",
    reason: Text = "",
) -> Response:
    auth.actor.require(Action.FINDING_REVIEW)
    try:
        finding = queries.get_finding(session=session, actor=auth.actor, finding_id=finding_id)
        if overturn not in ("1", "0"):
            raise InvalidInput("请选择维持或改变原决定。", field="overturn")
        service.review(session=session, actor=auth.actor, finding=finding,
                       overturn=overturn == "1", reason=reason)  # fmt: skip
    except LawcamError as exc:
        return _failed(request, auth, session, finding_id, exc, reason=reason)
    verdict = "改变原决定" if overturn == "1" else "维持原决定"
    return flash_redirect(request, f"/findings/{finding_id}", f"已复核：{verdict}。")
