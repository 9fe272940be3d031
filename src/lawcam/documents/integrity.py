"""Verify's part for documents: each row against the hashed audit entry that filed it. Their
bytes are re-hashed and their protection checked with the originals' (evidence.integrity)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.integrity import Collector
from lawcam.audit.models import AuditEvent
from lawcam.db.base import columns_of
from lawcam.documents.models import Document
from lawcam.documents.types import DocumentEvent


def check_documents_against_audit(session: Session, found: Collector) -> None:
    """Both ways: a row without the entry that filed it, an entry whose row is gone, and each
    column that differs from what the entry recorded (the row is write-once)."""
    filed = _filed(session)
    rows = {d.id: columns_of(d) for d in session.scalars(select(Document))}
    for document_id, row in rows.items():
        recorded = filed.pop(document_id, None)
        if recorded is None:
            found.add("document_not_audited", f"document:{document_id}", "no audit entry filed it")
            continue
        _compare(found, document_id, row, recorded)
    for document_id, recorded in filed.items():
        sha = recorded.get("sha256")
        found.add("document_missing", f"document:{document_id}", f"its row is gone (sha256 {sha})")


def _filed(session: Session) -> dict[int, dict[str, Any]]:
    stmt = select(AuditEvent.subject_id, AuditEvent.entry).where(
        AuditEvent.subject_type == "document", AuditEvent.tag == str(DocumentEvent.FILED)
    )
    filed: dict[int, dict[str, Any]] = {}
    for subject_id, entry in session.execute(stmt):
        after = json.loads(entry).get("after")
        if isinstance(after, dict) and str(subject_id).isdigit():
            filed[int(subject_id)] = after
    return filed


def _compare(
    found: Collector, document_id: int, row: dict[str, Any], recorded: dict[str, Any]
) -> None:
    for column, value in recorded.items():
        if column in row and row[column] != value:
            found.add(
                "document_row_altered",
                f"document:{document_id}",
                f"{column} is {row[column]}, the audit entry recorded {value}",
            )
