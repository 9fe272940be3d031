from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawcam.db.base import Base, UTCDateTime
from lawcam.documents.models import Document
from lawcam.evidence.models import Recording, columns_of
from lawcam.org.models import Person, Unit


class Activity(Base):
    """One on-site enforcement activity (第十条: recorded from arrival until the work ends).
    The coverage columns are kept current by the service whenever a link or the activity
    changes, so that lists and findings read them instead of recomputing."""

    __tablename__ = "activity"
    # The compliance dashboards' monthly rates, per unit and across units (migration 0015).
    __table_args__ = (
        Index(
            "ix_activity_unit_month",
            "unit_id",
            "arrived_at",
            "coverage",
            "no_recording",
            "late_uploads",
        ),
        Index(
            "ix_activity_month_unit",
            "arrived_at",
            "unit_id",
            "coverage",
            "no_recording",
            "late_uploads",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    place: Mapped[str] = mapped_column(String(500))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id"))
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    announced: Mapped[bool | None] = mapped_column(Boolean)  # 第十二条; None: not stated
    obstructed: Mapped[bool] = mapped_column(Boolean, default=False)
    obstruction_note: Mapped[str] = mapped_column(String(1000), default="")
    case_number: Mapped[str] = mapped_column(String(100), default="")
    # The same activity entered twice (an Excel list imported again) has the same key.
    entry_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    coverage: Mapped[float] = mapped_column(Float, default=0.0)
    no_recording: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    unexplained: Mapped[int] = mapped_column(Integer, default=0, index=True)
    upload_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    late_uploads: Mapped[int] = mapped_column(Integer, default=0, index=True)

    unit: Mapped[Unit] = relationship()
    officers: Mapped[list[ActivityOfficer]] = relationship(
        back_populates="activity", order_by="ActivityOfficer.id"
    )

    @property
    def officer_ids(self) -> list[int]:
        return [o.person_id for o in self.officers]

    def snapshot(self) -> dict[str, object]:
        """Every column and the officers, as the audit entry that saw it records it."""
        return {**columns_of(self), "officers": self.officer_ids}


class ActivityOfficer(Base):
    __tablename__ = "activity_officer"
    __table_args__ = (UniqueConstraint("activity_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)

    activity: Mapped[Activity] = relationship(back_populates="officers")
    person: Mapped[Person] = relationship()


class ActivityLink(Base):
    """A recording made during an activity: found by time and officer (auto) or attached by a
    person with a reason (manual). A manual detach stays as a row, so that the automatic
    linking does not bring the recording back."""

    __tablename__ = "activity_link"
    __table_args__ = (UniqueConstraint("activity_id", "recording_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), index=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id"), index=True)
    how: Mapped[str] = mapped_column(String(10))  # auto | manual
    reason: Mapped[str] = mapped_column(String(500), default="")
    linked_by: Mapped[str] = mapped_column(String(200))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detached_by: Mapped[str] = mapped_column(String(200), default="")
    detach_reason: Mapped[str] = mapped_column(String(500), default="")
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # docked after the deadline

    recording: Mapped[Recording] = relationship()

    def snapshot(self) -> dict[str, object]:
        return columns_of(self)


class Interruption(Base):
    """A stretch of an activity no recording covers (第十条), numbered within the activity. A
    recomputation that no longer finds it marks it not current; its explanation stays."""

    __tablename__ = "activity_interruption"
    __table_args__ = (UniqueConstraint("activity_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    explanation: Mapped[str | None] = mapped_column(String(10))  # voice | written
    voice_recording_id: Mapped[int | None] = mapped_column(ForeignKey("recording.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))  # a report's scan
    # Loaded when read (a pages' few interruptions); none is loaded while coverage is computed.
    document: Mapped[Document | None] = relationship()
    cause: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(2000), default="")
    explained_by: Mapped[str] = mapped_column(String(200), default="")
    explained_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str] = mapped_column(String(200), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def seconds(self) -> float:
        return (self.end_at - self.start_at).total_seconds()

    def snapshot(self) -> dict[str, object]:
        return columns_of(self)
