from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawcam.custody.types import reason_label
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
        # The ledger pages in issue order and bounds a month by the return (migration 0019).
        Index("ix_custody_period_issued", "issued_at", "id"),
        Index("ix_custody_period_returned", "returned_at"),
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

    @property
    def reason_label(self) -> str:
        """超限理由 or 例外理由: what the administrator's reason answered (custody.types)."""
        return reason_label(self.check_failures)

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


class FaultReport(Base):
    """R16.1: a fault reported at once, registered, the unit head informed, repaired centrally."""

    __tablename__ = "fault_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    description: Mapped[str] = mapped_column(String(1000))
    reported_by: Mapped[str] = mapped_column(String(200))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    registered_by: Mapped[str | None] = mapped_column(String(200))
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    device: Mapped[Device] = relationship()


class RepairOrder(Base):
    """A repair sent to the central repair (the ICT support department)."""

    __tablename__ = "repair_order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fault_id: Mapped[int] = mapped_column(ForeignKey("fault_report.id"), index=True)
    ordered_by: Mapped[str] = mapped_column(String(200))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    diagnosis: Mapped[str] = mapped_column(String(1000), default="")
    outcome: Mapped[str | None] = mapped_column(String(20))
    completed_by: Mapped[str | None] = mapped_column(String(200))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    fault: Mapped[FaultReport] = relationship()


class LossCase(Base):
    """R17.1: a loss or damage names the custodian; at fault, the purchase price is owed."""

    __tablename__ = "loss_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    custodian_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(1000))
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cause: Mapped[str | None] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(1000), default="")
    compensation: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    device: Mapped[Device] = relationship()
    custodian: Mapped[Person | None] = relationship()


class Notification(Base):
    """An in-system notice (the unit head's inbox, R16.1)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    text: Mapped[str] = mapped_column(String(1000))
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
