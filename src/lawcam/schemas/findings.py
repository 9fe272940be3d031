"""API shapes for findings (第十八条; DESIGN's wave-2 contract): a finding as ``findings sweep
--json`` lists it (exactly its seven keys), a finding in full with its review and documents,
and the review's requests. The CLI prints the same shapes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.compliance.models import Finding
from lawcam.compliance.types import FindingStatus, Rule, Severity
from lawcam.documents.models import Document
from lawcam.documents.types import MEDIA_LABELS
from lawcam.org.models import Person
from lawcam.schemas.common import In


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment else None


def people_of(session: Session, findings: list[Finding]) -> dict[int, Person]:
    """The people the findings concern, in one query."""
    ids = {f.person_id for f in findings if f.person_id is not None}
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}


class FindingBrief(BaseModel):
    """One finding as ``findings sweep --json`` lists it (the contract: these keys, no more)."""

    id: int
    rule: Rule
    article: str
    person: str | None  # the badge of the person concerned; None when nobody is named yet
    subject: str  # "activity:12", "recording:7", "person:3", …
    evidence: list[dict[str, Any]]
    status: FindingStatus

    @classmethod
    def of(cls, finding: Finding, people: dict[int, Person]) -> FindingBrief:
        person = people.get(finding.person_id) if finding.person_id is not None else None
        return cls(
            id=finding.id,
            rule=Rule(finding.rule),
            article=finding.article,
            person=person.badge if person is not None else None,
            subject=f"{finding.subject_type}:{finding.subject_id}",
            evidence=list(finding.evidence or []),
            status=FindingStatus(finding.status),
        )


class SweepOut(BaseModel):
    new: int
    findings: list[FindingBrief]


class FindingDocumentOut(BaseModel):
    id: int
    role: str  # evidence | statement
    role_label: str
    name: str
    media_type: str
    media_label: str
    size: int
    sha256: str
    sm3: str
    filed_by: str
    filed_at: datetime
    content_url: str  # seen by whoever sees the finding

    @classmethod
    def of(cls, finding_id: int, document: Document, role: str) -> FindingDocumentOut:
        return cls(
            id=document.id,
            role=role,
            role_label="陈述申辩材料" if role == "statement" else "证据材料",
            name=document.original_name,
            media_type=document.media_type,
            media_label=MEDIA_LABELS.get(document.media_type, document.media_type),
            size=document.size,
            sha256=document.sha256,
            sm3=document.sm3,
            filed_by=document.filed_by,
            filed_at=document.filed_at.astimezone(UTC),
            content_url=f"/api/v1/findings/{finding_id}/documents/{document.id}/content",
        )


class FindingOut(FindingBrief):
    """A finding in full: the contract's keys and the rest of its facts and review."""

    rule_label: str
    rid: str
    severity: Severity
    severity_label: str
    status_label: str
    person_id: int | None
    person_name: str
    unit_id: int | None
    summary: str
    found_at: datetime
    found_by: str
    cured_at: datetime | None
    statement_due: datetime | None
    statement: str
    statement_at: datetime | None
    decided_by: str
    decided_at: datetime | None
    decision_reason: str
    measure: str
    reviewed_by: str
    reviewed_at: datetime | None
    review_reason: str
    documents: list[FindingDocumentOut] = []

    @classmethod
    def full(
        cls,
        finding: Finding,
        people: dict[int, Person],
        documents: Sequence[tuple[Document, str]] = (),
    ) -> FindingOut:
        brief = FindingBrief.of(finding, people)
        rule, status = Rule(finding.rule), FindingStatus(finding.status)
        person = people.get(finding.person_id) if finding.person_id is not None else None
        return cls(
            **brief.model_dump(),
            rule_label=rule.label,
            rid=rule.info.rid,
            severity=Severity(finding.severity),
            severity_label=Severity(finding.severity).label,
            status_label=status.label,
            person_id=finding.person_id,
            person_name=person.name if person is not None else "",
            unit_id=finding.unit_id,
            summary=finding.summary,
            found_at=finding.found_at.astimezone(UTC),
            found_by=finding.found_by,
            cured_at=_utc(finding.cured_at),
            statement_due=_utc(finding.statement_due),
            statement=finding.statement,
            statement_at=_utc(finding.statement_at),
            decided_by=finding.decided_by,
            decided_at=_utc(finding.decided_at),
            decision_reason=finding.decision_reason,
            measure=finding.measure,
            reviewed_by=finding.reviewed_by,
            reviewed_at=_utc(finding.reviewed_at),
            review_reason=finding.review_reason,
            documents=[FindingDocumentOut.of(finding.id, d, role) for d, role in documents],
        )


class FindingDecisionIn(In):
    confirm: bool = Field(description="认定（true）或不予认定（false）")
    reason: str = Field(max_length=2000, description="理由")
    measure: str = Field(default="", max_length=500, description="问责措施（认定时必填）")


class FindingReviewIn(In):
    overturn: bool = Field(description="改变原决定（true）或维持（false）")
    reason: str = Field(max_length=2000, description="复核意见")
