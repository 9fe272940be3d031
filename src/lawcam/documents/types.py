"""The words of documents: what may be filed, and the audit tags."""

from __future__ import annotations

from enum import StrEnum


class DocumentEvent(StrEnum):
    FILED = "document:document:file"


class Purpose(StrEnum):
    """Why a document was filed: the thing it stands beside."""

    INTERRUPTION_REPORT = "interruption_report"  # 第十条: a written report's scanned page
    FINDING_EVIDENCE = "finding_evidence"  # 第十八条: a complaint, a petition, a media report
    FINDING_STATEMENT = "finding_statement"  # 第十八条: what the person concerned hands in

    @property
    def label(self) -> str:
        return PURPOSE_LABELS[self]


PURPOSE_LABELS = {
    Purpose.INTERRUPTION_REPORT: "中断书面说明附件",
    Purpose.FINDING_EVIDENCE: "执法过错证据材料",
    Purpose.FINDING_STATEMENT: "陈述申辩材料",
}

# What a scanner or a telephone camera gives, told by the file's first bytes, not its name:
# a renamed executable must not pass for a PDF.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
MEDIA_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG 图片", "image/png": "PNG 图片"}


def sniff(head: bytes) -> str | None:
    """The media type the bytes begin as, or None when they are none of the accepted kinds."""
    for magic, media_type in SIGNATURES:
        if head.startswith(magic):
            return media_type
    return None
