"""Ranged reads from both stores (playback by HTTP Range, R15.2): the exact slice of the
original, nothing before it read or held, a clear StorageError for what is not there."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lawcam.storage import BlobStore, StorageError
from lawcam.storage.local import LocalStore
from lawcam.storage.s3 import MiB
from tests.seaweed import Seaweed

UNTIL = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)


def put(store: BlobStore, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    writer = store.writer()
    for start in range(0, len(data), MiB):
        writer.write(data[start : start + MiB])
    assert writer.publish(digest, UNTIL) is True
    return digest


def read_range(store: BlobStore, digest: str, start: int, end: int, block: int = -1) -> bytes:
    """Everything the stream gives, in blocks of ``block`` bytes (-1: one read)."""
    with store.open_range(digest, start, end) as stream:
        data = stream.read() if block < 0 else b"".join(iter(lambda: stream.read(block), b""))
        assert stream.read(10) == b""  # end of file after the range, not the rest of the object
    return data


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """Each store; on S3 parts of 5 MiB (the S3 minimum) so that a few MiB make a multipart."""
    if request.param == "local":
        return LocalStore(tmp_path / "objects")
    seaweed: Seaweed = request.getfixturevalue("seaweed")
    bucket = f"lawcam-{uuid.uuid4().hex[:16]}"
    s3 = seaweed.store(bucket, spool_dir=tmp_path, part_size=5 * MiB)
    s3.ensure_bucket()
    return s3


@pytest.mark.req("R15.2")
def test_every_range_is_the_exact_slice(store: BlobStore) -> None:
    data = os.urandom(300_001)
    digest = put(store, data)
    size = len(data)
    cases = [(0, size), (0, 1), (size - 1, size), (1000, 1001), (12_345, 256_789), (7, size)]
    for start, end in cases:
        assert read_range(store, digest, start, end) == data[start:end], (start, end)
        assert read_range(store, digest, start, end, block=65_537) == data[start:end]


@pytest.mark.req("R15.2")
def test_a_range_across_the_parts_of_a_multipart_object(store: BlobStore) -> None:
    data = os.urandom(11 * MiB + 3)  # three parts on S3
    digest = put(store, data)
    for start, end in [(5 * MiB - 10, 5 * MiB + 10), (MiB, 10 * MiB + 1), (11 * MiB, len(data))]:
        assert read_range(store, digest, start, end, block=300_000) == data[start:end]


@pytest.mark.req("R15.2")
def test_an_empty_range_of_an_object_is_an_empty_stream(store: BlobStore) -> None:
    data = os.urandom(1000)
    digest = put(store, data)
    assert read_range(store, digest, 1000, 1000) == b""
    assert read_range(store, digest, 0, 0) == b""


@pytest.mark.req("R15.2")
def test_what_is_not_there_is_a_storage_error(store: BlobStore) -> None:
    data = os.urandom(1000)
    digest = put(store, data)
    absent = hashlib.sha256(b"never stored").hexdigest()
    refused = [
        (absent, 0, 10),  # no such object
        (absent, 0, 0),
        (digest, 0, 1001),  # the end past the object
        (digest, 1000, 1001),  # the start at the end
        (digest, 5000, 6000),  # all of it past the end
        (digest, 1001, 1001),
        (digest, -1, 10),  # not a range
        (digest, 10, 5),
        ("not-a-digest", 0, 10),
    ]
    for sha256, start, end in refused:
        with pytest.raises(StorageError):
            store.open_range(sha256, start, end)
    assert read_range(store, digest, 0, 1000) == data  # still served after all those


@pytest.mark.req("R15.2")
def test_a_stream_closed_early_leaves_the_store_serving(store: BlobStore) -> None:
    """A viewer seeks away: the stream is closed with most of its range unread (on S3 the
    connection is dropped, not drained); the next dozens of reads are served at once."""
    data = os.urandom(6 * MiB)
    digest = put(store, data)
    for n in range(30):
        start = n * 100_000
        with store.open_range(digest, start, len(data)) as stream:
            assert stream.read(1000) == data[start : start + 1000]
    assert read_range(store, digest, 0, len(data), block=MiB) == data


@pytest.mark.req("R15.2")
def test_a_range_deep_in_a_large_object_reads_nothing_before_it(store: BlobStore) -> None:
    """Memory stays bounded by the read, not by the object or the offset: a 64 KiB range at
    the end of a 24 MiB object is read with well under a MiB or two allocated."""
    data = os.urandom(24 * MiB)
    digest = put(store, data)
    start = len(data) - 65_536
    tracemalloc.start()
    try:
        got = read_range(store, digest, start, len(data), block=16_384)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == data[start:]
    assert peak < 3 * MiB, f"peak {peak} bytes"
