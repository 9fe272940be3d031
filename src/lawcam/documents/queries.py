"""Reads of documents, permission inside the query: the one who filed it, and the device
administrator and head of its unit (and the units above); nobody else (三员 never)."""

from __future__ import annotations

from datetime import date
from typing import BinaryIO, TypeVar

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor, Role
from lawcam.documents.models import Document
from lawcam.errors import NotFound
from lawcam.org.queries import unit_scope
from lawcam.storage import BlobStore, StorageError

T = TypeVar("T")
UNIT_WIDE = frozenset({Role.DEVICE_ADMIN, Role.UNIT_HEAD})


def permitted(session: Session, stmt: Select[T], actor: Actor, action: Action) -> Select[T]:
    if not actor.can(action):
        return stmt.where(false())
    return stmt.where(_visible(session, actor))


def _visible(session: Session, actor: Actor) -> ColumnElement[bool]:
    allowed: list[ColumnElement[bool]] = []
    if actor.roles & UNIT_WIDE and actor.unit_id is not None:
        allowed.append(Document.unit_id.in_(unit_scope(session, actor.unit_id)))
    if actor.person_id is not None:
        allowed.append(Document.filed_by_person_id == actor.person_id)
    return or_(*allowed) if allowed else false()


def get_document(*, session: Session, actor: Actor, document_id: int) -> Document:
    stmt = select(Document).where(Document.id == document_id)
    document = session.scalars(permitted(session, stmt, actor, Action.DOCUMENT_VIEW)).first()
    if document is None:
        raise NotFound("附件不存在，或您无权查看。")
    return document


def open_content(store: BlobStore, document: Document) -> BinaryIO:
    """The stored bytes; NotFound (not a 500) when the object has gone: verify names it."""
    try:
        return store.open(document.sha256)
    except StorageError:
        raise NotFound("附件的文件在存储中找不到，请联系管理员运行完整性校验。") from None


# id, sha256, sm3, size, retained until: what verify holds each stored object to.
DocumentFacts = tuple[int, str, str, int, date]


def all_documents(session: Session) -> list[DocumentFacts]:
    """Every document's digests and retention, for verify (columns only, one query)."""
    columns = (Document.id, Document.sha256, Document.sm3, Document.size, Document.retain_until)
    stmt = select(*columns).order_by(Document.id)
    return [(i, s, m, z, d) for i, s, m, z, d in session.execute(stmt)]
