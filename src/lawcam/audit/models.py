from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lawcam.db.base import Base, UTCDateTime


class AuditEvent(Base):
    """One audit entry. ``seq`` is dense from 0 in commit order, so that each row can become
    leaf ``seq`` of an RFC 9162 Merkle tree; ``entry`` holds the exact canonical JSON bytes
    (UTF-8) that the leaf hash will cover. Triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tag: Mapped[str] = mapped_column(String(80))
    actor_label: Mapped[str] = mapped_column(String(200))
    actor_source: Mapped[str] = mapped_column(String(20))
    actor_account_id: Mapped[int | None] = mapped_column(Integer)
    actor_person_id: Mapped[int | None] = mapped_column(Integer)
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    entry: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_audit_event_subject", "subject_type", "subject_id"),
        Index("ix_audit_event_tag", "tag"),
    )
