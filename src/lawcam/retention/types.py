"""The words of penalty cases, holds, retention and disposal."""

from __future__ import annotations

from enum import StrEnum

PERMANENT = 0  # a term of 0 years in Settings.case_terms: 永久


class CaseStatus(StrEnum):
    OPEN = "open"  # 立案，办理中
    DECIDED = "decided"  # 已作出处罚决定
    CLOSED = "closed"  # 已结案，未归档
    ARCHIVED = "archived"  # 已归档：保存期限自归档之日起算

    @property
    def label(self) -> str:
        return CASE_STATUS_LABELS[self]


CASE_STATUS_LABELS = {
    CaseStatus.OPEN: "办理中",
    CaseStatus.DECIDED: "已决定",
    CaseStatus.CLOSED: "已结案",
    CaseStatus.ARCHIVED: "已归档",
}


def term_label(years: int) -> str:
    return "永久" if years == PERMANENT else f"{years} 年"


class DisposalStatus(StrEnum):
    PROPOSED = "proposed"  # 待单位负责人审批
    HEAD_APPROVED = "head_approved"  # 待工程监管处审批
    APPROVED = "approved"  # 已批准，待执行
    REJECTED = "rejected"
    DONE = "done"

    @property
    def label(self) -> str:
        return DISPOSAL_STATUS_LABELS[self]


DISPOSAL_STATUS_LABELS = {
    DisposalStatus.PROPOSED: "待单位负责人审批",
    DisposalStatus.HEAD_APPROVED: "待工程监管处审批",
    DisposalStatus.APPROVED: "已批准，待执行",
    DisposalStatus.REJECTED: "已驳回",
    DisposalStatus.DONE: "已执行",
}


class Outcome(StrEnum):
    """What running a batch did with one recording."""

    DISPOSED = "disposed"
    KEPT = "kept"  # its retention grew since the proposal (a case, a hold): kept, and why
    REFUSED = "refused"  # the store itself refused: its lock has not expired

    @property
    def label(self) -> str:
        return {"disposed": "已销毁", "kept": "保留", "refused": "存储拒绝"}[self]


class RetentionEvent(StrEnum):
    """Audit tags of the retention domain (``domain:subject:action``)."""

    CASE_CREATED = "retention:case:create"
    CASE_CHANGED = "retention:case:change"  # dates, status, term, title, parties
    CASE_ARCHIVED = "retention:case:archive"
    LINKED = "retention:link:add"
    UNLINK_ASKED = "retention:link:unlink_request"
    UNLINKED = "retention:link:unlink"
    HOLD_PLACED = "retention:hold:place"
    HOLD_RELEASE_ASKED = "retention:hold:release_request"
    HOLD_RELEASED = "retention:hold:release"
    DISPOSAL_PROPOSED = "retention:disposal:propose"
    DISPOSAL_APPROVED = "retention:disposal:approve"
    DISPOSAL_REJECTED = "retention:disposal:reject"
    DISPOSAL_RUN = "retention:disposal:run"
    # One original removed: the signed disposition (EvidenceEvent.RECORDING_DISPOSED).
