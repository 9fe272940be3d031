"""API shapes for access by approval (第十五条), as DESIGN's wave-2 contract names them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel, Field

from lawcam.access import sampling
from lawcam.access.models import AccessRequest, Sample, SampleItem
from lawcam.access.sample_types import DEFAULT_DAYS, MAX_SIZE, Reason, Result
from lawcam.access.service import RequestData
from lawcam.access.types import MAX_DAYS, MAX_RECORDINGS, AccessAction, Approver, RequestStatus
from lawcam.activities.types import ActivityKind
from lawcam.schemas.common import Day, Id, In, Offset


class AccessRequestIn(In):
    """One scope: chosen recordings, all of an activity's, or all of a case's."""

    recording_ids: list[Id] = Field(default=[], max_length=MAX_RECORDINGS, description="资料编号")
    activity_id: Id | None = Field(default=None, description="执法活动编号（其全部资料）")
    case_number: str = Field(default="", max_length=100, description="案件编号（其全部资料）")
    action: AccessAction = Field(description="查看、下载或向外部提供")
    purpose: str = Field(max_length=1000, description="事由")
    days: int = Field(default=7, ge=1, le=MAX_DAYS, description="使用期限（天）")
    recipient: str = Field(default="", max_length=200, description="接收人（向外部提供时）")
    recipient_org: str = Field(default="", max_length=200, description="接收单位（向外部提供时）")

    def data(self) -> RequestData:
        return RequestData(
            action=self.action,
            purpose=self.purpose,
            days=self.days,
            recording_ids=tuple(self.recording_ids),
            activity_id=self.activity_id,
            case_number=self.case_number,
            recipient=self.recipient,
            recipient_org=self.recipient_org,
        )


class DecisionIn(In):
    approve: bool = Field(description="批准或驳回")
    reason: str = Field(default="", max_length=1000, description="理由（驳回时必填）")


class RevocationIn(In):
    reason: str = Field(max_length=1000, description="撤销理由")


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment else None


class AccessRequestOut(BaseModel):
    id: int
    status: RequestStatus
    status_label: str
    action: AccessAction
    action_label: str
    scope: str
    recording_ids: list[int]
    purpose: str
    recipient: str
    recipient_org: str
    days: int
    requested_by: str
    requested_at: datetime
    approver: Approver
    approver_label: str
    approver_unit_id: int
    decided_by: str
    decided_at: datetime | None
    decision_reason: str
    expires_at: datetime | None
    revoked_by: str
    revoked_at: datetime | None
    revoke_reason: str

    @classmethod
    def of(cls, row: AccessRequest) -> AccessRequestOut:
        status, action, approver = (
            RequestStatus(row.status),
            AccessAction(row.action),
            Approver(row.approver),
        )
        return cls(
            id=row.id,
            status=status,
            status_label=status.label,
            action=action,
            action_label=action.label,
            scope=row.scope,
            recording_ids=row.recording_ids,
            purpose=row.purpose,
            recipient=row.recipient,
            recipient_org=row.recipient_org,
            days=row.days,
            requested_by=row.requested_by,
            requested_at=row.requested_at.astimezone(UTC),
            approver=approver,
            approver_label=approver.label,
            approver_unit_id=row.approver_unit_id,
            decided_by=row.decided_by,
            decided_at=_utc(row.decided_at),
            decision_reason=row.decision_reason,
            expires_at=_utc(row.expires_at),
            revoked_by=row.revoked_by,
            revoked_at=_utc(row.revoked_at),
            revoke_reason=row.revoke_reason,
        )


# Conduct-review sampling (第十三条, R13.1) ------------------------------------------------------


class SampleIn(In):
    """A draw: the filters, the size, and optionally the seed (to draw a known sample again)."""

    unit_id: Id | None = Field(default=None, description="单位（含下级单位；不填为全部可抽范围）")
    date_from: Day = Field(description="期间起（按资料开始录制的日期）")
    date_to: Day = Field(description="期间止（含当日）")
    kind: ActivityKind | None = Field(default=None, description="执法活动类型（不填为不限）")
    size: int = Field(ge=1, le=MAX_SIZE, description="抽查数量")
    seed: Offset | None = Field(default=None, description="随机种子（不填则随机生成并记录）")
    days: int = Field(default=DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="结果登记期限（天）")
    reviewer_id: Id | None = Field(default=None, description="抽查人（不填为本人）")

    def draw(self) -> sampling.Draw:
        filters = sampling.Filters(self.date_from, self.date_to, self.unit_id, self.kind)
        return sampling.Draw(filters, self.size, self.seed, self.days, self.reviewer_id)


class ResultIn(In):
    recording_id: Id = Field(description="资料编号")
    result: Result = Field(description="规范（compliant）或不规范（noncompliant）")
    reason: Reason | None = Field(default=None, description="不规范的情形")
    note: str = Field(default="", max_length=1000, description="说明")

    def data(self) -> sampling.ResultData:
        return sampling.ResultData(self.recording_id, self.result, self.reason, self.note)


class SampleItemOut(BaseModel):
    recording_id: int
    position: int
    result: Result | None
    result_label: str
    reason: Reason | None
    reason_label: str
    note: str
    recorded_by: str
    recorded_at: datetime | None

    @classmethod
    def of(cls, item: SampleItem) -> SampleItemOut:
        result = Result(item.result) if item.result else None
        reason = Reason(item.reason) if item.reason else None
        return cls(recording_id=item.recording_id, position=item.position, result=result,
                   result_label=result.label if result else "未登记", reason=reason,
                   reason_label=reason.label if reason else "", note=item.note,
                   recorded_by=item.recorded_by, recorded_at=_utc(item.recorded_at))  # fmt: skip


class SampleOut(BaseModel):
    id: int
    drawn_by: str
    drawn_at: datetime
    reviewer_id: int
    reviewer: str
    unit_id: int | None
    units: list[int] | None
    date_from: date
    date_to: date
    kind: ActivityKind | None
    kind_label: str
    population: int
    population_sha256: str
    seed: int
    size: int
    due_at: datetime
    grant_id: int | None
    recorded: int
    noncompliant: int
    items: list[SampleItemOut]

    @classmethod
    def of(cls, row: Sample, grant_id: int | None) -> SampleOut:
        kind = ActivityKind(row.kind) if row.kind else None
        items = [SampleItemOut.of(i) for i in row.items]
        return cls(id=row.id, drawn_by=row.drawn_by, drawn_at=row.drawn_at.astimezone(UTC),
                   reviewer_id=row.reviewer_id, reviewer=row.reviewer, unit_id=row.unit_id,
                   units=row.units, date_from=row.date_from, date_to=row.date_to, kind=kind,
                   kind_label=kind.label if kind else "不限", population=row.population,
                   population_sha256=row.population_sha256, seed=row.seed, size=row.size,
                   due_at=row.due_at.astimezone(UTC), grant_id=grant_id,
                   recorded=sum(1 for i in items if i.result),
                   noncompliant=sum(1 for i in items if i.result is Result.NONCOMPLIANT),
                   items=items)  # fmt: skip
