"""``extend_retention``: the store's own lock follows a retention that grows after ingest, and
nothing can make it shorter (R14.2, R15.1). S3 against a real SeaweedFS; the local folder keeps
no lock date (the database holds the effective retention)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from lawcam.storage import StorageError, address
from lawcam.storage.local import LocalStore
from lawcam.storage.s3 import S3Store
from tests.unit.storage.test_s3 import publish, refused, sha, until, versions

pytestmark = pytest.mark.req("R14.2", "R15.1")


def lock_of(store: S3Store, digest: str, version: str | None = None) -> datetime:
    args = {"VersionId": version} if version else {}
    found = store.client.get_object_retention(Bucket=store.bucket, Key=address(digest), **args)
    assert found["Retention"]["Mode"] == "COMPLIANCE"
    return found["Retention"]["RetainUntilDate"].astimezone(UTC)  # type: ignore[no-any-return]


def test_s3_lock_is_extended_and_never_shortened(s3_store: S3Store) -> None:
    data = os.urandom(20_000)
    digest = sha(data)
    assert publish(s3_store, data, until(days=3)) is True
    later = until(days=800)
    assert s3_store.extend_retention(digest, later) is True
    assert lock_of(s3_store, digest) == later == s3_store.retention(digest)
    # Asking for less, or for the same, changes nothing.
    assert s3_store.extend_retention(digest, until(days=10)) is False
    assert s3_store.extend_retention(digest, later) is False
    assert lock_of(s3_store, digest) == later
    # And the store itself refuses to go back (COMPLIANCE).
    shorter = {"Mode": "COMPLIANCE", "RetainUntilDate": until(days=3)}
    code = refused(
        s3_store.client.put_object_retention,
        Bucket=s3_store.bucket,
        Key=address(digest),
        Retention=shorter,
    )
    assert code == "AccessDenied"
    assert lock_of(s3_store, digest) == later


def test_s3_extends_the_original_behind_a_forged_version_and_a_marker(s3_store: S3Store) -> None:
    data = os.urandom(20_000)
    digest, key = sha(data), address(sha(data))
    assert publish(s3_store, data, until(days=3)) is True
    [original] = [v["VersionId"] for v in versions(s3_store, key)]
    s3_store.client.put_object(Bucket=s3_store.bucket, Key=key, Body=b"forged")
    s3_store.client.delete_object(Bucket=s3_store.bucket, Key=key)
    later = until(days=900)
    assert s3_store.extend_retention(digest, later) is True
    assert lock_of(s3_store, digest, original) == later


def test_s3_rounds_up_to_the_second(s3_store: S3Store) -> None:
    data = os.urandom(1000)
    assert publish(s3_store, data, until(days=3)) is True
    asked = until(days=30) + timedelta(microseconds=1)
    assert s3_store.extend_retention(sha(data), asked) is True
    assert lock_of(s3_store, sha(data)) == asked.replace(microsecond=0) + timedelta(seconds=1)


def test_s3_missing_object_is_a_storage_error(s3_store: S3Store) -> None:
    with pytest.raises(StorageError, match="no object"):
        s3_store.extend_retention("0" * 64, until(days=30))


def test_local_store_keeps_no_lock_date(local_store: LocalStore) -> None:
    data = b"original bytes"
    with local_store.writer() as writer:
        writer.write(data)
        assert writer.publish(sha(data), until(days=3)) is True
    assert local_store.extend_retention(sha(data), until(days=900)) is False
    assert local_store.retention(sha(data)) is None
    assert (local_store.path(sha(data)).stat().st_mode & 0o777) == 0o444
    with pytest.raises(StorageError):
        local_store.extend_retention("0" * 64, until(days=30))
