"""Evidence rows for API and page tests: real files through the real ingest path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence import service, uploads
from lawcam.evidence.ingest import IngestReport, IngestRequest, ingest_folder
from lawcam.evidence.models import Upload
from lawcam.storage import open_store
from tests.factories import Office
from tests.media import make_mp4, make_wav


def ingest(
    database: Database,
    settings: Settings,
    actor: Actor,
    folder: Path,
    serial: str = "T2-0001",
    **options: object,
) -> IngestReport:
    request = IngestRequest(path=folder, device_serial=serial, workstation="测试工作站", **options)  # type: ignore[arg-type]
    return ingest_folder(
        database=database,
        store=open_store(settings.resolved_storage_url),
        settings=settings,
        actor=actor,
        request=request,
    )


def sample_folder(root: Path) -> Path:
    """A docked camera: a fresh clip, an old one (uploaded late) and an audio file."""
    folder = root / "card"
    (folder / "DCIM").mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    make_mp4(folder / "DCIM" / "clip1.mp4", creation_time=now - timedelta(hours=1))
    make_mp4(folder / "DCIM" / "clip2.mp4", creation_time=now - timedelta(days=3), seconds=2.0)
    make_wav(folder / "DCIM" / "REC_20261130_090000.wav")
    return folder


def workstation_actor(office: Office, database: Database) -> Actor:
    """The spare account acting as a workstation (a device administrator's token)."""
    return Actor(
        label="备用人员(u_spare)",
        source="api",
        account_id=office.accounts["spare"],
        person_id=office.people["spare"],
        unit_id=office.units["执法二处"],  # the spare person's unit: its devices may dock
        roles=frozenset({Role.DEVICE_ADMIN}),
    )


def evidence_rows(
    database: Database, settings: Settings, console: Actor, tmp_path: Path, office: Office
) -> tuple[int, int, str]:
    """A recording of 执法二处's device, and a run and an open upload of the spare account."""
    report = ingest(database, settings, console, sample_folder(tmp_path))
    recording_id = report.files[0].recording_id
    assert recording_id is not None
    actor = workstation_actor(office, database)
    with database.unit_of_work() as session:
        docking = service.Docking(
            device=service.docking_device(session, actor, "T2-0001"),
            workstation="备用工作站",
            source="",
            device_time=None,
            officer=None,
        )
        run = service.open_run(session=session, actor=actor, docking=docking)
        upload = uploads.open_upload(
            session=session,
            actor=actor,
            data=uploads.UploadIn(run.id, "x.mp4", 3, "c" * 64, "d" * 64, datetime.now(UTC)),
            max_size=settings.max_file_bytes,
        )
        assert isinstance(upload, Upload)
        return recording_id, run.id, upload.id
