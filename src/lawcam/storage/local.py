"""The write-once folder: objects at ``root/ab/cd/<sha256>``, mode 0444, published by hard link.

A writer fills a temporary file in ``root/.tmp`` (same file system, so the link is atomic) and
``publish`` links it to its address: ``os.link`` never replaces an existing name, so an object
once published is never overwritten, even by two writers racing on the same address (R14.2).
"""

from __future__ import annotations

import io
import os
import re
import secrets
import socket
import stat
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from lawcam.storage.base import (
    SHA256_HEX,
    Protection,
    StorageError,
    StoredObject,
    address,
    check_range,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

TMP_DIR = ".tmp"
# A writer's temporary file names its node and process: ``<node>~<pid>-<hex>.part`` (files
# of before, ``<pid>-<hex>.part``, count as this node's). On a folder shared by several nodes
# a process id means something only on the node that wrote it.
NODE = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())[:64] or "node"
_TMP_NAME = re.compile(r"^(?:([A-Za-z0-9._]+)~)?(\d+)-[0-9a-f]+\.part$")
# Another node's file is someone's crash only once nothing has written to it for this long
# (a writer appends continuously; the longest upload piece takes minutes, not a day).
FOREIGN_STALE_S = 24 * 3600
_FANOUT = re.compile(r"^[0-9a-f]{2}$")


def write_all(fd: int, block: bytes | memoryview) -> None:
    """Write every byte of ``block``: os.write may write less than asked (signals, pipes)."""
    view = memoryview(block)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (a new name, a new subdirectory) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clean_pid_files(folder: Path, pattern: re.Pattern[str]) -> int:
    """Remove the files in ``folder`` left by dead writers: this node's (``pattern``'s group 1
    the node, None or ``NODE``; group 2 the pid) when the pid is gone; another node's — whose
    pid this node cannot judge — only when untouched for ``FOREIGN_STALE_S``."""
    removed = 0
    if not folder.is_dir():
        return 0
    for entry in os.scandir(folder):
        match = pattern.match(entry.name)
        if match and _abandoned(entry, match.group(1), int(match.group(2))):
            Path(entry.path).unlink(missing_ok=True)
            removed += 1
    return removed


def _abandoned(entry: os.DirEntry[str], node: str | None, pid: int) -> bool:
    if node is None or node == NODE:
        return not pid_alive(pid)
    try:
        idle = time.time() - entry.stat(follow_symlinks=False).st_mtime
    except FileNotFoundError:  # its writer published or removed it meanwhile
        return False
    return idle > FOREIGN_STALE_S


def _advise_done(fd: int, offset: int, length: int) -> None:
    """POSIX_FADV_DONTNEED: on Linux it starts writeback of dirty pages and drops clean ones
    (bench/ingest.py: the writer's cost went from 1.46x to 1.11x of SM3 alone). Only a hint."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        advise(fd, offset, length, os.POSIX_FADV_DONTNEED)


class _FileWindow(io.RawIOBase):
    """Bytes [start, end) of an open file, read with pread: never a byte past ``end``, and no
    shared file position (the descriptor is this window's alone)."""

    def __init__(self, fd: int, start: int, end: int) -> None:
        self._fd, self._position, self._end = fd, start, end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")[: self._end - self._position]
        if not view:
            return 0
        count = os.preadv(self._fd, [view], self._position)
        self._position += count
        return count

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


class LocalWriter:
    """One object on its way into a LocalStore."""

    def __init__(self, store: LocalStore, adopt: Path | None = None) -> None:
        self._store = store
        name = f"{NODE}~{os.getpid()}-{secrets.token_hex(8)}.part"
        self._tmp = store.root / TMP_DIR / name
        self._written = 0
        if adopt is not None:
            self._adopt(adopt)
            return
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        try:
            self._fd: int | None = os.open(self._tmp, flags, 0o600)
        except OSError as exc:  # the store's fault (missing folder, disk full), not the source's
            raise StorageError(
                f"cannot create a temporary file in {self._tmp.parent}: {exc}"
            ) from exc

    def _adopt(self, path: Path) -> None:
        """Move a finished file in as this writer's temporary file (same file system only:
        a rename, never a copy). A crash leaves it here, named after this process, and the
        next ``clean_abandoned`` removes it like any dead writer's file."""
        try:
            os.rename(path, self._tmp)
            self._fd = os.open(self._tmp, os.O_WRONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise StorageError(f"cannot move {path} into the store: {exc}") from exc
        self._written = os.fstat(self._fd).st_size
        os.lseek(self._fd, self._written, os.SEEK_SET)

    @property
    def written_path(self) -> Path:
        return self._tmp

    def __enter__(self) -> LocalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()

    def write(self, block: bytes) -> None:
        if self._fd is None:
            raise StorageError("write after publish or abort")
        try:
            write_all(self._fd, block)
        except OSError as exc:
            raise StorageError(f"cannot write {self._tmp}: {exc}") from exc
        # Start writing this block to disk now rather than all at once in publish's fsync, so
        # the final fsync does not stall the pipeline (a hint: fsync still makes it durable).
        _advise_done(self._fd, self._written, len(block))
        self._written += len(block)

    def publish(self, sha256: str, retain_until: datetime) -> bool:
        final = self._store.root / address(sha256)
        fd = self._fd
        if fd is None:
            raise StorageError("publish after publish or abort")
        try:
            os.fsync(fd)
            _advise_done(fd, 0, 0)  # durable now: its cache pages can serve the next file
            os.fchmod(fd, 0o444)  # before the link: the object is never writable at its address
            self._store.make_dirs(final.parent)
            created = _link(self._tmp, final)
        except OSError as exc:
            raise StorageError(f"cannot publish {sha256}: {exc}") from exc
        finally:
            self._close()
            self._tmp.unlink(missing_ok=True)  # the address (if linked) keeps the inode
        return created

    def abort(self) -> None:
        if self._fd is not None:
            self._close()
            self._tmp.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _link(tmp: Path, final: Path) -> bool:
    """Atomically give the temporary file its address; False when the address is taken."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        return False
    fsync_dir(final.parent)
    return True


class LocalStore:
    """A folder of write-once objects (one machine: the default store)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))
        self.url = self.root.as_uri()
        (self.root / TMP_DIR).mkdir(parents=True, exist_ok=True)

    def writer(self) -> LocalWriter:
        return LocalWriter(self)

    def adopt(self, path: Path) -> LocalWriter:
        return LocalWriter(self, adopt=path)

    def path(self, sha256: str) -> Path:
        return self.root / address(sha256)

    def make_dirs(self, folder: Path) -> None:
        """Create ``ab/`` and ``ab/cd/`` as needed, each made durable in its parent."""
        for level in (folder.parent, folder):
            try:
                level.mkdir()
            except FileExistsError:
                continue
            fsync_dir(level.parent)

    def stat(self, sha256: str) -> StoredObject | None:
        try:
            info = os.lstat(self.path(sha256))
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(info.st_mode):  # a symlink could point at bytes that change
            raise StorageError(f"{sha256} is not a regular file in the store")
        return StoredObject(sha256, info.st_size)

    def open(self, sha256: str) -> BinaryIO:
        return os.fdopen(self._descriptor(sha256), "rb")

    def open_range(self, sha256: str, start: int, end: int) -> BinaryIO:
        """A window on the file: nothing before ``start`` is read, nothing is loaded whole."""
        check_range(start, end)
        fd = self._descriptor(sha256)
        size = os.fstat(fd).st_size
        if end > size:
            os.close(fd)
            raise StorageError(f"range [{start}, {end}) is beyond {sha256} ({size} bytes)")
        return io.BufferedReader(_FileWindow(fd, start, end))

    def _descriptor(self, sha256: str) -> int:
        """The object opened for reading (never through a symlink planted at its address)."""
        try:
            return os.open(self.path(sha256), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise StorageError(f"cannot open {sha256}: {exc}") from exc

    def local_path(self, sha256: str) -> Path | None:
        """The object's path (which may not exist yet: check ``stat`` first)."""
        return self.path(sha256)

    def objects(self) -> Iterator[StoredObject]:
        for _, found in self._scan():
            if found is not None:
                yield found

    def strays(self) -> Iterator[Path]:
        """Everything in the tree that is not an object at its right address (for verify)."""
        for path, found in self._scan():
            if found is None:
                yield path

    def retention(self, sha256: str) -> datetime | None:
        return None  # no store-side lock: mode 0444, deleted only by an approved disposal

    def protection(self, sha256: str) -> Protection | None:
        """Published 0444: any write bit means someone changed the mode since (R15.1)."""
        try:
            info = os.lstat(self.path(sha256))
        except FileNotFoundError:
            return None
        writable = bool(info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        return Protection(writable=writable)

    def clean_abandoned(self) -> int:
        return clean_pid_files(self.root / TMP_DIR, _TMP_NAME)

    def extend_retention(self, sha256: str, retain_until: datetime) -> bool:
        """Nothing to lengthen: a folder keeps no lock date (the file is 0444 and only an
        approved disposal deletes it), so the effective retention lives in the database alone
        (R14.2)."""
        if self.stat(sha256) is None:
            raise StorageError(f"no object at {address(sha256)}")
        return False

    def legal_hold(self, sha256: str, on: bool) -> bool:
        """Nothing to record: a folder has no lock a hold could set. On the local store the
        same facts live in the database and verify checks the file mode; the file is 0444
        whether held or not. StorageError when the object is missing, like S3."""
        if self.stat(sha256) is None:
            raise StorageError(f"no object at {address(sha256)}")
        return False

    def dispose(self, sha256: str) -> None:
        """Unlink the file: on the local store the database alone decides that its retention
        has ended (no lock here can refuse). Removing a name needs write access to its folder,
        not to the file, so the file's 0444 stays as it is. Already gone: returns quietly (a
        batch re-run after a crash). The emptied ``ab/cd`` folders are left in place."""
        path = self.path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StorageError(f"cannot dispose of {sha256}: {exc}") from exc
        fsync_dir(path.parent)

    def _scan(self) -> Iterator[tuple[Path, StoredObject | None]]:
        """Every entry of the two-level tree: (path, object) or (path, None) for a stray."""
        for top in _sorted_entries(self.root):
            if top.name == TMP_DIR:
                continue
            if not (_FANOUT.match(top.name) and top.is_dir(follow_symlinks=False)):
                yield Path(top.path), None
                continue
            for mid in _sorted_entries(Path(top.path)):
                if not (_FANOUT.match(mid.name) and mid.is_dir(follow_symlinks=False)):
                    yield Path(mid.path), None
                    continue
                for leaf in _sorted_entries(Path(mid.path)):
                    yield Path(leaf.path), _object(leaf, top.name + mid.name)


def _object(leaf: os.DirEntry[str], prefix: str) -> StoredObject | None:
    """The object this leaf is, or None when its name, folder or type is wrong."""
    if not (SHA256_HEX.match(leaf.name) and leaf.name.startswith(prefix)):
        return None
    if not leaf.is_file(follow_symlinks=False):
        return None
    return StoredObject(leaf.name, leaf.stat(follow_symlinks=False).st_size)


def _sorted_entries(folder: Path) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as entries:
        return sorted(entries, key=lambda entry: entry.name)
