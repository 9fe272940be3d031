"""The ingest path (R14.1, R15.1): preflight → stream each file once into both digests and the
store → probe → publish under the content address → the recording row and its audit entry in
one transaction → read back.

A crash anywhere leaves either nothing visible or a complete recording: the store publishes only
whole, fsynced objects, and a blob whose row never committed is adopted by the next run (after
its bytes are checked again). The source is opened read-only and never changed.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.errors import Conflict, LawcamError
from lawcam.evidence import service, uploads
from lawcam.evidence.models import IngestRun, Recording
from lawcam.evidence.probe import probe
from lawcam.evidence.sources import (
    Candidate,
    find_files,
    os_reason,
    printable,
    remote_name_problems,
)
from lawcam.evidence.stream import Digests, read_digests, stream
from lawcam.evidence.timing import lock_until
from lawcam.evidence.types import FileStatus, MediaFacts, Problem, StartSource
from lawcam.org.models import Person
from lawcam.storage import BlobStore, BlobWriter, StorageError
from lawcam.timeutil import utcnow


@dataclass
class FileResult:
    path: str
    status: FileStatus
    size: int = 0
    sha256: str | None = None
    sm3: str | None = None
    recording_id: int | None = None
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "sm3": self.sm3,
            "status": str(self.status),
            "recording_id": self.recording_id,
            "size": self.size,
            "problems": [problem.as_dict() for problem in self.problems],
        }


@dataclass
class IngestReport:
    run_id: int
    files: list[FileResult] = field(default_factory=list)

    def count(self, status: FileStatus) -> int:
        return sum(1 for result in self.files if result.status is status)

    @property
    def flagged(self) -> int:
        return sum(1 for r in self.files if r.status is FileStatus.INGESTED and r.problems)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ingested": self.count(FileStatus.INGESTED),
            "duplicates": self.count(FileStatus.DUPLICATE),
            "flagged": self.flagged,
            "refused": self.count(FileStatus.REFUSED),
            "bytes": sum(r.size for r in self.files if r.status is FileStatus.INGESTED),
            "files": [result.as_dict() for result in self.files],
        }


class Progress(Protocol):
    def start(self, files: int, total_bytes: int) -> None: ...
    def advance(self, nbytes: int) -> None: ...
    def file_done(self, result: FileResult) -> None: ...


@dataclass(frozen=True)
class Expected:
    """Digests a remote workstation computed; the server's own pass must agree."""

    sha256: str
    sm3: str


class _SourceChanged(Exception):
    pass


class Ingestor:
    """One docking: a device's files into the store and the database, each file on its own
    (several may go at once: nothing here is shared between two calls but the database and the
    store, both safe for that)."""

    def __init__(
        self,
        *,
        database: Database,
        store: BlobStore,
        settings: Settings,
        actor: Actor,
        run_id: int,
    ) -> None:
        self.database, self.store, self.actor = database, store, actor
        self.run_id = run_id
        self.limits = service.Limits(
            max_clock_offset_s=settings.ingest_max_clock_offset_s,
            deadline_hours=settings.upload_deadline_hours,
            retention_years=settings.retention_years,
        )

    def ingest(
        self,
        candidate: Candidate,
        on_bytes: Callable[[int], None] | None = None,
        expected: Expected | None = None,
    ) -> FileResult:
        if candidate.refusal is not None:
            return self._refuse(candidate, candidate.refusal)
        try:
            fd = os.open(candidate.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as exc:
            return self._refuse(
                candidate, Problem("unreadable", f"无法打开文件：{os_reason(exc)}。")
            )
        try:
            return self._ingest_open(candidate, fd, on_bytes, expected)
        except _SourceChanged:
            return self._refuse(
                candidate,
                Problem(
                    "changed_while_read",
                    "读取过程中文件被修改，未导入；请在设备停止写入后重新导入（原文件未动）。",
                ),
            )
        except OSError as exc:
            return self._refuse(
                candidate, Problem("unreadable", f"读取文件失败：{os_reason(exc)}。")
            )
        finally:
            os.close(fd)

    def _ingest_open(
        self,
        candidate: Candidate,
        fd: int,
        on_bytes: Callable[[int], None] | None,
        expected: Expected | None,
    ) -> FileResult:
        before = os.fstat(fd)
        known = self._known(candidate, before)
        if known is not None:
            digests = self._read(fd, before, None, on_bytes)
            if digests.sha256 == known.sha256 and expected is None:
                return self._duplicate(candidate, known.id, digests)
            os.lseek(fd, 0, os.SEEK_SET)
        writer = self.store.writer()
        try:
            digests = self._read(fd, before, writer, on_bytes)
            if expected and (expected.sha256, expected.sm3) != (digests.sha256, digests.sm3):
                writer.abort()
                return self._refuse(candidate, _digest_mismatch(), digests)
            return self._store(candidate, digests, writer)
        finally:
            writer.abort()  # after publish it does nothing

    def ingest_received(
        self, candidate: Candidate, digests: Digests, expected: Expected
    ) -> FileResult:
        """A remote upload hashed by the server as its pieces arrived: the received file is
        moved into the store as it is (no second pass over its bytes) and published like any
        other. A store that cannot take the file over copies it through the usual path."""
        if (expected.sha256, expected.sm3) != (digests.sha256, digests.sm3):
            return self._refuse(candidate, _digest_mismatch(), digests)
        try:
            writer = self.store.adopt(candidate.path)
        except StorageError:
            return self.ingest(candidate, expected=expected)
        try:
            return self._store(candidate, digests, writer)
        finally:
            writer.abort()  # after publish it does nothing

    def _known(self, candidate: Candidate, info: os.stat_result) -> Recording | None:
        with self.database.read() as session:
            run = session.get(IngestRun, self.run_id)
            assert run is not None
            found = service.known_file(
                session, run.device_id, candidate.display, info.st_size, info.st_mtime_ns
            )
            if found is not None:
                session.expunge(found)
            return found

    def _read(
        self,
        fd: int,
        before: os.stat_result,
        writer: BlobWriter | None,
        on_bytes: Callable[[int], None] | None,
    ) -> Digests:
        digests = stream(fd, writer, on_bytes)
        after = os.fstat(fd)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise _SourceChanged
        if digests.size != after.st_size:
            raise _SourceChanged
        return digests

    def _store(self, candidate: Candidate, digests: Digests, writer: BlobWriter) -> FileResult:
        existing = self._recording_id(digests.sha256)
        if existing is not None:
            return self._duplicate(candidate, existing, digests)
        facts = _probe_written(writer, candidate)
        facts.problems.extend(candidate.name_problems)
        try:
            recording_id, planned = self._commit(candidate, digests, writer, facts)
        except Conflict:  # another workstation stored the same bytes a moment ago
            existing = self._recording_id(digests.sha256)
            if existing is None:
                raise
            return self._duplicate(candidate, existing, digests)
        problems = [Problem(p["code"], p["message"]) for p in planned.problems]
        return FileResult(
            candidate.display,
            FileStatus.INGESTED,
            digests.size,
            digests.sha256,
            digests.sm3,
            recording_id,
            problems,
        )

    def _commit(
        self, candidate: Candidate, digests: Digests, writer: BlobWriter, facts: MediaFacts
    ) -> tuple[int, Recording]:
        """Publish and read back, then the row and its audit entry in one transaction. The
        first two stay outside it: a large file's fsync or an adopted blob's second hashing
        takes seconds, and on SQLite a write transaction would hold every other file's commit
        (and every other writer) that long. A crash after publish leaves a blob without a row,
        which the next run adopts."""
        with self.database.read() as session:
            promised = self._plan(session, facts).retain_until
        created = writer.publish(digests.sha256, lock_until(promised))
        self._read_back(digests, adopted=not created)
        with self.database.unit_of_work() as session:
            planned = self._plan(session, facts)
            if planned.retain_until > promised:  # the day turned meanwhile: the lock follows
                self.store.extend_retention(digests.sha256, lock_until(planned.retain_until))
            source = _source_facts(candidate, digests)
            recording = service.add_recording(
                session=session,
                actor=self.actor,
                planned=planned,
                digests=digests,
                source=source,
                adopted=not created,
            )
            return recording.id, planned

    def _plan(self, session: Session, facts: MediaFacts) -> Recording:
        run = session.get(IngestRun, self.run_id)
        assert run is not None
        officer = session.get(Person, run.officer_id) if run.officer_id else None
        return service.plan_recording(session, run, facts, officer, self.limits)

    def _read_back(self, digests: Digests, *, adopted: bool) -> None:
        """The store holds what was read. An adopted blob (left by a crash, or put there by
        someone else) is hashed again in full before any row points to it."""
        stored = self.store.stat(digests.sha256)
        if stored is None or stored.size != digests.size:
            raise StorageError(f"read-back of {digests.sha256} failed: {stored}")
        if adopted:
            with self.store.open(digests.sha256) as handle:
                again = read_digests(handle)
            if again != digests:
                raise StorageError(f"the stored object {digests.sha256} differs from the source")

    def _recording_id(self, sha256: str) -> int | None:
        with self.database.read() as session:
            recording = service.recording_by_sha(session, sha256)
            return recording.id if recording else None

    def _duplicate(self, candidate: Candidate, recording_id: int, digests: Digests) -> FileResult:
        try:
            with self.database.unit_of_work() as session:
                recording = session.get(Recording, recording_id)
                assert recording is not None
                service.add_sighting(
                    session=session,
                    actor=self.actor,
                    recording=recording,
                    run_id=self.run_id,
                    source=_source_facts(candidate, digests),
                )
        except Conflict:  # another workstation recorded this very sighting a moment ago
            pass
        return FileResult(
            candidate.display,
            FileStatus.DUPLICATE,
            digests.size,
            digests.sha256,
            digests.sm3,
            recording_id,
        )

    def _refuse(
        self, candidate: Candidate, problem: Problem, digests: Digests | None = None
    ) -> FileResult:
        with self.database.unit_of_work() as session:
            service.record_refusal(
                session=session,
                actor=self.actor,
                run_id=self.run_id,
                path=candidate.display,
                problem=problem,
            )
        result = FileResult(candidate.display, FileStatus.REFUSED, candidate.size)
        if digests is not None:
            result.sha256, result.sm3 = digests.sha256, digests.sm3
        result.problems = [problem]
        return result


def _probe_written(writer: BlobWriter, candidate: Candidate) -> MediaFacts:
    """The media facts of the very bytes that were hashed and will be stored (the writer's
    temporary file), not of the source, which may have changed or been swapped since."""
    mtime = datetime.fromtimestamp(candidate.mtime_ns / 1e9, UTC)
    try:
        return probe(writer.written_path, name=candidate.name, mtime=mtime, now=utcnow())
    except Exception as exc:
        facts = MediaFacts(start_at=mtime, start_source=StartSource.MTIME)
        facts.problems.append(
            Problem("probe_failed", f"无法解析媒体信息（{type(exc).__name__}），已按原样保存。")
        )
        return facts


def _digest_mismatch() -> Problem:
    return Problem(
        "digest_mismatch",
        "服务器收到的内容与工作站计算的摘要不一致（传输出错或被篡改），未导入；请重新上传。",
    )


def _source_facts(candidate: Candidate, digests: Digests) -> service.SourceFacts:
    return service.SourceFacts(candidate.display, candidate.name, digests.size, candidate.mtime_ns)


@dataclass(frozen=True)
class IngestRequest:
    path: Path
    device_serial: str
    workstation: str
    device_time: datetime | None = None
    officer_badge: str | None = None


def ingest_folder(
    *,
    database: Database,
    store: BlobStore,
    settings: Settings,
    actor: Actor,
    request: IngestRequest,
    progress: Progress | None = None,
) -> IngestReport:
    """``lawcam ingest``: every file under the folder, each in its own transaction, several at
    once (``ingest_workers``)."""
    candidates = find_files(request.path)  # refuses a missing path before anything is written
    with database.unit_of_work() as session:
        docking = service.Docking(
            device=service.docking_device(session, actor, request.device_serial),
            workstation=request.workstation,
            source=printable(str(request.path.resolve())),
            device_time=request.device_time,
            officer=service.docking_officer(session, actor, request.officer_badge),
        )
        run = service.open_run(session=session, actor=actor, docking=docking)
        run_id = run.id
    store.clean_abandoned()
    ingestor = Ingestor(
        database=database,
        store=store,
        settings=settings,
        actor=actor,
        run_id=run_id,
    )
    if progress:
        progress.start(len(candidates), sum(c.size for c in candidates if c.refusal is None))
    shared = _Shared(progress)
    results = _in_parallel(ingestor, candidates, settings.ingest_parallel, shared)
    return IngestReport(run_id, results)


def _in_parallel(
    ingestor: Ingestor, candidates: list[Candidate], workers: int, progress: _Shared
) -> list[FileResult]:
    """Several files at once, since one file's pass is bound by SM3 on one core. The largest
    start first, so that the small ones fill the cores at the end instead of a large one
    running alone. Each file is still its own transaction: a crash or an error in one leaves
    the others whole. Results come back in the folder's order."""
    order = sorted(range(len(candidates)), key=lambda i: -candidates[i].size)
    results: list[FileResult | None] = [None] * len(candidates)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lawcam-ingest") as pool:
        futures = {
            # Each file in a copy of the caller's context: the demo's played clock is in it.
            pool.submit(contextvars.copy_context().run, _one, ingestor, candidates[i], progress): i
            for i in order
        }
        try:
            for future in as_completed(futures):
                results[futures[future]] = future.result()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # files under way finish whole
            raise
    return [result for result in results if result is not None]


def _one(ingestor: Ingestor, candidate: Candidate, progress: _Shared) -> FileResult:
    try:
        result = ingestor.ingest(candidate, progress.advance)
    except StorageError as exc:  # the store, not this file: every later file would fail too
        raise LawcamError(
            f"存储出错，导入在“{candidate.display}”处中止：{exc}。"
            "已导入的文件不受影响；排除故障后重新运行同一命令即可继续。",
            code="storage_error",
        ) from exc
    progress.file_done(result)
    return result


class _Shared:
    """One progress display fed by every worker, one call at a time."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.lock = threading.Lock()

    def advance(self, nbytes: int) -> None:
        if self.progress:
            with self.lock:
                self.progress.advance(nbytes)

    def file_done(self, result: FileResult) -> None:
        if self.progress:
            with self.lock:
                self.progress.file_done(result)


def complete_upload(
    *,
    database: Database,
    store: BlobStore,
    settings: Settings,
    actor: Actor,
    upload_id: str,
) -> FileResult:
    """A remote upload's bytes, all received, through the same path as a local file."""
    spool = settings.upload_spool
    with database.read() as session:
        upload = uploads.own_upload(session, actor, upload_id)
        if upload.status != "open":
            raise Conflict("该上传已结束。", field="upload")
        have = uploads.received(spool, upload)
        if have != upload.size:
            raise Conflict(
                f"尚未收齐：已收到 {have} 字节，共 {upload.size} 字节。",
                field="offset",
                offset=have,
            )
        candidate = Candidate(
            uploads.spool_path(spool, upload),
            printable(upload.name),
            printable(upload.name.replace("\\", "/").rsplit("/", 1)[-1]),
            upload.size,
            int(upload.mtime.timestamp() * 1e9),
            name_problems=remote_name_problems(upload.name),
        )
        expected = Expected(upload.sha256, upload.sm3)
        run_id = upload.ingest_run_id
    ingestor = Ingestor(
        database=database, store=store, settings=settings, actor=actor, run_id=run_id
    )
    received = uploads.received_digests(upload_id, candidate.size)
    with uploads.held(candidate.path):  # no piece, no second completion meanwhile
        if received is not None:
            result = ingestor.ingest_received(candidate, received, expected)
        else:
            result = ingestor.ingest(candidate, expected=expected)
        with database.unit_of_work() as session:
            upload = uploads.own_upload(session, actor, upload_id)
            upload.status = "failed" if result.status is FileStatus.REFUSED else "done"
            upload.recording_id = result.recording_id
            if result.sha256 and not uploads.stored_in_scope(session, actor, result.sha256):
                result.recording_id = None  # another unit's recording: not named to this caller
        candidate.path.unlink(missing_ok=True)  # a copy: the original is in the store
    return result
