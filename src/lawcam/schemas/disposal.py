"""API shapes for disposal after retention (第十四条第（二）项) and the retention report."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel, Field

from lawcam.retention.disposal import MAX_BATCH
from lawcam.retention.models import DisposalBatch, DisposalItem
from lawcam.retention.reports import (
    Amount,
    Candidate,
    Expiring,
    ExpiringRow,
    Storage,
    StorageRow,
)
from lawcam.retention.types import DisposalStatus, Outcome
from lawcam.schemas.common import Id, In


class DisposalIn(In):
    """A batch of the unit's recordings past their retention: the ones named, or every one the
    dry run lists."""

    unit_id: Id | None = Field(default=None, description="单位编号（不填为本人所在单位）")
    reason: str = Field(max_length=1000, description="理由")
    recording_ids: list[Id] | None = Field(
        default=None, max_length=MAX_BATCH, description="资料编号（不填为全部可销毁的资料）"
    )


class RejectionIn(In):
    reason: str = Field(max_length=1000, description="驳回理由")


class CandidateOut(BaseModel):
    """One recording the dry run would dispose of, with the date its retention ended."""

    recording_id: int
    start_at: datetime = Field(description="录制开始时间")
    size: int = Field(description="字节数")
    retain_until: date = Field(description="有效保存期限（已届满）")
    promised: date = Field(description="导入时承诺及延长的保存期限")
    reasons: list[str] = Field(description="曾使保存期限延长的案件")

    @classmethod
    def of(cls, candidate: Candidate) -> CandidateOut:
        retention = candidate.retention
        return cls(
            recording_id=retention.recording_id,
            start_at=candidate.start_at.astimezone(UTC),
            size=candidate.size,
            retain_until=retention.until,
            promised=retention.promised,
            reasons=retention.reasons,
        )


class DisposalItemOut(BaseModel):
    recording_id: int
    retain_until: date = Field(description="提议时的有效保存期限")
    outcome: Outcome | None
    outcome_label: str
    note: str

    @classmethod
    def of(cls, item: DisposalItem) -> DisposalItemOut:
        outcome = Outcome(item.outcome) if item.outcome else None
        return cls(
            recording_id=item.recording_id,
            retain_until=item.retain_until,
            outcome=outcome,
            outcome_label=outcome.label if outcome else "未执行",
            note=item.note,
        )


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment else None


class DisposalBatchOut(BaseModel):
    id: int
    unit_id: int
    status: DisposalStatus
    status_label: str
    reason: str
    proposed_by: str
    proposed_at: datetime
    head_by: str
    head_at: datetime | None
    supervision_by: str
    supervision_at: datetime | None
    rejected_by: str
    rejected_at: datetime | None
    reject_reason: str
    run_by: str
    run_at: datetime | None
    items: list[DisposalItemOut]

    @classmethod
    def of(cls, row: DisposalBatch) -> DisposalBatchOut:
        status = DisposalStatus(row.status)
        return cls(
            id=row.id, unit_id=row.unit_id, status=status, status_label=status.label,
            reason=row.reason, proposed_by=row.proposed_by,
            proposed_at=row.proposed_at.astimezone(UTC), head_by=row.head_by,
            head_at=_utc(row.head_at), supervision_by=row.supervision_by,
            supervision_at=_utc(row.supervision_at), rejected_by=row.rejected_by,
            rejected_at=_utc(row.rejected_at), reject_reason=row.reject_reason,
            run_by=row.run_by, run_at=_utc(row.run_at),
            items=[DisposalItemOut.of(item) for item in row.items],
        )  # fmt: skip


# The retention report ----------------------------------------------------------------------------


class AmountOut(BaseModel):
    count: int = Field(description="资料条数")
    size: int = Field(description="字节数（原始文件及其播放副本）")

    @classmethod
    def of(cls, amount: Amount) -> AmountOut:
        return cls(count=amount.count, size=amount.size)


class ExpiringRowOut(BaseModel):
    unit_id: int | None
    unit: str
    overdue: AmountOut = Field(description="保存期限已届满、尚未销毁")
    within: dict[int, AmountOut] = Field(description="今后若干天内届满（键为天数）")
    indefinite: AmountOut = Field(description="无限期保存（案件未归档、永久保存或保全）")

    @classmethod
    def of(cls, row: ExpiringRow) -> ExpiringRowOut:
        return cls(
            unit_id=row.unit_id or None,
            unit=row.unit,
            overdue=AmountOut.of(row.overdue),
            within={days: AmountOut.of(a) for days, a in row.within.items()},
            indefinite=AmountOut.of(row.indefinite),
        )


class ExpiringOut(BaseModel):
    today: date
    days: list[int]
    units: list[ExpiringRowOut]
    total: ExpiringRowOut

    @classmethod
    def of(cls, found: Expiring) -> ExpiringOut:
        return cls(
            today=found.today,
            days=list(found.days),
            units=[ExpiringRowOut.of(row) for row in found.rows],
            total=ExpiringRowOut.of(found.total),
        )


class StorageRowOut(BaseModel):
    unit_id: int | None
    unit: str
    recordings: int = Field(description="原始文件（未销毁）字节数")
    copies: int = Field(description="播放副本字节数")
    documents: int = Field(description="书面材料字节数")
    used: int = Field(description="合计已用字节数")
    monthly: float = Field(description="近 6 个月平均每月新增字节数")
    expiring: int = Field(description="12 个月内届满的字节数")
    projected: int = Field(description="12 个月后预计字节数（届满资料按期销毁）")

    @classmethod
    def of(cls, row: StorageRow) -> StorageRowOut:
        return cls(
            unit_id=row.unit_id or None, unit=row.unit, recordings=row.recordings,
            copies=row.copies, documents=row.documents, used=row.used,
            monthly=round(row.monthly, 1), expiring=row.expiring, projected=row.projected,
        )  # fmt: skip


class MonthOut(BaseModel):
    day: date
    projected: int
    without_disposal: int


class StorageOut(BaseModel):
    today: date
    units: list[StorageRowOut]
    total: StorageRowOut
    months: list[MonthOut]

    @classmethod
    def of(cls, found: Storage) -> StorageOut:
        return cls(
            today=found.today,
            units=[StorageRowOut.of(row) for row in found.rows],
            total=StorageRowOut.of(found.total),
            months=[
                MonthOut(day=m.day, projected=m.projected, without_disposal=m.without_disposal)
                for m in found.months
            ],
        )
