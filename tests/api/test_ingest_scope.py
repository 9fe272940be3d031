"""Unit scope on ingest and uploads (issue 13, seen 3 and 4; R14.1, R15.2): a workstation docks
only its own unit's devices and officers, a digest it sends reveals nothing outside its unit,
and a sighting is recorded only for bytes actually received. Upload pieces are streamed to
disk under a configured limit, whole or not at all, and idle uploads are swept (audited)."""

from __future__ import annotations

import hashlib
import os
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.equipment import service as equipment
from lawcam.equipment.types import DeviceIn, DeviceStatus
from lawcam.errors import Conflict
from lawcam.evidence import service, uploads
from lawcam.evidence.models import IngestRun, Sighting, Upload
from lawcam.web.app import create_app
from tests.api.conftest import login
from tests.evidence_helpers import ingest, sample_folder, workstation_actor
from tests.factories import PASSWORD, Office, build_office
from tests.live import served

OWN_DEVICE = "T1-0001"  # 执法一处's, where the office's device administrator works


@pytest.fixture
def office(database: Database, settings: Settings, console: Actor) -> Office:
    office = build_office(database, settings, console)
    with database.unit_of_work() as session:
        equipment.create_device(
            session=session,
            actor=console,
            data=DeviceIn(
                serial=OWN_DEVICE,
                asset_no="ZC-T1-0001",
                model="TEST-BC1",
                unit="执法一处",
                price=Decimal("3280.00"),
                need="现场执法全过程记录",
                status=DeviceStatus.IN_SERVICE,
            ),
        )
    return office


@pytest.fixture
def admin(client: TestClient, office: Office) -> TestClient:
    """执法一处's device administrator, logged in (a browser session may ingest too)."""
    login(client, office.user(Role.DEVICE_ADMIN))
    return client


def _count(database: Database, model: type) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _open_run(client: TestClient, device: str, officer: str | None = None) -> httpx.Response:
    body = {"device": device, "workstation": "一处工作站", "officer": officer, "source": "D:/"}
    return client.post("/api/v1/ingest-runs", json=body)


@pytest.mark.req("R14.1")
def test_a_workstation_cannot_dock_another_units_device_or_officer(
    admin: TestClient, database: Database
) -> None:
    runs = _count(database, IngestRun)
    refused = _open_run(admin, "T2-0001")  # 执法二处's camera
    assert refused.status_code == 422, refused.text
    assert "本单位" in refused.json()["error"]["message"]
    stranger = _open_run(admin, OWN_DEVICE, officer="T9001")  # 执法二处's officer
    assert stranger.status_code == 422, stranger.text
    assert stranger.json()["error"]["field"] == "officer"
    assert _count(database, IngestRun) == runs  # nothing was opened
    assert _open_run(admin, OWN_DEVICE).status_code == 201


def _upload_body(run_id: int, data: bytes, name: str = "DCIM/x.mp4") -> dict[str, object]:
    return {
        "run_id": run_id,
        "name": name,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "sm3": hashlib.new("sm3", data).hexdigest(),
        "mtime": "2026-11-30T08:00:00+08:00",
    }


@pytest.mark.req("R15.2")
def test_another_units_digest_reveals_nothing_and_adds_no_sighting_without_the_bytes(
    admin: TestClient,
    database: Database,
    settings: Settings,
    console: Actor,
    tmp_path: Path,
) -> None:
    theirs = ingest(database, settings, console, sample_folder(tmp_path / "two"))
    stored = theirs.files[0]
    data = (tmp_path / "two" / "card" / stored.path).read_bytes()
    run = _open_run(admin, OWN_DEVICE).json()["id"]
    sightings = _count(database, Sighting)

    opened = admin.post("/api/v1/uploads", json=_upload_body(run, data, "../../etc/passwd"))
    assert opened.status_code == 201, opened.text
    answer = opened.json()
    assert answer["status"] == "open" and answer["recording_id"] is None
    assert answer["offset"] == 0
    assert _count(database, Sighting) == sightings  # no bytes, no sighting

    put = admin.put(f"/api/v1/uploads/{answer['id']}", params={"offset": 0}, content=data)
    assert put.status_code == 200 and put.json()["offset"] == len(data)
    done = admin.post(f"/api/v1/uploads/{answer['id']}/complete").json()
    assert done["status"] == "duplicate" and done["sha256"] == stored.sha256
    assert done["recording_id"] is None  # another unit's recording is not named
    assert _count(database, Sighting) == sightings + 1  # the bytes were received: seen again


@pytest.mark.req("R14.1")
def test_own_units_bytes_already_stored_need_not_be_sent_again(
    admin: TestClient, database: Database, settings: Settings, console: Actor, tmp_path: Path
) -> None:
    report = ingest(database, settings, console, sample_folder(tmp_path), serial=OWN_DEVICE)
    mine = report.files[0]
    data = (tmp_path / "card" / mine.path).read_bytes()
    run = _open_run(admin, OWN_DEVICE).json()["id"]
    sightings = _count(database, Sighting)
    answer = admin.post("/api/v1/uploads", json=_upload_body(run, data)).json()
    assert answer["status"] == "duplicate" and answer["recording_id"] == mine.recording_id
    assert _count(database, Sighting) == sightings  # nothing received, nothing recorded


def _open_upload(client: TestClient, data: bytes) -> str:
    run = _open_run(client, OWN_DEVICE).json()["id"]
    answer = client.post("/api/v1/uploads", json=_upload_body(run, data))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_a_piece_over_the_limit_is_refused_whole(admin: TestClient, settings: Settings) -> None:
    settings.upload_piece_bytes = 64 * 1024
    data = os.urandom(200 * 1024)
    upload_id = _open_upload(admin, data)
    too_big = admin.put(f"/api/v1/uploads/{upload_id}", params={"offset": 0}, content=data)
    assert too_big.status_code == 413, too_big.text
    assert too_big.json()["error"]["code"] == "too_large"
    part = settings.upload_spool / f"{upload_id}.part"
    assert not part.exists() or part.stat().st_size == 0
    for offset in range(0, len(data), 64 * 1024):
        piece = data[offset : offset + 64 * 1024]
        answer = admin.put(f"/api/v1/uploads/{upload_id}", params={"offset": offset}, content=piece)
        assert answer.status_code == 200, answer.text
    assert part.read_bytes() == data


def test_a_piece_at_the_wrong_offset_or_past_the_size_changes_nothing(
    admin: TestClient, settings: Settings
) -> None:
    data = os.urandom(10_000)
    upload_id = _open_upload(admin, data)
    url = f"/api/v1/uploads/{upload_id}"
    assert admin.put(url, params={"offset": 0}, content=data[:4000]).json()["offset"] == 4000
    wrong = admin.put(url, params={"offset": 100}, content=data[100:200])
    assert wrong.status_code == 409 and wrong.json()["error"]["offset"] == 4000
    past = admin.put(url, params={"offset": 4000}, content=data[4000:] + b"extra")
    assert past.status_code == 422, past.text
    assert (settings.upload_spool / f"{upload_id}.part").read_bytes() == data[:4000]
    assert admin.get(url).json()["offset"] == 4000


def test_two_pieces_of_one_upload_never_interleave(
    database: Database, settings: Settings, office: Office
) -> None:
    upload = _an_upload(database, settings, office)
    target = uploads.Target(upload.id, upload.size)
    first = uploads.Piece(settings.upload_spool, target, 0, 1024)
    try:
        with pytest.raises(Conflict):
            uploads.Piece(settings.upload_spool, target, 0, 1024)
        first.write(b"abc")
        assert first.commit() == 3
    finally:
        first.close()


def _an_upload(database: Database, settings: Settings, office: Office) -> Upload:
    """An open upload of 执法二处's workstation (the spare account), through the services."""
    actor = workstation_actor(office, database)
    with database.unit_of_work() as write:
        device = service.docking_device(write, actor, "T2-0001")
        docking = service.Docking(device, "工作站", "", None, None)
        run = service.open_run(session=write, actor=actor, docking=docking)
        data = uploads.UploadIn(run.id, "a.mp4", 10, "e" * 64, "f" * 64, datetime.now(UTC))
        upload = uploads.open_upload(
            session=write, actor=actor, data=data, max_size=settings.max_file_bytes
        )
        assert isinstance(upload, Upload)
        return upload


def test_idle_uploads_are_swept_audited_and_fresh_ones_kept(
    database: Database, settings: Settings, office: Office
) -> None:
    old = _an_upload(database, settings, office)
    with database.unit_of_work() as session:
        row = session.get(Upload, old.id)
        assert row is not None
        row.opened_at = datetime.now(UTC) - timedelta(days=10)
    part = settings.upload_spool / f"{old.id}.part"
    settings.upload_spool.mkdir(parents=True, exist_ok=True)
    part.write_bytes(b"12345")
    stale = time.time() - 10 * 86400
    os.utime(part, (stale, stale))
    with database.unit_of_work() as session:
        swept = uploads.sweep_abandoned(
            session=session, spool=settings.upload_spool, idle=timedelta(hours=72)
        )
    assert swept == 1 and not part.exists()
    with database.read() as session:
        row = session.get(Upload, old.id)
        assert row is not None and row.status == "abandoned"
        entry = session.scalars(
            select(AuditEvent).where(AuditEvent.tag == "evidence:upload:abandon")
        ).one()
        assert entry.subject_id == old.id and '"received":5' in (entry.after or "")
    with database.unit_of_work() as session:  # nothing else is idle now
        assert (
            uploads.sweep_abandoned(
                session=session, spool=settings.upload_spool, idle=timedelta(hours=72)
            )
            == 0
        )


def _chunks(total: int, size: int) -> Iterator[bytes]:
    block = os.urandom(size)
    for _ in range(total // size):
        yield block


def test_a_large_piece_is_streamed_to_disk_not_held_in_memory(
    database: Database, settings: Settings, office: Office
) -> None:
    """48 MiB sent as one piece: the server's allocations stay far below the piece's size."""
    total, size = 48 * 1024 * 1024, 1024 * 1024
    with (
        served(create_app(settings, database)) as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        answer = client.post(
            "/api/v1/auth/login",
            json={"username": office.user(Role.DEVICE_ADMIN), "password": PASSWORD},
        )
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        run = client.post(
            "/api/v1/ingest-runs",
            json={"device": OWN_DEVICE, "workstation": "一处工作站", "source": ""},
        ).json()["id"]
        body = _upload_body(run, b"")
        body.update(size=total, sha256="1" * 64, sm3="2" * 64)
        upload_id = client.post("/api/v1/uploads", json=body).json()["id"]
        tracemalloc.start()
        try:
            put = client.put(
                f"/api/v1/uploads/{upload_id}",
                params={"offset": 0},
                content=_chunks(total, size),
                headers={"Content-Type": "application/octet-stream"},
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert put.status_code == 200, put.text
    assert put.json()["offset"] == total
    assert peak < total / 4, f"peak {peak / 2**20:.1f} MiB for a {total / 2**20:.0f} MiB piece"


@pytest.mark.req("R15.1")
def test_a_received_upload_is_hashed_as_it_arrives_and_moved_into_the_store_not_copied(
    admin: TestClient, settings: Settings, database: Database
) -> None:
    data = os.urandom(300_000)
    upload_id = _open_upload(admin, data)
    url = f"/api/v1/uploads/{upload_id}"
    for offset in (0, 100_000, 200_000):
        piece = data[offset : offset + 100_000]
        assert admin.put(url, params={"offset": offset}, content=piece).status_code == 200
    part = settings.upload_spool / f"{upload_id}.part"
    inode = part.stat().st_ino
    done = admin.post(f"{url}/complete").json()
    assert done["status"] == "ingested", done
    assert (done["sha256"], done["sm3"]) == (
        hashlib.sha256(data).hexdigest(),
        hashlib.new("sm3", data).hexdigest(),
    )
    stored = settings.home / "objects" / done["sha256"][:2] / done["sha256"][2:4] / done["sha256"]
    assert stored.stat().st_ino == inode  # the received file itself, published read-only
    assert stored.read_bytes() == data and stored.stat().st_mode & 0o777 == 0o444
    assert not part.exists()
