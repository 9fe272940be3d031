"""API shapes for access by approval (第十五条), as DESIGN's wave-2 contract names them."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from lawcam.access.models import AccessRequest
from lawcam.access.service import RequestData
from lawcam.access.types import MAX_DAYS, MAX_RECORDINGS, AccessAction, Approver, RequestStatus
from lawcam.schemas.common import Id, In


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
