"""API shapes for penalty cases (案件) and legal holds (保全) (第十四条第（三）项, R14.3). A recording's
effective ``retain_until`` is null while it is kept without end (an open or unarchived case, a
永久 case, a hold)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from lawcam.retention.effective import Retention
from lawcam.retention.models import CaseLink, LegalHold, PenaltyCase
from lawcam.retention.service import REASON_MAX, CaseDates
from lawcam.retention.types import CaseStatus, term_label
from lawcam.retention.views import CaseView, LinkRow
from lawcam.schemas.common import Day, Id, In

Reason = Field(max_length=REASON_MAX, description="理由")


class CaseIn(In):
    number: str = Field(max_length=100, description="案件编号，如 京执罚〔2026〕1号")
    unit: str = Field(max_length=100, description="承办单位名称")
    title: str = Field(max_length=500, description="案件名称")
    parties: str = Field(default="", max_length=1000, description="当事人")
    opened_on: Day = Field(description="立案日期")
    term: str = Field(max_length=20, description="案卷保存期限（配置中的名称，如 permanent、30y）")


class LinkIn(In):
    """One of the two: a recording, or an activity (all of its recordings)."""

    recording_id: Id | None = Field(default=None, description="资料编号")
    activity_id: Id | None = Field(default=None, description="执法活动编号")
    reason: str = Reason


class ReasonIn(In):
    reason: str = Reason


class DatesIn(In):
    decided_on: Day | None = Field(default=None, description="处罚决定日期")
    closed_on: Day | None = Field(default=None, description="结案日期")

    def dates(self) -> CaseDates:
        return CaseDates(decided_on=self.decided_on, closed_on=self.closed_on)


class TermIn(In):
    term: str = Field(max_length=20, description="新的案卷保存期限")
    reason: str = Reason


class ArchiveIn(In):
    archived_on: Day = Field(description="归档日期")


class HoldIn(In):
    recording_ids: list[Id] = Field(min_length=1, max_length=1000, description="资料编号")
    reason: str = Reason


class RetentionOut(BaseModel):
    recording_id: int
    retain_until: date | None = Field(description="有效保存期限；null 表示长期保存")
    dated_until: date = Field(description="其中有日期的部分（两年承诺、已归档案件）")
    promised: date
    reasons: list[str]
    case_ids: list[int]
    hold_ids: list[int]

    @classmethod
    def of(cls, found: Retention) -> RetentionOut:
        return cls(
            recording_id=found.recording_id,
            retain_until=found.retain_until,
            dated_until=found.until,
            promised=found.promised,
            reasons=found.reasons,
            case_ids=sorted(found.case_ids),
            hold_ids=found.hold_ids,
        )


class LinkOut(BaseModel):
    id: int
    recording_id: int | None
    activity_id: int | None
    reason: str
    linked_by: str
    linked_at: datetime
    live: bool
    recording_ids: list[int] = Field(description="该关联目前涵盖的资料")
    unlink_reason: str
    unlink_requested_by: str
    unlink_requested_at: datetime | None
    unlinked_by: str
    unlinked_at: datetime | None

    @classmethod
    def of(cls, made: CaseLink, recording_ids: list[int] | None = None) -> LinkOut:
        if recording_ids is None:
            recording_ids = [made.recording_id] if made.recording_id else []
        return cls(
            id=made.id, recording_id=made.recording_id, activity_id=made.activity_id,
            reason=made.reason, linked_by=made.linked_by, linked_at=made.linked_at,
            live=made.unlinked_at is None, recording_ids=recording_ids,
            unlink_reason=made.unlink_reason, unlink_requested_by=made.unlink_requested_by,
            unlink_requested_at=made.unlink_requested_at, unlinked_by=made.unlinked_by,
            unlinked_at=made.unlinked_at,
        )  # fmt: skip

    @classmethod
    def row(cls, row: LinkRow) -> LinkOut:
        return cls.of(row.link, row.recording_ids)


class HoldOut(BaseModel):
    id: int
    recording_id: int
    unit_id: int
    reason: str
    placed_by: str
    placed_at: datetime
    live: bool
    release_reason: str
    release_requested_by: str
    release_requested_at: datetime | None
    released_by: str
    released_at: datetime | None

    @classmethod
    def of(cls, hold: LegalHold) -> HoldOut:
        return cls(
            id=hold.id, recording_id=hold.recording_id, unit_id=hold.unit_id, reason=hold.reason,
            placed_by=hold.placed_by, placed_at=hold.placed_at, live=hold.released_at is None,
            release_reason=hold.release_reason, release_requested_by=hold.release_requested_by,
            release_requested_at=hold.release_requested_at, released_by=hold.released_by,
            released_at=hold.released_at,
        )  # fmt: skip


class CaseOut(BaseModel):
    id: int
    number: str
    unit_id: int
    unit: str
    title: str
    parties: str
    opened_on: date
    decided_on: date | None
    closed_on: date | None
    archived_on: date | None
    term: str
    term_years: int = Field(description="0 表示永久")
    term_label: str
    status: CaseStatus
    status_label: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, case: PenaltyCase) -> CaseOut:
        status = CaseStatus(case.status)
        return cls(
            id=case.id, number=case.number, unit_id=case.unit_id, unit=case.unit.name,
            title=case.title, parties=case.parties, opened_on=case.opened_on,
            decided_on=case.decided_on, closed_on=case.closed_on, archived_on=case.archived_on,
            term=case.term, term_years=case.term_years, term_label=term_label(case.term_years),
            status=status, status_label=status.label, created_by=case.created_by,
            created_at=case.created_at,
        )  # fmt: skip


class CaseDetailOut(CaseOut):
    links: list[LinkOut]
    recordings: list[RetentionOut] = Field(description="在案资料及其有效保存期限")
    holds: list[HoldOut] = Field(description="在案资料上的保全（有权查看保全者可见）")

    @classmethod
    def view(cls, view: CaseView) -> CaseDetailOut:
        return cls(
            **CaseOut.of(view.case).model_dump(),
            links=[LinkOut.row(row) for row in view.links],
            recordings=[RetentionOut.of(view.retention[rid]) for rid in view.recording_ids],
            holds=[HoldOut.of(hold) for hold in view.holds],
        )
