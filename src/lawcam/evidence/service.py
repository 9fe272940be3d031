"""Changes to evidence records. Each writes its audit row in the caller's transaction and
never commits; ``ingest`` drives them one file per transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Action, Actor
from lawcam.config import Settings
from lawcam.custody.models import CustodyPeriod
from lawcam.equipment.models import Device
from lawcam.errors import InvalidInput
from lawcam.evidence import retention
from lawcam.evidence.models import Correction, IngestRun, Recording, Sighting
from lawcam.evidence.stream import Digests
from lawcam.evidence.timing import (
    clock_offset,
    corrected,
    retention_date,
    shifted,
    upload_deadline,
)
from lawcam.evidence.types import (
    CorrectableField,
    EvidenceEvent,
    MediaFacts,
    Problem,
    StartSource,
)
from lawcam.org.models import Person
from lawcam.org.queries import person_by_badge, unit_scope
from lawcam.storage import BlobStore
from lawcam.timeutil import utcnow

EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)  # before it, a clock never set (probe)


def ingest_units(session: Session, actor: Actor) -> set[int] | None:
    """The units whose devices and officers the actor may dock and upload for: its own unit
    and the units below it (a workstation token: its account's unit); the console all (None)."""
    actor.require(Action.EVIDENCE_INGEST)
    if actor.console:
        return None
    return unit_scope(session, actor.unit_id) if actor.unit_id is not None else set()


def docking_device(session: Session, actor: Actor, serial: str) -> Device:
    """R15: only the office's registered devices connect to a workstation, and a workstation
    docks only its own unit's devices (another unit's is refused as not registered here)."""
    units = ingest_units(session, actor)
    serial = serial.strip()
    device = session.scalars(select(Device).where(Device.serial == serial)).first()
    if device is not None and units is not None and device.unit_id not in units:
        raise InvalidInput(
            f"设备序列号“{serial}”不是本单位登记的设备，拒绝导入：工作站只能导入本单位的执法记录仪。"
            "请由该设备所属单位的执法记录仪管理员在本单位工作站导入。",
            field="device",
        )
    if device is None:
        raise InvalidInput(
            f"设备序列号“{serial}”未在本办登记，拒绝导入：只有登记在册的执法记录仪才能接入工作站。"
            "请执法记录仪管理员先登记该设备（“设备”页面的“登记设备”，或命令 "
            f"lawcam device add --serial {serial} --asset 资产编号 --model 型号 --unit 单位 --price 价格 --need 执法需求），再重新导入。",
            field="device",
        )
    return device


def given_officer(session: Session, badge: str | None) -> Person | None:
    if not badge:
        return None
    officer = person_by_badge(session, badge)
    if officer is None or not officer.is_officer:
        raise InvalidInput(f"执法证号 {badge.strip()} 不是本办登记的执法人员。", field="officer")
    return officer


def docking_officer(session: Session, actor: Actor, badge: str | None) -> Person | None:
    """The officer named at docking: one of the caller's own units' officers."""
    officer = given_officer(session, badge)
    units = ingest_units(session, actor)
    if officer is not None and units is not None and officer.unit_id not in units:
        raise InvalidInput(
            f"执法证号 {officer.badge} 不是本单位的执法人员，不能为其导入资料。", field="officer"
        )
    return officer


@dataclass(frozen=True)
class Docking:
    """What the workstation knows when a device is docked."""

    device: Device
    workstation: str
    source: str
    device_time: datetime | None
    officer: Person | None


def open_run(*, session: Session, actor: Actor, docking: Docking) -> IngestRun:
    now = utcnow()
    offset = clock_offset(docking.device_time, now) if docking.device_time else None
    run = IngestRun(
        device_id=docking.device.id,
        workstation=docking.workstation[:200],
        source=docking.source[:1000],
        started_at=now,
        started_by=actor.label,
        device_time=docking.device_time,
        clock_offset_s=offset,
        officer_id=docking.officer.id if docking.officer else None,
    )
    session.add(run)
    session.flush()
    after = {
        "device": docking.device.serial,
        "workstation": run.workstation,
        "source": run.source,
        "clock_offset_s": offset,
    }
    record(session, actor, EvidenceEvent.INGEST_RUN, ("ingest_run", run.id), after=after)
    return run


def officer_in_custody(session: Session, device_id: int, at: datetime) -> Person | None:
    """Who held the device when the recording started, from the ledger (R9.2)."""
    stmt = (
        select(CustodyPeriod)
        .where(CustodyPeriod.device_id == device_id, CustodyPeriod.issued_at <= at)
        .where((CustodyPeriod.returned_at.is_(None)) | (CustodyPeriod.returned_at >= at))
        .order_by(CustodyPeriod.issued_at.desc())
    )
    period = session.scalars(stmt).first()
    return period.officer if period else None


def recording_by_sha(session: Session, sha256: str) -> Recording | None:
    return session.scalars(select(Recording).where(Recording.sha256 == sha256)).first()


def source_key(path: str) -> str:
    """A path as the sightings table keeps it (the column holds 1000 characters)."""
    return path[:1000]


def known_file(
    session: Session, device_id: int, source_path: str, size: int, mtime_ns: int
) -> Recording | None:
    """A file this device delivered before, unchanged by size and time: a re-run hashes it
    to confirm, but need not write it again."""
    stmt = select(Sighting).where(
        Sighting.device_id == device_id,
        Sighting.source_path == source_key(source_path),
        Sighting.size == size,
        Sighting.mtime_ns == mtime_ns,
    )
    sighting = session.scalars(stmt).first()
    return session.get(Recording, sighting.recording_id) if sighting else None


@dataclass(frozen=True)
class SourceFacts:
    """The file as found on the device."""

    path: str  # relative to the docked folder, for people
    name: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Limits:
    max_clock_offset_s: float
    deadline_hours: int
    retention_years: int


def plan_recording(
    session: Session,
    run: IngestRun,
    facts: MediaFacts,
    fallback_officer: Person | None,
    limits: Limits,
) -> Recording:
    """The recording row for a file, not yet added: times, officer, deadline and retention."""
    if facts.start_at is None:  # probe always falls back to mtime; guard the type anyway
        raise ValueError("probe gave no start time")
    start = facts.start_at
    end = shifted(start, _duration(facts))
    offset = run.clock_offset_s
    corrected_start, corrected_end = corrected(start, offset), corrected(end, offset)
    problems = list(facts.problems)
    if offset is not None and abs(offset) > limits.max_clock_offset_s:
        problems.append(
            Problem(
                "clock_offset",
                f"设备时钟与工作站相差 {offset:+.0f} 秒，超过允许的 {limits.max_clock_offset_s:.0f} 秒"
                "（第十一条）；已按偏差计算校正时间，原始时间不变。",
            )
        )
    officer = officer_in_custody(session, run.device_id, corrected_start or start)
    officer_source = "custody"
    if officer is None:
        officer, officer_source = fallback_officer, "given"
    if officer is None:
        officer_source = "unknown"
        problems.append(
            Problem(
                "officer_unknown", "录制时该设备没有领用记录，也未指定执法人员：无法确定执法人员。"
            )
        )
    device = session.get(Device, run.device_id)
    assert device is not None
    now = utcnow()
    deadline = upload_deadline(corrected_end or end, limits.deadline_hours)
    return Recording(
        officer_id=officer.id if officer else None,
        officer_source=officer_source,
        unit_id=officer.unit_id if officer else device.unit_id,
        device_id=run.device_id,
        ingest_run_id=run.id,
        kind=str(facts.kind),
        container=facts.container,
        video_codec=facts.video_codec,
        audio_codec=facts.audio_codec,
        duration_s=facts.duration_s,
        width=facts.width,
        height=facts.height,
        frame_rate=facts.frame_rate,
        start_at=start,
        end_at=end,
        start_source=str(facts.start_source or StartSource.MTIME),
        clock_offset_s=offset,
        corrected_start_at=corrected_start,
        corrected_end_at=corrected_end,
        ingested_at=now,
        workstation=run.workstation,
        upload_deadline=deadline,
        uploaded_late=now > deadline,
        retain_until=_retention(start, corrected_start, now, limits.retention_years),
        flagged=bool(problems),
        problems=[problem.as_dict() for problem in problems],
    )


def _retention(
    start: datetime, corrected_start: datetime | None, now: datetime, years: int
) -> date:
    """R14.2: kept ``years`` calendar years from the recording day, and never less than that
    from the ingest day: a device clock years behind (or never set) would otherwise give a date
    already past, which an S3 store refuses as a lock. A clock ahead counts as it stands, by
    whichever clock gives the later day: retention errs on keeping longer."""
    return max(retention_date(at, years) for at in (start, corrected_start or start, now))


def _duration(facts: MediaFacts) -> timedelta:
    return timedelta(seconds=max(facts.duration_s or 0.0, 0.0))


def add_recording(
    *,
    session: Session,
    actor: Actor,
    planned: Recording,
    digests: Digests,
    source: SourceFacts,
    adopted: bool,
) -> Recording:
    planned.sha256, planned.sm3, planned.size = digests.sha256, digests.sm3, digests.size
    planned.original_name = source.name[:1000]
    session.add(planned)
    session.flush()
    run = session.get(IngestRun, planned.ingest_run_id)
    assert run is not None
    sighting = _add_sighting(session, planned, run, source, duplicate=False)
    tag = EvidenceEvent.RECORDING_ADOPTED if adopted else EvidenceEvent.RECORDING_INGESTED
    # Every column of both write-once rows: verify checks each against this entry (R15.1).
    after = {**planned.snapshot(), "sighting": sighting.snapshot()}
    record(session, actor, tag, ("recording", planned.id), after=after)
    return planned


def add_sighting(
    *, session: Session, actor: Actor, recording: Recording, run_id: int, source: SourceFacts
) -> bool:
    """A duplicate: the same bytes seen again, on the device docked now. The same file seen
    again by the same device at the same place adds nothing, so that running an ingest twice
    adds nothing (a unique index settles two workstations racing on it)."""
    run = session.get(IngestRun, run_id)
    assert run is not None
    if known_file(session, run.device_id, source.path, source.size, source.mtime_ns):
        return False
    sighting = _add_sighting(session, recording, run, source, duplicate=True)
    after = {
        "path": sighting.source_path,
        "ingest_run_id": run_id,
        "device_id": run.device_id,
        "sighting": sighting.snapshot(),  # every column, checked by verify (R15.1)
    }
    record(
        session, actor, EvidenceEvent.RECORDING_SIGHTED, ("recording", recording.id), after=after
    )
    return True


def _add_sighting(
    session: Session, recording: Recording, run: IngestRun, source: SourceFacts, *, duplicate: bool
) -> Sighting:
    path = source_key(source.path)
    sighting = Sighting(
        recording_id=recording.id,
        ingest_run_id=run.id,
        device_id=run.device_id,
        source_path=path,
        source_hash=hashlib.sha256(path.encode("utf-8")).hexdigest(),
        size=source.size,
        mtime_ns=source.mtime_ns,
        seen_at=utcnow(),
        duplicate=duplicate,
    )
    session.add(sighting)
    session.flush()
    return sighting


def record_refusal(
    *, session: Session, actor: Actor, run_id: int, path: str, problem: Problem
) -> None:
    """A file not stored: the reason is audited; the source stays as it was on the device."""
    after = {"path": path[:1000], "ingest_run_id": run_id, **problem.as_dict()}
    record(session, actor, EvidenceEvent.FILE_REFUSED, ("ingest_run", run_id), after=after)


def correct(
    *,
    session: Session,
    actor: Actor,
    recording: Recording,
    field: CorrectableField,
    value: str,
    reason: str,
    settings: Settings,
    store: BlobStore,
) -> Correction:
    """A new fact beside the original; the recording row itself is never changed. A corrected
    start time re-dates the recording, so its retention is counted again (R14.2): ``settings``
    gives the years, ``store`` holds the lock that follows an extension."""
    actor.require(Action.RECORDING_CORRECT)
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("更正必须说明理由。", field="reason")
    value = _checked_value(session, field, value)
    correction = Correction(
        recording_id=recording.id,
        field=str(field),
        value=value,
        reason=reason[:1000],
        corrected_by=actor.label,
        corrected_at=utcnow(),
    )
    session.add(correction)
    session.flush()
    after = {
        "field": str(field),
        "value": value,
        "reason": correction.reason,
        "correction": correction.snapshot(),  # every column, checked by verify (R15.1)
    }
    record(
        session, actor, EvidenceEvent.RECORDING_CORRECTED, ("recording", recording.id), after=after
    )
    if field is CorrectableField.START_AT:
        _retain_from_corrected_start(session, actor, recording, correction, settings, store)
    return correction


def _retain_from_corrected_start(
    session: Session,
    actor: Actor,
    recording: Recording,
    correction: Correction,
    settings: Settings,
    store: BlobStore,
) -> None:
    """R14.2 counts from the recording day, never from less than the ingest day: a later
    corrected start extends the effective retention (and the store's lock); an earlier one
    shortens nothing, since the effective retention only ever grows."""
    start = datetime.fromisoformat(correction.value)
    until = _retention(start, None, recording.ingested_at, settings.retention_years)
    reason = (
        f"开始时间更正（更正 #{correction.id}）为 {correction.value}，"
        f"保存期限按更正后的录制日重新计算（第十四条）。"
    )
    retention.extend(
        session=session, actor=actor, recording=recording, until=until, reason=reason, store=store
    )


def _plausible_start(start: datetime) -> None:
    """A corrected start is a real moment: not in the future, not before 2000. It moves the
    retention, which never shrinks again, so a typing error must not keep an original for ever."""
    if start > utcnow():
        raise InvalidInput("更正后的开始时间不能晚于现在。", field="value")
    if start < EARLIEST_START:
        raise InvalidInput("更正后的开始时间不能早于 2000 年。", field="value")


def _checked_value(session: Session, field: CorrectableField, value: str) -> str:
    value = value.strip()
    if field is CorrectableField.OFFICER:
        try:
            officer = given_officer(session, value)
        except InvalidInput as exc:  # the form's field is the value, not "officer"
            raise InvalidInput(exc.message, field="value") from None
        assert officer is not None
        return officer.badge or value
    if field is CorrectableField.START_AT:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                "开始时间格式应为 ISO 8601，例如 2026-11-30T08:00:00+08:00。", field="value"
            ) from None
        if parsed.tzinfo is None:
            raise InvalidInput("开始时间须带时区，例如 +08:00。", field="value")
        _plausible_start(parsed)
        return parsed.isoformat()
    if not value:
        raise InvalidInput("备注不能为空。", field="value")
    return value[:1000]
