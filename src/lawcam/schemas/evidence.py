"""API shapes for recordings (Art. 14, 15) and the remote workstation's resumable upload."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from lawcam.evidence.models import Correction, Recording, Sighting
from lawcam.evidence.types import CorrectableField
from lawcam.schemas.common import DeviceMoment, Id, In, Offset


class RecordingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sha256: str
    sm3: str
    size: int
    original_name: str
    kind: str
    device_id: int
    device: str  # the serial
    officer_id: int | None
    officer: str | None
    officer_badge: str | None
    officer_source: str
    unit_id: int
    unit: str
    container: str | None
    video_codec: str | None
    audio_codec: str | None
    duration_s: float | None
    width: int | None
    height: int | None
    frame_rate: float | None
    start_at: datetime
    end_at: datetime
    start_source: str
    clock_offset_s: float | None
    corrected_start_at: datetime | None
    corrected_end_at: datetime | None
    ingested_at: datetime
    workstation: str
    upload_deadline: datetime
    uploaded_late: bool
    retain_until: date | None  # the effective retention (R14.2, R14.3); None: kept without end
    flagged: bool
    problems: list[dict[str, str]]

    @classmethod
    def of(cls, recording: Recording, retain_until: date | None) -> RecordingOut:
        """The facts with the effective retention (R14.2), not the ingest promise alone, and
        the names beside the ids (device serial, officer, unit) as the other objects give them."""
        officer = recording.officer
        named = {
            "device": recording.device.serial,
            "officer": officer.name if officer else None,
            "officer_badge": officer.badge if officer else None,
            "unit": recording.unit.name,
            "retain_until": retain_until,
        }
        facts = {n: getattr(recording, n) for n in RecordingOut.model_fields if n not in named}
        return RecordingOut.model_validate({**facts, **named})


class RecordingPage(BaseModel):
    """A page of recordings, newest first (issue 19: read by keyset, never counted in full)."""

    total: int = Field(
        description="符合条件的资料条数，至多数到 10000：total_exact 为 false 时表示“10000 条以上”"
    )
    total_exact: bool = Field(description="total 是否为确切条数")
    items: list[RecordingOut]
    next_cursor: str | None = Field(
        default=None, description="下一页（更早的资料）：作为 cursor 参数传回；null 表示没有了"
    )
    prev_cursor: str | None = Field(
        default=None, description="上一页（更新的资料）：作为 cursor 参数传回；null 表示这是第一页"
    )


class SightingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    source_path: str
    seen_at: datetime
    duplicate: bool
    ingest_run_id: int


class CorrectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    field: str
    value: str
    reason: str
    corrected_by: str
    corrected_at: datetime


class RecordingDetail(RecordingOut):
    sightings: list[SightingOut]
    corrections: list[CorrectionOut]

    @classmethod
    def of_recording(
        cls,
        recording: Recording,
        retain_until: date | None,
        sightings: Sequence[Sighting],
        corrections: Sequence[Correction],
    ) -> RecordingDetail:
        return cls.model_validate(
            {
                **RecordingOut.of(recording, retain_until).model_dump(),
                "sightings": sightings,
                "corrections": corrections,
            }
        )


class CorrectionCreate(In):
    field: CorrectableField
    value: str = Field(max_length=1000)
    reason: str = Field(max_length=1000)


class RunCreate(In):
    device: str = Field(max_length=64, description="设备序列号")
    workstation: str = Field(max_length=200)
    device_time: DeviceMoment | None = Field(default=None, description="对接时的设备时钟")
    officer: str | None = Field(default=None, max_length=64, description="执法证号")
    source: str = Field(default="", max_length=1000)


class RunOut(BaseModel):
    id: int
    clock_offset_s: float | None


class RefusalCreate(In):
    path: str = Field(max_length=1000)
    code: str = Field(max_length=50, pattern=r"^[a-z_]+$")
    message: str = Field(max_length=500)


class UploadCreate(In):
    run_id: Id
    name: str = Field(min_length=1, max_length=1000)
    size: Offset
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    sm3: str = Field(pattern=r"^[0-9a-f]{64}$")
    mtime: DeviceMoment


class UploadOut(BaseModel):
    status: str  # open | duplicate | done | failed
    id: str | None = None
    offset: int = 0
    size: int = 0
    recording_id: int | None = None


class OffsetOut(BaseModel):
    offset: int


class FileResultOut(BaseModel):
    path: str
    status: str
    size: int
    sha256: str | None
    sm3: str | None
    recording_id: int | None
    problems: list[dict[str, str]]
