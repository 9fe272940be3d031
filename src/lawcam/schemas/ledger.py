"""The ledger's rows as the API and the CLI give them (第九条, R9.2): a custody period and its
记录内容. Count and total duration are the row's; links name only the recordings the reader may
open (``hidden`` counts the others)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from lawcam.evidence.queries import PeriodRecordings, RecordingLink
from lawcam.reports.ledger import LedgerEntry, recording_url
from lawcam.schemas.custody import PeriodOut


class RecordingLinkOut(BaseModel):
    id: int
    start_at: datetime
    duration_s: float | None
    kind: str
    url: str

    @classmethod
    def of(cls, r: RecordingLink) -> RecordingLinkOut:
        return cls(
            id=r.id,
            start_at=r.start_at,
            duration_s=r.duration_s,
            kind=r.kind,
            url=recording_url(r.id),
        )


class PeriodRecordingsOut(BaseModel):
    count: int
    duration_s: float
    shown: list[RecordingLinkOut]
    hidden: int

    @classmethod
    def of(cls, r: PeriodRecordings) -> PeriodRecordingsOut:
        return cls(
            count=r.count,
            duration_s=round(r.duration_s, 3),
            shown=[RecordingLinkOut.of(x) for x in r.shown],
            hidden=r.hidden,
        )


class LedgerPeriodOut(PeriodOut):
    reason_label: str
    recordings: PeriodRecordingsOut

    @classmethod
    def of_entry(cls, entry: LedgerEntry) -> LedgerPeriodOut:
        base = PeriodOut.of(entry.period).model_dump()
        return cls(
            **base,
            reason_label=entry.period.reason_label,
            recordings=PeriodRecordingsOut.of(entry.recorded),
        )
