"""Recordings and what happens around them. A recording row is written once and never updated
or deleted (database triggers refuse it, R15.1); corrections are rows beside it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawcam.db.base import Base, UTCDateTime
from lawcam.db.base import columns_of as columns_of
from lawcam.db.base import json_value as json_value
from lawcam.equipment.models import Device
from lawcam.org.models import Person, Unit


class IngestRun(Base):
    """One ``lawcam ingest`` (or one remote upload): where the files came from and who docked."""

    __tablename__ = "ingest_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    workstation: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(1000))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(200))
    # R11.2: the device clock read at docking, and its offset from the workstation clock.
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_offset_s: Mapped[float | None] = mapped_column(Float)
    # The officer named at docking, for recordings made outside any custody period.
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class Recording(Base):
    """One original file, stored once under its SHA-256 (R14.1, R14.2)."""

    __tablename__ = "recording"
    # Lists read a unit's, an officer's or a device's recordings newest first from an index
    # (evidence.queries); the ledger finds a period's recordings by the device and the start,
    # or the corrected start when there is one (evidence.queries.recorded_in). Migration 0019.
    # The disposal dry run reads a unit's recordings past their date (retention.disposal). 0020.
    __table_args__ = (
        Index("ix_recording_unit_start", "unit_id", "start_at", "id"),
        Index("ix_recording_officer_start", "officer_id", "start_at", "id"),
        Index("ix_recording_device_start", "device_id", "start_at", "id"),
        Index("ix_recording_device_corrected", "device_id", "corrected_start_at"),
        Index("ix_recording_unit_retain", "unit_id", "retain_until", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    sm3: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    original_name: Mapped[str] = mapped_column(String(1000))
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    officer_source: Mapped[str] = mapped_column(String(20))  # custody | given | unknown
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    ingest_run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    container: Mapped[str | None] = mapped_column(String(100))
    video_codec: Mapped[str | None] = mapped_column(String(50))
    audio_codec: Mapped[str | None] = mapped_column(String(50))
    duration_s: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    frame_rate: Mapped[float | None] = mapped_column(Float)
    # As the device recorded them; never overwritten.
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    start_source: Mapped[str] = mapped_column(String(20))
    # R11.2: the device clock offset at docking and the times corrected by it, beside the originals.
    clock_offset_s: Mapped[float | None] = mapped_column(Float)
    corrected_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    corrected_end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    workstation: Mapped[str] = mapped_column(String(200))
    upload_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_late: Mapped[bool] = mapped_column(Boolean, index=True)
    retain_until: Mapped[date] = mapped_column(Date)
    flagged: Mapped[bool] = mapped_column(Boolean, index=True)
    problems: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)

    device: Mapped[Device] = relationship()
    officer: Mapped[Person | None] = relationship()
    unit: Mapped[Unit] = relationship()
    ingest_run: Mapped[IngestRun] = relationship()

    @property
    def effective_start_at(self) -> datetime:
        return self.corrected_start_at or self.start_at

    @property
    def effective_end_at(self) -> datetime:
        return self.corrected_end_at or self.end_at

    def snapshot(self) -> dict[str, object]:
        """Every column as the ingest audit entry records it: verify checks the row against it."""
        return columns_of(self)


class Sighting(Base):
    """A file seen at ingest: the first time (it made the recording) or again (a duplicate).
    Also what lets a re-run skip writing a file it has already stored."""

    __tablename__ = "recording_sighting"
    # Two workstations docking the same card at once record one sighting, not two.
    __table_args__ = (
        Index(
            "uq_sighting_once",
            "device_id",
            "source_hash",
            "size",
            "mtime_ns",
            "recording_id",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id"), index=True)
    ingest_run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    source_path: Mapped[str] = mapped_column(String(1000))
    # SHA-256 of source_path: what the uniqueness is checked on (paths are too long to index).
    source_hash: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duplicate: Mapped[bool] = mapped_column(Boolean)

    def snapshot(self) -> dict[str, object]:
        """Every column, id included, as the audit entry that saw it records it."""
        return columns_of(self)


class Correction(Base):
    """A metadata correction: a new fact beside the original, with who, when and why."""

    __tablename__ = "recording_correction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id"), index=True)
    field: Mapped[str] = mapped_column(String(30))
    value: Mapped[str] = mapped_column(String(1000))
    reason: Mapped[str] = mapped_column(String(1000))
    corrected_by: Mapped[str] = mapped_column(String(200))
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def snapshot(self) -> dict[str, object]:
        """Every column, id included, as the correction's audit entry records it."""
        return columns_of(self)


class Upload(Base):
    """A remote workstation's resumable upload: bytes arrive in pieces at ``received``."""

    __tablename__ = "evidence_upload"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    ingest_run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id"))
    name: Mapped[str] = mapped_column(String(1000))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    sm3: Mapped[str] = mapped_column(String(64))
    mtime: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))  # open | done | failed
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recording.id"))


class ViewingCopy(Base):
    """A copy of an original made for the browser to play (H.264/AAC in MP4, or AAC in M4A),
    when Chromium cannot play the original's format (``evidence.viewing.playable``). Derived,
    never evidence: stored write-once under its own digests, shown marked as a copy, and never
    downloaded or packaged in place of the original. Written once (database triggers)."""

    __tablename__ = "viewing_copy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id"), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    sm3: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    container: Mapped[str] = mapped_column(String(20))  # mp4 | m4a
    video_codec: Mapped[str | None] = mapped_column(String(50))
    audio_codec: Mapped[str | None] = mapped_column(String(50))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    made_by: Mapped[str] = mapped_column(String(200))

    recording: Mapped[Recording] = relationship()


class Disposition(Base):
    """The tombstone of a disposed original: its digests, dates, the cases it served and the
    approvals, as one signed record (Ed25519, the audit log's key) that is also the disposal's
    audit entry. Written once; the recording row itself stays."""

    __tablename__ = "disposition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recording.id"), unique=True)
    # The approved batch that disposed of it (retention.models.DisposalBatch).
    batch_id: Mapped[int] = mapped_column(ForeignKey("disposal_batch.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    sm3: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    retain_until: Mapped[date] = mapped_column(Date)
    disposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disposed_by: Mapped[str] = mapped_column(String(200))
    record: Mapped[str] = mapped_column(Text)  # canonical JSON, the signed bytes
    signature: Mapped[str] = mapped_column(String(200))  # base64 Ed25519 over ``record``
    key_id: Mapped[str] = mapped_column(String(64))

    def snapshot(self) -> dict[str, object]:
        return columns_of(self)
