"""The web workstation in the demo (第十四条): a unit's device administrator has uploaded, from
the browser, the clips of a recorder that is out now, through the same resumable upload path
as the page (open, pieces, completion with both digests checked); a second file was left half
sent, so that 上传资料 shows it under 未完成的上传 with the bytes the server holds."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.custody.models import CustodyPeriod
from lawcam.db import Database
from lawcam.demo.media import make_mp4
from lawcam.equipment.models import Device
from lawcam.evidence import service, uploads
from lawcam.evidence.ingest import complete_upload
from lawcam.evidence.models import Upload
from lawcam.org.accounts import actor_for
from lawcam.org.models import Account, Person
from lawcam.storage import BlobStore
from lawcam.timeutil import SHANGHAI, utcnow


def _uploader(session: Session) -> tuple[Actor, str, datetime] | None:
    """A device administrator with an account, and a recorder of that unit out now (its
    serial and when it was issued)."""
    stmt = (
        select(CustodyPeriod, Device)
        .join(Device, CustodyPeriod.device_id == Device.id)
        .where(CustodyPeriod.returned_at.is_(None))
        .order_by(CustodyPeriod.issued_at.desc())
    )
    for period, device in session.execute(stmt):
        people = select(Account).join(Person).where(Person.unit_id == device.unit_id)
        for account in session.scalars(people.order_by(Account.id)):
            if Role.DEVICE_ADMIN.value in account.person.active_roles:
                return actor_for(account, "web"), device.serial, period.issued_at
    return None


def _clip(folder: Path, serial: str, start: datetime, n: int, seconds: int) -> Path:
    stamp = start.astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S")
    path = make_mp4(
        folder / f"DSJ_{serial}_{stamp}_{n:04d}.MP4",
        seconds=seconds,
        width=160,
        height=120,
        fps=1,
        audio=False,
        creation_time=start,
    )
    ended = start.timestamp() + seconds
    os.utime(path, (ended, ended))
    return path


def _send(
    *, database: Database, settings: Settings, actor: Actor, run_id: int, clip: Path, part: float
) -> str:
    """Opens the upload and sends ``part`` of the file in one piece; the upload's id."""
    data = clip.read_bytes()
    mtime = datetime.fromtimestamp(clip.stat().st_mtime, SHANGHAI)
    given = uploads.UploadIn(
        run_id=run_id,
        name=f"DCIM/{clip.name}",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        sm3=hashlib.new("sm3", data).hexdigest(),
        mtime=mtime,
    )
    with database.unit_of_work() as session:
        opened = uploads.open_upload(
            session=session, actor=actor, data=given, max_size=settings.max_file_bytes
        )
        if not isinstance(opened, Upload):  # already stored: nothing to send
            return ""
        upload_id = opened.id
    with database.read() as session:
        upload = uploads.own_upload(session, actor, upload_id)
        piece = data[: int(len(data) * part)]
        uploads.append(settings.upload_spool, upload, 0, piece, settings.upload_piece_bytes)
    return upload_id


def seed_web_uploads(*, database: Database, store: BlobStore, settings: Settings) -> int:
    """One browser upload done and one half sent; the number of recordings it made."""
    with database.read() as session:
        found = _uploader(session)
    if found is None:
        return 0
    actor, serial, issued = found
    start = issued + min((utcnow() - issued) / 2, timedelta(hours=2))  # while it is out
    folder = settings.home / "demo-cards" / serial / "web"
    folder.mkdir(parents=True, exist_ok=True)
    clips = [
        _clip(folder, serial, start, 1, 95),
        _clip(folder, serial, start + timedelta(minutes=12), 2, 140),
    ]
    with database.unit_of_work() as session:
        docking = service.Docking(
            device=service.docking_device(session, actor, serial),
            workstation=f"网页工作站（{actor.label}）",
            source="浏览器上传：DCIM",
            device_time=None,
            officer=None,
        )
        run_id = service.open_run(session=session, actor=actor, docking=docking).id
    done = _send(
        database=database, settings=settings, actor=actor, run_id=run_id, clip=clips[0], part=1
    )
    if not done:
        return 0
    complete_upload(database=database, store=store, settings=settings, actor=actor, upload_id=done)
    _send(database=database, settings=settings, actor=actor, run_id=run_id, clip=clips[1], part=0.5)
    return 1
