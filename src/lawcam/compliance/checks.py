"""The rules as small checks, each yielding what it finds; one collector runs them all (the shape
of paperless-ngx's sanity checker). A check reads; it never writes. Each candidate carries its
stable key (rule + subject, and the person where one subject concerns several), so that a sweep
run twice finds nothing new, and a key that no longer appears means its cause was cured."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.access.models import Sample, SampleItem
from lawcam.access.sample_types import Result
from lawcam.access.types import AccessEvent
from lawcam.activities.models import Activity, ActivityLink, ActivityOfficer, Interruption
from lawcam.audit.models import AuditEvent
from lawcam.compliance.types import Rule
from lawcam.evidence.models import Recording
from lawcam.org.models import Person
from lawcam.timeutil import local


@dataclass(frozen=True)
class Limits:
    """When a cause becomes a finding (Settings: findings_*)."""

    now: datetime
    explain_days: int = 3  # an interruption still unexplained this many days after the activity
    denied_repeats: int = 3  # refused attempts by one person within denied_hours
    denied_hours: int = 24


@dataclass
class Candidate:
    rule: Rule
    subject_type: str
    subject_id: str
    summary: str
    person_id: int | None = None
    unit_id: int | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        person = "" if self.person_id is None else f":person:{self.person_id}"
        return f"{self.rule}:{self.subject_type}:{self.subject_id}{person}"


Check = Callable[[Session, Limits], Iterator[Candidate]]


def _activity_evidence(activity: Activity) -> dict[str, Any]:
    return {
        "kind": "activity",
        "id": activity.id,
        "label": f"执法活动 #{activity.id}（{activity.place}，{local(activity.arrived_at)}）",
    }


def _officers(session: Session, activity_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(activity_ids), 500):
        stmt = select(ActivityOfficer.activity_id, ActivityOfficer.person_id).where(
            ActivityOfficer.activity_id.in_(activity_ids[start : start + 500])
        )
        for activity_id, person_id in session.execute(stmt):
            found[activity_id].append(person_id)
    return found


def _check_no_recording(session: Session, limits: Limits) -> Iterator[Candidate]:
    """(一) An activity whose upload deadline has passed with no recording of it at all."""
    stmt = select(Activity).where(
        Activity.no_recording.is_(True), Activity.upload_deadline < limits.now
    )
    activities = list(session.scalars(stmt))
    officers = _officers(session, [a.id for a in activities])
    for activity in activities:
        for person_id in officers.get(activity.id, []):
            yield Candidate(
                Rule.NO_RECORDING, "activity", str(activity.id),
                f"执法活动 #{activity.id}（{activity.place}）上传期限已过，没有任何录音录像。",
                person_id, activity.unit_id, [_activity_evidence(activity)],
            )  # fmt: skip


def _check_interruption_unexplained(session: Session, limits: Limits) -> Iterator[Candidate]:
    """(一) A gap in the recording still unexplained ``explain_days`` after the activity."""
    due = limits.now - timedelta(days=limits.explain_days)
    stmt = (
        select(Interruption, Activity)
        .join(Activity, Activity.id == Interruption.activity_id)
        .where(
            Interruption.current.is_(True),
            Interruption.explanation.is_(None),
            Activity.ended_at < due,
        )
    )
    rows = list(session.execute(stmt))
    officers = _officers(session, sorted({a.id for _, a in rows}))
    for gap, activity in rows:
        people = [gap.officer_id] if gap.officer_id else officers.get(activity.id, [])
        for person_id in people:
            yield Candidate(
                Rule.INTERRUPTION_UNEXPLAINED, "interruption", f"{activity.id}-{gap.seq}",
                f"执法活动 #{activity.id} 的第 {gap.seq} 处中断（{local(gap.start_at)} 起 "
                f"{round(gap.seconds)} 秒）超过 {limits.explain_days} 天仍未说明。",
                person_id, activity.unit_id, [_activity_evidence(activity)],
            )  # fmt: skip


def _check_late_upload(session: Session, limits: Limits) -> Iterator[Candidate]:
    """(一), 第十四条第（一）项: a recording of an activity docked after its deadline."""
    stmt = (
        select(ActivityLink, Recording, Activity)
        .join(Recording, Recording.id == ActivityLink.recording_id)
        .join(Activity, Activity.id == ActivityLink.activity_id)
        .where(ActivityLink.late.is_(True), ActivityLink.detached_at.is_(None))
    )
    for _link, recording, activity in session.execute(stmt):
        late = recording.ingested_at - activity.upload_deadline
        yield Candidate(
            Rule.LATE_UPLOAD, "recording", str(recording.id),
            f"资料 #{recording.id} 于 {local(recording.ingested_at)} 上传，超过执法活动 "
            f"#{activity.id} 的上传期限 {round(late.total_seconds() / 3600, 1)} 小时。",
            recording.officer_id, recording.unit_id,
            [{"kind": "recording", "id": recording.id, "label": f"资料 #{recording.id}"}, _activity_evidence(activity)],
        )  # fmt: skip


def _check_not_announced(session: Session, limits: Limits) -> Iterator[Candidate]:
    """第十二条 (R12.1): an activity recorded without telling those present."""
    activities = list(session.scalars(select(Activity).where(Activity.announced.is_(False))))
    officers = _officers(session, [a.id for a in activities])
    for activity in activities:
        for person_id in officers.get(activity.id, []):
            yield Candidate(
                Rule.NOT_ANNOUNCED, "activity", str(activity.id),
                f"执法活动 #{activity.id}（{activity.place}）录音录像时未告知当事人。",
                person_id, activity.unit_id, [_activity_evidence(activity)],
            )  # fmt: skip


def _check_access_denied(session: Session, limits: Limits) -> Iterator[Candidate]:
    """(三) Attempts to reach recordings without a grant: one finding for an attempt at a
    recording outside the person's own unit and work (out of scope), and one for each run of
    ``denied_repeats`` other attempts within ``denied_hours`` (keyed by the run's first)."""
    attempts = _refusals(session)
    people = _people(session, list(attempts))
    window = timedelta(hours=limits.denied_hours)
    for person_id, tried in attempts.items():
        unit_id = people.get(person_id)
        outside = [a for a in tried if a.unit_id != unit_id and a.officer_id != person_id]
        for attempt in outside:
            yield _denied(person_id, unit_id, [attempt], "越权调阅其他单位的音像资料被拒绝。")
        inside = [a for a in tried if a not in outside]
        for run in _runs(inside, window, limits.denied_repeats):
            said = f"{len(run)} 次未经批准调阅音像资料的尝试（{local(run[0].at)} 至 {local(run[-1].at)}）被拒绝。"
            yield _denied(person_id, unit_id, run, said)


@dataclass(frozen=True)
class Attempt:
    seq: int
    at: datetime
    recording_id: int
    unit_id: int | None
    officer_id: int | None
    refusal: str


def _refusals(session: Session) -> dict[int, list[Attempt]]:
    """Refused attempts by person, in order; an attempt at an id that names no recording
    counts as outside the person's scope (probing)."""
    stmt = (
        select(AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.actor_person_id, AuditEvent.entry)
        .where(AuditEvent.tag == str(AccessEvent.REFUSED), AuditEvent.actor_person_id.is_not(None))
        .order_by(AuditEvent.actor_person_id, AuditEvent.seq)
    )
    rows = [
        (seq, at, int(pid or 0), json.loads(entry).get("after") or {})
        for seq, at, pid, entry in session.execute(stmt)
    ]
    owners = _owners(session, sorted({int(after.get("recording_id", 0)) for *_, after in rows}))
    found: dict[int, list[Attempt]] = defaultdict(list)
    for seq, at, person_id, after in rows:
        rid = int(after.get("recording_id", 0))
        unit_id, officer_id = owners.get(rid, (None, None))
        found[person_id].append(
            Attempt(seq, at, rid, unit_id, officer_id, str(after.get("refusal", "")))
        )
    return found


def _owners(session: Session, ids: list[int]) -> dict[int, tuple[int | None, int | None]]:
    found: dict[int, tuple[int | None, int | None]] = {}
    for start in range(0, len(ids), 500):
        stmt = select(Recording.id, Recording.unit_id, Recording.officer_id).where(
            Recording.id.in_(ids[start : start + 500])
        )
        found.update({rid: (uid, oid) for rid, uid, oid in session.execute(stmt)})
    return found


def _denied(person_id: int, unit_id: int | None, run: list[Attempt], said: str) -> Candidate:
    evidence = [
        {
            "kind": "audit",
            "id": a.seq,
            "label": f"审计记录 #{a.seq}（资料 #{a.recording_id}，{a.refusal}）",
        }
        for a in run
    ]
    return Candidate(
        Rule.ACCESS_DENIED, "audit", str(run[0].seq), said, person_id, unit_id, evidence
    )


def _runs(attempts: list[Attempt], window: timedelta, repeats: int) -> Iterator[list[Attempt]]:
    """Maximal runs of at least ``repeats`` attempts, each within ``window`` of the run's first."""
    start = 0
    while start < len(attempts):
        end = start
        while end + 1 < len(attempts) and attempts[end + 1].at - attempts[start].at <= window:
            end += 1
        if end - start + 1 >= repeats:
            yield attempts[start : end + 1]
            start = end + 1
        else:
            start += 1


def _people(session: Session, person_ids: list[int]) -> dict[int, int]:
    """Each person's unit."""
    if not person_ids:
        return {}
    stmt = select(Person.id, Person.unit_id).where(Person.id.in_(person_ids))
    return {pid: uid for pid, uid in session.execute(stmt)}


def _check_conduct(session: Session, limits: Limits) -> Iterator[Candidate]:
    """第十三条 (R13.1), 第十八条第（二）项: 不规范 in a conduct-review sample."""
    stmt = (
        select(SampleItem, Sample, Recording)
        .join(Sample, Sample.id == SampleItem.sample_id)
        .join(Recording, Recording.id == SampleItem.recording_id)
        .where(SampleItem.result == str(Result.NONCOMPLIANT))
    )
    for item, sample, recording in session.execute(stmt):
        note = f"：{item.note}" if item.note else ""
        yield Candidate(
            Rule.CONDUCT, "sample_item", str(item.id),
            f"执法规范抽查 #{sample.id} 中资料 #{recording.id} 被评为不规范{note}",
            recording.officer_id, recording.unit_id,
            [{"kind": "sample", "id": sample.id, "label": f"抽查 #{sample.id}"},
             {"kind": "recording", "id": recording.id, "label": f"资料 #{recording.id}"}],
        )  # fmt: skip


CHECKS: tuple[Check, ...] = (
    _check_no_recording,
    _check_interruption_unexplained,
    _check_late_upload,
    _check_not_announced,
    _check_access_denied,
    _check_conduct,
)
