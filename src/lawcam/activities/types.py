from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ActivityKind(StrEnum):
    """The kinds of on-site enforcement work (the CLI's --kind, DESIGN's wave-2 contract)."""

    INSPECTION = "inspection"
    INVESTIGATION = "investigation"
    ON_SITE_PENALTY = "on_site_penalty"
    SEIZURE = "seizure"
    COMPULSORY_ENFORCEMENT = "compulsory_enforcement"
    SERVICE_OF_DOCUMENTS = "service_of_documents"
    HEARING = "hearing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    ActivityKind.INSPECTION: "检查",
    ActivityKind.INVESTIGATION: "调查取证",
    ActivityKind.ON_SITE_PENALTY: "当场处罚",
    ActivityKind.SEIZURE: "查封扣押",
    ActivityKind.COMPULSORY_ENFORCEMENT: "行政强制执行",
    ActivityKind.SERVICE_OF_DOCUMENTS: "文书送达",
    ActivityKind.HEARING: "听证",
    ActivityKind.OTHER: "其他",
}

# Administrative enforcement is normally done by two officers or more: a warning, not a refusal.
TWO_OFFICER_KINDS = frozenset(
    {ActivityKind.ON_SITE_PENALTY, ActivityKind.SEIZURE, ActivityKind.COMPULSORY_ENFORCEMENT}
)


class CoveragePolicy(StrEnum):
    """Whose recordings must cover the activity: any officer's together, or each officer's."""

    ANY = "any"
    EACH = "each"


class InterruptionKind(StrEnum):
    LATE_START = "late_start"
    GAP = "gap"
    EARLY_STOP = "early_stop"
    NOT_RECORDED = "not_recorded"  # under the each-officer policy: this officer recorded nothing

    @property
    def label(self) -> str:
        return INTERRUPTION_LABELS[self]


INTERRUPTION_LABELS = {
    InterruptionKind.LATE_START: "到场后未及时开始记录",
    InterruptionKind.GAP: "记录中断",
    InterruptionKind.EARLY_STOP: "现场工作结束前停止记录",
    InterruptionKind.NOT_RECORDED: "本人未记录",
}


class Explanation(StrEnum):
    """第十条: by voice on resuming, or in a written report kept by the device administrator."""

    VOICE = "voice"
    WRITTEN = "written"

    @property
    def label(self) -> str:
        return {"voice": "语音说明", "written": "书面说明"}[self]


class Cause(StrEnum):
    DEVICE_FAULT = "device_fault"
    BATTERY = "battery"
    STORAGE_FULL = "storage_full"
    WEATHER = "weather"
    ENVIRONMENT = "environment"
    OTHER = "other"

    @property
    def label(self) -> str:
        return CAUSE_LABELS[self]


CAUSE_LABELS = {
    Cause.DEVICE_FAULT: "设备故障",
    Cause.BATTERY: "电量耗尽",
    Cause.STORAGE_FULL: "存储已满",
    Cause.WEATHER: "天气",
    Cause.ENVIRONMENT: "现场环境",
    Cause.OTHER: "其他",
}


class LinkHow(StrEnum):
    AUTO = "auto"  # by time and officer
    MANUAL = "manual"  # attached by a person, with a reason


class ActivityEvent(StrEnum):
    ADDED = "activity:activity:add"
    AMENDED = "activity:activity:amend"
    LINKED = "activity:link:attach"
    UNLINKED = "activity:link:detach"
    COVERAGE = "activity:coverage:update"
    EXPLAINED = "activity:interruption:explain"
    CONFIRMED = "activity:interruption:confirm"


@dataclass(frozen=True, order=True)
class Span:
    """A stretch of time, [start, end)."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def widened(self, by: timedelta) -> Span:
        return Span(self.start - by, self.end + by)

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end
