"""The review of a finding (第十八条): 待核实 → the person concerned may make a statement (陈述申辩)
until it is due → the unit head decides 认定 (with the accountability measure) or 不予认定, with
reasons → engineering supervision may review once and overturn. Nobody decides or reviews a
finding about themselves; a decision waits for the statement or its deadline. Manual findings
((二), (六)) are recorded by a unit head or engineering supervision; what verify finds is recorded
as tampering or missing originals, routed to the security administrator and the auditor."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.integrity import IntegrityProblem
from lawcam.audit.service import record
from lawcam.authz import Action, Actor
from lawcam.compliance import notices, queries
from lawcam.compliance.checks import Candidate, Limits
from lawcam.compliance.models import Finding, FindingDocument
from lawcam.compliance.sweep import SweepReport, store, sweep
from lawcam.compliance.types import FindingEvent, FindingStatus, Rule
from lawcam.config import Settings
from lawcam.documents.models import Document
from lawcam.documents.service import file_document
from lawcam.documents.types import Purpose, sniff
from lawcam.errors import Conflict, Forbidden, InvalidInput, NotFound, required_text
from lawcam.evidence.models import Recording
from lawcam.org.models import Person
from lawcam.storage import BlobStore
from lawcam.timeutil import local, utcnow

# What verify names that means an original is gone or corrupt (第十八条第（五）项); the rest of
# its problems are alterations of records (第（四）项).
MISSING_KINDS = frozenset(
    {
        "object_missing",
        "object_altered",
        "object_sm3_differs",
        "object_size_differs",
        "object_unreadable",
    }
)


def run_sweep(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
) -> SweepReport:
    """A sweep with the office's settings (``findings sweep``, the schedule while serving)."""
    limits = Limits(
        now=utcnow(),
        explain_days=settings.findings_explain_days,
        denied_repeats=settings.findings_denied_repeats,
        denied_hours=settings.findings_denied_hours,
    )
    return sweep(
        session=session, actor=actor, limits=limits,
        statement_days=settings.findings_statement_days, progress=progress,
    )  # fmt: skip


def statement(*, session: Session, actor: Actor, finding: Finding, text: str) -> None:
    """陈述申辩: only the person concerned, only before the decision and the deadline."""
    _lock(session, finding)
    if actor.person_id is None or actor.person_id != finding.person_id:
        raise Forbidden("只有当事人本人可以陈述申辩。", action="finding:statement")
    said = required_text(text, "陈述申辩的内容", 4000)
    _pending(finding, "陈述申辩")
    if finding.statement_due is not None and utcnow() > finding.statement_due:
        raise Conflict(
            f"陈述申辩期限已于 {local(finding.statement_due)} 届满。", code="statement_late"
        )
    if finding.statement_at is not None:
        raise Conflict("已提交过陈述申辩，不能重复提交。", code="statement_given")
    before = finding.snapshot()
    finding.statement, finding.statement_at = said, utcnow()
    _audited(session, actor, FindingEvent.STATEMENT, finding, before)
    notices.statement_made(session, actor, finding)


@dataclass(frozen=True)
class Decision:
    confirm: bool
    reason: str
    measure: str = ""  # 问责措施, required when confirmed


def decide(*, session: Session, actor: Actor, finding: Finding, decision: Decision) -> None:
    actor.require(Action.FINDING_DECIDE)
    why = required_text(decision.reason, "决定理由", 2000)
    _lock(session, finding)
    _not_about_self(actor, finding, "决定")
    _pending(finding, "作出决定")
    if not queries.in_unit_scope(session, actor, finding.unit_id):
        raise Forbidden(
            "只能对本单位（或下级单位）的执法过错作出决定。", action=str(Action.FINDING_DECIDE)
        )
    _heard(finding)
    measure = decision.measure.strip()
    if decision.confirm and not measure:
        raise InvalidInput("认定执法过错须写明问责措施。", field="measure")
    before = finding.snapshot()
    finding.status = str(FindingStatus.CONFIRMED if decision.confirm else FindingStatus.DISMISSED)
    finding.decision = finding.status
    finding.decided_by, finding.decided_by_id, finding.decided_at = (
        actor.label,
        actor.person_id,
        utcnow(),
    )
    finding.decision_reason, finding.measure = why, measure[:500] if decision.confirm else ""
    _audited(session, actor, FindingEvent.DECIDED, finding, before)
    notices.decided(session, actor, finding)


def review(
    *, session: Session, actor: Actor, finding: Finding, overturn: bool, reason: str
) -> None:
    """Engineering supervision reviews a decision once: upheld, or overturned with reasons."""
    actor.require(Action.FINDING_REVIEW)
    why = required_text(reason, "复核意见", 2000)
    _lock(session, finding)
    _not_about_self(actor, finding, "复核")
    if finding.status not in (FindingStatus.CONFIRMED, FindingStatus.DISMISSED):
        raise Conflict(
            f"该执法过错{FindingStatus(finding.status).label}，不能复核。", code="not_decided"
        )
    if finding.reviewed_at is not None:
        raise Conflict("该决定已复核过。", code="reviewed")
    before = finding.snapshot()
    finding.reviewed_by, finding.reviewed_by_id, finding.reviewed_at = (
        actor.label,
        actor.person_id,
        utcnow(),
    )
    finding.review_reason = why
    if overturn:
        finding.status = str(FindingStatus.OVERTURNED)
    _audited(session, actor, FindingEvent.REVIEWED, finding, before)
    notices.reviewed(session, actor, finding)


@dataclass(frozen=True)
class ManualFinding:
    person_id: int
    clause: str  # "二" or "六"
    summary: str


def record_manual(
    *, session: Session, actor: Actor, data: ManualFinding, statement_days: int
) -> Finding:
    """(二), (六): recorded by a unit head (their units' people) or engineering supervision."""
    actor.require(Action.FINDING_RECORD)
    said = required_text(data.summary, "过错事实", 1000)
    if data.clause not in ("二", "六"):
        raise InvalidInput("人工登记只适用于第十八条第（二）项或第（六）项。", field="clause")
    person = session.get(Person, data.person_id)
    if person is None or not queries.in_unit_scope(session, actor, person.unit_id):
        raise NotFound("该人员不存在，或不在您的管辖范围内。")
    if person.id == actor.person_id:
        raise Forbidden("不能登记关于本人的执法过错。", action=str(Action.FINDING_RECORD))
    now = utcnow()
    finding = Finding(
        key=f"{Rule.MANUAL}:manual:{now.timestamp():.6f}:person:{person.id}", rule=str(Rule.MANUAL),
        article=f"第十八条第（{data.clause}）项", severity=str(Rule.MANUAL.info.severity),
        person_id=person.id, unit_id=person.unit_id, subject_type="person", subject_id=str(person.id),
        summary=said, evidence=[], status=str(FindingStatus.PENDING), found_at=now,
        found_by=actor.label, statement_due=now + timedelta(days=statement_days),
    )  # fmt: skip
    session.add(finding)
    session.flush()
    record(session, actor, FindingEvent.RECORDED, ("finding", finding.id), after=finding.snapshot())
    notices.new_findings(session, actor, [finding])
    return finding


def record_verified(
    *, session: Session, actor: Actor, problems: Iterable[IntegrityProblem]
) -> list[Finding]:
    """What a verify run found, each problem a finding of its own (persisted, never cut to a
    summary), once per problem and subject; stored together, so the security staff get one
    notice for the run."""
    new: dict[str, Candidate] = {}
    for problem in problems:
        rule = Rule.OBJECT_MISSING if problem.kind in MISSING_KINDS else Rule.TAMPERING
        candidate = Candidate(
            rule, "verify", f"{problem.kind}:{problem.subject}"[:100],
            f"校验发现：{problem.kind}（{problem.subject}）{problem.detail}",
            None, _unit_of(session, problem.subject),
            [{"kind": "verify", "id": problem.subject, "label": problem.detail[:300]}],
        )  # fmt: skip
        if session.scalar(select(Finding.id).where(Finding.key == candidate.key)) is None:
            new.setdefault(candidate.key, candidate)
    return store(session, actor, list(new.values()), timedelta(0))


@dataclass(frozen=True)
class Attachment:
    """A document as it arrives (a PDF or an image: a complaint, a petition, a media report, a
    statement's scan), with the settings that bound it."""

    stream: BinaryIO
    name: str
    settings: Settings


ROLES = {"evidence": Purpose.FINDING_EVIDENCE, "statement": Purpose.FINDING_STATEMENT}


def attach(
    *,
    session: Session,
    actor: Actor,
    store: BlobStore,
    finding: Finding,
    attachment: Attachment,
    role: str,
) -> Document:
    """Filed write-once with its digests (``lawcam.documents``; wrong kind or size refused with
    its messages) and linked to the finding. ``evidence``: by whoever may record findings about
    the person (a unit head, engineering supervision), while the finding is not decided;
    ``statement``: by the person concerned, while a statement may still be made (call it after
    ``statement`` in the same transaction). Nothing is linked when the document is refused."""
    if role not in ROLES:
        raise InvalidInput("附件用途只能是证据材料或陈述申辩材料。", field="role")
    if role == "statement":
        if actor.person_id is None or actor.person_id != finding.person_id:
            raise Forbidden("只有当事人本人可以提交陈述申辩材料。", action="finding:statement")
        if finding.statement_due is not None and utcnow() > finding.statement_due:
            raise Conflict(
                f"陈述申辩期限已于 {local(finding.statement_due)} 届满。", code="statement_late"
            )
    else:
        actor.require(Action.FINDING_RECORD)
        _not_about_self(actor, finding, "登记")
        if not queries.in_unit_scope(session, actor, finding.unit_id):
            raise NotFound("执法过错记录不存在，或不在您的管辖范围内。")
    _pending(finding, "添加材料")
    unit_id = finding.unit_id if finding.unit_id is not None else actor.unit_id
    if unit_id is None:
        raise InvalidInput("该执法过错不属于任何单位，不能添加材料。", field="attachment")
    document = file_document(
        session=session, actor=actor, store=store, settings=attachment.settings,
        stream=attachment.stream, name=attachment.name, purpose=ROLES[role], unit_id=unit_id,
    )  # fmt: skip
    session.add(FindingDocument(finding_id=finding.id, document_id=document.id, role=role))
    session.flush()
    return document


def attach_all(
    *,
    session: Session,
    actor: Actor,
    store: BlobStore,
    finding: Finding,
    attachments: Iterable[Attachment],
    role: str,
) -> list[Document]:
    """Several documents, all filed or none: each read (bounded) first, and any the documents'
    rules refuse (kind, size, empty) filed first, so that it is refused before the bytes of
    the others reach the write-once store (where they would stay, named by verify)."""
    loaded = []
    for attachment in attachments:
        limit = attachment.settings.document_max_bytes
        data = attachment.stream.read(limit + 1)
        fine = 0 < len(data) <= limit and sniff(data[:16]) is not None
        loaded.append((fine, Attachment(io.BytesIO(data), attachment.name, attachment.settings)))
    loaded.sort(key=lambda pair: pair[0])  # the refused first; the others keep their order
    return [
        attach(session=session, actor=actor, store=store, finding=finding,
               attachment=attachment, role=role)
        for _, attachment in loaded
    ]  # fmt: skip


def _unit_of(session: Session, subject: str) -> int | None:
    kind, _, ident = subject.partition(":")
    if kind == "recording" and ident.isdigit():
        return session.scalar(select(Recording.unit_id).where(Recording.id == int(ident)))
    return None


def _heard(finding: Finding) -> None:
    """The person concerned is heard first: a statement made, or its deadline passed."""
    if (
        finding.statement_at is None
        and finding.statement_due is not None
        and utcnow() <= finding.statement_due
    ):
        raise Conflict(
            f"当事人陈述申辩期限至 {local(finding.statement_due)}，期间未提交陈述前不能作出决定。",
            code="not_heard",
        )


def _not_about_self(actor: Actor, finding: Finding, what: str) -> None:
    if actor.person_id is not None and actor.person_id == finding.person_id:
        raise Forbidden(f"不能对关于本人的执法过错作出{what}。", action=f"finding:{what}")


def _pending(finding: Finding, what: str) -> None:
    if finding.status != FindingStatus.PENDING:
        raise Conflict(
            f"该执法过错{FindingStatus(finding.status).label}，不能再{what}。", code="decided"
        )


def _lock(session: Session, finding: Finding) -> None:
    session.refresh(finding, with_for_update=True)


def _audited(
    session: Session, actor: Actor, tag: FindingEvent, finding: Finding, before: dict[str, object]
) -> None:
    record(session, actor, tag, ("finding", finding.id), before=before, after=finding.snapshot())
