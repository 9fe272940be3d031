"""The city's archive for ``bench/scale.py``: a home bulk-loaded with consistent rows.

The people (units with a unit head and a device administrator each, the officers with a device
each, engineering supervision, the auditor, the security administrator) are made through the
services (every row audited), with logins for the roles measured. The bulk follows one shape:
every device goes out every day of the span (a custody period, 08:00–18:00, the last one still
open), its officer records ``PER_SHIFT`` videos in the shift, the device is docked at 18:30 (an
ingest run), and an activity of the officer's unit is entered for the shift with the first
``LINKED`` recordings attached. A few penalty cases link an activity and some recordings (their
recordings' kept retention states set as the domain sets them), a few thousand findings are
stored, and the audit log holds an entry per activity, per recording's ingest, per finding (and,
when more entries are asked for, views of recordings), each computed by
``lawcam.audit.service._event`` and its Merkle nodes by ``lawcam.audit.merkle`` exactly as
``record_many`` and ``log.append_many`` compute them, so ``lawcam verify --log`` passes.

Rows go in with SQLAlchemy Core executemany on SQLite and COPY (psycopg ``cursor.copy``) on
PostgreSQL (``findings.copy_rows``), ``BATCH`` recordings per transaction. At the audit sizes in
``milestones`` the load stops and the log's verification (``audit.integrity.check_log``) is
timed over the whole log as loaded so far.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from findings import copy_rows
from sqlalchemy import func, select, text

from lawcam.activities.models import Activity, ActivityLink, ActivityOfficer
from lawcam.activities.types import ActivityEvent
from lawcam.audit import merkle
from lawcam.audit.models import AuditEvent, MerkleNode
from lawcam.audit.service import Entry, _event
from lawcam.authz import Actor, Role
from lawcam.compliance.models import Finding
from lawcam.compliance.types import FindingEvent
from lawcam.config import Settings
from lawcam.custody.models import CustodyPeriod
from lawcam.db import Database
from lawcam.equipment import service as equipment
from lawcam.equipment.types import Category, DeviceIn, DeviceStatus, ModelIn
from lawcam.evidence.models import IngestRun, Recording
from lawcam.evidence.types import EvidenceEvent
from lawcam.org import accounts
from lawcam.org import service as org
from lawcam.org.types import PersonIn, UnitClass, UnitIn
from lawcam.retention.models import CaseLink, PenaltyCase, RetentionState
from lawcam.timeutil import add_years

PER_SHIFT = 10  # recordings per custody period
LINKED = 4  # of them attached to the shift's activity
BATCH = 20_000  # recordings per transaction
ROLES = {  # the logins measured: role -> (username, the person's role)
    "officer": Role.OFFICER,
    "unit_head": Role.UNIT_HEAD,
    "device_admin": Role.DEVICE_ADMIN,
    "engineering": Role.ENGINEERING,
    "auditor": Role.AUDITOR,
    "secadmin": Role.SECADMIN,
}
PASSWORD = "Sc9#bench-city-archive"


@dataclass
class Sizes:
    recordings: int
    activities: int
    audit: int
    findings: int
    cases: int
    officers: int
    days: int

    @staticmethod
    def of(
        recordings: int, activities: int | None, audit: int | None, findings: int | None
    ) -> Sizes:
        """Officers and days so that a custody period has PER_SHIFT recordings: 10^7 → 2,000
        officers over 500 days (10^6 periods); 10^6 → 500 over 200 (10^5)."""
        officers = max(8, min(2000, recordings // 5000))
        shifts = max(1, recordings // PER_SHIFT)
        days = max(2, -(-shifts // officers))
        acts = shifts if activities is None else min(activities, shifts)
        return Sizes(
            recordings=recordings,
            activities=acts,
            audit=recordings if audit is None else audit,
            findings=min(5000, max(10, acts // 20)) if findings is None else findings,
            cases=max(5, acts // 100),
            officers=officers,
            days=days,
        )


@dataclass
class Office:
    units: list[int] = field(default_factory=list)
    officers: list[int] = field(default_factory=list)
    badges: list[str] = field(default_factory=list)
    officer_unit: list[int] = field(default_factory=list)
    devices: list[int] = field(default_factory=list)
    serials: list[str] = field(default_factory=list)
    admins: dict[int, Actor] = field(default_factory=dict)  # unit id -> its device admin
    logins: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_people(database: Database, settings: Settings, actor: Actor, sizes: Sizes) -> Office:
    office = Office()
    units = max(4, sizes.officers // 50)
    with database.unit_of_work() as session:
        names = []
        for u in range(units):
            unit = org.create_unit(
                session=session, actor=actor,
                data=UnitIn(name=f"城市执法{u + 1:02d}大队", unit_class=UnitClass.MANY),
            )  # fmt: skip
            office.units.append(unit.id)
            names.append(unit.name)
        equipment.create_model(
            session=session, actor=actor,
            data=ModelIn(maker="基准厂", model="CITY-1", category=Category.BODY_CAMERA),
        )  # fmt: skip

        def person(name: str, unit: int, badge: str, roles: tuple[Role, ...] = ()) -> int:
            data = PersonIn(
                name=name, unit=names[unit], badge=badge, is_officer=not roles, roles=roles
            )
            return org.create_person(session=session, actor=actor, data=data).id

        def login(key: str, person_id: int, unit: int) -> None:
            accounts.create_account(
                session=session, actor=actor, settings=settings, person_id=person_id,
                username=f"scale_{key}", password=PASSWORD, must_change=False,
            )  # fmt: skip
            office.logins[key] = {
                "username": f"scale_{key}", "password": PASSWORD, "person_id": person_id,
                "unit_id": office.units[unit],
            }  # fmt: skip

        for u in range(units):
            head = person(f"大队长{u + 1}", u, f"CH{u:04d}", (Role.UNIT_HEAD,))
            admin = person(f"设备管理员{u + 1}", u, f"CA{u:04d}", (Role.DEVICE_ADMIN,))
            office.admins[office.units[u]] = Actor(
                label=f"设备管理员{u + 1}", source="web", person_id=admin,
                unit_id=office.units[u], roles=frozenset({Role.DEVICE_ADMIN}),
            )  # fmt: skip
            if u == 0:
                login("unit_head", head, 0)
                login("device_admin", admin, 0)
        for key in ("engineering", "auditor", "secadmin"):
            login(key, person(f"基准{key}", 0, f"CX-{key}", (ROLES[key],)), 0)
        for i in range(sizes.officers):
            u = i % units
            badge, serial = f"C{i:05d}", f"CITY-{i:05d}"
            officer = person(f"警员{i}", u, badge)
            device = equipment.create_device(
                session=session, actor=actor,
                data=DeviceIn(
                    serial=serial, asset_no=f"ZC-{serial}", model="CITY-1", unit=names[u],
                    price=Decimal("3280.00"), need="现场执法全过程记录",
                    status=DeviceStatus.IN_SERVICE,
                ),
            )  # fmt: skip
            office.officers.append(officer)
            office.badges.append(badge)
            office.officer_unit.append(office.units[u])
            office.devices.append(device.id)
            office.serials.append(serial)
            if i == 0:
                login("officer", officer, 0)
    return office


# --- the audit log, as record_many writes it -----------------------------------------------------


class Log:
    """Audit rows and their Merkle nodes, continuing the log the services wrote."""

    def __init__(self, database: Database) -> None:
        with database.read() as session:
            self.seq = int(session.scalar(select(func.max(AuditEvent.seq))) or -1) + 1
            keys = merkle.frontier_keys(self.seq)
            stored = dict(
                session.execute(
                    select(MerkleNode.key, MerkleNode.hash).where(
                        MerkleNode.key.in_([MerkleNode.key_of(*k) for k in keys])
                    )
                ).all()
            )
        self.frontier = [(k[0], bytes.fromhex(stored[MerkleNode.key_of(*k)])) for k in keys]
        self.columns = [c.key for c in AuditEvent.__table__.columns if c.key != "id"]

    def add(self, rows: dict[type, list[dict[str, Any]]], actor: Actor, at: datetime,
            entry: Entry) -> None:  # fmt: skip
        event = _event(actor, self.seq, at, entry)
        rows[AuditEvent].append({c: getattr(event, c) for c in self.columns})
        leaf = merkle.leaf_hash(event.entry.encode("utf-8"))
        for (level, index), value in merkle.append_leaf(self.frontier, self.seq, leaf):
            key = MerkleNode.key_of(level, index)
            rows[MerkleNode].append({"key": key, "level": level, "idx": index, "hash": value.hex()})
        self.seq += 1


# --- bulk rows -----------------------------------------------------------------------------------

ORDER = (CustodyPeriod, IngestRun, Recording, Activity, ActivityOfficer, ActivityLink,
         PenaltyCase, CaseLink, RetentionState, Finding, AuditEvent, MerkleNode)  # fmt: skip


def empty() -> dict[type, list[dict[str, Any]]]:
    return {model: [] for model in ORDER}


class Generator:
    """Shift ``s`` (``s // officers`` days after the first): officer/device ``s % officers``,
    custody period, ingest run and activity ``s + 1``, recordings ``PER_SHIFT * s + 1 …``."""

    def __init__(self, office: Office, sizes: Sizes, log: Log, batch: int) -> None:
        self.office, self.sizes, self.log, self.batch = office, sizes, log, batch
        self.shifts = -(-sizes.recordings // PER_SHIFT)
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.first_day = today - timedelta(days=sizes.days)
        self.activity_every = max(1, self.shifts // max(1, sizes.activities))
        self.extra = max(0, sizes.audit - self.planned())  # views of recordings, if asked
        self.random = random.Random(19)
        self.activities: list[tuple[int, int, datetime]] = []  # id, officer index, arrived

    def planned(self) -> int:
        acts = min(self.sizes.activities, -(-self.shifts // self.activity_every))
        return self.sizes.recordings + acts + self.sizes.findings

    def budget(self) -> int:
        return self.sizes.audit - (self.log.seq - self.start_seq)

    def chunks(self) -> Iterator[tuple[dict[type, list[dict[str, Any]]], int]]:
        self.start_seq = self.log.seq
        rows, count = empty(), 0
        for s in range(self.shifts):
            count += self.shift(s, rows)
            if len(rows[Recording]) >= self.batch:
                yield rows, count
                rows = empty()
        self.cases(rows)
        self.findings(rows)
        yield rows, count

    def shift(self, s: int, rows: dict[type, list[dict[str, Any]]]) -> int:
        o, day = s % self.sizes.officers, s // self.sizes.officers
        office, sid = self.office, s + 1
        officer, device, unit = office.officers[o], office.devices[o], office.officer_unit[o]
        admin = office.admins[unit]
        start = self.first_day + timedelta(days=day, hours=0)  # 08:00 Shanghai = 00:00 UTC
        back = start + timedelta(hours=10)
        last = day == self.sizes.days - 1 or s + self.sizes.officers >= self.shifts
        rows[CustodyPeriod].append({
            "id": sid, "device_id": device, "officer_id": officer, "issued_at": start,
            "issued_by": admin.label, "battery_pct": 95, "free_hours": 12.0,
            "clock_offset_s": 0.5, "check_failures": [], "override_reason": "",
            "handed_over_from_id": None, "returned_at": None if last else back,
            "returned_to": None if last else admin.label, "condition": None if last else "ok",
            "return_note": "",
        })  # fmt: skip
        docked = back + timedelta(minutes=30)
        rows[IngestRun].append({
            "id": sid, "device_id": device, "workstation": f"工作站{unit}",
            "source": f"/media/card{sid}", "started_at": docked, "started_by": admin.label,
            "device_time": docked, "clock_offset_s": 0.5, "officer_id": officer,
        })  # fmt: skip
        activity = s % self.activity_every == 0 and s // self.activity_every < self.sizes.activities
        aid = s // self.activity_every + 1
        if activity:
            self.activity(rows, aid, o, start, docked)
        first = PER_SHIFT * s + 1
        for k in range(PER_SHIFT):
            rid = first + k
            if rid > self.sizes.recordings:
                break
            at = start + timedelta(minutes=5 + 55 * k)
            rows[Recording].append(self.recording(rid, o, sid, at, docked))
            if self.budget() > self.extra:
                self.log.add(rows, admin, docked, Entry(
                    EvidenceEvent.RECORDING_INGESTED, ("recording", rid),
                    after={"sha256": f"{rid:064x}", "size": 1000, "device_id": device,
                           "officer_id": officer, "run_id": sid},
                ))  # fmt: skip
            if activity and k < LINKED:
                rows[ActivityLink].append({
                    "id": (aid - 1) * LINKED + k + 1, "activity_id": aid, "recording_id": rid,
                    "how": "auto", "reason": "", "linked_by": "lawcam", "linked_at": docked,
                    "detached_at": None, "detached_by": "", "detach_reason": "", "late": False,
                })  # fmt: skip
        if self.extra and self.budget() > 0:  # more entries than the changes: views
            for _ in range(min(self.budget(), -(-self.extra // self.shifts))):
                rid = self.random.randint(1, PER_SHIFT * sid)
                self.log.add(rows, admin, docked, Entry(
                    "access:content:view", ("recording", rid), after={"recording_id": rid},
                ))  # fmt: skip
        return PER_SHIFT

    def recording(self, rid: int, o: int, run: int, start: datetime, docked: datetime) -> dict:
        end = start + timedelta(minutes=50)
        office = self.office
        return {
            "id": rid, "sha256": f"{rid:064x}", "sm3": f"{rid:064x}", "size": 1000,
            "original_name": f"{office.serials[o]}_{start:%Y%m%d%H%M%S}.MP4",
            "device_id": office.devices[o], "officer_id": office.officers[o],
            "officer_source": "custody", "unit_id": office.officer_unit[o],
            "ingest_run_id": run, "kind": "video", "container": "mp4", "video_codec": "h264",
            "audio_codec": "aac", "duration_s": 3000.0, "width": 1920, "height": 1080,
            "frame_rate": 25.0, "start_at": start, "end_at": end, "start_source": "container",
            "clock_offset_s": 0.5, "corrected_start_at": start, "corrected_end_at": end,
            "ingested_at": docked, "workstation": f"工作站{office.officer_unit[o]}",
            "upload_deadline": end + timedelta(hours=24), "uploaded_late": False,
            "retain_until": add_years(start.date(), 2), "flagged": rid % 997 == 0,
            "problems": [],
        }  # fmt: skip

    def activity(self, rows: dict, aid: int, o: int, start: datetime, docked: datetime) -> None:
        office = self.office
        unit = office.officer_unit[o]
        arrived, ended = start + timedelta(minutes=5), start + timedelta(minutes=5 + 55 * LINKED)
        rows[Activity].append({
            "id": aid, "unit_id": unit, "kind": "inspection", "place": f"中山路 {aid} 号",
            "zone_id": None, "arrived_at": arrived, "ended_at": ended, "announced": True,
            "obstructed": False, "obstruction_note": "", "case_number": "",
            "entry_key": f"{aid:064x}", "created_at": docked, "created_by": office.admins[unit].label,
            "coverage": 1.0, "no_recording": False, "unexplained": 0,
            "upload_deadline": ended + timedelta(hours=24), "late_uploads": 0,
        })  # fmt: skip
        rows[ActivityOfficer].append(
            {"id": aid, "activity_id": aid, "person_id": office.officers[o]}
        )
        self.activities.append((aid, o, arrived))
        if self.budget() > self.extra:
            self.log.add(rows, office.admins[unit], docked, Entry(
                ActivityEvent.ADDED, ("activity", aid),
                after={"id": aid, "place": f"中山路 {aid} 号", "officers": [office.officers[o]]},
            ))  # fmt: skip

    def cases(self, rows: dict) -> None:
        """Penalty cases, open or decided: each an activity and its linked recordings kept
        beyond their promise (an indefinite kept state, as ``retention.enforce`` keeps it)."""
        step = max(1, len(self.activities) // max(1, self.sizes.cases))
        kept: set[int] = set()
        for c, (aid, o, arrived) in enumerate(self.activities[::step][: self.sizes.cases], 1):
            unit = self.office.officer_unit[o]
            rows[PenaltyCase].append({
                "id": c, "number": f"城执罚〔{arrived.year}〕{c:05d}号", "unit_id": unit,
                "title": f"占道经营案 {c}", "parties": f"当事人{c}", "opened_on": arrived.date(),
                "decided_on": None, "closed_on": None, "archived_on": None, "term": "30y",
                "term_years": 30, "status": "open" if c % 3 else "decided",
                "created_by": "bench", "created_at": arrived + timedelta(days=1),
            })  # fmt: skip
            rows[CaseLink].append({
                "id": c, "case_id": c, "recording_id": None, "activity_id": aid,
                "reason": "现场执法记录", "linked_by": "bench",
                "linked_at": arrived + timedelta(days=1), "unlink_reason": "",
                "unlink_requested_by": "", "unlink_requested_by_id": None,
                "unlink_requested_at": None, "unlinked_by": "", "unlinked_at": None,
            })  # fmt: skip
            first = (aid - 1) * self.activity_every * PER_SHIFT  # its shift's recordings
            kept.update(first + k for k in range(1, LINKED + 1))
        for rid in sorted(kept):
            if rid <= self.sizes.recordings:
                rows[RetentionState].append({
                    "recording_id": rid, "unit_id": self.unit_of(rid), "indefinite": True,
                    "retain_until": self.promise_of(rid), "computed_at": datetime.now(UTC),
                    "promise": self.promise_of(rid),
                })  # fmt: skip

    def unit_of(self, rid: int) -> int:
        return self.office.officer_unit[((rid - 1) // PER_SHIFT) % self.sizes.officers]

    def promise_of(self, rid: int) -> Any:
        day = ((rid - 1) // PER_SHIFT) // self.sizes.officers
        return add_years((self.first_day + timedelta(days=day)).date(), 2)

    def findings(self, rows: dict) -> None:
        """Late uploads and unexplained stops of some activities, in every status."""
        statuses = ("pending", "pending", "confirmed", "dismissed", "cured")
        step = max(1, len(self.activities) // max(1, self.sizes.findings))
        for f, (aid, o, arrived) in enumerate(self.activities[::step][: self.sizes.findings], 1):
            rule = "late_upload" if f % 2 else "interruption_unexplained"
            status = statuses[f % len(statuses)]
            found = arrived + timedelta(days=2)
            row = {
                "id": f, "key": f"{rule}:activity:{aid}", "rule": rule, "article": "第十四条",
                "severity": "low", "person_id": self.office.officers[o],
                "unit_id": self.office.officer_unit[o], "subject_type": "activity",
                "subject_id": str(aid), "summary": f"活动 {aid} 的记录未按时上传",
                "evidence": [{"kind": "activity", "id": aid, "label": f"活动 {aid}"}],
                "status": status, "found_at": found, "found_by": "lawcam",
                "cured_at": found if status == "cured" else None,
                "statement_due": found + timedelta(days=5), "statement": "",
                "statement_at": None, "decided_by": "", "decided_by_id": None,
                "decided_at": None, "decision": "", "decision_reason": "", "measure": "",
                "reviewed_by": "", "reviewed_by_id": None, "reviewed_at": None,
                "review_reason": "",
            }  # fmt: skip
            rows[Finding].append(row)
            if self.budget() > 0:
                sweeper = Actor(label="lawcam", source="cli", console=True)
                self.log.add(rows, sweeper, found, Entry(
                    FindingEvent.FOUND, ("finding", f),
                    after={"key": row["key"], "rule": rule, "status": "pending"},
                ))  # fmt: skip


def bulk_load(
    database: Database,
    office: Office,
    sizes: Sizes,
    milestones: list[int],
    on_milestone: Callable[[int], None],
    batch: int = BATCH,
) -> dict[str, float]:
    """Rows in transactions of BATCH recordings; returns the seconds per step and counts."""
    log = Log(database)
    generator = Generator(office, sizes, log, batch)
    started = time.perf_counter()
    made = written = 0.0
    counts: dict[str, float] = {}
    todo = sorted(milestones)
    verify_s = 0.0
    mark = time.perf_counter()
    for rows, done in generator.chunks():
        made += time.perf_counter() - mark
        mark = time.perf_counter()
        with database.unit_of_work() as session:
            for model in ORDER:
                if rows[model]:
                    copy_rows(session, database, model, rows[model])
                    counts[model.__tablename__] = counts.get(model.__tablename__, 0) + len(
                        rows[model]
                    )
        written += time.perf_counter() - mark
        if done and done % (batch * 25) == 0:
            print(f"    {done:,} recordings, {log.seq:,} audit entries, "
                  f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
        while todo and log.seq >= todo[0]:
            todo.pop(0)
            t = time.perf_counter()
            on_milestone(log.seq)
            verify_s += time.perf_counter() - t
        mark = time.perf_counter()
    t = time.perf_counter()
    settle(database)
    counts["settle_s"] = time.perf_counter() - t
    counts["generate_s"], counts["write_s"] = made, written
    counts["total_s"] = time.perf_counter() - started - verify_s
    counts["audit_size"] = log.seq
    return counts


def settle(database: Database) -> None:
    tables = ("custody_period", "ingest_run", "recording", "activity", "activity_officer",
              "activity_link", "penalty_case", "case_link", "finding", "audit_event")  # fmt: skip
    if database.dialect == "postgresql":  # ids were given: move the sequences past them
        with database.unit_of_work() as session:
            for table in tables:
                session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"))  # fmt: skip
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with database.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
