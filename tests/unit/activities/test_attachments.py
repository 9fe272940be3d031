"""A written report's scanned page (第十条): filed write-once with its digests beside the
explanation, refused whole when it is not a PDF or an image or is too large, and held by verify
like an original — re-hashed, its row checked against the entry that filed it (R10.2, R15.1)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from lawcam.activities import service
from lawcam.activities.models import Interruption
from lawcam.activities.types import Cause
from lawcam.audit.integrity import Collector
from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.documents.models import Document
from lawcam.documents.types import DocumentEvent
from lawcam.errors import InvalidInput
from lawcam.evidence import integrity
from lawcam.storage import address, open_store
from tests.factories import Office
from tests.media import make_jpeg
from tests.unit.activities.test_service import (
    add,
    admin,
    card,
    data,
    docked,
    office,
    officer,
    tight,
)
from tests.unit.audit.test_tamper import unguard

__all__ = ["office", "tight"]  # fixtures, used by name

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def gap(database: Database, settings: Settings, office: Office, tmp_path: Path) -> int:
    """An activity of 0–60 s whose recordings leave 20–40 s uncovered (interruption 1)."""
    docked(database, settings, office, card(tmp_path, "c", [(0, 20), (40, 20)]))
    return add(database, settings, admin(office), data(office, 0, 60))


def report(
    database: Database,
    settings: Settings,
    actor: Actor,
    activity_id: int,
    content: bytes | None,
    name: str = "说明.pdf",
    words: str = "电池耗尽，换电池后继续记录。",
) -> Interruption:
    store = open_store(settings.resolved_storage_url)
    attached = None
    if content is not None:
        attached = service.Attachment(io.BytesIO(content), name, store, settings)
    with database.unit_of_work() as session:
        row = service.explain_written(
            session=session,
            actor=actor,
            activity_id=activity_id,
            seq=1,
            cause=Cause.BATTERY,
            text=words,
            attachment=attached,
        )
        session.expunge(row)
        return row


def objects(settings: Settings) -> set[str]:
    return {o.sha256 for o in open_store(settings.resolved_storage_url).objects()}


def problems(database: Database, settings: Settings) -> list[tuple[str, str]]:
    found = Collector()
    with database.read() as session:
        store = open_store(settings.resolved_storage_url)
        integrity.check_objects(session=session, store=store, found=found)
    return [(p.kind, p.subject) for p in found.problems]


@pytest.mark.req("R10.2")
@pytest.mark.req("R15.1")
def test_a_scanned_report_is_filed_write_once_beside_the_explanation(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    activity_id = gap(database, tight, office, tmp_path)
    row = report(database, tight, officer(office, "spare"), activity_id, PDF)
    assert row.document_id is not None and row.explanation == "written"
    with database.read() as session:
        document = session.get(Document, row.document_id)
        assert document is not None
        assert document.sha256 == hashlib.sha256(PDF).hexdigest()
        assert document.sm3 == hashlib.new("sm3", PDF).hexdigest()
        assert (document.media_type, document.size, document.original_name) == (
            "application/pdf",
            len(PDF),
            "说明.pdf",
        )
        assert document.unit_id == office.units["执法二处"]
        filed = session.scalars(
            select(AuditEvent).where(
                AuditEvent.tag == str(DocumentEvent.FILED),
                AuditEvent.subject_id == str(document.id),
            )
        ).one()
        assert filed.subject_type == "document"
    stored = tight.home / "objects" / address(document.sha256)
    assert stored.read_bytes() == PDF and stored.stat().st_mode & 0o222 == 0
    assert problems(database, tight) == []


@pytest.mark.req("R10.2")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00 an executable named .pdf", "附件只能是"),
        (b"", "空文件"),
        (b"%PDF-" + b"0" * 5000, "超过"),
    ],
)
def test_a_bad_attachment_is_refused_and_nothing_is_filed(
    database: Database,
    tight: Settings,
    office: Office,
    tmp_path: Path,
    content: bytes,
    message: str,
) -> None:
    small = tight.model_copy(update={"document_max_bytes": 4096})
    activity_id = gap(database, small, office, tmp_path)
    before = objects(small)
    with pytest.raises(InvalidInput, match=message):
        report(database, small, officer(office, "spare"), activity_id, content)
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0
        row = session.scalars(select(Interruption).where(Interruption.seq == 1)).one()
        assert row.explanation is None  # the report was not filed without its scan
    assert objects(small) == before


@pytest.mark.req("R10.2")
def test_a_refused_report_stores_no_bytes(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    activity_id = gap(database, tight, office, tmp_path)
    before = objects(tight)
    with pytest.raises(InvalidInput, match="不能为空"):
        report(database, tight, officer(office, "spare"), activity_id, PDF, words=" ")
    assert objects(tight) == before
    assert problems(database, tight) == []


@pytest.mark.req("R15.1")
def test_verify_names_an_altered_document_and_a_missing_scan(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    activity_id = gap(database, tight, office, tmp_path)
    jpeg = tmp_path / "scan.jpg"
    make_jpeg(jpeg)
    row = report(database, tight, officer(office, "spare"), activity_id, jpeg.read_bytes())
    with database.engine.begin() as connection:
        unguard(connection, "document")
        connection.execute(
            text("UPDATE document SET original_name = 'other.jpg', retain_until = :d"),
            {"d": "2027-01-01"},
        )
    found = problems(database, tight)
    subject = f"document:{row.document_id}"
    assert found.count(("document_row_altered", subject)) == 2
    with database.read() as session:
        sha = session.get(Document, row.document_id).sha256  # type: ignore[union-attr]
    stored = tight.home / "objects" / address(sha)
    stored.chmod(0o644)
    stored.write_bytes(b"\xff\xd8\xff changed")
    found = problems(database, tight)
    assert ("object_altered", subject) in found and ("object_writable", subject) in found
    stored.unlink()
    found = problems(database, tight)
    assert ("object_missing", subject) in found
    assert not [p for p in found if p[0] == "object_without_row"]


@pytest.mark.req("R15.1")
def test_verify_names_a_deleted_and_a_planted_document_row(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    activity_id = gap(database, tight, office, tmp_path)
    row = report(database, tight, officer(office, "spare"), activity_id, PDF)
    with database.engine.begin() as connection:
        unguard(connection, "document")
        connection.execute(text("UPDATE activity_interruption SET document_id = NULL"))
        planted = connection.execute(
            text(
                "INSERT INTO document (sha256, sm3, size, media_type, original_name, purpose,"
                " unit_id, filed_by_person_id, filed_by, filed_at, retain_until)"
                " SELECT sha256, sm3, size, media_type, 'planted.pdf', purpose, unit_id,"
                " filed_by_person_id, filed_by, filed_at, retain_until FROM document"
                " RETURNING id"
            )
        ).scalar_one()
        connection.execute(text("DELETE FROM document WHERE id = :id"), {"id": row.document_id})
    found = problems(database, tight)
    assert ("document_missing", f"document:{row.document_id}") in found
    assert ("document_not_audited", f"document:{planted}") in found
