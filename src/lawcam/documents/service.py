"""Filing a document (``*, session, actor``; raises domain errors; never commits). The bytes
go to the write-once store under their SHA-256, locked as long as the row says; the row and its
audit entry are written in the caller's transaction."""

from __future__ import annotations

import hashlib
from typing import BinaryIO

from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Action, Actor
from lawcam.config import Settings
from lawcam.db.base import columns_of
from lawcam.documents.models import Document
from lawcam.documents.types import MEDIA_LABELS, DocumentEvent, Purpose, sniff
from lawcam.errors import InvalidInput
from lawcam.storage import BlobStore
from lawcam.timeutil import add_years, lock_until, today_shanghai, utcnow

_NAME_CHARS = 255


def file_document(
    *,
    session: Session,
    actor: Actor,
    store: BlobStore,
    settings: Settings,
    stream: BinaryIO,
    name: str,
    purpose: Purpose,
    unit_id: int,
) -> Document:
    """Checks the whole file before anything is stored: its kind by its first bytes, its size
    against the limit (read one byte past it, never the rest)."""
    actor.require(Action.DOCUMENT_FILE)
    data = _bounded(stream, settings.document_max_bytes)
    media_type = _kind(data)
    document = Document(
        sha256=hashlib.sha256(data).hexdigest(),
        sm3=hashlib.new("sm3", data).hexdigest(),
        size=len(data),
        media_type=media_type,
        original_name=_name(name, media_type),
        purpose=str(purpose),
        unit_id=unit_id,
        filed_by_person_id=actor.person_id,
        filed_by=actor.label,
        filed_at=utcnow(),
        retain_until=add_years(today_shanghai(), settings.retention_years),
    )
    _store(store, data, document)
    session.add(document)
    session.flush()
    record(
        session, actor, DocumentEvent.FILED, ("document", document.id), after=columns_of(document)
    )
    return document


def _bounded(stream: BinaryIO, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(
            f"附件超过 {_megabytes(limit)}，请压缩或分页扫描后再上传。", field="attachment"
        )
    if not data:
        raise InvalidInput("附件是空文件。", field="attachment")
    return data


def _megabytes(size: int) -> str:
    """The limit as people say it: 20 MB, 512 KB."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.3g} MB"
    return f"{size / 1024:.3g} KB"


def _kind(data: bytes) -> str:
    media_type = sniff(data[:16])
    if media_type is None:
        accepted = "、".join(MEDIA_LABELS.values())
        raise InvalidInput(f"附件只能是 {accepted}（按文件内容判断）。", field="attachment")
    return media_type


def _name(name: str, media_type: str) -> str:
    """The name as the person's computer called it, for showing; never a path."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base[:_NAME_CHARS] or f"附件.{media_type.rsplit('/', 1)[-1]}"


def _store(store: BlobStore, data: bytes, document: Document) -> None:
    """Published before the row is written: a row must never name bytes that are not there.
    If the transaction then fails, verify names the object without a row; nothing is lost."""
    writer = store.writer()
    try:
        writer.write(data)
        until = lock_until(document.retain_until)
        if not writer.publish(document.sha256, until):
            store.extend_retention(document.sha256, until)  # filed before, maybe locked shorter
    finally:
        writer.abort()
