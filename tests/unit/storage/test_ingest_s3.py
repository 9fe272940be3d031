"""Ingest into S3 with Object Lock (a real SeaweedFS): each original locked in COMPLIANCE mode
through its retention day, the store refusing its deletion, and verify naming a delete marker
slipped in front of an original (R14.2, R15.1, R18.1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from lawcam.audit.signing import load_signer
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence import integrity
from lawcam.evidence.ingest import IngestRequest, ingest_folder, lock_until
from lawcam.evidence.models import Recording
from lawcam.storage import address
from lawcam.storage.s3 import S3Store
from tests.evidence_helpers import sample_folder
from tests.factories import build_office
from tests.seaweed import Seaweed

pytestmark = [pytest.mark.req("R14.2"), pytest.mark.req("R15.1")]


def _ingest(database: Database, settings: Settings, console: Actor, store: S3Store, folder: Path):  # type: ignore[no-untyped-def]
    request = IngestRequest(path=folder, device_serial="T2-0001", workstation="S3 工作站")
    return ingest_folder(
        database=database, store=store, settings=settings, actor=console, request=request
    )


def test_originals_are_locked_until_their_retention_day_and_cannot_be_deleted(
    database: Database,
    settings: Settings,
    console: Actor,
    s3_store: S3Store,
    seaweed: Seaweed,
    tmp_path: Path,
) -> None:
    build_office(database, settings, console)
    report = _ingest(database, settings, console, s3_store, sample_folder(tmp_path))
    assert report.as_dict()["ingested"] == 3
    again = _ingest(database, settings, console, s3_store, tmp_path / "card")
    assert again.as_dict()["duplicates"] == 3 and again.as_dict()["ingested"] == 0

    client = seaweed.client()
    with database.read() as session:
        recordings = session.query(Recording).all()
    assert {blob.sha256 for blob in s3_store.objects()} == {r.sha256 for r in recordings}
    for recording in recordings:
        key = address(recording.sha256)
        locked = client.get_object_retention(Bucket=s3_store.bucket, Key=key)["Retention"]
        assert locked["Mode"] == "COMPLIANCE"
        assert locked["RetainUntilDate"] >= lock_until(recording.retain_until).replace(
            microsecond=0
        )
        version = client.head_object(Bucket=s3_store.bucket, Key=key)["VersionId"]
        with pytest.raises(ClientError) as refused:
            client.delete_object(Bucket=s3_store.bucket, Key=key, VersionId=version)
        assert refused.value.response["Error"]["Code"] == "AccessDenied"

    public_key = load_signer(settings.home).public_key
    clean = integrity.verify(
        database=database, store=s3_store, public_key=public_key, actor=console
    )
    assert clean.problems == [] and clean.objects_checked == 3


def test_verify_names_an_original_hidden_behind_a_delete_marker(
    database: Database,
    settings: Settings,
    console: Actor,
    s3_store: S3Store,
    seaweed: Seaweed,
    tmp_path: Path,
) -> None:
    build_office(database, settings, console)
    report = _ingest(database, settings, console, s3_store, sample_folder(tmp_path))
    hidden = report.files[0]
    assert hidden.sha256 is not None
    client = seaweed.client()
    key = address(hidden.sha256)
    client.delete_object(Bucket=s3_store.bucket, Key=key)  # S3 allows a marker, not a deletion
    found = integrity.verify(
        database=database,
        store=s3_store,
        public_key=load_signer(settings.home).public_key,
        actor=console,
    )
    assert [(p.kind, p.subject) for p in found.problems] == [
        ("object_missing", f"recording:{hidden.recording_id}")
    ]
    versions = client.list_object_versions(Bucket=s3_store.bucket, Prefix=key)["Versions"]
    assert len(versions) == 1  # the original is still there, locked, behind the marker
