"""``legal_hold``: the store's own lock with no date, put on the original and read back for
verify (R14.3, R15.1). S3 against a real SeaweedFS; the local folder has no such lock (the
database keeps the hold and verify checks the file mode)."""

from __future__ import annotations

import os

import pytest

from lawcam.storage import StorageError, address
from lawcam.storage.local import LocalStore
from lawcam.storage.s3 import S3Store
from tests.unit.storage.test_s3 import publish, sha, until, versions

pytestmark = pytest.mark.req("R14.3", "R15.1")


def hold_of(store: S3Store, digest: str, version: str | None = None) -> str:
    """The status the server reports (OFF for a version never held)."""
    args = {"VersionId": version} if version else {}
    head = store.client.head_object(Bucket=store.bucket, Key=address(digest), **args)
    return str(head.get("ObjectLockLegalHoldStatus", "OFF"))


def held(store: S3Store, digest: str) -> bool | None:
    found = store.protection(digest)
    assert found is not None
    return found.legal_hold


def test_s3_hold_on_and_off_is_read_back(s3_store: S3Store) -> None:
    data = os.urandom(20_000)
    digest, date = sha(data), until(days=3)
    assert publish(s3_store, data, date) is True
    assert held(s3_store, digest) is False and hold_of(s3_store, digest) == "OFF"
    assert s3_store.legal_hold(digest, on=True) is True
    assert held(s3_store, digest) is True and hold_of(s3_store, digest) == "ON"
    assert s3_store.legal_hold(digest, on=True) is False  # already on: nothing changed
    assert s3_store.legal_hold(digest, on=False) is True
    assert held(s3_store, digest) is False and hold_of(s3_store, digest) == "OFF"
    assert s3_store.legal_hold(digest, on=False) is False
    # The hold is beside the retention, not instead of it.
    protection = s3_store.protection(digest)
    assert protection is not None and protection.lock_mode == "COMPLIANCE"
    assert protection.retain_until == date


def test_s3_holds_the_original_behind_a_forged_version_and_a_marker(s3_store: S3Store) -> None:
    data = os.urandom(20_000)
    digest, key = sha(data), address(sha(data))
    assert publish(s3_store, data, until(days=3)) is True
    [original] = [v["VersionId"] for v in versions(s3_store, key)]
    s3_store.client.put_object(Bucket=s3_store.bucket, Key=key, Body=b"forged")
    forged = next(v["VersionId"] for v in versions(s3_store, key) if v["VersionId"] != original)
    s3_store.client.delete_object(Bucket=s3_store.bucket, Key=key)
    assert s3_store.legal_hold(digest, on=True) is True
    assert hold_of(s3_store, digest, original) == "ON"
    assert hold_of(s3_store, digest, forged) == "OFF"


def test_s3_hold_of_a_missing_object_is_a_storage_error(s3_store: S3Store) -> None:
    with pytest.raises(StorageError, match="no object"):
        s3_store.legal_hold("0" * 64, on=True)
    with pytest.raises(StorageError, match="SHA-256"):
        s3_store.legal_hold("not a digest", on=True)


def test_local_store_records_no_hold(local_store: LocalStore) -> None:
    data = b"original bytes"
    with local_store.writer() as writer:
        writer.write(data)
        assert writer.publish(sha(data), until(days=3)) is True
    assert local_store.legal_hold(sha(data), on=True) is False
    assert local_store.legal_hold(sha(data), on=False) is False
    protection = local_store.protection(sha(data))
    assert protection is not None
    assert protection.legal_hold is None and protection.writable is False
    assert (local_store.path(sha(data)).stat().st_mode & 0o777) == 0o444
    with pytest.raises(StorageError, match="no object"):
        local_store.legal_hold("0" * 64, on=True)
