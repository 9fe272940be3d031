"""``verify`` reading back how the store protects each original, against its effective
retention (issue 13, "What was seen" 5): on S3 (a real SeaweedFS) the current version must be
locked COMPLIANCE through the effective retention day; in a folder the file must be 0444
(R14.2, R15.1, R18.1)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from lawcam.audit.integrity import IntegrityProblem
from lawcam.audit.service import record
from lawcam.audit.signing import load_signer
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence import integrity
from lawcam.evidence.ingest import IngestReport, IngestRequest, ingest_folder
from lawcam.evidence.models import Correction, Recording
from lawcam.evidence.retention import RETAIN_UNTIL_FIELD
from lawcam.evidence.types import EvidenceEvent
from lawcam.storage import BlobStore, address
from lawcam.storage.local import LocalStore
from lawcam.storage.s3 import S3Store
from lawcam.timeutil import utcnow
from tests.evidence_helpers import sample_folder
from tests.factories import build_office
from tests.seaweed import Seaweed

pytestmark = [pytest.mark.req("R14.2"), pytest.mark.req("R15.1"), pytest.mark.req("R18.1")]


def _ingest(
    database: Database, settings: Settings, console: Actor, store: BlobStore, tmp_path: Path
) -> IngestReport:
    build_office(database, settings, console)
    request = IngestRequest(
        path=sample_folder(tmp_path), device_serial="T2-0001", workstation="校验工作站"
    )
    return ingest_folder(
        database=database, store=store, settings=settings, actor=console, request=request
    )


def _verify(
    database: Database, settings: Settings, console: Actor, store: BlobStore
) -> list[IntegrityProblem]:
    public_key = load_signer(settings.home).public_key
    found = integrity.verify(database=database, store=store, public_key=public_key, actor=console)
    return found.problems


def _extend_in_database_only(database: Database, console: Actor, recording_id: int) -> None:
    """A retention extension recorded (row and entry) whose store lock was never lengthened."""
    with database.unit_of_work() as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None
        extension = Correction(
            recording_id=recording_id,
            field=RETAIN_UNTIL_FIELD,
            value=(recording.retain_until + timedelta(days=400)).isoformat(),
            reason="测试：只在数据库中延长",
            corrected_by=console.label,
            corrected_at=utcnow(),
        )
        session.add(extension)
        session.flush()
        after = {"field": RETAIN_UNTIL_FIELD, "value": extension.value,
                 "correction": extension.snapshot()}  # fmt: skip
        record(session, console, EvidenceEvent.RECORDING_CORRECTED,
               ("recording", recording_id), after=after)  # fmt: skip


def test_s3_lock_shorter_than_the_effective_retention_and_an_unlocked_version(
    database: Database,
    settings: Settings,
    console: Actor,
    s3_store: S3Store,
    seaweed: Seaweed,
    tmp_path: Path,
) -> None:
    report = _ingest(database, settings, console, s3_store, tmp_path)
    first, second = report.files[0], report.files[1]
    assert first.recording_id and second.recording_id and second.sha256
    assert _verify(database, settings, console, s3_store) == []

    _extend_in_database_only(database, console, first.recording_id)
    # An unlocked version put in front of the original (same bytes: only the lock differs).
    key = address(second.sha256)
    client = seaweed.client()
    body = client.get_object(Bucket=s3_store.bucket, Key=key)["Body"].read()
    client.put_object(Bucket=s3_store.bucket, Key=key, Body=body)

    problems = _verify(database, settings, console, s3_store)
    assert sorted((p.kind, p.subject) for p in problems) == [
        ("object_lock_too_short", f"recording:{first.recording_id}"),
        ("object_not_locked", f"recording:{second.recording_id}"),
    ]


def test_local_original_made_writable(
    database: Database, settings: Settings, console: Actor, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "objects")
    report = _ingest(database, settings, console, store, tmp_path)
    target = report.files[2]
    assert target.sha256 and target.recording_id
    assert _verify(database, settings, console, store) == []
    store.path(target.sha256).chmod(0o664)
    problems = _verify(database, settings, console, store)
    assert [(p.kind, p.subject) for p in problems] == [
        ("object_writable", f"recording:{target.recording_id}")
    ]
