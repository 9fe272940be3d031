"""Evidence enums and value objects shared by ingest, probing, queries and the web and CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class MediaKind(StrEnum):
    VIDEO = "video"
    AUDIO = "audio"
    PHOTO = "photo"
    UNKNOWN = "unknown"  # stored and flagged: the bytes could not be parsed as media

    @property
    def label(self) -> str:
        return {"video": "视频", "audio": "音频", "photo": "照片", "unknown": "无法识别"}[self]


class StartSource(StrEnum):
    """Where a recording's start time came from, in the order they are tried."""

    CONTAINER = "container"  # the container's creation_time (MP4/MOV/…)
    EXIF = "exif"  # a photo's EXIF DateTimeOriginal
    FILENAME = "filename"  # a body-camera file-name pattern (see probe.FILENAME_PATTERNS)
    MTIME = "mtime"  # the file's modification time on the device

    @property
    def label(self) -> str:
        return {
            "container": "文件内部创建时间",
            "exif": "照片EXIF拍摄时间",
            "filename": "文件名中的时间",
            "mtime": "文件修改时间",
        }[self]


class FileStatus(StrEnum):
    INGESTED = "ingested"  # stored now, recording created
    DUPLICATE = "duplicate"  # the same SHA-256 is already stored: a sighting, nothing stored
    REFUSED = "refused"  # not stored (unreadable, changed while read, …): the source is untouched

    @property
    def label(self) -> str:
        return {"ingested": "已导入", "duplicate": "重复（已存在）", "refused": "未导入"}[self]


@dataclass(frozen=True)
class Problem:
    """Why a file is flagged or refused: a stable code and a Chinese sentence for people."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass
class MediaFacts:
    """What probing a file found. Times are aware datetimes in UTC."""

    kind: MediaKind = MediaKind.UNKNOWN
    container: str | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    start_at: datetime | None = None
    start_source: StartSource | None = None
    problems: list[Problem] = field(default_factory=list)


class EvidenceEvent(StrEnum):
    """Audit tags of the evidence domain (``domain:subject:action``)."""

    INGEST_RUN = "evidence:ingest:run"
    RECORDING_INGESTED = "evidence:recording:ingest"
    RECORDING_ADOPTED = "evidence:recording:adopt"  # a blob without its row, found on a re-run
    RECORDING_SIGHTED = "evidence:recording:sighting"
    RECORDING_CORRECTED = "evidence:recording:correct"
    RETENTION_EXTENDED = "evidence:recording:retention"  # the effective retention grew (R14.2)
    FILE_REFUSED = "evidence:file:refuse"
    UPLOAD_OPENED = "evidence:upload:open"
    UPLOAD_FAILED = "evidence:upload:fail"
    UPLOAD_ABANDONED = "evidence:upload:abandon"  # idle too long: its received bytes removed
    VIEWING_COPY_MADE = "evidence:copy:make"  # a copy the browser plays (viewing.py), derived
    # An original removed by an approved disposal batch (retention.disposal): the signed
    # disposition row, which verify checks against this entry.
    RECORDING_DISPOSED = "evidence:recording:dispose"


class CorrectableField(StrEnum):
    """Metadata that may be corrected beside the original (never the original or its digests)."""

    OFFICER = "officer"
    START_AT = "start_at"
    NOTE = "note"

    @property
    def label(self) -> str:
        return {"officer": "执法人员", "start_at": "开始时间", "note": "备注"}[self]
