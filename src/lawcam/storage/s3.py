"""S3 with Object Lock: each object is put once, locked COMPLIANCE until its retention date.

The store itself then refuses deletion, bypass and shortening, whoever asks (R14.2, R15.1).
A writer spools to a local temporary file (so ``write`` runs at disk speed while the digests
are computed) and ``publish`` uploads it with ``If-None-Match: *``: the server, not a race-prone
check, guarantees that an address is written once. Checked against SeaweedFS 4.48:

- a single PUT carries the caller's SHA-256 (``ChecksumSHA256``) and the server refuses bytes
  that do not match it (``BadDigest``); a multipart upload cannot carry a full-object SHA-256
  (``InvalidRequest``), so its parts carry theirs (``ChecksumType: COMPOSITE``). Both also keep
  the hex digest in the metadata (``x-amz-meta-sha256``);
- retention is kept to the whole second, rounded down: publish rounds the date up first;
- a conditional write that loses gets ``412 PreconditionFailed``, also on multipart complete.

Legal holds and disposal, tried against the same ``weed mini`` 4.48 and pinned by
tests/unit/storage/test_legal_hold.py and test_dispose.py (only 4.48 was tried: seaweedfs issue
7194 reports 3.97 deleting locked objects; run those tests before trusting another version):

- ``DeleteObject`` with the ``VersionId`` of a version under COMPLIANCE retention is refused
  (``403 AccessDenied``) until the retain-until date, with or without
  ``BypassGovernanceRetention``; once the date has passed the same call deletes the version;
- ``PutObjectLegalHold`` ON/OFF works on a version, also after its retention has expired; while
  the hold is ON, deleting the version is refused (``AccessDenied``) even after the date, and
  also on a version with no retention at all; after OFF the delete goes through;
- ``GetObjectLegalHold`` answers ``404 NoSuchObjectLegalHold`` for a version never held (a
  bucket without Object Lock: ``400 InvalidRequest``); ``HeadObject`` shows the status too;
- deleting a version that no longer exists succeeds (204), so a re-run is harmless; a delete
  marker is removed by its own version id, locks or not (it has none);
- ``PutObjectLegalHold`` on a missing key answers ``500 InternalError`` and on an unknown
  version ``404 NoSuchKey``: the store looks up the original's version first.
"""

from __future__ import annotations

import base64
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlencode

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from lawcam.storage.base import (
    Protection,
    StorageError,
    StorageLocked,
    StoredObject,
    address,
    check_range,
)
from lawcam.storage.local import NODE, clean_pid_files, write_all

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MiB = 1024 * 1024
MAX_PARTS = 10_000  # the S3 limit on parts per multipart upload
_SPOOL_NAME = re.compile(r"^lawcam-s3-(?:([A-Za-z0-9._]+)~)?(\d+)-.*\.spool$")  # as local's
_KEY = re.compile(r"^([0-9a-f]{2})/([0-9a-f]{2})/(\1\2[0-9a-f]{60})$")
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})  # a HEAD has no body: just "404"
# AWS answers NoSuchObjectLockConfiguration; SeaweedFS answers the bucket's code for an object.
_NO_LOCK = frozenset({"NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"})
_TAKEN = frozenset({"PreconditionFailed"})  # If-None-Match: * lost: the address is taken
_NO_HOLD = frozenset({"NoSuchObjectLegalHold"}) | _NO_LOCK  # never held: OFF
_GONE = frozenset({"NoSuchKey", "NoSuchVersion", "404"})  # deleted meanwhile: nothing to do
_REFUSED = frozenset({"AccessDenied", "ObjectLocked"})  # the lock (or a hold) said no
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # "no lock": earlier than any date asked for


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def _s3_errors(what: str) -> Iterator[None]:
    """Any failure talking to S3 becomes a StorageError naming what was being done."""
    try:
        yield
    except ClientError as exc:
        raise StorageError(f"S3 {what}: {exc}") from exc
    except BotoCoreError as exc:
        raise StorageError(f"S3 {what}: {exc}") from exc


def _call(what: str, call: Callable[..., Any], absent: frozenset[str], **kwargs: Any) -> Any:
    """One S3 request: its answer, None when S3 answers one of the ``absent`` error codes,
    StorageError for any other failure."""
    try:
        return call(**kwargs)
    except ClientError as exc:
        if _code(exc) in absent:
            return None
        raise StorageError(f"S3 {what}: {exc}") from exc
    except BotoCoreError as exc:
        raise StorageError(f"S3 {what}: {exc}") from exc


def lock_date(retain_until: datetime) -> datetime:
    """UTC, rounded up to the second: the store keeps whole seconds and must not keep less.
    A naive datetime is taken as UTC (how the database hands them back)."""
    if retain_until.tzinfo is None:
        retain_until = retain_until.replace(tzinfo=UTC)
    retain_until = retain_until.astimezone(UTC)
    if retain_until.microsecond:
        retain_until = retain_until.replace(microsecond=0) + timedelta(seconds=1)
    return retain_until


def make_client(
    endpoint_url: str | None, region: str | None, access_key: str | None, secret_key: str | None
) -> Any:
    """A client of its own session (boto3's default session is not thread-safe). Missing
    keys fall back to boto3's usual chain (environment, ~/.aws)."""
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region
    )
    config = Config(
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=10,
        read_timeout=120,
    )
    return session.client("s3", endpoint_url=endpoint_url, config=config)


def _ids(listed: list[dict[str, Any]], key: str) -> list[str]:
    """The version ids of a listing's entries for exactly ``key`` (a prefix matches more)."""
    return [str(entry["VersionId"]) for entry in listed if entry["Key"] == key]


class _BodyReader(io.RawIOBase):
    """botocore's StreamingBody as a raw stream, so that io.BufferedReader can wrap it."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self._body.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        return bytes(self._body.read())

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3Writer:
    """One object on its way into an S3Store, spooled to a local temporary file."""

    def __init__(self, store: S3Store, adopt: Path | None = None) -> None:
        self._store = store
        prefix = f"lawcam-s3-{NODE}~{os.getpid()}-"
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".spool", dir=store.spool_dir)
        self._fd: int | None = fd
        self._path = Path(name)
        self._size = 0
        if adopt is not None:  # the finished file replaces the empty spool file (a rename)
            try:
                os.rename(adopt, self._path)
            except OSError as exc:
                self.abort()
                raise StorageError(f"cannot move {adopt} into the spool: {exc}") from exc
            os.close(fd)
            self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND)
            self._size = os.fstat(self._fd).st_size

    @property
    def written_path(self) -> Path:
        return self._path

    def __enter__(self) -> S3Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()

    def write(self, block: bytes) -> None:
        if self._fd is None:
            raise StorageError("write after publish or abort")
        try:
            write_all(self._fd, block)  # no fsync: nothing is published from the spool
        except OSError as exc:
            raise StorageError(f"cannot spool to {self._path}: {exc}") from exc
        self._size += len(block)

    def publish(self, sha256: str, retain_until: datetime) -> bool:
        address(sha256)  # refuse a malformed digest before any upload
        if self._fd is None:
            raise StorageError("publish after publish or abort")
        self._close()
        try:
            return self._store.upload(self._path, self._size, sha256, retain_until)
        finally:
            self._path.unlink(missing_ok=True)

    def abort(self) -> None:
        if self._fd is not None:
            self._close()
            self._path.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class S3Store:
    """A bucket with Object Lock (SeaweedFS for tests and small sites, any S3 in production)."""

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None,
        region: str | None,
        access_key: str | None,
        secret_key: str | None,
        *,
        spool_dir: Path | None = None,
        part_size: int = 32 * MiB,
        concurrency: int = 4,
    ) -> None:
        self.bucket = bucket
        self.spool_dir = Path(spool_dir or tempfile.gettempdir())
        self.part_size = part_size  # also the largest single PUT
        self.concurrency = concurrency
        params = {k: v for k, v in (("endpoint", endpoint_url), ("region", region)) if v}
        self.url = f"s3://{bucket}" + (f"?{urlencode(params, safe=':/')}" if params else "")
        self.region = region
        self.client = make_client(endpoint_url, region, access_key, secret_key)

    # -- the bucket ------------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        """Create the bucket with Object Lock if missing; refuse one without Object Lock."""
        if not self._bucket_exists():
            self._create_bucket()
        if not self._lock_enabled():
            raise StorageError(
                f"bucket {self.bucket!r} has no Object Lock: originals there could be deleted; "
                "use a bucket created with Object Lock enabled"
            )

    def _bucket_exists(self) -> bool:
        what = f"head bucket {self.bucket}"
        return _call(what, self.client.head_bucket, _MISSING, Bucket=self.bucket) is not None

    def _create_bucket(self) -> None:
        args: dict[str, Any] = {"Bucket": self.bucket, "ObjectLockEnabledForBucket": True}
        if self.region and self.region != "us-east-1":  # AWS refuses the default region here
            args["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        race = frozenset({"BucketAlreadyOwnedByYou"})  # another node created it meanwhile
        _call(f"create bucket {self.bucket}", self.client.create_bucket, race, **args)

    def _lock_enabled(self) -> bool:
        what = f"object lock of {self.bucket}"
        get = self.client.get_object_lock_configuration
        config = _call(what, get, _NO_LOCK, Bucket=self.bucket) or {}
        enabled = config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled")
        with _s3_errors(f"versioning of {self.bucket}"):
            versioning = self.client.get_bucket_versioning(Bucket=self.bucket)
        return bool(enabled == "Enabled" and versioning.get("Status") == "Enabled")

    # -- writing ---------------------------------------------------------------------------

    def writer(self) -> S3Writer:
        return S3Writer(self)

    def adopt(self, path: Path) -> S3Writer:
        return S3Writer(self, adopt=path)

    def upload(self, path: Path, size: int, sha256: str, retain_until: datetime) -> bool:
        """Put the spooled file at its address, locked; False when the address is taken."""
        key = address(sha256)
        if self._exists(key):  # cheap early answer: no upload of bytes already there
            return False
        lock = {
            "ObjectLockMode": "COMPLIANCE",
            "ObjectLockRetainUntilDate": lock_date(retain_until),
            "Metadata": {"sha256": sha256},
        }
        if size <= self.part_size:
            return self._put(path, size, key, sha256, lock)
        return self._multipart(path, size, key, lock)

    def _head(self, key: str) -> Any:
        return _call(f"head {key}", self.client.head_object, _MISSING, Bucket=self.bucket, Key=key)

    def _exists(self, key: str) -> bool:
        return self._head(key) is not None

    def _put(self, path: Path, size: int, key: str, sha256: str, lock: dict[str, Any]) -> bool:
        """One PUT; the server checks the bytes against the caller's SHA-256. (If a retry
        follows a lost answer, our own first attempt makes it 412: False, and the caller
        reads the object back as one it did not write, which is still right.)"""
        checksum = base64.b64encode(bytes.fromhex(sha256)).decode()
        with path.open("rb") as body:
            done = _call(
                f"put {key}", self.client.put_object, _TAKEN, Bucket=self.bucket, Key=key,
                Body=body, ContentLength=size, IfNoneMatch="*", ChecksumSHA256=checksum, **lock,
            )  # fmt: skip
        return done is not None

    def _multipart(self, path: Path, size: int, key: str, lock: dict[str, Any]) -> bool:
        with _s3_errors(f"start upload of {key}"):
            started = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=key, ChecksumAlgorithm="SHA256", **lock
            )
        upload_id = started["UploadId"]
        try:
            parts = self._parts(path, size, key, upload_id)
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, IfNoneMatch="*",
                MultipartUpload={"Parts": parts},
            )  # fmt: skip
        except ClientError as exc:
            self._abort_upload(key, upload_id)
            if _code(exc) in _TAKEN:
                return False
            raise StorageError(f"S3 upload {key}: {exc}") from exc
        except BaseException:
            self._abort_upload(key, upload_id)
            raise
        return True

    def _parts(self, path: Path, size: int, key: str, upload_id: str) -> list[dict[str, Any]]:
        part = max(self.part_size, -(-size // MAX_PARTS))
        jobs = [(n, offset, min(part, size - offset)) for n, offset in
                enumerate(range(0, size, part), start=1)]  # fmt: skip
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(lambda job: self._part(path, key, upload_id, *job), jobs))

    def _part(
        self, path: Path, key: str, upload_id: str, number: int, offset: int, length: int
    ) -> dict[str, Any]:
        with path.open("rb") as spool:
            spool.seek(offset)
            data = spool.read(length)
        done = self.client.upload_part(
            Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data,
            ChecksumAlgorithm="SHA256",
        )  # fmt: skip
        return {
            "PartNumber": number,
            "ETag": done["ETag"],
            "ChecksumSHA256": done["ChecksumSHA256"],
        }

    def _abort_upload(self, key: str, upload_id: str) -> None:
        """Drop the parts of an upload that did not complete (never a completed object)."""
        # The first error is the one to report; parts left behind only cost space.
        with suppress(ClientError, BotoCoreError):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    # -- reading ---------------------------------------------------------------------------

    def stat(self, sha256: str) -> StoredObject | None:
        head = self._head(address(sha256))
        return None if head is None else StoredObject(sha256, int(head["ContentLength"]))

    def open(self, sha256: str) -> BinaryIO:
        key = address(sha256)
        with _s3_errors(f"get {key}"):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        return io.BufferedReader(_BodyReader(body), buffer_size=MiB)

    def open_range(self, sha256: str, start: int, end: int) -> BinaryIO:
        """One GET with ``Range: bytes=start-(end - 1)``, its body read as it is consumed.
        S3 refuses a start at or past the end (InvalidRange) and cuts an end past it short:
        the length it answers tells, and a short one is refused here like a missing object."""
        check_range(start, end)
        if start == end:
            return self._empty_range(sha256, end)
        key = address(sha256)
        with _s3_errors(f"get {key} bytes {start}-{end - 1}"):
            answer = self.client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end - 1}"
            )
        if int(answer.get("ContentLength", -1)) != end - start:
            answer["Body"].close()
            got = answer.get("ContentRange") or answer.get("ContentLength")
            raise StorageError(f"S3 get {key}: asked for [{start}, {end}), answered {got}")
        # A small buffer: a read of the raw body waits until it has all it asked for, so a 1 MiB
        # buffer would make the first 64 KiB wait for a MiB; larger reads bypass the buffer.
        return io.BufferedReader(_BodyReader(answer["Body"]), buffer_size=64 * 1024)

    def _empty_range(self, sha256: str, end: int) -> BinaryIO:
        """No GET can ask for zero bytes: a HEAD checks that the object holds ``end`` bytes."""
        found = self.stat(sha256)
        if found is None or end > found.size:
            raise StorageError(f"S3 {address(sha256)}: no object of at least {end} bytes")
        return io.BytesIO()

    def local_path(self, sha256: str) -> Path | None:
        return None

    def objects(self) -> Iterator[StoredObject]:
        for key, size in self._keys():
            match = _KEY.match(key)
            if match:
                yield StoredObject(match.group(3), size)

    def strays(self) -> Iterator[str]:
        """Keys that are not objects at their right address (for verify)."""
        for key, _ in self._keys():
            if not _KEY.match(key):
                yield key

    def _keys(self) -> Iterator[tuple[str, int]]:
        with _s3_errors(f"list {self.bucket}"):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"], int(item["Size"])

    def retention(self, sha256: str) -> datetime | None:
        """Only COMPLIANCE counts: a GOVERNANCE lock can be bypassed by a privileged user."""
        found = self._lock(sha256)
        return found.retain_until if found.lock_mode == "COMPLIANCE" else None

    def protection(self, sha256: str) -> Protection | None:
        """The current version's lock as the server reports it (None: no object there)."""
        key = address(sha256)
        if self._head(key) is None:
            return None
        return replace(self._lock(sha256), legal_hold=self._held(key))

    def _lock(self, sha256: str) -> Protection:
        key = address(sha256)
        get = self.client.get_object_retention
        found = _call(f"retention of {key}", get, _NO_LOCK, Bucket=self.bucket, Key=key) or {}
        retention = found.get("Retention", {})
        until: datetime | None = retention.get("RetainUntilDate")
        return Protection(
            writable=False,  # S3 never changes an object in place; a new version shows up here
            lock_mode=retention.get("Mode"),
            retain_until=until.astimezone(UTC) if until else None,
            store_locks=True,
        )

    def extend_retention(self, sha256: str, retain_until: datetime) -> bool:
        """Lengthen the COMPLIANCE lock of the original (the first version at the address, put
        with If-None-Match; a later version or a delete marker in front of it is not ours and
        is not locked for it). S3 lets a COMPLIANCE lock be extended, never shortened: a lock
        already as long is left as it is."""
        key, wanted = address(sha256), lock_date(retain_until)
        version = self._original(key, "extend retention")
        if (self._version_lock(key, version) or EPOCH) >= wanted:
            return False
        _call(
            f"extend retention of {key}", self.client.put_object_retention, frozenset(),
            Bucket=self.bucket, Key=key, VersionId=version,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": wanted},
        )  # fmt: skip
        return True

    def _original(self, key: str, what: str) -> str:
        """The version id of the first object written at ``key``."""
        found, _ = self._versions(key)
        if not found:
            raise StorageError(f"S3 {what} of {key}: no object there")
        return found[-1]

    def _versions(self, key: str) -> tuple[list[str], list[str]]:
        """The version ids of the objects at ``key``, newest first (S3 lists them so; times
        alone tie within a second), and those of its delete markers."""
        versions: list[str] = []
        markers: list[str] = []
        with _s3_errors(f"versions of {key}"):
            pages = self.client.get_paginator("list_object_versions").paginate(
                Bucket=self.bucket, Prefix=key
            )
            for page in pages:
                versions += _ids(page.get("Versions", []), key)
                markers += _ids(page.get("DeleteMarkers", []), key)
        return versions, markers

    def _version_lock(self, key: str, version: str) -> datetime | None:
        """A version's COMPLIANCE retain-until date; None for no lock or a weaker one."""
        get = self.client.get_object_retention
        found = _call(
            f"retention of {key}", get, _NO_LOCK, Bucket=self.bucket, Key=key, VersionId=version
        ) or {}  # fmt: skip
        retention = found.get("Retention", {})
        if retention.get("Mode") != "COMPLIANCE":
            return None
        until: datetime = retention["RetainUntilDate"]
        return until.astimezone(UTC)

    def legal_hold(self, sha256: str, on: bool) -> bool:
        """Put the original under a legal hold (ON) or release it (OFF): while ON, the server
        refuses to delete it even after its retain-until date. The hold goes on the original
        version (as in ``extend_retention``), not on whatever a later version put in front."""
        key = address(sha256)
        version = self._original(key, "legal hold")
        if self._held(key, version) == on:
            return False
        _call(
            f"legal hold of {key}", self.client.put_object_legal_hold, frozenset(),
            Bucket=self.bucket, Key=key, VersionId=version,
            LegalHold={"Status": "ON" if on else "OFF"},
        )  # fmt: skip
        return True

    def _held(self, key: str, version: str | None = None) -> bool:
        """Whether a legal hold is ON (the current version when no version is named)."""
        args = {"VersionId": version} if version else {}
        get = self.client.get_object_legal_hold
        found = _call(
            f"legal hold of {key}", get, _NO_HOLD, Bucket=self.bucket, Key=key, **args
        ) or {}  # fmt: skip
        return bool(found.get("LegalHold", {}).get("Status") == "ON")

    def dispose(self, sha256: str) -> None:
        """Permanently delete every version at the address, delete markers included, each by
        its version id (a delete without one only adds a marker). The original goes first: if
        the server refuses it (lock not expired, legal hold ON), nothing has been deleted. No
        lock is checked here and no bypass is asked for: the refusal is the server's, raised as
        StorageLocked. Nothing left at the address: returns quietly (a re-run after a crash)."""
        key = address(sha256)
        versions, markers = self._versions(key)
        for version in versions[::-1] + markers:  # oldest (the original) first
            self._delete_version(key, version)

    def _delete_version(self, key: str, version: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version)
        except ClientError as exc:
            if _code(exc) in _GONE:
                return
            if _code(exc) in _REFUSED:
                raise self._locked(key, version) from exc
            raise StorageError(f"S3 dispose of {key} version {version}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 dispose of {key} version {version}: {exc}") from exc

    def _locked(self, key: str, version: str) -> StorageLocked:
        """The server's refusal, with the lock read back after it (None when unreadable)."""
        until: datetime | None = None
        held: bool | None = None
        with suppress(StorageError):
            until = self._version_lock(key, version)
        with suppress(StorageError):
            held = self._held(key, version)
        reasons = [f"locked until {until:%Y-%m-%d %H:%M:%S} UTC"] if until else []
        reasons += ["under a legal hold"] if held else []
        why = ", ".join(reasons) or "lock not readable"
        return StorageLocked(
            f"S3 refused to dispose of {key} version {version} ({why})", until, held
        )

    def clean_abandoned(self) -> int:
        """Spool files of dead writers. (Parts of an upload cut off by a crash stay on the
        server, invisible, until a lifecycle rule or an operator aborts them.)"""
        return clean_pid_files(self.spool_dir, _SPOOL_NAME)
