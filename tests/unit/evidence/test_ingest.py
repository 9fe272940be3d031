"""The ingest path through its service API (issue #5, R14.1, R15.1, R11.2, R14.2): a docked
folder of real media and broken files, all stored and the broken ones flagged; a second run adds
nothing; the source untouched; digests, content addresses, deadlines, retention, clock offsets,
the officer; an unregistered device refused; recordings write-once in the database.

``Dock`` and ``snapshot`` are used by test_bad_input.py as well."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.custody import service as custody
from lawcam.custody.types import CheckLimits, CheckoutIn, Condition, PreUseCheck
from lawcam.db import Database
from lawcam.errors import Conflict, InvalidInput
from lawcam.evidence import ingest as ingest_module
from lawcam.evidence.ingest import FileResult, IngestReport, IngestRequest, Progress, ingest_folder
from lawcam.evidence.models import IngestRun, Recording, Sighting
from lawcam.evidence.timing import retention_date
from lawcam.evidence.types import EvidenceEvent, FileStatus
from lawcam.storage.local import TMP_DIR, LocalStore
from lawcam.timeutil import SHANGHAI, utcnow
from tests import media
from tests.factories import Office, build_office

SERIAL = "T2-0001"  # the body camera of 执法二处 (tests/factories.py)
OFFICER = "T9001"  # 二处执法员, an officer of 执法二处
SPARE = "T9002"  # 备用人员, another officer of 执法二处
WORKSTATION = "二处工作站-01"
CHINESE = re.compile(r"[\u4e00-\u9fff]")

ingest_req = pytest.mark.req("R14.1")
write_once = pytest.mark.req("R15.1")
clock_req = pytest.mark.req("R11.2")
retention_req = pytest.mark.req("R14.2")


# --- helpers (also used by test_bad_input.py) --------------------------------------------------


@dataclass
class Dock:
    """A workstation with the test office: ingest a folder, then look at what it left."""

    database: Database
    settings: Settings
    actor: Actor
    store: LocalStore
    office: Office

    def ingest(
        self,
        folder: Path,
        *,
        serial: str = SERIAL,
        device_time: datetime | None = None,
        officer_badge: str | None = None,
        progress: Progress | None = None,
        store: Any = None,
    ) -> IngestReport:
        request = IngestRequest(
            path=folder,
            device_serial=serial,
            workstation=WORKSTATION,
            device_time=device_time,
            officer_badge=officer_badge,
        )
        return ingest_folder(
            database=self.database,
            store=store or self.store,
            settings=self.settings,
            actor=self.actor,
            request=request,
            progress=progress,
        )

    def recording(self, recording_id: int | None) -> Recording:
        assert recording_id is not None
        with self.database.read() as session:
            found = session.get(Recording, recording_id)
            assert found is not None
            return found

    def recordings(self) -> list[Recording]:
        with self.database.read() as session:
            return list(session.scalars(select(Recording).order_by(Recording.id)))

    def sightings(self) -> list[Sighting]:
        with self.database.read() as session:
            return list(session.scalars(select(Sighting).order_by(Sighting.id)))

    def runs(self) -> list[IngestRun]:
        with self.database.read() as session:
            return list(session.scalars(select(IngestRun).order_by(IngestRun.id)))

    def objects(self) -> set[str]:
        return {found.sha256 for found in self.store.objects()}

    def temp_files(self) -> list[str]:
        return os.listdir(self.store.root / TMP_DIR)

    def totals(self) -> tuple[int, int, int]:
        """Recordings, sightings and stored objects."""
        return len(self.recordings()), len(self.sightings()), len(self.objects())

    def audit_count(self) -> int:
        with self.database.read() as session:
            return int(session.scalar(select(func.count(AuditEvent.id))) or 0)

    def refusals(self) -> list[dict[str, Any]]:
        """The audited refusals (path, code, message), oldest first."""
        with self.database.read() as session:
            rows = session.scalars(
                select(AuditEvent.after)
                .where(AuditEvent.tag == EvidenceEvent.FILE_REFUSED)
                .order_by(AuditEvent.seq)
            )
            return [json.loads(row or "{}") for row in rows]

    def person(self, key: str) -> int:
        return self.office.people[key]


@pytest.fixture
def dock(database: Database, settings: Settings, console: Actor, tmp_path: Path) -> Dock:
    office = build_office(database, settings, console)
    return Dock(database, settings, console, LocalStore(tmp_path / "objects"), office)


def by_path(report: IngestReport) -> dict[str, FileResult]:
    return {result.path: result for result in report.files}


def codes(result: FileResult | Recording) -> list[str]:
    if isinstance(result, Recording):
        return [problem["code"] for problem in result.problems]
    return [problem.code for problem in result.problems]


def file_digests(path: Path | bytes) -> tuple[str, str]:
    """SHA-256 and SM3 computed here with hashlib, independently of lawcam."""
    with open(path, "rb") as handle:
        data = handle.read()
    return hashlib.sha256(data).hexdigest(), hashlib.new("sm3", data).hexdigest()


def snapshot(folder: Path) -> dict[bytes, tuple[Any, ...]]:
    """Every entry under ``folder`` without following links: type, mode, size, mtime, ctime,
    inode, and the SHA-256 of a regular file's bytes (or a link's target). Reading changes none
    of these (access times are left out)."""
    found: dict[bytes, tuple[Any, ...]] = {}
    root = os.fsencode(folder)
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(top, name)
            info = os.lstat(path)
            content: Any = None
            if stat.S_ISREG(info.st_mode):
                content = file_digests(path)[0]
            elif stat.S_ISLNK(info.st_mode):
                content = os.readlink(path)
            found[os.path.relpath(path, root)] = (
                stat.S_IFMT(info.st_mode),
                stat.S_IMODE(info.st_mode),
                info.st_size,
                info.st_mtime_ns,
                info.st_ctime_ns,
                info.st_ino,
                content,
            )
    return found


def whole_seconds(moment: datetime) -> datetime:
    """MP4 stores its creation time in whole seconds."""
    return moment.replace(microsecond=0)


def shanghai_name(prefix: str, moment: datetime, ext: str) -> str:
    return f"{prefix}_{moment.astimezone(SHANGHAI):%Y%m%d_%H%M%S}.{ext}"


# --- done when ---------------------------------------------------------------------------------

GOOD_KINDS = {"video", "audio", "photo"}


def make_card(folder: Path) -> dict[str, tuple[str, str | None]]:
    """A docked camera: three real MP4s, a WAV, a JPEG and five broken files. Returns
    path → (kind, the problem code a broken file must be flagged with, or None)."""
    now = whole_seconds(utcnow())
    dcim, audio, photo = folder / "DCIM" / "100MEDIA", folder / "AUDIO", folder / "PHOTO"
    for part in (dcim, audio, photo):
        part.mkdir(parents=True)
    expected: dict[str, tuple[str, str | None]] = {}
    for index, minutes in enumerate((150, 90, 30)):
        start = now - timedelta(minutes=minutes)
        name = shanghai_name("VID", start, "MP4")
        media.make_mp4(dcim / name, seconds=1.0 + index, creation_time=start)
        expected[f"DCIM/100MEDIA/{name}"] = ("video", None)
    wav = shanghai_name("REC", now - timedelta(minutes=80), "wav")
    media.make_wav(audio / wav, seconds=1.5)
    expected[f"AUDIO/{wav}"] = ("audio", None)
    jpg = shanghai_name("IMG", now - timedelta(minutes=70), "jpg")
    media.make_jpeg(photo / jpg, taken_at=now - timedelta(minutes=70))
    expected[f"PHOTO/{jpg}"] = ("photo", None)
    media.make_zero_bytes(dcim / "VID_empty.MP4")
    expected["DCIM/100MEDIA/VID_empty.MP4"] = ("unknown", "empty_file")
    media.make_truncated_mp4(dcim / "VID_cut.MP4")
    expected["DCIM/100MEDIA/VID_cut.MP4"] = ("unknown", "truncated")
    media.make_random_bytes(dcim / "VID_noise.MP4", 50_000, seed=7)
    expected["DCIM/100MEDIA/VID_noise.MP4"] = ("unknown", "unparseable_media")
    media.make_wav(dcim / "VID_sound_only.MP4", seconds=1.0)
    expected["DCIM/100MEDIA/VID_sound_only.MP4"] = ("audio", "extension_mismatch")
    (folder / "设备说明.txt").write_text("执法记录仪 T2-0001 使用说明\n", encoding="utf-8")
    expected["设备说明.txt"] = ("unknown", "unparseable_media")
    return expected


@ingest_req
def test_a_card_of_real_and_broken_files_is_stored_whole_and_a_second_run_adds_nothing(
    dock: Dock, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    expected = make_card(folder)
    before = snapshot(folder)

    first = dock.ingest(folder, officer_badge=OFFICER)

    results = by_path(first)
    assert set(results) == set(expected)
    assert (first.count(FileStatus.INGESTED), first.count(FileStatus.DUPLICATE)) == (10, 0)
    assert first.count(FileStatus.REFUSED) == 0
    assert first.flagged == 5
    for path, (kind, code) in expected.items():
        result = results[path]
        recording = dock.recording(result.recording_id)
        assert result.status is FileStatus.INGESTED, path
        assert recording.kind == kind, path
        assert recording.original_name == path.rsplit("/", 1)[-1]
        if code is None:
            assert result.problems == [], path
            assert (recording.flagged, recording.problems) == (False, []), path
        else:
            assert code in codes(result), (path, codes(result))
            assert recording.flagged is True and code in codes(recording), path
            for problem in recording.problems:  # a reason people can read, in Chinese
                assert CHINESE.search(problem["message"]), problem
    assert dock.totals() == (10, 10, 10)
    assert first.as_dict()["ingested"] == 10 and first.as_dict()["flagged"] == 5

    second = dock.ingest(folder, officer_badge=OFFICER)

    assert (second.count(FileStatus.DUPLICATE), second.count(FileStatus.INGESTED)) == (10, 0)
    assert second.count(FileStatus.REFUSED) == 0
    assert {r.path: r.recording_id for r in second.files} == {
        r.path: r.recording_id for r in first.files
    }
    assert dock.totals() == (10, 10, 10)  # no recording, no sighting, no object added
    assert len(dock.runs()) == 2  # the second docking itself is recorded
    assert dock.temp_files() == []
    assert snapshot(folder) == before  # byte for byte, times and modes too


@ingest_req
def test_the_source_folder_is_never_modified(dock: Dock, tmp_path: Path) -> None:
    folder = tmp_path / "card"
    make_card(folder)
    (folder / "DCIM" / "100MEDIA" / "VID_cut.MP4").chmod(0o400)  # read-only stays read-only
    (folder / "PHOTO").chmod(0o555)
    before = snapshot(folder)
    dock.ingest(folder)
    dock.ingest(folder, officer_badge=OFFICER)
    after = snapshot(folder)
    (folder / "PHOTO").chmod(0o755)
    assert after == before


@ingest_req
def test_digests_are_sha256_and_sm3_of_the_source_and_the_object_sits_read_only_at_its_address(
    dock: Dock, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    make_card(folder)
    media.make_random_bytes(folder / "large.bin", 20 * 1024 * 1024 + 17, seed=3)  # 3 blocks
    report = dock.ingest(folder)
    assert len(report.files) == 11
    for result in report.files:
        source = folder / result.path
        sha256, sm3 = file_digests(source)
        recording = dock.recording(result.recording_id)
        assert (result.sha256, result.sm3, result.size) == (sha256, sm3, source.stat().st_size)
        assert (recording.sha256, recording.sm3, recording.size) == (sha256, sm3, result.size)
        stored = dock.store.root / sha256[:2] / sha256[2:4] / sha256
        assert stored.read_bytes() == source.read_bytes()
        info = stored.lstat()
        assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o444
    assert dock.objects() == {r.sha256 for r in report.files}
    assert list(dock.store.strays()) == [] and dock.temp_files() == []


# --- deadlines, retention, clocks --------------------------------------------------------------


@ingest_req
@pytest.mark.parametrize(
    ("ended_hours_ago", "late"), [(1, False), (23, False), (25, True), (72, True)]
)
def test_upload_deadline_is_the_end_plus_24_hours(
    dock: Dock, tmp_path: Path, ended_hours_ago: int, late: bool
) -> None:
    folder = tmp_path / "card"
    folder.mkdir()
    start = whole_seconds(utcnow() - timedelta(hours=ended_hours_ago, seconds=3))
    media.make_mp4(folder / "clip.mp4", seconds=3.0, creation_time=start)
    [result] = dock.ingest(folder, officer_badge=OFFICER).files
    recording = dock.recording(result.recording_id)
    assert recording.start_at == start and recording.start_source == "container"
    assert recording.duration_s == pytest.approx(3.0, abs=0.1)
    assert recording.end_at == start + timedelta(seconds=recording.duration_s or 0)
    assert recording.upload_deadline == recording.end_at + timedelta(hours=24)
    assert recording.uploaded_late is late
    assert result.status is FileStatus.INGESTED  # late is recorded, never refused
    assert recording.problems == []


@retention_req
@pytest.mark.parametrize(
    ("start", "kept_until"),
    [
        (datetime(2024, 2, 28, 16, 30, tzinfo=UTC), date(2026, 3, 1)),  # 29 Feb 00:30 Shanghai
        (datetime(2024, 2, 29, 15, 59, 59, tzinfo=UTC), date(2026, 3, 1)),  # 29 Feb 23:59:59
        (datetime(2024, 2, 29, 16, 0, tzinfo=UTC), date(2026, 3, 1)),  # 1 March 00:00
        (datetime(2024, 2, 28, 15, 59, 59, tzinfo=UTC), date(2026, 2, 28)),  # 28 Feb 23:59:59
        (datetime(2025, 6, 30, 16, 30, tzinfo=UTC), date(2027, 7, 1)),  # 1 July in Shanghai
        (datetime(2025, 6, 30, 15, 30, tzinfo=UTC), date(2027, 6, 30)),
        (datetime(2026, 11, 30, 0, 0, tzinfo=UTC), date(2028, 11, 30)),
    ],
)
def test_retention_is_the_shanghai_start_date_plus_two_years(
    dock: Dock, tmp_path: Path, start: datetime, kept_until: date
) -> None:
    """Two calendar years from the recording day in Shanghai, and never less than two years
    from the ingest day (issue 13: a start long past gave a date already over)."""
    assert retention_date(start, 2) == kept_until
    folder = tmp_path / "card"
    folder.mkdir()
    media.make_mp4(folder / "clip.mp4", creation_time=start)
    [result] = dock.ingest(folder, officer_badge=OFFICER).files
    recording = dock.recording(result.recording_id)
    assert recording.start_at == start
    assert recording.retain_until == max(kept_until, retention_date(recording.ingested_at, 2))


@clock_req
@pytest.mark.parametrize(("offset", "flagged"), [(45.0, True), (-10.0, False), (-120.0, True)])
def test_the_device_clock_offset_is_kept_and_corrected_times_stand_beside_the_originals(
    dock: Dock, tmp_path: Path, offset: float, flagged: bool
) -> None:
    folder = tmp_path / "card"
    folder.mkdir()
    start = whole_seconds(utcnow() - timedelta(hours=1))
    media.make_mp4(folder / "clip.mp4", seconds=2.0, creation_time=start)
    device_time = utcnow() + timedelta(seconds=offset)

    [result] = dock.ingest(folder, device_time=device_time, officer_badge=OFFICER).files

    [run] = dock.runs()
    assert run.clock_offset_s == pytest.approx(offset, abs=2.0)
    assert run.device_time == device_time
    recording = dock.recording(result.recording_id)
    measured = recording.clock_offset_s
    assert measured == run.clock_offset_s
    assert recording.start_at == start  # the device's own time, never overwritten
    assert recording.corrected_start_at is not None and recording.corrected_end_at is not None
    shift = timedelta(seconds=measured or 0)
    assert abs(recording.corrected_start_at - (start - shift)) < timedelta(milliseconds=1)
    assert abs(recording.corrected_end_at - (recording.end_at - shift)) < timedelta(milliseconds=1)
    assert recording.effective_start_at == recording.corrected_start_at
    assert ("clock_offset" in codes(recording)) is flagged
    assert recording.flagged is flagged
    if flagged:
        [problem] = [p for p in recording.problems if p["code"] == "clock_offset"]
        assert "第十一条" in problem["message"] and "30" in problem["message"]


@clock_req
def test_without_a_device_time_there_is_no_offset_and_no_corrected_time(
    dock: Dock, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    folder.mkdir()
    media.make_mp4(folder / "clip.mp4", creation_time=whole_seconds(utcnow()))
    [result] = dock.ingest(folder, officer_badge=OFFICER).files
    recording = dock.recording(result.recording_id)
    assert recording.clock_offset_s is None
    assert (recording.corrected_start_at, recording.corrected_end_at) == (None, None)
    assert recording.effective_start_at == recording.start_at


# --- the officer -------------------------------------------------------------------------------


def checkout(dock: Dock, badge: str = OFFICER) -> datetime:
    with dock.database.unit_of_work() as session:
        period = custody.checkout(
            session=session,
            actor=dock.actor,
            limits=CheckLimits(),
            data=CheckoutIn(
                serial=SERIAL,
                officer_badge=badge,
                check=PreUseCheck(battery_pct=95, free_hours=20, clock_offset_s=1),
            ),
        )
        return period.issued_at


def return_device(dock: Dock) -> datetime:
    with dock.database.unit_of_work() as session:
        period = custody.return_device(
            session=session, actor=dock.actor, serial=SERIAL, condition=Condition.OK
        )
        assert period.returned_at is not None
        return period.returned_at


def clip_at(folder: Path, name: str, start: datetime) -> None:
    folder.mkdir(exist_ok=True)
    media.make_mp4(folder / name, creation_time=start)


def just_after(moment: datetime) -> datetime:
    """A whole second at least one second after ``moment`` (MP4 keeps whole seconds)."""
    return whole_seconds(moment) + timedelta(seconds=2)


@ingest_req
def test_the_officer_comes_from_the_custody_period_covering_the_start(
    dock: Dock, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    clip_at(folder, "before_checkout.mp4", whole_seconds(utcnow() - timedelta(hours=3)))
    issued = checkout(dock, OFFICER)
    clip_at(folder, "in_custody.mp4", just_after(issued))

    results = by_path(dock.ingest(folder, officer_badge=SPARE))

    held = dock.recording(results["in_custody.mp4"].recording_id)
    assert (held.officer_id, held.officer_source) == (dock.person("other_unit_officer"), "custody")
    assert held.unit_id == dock.office.units["执法二处"]
    assert "officer_unknown" not in codes(held)
    before = dock.recording(results["before_checkout.mp4"].recording_id)
    assert (before.officer_id, before.officer_source) == (dock.person("spare"), "given")
    assert before.problems == []


@ingest_req
def test_a_recording_after_the_return_is_not_the_last_holders(dock: Dock, tmp_path: Path) -> None:
    checkout(dock, OFFICER)
    returned = return_device(dock)
    folder = tmp_path / "card"
    clip_at(folder, "after_return.mp4", just_after(returned))
    [result] = dock.ingest(folder).files
    recording = dock.recording(result.recording_id)
    assert (recording.officer_id, recording.officer_source) == (None, "unknown")
    assert "officer_unknown" in codes(recording)


@ingest_req
def test_the_officer_named_at_docking_when_no_custody_covers_the_start(
    dock: Dock, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    clip_at(folder, "clip.mp4", whole_seconds(utcnow() - timedelta(hours=1)))
    [result] = dock.ingest(folder, officer_badge=SPARE).files
    recording = dock.recording(result.recording_id)
    assert (recording.officer_id, recording.officer_source) == (dock.person("spare"), "given")
    assert recording.unit_id == dock.office.units["执法二处"]
    assert recording.problems == [] and recording.flagged is False


@ingest_req
def test_no_custody_and_no_officer_named_is_flagged_officer_unknown(
    dock: Dock, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    clip_at(folder, "clip.mp4", whole_seconds(utcnow() - timedelta(hours=1)))
    [result] = dock.ingest(folder).files
    recording = dock.recording(result.recording_id)
    assert (recording.officer_id, recording.officer_source) == (None, "unknown")
    assert recording.unit_id == dock.office.units["执法二处"]  # the device's unit
    assert recording.flagged and codes(recording) == ["officer_unknown"]
    assert CHINESE.search(recording.problems[0]["message"])


# --- refused before anything is written --------------------------------------------------------


def nothing_written(dock: Dock, audit_before: int) -> None:
    assert dock.audit_count() == audit_before
    assert dock.runs() == [] and dock.totals() == (0, 0, 0)
    assert dock.temp_files() == []


@ingest_req
def test_an_unregistered_device_is_refused_with_how_to_register_it(
    dock: Dock, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    clip_at(folder, "clip.mp4", whole_seconds(utcnow()))
    before, audit_before = snapshot(folder), dock.audit_count()
    with pytest.raises(InvalidInput) as refused:
        dock.ingest(folder, serial="DSJ-9999")
    message = refused.value.message
    assert "DSJ-9999" in message and "未在本办登记" in message
    assert "lawcam device add --serial DSJ-9999" in message
    assert refused.value.details.get("field") == "device"
    nothing_written(dock, audit_before)
    assert snapshot(folder) == before


@ingest_req
def test_an_unknown_officer_badge_or_a_missing_path_is_refused_before_anything_is_written(
    dock: Dock, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    clip_at(folder, "clip.mp4", whole_seconds(utcnow()))
    audit_before = dock.audit_count()
    with pytest.raises(InvalidInput, match="T7777 不是本办登记的执法人员"):
        dock.ingest(folder, officer_badge="T7777")
    with pytest.raises(InvalidInput, match="不是本办登记的执法人员"):
        dock.ingest(folder, officer_badge="T0002")  # a person, not an officer
    with pytest.raises(InvalidInput, match="找不到要导入的路径"):
        dock.ingest(tmp_path / "not-docked")
    nothing_written(dock, audit_before)


# --- write-once --------------------------------------------------------------------------------


@write_once
def test_recordings_and_sightings_refuse_update_and_delete_in_the_database(
    dock: Dock, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    clip_at(folder, "clip.mp4", whole_seconds(utcnow()))
    [result] = dock.ingest(folder, officer_badge=OFFICER).files
    recording_id = result.recording_id
    original = dock.recording(recording_id).snapshot()
    statements = [
        "UPDATE recording SET sha256 = 'f' WHERE id = :id",
        "UPDATE recording SET start_at = NULL, officer_id = NULL WHERE id = :id",
        "UPDATE recording SET flagged = NOT flagged",
        "DELETE FROM recording WHERE id = :id",
        "DELETE FROM recording",
        "UPDATE recording_sighting SET source_path = 'x' WHERE recording_id = :id",
        "DELETE FROM recording_sighting",
    ]
    for statement in statements:
        with pytest.raises(DBAPIError, match="write-once"), dock.database.engine.begin() as conn:
            conn.execute(text(statement), {"id": recording_id})
    with pytest.raises((DBAPIError, Conflict)), dock.database.unit_of_work() as session:
        row = session.get(Recording, recording_id)
        assert row is not None
        row.retain_until = date(2000, 1, 1)  # through the ORM as well
    with pytest.raises((DBAPIError, Conflict)), dock.database.unit_of_work() as session:
        session.delete(session.get(Recording, recording_id))
    assert dock.recording(recording_id).snapshot() == original
    assert dock.totals() == (1, 1, 1)


# --- a re-run reads but does not write ----------------------------------------------------------


class WatchedStore:
    """The store, counting the writers handed out."""

    def __init__(self, inner: LocalStore) -> None:
        self.inner = inner
        self.url = inner.url
        self.writers = 0

    def writer(self) -> Any:
        self.writers += 1
        return self.inner.writer()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@ingest_req
def test_a_known_file_is_hashed_again_but_not_written_again(
    dock: Dock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "card"
    make_card(folder)
    first = dock.ingest(folder, officer_badge=OFFICER)
    passes: list[bool] = []  # one per pass over a file: True when it fed a writer
    real_stream = ingest_module.stream

    def counted(fd: int, sink: Any, on_bytes: Any = None) -> Any:
        passes.append(sink is not None)
        return real_stream(fd, sink, on_bytes)

    monkeypatch.setattr(ingest_module, "stream", counted)
    watched = WatchedStore(dock.store)

    second = dock.ingest(folder, officer_badge=OFFICER, store=watched)

    assert watched.writers == 0  # nothing written, not even to a temporary file
    assert passes == [False] * 10  # but every file read and hashed once
    assert [(r.sha256, r.sm3) for r in second.files] == [(r.sha256, r.sm3) for r in first.files]
    assert second.count(FileStatus.DUPLICATE) == 10

    # Same name, size and time but other bytes: the hash tells, and the new bytes are stored.
    clip = folder / "DCIM" / "100MEDIA" / "VID_noise.MP4"
    info = clip.stat()
    media.make_random_bytes(clip, info.st_size, seed=8)
    os.utime(clip, ns=(info.st_atime_ns, info.st_mtime_ns))
    passes.clear()
    third = by_path(dock.ingest(folder, officer_badge=OFFICER, store=watched))
    changed = third["DCIM/100MEDIA/VID_noise.MP4"]
    assert changed.status is FileStatus.INGESTED and watched.writers == 1
    assert changed.sha256 == file_digests(clip)[0]
    assert changed.recording_id not in {r.recording_id for r in first.files}
    assert passes.count(True) == 1 and passes.count(False) == 10
    assert dock.totals() == (11, 11, 11)
