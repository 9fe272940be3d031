"""API shapes for filed documents (a written report's scan): facts and digests, never bytes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel

from lawcam.documents.models import Document
from lawcam.documents.types import MEDIA_LABELS, Purpose


class DocumentOut(BaseModel):
    id: int
    name: str
    media_type: str
    media_label: str
    size: int
    sha256: str
    sm3: str
    purpose: Purpose
    purpose_label: str
    filed_by: str
    filed_at: datetime
    retain_until: date
    content_url: (
        str  # 404 unless the reader may see it (its filer, its unit's head and administrator)
    )

    @classmethod
    def of(cls, document: Document) -> DocumentOut:
        purpose = Purpose(document.purpose)
        return cls(
            id=document.id,
            name=document.original_name,
            media_type=document.media_type,
            media_label=MEDIA_LABELS.get(document.media_type, document.media_type),
            size=document.size,
            sha256=document.sha256,
            sm3=document.sm3,
            purpose=purpose,
            purpose_label=purpose.label,
            filed_by=document.filed_by,
            filed_at=document.filed_at.astimezone(UTC),
            retain_until=document.retain_until,
            content_url=f"/api/v1/documents/{document.id}/content",
        )
