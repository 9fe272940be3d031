"""A finding: one rule broken by one person (or, for what verify finds, by nobody yet named)
about one subject, with the evidence, and its review. Found once (its ``key`` is the rule and
the subject, so sweeps never duplicate); never deleted: a cause cured before review is marked
cured; every step of the review is a column filled in and an audit entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lawcam.db.base import Base, UTCDateTime, columns_of


class Finding(Base):
    __tablename__ = "finding"
    # An incremental sweep reads the findings about the subjects that changed (migration 0014);
    # the auditor's board, the open findings of the tampering rules, newest first (0017).
    __table_args__ = (
        Index("ix_finding_subject", "subject_type", "subject_id"),
        Index("ix_finding_rule_status", "rule", "status", "found_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    rule: Mapped[str] = mapped_column(String(30), index=True)
    article: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(String(1000))
    # [{"kind": "activity"|"recording"|"audit"|"document"|"sample"|..., "id": …, "label": …}]
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), index=True)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    found_by: Mapped[str] = mapped_column(String(200))
    cured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    statement_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    statement: Mapped[str] = mapped_column(String(4000), default="")
    statement_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[str] = mapped_column(String(12), default="")  # confirmed | dismissed
    decision_reason: Mapped[str] = mapped_column(String(2000), default="")
    measure: Mapped[str] = mapped_column(String(500), default="")  # 问责措施 when confirmed
    reviewed_by: Mapped[str] = mapped_column(String(200), default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_reason: Mapped[str] = mapped_column(String(2000), default="")

    def snapshot(self) -> dict[str, object]:
        return columns_of(self)


class FindingDocument(Base):
    """A document attached to a finding (a complaint, a petition, a media report; a statement's
    scan): the document itself is filed write-once with its digests (``lawcam.documents``)."""

    __tablename__ = "finding_document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("finding.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # evidence | statement
