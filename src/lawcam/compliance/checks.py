"""The rules as small checks, each yielding what it finds; one collector runs them all (the shape
of paperless-ngx's sanity checker). A check reads; it never writes. Each candidate carries its
stable key (rule + subject, and the person where one subject concerns several), so that a sweep
run twice finds nothing new, and a key that no longer appears means its cause was cured.

A check may be restricted to some subjects (``Limits.activity_ids`` and the like; None: all):
an incremental sweep looks only at what changed. Restricted, a check yields every candidate
about those subjects and no other, and ``scope`` names the stored findings about the same
subjects, so that the sweep cures among these only. Checks read columns, not entities: a full
sweep reads every late link and every gap of the office."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from lawcam.access.models import SampleItem
from lawcam.access.sample_types import Result
from lawcam.access.types import AccessEvent
from lawcam.activities.models import Activity, ActivityLink, ActivityOfficer, Interruption
from lawcam.audit.models import AuditEvent
from lawcam.compliance.models import Finding
from lawcam.compliance.types import Rule
from lawcam.custody.models import CustodyPeriod, LossCase
from lawcam.custody.types import CaseKind
from lawcam.equipment.models import Device
from lawcam.evidence.models import IngestRun, Recording
from lawcam.org.models import Person
from lawcam.timeutil import local

CHUNK = 500  # ids in one IN (…)
Ids = frozenset[int] | None  # None: every subject


@dataclass(frozen=True)
class Limits:
    """When a cause becomes a finding (Settings: findings_*), and which subjects to look at."""

    now: datetime
    explain_days: int = 3  # an interruption still unexplained this many days after the activity
    denied_repeats: int = 3  # refused attempts by one person within denied_hours
    denied_hours: int = 24
    activity_ids: Ids = None  # no_recording, interruption_unexplained, not_announced
    recording_ids: Ids = None  # late_upload
    person_ids: Ids = None  # access_denied: the person who tried
    item_ids: Ids = None  # conduct: sample items

    @property
    def restricted(self) -> bool:
        return any(
            ids is not None
            for ids in (self.activity_ids, self.recording_ids, self.person_ids, self.item_ids)
        )


@dataclass
class Candidate:
    rule: Rule
    subject_type: str
    subject_id: str
    summary: str
    person_id: int | None = None
    unit_id: int | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    # The summary and evidence, written only when the candidate is stored: a full sweep sees
    # tens of thousands it already knows, and their dates cost more to write than to read.
    describe: Describe | None = None

    def described(self) -> Candidate:
        if self.describe is not None:
            self.summary, self.evidence = self.describe()
            self.describe = None
        return self

    @property
    def key(self) -> str:
        person = "" if self.person_id is None else f":person:{self.person_id}"
        return f"{self.rule}:{self.subject_type}:{self.subject_id}{person}"


Check = Callable[[Session, Limits], Iterator[Candidate]]
Described = tuple[str, list[dict[str, Any]]]  # a summary and the evidence
Describe = Callable[[], Described]
S = TypeVar("S")  # a Select


def chunks(ids: Collection[int] | None) -> Iterator[list[int] | None]:
    """None once (no restriction), or the ids sorted, CHUNK at a time (none: nothing)."""
    if ids is None:
        yield None
        return
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def within(stmt: S, column: Any, chunk: list[int] | None) -> S:
    """``stmt`` (a Select) restricted to the chunk's ids of ``column``."""
    query: Any = stmt
    return stmt if chunk is None else query.where(column.in_(chunk))


def _activity_evidence(activity_id: int, place: str, arrived_at: datetime) -> dict[str, Any]:
    return {
        "kind": "activity",
        "id": activity_id,
        "label": f"执法活动 #{activity_id}（{place}，{local(arrived_at)}）",
    }


def _about_activity(said: str, aid: int, place: str, arrived: datetime) -> Described:
    return said, [_activity_evidence(aid, place, arrived)]


def _about_gap(
    days: int, seq: int, start: datetime, end: datetime, aid: int, place: str, arrived: datetime
) -> Described:
    said = (
        f"执法活动 #{aid} 的第 {seq} 处中断（{local(start)} 起 "
        f"{round((end - start).total_seconds())} 秒）超过 {days} 天仍未说明。"
    )
    return said, [_activity_evidence(aid, place, arrived)]


def _about_late(
    rid: int, ingested: datetime, deadline: datetime, aid: int, place: str, arrived: datetime
) -> Described:
    hours = round((ingested - deadline).total_seconds() / 3600, 1)
    said = f"资料 #{rid} 于 {local(ingested)} 上传，超过执法活动 #{aid} 的上传期限 {hours} 小时。"
    evidence = [{"kind": "recording", "id": rid, "label": f"资料 #{rid}"}]
    return said, [*evidence, _activity_evidence(aid, place, arrived)]


def _with_officers(stmt: Any) -> Any:
    """Each activity row once per officer (none: no row), in a stable order."""
    return (
        stmt.add_columns(ActivityOfficer.person_id)
        .join(ActivityOfficer, ActivityOfficer.activity_id == Activity.id)
        .order_by(Activity.id, ActivityOfficer.person_id)
    )


ACTIVITY = (Activity.id, Activity.place, Activity.arrived_at, Activity.unit_id)


def _check_no_recording(session: Session, limits: Limits) -> Iterator[Candidate]:
    """(一) An activity whose upload deadline has passed with no recording of it at all."""
    for chunk in chunks(limits.activity_ids):
        stmt = select(*ACTIVITY).where(
            Activity.no_recording.is_(True), Activity.upload_deadline < limits.now
        )
        for aid, place, arrived, unit_id, person_id in session.execute(
            _with_officers(within(stmt, Activity.id, chunk))
        ):
            said = f"执法活动 #{aid}（{place}）上传期限已过，没有任何录音录像。"
            yield Candidate(
                Rule.NO_RECORDING, "activity", str(aid), "", person_id, unit_id,
                describe=partial(_about_activity, said, aid, place, arrived),
            )  # fmt: skip


def _check_interruption_unexplained(session: Session, limits: Limits) -> Iterator[Candidate]:
    """(一) A gap in the recording still unexplained ``explain_days`` after the activity: the
    gap's officer's, or every officer's when the gap is the activity's."""
    due = limits.now - timedelta(days=limits.explain_days)
    person = func.coalesce(Interruption.officer_id, ActivityOfficer.person_id)
    for chunk in chunks(limits.activity_ids):
        stmt = (
            select(Interruption.seq, Interruption.start_at, Interruption.end_at, *ACTIVITY, person)
            .join(Activity, Activity.id == Interruption.activity_id)
            .outerjoin(
                ActivityOfficer,
                and_(Interruption.officer_id.is_(None), ActivityOfficer.activity_id == Activity.id),
            )
            .where(
                Interruption.current.is_(True),
                Interruption.explanation.is_(None),
                Activity.ended_at < due,
            )
            .order_by(Activity.id, Interruption.seq, person)
        )
        for seq, start, end, aid, place, arrived, unit_id, person_id in session.execute(
            within(stmt, Activity.id, chunk)
        ):
            if person_id is None:
                continue
            yield Candidate(
                Rule.INTERRUPTION_UNEXPLAINED, "interruption", f"{aid}-{seq}", "",
                person_id, unit_id,
                describe=partial(_about_gap, limits.explain_days, seq, start, end, aid, place, arrived),
            )  # fmt: skip


def _check_late_upload(session: Session, limits: Limits) -> Iterator[Candidate]:
    """(一), 第十四条第（一）项: a recording of an activity docked after its deadline."""
    for chunk in chunks(limits.recording_ids):
        columns = (
            Recording.id, Recording.ingested_at, Recording.officer_id, Recording.unit_id,
            Activity.upload_deadline, *ACTIVITY[:3],
        )  # fmt: skip
        stmt = (
            select(*columns)
            .select_from(ActivityLink)
            .join(Recording, Recording.id == ActivityLink.recording_id)
            .join(Activity, Activity.id == ActivityLink.activity_id)
            .where(ActivityLink.late.is_(True), ActivityLink.detached_at.is_(None))
            .order_by(Recording.id, Activity.id)
        )
        for rid, ingested, officer_id, unit_id, deadline, aid, place, arrived in session.execute(
            within(stmt, ActivityLink.recording_id, chunk)
        ):
            yield Candidate(
                Rule.LATE_UPLOAD, "recording", str(rid), "", officer_id, unit_id,
                describe=partial(_about_late, rid, ingested, deadline, aid, place, arrived),
            )  # fmt: skip


def _check_not_announced(session: Session, limits: Limits) -> Iterator[Candidate]:
    """第十二条 (R12.1): an activity recorded without telling those present."""
    for chunk in chunks(limits.activity_ids):
        stmt = select(*ACTIVITY).where(Activity.announced.is_(False))
        for aid, place, arrived, unit_id, person_id in session.execute(
            _with_officers(within(stmt, Activity.id, chunk))
        ):
            said = f"执法活动 #{aid}（{place}）录音录像时未告知当事人。"
            yield Candidate(
                Rule.NOT_ANNOUNCED, "activity", str(aid), "", person_id, unit_id,
                describe=partial(_about_activity, said, aid, place, arrived),
            )  # fmt: skip


def _check_access_denied(session: Session, limits: Limits) -> Iterator[Candidate]:
    """(三) Attempts to reach recordings without a grant: one finding for an attempt at a
    recording outside the person's own unit and work (out of scope), and one for each run of
    ``denied_repeats`` other attempts within ``denied_hours`` (keyed by the run's first)."""
    attempts = _refusals(session, limits.person_ids)
    people = _people(session, list(attempts))
    window = timedelta(hours=limits.denied_hours)
    for person_id, tried in attempts.items():
        unit_id = people.get(person_id)
        inside = []
        for attempt in tried:
            if attempt.unit_id != unit_id and attempt.officer_id != person_id:
                yield _denied(person_id, unit_id, [attempt], "越权调阅其他单位的音像资料被拒绝。")
            else:
                inside.append(attempt)
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


def _refusals(session: Session, person_ids: Ids) -> dict[int, list[Attempt]]:
    """Refused attempts by person, in order; an attempt at an id that names no recording
    counts as outside the person's scope (probing)."""
    rows = []
    for chunk in chunks(person_ids):
        stmt = (
            select(AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.actor_person_id, AuditEvent.after)
            .where(AuditEvent.tag == str(AccessEvent.REFUSED), AuditEvent.actor_person_id.is_not(None))
            .order_by(AuditEvent.actor_person_id, AuditEvent.seq)
        )  # fmt: skip
        rows += [
            (seq, at, int(pid or 0), json.loads(after or "{}"))
            for seq, at, pid, after in session.execute(
                within(stmt, AuditEvent.actor_person_id, chunk)
            )
        ]
    owners = _owners(session, {int(after.get("recording_id", 0)) for *_, after in rows})
    found: dict[int, list[Attempt]] = defaultdict(list)
    for seq, at, person_id, after in rows:
        rid = int(after.get("recording_id", 0))
        unit_id, officer_id = owners.get(rid, (None, None))
        found[person_id].append(
            Attempt(seq, at, rid, unit_id, officer_id, str(after.get("refusal", "")))
        )
    return found


def _owners(session: Session, ids: Collection[int]) -> dict[int, tuple[int | None, int | None]]:
    found: dict[int, tuple[int | None, int | None]] = {}
    for chunk in chunks(ids):
        stmt = select(Recording.id, Recording.unit_id, Recording.officer_id)
        found.update(
            {
                rid: (uid, oid)
                for rid, uid, oid in session.execute(within(stmt, Recording.id, chunk))
            }
        )
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
    found: dict[int, int] = {}
    for chunk in chunks(person_ids):
        stmt = select(Person.id, Person.unit_id).where(Person.id.in_(chunk or []))
        found.update({pid: uid for pid, uid in session.execute(stmt)})
    return found


def _check_conduct(session: Session, limits: Limits) -> Iterator[Candidate]:
    """第十三条 (R13.1), 第十八条第（二）项: 不规范 in a conduct-review sample."""
    for chunk in chunks(limits.item_ids):
        columns = (
            SampleItem.id, SampleItem.note, SampleItem.sample_id,
            Recording.id, Recording.officer_id, Recording.unit_id,
        )  # fmt: skip
        stmt = (
            select(*columns)
            .join(Recording, Recording.id == SampleItem.recording_id)
            .where(SampleItem.result == str(Result.NONCOMPLIANT))
            .order_by(SampleItem.id)
        )
        for item_id, note, sample_id, rid, officer_id, unit_id in session.execute(
            within(stmt, SampleItem.id, chunk)
        ):
            said = f"：{note}" if note else ""
            yield Candidate(
                Rule.CONDUCT, "sample_item", str(item_id),
                f"执法规范抽查 #{sample_id} 中资料 #{rid} 被评为不规范{said}",
                officer_id, unit_id,
                [{"kind": "sample", "id": sample_id, "label": f"抽查 #{sample_id}"},
                 {"kind": "recording", "id": rid, "label": f"资料 #{rid}"}],
            )  # fmt: skip


def _check_lost_device(session: Session, limits: Limits) -> Iterator[Candidate]:
    """(五) A device lost while it held recordings not yet uploaded: nothing was docked from it
    since its last custodian took it out. Named: that custodian. Lost devices are few, so this
    check reads them all, restricted or not."""
    stmt = (
        select(
            LossCase.id,
            LossCase.custodian_id,
            LossCase.opened_at,
            Device.id,
            Device.serial,
            Device.unit_id,
        )
        .join(Device, Device.id == LossCase.device_id)
        .where(LossCase.kind == str(CaseKind.LOSS))
    )
    for case_id, custodian_id, opened_at, device_id, serial, unit_id in session.execute(stmt):
        period = _last_period(session, device_id, opened_at)
        if period is None or _docked_since(session, device_id, period[1]):
            continue
        yield Candidate(
            Rule.OBJECT_MISSING, "loss_case", str(case_id),
            f"设备 {serial} 于 {local(opened_at)} 登记丢失；自 {local(period[1])} 领用后未上传任何资料，"
            "其中的执法记录可能随设备丢失。",
            custodian_id or period[0], unit_id,
            [{"kind": "loss_case", "id": case_id, "label": f"丢失案件 #{case_id}（设备 {serial}）"},
             {"kind": "device", "id": device_id, "label": f"设备 {serial}"}],
        )  # fmt: skip


def _last_period(session: Session, device_id: int, before: datetime) -> tuple[int, datetime] | None:
    """The custodian and the start of the device's last custody period begun before ``before``."""
    stmt = (
        select(CustodyPeriod.officer_id, CustodyPeriod.issued_at)
        .where(CustodyPeriod.device_id == device_id, CustodyPeriod.issued_at <= before)
        .order_by(CustodyPeriod.issued_at.desc())
        .limit(1)
    )
    row = session.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def _docked_since(session: Session, device_id: int, since: datetime) -> bool:
    stmt = select(IngestRun.id).where(
        IngestRun.device_id == device_id, IngestRun.started_at >= since
    )
    return session.scalar(stmt.limit(1)) is not None


CHECKS: tuple[Check, ...] = (
    _check_no_recording,
    _check_interruption_unexplained,
    _check_late_upload,
    _check_not_announced,
    _check_access_denied,
    _check_conduct,
    _check_lost_device,
)


# --- which stored findings a restricted sweep may cure ------------------------------------------


def scope(session: Session, limits: Limits) -> Iterator[ColumnElement[bool]]:
    """Conditions on Finding, a chunk at a time, that together name the stored findings about
    the subjects a restricted ``limits`` names (every set given; None counts as none): those
    the restricted checks would find again if their cause were still there."""
    yield from _subjects((Rule.NO_RECORDING, Rule.NOT_ANNOUNCED), "activity", limits.activity_ids)
    yield from _subjects(
        (Rule.INTERRUPTION_UNEXPLAINED,), "interruption", _gaps(session, limits.activity_ids)
    )
    yield from _subjects((Rule.LATE_UPLOAD,), "recording", limits.recording_ids)
    yield from _subjects((Rule.CONDUCT,), "sample_item", limits.item_ids)
    for chunk in chunks(limits.person_ids):
        yield and_(Finding.rule == str(Rule.ACCESS_DENIED), Finding.person_id.in_(chunk or []))


def _subjects(
    rules: tuple[Rule, ...], subject_type: str, ids: Iterable[int | str] | None
) -> Iterator[ColumnElement[bool]]:
    listed = sorted(str(i) for i in ids or ())
    for start in range(0, len(listed), CHUNK):
        yield and_(
            Finding.subject_type == subject_type,
            Finding.subject_id.in_(listed[start : start + CHUNK]),
            Finding.rule.in_([str(r) for r in rules]),
        )


def _gaps(session: Session, activity_ids: Ids) -> list[str]:
    """Every interruption of these activities, current or not (a row is never deleted)."""
    found: list[str] = []
    for chunk in chunks(activity_ids or frozenset()):
        stmt = select(Interruption.activity_id, Interruption.seq).where(
            Interruption.activity_id.in_(chunk or [])
        )
        found += [f"{aid}-{seq}" for aid, seq in session.execute(stmt)]
    return found
