"""API shapes for enforcement activities (第十条、第十二条、第十四条). ``ActivityOut`` holds the
keys DESIGN's wave-2 contract lists for ``activity show --json`` (the CLI prints this model)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.activities import queries
from lawcam.activities.models import Activity, ActivityLink, Interruption
from lawcam.activities.types import ActivityKind, Cause, Explanation, InterruptionKind
from lawcam.org.models import Person, Unit
from lawcam.schemas.common import Id, In, Moment
from lawcam.schemas.documents import DocumentOut


class ActivityCreate(In):
    unit: str = Field(max_length=100, description="单位名称")
    kind: ActivityKind = Field(description="执法活动类别")
    place: str = Field(max_length=500, description="执法地点")
    arrived_at: Moment = Field(description="到达现场时间（ISO 8601，带时区）")
    ended_at: Moment = Field(description="现场执法结束时间")
    officers: list[str] = Field(min_length=1, max_length=20, description="在场执法人员的执法证号")
    announced: bool | None = Field(default=None, description="是否已告知当事人正在记录（第十二条）")
    obstructed: bool = Field(default=False, description="是否有人拒绝或阻挠记录")
    obstruction_note: str = Field(default="", max_length=1000)
    case_number: str = Field(default="", max_length=100, description="案件编号")
    zone: str | None = Field(default=None, max_length=100, description="办案区")


class LinkChange(In):
    recording_id: Id
    reason: str = Field(max_length=500, description="理由")


class ExplanationIn(In):
    """By voice (the recording that resumed, carrying the spoken explanation) or in writing."""

    voice_recording_id: Id | None = None
    cause: Cause | None = None
    text: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _one_way(self) -> ExplanationIn:
        if (self.voice_recording_id is None) == (self.cause is None):
            raise PydanticCustomError(
                "choice_required",
                "须选择一种说明方式：语音说明（恢复记录的录像）或书面说明（原因和经过）",
            )
        return self


class OfficerOut(BaseModel):
    id: int
    name: str
    badge: str | None


class InterruptionOut(BaseModel):
    seq: int
    kind: InterruptionKind
    kind_label: str
    officer_id: int | None
    from_: datetime = Field(serialization_alias="from")
    to: datetime
    seconds: float
    explanation: Explanation | None
    voice_recording_id: int | None
    cause: Cause | None
    cause_label: str | None
    text: str
    explained_by: str
    confirmed: bool
    confirmed_by: str
    document: DocumentOut | None = None  # a written report's scan, filed write-once

    @classmethod
    def of(cls, row: Interruption) -> InterruptionOut:
        kind, cause = InterruptionKind(row.kind), Cause(row.cause) if row.cause else None
        return cls(
            seq=row.seq,
            kind=kind,
            kind_label=kind.label,
            officer_id=row.officer_id,
            from_=row.start_at,
            to=row.end_at,
            seconds=row.seconds,
            explanation=Explanation(row.explanation) if row.explanation else None,
            voice_recording_id=row.voice_recording_id,
            cause=cause,
            cause_label=cause.label if cause else None,
            text=row.text,
            explained_by=row.explained_by,
            confirmed=row.confirmed_at is not None,
            confirmed_by=row.confirmed_by,
            document=DocumentOut.of(row.document) if row.document else None,
        )


class ActivitySummaryOut(BaseModel):
    id: int
    unit_id: int
    unit: str
    kind: ActivityKind
    kind_label: str
    place: str
    arrived_at: datetime
    ended_at: datetime
    officers: list[OfficerOut]
    announced: bool | None
    obstructed: bool
    case_number: str
    coverage: float = Field(ge=0, le=1)
    no_recording: bool
    unexplained: int
    late_uploads: int
    upload_deadline: datetime

    @classmethod
    def fields_of(cls, activity: Activity) -> dict[str, object]:
        kind = ActivityKind(activity.kind)
        return {
            "id": activity.id,
            "unit_id": activity.unit_id,
            "unit": activity.unit.name,
            "kind": kind,
            "kind_label": kind.label,
            "place": activity.place,
            # In UTC, as the database gives them back: an activity just made from input with an
            # offset (+08:00) answers as it will when read (one vocabulary, CLI and API).
            "arrived_at": activity.arrived_at.astimezone(UTC),
            "ended_at": activity.ended_at.astimezone(UTC),
            "officers": [
                OfficerOut(id=o.person.id, name=o.person.name, badge=o.person.badge)
                for o in activity.officers
            ],
            "announced": activity.announced,
            "obstructed": activity.obstructed,
            "case_number": activity.case_number,
            "coverage": activity.coverage,
            "no_recording": activity.no_recording,
            "unexplained": activity.unexplained,
            "late_uploads": activity.late_uploads,
            "upload_deadline": activity.upload_deadline.astimezone(UTC),
        }

    @classmethod
    def of(cls, activity: Activity) -> ActivitySummaryOut:
        return cls.model_validate(cls.fields_of(activity))


class LinkOut(BaseModel):
    recording_id: int
    how: Literal["auto", "manual"]
    reason: str
    late: bool


class ActivityOut(ActivitySummaryOut):
    obstruction_note: str
    recordings: list[int]
    late_recordings: list[int]
    links: list[LinkOut]
    interruptions: list[InterruptionOut]
    warnings: list[str] = []

    @classmethod
    def of_detail(
        cls,
        activity: Activity,
        links: list[ActivityLink],
        interruptions: list[Interruption],
        warnings: list[str] | None = None,
    ) -> ActivityOut:
        return cls.model_validate(
            {
                **cls.fields_of(activity),
                "obstruction_note": activity.obstruction_note,
                "recordings": [link.recording_id for link in links],
                "late_recordings": [link.recording_id for link in links if link.late],
                "links": [
                    LinkOut(recording_id=x.recording_id, how=x.how, reason=x.reason, late=x.late)
                    for x in links
                ],
                "interruptions": [InterruptionOut.of(row) for row in interruptions],
                "warnings": warnings or [],
            }
        )


def activity_out(
    session: Session, activity: Activity, warnings: list[str] | None = None
) -> ActivityOut:
    """One activity as ``GET /api/v1/activities/{id}`` and ``activity show --json`` give it."""
    links = queries.links_of(session, activity.id)
    return ActivityOut.of_detail(
        activity, links, queries.interruptions_of(session, activity.id), warnings
    )


class ActivityPage(BaseModel):
    total: int
    items: list[ActivitySummaryOut]


class LateUploadOut(BaseModel):
    recording_id: int
    unit_id: int
    unit: str
    officer_id: int | None
    officer: str | None
    activity_id: int | None  # None: outside every activity (its own end + 24 h)
    deadline: datetime
    docked_at: datetime
    hours_late: float


class LateCount(BaseModel):
    id: int | None
    name: str
    count: int


class LateUploadsOut(BaseModel):
    """第十四条's late uploads, listed and counted by officer and by unit."""

    total: int
    items: list[LateUploadOut]
    by_officer: list[LateCount]
    by_unit: list[LateCount]


def late_uploads_out(session: Session, found: list[queries.LateUpload]) -> LateUploadsOut:
    units = _names(session, Unit, {f.unit_id for f in found})
    people = _names(session, Person, {f.officer_id for f in found if f.officer_id})
    items = [
        LateUploadOut(
            recording_id=f.recording_id,
            unit_id=f.unit_id,
            unit=units.get(f.unit_id, ""),
            officer_id=f.officer_id,
            officer=people.get(f.officer_id) if f.officer_id else None,
            activity_id=f.activity_id,
            deadline=f.deadline,
            docked_at=f.docked_at,
            hours_late=round(f.hours_late, 1),
        )
        for f in found
    ]
    return LateUploadsOut(
        total=len(items),
        items=items,
        by_officer=_counted([(i.officer_id, i.officer or "（未知）") for i in items]),
        by_unit=_counted([(i.unit_id, i.unit) for i in items]),
    )


def _names(session: Session, model: type[Unit] | type[Person], ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def _counted(keys: list[tuple[int | None, str]]) -> list[LateCount]:
    counts = Counter(keys)
    return [LateCount(id=k, name=n, count=c) for (k, n), c in counts.most_common()]


class ActivityAmend(In):
    """The facts to change (the others stay) and why."""

    kind: ActivityKind | None = None
    place: str | None = Field(default=None, max_length=500)
    arrived_at: Moment | None = None
    ended_at: Moment | None = None
    officers: list[str] | None = Field(default=None, min_length=1, max_length=20)
    announced: bool | None = None
    obstructed: bool | None = None
    obstruction_note: str | None = Field(default=None, max_length=1000)
    case_number: str | None = Field(default=None, max_length=100)
    zone: str | None = Field(default=None, max_length=100)
    reason: str = Field(min_length=1, max_length=500, description="修改理由")
