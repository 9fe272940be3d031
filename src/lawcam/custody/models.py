from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawcam.db.base import Base, UTCDateTime
from lawcam.equipment.models import Device
from lawcam.org.models import Person


class CustodyPeriod(Base):
    """One row of the ledger (台账, R9.2): a device with one officer from issue to return.
    A device is in stock when it has no open period; the database allows one open period per
    device, so two concurrent checkouts cannot both succeed."""

    __tablename__ = "custody_period"
    __table_args__ = (
        Index(
            "uq_custody_period_one_open",
            "device_id",
            unique=True,
            sqlite_where=text("returned_at IS NULL"),
            postgresql_where=text("returned_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(200))
    battery_pct: Mapped[int] = mapped_column(Integer)
    free_hours: Mapped[float] = mapped_column(Float)
    clock_offset_s: Mapped[float] = mapped_column(Float)
    check_failures: Mapped[list[str]] = mapped_column(JSON, default=list)
    override_reason: Mapped[str] = mapped_column(String(500), default="")
    handed_over_from_id: Mapped[int | None] = mapped_column(ForeignKey("custody_period.id"))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_to: Mapped[str | None] = mapped_column(String(200))
    condition: Mapped[str | None] = mapped_column(String(20))
    return_note: Mapped[str] = mapped_column(String(500), default="")

    device: Mapped[Device] = relationship()
    officer: Mapped[Person] = relationship()

    def snapshot(self) -> dict[str, object]:
        return {
            "device_id": self.device_id,
            "officer_id": self.officer_id,
            "issued_at": self.issued_at.isoformat(),
            "issued_by": self.issued_by,
            "battery_pct": self.battery_pct,
            "free_hours": self.free_hours,
            "clock_offset_s": self.clock_offset_s,
            "check_failures": list(self.check_failures),
            "override_reason": self.override_reason,
            "handed_over_from_id": self.handed_over_from_id,
            "returned_at": self.returned_at.isoformat() if self.returned_at else None,
            "returned_to": self.returned_to,
            "condition": self.condition,
        }
