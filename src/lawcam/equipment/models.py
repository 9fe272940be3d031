from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawcam.db.base import Base, UTCDateTime
from lawcam.org.models import Unit, Zone

MONEY = Numeric(14, 2)


class DeviceModel(Base):
    """A make and model with its specs (R7.1) and its quality status (R4.1)."""

    __tablename__ = "device_model"
    __table_args__ = (UniqueConstraint("model"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    maker: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(30))
    video_width: Mapped[int | None] = mapped_column(Integer)
    video_height: Mapped[int | None] = mapped_column(Integer)
    photo_mp: Mapped[float | None] = mapped_column(Float)
    battery_mah: Mapped[int | None] = mapped_column(Integer)
    record_hours: Mapped[float | None] = mapped_column(Float)
    storage_gb: Mapped[int | None] = mapped_column(Integer)
    ip_rating: Mapped[str | None] = mapped_column(String(10))
    features: Mapped[list[str]] = mapped_column(JSON, default=list)
    quality_status: Mapped[str] = mapped_column(String(20), default="approved")
    quality_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def snapshot(self) -> dict[str, object]:
        return {
            "maker": self.maker,
            "model": self.model,
            "category": self.category,
            "video": f"{self.video_width}x{self.video_height}" if self.video_width else None,
            "photo_mp": self.photo_mp,
            "battery_mah": self.battery_mah,
            "record_hours": self.record_hours,
            "storage_gb": self.storage_gb,
            "ip_rating": self.ip_rating,
            "features": sorted(self.features or []),
            "quality": self.quality_status,
            "quality_reason": self.quality_reason,
        }


class ThresholdSet(Base):
    """Spec thresholds; each change adds a row, the newest is in force (history kept)."""

    __tablename__ = "threshold_set"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    video_width: Mapped[int] = mapped_column(Integer)
    video_height: Mapped[int] = mapped_column(Integer)
    photo_mp: Mapped[float] = mapped_column(Float)
    battery_mah: Mapped[int] = mapped_column(Integer)
    record_hours: Mapped[float] = mapped_column(Float)
    storage_gb: Mapped[int] = mapped_column(Integer)
    ip_rating: Mapped[str] = mapped_column(String(10))
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UnitNeed(Base):
    """A special need a unit declared (R7.2): its devices must have the feature."""

    __tablename__ = "unit_need"
    __table_args__ = (UniqueConstraint("unit_id", "feature"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    feature: Mapped[str] = mapped_column(String(30))
    declared_by: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Budget(Base):
    """A unit's equipment budget for a year (R8.1)."""

    __tablename__ = "budget"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    note: Mapped[str] = mapped_column(String(500), default="")

    unit: Mapped[Unit] = relationship()


class Procurement(Base):
    """A purchase (R8.1), approved by the finance division; over budget only with a reason."""

    __tablename__ = "procurement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    purchased_on: Mapped[date] = mapped_column(Date)
    supplier: Mapped[str] = mapped_column(String(200))
    model_id: Mapped[int] = mapped_column(ForeignKey("device_model.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    note: Mapped[str] = mapped_column(String(500), default="")
    overrun_reason: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[str] = mapped_column(String(200))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
    model: Mapped[DeviceModel] = relationship()

    def snapshot(self) -> dict[str, object]:
        return {
            "unit_id": self.unit_id,
            "year": self.year,
            "purchased_on": str(self.purchased_on),
            "supplier": self.supplier,
            "model_id": self.model_id,
            "quantity": self.quantity,
            "unit_price": str(self.unit_price),
            "total": str(self.total),
            "status": self.status,
            "overrun_reason": self.overrun_reason,
        }


class Device(Base):
    """One piece of equipment. Never deleted: scrapped or lost devices keep their history."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    asset_no: Mapped[str] = mapped_column(String(64), unique=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("device_model.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id"))
    status: Mapped[str] = mapped_column(String(20))
    status_since: Mapped[datetime] = mapped_column(UTCDateTime)
    commissioned_on: Mapped[date | None] = mapped_column(Date)
    firmware: Mapped[str] = mapped_column(String(100), default="")
    purchase_price: Mapped[Decimal] = mapped_column(MONEY)
    procurement_id: Mapped[int | None] = mapped_column(ForeignKey("procurement.id"))
    need: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    model: Mapped[DeviceModel] = relationship()
    unit: Mapped[Unit] = relationship()
    zone: Mapped[Zone | None] = relationship()
    procurement: Mapped[Procurement | None] = relationship()

    def snapshot(self) -> dict[str, object]:
        return {
            "serial": self.serial,
            "asset_no": self.asset_no,
            "model_id": self.model_id,
            "unit_id": self.unit_id,
            "zone_id": self.zone_id,
            "status": self.status,
            "commissioned_on": str(self.commissioned_on) if self.commissioned_on else None,
            "firmware": self.firmware,
            "purchase_price": str(self.purchase_price),
            "procurement_id": self.procurement_id,
            "need": self.need,
        }
