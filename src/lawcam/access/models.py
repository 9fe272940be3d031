"""Access requests and their grants (第十五条). A request is decided once; an approved request
is a grant until it expires or is revoked; each viewing session is a row whose served ranges
are merged as they are served, and its start an audit entry."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawcam.db.base import Base, UTCDateTime


class AccessRequest(Base):
    __tablename__ = "access_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(10))
    scope: Mapped[str] = mapped_column(String(200))  # as asked: 资料 #…, 活动 #…, 案件 …
    purpose: Mapped[str] = mapped_column(String(1000))
    recipient: Mapped[str] = mapped_column(String(200), default="")
    recipient_org: Mapped[str] = mapped_column(String(200), default="")
    days: Mapped[int] = mapped_column(Integer)
    # The rule's answer, fixed when asked: who decides, for which unit's material.
    approver: Mapped[str] = mapped_column(String(20))
    approver_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(String(1000), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    revoked_by: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str] = mapped_column(String(1000), default="")
    # A review grant (第十三条): given by a conduct-review sample's draw, not asked for.
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("access_sample.id"), index=True)

    items: Mapped[list[AccessItem]] = relationship(order_by="AccessItem.recording_id")

    @property
    def recording_ids(self) -> list[int]:
        return [item.recording_id for item in self.items]


class AccessItem(Base):
    __tablename__ = "access_item"
    __table_args__ = (UniqueConstraint("request_id", "recording_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_request.id"), index=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id"), index=True)


class ViewSession(Base):
    """One viewer watching one recording under one grant: the ranges served, merged."""

    __tablename__ = "access_view"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_request.id"), index=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id"), index=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    bytes_served: Mapped[int] = mapped_column(BigInteger, default=0)
    ranges: Mapped[list[list[int]]] = mapped_column(JSON, default=list)


class Sample(Base):
    """A conduct-review sample (第十三条, R13.1): the filters, the population as it stood at the
    draw (its size and the digest of its ids in order), the seed and the size, so that anyone can
    draw it again and get the same recordings; the reviewer's view grant is the access request
    whose ``sample_id`` is this one."""

    __tablename__ = "access_sample"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    drawn_by: Mapped[str] = mapped_column(String(200))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    # The units the population was drawn from (the unit and those below it, or a head's scope).
    units: Mapped[list[int] | None] = mapped_column(JSON)
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    kind: Mapped[str | None] = mapped_column(String(30))  # an activity kind, or any
    population: Mapped[int] = mapped_column(Integer)
    population_sha256: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)

    items: Mapped[list[SampleItem]] = relationship(order_by="SampleItem.position")


class SampleItem(Base):
    """One sampled recording and the reviewer's result: 规范, or 不规范 with a reason."""

    __tablename__ = "access_sample_item"
    __table_args__ = (UniqueConstraint("sample_id", "recording_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("access_sample.id"), index=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # the order random.sample gave
    result: Mapped[str | None] = mapped_column(String(20), index=True)
    reason: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(String(1000), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    recorded_by: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
