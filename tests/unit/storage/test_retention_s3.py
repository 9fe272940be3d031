"""Retention against a real SeaweedFS with Object Lock (R14.2, R15.1; issue 13 seen 9): a device
clock years behind no longer gives a lock date already past (which S3 refuses, stopping the
whole ingest run on every retry), and a corrected start time that extends the effective
retention extends the original's COMPLIANCE lock too; an earlier one leaves it as it is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence import service
from lawcam.evidence.ingest import IngestReport, IngestRequest, ingest_folder
from lawcam.evidence.models import Recording
from lawcam.evidence.retention import effective_retention
from lawcam.evidence.timing import lock_until, retention_date
from lawcam.evidence.types import CorrectableField
from lawcam.storage import address
from lawcam.storage.s3 import S3Store
from lawcam.timeutil import utcnow
from tests import media
from tests.factories import build_office

pytestmark = [pytest.mark.req("R14.2"), pytest.mark.req("R15.1")]

OFFICER = "T9001"


def ingest(
    database: Database, settings: Settings, actor: Actor, store: S3Store, folder: Path
) -> IngestReport:
    request = IngestRequest(
        path=folder, device_serial="T2-0001", workstation="S3 工作站", officer_badge=OFFICER
    )
    return ingest_folder(
        database=database, store=store, settings=settings, actor=actor, request=request
    )


def card(tmp_path: Path, **starts: datetime) -> Path:
    folder = tmp_path / "card"
    folder.mkdir()
    for name, start in starts.items():
        media.make_mp4(folder / f"{name}.mp4", creation_time=start)
    return folder


def locked_until(store: S3Store, sha256: str) -> datetime:
    found = store.client.get_object_retention(Bucket=store.bucket, Key=address(sha256))
    assert found["Retention"]["Mode"] == "COMPLIANCE"
    return found["Retention"]["RetainUntilDate"].astimezone(UTC)  # type: ignore[no-any-return]


def lock_of(day: date) -> datetime:
    return lock_until(day).replace(microsecond=0)


def correct_start(
    database: Database, settings: Settings, actor: Actor, store: S3Store, rid: int, at: datetime
) -> date:
    with database.unit_of_work() as session:
        recording = session.get(Recording, rid)
        assert recording is not None
        service.correct(
            session=session, actor=actor, recording=recording, field=CorrectableField.START_AT,
            value=at.isoformat(), reason="按核对的时间更正", settings=settings, store=store,
        )  # fmt: skip
        return effective_retention(session, recording)


def test_a_clock_years_behind_no_longer_stops_an_s3_ingest(
    database: Database, settings: Settings, console: Actor, s3_store: S3Store, tmp_path: Path
) -> None:
    build_office(database, settings, console)
    now = utcnow().replace(microsecond=0)
    folder = card(tmp_path, behind=now - timedelta(days=6 * 365), fresh=now - timedelta(hours=1))
    report = ingest(database, settings, console, s3_store, folder).as_dict()
    assert (report["ingested"], report["refused"]) == (2, 0), report
    with database.read() as session:
        recordings = list(session.query(Recording))
    for recording in recordings:
        kept = retention_date(recording.ingested_at, 2)
        assert recording.retain_until == kept
        assert locked_until(s3_store, recording.sha256) >= lock_of(kept) > utcnow()


def test_a_later_start_correction_extends_the_s3_lock_and_an_earlier_one_does_not(
    database: Database,
    settings: Settings,
    console: Actor,
    s3_store: S3Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_office(database, settings, console)
    ingested = utcnow() - timedelta(days=400)  # a recording ingested more than a year ago
    with monkeypatch.context() as patch:
        patch.setattr(service, "utcnow", lambda: ingested)
        folder = card(tmp_path, old=ingested - timedelta(days=3 * 365))
        [done] = ingest(database, settings, console, s3_store, folder).files
    assert done.recording_id is not None and done.sha256 is not None
    promised = retention_date(ingested, 2)
    assert locked_until(s3_store, done.sha256) == lock_of(promised)

    later = utcnow().replace(microsecond=0) - timedelta(days=20)
    kept = correct_start(database, settings, console, s3_store, done.recording_id, later)
    assert kept == retention_date(later, 2) > promised
    assert locked_until(s3_store, done.sha256) == lock_of(kept)

    earlier = later - timedelta(days=200)
    again = correct_start(database, settings, console, s3_store, done.recording_id, earlier)
    assert again == kept and locked_until(s3_store, done.sha256) == lock_of(kept)
