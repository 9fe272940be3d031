"""A filed document: written once, never updated or deleted (the database refuses it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lawcam.db.base import Base, UTCDateTime


class Document(Base):
    __tablename__ = "document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Not unique: the same scan filed twice is two filings, each audited; the store keeps
    # one object for both.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    sm3: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(50))
    original_name: Mapped[str] = mapped_column(String(255))
    purpose: Mapped[str] = mapped_column(String(30))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    filed_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    filed_by: Mapped[str] = mapped_column(String(200))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retain_until: Mapped[date] = mapped_column(Date)
