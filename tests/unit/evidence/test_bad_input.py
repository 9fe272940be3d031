"""The bad-input corpus of issue #5 (R14.1, R15.1, R11.2): every kind of odd file a docked device
or a remote workstation can present is either stored and flagged with its problem code, or
refused with a clear Chinese message; nothing is lost (the source stays as it was, every file
not refused has its recording, every refusal is audited) and nothing hangs.

Tests run as root here, where chmod 000 does not stop a read: an unreadable file or folder is
made by failing the system call for that one path (EACCES, as for any other user)."""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import av
import pytest
from sqlalchemy import select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.equipment import service as equipment
from lawcam.equipment.types import DeviceIn, DeviceStatus
from lawcam.errors import Conflict
from lawcam.evidence import ingest as ingest_module
from lawcam.evidence import service, uploads
from lawcam.evidence.ingest import FileResult, IngestReport, complete_upload
from lawcam.evidence.models import Recording
from lawcam.evidence.sources import printable
from lawcam.evidence.types import EvidenceEvent, FileStatus
from lawcam.timeutil import SHANGHAI, utcnow
from tests import media
from tests.unit.evidence.test_ingest import (
    CHINESE,
    OFFICER,
    SERIAL,
    Dock,
    WatchedStore,
    by_path,
    codes,
    dock,
    file_digests,
    shanghai_name,
    snapshot,
    whole_seconds,
)

__all__ = ["dock"]  # the fixture, shared with test_ingest.py

pytestmark = pytest.mark.req("R14.1")
names_req = pytest.mark.req("R14.1", "R15.1")
clock_req = pytest.mark.req("R14.1", "R11.2")

HANG_LIMIT_S = 30.0


# --- what every case must show -----------------------------------------------------------------


def regular_files(folder: Path) -> set[str]:
    """Every regular file under the folder (links not followed), named as the report names
    them."""
    found = set()
    for top, _, files in os.walk(folder):
        for name in files:
            path = Path(top, name)
            if path.is_file() and not path.is_symlink():
                found.add(printable(str(path.relative_to(folder))))
    return found


def nothing_lost(
    dock: Dock, folder: Path, before: dict[bytes, Any] | None, report: IngestReport
) -> None:
    """The source is as it was; every regular file was reported; each file not refused has its
    recording and stored object; each refusal has a Chinese reason and its audit entry."""
    if before is not None:
        assert snapshot(folder) == before
    results = by_path(report)
    assert regular_files(folder) <= set(results)
    objects = dock.objects()
    audited = {(r["path"], r["code"]) for r in dock.refusals()}
    for result in report.files:
        if result.status is FileStatus.REFUSED:
            [problem] = result.problems
            assert CHINESE.search(problem.message), problem
            assert (result.path, problem.code) in audited
            assert result.recording_id is None
        else:
            recording = dock.recording(result.recording_id)
            assert recording.sha256 == result.sha256 and result.sha256 in objects
    assert dock.temp_files() == []


def ingest_checked(dock: Dock, folder: Path, **kwargs: Any) -> IngestReport:
    before = snapshot(folder)
    report = dock.ingest(folder, **kwargs)
    nothing_lost(dock, folder, before, report)
    return report


def refused(result: FileResult, code: str) -> str:
    assert result.status is FileStatus.REFUSED, result
    [problem] = result.problems
    assert problem.code == code, problem
    return problem.message


def flagged(dock: Dock, result: FileResult, code: str) -> None:
    assert result.status is FileStatus.INGESTED, result
    assert code in codes(result), codes(result)
    recording = dock.recording(result.recording_id)
    assert recording.flagged and code in codes(recording)
    [problem] = [p for p in recording.problems if p["code"] == code]
    assert CHINESE.search(problem["message"]), problem


def in_time(
    work: Callable[[], Any],
    limit: float = HANG_LIMIT_S,
    unblock: Callable[[], None] | None = None,
) -> Any:
    """Run ``work`` in a thread; fail (instead of hanging the suite) if it does not end. When
    it hangs, ``unblock`` lets the thread finish before the test fails."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    hung = thread.is_alive()
    if hung and unblock is not None:
        unblock()
        thread.join(HANG_LIMIT_S)
    assert not hung, f"the ingest hung for {limit:.0f} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    card = tmp_path / "card"
    card.mkdir()
    return card


NEXT_YEAR = datetime(utcnow().year + 1, 6, 1, 2, 0, tzinfo=UTC)
RECENT = whole_seconds(utcnow() - timedelta(hours=2))


# --- stored and flagged: one case per kind -----------------------------------------------------


def _text(path: Path) -> None:
    path.write_text("执法记录仪使用说明：请勿删除本文件。\n", encoding="utf-8")


def _dated(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def _mp4_without_time(path: Path) -> None:
    media.make_mp4(path)  # ffmpeg writes no creation_time unless asked


FLAGGED: dict[str, tuple[str, Callable[[Path], Any], str, str]] = {
    # kind: (file name, how to make it, problem code, recording kind)
    "zero_bytes": ("VID_0001.MP4", media.make_zero_bytes, "empty_file", "unknown"),
    "truncated_mp4": ("VID_0002.MP4", media.make_truncated_mp4, "truncated", "unknown"),
    "random_bytes_named_mp4": (
        "VID_0003.MP4",
        lambda p: media.make_random_bytes(p, 64_000, seed=11),
        "unparseable_media",
        "unknown",
    ),
    "wav_named_mp4": ("VID_0004.MP4", media.make_wav, "extension_mismatch", "audio"),
    "mp4_named_jpg": ("IMG_0005.JPG", media.make_mp4, "extension_mismatch", "video"),
    "jpeg_named_wav": ("REC_0006.WAV", media.make_jpeg, "extension_mismatch", "photo"),
    "no_extension": ("VID_0007", media.make_mp4, "extension_mismatch", "video"),
    "text_file": ("说明.txt", _text, "unparseable_media", "unknown"),
    "mp4_that_is_only_a_header": (
        "VID_0008.MP4",
        lambda p: p.write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"),
        "unparseable_media",
        "unknown",
    ),
    "bare_video_bitstream": (
        "VID_0009.h264",
        media.make_elementary_video,
        "no_duration",
        "video",
    ),
}


@pytest.mark.parametrize("kind", list(FLAGGED))
def test_a_broken_or_odd_file_is_stored_and_flagged(dock: Dock, folder: Path, kind: str) -> None:
    name, make, code, media_kind = FLAGGED[kind]
    make(folder / name)
    report = ingest_checked(dock, folder, officer_badge=OFFICER)
    [result] = report.files
    flagged(dock, result, code)
    recording = dock.recording(result.recording_id)
    assert recording.kind == media_kind
    assert (recording.sha256, recording.sm3) == file_digests(folder / name)
    assert dock.ingest(folder, officer_badge=OFFICER).count(FileStatus.DUPLICATE) == 1


# --- times -------------------------------------------------------------------------------------


@clock_req
def test_a_container_time_next_year_is_flagged_future_start(dock: Dock, folder: Path) -> None:
    media.make_mp4(folder / "VID_future.MP4", creation_time=NEXT_YEAR)
    [result] = ingest_checked(dock, folder, officer_badge=OFFICER).files
    flagged(dock, result, "future_start")
    recording = dock.recording(result.recording_id)
    assert (recording.start_at, recording.start_source) == (NEXT_YEAR, "container")
    assert recording.uploaded_late is False


@clock_req
def test_a_file_name_time_next_year_is_flagged_future_start(dock: Dock, folder: Path) -> None:
    name = shanghai_name("VID", NEXT_YEAR, "MP4")
    _mp4_without_time(folder / name)
    [result] = ingest_checked(dock, folder, officer_badge=OFFICER).files
    flagged(dock, result, "future_start")
    recording = dock.recording(result.recording_id)
    assert (recording.start_at, recording.start_source) == (NEXT_YEAR, "filename")


@clock_req
def test_a_modification_time_next_year_is_flagged_future_start(dock: Dock, folder: Path) -> None:
    _text(folder / "notes.txt")
    _dated(folder / "notes.txt", NEXT_YEAR)
    [result] = ingest_checked(dock, folder, officer_badge=OFFICER).files
    flagged(dock, result, "future_start")
    assert dock.recording(result.recording_id).start_source == "mtime"


@clock_req
def test_name_and_container_times_that_disagree_keep_the_container_time_and_are_flagged(
    dock: Dock, folder: Path
) -> None:
    named = RECENT - timedelta(hours=8)  # the camera wrote Beijing time as if it were UTC
    name = shanghai_name("VID", named, "MP4")
    media.make_mp4(folder / name, creation_time=RECENT)
    [result] = ingest_checked(dock, folder, officer_badge=OFFICER).files
    flagged(dock, result, "start_disagrees")
    recording = dock.recording(result.recording_id)
    assert (recording.start_at, recording.start_source) == (RECENT, "container")


@clock_req
def test_name_and_container_times_that_agree_are_not_flagged(dock: Dock, folder: Path) -> None:
    media.make_mp4(folder / shanghai_name("VID", RECENT, "MP4"), creation_time=RECENT)
    [result] = ingest_checked(dock, folder, officer_badge=OFFICER).files
    assert result.problems == []


@clock_req
def test_a_clock_that_was_never_set_is_flagged_ancient_start(dock: Dock, folder: Path) -> None:
    media.make_jpeg(folder / "IMG_0001.JPG", taken_at=datetime(1999, 12, 31, 23, 0))
    _text(folder / "notes.txt")
    _dated(folder / "notes.txt", datetime(1980, 1, 1, tzinfo=UTC))
    results = by_path(ingest_checked(dock, folder, officer_badge=OFFICER))
    for path in ("IMG_0001.JPG", "notes.txt"):
        flagged(dock, results[path], "ancient_start")


@clock_req
def test_an_unset_clock_never_gives_a_retention_already_over(dock: Dock, folder: Path) -> None:
    """An unset clock (1980) is no recording day: R14.2's two years count from the ingest."""
    media.make_truncated_mp4(folder / "VID_0001.MP4")
    _dated(folder / "VID_0001.MP4", datetime(1980, 1, 1, tzinfo=UTC))
    [result] = dock.ingest(folder, officer_badge=OFFICER).files
    flagged(dock, result, "ancient_start")
    today = utcnow().astimezone(SHANGHAI).date()
    assert dock.recording(result.recording_id).retain_until >= today.replace(year=today.year + 2)


@clock_req
def test_a_photo_without_exif_takes_its_time_from_the_name_or_the_modification_time(
    dock: Dock, folder: Path
) -> None:
    named = shanghai_name("IMG", RECENT, "jpg")
    media.make_jpeg(folder / named)
    media.make_jpeg(folder / "DSC_0001.jpg", width=80)
    mtime = RECENT - timedelta(hours=1)
    _dated(folder / "DSC_0001.jpg", mtime)
    results = by_path(ingest_checked(dock, folder, officer_badge=OFFICER))
    by_name = dock.recording(results[named].recording_id)
    assert (by_name.kind, by_name.start_at, by_name.start_source) == ("photo", RECENT, "filename")
    by_mtime = dock.recording(results["DSC_0001.jpg"].recording_id)
    assert (by_mtime.start_at, by_mtime.start_source) == (mtime, "mtime")
    assert by_name.problems == [] and by_mtime.problems == []


# --- names and paths ---------------------------------------------------------------------------


def huge_name() -> str:
    """255 bytes of UTF-8, the longest name the file system takes: mostly Chinese."""
    stem = ""
    for char in itertools.cycle("现场执法全过程记录"):
        if len((stem + char).encode()) > 251:
            break
        stem += char
    return stem + "x" * (251 - len(stem.encode())) + ".mp4"


@names_req
def test_a_255_byte_chinese_name_is_stored_and_a_rerun_adds_nothing(
    dock: Dock, folder: Path
) -> None:
    name = huge_name()
    assert len(name.encode()) == 255
    media.make_mp4(folder / name, creation_time=RECENT)
    [result] = ingest_checked(dock, folder, officer_badge=OFFICER).files
    assert result.status is FileStatus.INGESTED and result.path == name
    recording = dock.recording(result.recording_id)
    assert recording.original_name == name
    assert [s.source_path for s in dock.sightings()] == [name]
    assert dock.ingest(folder, officer_badge=OFFICER).count(FileStatus.DUPLICATE) == 1
    assert dock.totals() == (1, 1, 1)


@names_req
def test_a_name_that_is_not_utf8_is_stored_flagged_and_shown_with_escapes(
    dock: Dock, folder: Path
) -> None:
    raw = os.path.join(os.fsencode(folder), b"\xff\xfe.mp4")
    media.make_mp4(Path(os.fsdecode(raw)), creation_time=RECENT)
    media.make_wav(
        Path(os.fsdecode(os.path.join(os.fsencode(folder), b"REC_\xb2\xe2\xca\xd4.wav")))
    )
    report = ingest_checked(dock, folder, officer_badge=OFFICER)
    results = by_path(report)
    assert set(results) == {"\\xff\\xfe.mp4", "REC_\\xb2\\xe2\\xca\\xd4.wav"}
    for result in results.values():
        flagged(dock, result, "name_not_utf8")
    assert dock.recording(results["\\xff\\xfe.mp4"].recording_id).kind == "video"
    assert file_digests(raw)[0] == results["\\xff\\xfe.mp4"].sha256
    second = dock.ingest(folder, officer_badge=OFFICER)
    assert second.count(FileStatus.DUPLICATE) == 2 and dock.totals() == (2, 2, 2)


def nest(folder: Path, depth: int, part: str) -> Path:
    deep = folder
    for level in range(depth):
        deep = deep / f"{level:02d}{part}"
    deep.mkdir(parents=True)
    return deep


@names_req
def test_a_deeply_nested_file_is_stored_and_a_rerun_adds_nothing(dock: Dock, folder: Path) -> None:
    deep = nest(folder, 40, "层目录")  # 40 levels, 241 characters
    media.make_jpeg(deep / "IMG_0001.JPG")
    report = ingest_checked(dock, folder, officer_badge=OFFICER)
    [result] = report.files
    assert result.status is FileStatus.INGESTED and result.path.count("/") == 40
    assert dock.ingest(folder, officer_badge=OFFICER).count(FileStatus.DUPLICATE) == 1
    assert dock.totals() == (1, 1, 1)


@names_req
def test_a_path_longer_than_1000_characters_adds_nothing_on_a_rerun(
    dock: Dock, folder: Path
) -> None:
    """The sightings column holds 1000 characters: the path must be looked up as it is kept,
    or every rerun writes the file again and adds a sighting."""
    deep = nest(folder, 55, "-level-abcdefghij")  # 55 × 20 characters
    media.make_jpeg(deep / "IMG_0001.JPG")
    [result] = dock.ingest(folder, officer_badge=OFFICER).files
    assert result.status is FileStatus.INGESTED and len(result.path) > 1000
    dock.ingest(folder, officer_badge=OFFICER)
    dock.ingest(folder, officer_badge=OFFICER)
    assert dock.totals() == (1, 1, 1)


@names_req
def test_names_that_look_like_path_traversal_stay_labels(dock: Dock, folder: Path) -> None:
    """On the device a name is one path component: backslashes and dots are only characters.
    The store writes only at content addresses, whatever the name says."""
    names = ["..\\..\\Windows\\System32\\VID_0001.mp4", "...mp4", "..mp4", "~", "-rf"]
    for index, name in enumerate(names):
        media.make_random_bytes(folder / name, 1000 + index, seed=index)
    outside = sorted(os.listdir(folder.parent))
    report = ingest_checked(dock, folder, officer_badge=OFFICER)
    assert {r.path for r in report.files} == set(names)
    assert all(r.status is FileStatus.INGESTED for r in report.files)
    assert sorted(os.listdir(folder.parent)) == outside  # nothing written beside the card
    assert list(dock.store.strays()) == []
    assert {dock.recording(r.recording_id).original_name for r in report.files} == set(names)


@names_req
def test_a_remote_name_with_path_traversal_is_flagged_and_used_only_as_a_label(
    dock: Dock, tmp_path: Path
) -> None:
    """A remote workstation sends a name; the server never makes it a path."""
    workstation = Actor(
        label="token:工作站-测试",
        source="api",
        account_id=dock.office.accounts["spare"],
        person_id=dock.person("spare"),
        unit_id=dock.office.units["执法二处"],
        roles=frozenset({Role.DEVICE_ADMIN}),
    )
    clip = media.make_mp4(tmp_path / "clip.mp4", creation_time=RECENT)
    data = clip.read_bytes()
    name = "../../../etc/cron.d/VID_0001.mp4"
    with dock.database.unit_of_work() as session:
        docking = service.Docking(
            device=service.docking_device(session, workstation, SERIAL),
            workstation="远程工作站",
            source="D:\\DCIM",
            device_time=None,
            officer=service.given_officer(session, OFFICER),
        )
        run_id = service.open_run(session=session, actor=workstation, docking=docking).id
    with dock.database.unit_of_work() as session:
        upload = uploads.open_upload(
            session=session,
            actor=workstation,
            data=uploads.UploadIn(
                run_id=run_id,
                name=name,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                sm3=hashlib.new("sm3", data).hexdigest(),
                mtime=RECENT,
            ),
            max_size=dock.settings.max_file_bytes,
        )
        upload_id = upload.id
        uploads.append(
            dock.settings.upload_spool, upload, 0, data, dock.settings.upload_piece_bytes
        )
    result = complete_upload(
        database=dock.database,
        store=dock.store,
        settings=dock.settings,
        actor=workstation,
        upload_id=upload_id,
    )
    flagged(dock, result, "path_traversal")
    recording = dock.recording(result.recording_id)
    assert recording.original_name == "VID_0001.mp4"
    assert [s.source_path for s in dock.sightings()] == [name]
    assert not (tmp_path / "etc").exists() and not Path("/etc/cron.d/VID_0001.mp4").exists()
    assert list(dock.store.strays()) == [] and dock.objects() == {recording.sha256}
    assert os.listdir(dock.settings.upload_spool) == []  # the spooled copy is gone, stored


# --- links and special files: refused, never followed ------------------------------------------


@names_req
def test_a_symlink_to_a_file_is_refused_and_its_target_is_not_read_through_it(
    dock: Dock, folder: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.mp4"
    media.make_random_bytes(secret, 5000, seed=99)
    media.make_mp4(folder / "VID_0001.MP4", creation_time=RECENT)
    os.symlink(secret, folder / "VID_0002.MP4")
    os.symlink("VID_0001.MP4", folder / "VID_0003.MP4")  # to a file of the card itself
    results = by_path(ingest_checked(dock, folder, officer_badge=OFFICER))
    for path in ("VID_0002.MP4", "VID_0003.MP4"):
        assert "符号链接" in refused(results[path], "symlink")
    assert results["VID_0001.MP4"].status is FileStatus.INGESTED
    assert file_digests(secret)[0] not in dock.objects()
    assert dock.totals() == (1, 1, 1)


@names_req
def test_symlink_loops_are_refused_without_hanging(dock: Dock, folder: Path) -> None:
    os.symlink("self.mp4", folder / "self.mp4")
    os.symlink("b.mp4", folder / "a.mp4")
    os.symlink("a.mp4", folder / "b.mp4")
    sub = folder / "DCIM"
    sub.mkdir()
    os.symlink("..", sub / "up")  # a directory loop
    os.symlink(folder, sub / "root")
    media.make_wav(sub / "REC_0001.wav")
    report = in_time(lambda: dock.ingest(folder, officer_badge=OFFICER))
    nothing_lost(dock, folder, None, report)
    results = by_path(report)
    assert set(results) == {
        "self.mp4",
        "a.mp4",
        "b.mp4",
        "DCIM/up",
        "DCIM/root",
        "DCIM/REC_0001.wav",
    }
    for path in ("self.mp4", "a.mp4", "b.mp4", "DCIM/up", "DCIM/root"):
        refused(results[path], "symlink")
    assert results["DCIM/REC_0001.wav"].status is FileStatus.INGESTED
    assert dock.totals() == (1, 1, 1)


@names_req
def test_a_symlink_to_a_folder_outside_is_not_followed(
    dock: Dock, folder: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    media.make_mp4(outside / "VID_other.MP4", creation_time=RECENT)
    media.make_jpeg(outside / "IMG_other.jpg")
    os.symlink(outside, folder / "DCIM")
    os.symlink("/", folder / "rootfs")
    media.make_wav(folder / "REC_0001.wav")
    report = in_time(lambda: ingest_checked(dock, folder, officer_badge=OFFICER))
    results = by_path(report)
    assert set(results) == {"DCIM", "rootfs", "REC_0001.wav"}
    assert "未进入" in refused(results["DCIM"], "symlink")
    refused(results["rootfs"], "symlink")
    stored = dock.objects()
    for other in outside.iterdir():
        assert file_digests(other)[0] not in stored
    assert dock.totals() == (1, 1, 1)


@names_req
def test_a_fifo_and_a_socket_are_refused_without_blocking(
    dock: Dock, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo(folder / "VID_pipe.MP4")  # opening it to read would wait for a writer forever
    monkeypatch.chdir(folder)  # a socket's path must be short
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("REC_socket.wav")
        media.make_wav(folder / "REC_0001.wav")
        report = in_time(lambda: ingest_checked(dock, folder, officer_badge=OFFICER))
    results = by_path(report)
    for path in ("VID_pipe.MP4", "REC_socket.wav"):
        assert "不是普通文件" in refused(results[path], "special_file")
    assert results["REC_0001.wav"].status is FileStatus.INGESTED


# --- unreadable, vanished, swapped ------------------------------------------------------------


def failing_for(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, target: Path) -> None:
    """``owner.name`` raises EACCES for ``target`` (as chmod 000 would for a user who is not
    root) and works as before for every other path."""
    real = getattr(owner, name)

    def guarded(path: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fsdecode(os.fspath(path)) == str(target):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(owner, name, guarded)


@names_req
def test_an_unreadable_file_is_refused_and_ingested_once_it_can_be_read(
    dock: Dock, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = media.make_mp4(folder / "VID_locked.MP4", creation_time=RECENT)
    media.make_wav(folder / "REC_0001.wav")
    before = snapshot(folder)
    with monkeypatch.context() as patch:
        failing_for(patch, os, "open", locked)
        report = dock.ingest(folder, officer_badge=OFFICER)
    nothing_lost(dock, folder, before, report)
    results = by_path(report)
    assert "无法打开文件" in refused(results["VID_locked.MP4"], "unreadable")
    assert results["REC_0001.wav"].status is FileStatus.INGESTED
    again = by_path(dock.ingest(folder, officer_badge=OFFICER))
    assert again["VID_locked.MP4"].status is FileStatus.INGESTED
    assert dock.totals() == (2, 2, 2)


@names_req
def test_an_unreadable_folder_is_refused_and_the_rest_is_ingested(
    dock: Dock, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = folder / "DCIM" / "101MEDIA"
    locked.mkdir(parents=True)
    media.make_mp4(locked / "VID_0001.MP4", creation_time=RECENT)
    media.make_wav(folder / "DCIM" / "REC_0001.wav")
    before = snapshot(folder)
    with monkeypatch.context() as patch:
        failing_for(patch, os, "scandir", locked)
        report = in_time(lambda: dock.ingest(folder, officer_badge=OFFICER))
    assert snapshot(folder) == before
    results = by_path(report)
    assert set(results) == {"DCIM/101MEDIA", "DCIM/REC_0001.wav"}
    assert "无法读取文件夹" in refused(results["DCIM/101MEDIA"], "unreadable_folder")
    assert results["DCIM/REC_0001.wav"].status is FileStatus.INGESTED
    again = by_path(dock.ingest(folder, officer_badge=OFFICER))
    assert again["DCIM/101MEDIA/VID_0001.MP4"].status is FileStatus.INGESTED


def after_listing(monkeypatch: pytest.MonkeyPatch, change: Callable[[], None]) -> None:
    """``change`` happens between finding the files and reading them."""
    real = ingest_module.find_files

    def find_then_change(root: Path) -> Any:
        found = real(root)
        change()
        return found

    monkeypatch.setattr(ingest_module, "find_files", find_then_change)


@names_req
def test_a_file_removed_between_listing_and_reading_is_refused(
    dock: Dock, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = media.make_mp4(folder / "VID_gone.MP4", creation_time=RECENT)
    media.make_wav(folder / "REC_0001.wav")
    after_listing(monkeypatch, gone.unlink)
    report = dock.ingest(folder, officer_badge=OFFICER)
    nothing_lost(dock, folder, None, report)
    results = by_path(report)
    assert "无法打开文件" in refused(results["VID_gone.MP4"], "unreadable")
    assert results["REC_0001.wav"].status is FileStatus.INGESTED


@names_req
def test_a_file_swapped_for_a_symlink_after_listing_is_not_followed(
    dock: Dock, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = media.make_random_bytes(tmp_path / "secret.bin", 4096, seed=5)
    swapped = media.make_mp4(folder / "VID_0001.MP4", creation_time=RECENT)

    def swap() -> None:
        link = folder / "link.tmp"
        os.symlink(secret, link)
        os.replace(link, swapped)

    after_listing(monkeypatch, swap)
    [result] = dock.ingest(folder, officer_badge=OFFICER).files
    refused(result, "unreadable")  # O_NOFOLLOW: the link itself is not opened through
    assert dock.objects() == set() and dock.totals() == (0, 0, 0)


# --- changing while read -----------------------------------------------------------------------


class GrowOnFirstBlock:
    """A progress display that, as the first block goes by, appends to the file: a device
    still writing while the workstation reads."""

    def __init__(self, path: Path) -> None:
        self.path, self.done = path, False

    def start(self, files: int, total_bytes: int) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        if not self.done:
            self.done = True
            with self.path.open("ab") as handle:
                handle.write(b"\x00" * 4096)

    def file_done(self, result: FileResult) -> None:
        pass


@names_req
@pytest.mark.parametrize(
    "size", [50_000, 3 * 8 * 1024 * 1024 + 5], ids=["one_block", "multi_block"]
)
def test_a_file_changing_while_read_is_refused_and_ingested_once_it_is_still(
    dock: Dock, folder: Path, size: int
) -> None:
    growing = media.make_random_bytes(folder / "A_VID_0001.MP4", size, seed=1)
    media.make_wav(folder / "B_REC_0001.wav")
    report = dock.ingest(folder, officer_badge=OFFICER, progress=GrowOnFirstBlock(growing))
    nothing_lost(dock, folder, None, report)
    results = by_path(report)
    message = refused(results["A_VID_0001.MP4"], "changed_while_read")
    assert "重新导入" in message
    assert results["B_REC_0001.wav"].status is FileStatus.INGESTED
    assert dock.totals() == (1, 1, 1)  # nothing of the moving file published
    again = by_path(dock.ingest(folder, officer_badge=OFFICER))
    assert again["A_VID_0001.MP4"].status is FileStatus.INGESTED
    assert again["A_VID_0001.MP4"].sha256 == file_digests(growing)[0]
    assert again["A_VID_0001.MP4"].size == size + 4096


@names_req
def test_a_file_a_device_keeps_writing_is_refused(dock: Dock, folder: Path) -> None:
    """A real writer in another thread, appending all the time the ingest reads."""
    growing = media.make_random_bytes(folder / "VID_live.MP4", 24 * 1024 * 1024, seed=2)
    stop = threading.Event()

    def keep_writing() -> None:
        with growing.open("ab") as handle:
            while not stop.is_set():
                handle.write(os.urandom(512))
                handle.flush()
                time.sleep(0.0005)

    writer = threading.Thread(target=keep_writing, daemon=True)
    writer.start()
    try:
        [result] = dock.ingest(folder, officer_badge=OFFICER).files
    finally:
        stop.set()
        writer.join()
    refused(result, "changed_while_read")
    assert dock.totals() == (0, 0, 0) and dock.temp_files() == []
    [again] = dock.ingest(folder, officer_badge=OFFICER).files
    assert again.status is FileStatus.INGESTED and again.sha256 == file_digests(growing)[0]


# --- duplicates, empty folders -----------------------------------------------------------------


@names_req
def test_the_same_bytes_twice_in_one_run_make_one_recording_and_a_duplicate_sighting(
    dock: Dock, folder: Path
) -> None:
    first = media.make_mp4(folder / "VID_0001.MP4", creation_time=RECENT)
    (folder / "备份").mkdir()
    (folder / "备份" / "VID_0001_副本.MP4").write_bytes(first.read_bytes())
    os.link(first, folder / "VID_0001_hardlink.MP4")
    report = ingest_checked(dock, folder, officer_badge=OFFICER)
    # The three go side by side (one per core): whichever is stored first is the recording's
    # source, the others its duplicate sightings.
    [stored] = [r for r in report.files if r.status is FileStatus.INGESTED]
    copies = [r for r in report.files if r is not stored]
    assert [r.status for r in copies] == [FileStatus.DUPLICATE] * 2
    assert {r.recording_id for r in copies} == {stored.recording_id}
    sightings = dock.sightings()
    assert sorted((s.source_path, s.duplicate) for s in sightings) == sorted(
        (path, path != stored.path)
        for path in ("VID_0001.MP4", "VID_0001_hardlink.MP4", "备份/VID_0001_副本.MP4")
    )
    assert dock.totals() == (1, 3, 1)
    second = dock.ingest(folder, officer_badge=OFFICER)
    assert second.count(FileStatus.DUPLICATE) == 3 and dock.totals() == (1, 3, 1)


@names_req
def test_an_empty_folder_and_empty_subfolders_ingest_nothing(dock: Dock, folder: Path) -> None:
    report = ingest_checked(dock, folder, officer_badge=OFFICER)
    assert report.files == [] and report.as_dict()["ingested"] == 0
    (folder / "DCIM" / "100MEDIA").mkdir(parents=True)
    (folder / "AUDIO").mkdir()
    report = ingest_checked(dock, folder, officer_badge=OFFICER)
    assert report.files == []
    assert len(dock.runs()) == 2  # each docking is still recorded
    assert dock.totals() == (0, 0, 0)


# --- times out of range: a bad file must not stop the whole run -------------------------------


@clock_req
def test_a_time_at_the_end_of_the_calendar_is_flagged_and_the_run_goes_on(
    dock: Dock, folder: Path
) -> None:
    """EXIF 9999-12-31: the deadline (+24 h) and the retention (+2 years) lie beyond the last
    date Python has; the file is still stored and flagged, and the files after it are read."""
    media.make_jpeg(folder / "IMG_0001.JPG", taken_at=datetime(9999, 12, 31, 12, 0))
    media.make_wav(folder / "REC_0002.wav")
    results = by_path(ingest_checked(dock, folder, officer_badge=OFFICER))
    flagged(dock, results["IMG_0001.JPG"], "future_start")
    assert results["REC_0002.wav"].status is FileStatus.INGESTED


def make_mov_with_apple_date(path: Path, value: str) -> Path:
    """A QuickTime file whose only time is Apple's free-text creation date."""
    with av.open(str(path), "w", format="mov", options={"movflags": "use_metadata_tags"}) as out:
        out.metadata["com.apple.quicktime.creationdate"] = value
        stream = out.add_stream("mpeg4", rate=15)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(3):
            frame = av.VideoFrame(64, 48, "yuv420p")
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


@clock_req
def test_a_container_time_before_year_one_utc_is_flagged_and_the_run_goes_on(
    dock: Dock, folder: Path
) -> None:
    """Year 1 at +08:00 is before the first instant Python has in UTC: the time is not used,
    the file is stored and flagged, and the run goes on."""
    make_mov_with_apple_date(folder / "VID_0001.MOV", "0001-01-01T00:00:00+0800")
    media.make_wav(folder / "REC_0002.wav")
    results = by_path(ingest_checked(dock, folder, officer_badge=OFFICER))
    flagged(dock, results["VID_0001.MOV"], "ancient_start")
    assert results["REC_0002.wav"].status is FileStatus.INGESTED


@clock_req
def test_an_apple_creation_date_with_an_offset_is_read(dock: Dock, folder: Path) -> None:
    local = RECENT.astimezone(SHANGHAI)
    make_mov_with_apple_date(folder / "VID_0001.MOV", local.strftime("%Y-%m-%dT%H:%M:%S%z"))
    [result] = ingest_checked(dock, folder, officer_badge=OFFICER).files
    recording = dock.recording(result.recording_id)
    assert (recording.start_at, recording.start_source) == (RECENT, "container")


def second_device(dock: Dock, serial: str = "T2-0002") -> str:
    with dock.database.unit_of_work() as session:
        equipment.create_device(
            session=session,
            actor=dock.actor,
            data=DeviceIn(
                serial=serial,
                asset_no=f"ZC-{serial}",
                model="TEST-BC1",
                unit="执法二处",
                price=Decimal("3280.00"),
                need="现场执法全过程记录",
                status=DeviceStatus.IN_SERVICE,
            ),
        )
    return serial


@names_req
def test_bytes_already_stored_from_another_device_add_nothing_on_a_rerun(
    dock: Dock, tmp_path: Path
) -> None:
    """A clip copied from one camera's card to another's: one recording; the second camera's
    sighting is kept once, under the camera it was found on."""
    other = second_device(dock)
    card_a, card_b = tmp_path / "a", tmp_path / "b"
    card_a.mkdir()
    card_b.mkdir()
    clip = media.make_mp4(card_a / "VID_0001.MP4", creation_time=RECENT)
    (card_b / "copied").mkdir()
    (card_b / "copied" / "VID_0001.MP4").write_bytes(clip.read_bytes())
    dock.ingest(card_a, officer_badge=OFFICER)
    first = dock.ingest(card_b, serial=other, officer_badge=OFFICER)
    assert first.files[0].status is FileStatus.DUPLICATE
    assert dock.totals() == (1, 2, 1)
    dock.ingest(card_b, serial=other, officer_badge=OFFICER)
    dock.ingest(card_b, serial=other, officer_badge=OFFICER)
    assert dock.totals() == (1, 2, 1)


@names_req
def test_a_duplicate_sighting_names_the_device_it_was_found_on(dock: Dock, tmp_path: Path) -> None:
    """The second camera's sighting is its own (not the first camera's), so that a rerun of
    the second camera knows the file and hashes it without writing it again."""
    other = second_device(dock)
    card_a, card_b = tmp_path / "a", tmp_path / "b"
    card_a.mkdir()
    card_b.mkdir()
    clip = media.make_mp4(card_a / "VID_0001.MP4", creation_time=RECENT)
    (card_b / "VID_0001.MP4").write_bytes(clip.read_bytes())
    dock.ingest(card_a, officer_badge=OFFICER)
    dock.ingest(card_b, serial=other, officer_badge=OFFICER)
    device_a, device_b = (run.device_id for run in dock.runs())
    assert device_a != device_b
    assert sorted(s.device_id for s in dock.sightings()) == sorted([device_a, device_b])
    watched = WatchedStore(dock.store)
    dock.ingest(card_b, serial=other, officer_badge=OFFICER, store=watched)
    assert watched.writers == 0  # known to this camera: hashed, not written again


@names_req
def test_two_ingests_racing_on_one_duplicate_record_one_sighting(
    dock: Dock, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workstations (or one ingest started twice) see the same copy at once. On
    PostgreSQL both look before either writes; the database keeps one sighting and one audit
    entry, and the loser gets a Conflict (which the ingest takes as "already recorded"). On
    SQLite a writer takes the write lock before it looks (BEGIN IMMEDIATE), so the second
    waits for the first and finds its sighting: one sighting all the same."""
    media.make_mp4(folder / "VID_0001.MP4", creation_time=RECENT)
    [result] = dock.ingest(folder, officer_badge=OFFICER).files
    copy = service.SourceFacts("备份/VID_0001.MP4", "VID_0001.MP4", result.size, 1)
    racing = dock.database.dialect == "postgresql"
    both_checked = threading.Barrier(2, timeout=10)
    real_known = service.known_file

    def known_then_wait(*args: Any) -> Any:
        found = real_known(*args)
        both_checked.wait()  # each has looked before either has written
        return found

    if racing:
        monkeypatch.setattr(service, "known_file", known_then_wait)
    [run] = dock.runs()
    outcomes: list[str] = []

    def sight() -> None:
        try:
            with dock.database.unit_of_work() as session:
                recording = session.get(Recording, result.recording_id)
                assert recording is not None
                added = service.add_sighting(
                    session=session,
                    actor=dock.actor,
                    recording=recording,
                    run_id=run.id,
                    source=copy,
                )
            outcomes.append("added" if added else "known")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=sight) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_LIMIT_S)
    assert sorted(outcomes) == ["added", "conflict" if racing else "known"]
    copies = [s for s in dock.sightings() if s.source_path == copy.path]
    assert len(copies) == 1 and copies[0].duplicate is True
    with dock.database.read() as session:
        sighted = session.scalars(
            select(AuditEvent.after).where(AuditEvent.tag == EvidenceEvent.RECORDING_SIGHTED)
        ).all()
    assert [json.loads(after or "{}")["path"] for after in sighted] == [copy.path]


# --- what the probe reads ----------------------------------------------------------------------


def video_of_unknown_codec(path: Path) -> Path:
    """A real MP4 whose video sample entry names a codec nobody knows (a proprietary camera
    codec, or one flipped byte in the header): PyAV opens it and gives the stream no codec."""
    data = media.make_mp4(path, creation_time=RECENT).read_bytes()
    fourcc = b"avc1" if media.VIDEO_CODEC == "libx264" else b"mp4v"
    path.write_bytes(data.replace(fourcc, b"zzzz"))  # the sample entry (and a brand in ftyp)
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context is None
    return path


def test_a_video_of_an_unknown_codec_is_stored_and_the_run_goes_on(
    dock: Dock, folder: Path
) -> None:
    video_of_unknown_codec(folder / "VID_0001.MP4")
    media.make_wav(folder / "VID_0002.wav")
    results = by_path(ingest_checked(dock, folder, officer_badge=OFFICER))
    assert results["VID_0001.MP4"].status is FileStatus.INGESTED
    assert dock.recording(results["VID_0001.MP4"].recording_id).flagged
    assert results["VID_0002.wav"].status is FileStatus.INGESTED


def swapped_before_probing(
    monkeypatch: pytest.MonkeyPatch, source: Path, swap: Callable[[Path], None]
) -> None:
    """``swap`` replaces the source file after its bytes were read and hashed, just before the
    media is probed (a device or another process still at work in the folder)."""
    real = ingest_module.probe

    def swap_then_probe(path: Path, **kwargs: Any) -> Any:
        swap(source)
        return real(path, **kwargs)

    monkeypatch.setattr(ingest_module, "probe", swap_then_probe)


def test_the_facts_describe_the_bytes_stored_even_if_the_source_changes_after_the_read(
    dock: Dock, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = media.make_mp4(folder / "VID_0001.MP4", seconds=1.0, width=320, height=240)
    other = media.make_mp4(tmp_path / "other.mp4", seconds=4.0, width=176, height=144)
    swapped_before_probing(monkeypatch, clip, lambda path: os.replace(other, path))
    read = file_digests(clip)[0]
    [result] = dock.ingest(folder, officer_badge=OFFICER).files
    assert result.sha256 == read  # the bytes read before the swap
    recording = dock.recording(result.recording_id)
    assert (recording.width, recording.height) == (320, 240)
    assert recording.duration_s == pytest.approx(1.0, abs=0.1)


def test_a_source_replaced_by_a_fifo_after_the_read_does_not_block_the_ingest(
    dock: Dock, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = media.make_mp4(folder / "VID_0001.MP4", creation_time=RECENT)
    read = file_digests(clip)[0]

    def to_fifo(path: Path) -> None:
        path.unlink()
        os.mkfifo(path)

    def unblock() -> None:  # a writer that opens and leaves: the blocked reader sees the end
        os.close(os.open(clip, os.O_WRONLY | os.O_NONBLOCK))

    swapped_before_probing(monkeypatch, clip, to_fifo)
    report = in_time(lambda: dock.ingest(folder, officer_badge=OFFICER), 5.0, unblock)
    [result] = report.files
    assert result.status is FileStatus.INGESTED and result.sha256 == read
    assert dock.recording(result.recording_id).kind == "video"
