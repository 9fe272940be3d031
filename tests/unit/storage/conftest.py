"""Stores for the tests: a folder per test; one SeaweedFS per test process (each xdist worker
starts its own, on its own ports, only if one of its tests asks for it) and a bucket per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lawcam.storage.local import LocalStore
from lawcam.storage.s3 import S3Store
from tests.seaweed import Seaweed, start_seaweed


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seaweed]:
    server = start_seaweed(tmp_path_factory.mktemp("seaweed"))
    yield server
    server.stop()


@pytest.fixture
def local_store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "objects")


@pytest.fixture
def s3_store(seaweed: Seaweed, tmp_path: Path) -> S3Store:
    store = seaweed.store(f"lawcam-{uuid.uuid4().hex[:16]}", spool_dir=tmp_path)
    store.ensure_bucket()
    return store
