"""Remote workstations (R14.1): a resumable upload. The workstation hashes a file, opens an
upload with its digests, sends the bytes in pieces (each at the offset the server holds, so an
interrupted upload continues where it stopped), then asks the server to complete it: the server
streams the received bytes through the same ingest path and refuses them unless its own SHA-256
and SM3 agree with the workstation's.

A workstation works for its own unit only (``service.ingest_units``), and a digest it sends
tells it nothing about other units' recordings: only its own units' recordings answer
"already stored" before the bytes arrive; anything else is deduplicated after the bytes have
been received and checked, and only then is a sighting recorded.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Action, Actor, system_actor
from lawcam.errors import Conflict, InvalidInput, LawcamError, NotFound
from lawcam.evidence.models import IngestRun, Recording, Upload
from lawcam.evidence.service import ingest_units
from lawcam.evidence.stream import Digests
from lawcam.evidence.types import EvidenceEvent
from lawcam.storage.base import SHA256_HEX
from lawcam.storage.local import write_all
from lawcam.timeutil import utcnow


class TooLarge(LawcamError):
    code = "too_large"
    http_status = 413


@dataclass(frozen=True)
class UploadIn:
    run_id: int
    name: str
    size: int
    sha256: str
    sm3: str
    mtime: datetime


def own_run(session: Session, actor: Actor, run_id: int) -> IngestRun:
    """A workstation continues only the runs it opened itself."""
    actor.require(Action.EVIDENCE_INGEST)
    run = session.get(IngestRun, run_id)
    if run is None or run.started_by != actor.label:
        raise NotFound("导入批次不存在。")
    return run


def _checked(data: UploadIn, max_size: int) -> None:
    for value, field in ((data.sha256, "sha256"), (data.sm3, "sm3")):
        if not SHA256_HEX.match(value):
            raise InvalidInput(f"{field} 应为 64 位小写十六进制摘要。", field=field)
    if data.size < 0:
        raise InvalidInput("文件大小不能为负数。", field="size")
    if data.size > max_size:
        raise InvalidInput(
            f"文件大小 {data.size} 字节超过了允许的上限 {max_size} 字节。", field="size"
        )
    if not data.name.strip():
        raise InvalidInput("文件名不能为空。", field="name")


def stored_in_scope(session: Session, actor: Actor, sha256: str) -> Recording | None:
    """The recording holding these bytes, if it is one of the caller's own units' (which the
    caller's unit may see anyway); another unit's is never named before bytes arrive."""
    units = ingest_units(session, actor)
    stmt = select(Recording).where(Recording.sha256 == sha256)
    if units is not None:
        stmt = stmt.where(Recording.unit_id.in_(units))
    return session.scalars(stmt).first()


def open_upload(
    *, session: Session, actor: Actor, data: UploadIn, max_size: int
) -> Upload | Recording:
    """An upload to send bytes to, or the caller's unit's recording when those bytes are
    already stored there (nothing is recorded: no bytes were received). An unfinished upload
    of the same bytes by the same account is resumed, not restarted."""
    _checked(data, max_size)
    run = own_run(session, actor, data.run_id)
    stored = stored_in_scope(session, actor, data.sha256)
    if stored is not None:
        return stored
    stmt = select(Upload).where(
        Upload.account_id == actor.account_id,
        Upload.sha256 == data.sha256,
        Upload.status == "open",
    )
    upload = session.scalars(stmt).first()
    if upload is not None:
        upload.ingest_run_id = run.id
        return upload
    upload = Upload(
        id=secrets.token_hex(16),
        account_id=actor.account_id,
        ingest_run_id=run.id,
        name=data.name[:1000],
        size=data.size,
        sha256=data.sha256,
        sm3=data.sm3,
        mtime=data.mtime,
        opened_at=utcnow(),
        status="open",
    )
    session.add(upload)
    session.flush()
    after = {"name": upload.name, "size": upload.size, "sha256": upload.sha256, "run": run.id}
    record(session, actor, EvidenceEvent.UPLOAD_OPENED, ("upload", upload.id), after=after)
    return upload


def own_upload(session: Session, actor: Actor, upload_id: str) -> Upload:
    actor.require(Action.EVIDENCE_INGEST)
    upload = session.get(Upload, upload_id)
    if upload is None or upload.account_id != actor.account_id:
        raise NotFound("上传不存在。")
    return upload


def spool_path(spool: Path, upload: Upload | str) -> Path:
    name = upload if isinstance(upload, str) else upload.id
    return spool / f"{name}.part"


def received(spool: Path, upload: Upload) -> int:
    try:
        return spool_path(spool, upload).stat().st_size
    except FileNotFoundError:
        return 0


@dataclass(frozen=True)
class Target:
    """What a piece is checked against, read before its bytes arrive."""

    upload_id: str
    size: int


def piece_target(session: Session, actor: Actor, upload_id: str) -> Target:
    upload = own_upload(session, actor, upload_id)
    if upload.status != "open":
        raise Conflict("该上传已结束。", field="upload")
    return Target(upload.id, upload.size)


@dataclass
class _Hashing:
    """Both digests of an upload's first ``offset`` bytes, as its pieces arrived."""

    offset: int
    sha256: Any
    sm3: Any

    def copy(self) -> _Hashing:
        return _Hashing(self.offset, self.sha256.copy(), self.sm3.copy())


# The server hashes each piece as it writes it, so that completing an upload need not read
# every byte back. Kept per process: after a restart (or on another node) the digests are
# simply computed again from the received file at completion.
_HASHING: dict[str, _Hashing] = {}
_HASHING_LOCK = threading.Lock()


def _hashing_at(upload_id: str, offset: int) -> _Hashing | None:
    """A private copy of the digests so far, if they cover exactly ``offset`` bytes."""
    if offset == 0:
        return _Hashing(0, hashlib.sha256(), hashlib.new("sm3"))
    with _HASHING_LOCK:
        found = _HASHING.get(upload_id)
        return found.copy() if found is not None and found.offset == offset else None


def received_digests(upload_id: str, size: int) -> Digests | None:
    """The digests of a fully received upload, computed as its pieces arrived (None when this
    process did not see every piece); forgotten once asked for."""
    with _HASHING_LOCK:
        found = _HASHING.pop(upload_id, None)
    if found is None or found.offset != size:
        return None
    return Digests(found.sha256.hexdigest(), found.sm3.hexdigest(), size)


# Part files a request of this process is writing, completing or sweeping. flock keeps other
# processes out (other nodes too, on NFSv4); but an NFS client emulates flock with POSIX locks,
# which never exclude their own process: two requests of one node for one upload are kept
# apart here, whatever the spool's file system.
_BUSY: set[Path] = set()


def _claim(path: Path) -> bool:
    """This process's claim on a part file; False when one of its requests holds it."""
    with _HASHING_LOCK:
        if path in _BUSY:
            return False
        _BUSY.add(path)
        return True


def _release(path: Path) -> None:
    with _HASHING_LOCK:
        _BUSY.discard(path)


def _lower_priority() -> None:
    """Receiving threads yield the CPU to people's requests: Linux schedules each thread on
    its own, so raising this thread's niceness leaves the rest of the server as it was."""
    with suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


# Where uploaded pieces are written and hashed: one thread per core (hashing is CPU-bound, so
# more threads would not be faster), at a lower priority (so that uploads take the CPU the
# browsing people leave, not the other way round: DESIGN principle 7).
RECEIVERS = ThreadPoolExecutor(
    max_workers=os.cpu_count() or 1,
    thread_name_prefix="lawcam-receive",
    initializer=_lower_priority,
)


class Piece:
    """One piece being written at ``offset``: all of it becomes part of the upload, or none of
    it (a piece cut off, too long, or refused is truncated away, so the offset the server
    acknowledges is always a whole number of accepted pieces). An exclusive lock on the part
    file (and this process's claim on it) keeps two requests for the same upload, on one node
    or two, from interleaving their bytes."""

    def __init__(self, spool: Path, target: Target, offset: int, limit: int) -> None:
        spool.mkdir(parents=True, exist_ok=True)
        self._path = spool_path(spool, target.upload_id)
        if not _claim(self._path):
            raise Conflict("该上传正在接收另一段数据，请稍后重试。", field="offset")
        try:
            self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError:
            _release(self._path)
            raise
        self._start = offset
        self._done = False
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._fd = self._closed()
            raise Conflict("该上传正在接收另一段数据，请稍后重试。", field="offset") from None
        have = os.fstat(self._fd).st_size
        if offset != have:
            self._fd = self._closed()  # nothing written: nothing to truncate
            raise Conflict(
                f"偏移量应为 {have}（服务器已收到的字节数）。", field="offset", offset=have
            )
        self._room = min(limit, target.size - offset)
        self._upload_id = target.upload_id
        self._hashing = _hashing_at(target.upload_id, offset)
        os.lseek(self._fd, offset, os.SEEK_SET)

    def check_declared(self, length: int | None, limit: int) -> None:
        """Refuse a body announced too long before reading any of it."""
        if length is not None and length > limit:
            raise TooLarge(f"单次上传的数据不能超过 {limit} 字节，请分段发送。", field="size")
        if length is not None and length > self._room:
            raise InvalidInput("发送的字节超过了声明的文件大小。", field="size")

    def write(self, block: bytes | bytearray) -> None:
        if len(block) > self._room:
            raise InvalidInput("发送的字节超过了声明的文件大小或单次上传的上限。", field="size")
        write_all(self._fd, memoryview(block))
        self._room -= len(block)
        if self._hashing is not None:  # hashlib releases the GIL on blocks this large
            self._hashing.sha256.update(block)
            self._hashing.sm3.update(block)
            self._hashing.offset += len(block)

    def commit(self) -> int:
        os.fsync(self._fd)  # what the server acknowledges survives its crash
        self._done = True
        if self._hashing is not None:
            with _HASHING_LOCK:
                _HASHING[self._upload_id] = self._hashing
        return os.lseek(self._fd, 0, os.SEEK_CUR)

    def close(self) -> None:
        if self._fd < 0:
            return
        if not self._done:
            os.ftruncate(self._fd, self._start)
        self._fd = self._closed()

    def _closed(self) -> int:
        """Closes the part file (which releases its lock), then this process's claim."""
        try:
            os.close(self._fd)
        finally:
            _release(self._path)
        return -1


def append(spool: Path, upload: Upload, offset: int, data: bytes, limit: int) -> int:
    """Adds a whole piece held in memory (the CLI's local path and tests); the web route streams
    its body through ``Piece`` instead."""
    if upload.status != "open":
        raise Conflict("该上传已结束。", field="upload")
    piece = Piece(spool, Target(upload.id, upload.size), offset, limit)
    try:
        piece.check_declared(len(data), limit)
        piece.write(data)
        return piece.commit()
    finally:
        piece.close()


def _last_activity(spool: Path, upload: Upload) -> datetime:
    try:
        mtime = spool_path(spool, upload).stat().st_mtime
    except FileNotFoundError:
        return upload.opened_at
    return max(upload.opened_at, datetime.fromtimestamp(mtime, upload.opened_at.tzinfo))


@contextmanager
def held(path: Path) -> Iterator[None]:
    """The upload's part file locked for a completion (Conflict when a piece or another
    completion holds it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not _claim(path):
        raise Conflict("该上传正在接收数据或正在完成，请稍后重试。", field="upload")
    try:
        # Opened for writing although nothing is written: over NFS an exclusive flock is a
        # POSIX lock, refused (EBADF) on a file opened only for reading.
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # an empty file has no piece
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Conflict("该上传正在接收数据或正在完成，请稍后重试。", field="upload") from None
        try:
            yield
        finally:
            os.close(fd)
    finally:
        _release(path)


def _remove_idle(path: Path) -> int | None:
    """Removes a part file unless a piece holds its lock; its size, or None when busy."""
    if not _claim(path):
        return None
    try:
        try:
            fd = os.open(path, os.O_RDWR)  # for writing: as in ``held``, for NFS's sake
        except FileNotFoundError:
            return 0
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            size = os.fstat(fd).st_size
            path.unlink(missing_ok=True)
            return size
        finally:
            os.close(fd)
    finally:
        _release(path)


def sweep_abandoned(*, session: Session, spool: Path, idle: timedelta) -> int:
    """Unfinished uploads idle longer than ``idle``: their received bytes (a copy; the original
    is still on the device) are removed and the upload marked abandoned, audited. A workstation
    that comes back later simply starts the file again."""
    now = utcnow()
    count = 0
    # Each server process sweeps: a row another one is sweeping is skipped, not swept twice.
    stmt = select(Upload).where(Upload.status == "open").with_for_update(skip_locked=True)
    for upload in session.scalars(stmt):
        if now - _last_activity(spool, upload) < idle:
            continue
        size = _remove_idle(spool_path(spool, upload))
        if size is None:  # a piece is arriving right now: not idle after all
            continue
        upload.status = "abandoned"
        received_digests(upload.id, -1)  # forget any digests in progress
        after = {"received": size, "size": upload.size, "idle_hours": idle.total_seconds() / 3600}
        actor = system_actor("upload-sweep")
        record(session, actor, EvidenceEvent.UPLOAD_ABANDONED, ("upload", upload.id), after=after)
        count += 1
    return count
