"""Remote workstations (R14.1): a resumable upload. The workstation hashes a file, opens an
upload with its digests, sends the bytes in pieces (each at the offset the server holds, so an
interrupted upload continues where it stopped), then asks the server to complete it: the server
streams the received bytes through the same ingest path and refuses them unless its own SHA-256
and SM3 agree with the workstation's."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Action, Actor
from lawcam.errors import Conflict, InvalidInput, NotFound
from lawcam.evidence.models import IngestRun, Recording, Upload
from lawcam.evidence.types import EvidenceEvent
from lawcam.storage.base import SHA256_HEX
from lawcam.timeutil import utcnow


@dataclass(frozen=True)
class UploadIn:
    run_id: int
    name: str
    size: int
    sha256: str
    sm3: str
    mtime: datetime


def own_run(session: Session, actor: Actor, run_id: int) -> IngestRun:
    """A workstation continues only the runs it opened itself."""
    actor.require(Action.EVIDENCE_INGEST)
    run = session.get(IngestRun, run_id)
    if run is None or run.started_by != actor.label:
        raise NotFound("导入批次不存在。")
    return run


def _checked(data: UploadIn) -> None:
    for value, field in ((data.sha256, "sha256"), (data.sm3, "sm3")):
        if not SHA256_HEX.match(value):
            raise InvalidInput(f"{field} 应为 64 位小写十六进制摘要。", field=field)
    if data.size < 0:
        raise InvalidInput("文件大小不能为负数。", field="size")
    if not data.name.strip():
        raise InvalidInput("文件名不能为空。", field="name")


def open_upload(*, session: Session, actor: Actor, data: UploadIn) -> Upload | Recording:
    """An upload to send bytes to, or the recording when those bytes are already stored.
    An unfinished upload of the same bytes by the same account is resumed, not restarted."""
    _checked(data)
    run = own_run(session, actor, data.run_id)
    stored = session.scalars(select(Recording).where(Recording.sha256 == data.sha256)).first()
    if stored is not None:
        return stored
    stmt = select(Upload).where(
        Upload.account_id == actor.account_id,
        Upload.sha256 == data.sha256,
        Upload.status == "open",
    )
    upload = session.scalars(stmt).first()
    if upload is not None:
        upload.ingest_run_id = run.id
        return upload
    upload = Upload(
        id=secrets.token_hex(16),
        account_id=actor.account_id,
        ingest_run_id=run.id,
        name=data.name[:1000],
        size=data.size,
        sha256=data.sha256,
        sm3=data.sm3,
        mtime=data.mtime,
        opened_at=utcnow(),
        status="open",
    )
    session.add(upload)
    session.flush()
    after = {"name": upload.name, "size": upload.size, "sha256": upload.sha256, "run": run.id}
    record(session, actor, EvidenceEvent.UPLOAD_OPENED, ("upload", upload.id), after=after)
    return upload


def own_upload(session: Session, actor: Actor, upload_id: str) -> Upload:
    actor.require(Action.EVIDENCE_INGEST)
    upload = session.get(Upload, upload_id)
    if upload is None or upload.account_id != actor.account_id:
        raise NotFound("上传不存在。")
    return upload


def spool_path(spool: Path, upload: Upload) -> Path:
    return spool / f"{upload.id}.part"


def received(spool: Path, upload: Upload) -> int:
    try:
        return spool_path(spool, upload).stat().st_size
    except FileNotFoundError:
        return 0


def append(spool: Path, upload: Upload, offset: int, data: bytes) -> int:
    """Adds a piece at ``offset``, which must be what the server already holds."""
    if upload.status != "open":
        raise Conflict("该上传已结束。", field="upload")
    have = received(spool, upload)
    if offset != have:
        raise Conflict(f"偏移量应为 {have}（服务器已收到的字节数）。", field="offset", offset=have)
    if have + len(data) > upload.size:
        raise InvalidInput("发送的字节超过了声明的文件大小。", field="size")
    spool.mkdir(parents=True, exist_ok=True)
    fd = os.open(spool_path(spool, upload), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)  # what the server acknowledges survives its crash
    finally:
        os.close(fd)
    return have + len(data)
