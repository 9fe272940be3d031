"""``dispose``: the one deletion, for an original whose retention has ended (R14.3, R15.1). On
S3 the server itself refuses it while the COMPLIANCE lock runs or a legal hold is on: the store
checks nothing first, so these tests show SeaweedFS refusing. Locks of a few seconds stand in
for two years."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from lawcam.storage import StorageError, StorageLocked, address
from lawcam.storage.local import LocalStore
from lawcam.storage.s3 import S3Store, lock_date
from tests.unit.storage.test_s3 import publish, sha, until

pytestmark = pytest.mark.req("R14.3", "R15.1")


def soon(seconds: float = 3) -> datetime:
    """A lock date a few seconds ahead, as the store will keep it (whole seconds, up)."""
    return lock_date(datetime.now(UTC) + timedelta(seconds=seconds))


def wait_past(date: datetime) -> None:
    """Sleep until the lock date has passed (the server keeps whole seconds)."""
    left = (date - datetime.now(UTC)).total_seconds() + 0.5
    assert left < 4.5, "a test lock must be short"
    time.sleep(max(left, 0))


def listing(store: S3Store, key: str) -> tuple[set[str], set[str]]:
    """The version ids at ``key``: objects, delete markers."""
    found = store.client.list_object_versions(Bucket=store.bucket, Prefix=key)
    mine = [v for v in found.get("Versions", []) if v["Key"] == key]
    markers = [m for m in found.get("DeleteMarkers", []) if m["Key"] == key]
    return {v["VersionId"] for v in mine}, {m["VersionId"] for m in markers}


def read_version(store: S3Store, key: str, version: str) -> bytes:
    answer = store.client.get_object(Bucket=store.bucket, Key=key, VersionId=version)
    return answer["Body"].read()  # type: ignore[no-any-return]


def forge_on_top(store: S3Store, key: str) -> None:
    """Another version and a delete marker in front of the original (raw calls)."""
    store.client.put_object(Bucket=store.bucket, Key=key, Body=b"forged")
    store.client.delete_object(Bucket=store.bucket, Key=key)


def test_s3_refuses_while_the_lock_runs_and_deletes_nothing(s3_store: S3Store) -> None:
    data, date = os.urandom(30_000), until(days=2)
    digest, key = sha(data), address(sha(data))
    assert publish(s3_store, data, date) is True
    [original], _ = listing(s3_store, key)
    forge_on_top(s3_store, key)
    before = listing(s3_store, key)
    with pytest.raises(StorageLocked) as refused:
        s3_store.dispose(digest)
    assert refused.value.retain_until == date and refused.value.legal_hold is False
    # The original goes first: refused, so not even the forged version or the marker went.
    assert listing(s3_store, key) == before
    assert read_version(s3_store, key, original) == data
    assert s3_store.retention(digest) is None  # the marker in front hides it from a plain read
    assert s3_store.legal_hold(digest, on=False) is False


def test_s3_disposes_once_the_date_has_passed(s3_store: S3Store) -> None:
    data, date = os.urandom(30_000), soon()
    digest, key = sha(data), address(sha(data))
    assert publish(s3_store, data, date) is True
    with pytest.raises(StorageLocked) as refused:
        s3_store.dispose(digest)
    assert refused.value.retain_until == date
    with s3_store.open(digest) as stream:
        assert stream.read() == data  # still there and readable after the refusal
    wait_past(date)
    s3_store.dispose(digest)
    assert s3_store.stat(digest) is None and s3_store.protection(digest) is None
    assert listing(s3_store, key) == (set(), set())
    assert digest not in {found.sha256 for found in s3_store.objects()}
    s3_store.dispose(digest)  # a re-run after a crash: nothing there, no error


def test_s3_refuses_under_a_legal_hold_even_after_the_date(s3_store: S3Store) -> None:
    data, date = os.urandom(30_000), soon()
    digest, key = sha(data), address(sha(data))
    assert publish(s3_store, data, date) is True
    [original], _ = listing(s3_store, key)
    assert s3_store.legal_hold(digest, on=True) is True
    forge_on_top(s3_store, key)
    before = listing(s3_store, key)
    wait_past(date)
    with pytest.raises(StorageLocked) as refused:
        s3_store.dispose(digest)
    assert refused.value.legal_hold is True and refused.value.retain_until == date
    assert "legal hold" in str(refused.value)
    assert listing(s3_store, key) == before
    assert read_version(s3_store, key, original) == data
    # Released, it goes, with every version and marker at the address.
    assert s3_store.legal_hold(digest, on=False) is True
    s3_store.dispose(digest)
    assert listing(s3_store, key) == (set(), set())
    s3_store.dispose(digest)


def test_s3_dispose_of_nothing_is_quiet_and_a_bad_digest_is_refused(s3_store: S3Store) -> None:
    s3_store.dispose("0" * 64)
    with pytest.raises(StorageError, match="SHA-256"):
        s3_store.dispose("../etc/passwd")


def test_local_dispose_removes_only_that_file(local_store: LocalStore) -> None:
    kept, gone = b"kept original", b"original past its retention"
    for data in (kept, gone):
        with local_store.writer() as writer:
            writer.write(data)
            assert writer.publish(sha(data), until(days=3)) is True
    local_store.dispose(sha(gone))
    assert not local_store.path(sha(gone)).exists()
    assert local_store.stat(sha(gone)) is None and local_store.protection(sha(gone)) is None
    assert [found.sha256 for found in local_store.objects()] == [sha(kept)]
    assert local_store.open(sha(kept)).read() == kept
    assert (local_store.path(sha(kept)).stat().st_mode & 0o777) == 0o444
    local_store.dispose(sha(gone))  # already gone: quiet
    with pytest.raises(StorageError, match="SHA-256"):
        local_store.dispose("not a digest")
