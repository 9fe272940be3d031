"""A docking ingested several files at once (issue #19, R14.1, R15.1): SM3 holds one core per
file, so the files of one folder go side by side on every core, the largest first. The report
still lists them in the folder's order; two copies of one file ingested at the same moment make
one recording and one duplicate; a store failure stops the docking with the file named and
leaves every file either whole or absent; the progress display adds up to the folder."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from lawcam.errors import LawcamError
from lawcam.evidence import ingest as ingest_module
from lawcam.evidence.ingest import FileResult
from lawcam.evidence.stream import BLOCK
from lawcam.evidence.timing import lock_until
from lawcam.evidence.types import FileStatus
from lawcam.storage import StorageError
from lawcam.storage.local import LocalStore, LocalWriter
from lawcam.timeutil import clock_at
from tests import media
from tests.unit.evidence.test_ingest import Dock, dock

__all__ = ["dock"]

pytestmark = pytest.mark.req("R14.1", "R15.1")


def card(folder: Path) -> list[str]:
    """Two videos of a few blocks, a short clip and a photo; names in the folder's order."""
    folder.mkdir()
    big = media.make_mp4(folder / "A_video.mp4", seconds=1)
    media.pad_mdat(big, BLOCK + 123)
    media.make_mp4(folder / "B_clip.mp4", seconds=1, comment="b")
    large = media.make_mp4(folder / "C_large.mp4", seconds=1, comment="c")
    media.pad_mdat(large, 2 * BLOCK + 77)
    media.make_jpeg(folder / "D_photo.jpg")
    return ["A_video.mp4", "B_clip.mp4", "C_large.mp4", "D_photo.jpg"]


def with_workers(dock: Dock, workers: int) -> Dock:
    dock.settings = dock.settings.model_copy(update={"ingest_workers": workers})
    return dock


class Overlap:
    """Counts the files being read at one moment; the first two wait for each other, so a
    docking that reads one file at a time cannot pass."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0
        self.meet = threading.Barrier(2, timeout=20)
        self.order: list[str] = []

    def wrap(self, real: Any) -> Any:
        def ingest(ingestor: Any, candidate: Any, *args: Any, **kwargs: Any) -> FileResult:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
                self.order.append(candidate.display)
                first_two = len(self.order) <= 2
            if first_two:
                self.meet.wait()
            try:
                result: FileResult = real(ingestor, candidate, *args, **kwargs)
                return result
            finally:
                with self.lock:
                    self.now -= 1

        return ingest


def test_files_go_side_by_side_largest_first_and_the_report_keeps_the_folders_order(
    dock: Dock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = card(tmp_path / "card")
    overlap = Overlap()
    monkeypatch.setattr(
        ingest_module.Ingestor, "ingest", overlap.wrap(ingest_module.Ingestor.ingest)
    )
    report = with_workers(dock, 2).ingest(tmp_path / "card")
    assert overlap.most == 2  # two files were read at the same moment
    assert overlap.order[:2] == ["C_large.mp4", "A_video.mp4"]  # the largest first
    assert [r.path for r in report.files] == names
    assert [r.status for r in report.files] == [FileStatus.INGESTED] * 4
    assert dock.totals() == (4, 4, 4) and dock.temp_files() == []
    again = dock.ingest(tmp_path / "card")
    assert [r.status for r in again.files] == [FileStatus.DUPLICATE] * 4
    assert dock.totals() == (4, 4, 4)  # one sighting per path and device


def test_one_worker_reads_one_file_at_a_time(
    dock: Dock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card(tmp_path / "card")
    overlap = Overlap()
    overlap.meet = threading.Barrier(1)  # nobody to wait for
    monkeypatch.setattr(
        ingest_module.Ingestor, "ingest", overlap.wrap(ingest_module.Ingestor.ingest)
    )
    report = with_workers(dock, 1).ingest(tmp_path / "card")
    assert overlap.most == 1 and report.count(FileStatus.INGESTED) == 4
    assert overlap.order == ["C_large.mp4", "A_video.mp4", "B_clip.mp4", "D_photo.jpg"]


def test_two_copies_of_one_file_at_the_same_moment_make_one_recording(
    dock: Dock, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    folder.mkdir()
    video = media.make_mp4(folder / "VID_1.mp4", seconds=1)
    media.pad_mdat(video, 2 * BLOCK)
    for copy in ("VID_2.mp4", "VID_3.mp4"):
        shutil.copy2(video, folder / copy)
    report = with_workers(dock, 3).ingest(folder)
    statuses = sorted(str(r.status) for r in report.files)
    assert statuses == ["duplicate", "duplicate", "ingested"]
    assert len({r.recording_id for r in report.files}) == 1
    assert dock.totals() == (1, 3, 1) and dock.temp_files() == []


def test_a_store_failure_names_the_file_and_leaves_each_file_whole_or_absent(
    dock: Dock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = card(tmp_path / "card")
    real = LocalWriter.publish

    def publish(writer: LocalWriter, sha256: str, retain_until: Any) -> bool:
        if writer.written_path.stat().st_size > 2 * BLOCK:  # the large video
            raise StorageError("磁盘已满")
        return real(writer, sha256, retain_until)

    monkeypatch.setattr(LocalWriter, "publish", publish)
    with pytest.raises(LawcamError) as refused:
        with_workers(dock, 2).ingest(tmp_path / "card")
    assert "C_large.mp4" in refused.value.message and "磁盘已满" in refused.value.message
    assert refused.value.code == "storage_error"
    recordings, sightings, objects = dock.totals()
    assert recordings == sightings == objects < 4  # whatever finished is whole
    assert dock.temp_files() == []
    monkeypatch.setattr(LocalWriter, "publish", real)
    report = dock.ingest(tmp_path / "card")  # the same command again finishes the job
    assert {r.path for r in report.files} == set(names)
    assert dock.totals()[0] == 4 and dock.temp_files() == []


class Tally:
    def __init__(self) -> None:
        self.files = self.total = self.bytes = self.done = 0

    def start(self, files: int, total_bytes: int) -> None:
        self.files, self.total = files, total_bytes

    def advance(self, nbytes: int) -> None:
        self.bytes += nbytes  # not atomic by itself: the ingest calls it one worker at a time

    def file_done(self, result: FileResult) -> None:
        self.done += 1


def test_the_progress_adds_up_to_the_folder_with_files_side_by_side(
    dock: Dock, tmp_path: Path
) -> None:
    card(tmp_path / "card")
    tally = Tally()
    dock.settings = dock.settings.model_copy(update={"ingest_workers": 4})
    dock.ingest(tmp_path / "card", progress=tally)
    size = sum(p.stat().st_size for p in (tmp_path / "card").iterdir())
    assert (tally.files, tally.done) == (4, 4) and tally.total == tally.bytes == size


def test_publishing_a_file_holds_no_write_transaction(
    dock: Dock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large file's fsync and read-back take seconds: another file's commit (any writer) goes
    on meanwhile instead of queueing behind it (SQLite has one write lock)."""
    card(tmp_path / "card")
    real, waited = LocalWriter.publish, []

    def publish(writer: LocalWriter, sha256: str, retain_until: Any) -> bool:
        other = threading.Thread(target=write_something, args=(dock,))
        began = time.monotonic()
        other.start()
        other.join(timeout=10)
        waited.append(time.monotonic() - began)
        return real(writer, sha256, retain_until)

    monkeypatch.setattr(LocalWriter, "publish", publish)
    report = with_workers(dock, 1).ingest(tmp_path / "card")
    assert report.count(FileStatus.INGESTED) == 4
    assert len(waited) == 4 and max(waited) < 5  # the busy timeout is 30 s


def write_something(dock: Dock) -> None:
    with dock.database.unit_of_work() as session:
        session.execute(text("UPDATE unit SET name = name WHERE id = -1"))


def test_a_day_turning_between_publish_and_commit_lengthens_the_stores_lock(
    dock: Dock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock is set from the promise planned before publishing; the row's promise is planned
    again in its transaction, and a later day (midnight passed) extends the lock to match."""
    folder = tmp_path / "card"
    folder.mkdir()
    media.make_mp4(folder / "VID_1.mp4", seconds=1)
    real_plan, plans = ingest_module.Ingestor._plan, []

    def plan(ingestor: Any, session: Any, facts: Any) -> Any:
        planned = real_plan(ingestor, session, facts)
        if plans:  # the second plan, in the transaction: one day later
            planned.retain_until += timedelta(days=1)
        plans.append(planned.retain_until)
        return planned

    extended: list[tuple[str, Any]] = []
    real_extend = LocalStore.extend_retention

    def extend(store: LocalStore, sha256: str, until: Any) -> bool:
        extended.append((sha256, until))
        return real_extend(store, sha256, until)

    monkeypatch.setattr(ingest_module.Ingestor, "_plan", plan)
    monkeypatch.setattr(LocalStore, "extend_retention", extend)
    [result] = dock.ingest(folder).files
    assert plans[1] == plans[0] + timedelta(days=1)
    assert extended == [(result.sha256, lock_until(plans[1]))]
    assert dock.recording(result.recording_id).retain_until == plans[1]


def test_every_file_is_ingested_at_the_callers_played_clock(dock: Dock, tmp_path: Path) -> None:
    """The demo plays past weeks through the real services (``clock_at``): files ingested on
    other threads happen at that moment too, not at the machine's."""
    card(tmp_path / "card")
    played = datetime(2024, 3, 5, 2, 0, tzinfo=UTC)
    with clock_at(played):
        report = with_workers(dock, 2).ingest(tmp_path / "card")
    for result in report.files:
        assert dock.recording(result.recording_id).ingested_at == played
