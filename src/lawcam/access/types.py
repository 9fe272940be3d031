"""The words of access by approval (第十五条)."""

from __future__ import annotations

from enum import StrEnum


class AccessAction(StrEnum):
    VIEW = "view"  # 查看（在浏览器中播放）
    DOWNLOAD = "download"  # 下载原始文件
    PROVIDE = "provide"  # 向外部单位或个人提供

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    AccessAction.VIEW: "查看",
    AccessAction.DOWNLOAD: "下载",
    AccessAction.PROVIDE: "向外部提供",
}
# What each action allows: a download also allows viewing, providing allows both.
ALLOWS: dict[AccessAction, frozenset[AccessAction]] = {
    AccessAction.VIEW: frozenset({AccessAction.VIEW}),
    AccessAction.DOWNLOAD: frozenset({AccessAction.VIEW, AccessAction.DOWNLOAD}),
    AccessAction.PROVIDE: frozenset(AccessAction),
}


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    RequestStatus.PENDING: "待审批",
    RequestStatus.APPROVED: "已批准",
    RequestStatus.REJECTED: "已驳回",
    RequestStatus.REVOKED: "已撤销",
}


class Approver(StrEnum):
    """Who decides, by the rule shown to users (and kept in settings)."""

    UNIT_HEAD = "unit_head"  # the head of the unit that collected the material
    OFFICE_LEADER = "office_leader"  # 分管领导: provision outside the office, a head's own request

    @property
    def label(self) -> str:
        return {Approver.UNIT_HEAD: "采集单位负责人", Approver.OFFICE_LEADER: "分管领导"}[self]


class Refusal(StrEnum):
    """Why a use of a recording was refused (read by the findings: Art. 18 (3))."""

    NO_GRANT = "no_grant"
    EXPIRED = "expired"
    REVOKED = "revoked"
    NOT_ALLOWED = "not_allowed"  # a grant, but for another action (view only, asked to download)


class AccessEvent(StrEnum):
    REQUESTED = "access:request:create"
    DECIDED = "access:request:decide"
    REVOKED = "access:grant:revoke"
    REFUSED = "access:content:refuse"
    VIEWED = "access:content:view"
    DOWNLOADED = "access:content:download"
    PACKAGED = "access:content:package"


MAX_RECORDINGS = 1000  # one request; more is a case for several requests
MAX_DAYS = 90
