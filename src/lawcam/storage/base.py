"""The write-once blob store: one small protocol, a local folder and S3 with Object Lock behind it.

Objects are addressed by their SHA-256 (``ab/cd/<sha256>``). Nothing alters an original, and
nothing shortens a retention (``extend_retention`` only lengthens; ``legal_hold`` adds a lock with
no date). There is one deletion, ``dispose``, for an original whose retention has ended: it is
called only when an approved disposal batch runs (R14.3), and on S3 the store itself refuses it
(``StorageLocked``) while the object's COMPLIANCE lock has not expired or a legal hold is on, so
a mistake in the code or in the database cannot lose evidence before its time (R14.2, R15.1).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class StorageError(Exception):
    """The store could not do what was asked (disk full, server refused, address malformed)."""


class StorageLocked(StorageError):
    """The store itself refused to delete an original: its lock has not expired or a legal hold
    is on (S3 answered AccessDenied or ObjectLocked). ``retain_until`` and ``legal_hold`` are
    the lock as read back after the refusal, None when it could not be read."""

    def __init__(
        self, message: str, retain_until: datetime | None = None, legal_hold: bool | None = None
    ) -> None:
        super().__init__(message)
        self.retain_until = retain_until
        self.legal_hold = legal_hold


def address(sha256: str) -> str:
    """The content address of a digest: ``ab/cd/<sha256>``."""
    if not SHA256_HEX.match(sha256):
        raise StorageError(f"not a lowercase SHA-256 hex digest: {sha256!r}")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def check_range(start: int, end: int) -> None:
    """Refuse a negative or inverted range before any store is asked (``open_range``)."""
    if not 0 <= start <= end:
        raise StorageError(f"not a byte range: [{start}, {end})")


@dataclass(frozen=True)
class StoredObject:
    sha256: str
    size: int


@dataclass(frozen=True)
class Protection:
    """How the store itself protects one object, as read back for verify: a local file's
    write bits, an S3 object's lock mode, retain-until and legal hold (None where the store has
    none)."""

    writable: bool
    lock_mode: str | None = None
    retain_until: datetime | None = None
    store_locks: bool = False  # whether this store keeps a lock at all (S3 Object Lock)
    legal_hold: bool | None = None  # S3: whether a legal hold is on; None: the store has none


class BlobWriter(Protocol):
    """One object being written. Nothing is visible at any address until ``publish``."""

    def write(self, block: bytes) -> None: ...

    @property
    def written_path(self) -> Path:
        """The local temporary file holding the bytes written so far, for reading them back
        (probing the very bytes that will be stored); valid until publish or abort."""
        ...

    def publish(self, sha256: str, retain_until: datetime) -> bool:
        """Make the bytes written so far durable and visible at ``address(sha256)``, locked
        until ``retain_until``. Returns False (and keeps the existing object untouched) when the
        address already holds an object. The caller vouches that ``sha256`` is the digest of
        what it wrote; the store does not re-read it."""
        ...

    def abort(self) -> None:
        """Forget the bytes written; safe to call after publish (then it does nothing)."""
        ...


class BlobStore(Protocol):
    url: str

    def writer(self) -> BlobWriter: ...

    def adopt(self, path: Path) -> BlobWriter:
        """A writer whose bytes are already written: the whole file at ``path`` (a remote
        upload, received and hashed piece by piece), moved into the store's temporary area
        rather than copied, so that publishing it does not write every byte a second time.
        The file is gone from ``path`` afterwards, whatever follows. StorageError when it
        cannot be moved (another file system): the caller then copies it through ``writer``."""
        ...

    def stat(self, sha256: str) -> StoredObject | None:
        """The object at this address, or None when there is none."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """A binary stream of the object's bytes; raises StorageError when it is missing."""
        ...

    def open_range(self, sha256: str, start: int, end: int) -> BinaryIO:
        """A binary stream of bytes ``start`` up to, not including, ``end`` of the object
        (half-open, as a Python slice ``[start:end]``): playback asks for a few megabytes in
        the middle of a 1 GiB original (HTTP Range), and must not read, fetch or hold what
        comes before. Local: a positioned read of the file; S3: one GET with a Range header,
        its body streamed. The stream gives exactly ``end - start`` bytes, then end of file;
        the caller closes it, and closing early drops the rest unread. Raises StorageError
        when the object is missing or the range is not within it (0 <= start <= end <= size);
        an empty range (start == end) of an existing object gives an empty stream."""
        ...

    def local_path(self, sha256: str) -> Path | None:
        """A file path for readers that need one (media probing); None for remote stores."""
        ...

    def objects(self) -> Iterator[StoredObject]:
        """Every object in the store (for verify and for adopting blobs without a row)."""
        ...

    def retention(self, sha256: str) -> datetime | None:
        """The date until which the store itself refuses deletion (None: no store-side lock)."""
        ...

    def protection(self, sha256: str) -> Protection | None:
        """What keeps the object from being changed, read back (None when it is missing): verify
        names a writable original or a lock shorter than the effective retention (R14.2)."""
        ...

    def clean_abandoned(self) -> int:
        """Remove temporary files of writers that died (never a published object)."""
        ...

    def extend_retention(self, sha256: str, retain_until: datetime) -> bool:
        """Keep the object locked at least until ``retain_until``: a recording's effective
        retention can grow after ingest (a corrected start time, later a case or a hold), and
        the store's own lock must follow it, or the store would let go of an original the
        regulation still keeps (R14.2, R15.1). Only ever lengthens: a lock already as long stays
        as it is. True when the store changed a lock; raises StorageError when the object is
        missing or the store refuses."""
        ...

    def legal_hold(self, sha256: str, on: bool) -> bool:
        """Put a legal hold on the original, or take it off: while it is on, the store refuses
        to delete the object whatever its retain-until date (a hold, an open case). True when
        the store changed something; raises StorageError when the object is missing or the
        store refuses. A store without such a lock records nothing and returns False."""
        ...

    def dispose(self, sha256: str) -> None:
        """Remove an original whose retention has ended: the one deletion in the code base,
        called only when an approved disposal batch runs (R14.3). On S3 the store itself
        refuses while the lock has not expired or a legal hold is on (StorageLocked), and
        nothing is deleted then. Already gone (a batch re-run after a crash): returns quietly."""
        ...
