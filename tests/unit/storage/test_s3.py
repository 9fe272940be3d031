"""S3 with Object Lock against a real SeaweedFS: the store itself refuses to lose an original,
whoever asks and however (R14.2, R15.1). The attacks use raw boto3 calls: the store has none."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lawcam.errors import InvalidInput
from lawcam.storage import StorageError, StoredObject, address, open_store
from lawcam.storage.s3 import S3Store
from tests.seaweed import Seaweed

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def until(days: int = 2) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def publish(store: S3Store, data: bytes, retain_until: datetime, digest: str = "") -> bool:
    with store.writer() as writer:
        for start in range(0, len(data), 1 << 20):
            writer.write(data[start : start + (1 << 20)])
        return writer.publish(digest or sha(data), retain_until)


def versions(store: S3Store, key: str) -> list[dict[str, Any]]:
    listed = store.client.list_object_versions(Bucket=store.bucket, Prefix=key)
    return [v for v in listed.get("Versions", []) if v["Key"] == key]


def refused(call: Any, **kwargs: Any) -> str:
    """The error code S3 answers; fails the test if the call succeeds."""
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    return str(error.value.response["Error"]["Code"])


class Locked:
    """One published object and how to find its version."""

    def __init__(self, store: S3Store) -> None:
        self.store, self.data, self.until = store, os.urandom(50_000), until()
        assert publish(store, self.data, self.until) is True
        self.sha256 = sha(self.data)
        self.key = address(self.sha256)
        (only,) = versions(store, self.key)
        self.version = only["VersionId"]

    def kwargs(self, **more: Any) -> dict[str, Any]:
        return {"Bucket": self.store.bucket, "Key": self.key, "VersionId": self.version, **more}

    def assert_intact(self) -> None:
        client = self.store.client
        assert client.get_object(**self.kwargs())["Body"].read() == self.data
        retention = client.get_object_retention(**self.kwargs())["Retention"]
        assert retention["Mode"] == "COMPLIANCE"
        assert retention["RetainUntilDate"] == self.until


@pytest.fixture
def locked(s3_store: S3Store) -> Locked:
    return Locked(s3_store)


@pytest.mark.req("R14.2")
def test_the_bucket_is_created_with_object_lock(s3_store: S3Store) -> None:
    client = s3_store.client
    config = client.get_object_lock_configuration(Bucket=s3_store.bucket)
    assert config["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    assert client.get_bucket_versioning(Bucket=s3_store.bucket)["Status"] == "Enabled"
    s3_store.ensure_bucket()  # again: nothing to do


@pytest.mark.req("R14.2")
def test_a_bucket_without_object_lock_is_refused(seaweed: Seaweed) -> None:
    store = seaweed.store("lawcam-plain-bucket")
    store.client.create_bucket(Bucket=store.bucket)
    with pytest.raises(StorageError, match="no Object Lock"):
        store.ensure_bucket()


@pytest.mark.req("R14.2")
def test_publish_stores_the_bytes_locked_until_the_date_asked(s3_store: S3Store) -> None:
    data, retain_until = os.urandom(3_000_000), until(days=3)
    digest = sha(data)
    assert publish(s3_store, data, retain_until) is True

    assert s3_store.stat(digest) == StoredObject(digest, len(data))
    with s3_store.open(digest) as handle:
        assert handle.read(10) == data[:10]
        assert handle.read() == data[10:]
    assert s3_store.retention(digest) == retain_until
    head = s3_store.client.head_object(
        Bucket=s3_store.bucket, Key=address(digest), ChecksumMode="ENABLED"
    )
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] == retain_until
    assert head["ChecksumSHA256"] == base64.b64encode(bytes.fromhex(digest)).decode()
    assert head["Metadata"] == {"sha256": digest}
    assert s3_store.local_path(digest) is None
    assert list(s3_store.spool_dir.glob("lawcam-s3-*")) == []


@pytest.mark.req("R14.2")
def test_retention_is_rounded_up_never_down(s3_store: S3Store) -> None:
    asked = until() + timedelta(microseconds=250_000)
    assert publish(s3_store, b"rounded", asked) is True
    next_second = asked.replace(microsecond=0) + timedelta(seconds=1)
    assert s3_store.retention(sha(b"rounded")) == next_second


@pytest.mark.req("R15.1")
def test_the_server_refuses_bytes_that_do_not_match_the_address(s3_store: S3Store) -> None:
    with pytest.raises(StorageError, match="BadDigest"):
        publish(s3_store, b"what was written", until(), digest=sha(b"what was claimed"))
    assert list(s3_store.objects()) == []


@pytest.mark.req("R14.2")
def test_publishing_an_address_again_returns_false(locked: Locked) -> None:
    assert publish(locked.store, locked.data, until(days=30)) is False
    assert [v["VersionId"] for v in versions(locked.store, locked.key)] == [locked.version]
    locked.assert_intact()


@pytest.mark.req("R14.2")
def test_the_server_keeps_the_address_write_once_when_two_writers_race(
    s3_store: S3Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both saw the address free: If-None-Match lets only the first one write."""
    data = os.urandom(12 * 1024 * 1024)
    s3_store.part_size = 5 * 1024 * 1024
    assert publish(s3_store, b"small", until()) is True
    assert publish(s3_store, data, until()) is True
    monkeypatch.setattr(s3_store, "_exists", lambda key: False)
    assert publish(s3_store, b"small", until()) is False
    assert publish(s3_store, data, until()) is False
    assert len(versions(s3_store, address(sha(b"small")))) == 1
    assert len(versions(s3_store, address(sha(data)))) == 1
    uploads = s3_store.client.list_multipart_uploads(Bucket=s3_store.bucket)
    assert uploads.get("Uploads", []) == []  # the losing upload's parts were dropped


@pytest.mark.req("R14.2")
def test_a_multipart_upload_is_locked_and_whole(s3_store: S3Store) -> None:
    data = os.urandom(11 * 1024 * 1024 + 7)
    s3_store.part_size = 5 * 1024 * 1024
    retain_until = until(days=5)
    assert publish(s3_store, data, retain_until) is True
    digest = sha(data)
    with s3_store.open(digest) as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == digest
    assert s3_store.retention(digest) == retain_until
    head = s3_store.client.head_object(Bucket=s3_store.bucket, Key=address(digest))
    assert head["ObjectLockMode"] == "COMPLIANCE" and head["Metadata"] == {"sha256": digest}


@pytest.mark.req("R14.2")
def test_the_store_refuses_to_delete_the_locked_version(locked: Locked) -> None:
    client = locked.store.client
    assert refused(client.delete_object, **locked.kwargs()) == "AccessDenied"
    locked.assert_intact()


@pytest.mark.req("R14.2")
def test_the_store_refuses_a_governance_bypass(locked: Locked) -> None:
    client = locked.store.client
    bypass = locked.kwargs(BypassGovernanceRetention=True)
    assert refused(client.delete_object, **bypass) == "AccessDenied"
    locked.assert_intact()


@pytest.mark.req("R14.2")
def test_the_store_refuses_to_shorten_the_retention(locked: Locked) -> None:
    client = locked.store.client
    earlier = {"Mode": "COMPLIANCE", "RetainUntilDate": locked.until - timedelta(days=1)}
    answer = refused(client.put_object_retention, **locked.kwargs(Retention=earlier))
    assert answer == "AccessDenied"
    locked.assert_intact()


@pytest.mark.req("R14.2")
def test_the_store_refuses_to_switch_to_governance(locked: Locked) -> None:
    client = locked.store.client
    governance = {"Mode": "GOVERNANCE", "RetainUntilDate": locked.until + timedelta(days=1)}
    answer = refused(client.put_object_retention, **locked.kwargs(Retention=governance))
    assert answer == "AccessDenied"
    bypass = locked.kwargs(Retention=governance, BypassGovernanceRetention=True)
    assert refused(client.put_object_retention, **bypass) == "AccessDenied"
    locked.assert_intact()


@pytest.mark.req("R14.2")
def test_overwriting_the_key_does_not_destroy_the_original(locked: Locked) -> None:
    client = locked.store.client
    client.put_object(Bucket=locked.store.bucket, Key=locked.key, Body=b"forged")
    client.delete_object(Bucket=locked.store.bucket, Key=locked.key)  # only a delete marker
    listed = {v["VersionId"] for v in versions(locked.store, locked.key)}
    assert locked.version in listed and len(listed) == 2
    locked.assert_intact()


@pytest.mark.req("R14.2")
def test_objects_and_strays_list_the_bucket(s3_store: S3Store) -> None:
    one, two = sha(b"one"), sha(b"two")
    assert publish(s3_store, b"one", until()) and publish(s3_store, b"two", until())
    misplaced = f"00/00/{sha(b'misplaced')}"
    for key in ("notes.txt", misplaced, f"{one[:2]}/{one[2:4]}/{one.upper()}"):
        s3_store.client.put_object(Bucket=s3_store.bucket, Key=key, Body=b"?")
    found = sorted(s3_store.objects(), key=lambda o: o.sha256)
    assert found == sorted([StoredObject(one, 3), StoredObject(two, 3)], key=lambda o: o.sha256)
    assert set(s3_store.strays()) == {"notes.txt", misplaced, f"{one[:2]}/{one[2:4]}/{one.upper()}"}


@pytest.mark.req("R14.2")
def test_missing_and_unlocked_objects(s3_store: S3Store) -> None:
    missing = sha(b"never stored")
    assert s3_store.stat(missing) is None
    with pytest.raises(StorageError):
        s3_store.open(missing)
    unlocked = sha(b"unlocked")
    s3_store.client.put_object(Bucket=s3_store.bucket, Key=address(unlocked), Body=b"unlocked")
    assert s3_store.retention(unlocked) is None


@pytest.mark.req("R14.2")
def test_abort_and_clean_abandoned_leave_no_spool(s3_store: S3Store) -> None:
    writer = s3_store.writer()
    writer.write(b"abandoned" * 1000)
    writer.abort()
    assert list(s3_store.spool_dir.glob("lawcam-s3-*")) == []
    assert list(s3_store.objects()) == []

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    dead = s3_store.spool_dir / f"lawcam-s3-{int(child.stdout)}-x1y2.spool"
    dead.write_bytes(b"left by a crash")
    live = s3_store.writer()
    live.write(b"in progress")
    assert s3_store.clean_abandoned() == 1
    assert not dead.exists()
    assert live.publish(sha(b"in progress"), until()) is True


@pytest.mark.req("R14.2")
def test_s3_urls_open_an_s3_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAWCAM_S3_ACCESS_KEY", "AKIDEXAMPLE")
    monkeypatch.setenv("LAWCAM_S3_SECRET_KEY", "secret")
    url = "s3://evidence?endpoint=http://127.0.0.1:8333&region=us-east-1"
    store = open_store(url)
    assert isinstance(store, S3Store)
    assert (store.bucket, store.url) == ("evidence", url)
    assert store.client.meta.endpoint_url == "http://127.0.0.1:8333"
    assert store.client._request_signer._credentials.access_key == "AKIDEXAMPLE"
    assert isinstance(open_store("s3://evidence.2026/?spool=/var/spool/lawcam"), S3Store)


@pytest.mark.parametrize(
    "url",
    ["s3://", "s3://ab", "s3://Evidence", "s3://-evidence", "s3://ev..idence", "s3://evidence/path",
     "s3://key:secret@evidence", "s3://evidence?colour=red", "s3://evidence?endpoint=",
     "s3://evidence?endpoint=ftp://host", "s3://evidence?endpoint=http://host:port",
     "s3://evidence?region=a&region=b", "s3://evidence?spool=relative", "s3://evidence#x"],
)  # fmt: skip
def test_bad_s3_urls_are_refused_in_chinese(url: str) -> None:
    with pytest.raises(InvalidInput) as refused_url:
        open_store(url)
    assert refused_url.value.message.startswith("存储地址无效")
    assert CHINESE.search(refused_url.value.message)
    assert "secret" not in refused_url.value.message


def test_half_a_key_pair_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAWCAM_S3_ACCESS_KEY", "AKIDEXAMPLE")
    monkeypatch.delenv("LAWCAM_S3_SECRET_KEY", raising=False)
    with pytest.raises(InvalidInput, match="LAWCAM_S3_SECRET_KEY"):
        open_store("s3://evidence?endpoint=http://127.0.0.1:8333")
