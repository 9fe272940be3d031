"""Penalty cases and what links to them, legal holds, the effective retention kept for reports,
disposal batches and the tombstone each disposal leaves.

A case is a row that changes (its dates, its status), each change audited; a link or a hold is
never deleted: ending one fills in who asked, who approved and when, so the history stays. The
disposition (the tombstone) is written once and never changed (database triggers refuse it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawcam.db.base import Base, UTCDateTime, columns_of
from lawcam.org.models import Unit


class PenaltyCase(Base):
    """An administrative penalty case (行政处罚案件) as its case file knows it."""

    __tablename__ = "penalty_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(100), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    parties: Mapped[str] = mapped_column(String(1000), default="")
    opened_on: Mapped[date] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    archived_on: Mapped[date | None] = mapped_column(Date)
    # A key of Settings.case_terms: the case file's retention term (永久 / 30 年 / 10 年).
    term: Mapped[str] = mapped_column(String(20))
    # The term's years as chosen (0: 永久), kept on the case: the configured list may change.
    term_years: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
    links: Mapped[list[CaseLink]] = relationship(back_populates="case", order_by="CaseLink.id")

    def snapshot(self) -> dict[str, object]:
        return columns_of(self)


class CaseLink(Base):
    """A recording or an activity (and so every recording of it) serving a case. Unlinking,
    allowed only before the case is archived, is asked with a reason and approved by the
    unit head; the row stays with both."""

    __tablename__ = "case_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("penalty_case.id"), index=True)
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recording.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"), index=True)
    reason: Mapped[str] = mapped_column(String(1000))
    linked_by: Mapped[str] = mapped_column(String(200))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unlink_reason: Mapped[str] = mapped_column(String(1000), default="")
    unlink_requested_by: Mapped[str] = mapped_column(String(200), default="")
    unlink_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    unlink_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unlinked_by: Mapped[str] = mapped_column(String(200), default="")
    unlinked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    case: Mapped[PenaltyCase] = relationship(back_populates="links")

    def snapshot(self) -> dict[str, object]:
        return columns_of(self)


class LegalHold(Base):
    """保全: a recording kept beyond any date, placed with a reason; released only when asked
    with a reason and approved by another authorised person."""

    __tablename__ = "legal_hold"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    reason: Mapped[str] = mapped_column(String(1000))
    placed_by: Mapped[str] = mapped_column(String(200))
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    release_reason: Mapped[str] = mapped_column(String(1000), default="")
    release_requested_by: Mapped[str] = mapped_column(String(200), default="")
    release_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    release_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by: Mapped[str] = mapped_column(String(200), default="")
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    def snapshot(self) -> dict[str, object]:
        return columns_of(self)


class RetentionState(Base):
    """The effective retention of a recording whose retention is more than its ingest promise
    (an extension, a case, a hold), kept for the reports and the disposal list. Derived: it can
    always be recomputed from the promise, the extensions, the links and the holds, and the
    disposal re-derives it for every recording before anything is removed."""

    __tablename__ = "retention_state"

    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    retain_until: Mapped[date] = mapped_column(Date, index=True)  # the dated part
    # Kept beyond any date: an open or unarchived case, a 永久 case, a legal hold.
    indefinite: Mapped[bool] = mapped_column(Boolean, index=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The recording's ingest promise (``Recording.retain_until``, never changed after ingest),
    # copied so that the recomputation need not read the wide recording table (migration 0016).
    # NULL: kept before 0016 and not settled since; the recomputation then reads the recording.
    promise: Mapped[date | None] = mapped_column(Date)


class DisposalBatch(Base):
    """Recordings past their retention, proposed for disposal by the unit's device
    administrator, approved by the unit head and then by engineering supervision, run by
    hand. Nothing is ever disposed of automatically."""

    __tablename__ = "disposal_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    reason: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(15), index=True)
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    head_by: Mapped[str] = mapped_column(String(200), default="")
    head_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    head_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supervision_by: Mapped[str] = mapped_column(String(200), default="")
    supervision_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    supervision_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_by: Mapped[str] = mapped_column(String(200), default="")
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str] = mapped_column(String(1000), default="")
    run_by: Mapped[str] = mapped_column(String(200), default="")
    run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
    items: Mapped[list[DisposalItem]] = relationship(order_by="DisposalItem.recording_id")

    def snapshot(self) -> dict[str, object]:
        return columns_of(self)


class DisposalItem(Base):
    __tablename__ = "disposal_item"
    __table_args__ = (UniqueConstraint("batch_id", "recording_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("disposal_batch.id"), index=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id"), index=True)
    retain_until: Mapped[date] = mapped_column(Date)  # as it stood when proposed
    # Set when the batch runs: disposed, or why this one was kept (held since, store refused).
    outcome: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
