"""Who may do what: roles, actions, and the actor a request or command runs as.

Deny by default: an action is allowed only when one of the actor's roles lists it.
Row-level restriction (which units, which people) lives in each domain's ``queries``
as ``permitted(stmt, actor, action)``, so lists and detail pages share one rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from lawcam.errors import Forbidden


class Role(StrEnum):
    OFFICER = "officer"
    DEVICE_ADMIN = "device_admin"
    UNIT_HEAD = "unit_head"
    ENGINEERING = "engineering"
    FINANCE = "finance"
    ICT = "ict"
    SYSADMIN = "sysadmin"
    SECADMIN = "secadmin"
    AUDITOR = "auditor"
    OFFICE_LEADER = "office_leader"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.OFFICER: "执法人员",
    Role.DEVICE_ADMIN: "执法记录仪管理员",
    Role.UNIT_HEAD: "单位负责人",
    Role.ENGINEERING: "工程监管处",
    Role.FINANCE: "计划财务与国有资产管理处",
    Role.ICT: "信息通信保障部",
    Role.SYSADMIN: "系统管理员",
    Role.SECADMIN: "安全管理员",
    Role.AUDITOR: "安全审计员",
    Role.OFFICE_LEADER: "分管领导",
}

# 三员分立: these three are exclusive with each other and with every business role.
SEPARATED_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})
# One per unit (R9.1).
ONE_PER_UNIT_ROLES = frozenset({Role.DEVICE_ADMIN})


class Action(StrEnum):
    UNIT_VIEW = "unit:view"
    UNIT_MANAGE = "unit:manage"
    PERSON_VIEW = "person:view"
    PERSON_MANAGE = "person:manage"
    ACCOUNT_VIEW = "account:view"
    ACCOUNT_MANAGE = "account:manage"
    # 三员分立: the accounts of the three system roles are managed by the security
    # administrator, so that the system administrator cannot become the auditor.
    SEPARATED_ACCOUNT_MANAGE = "account:manage_separated"
    ROLE_VIEW = "role:view"
    ROLE_ASSIGN = "role:assign"
    AUDIT_READ = "audit:read"
    EVIDENCE_VIEW = "evidence:view"
    # A recording's facts (who, when, which device, digests); not its content (R15.2).
    RECORDING_VIEW = "recording:view"
    EVIDENCE_INGEST = "evidence:ingest"
    RECORDING_CORRECT = "recording:correct"
    ACCESS_APPROVE = "access:approve"
    ACCESS_REQUEST = "access:request"
    EQUIPMENT_VIEW = "equipment:view"
    MODEL_MANAGE = "model:manage"
    MODEL_QUALITY = "model:quality"
    THRESHOLDS_SET = "thresholds:set"
    DEVICE_MANAGE = "device:manage"
    UNIT_NEED_DECLARE = "unit_need:declare"
    BUDGET_VIEW = "budget:view"
    BUDGET_MANAGE = "budget:manage"
    PROCUREMENT_RECORD = "procurement:record"
    PROCUREMENT_APPROVE = "procurement:approve"
    FAULT_REPORT = "fault:report"
    REPAIR_COMPLETE = "repair:complete"
    LOSS_DECIDE = "loss_case:decide"
    # 第十条: enforcement activities, their recordings and the explanation of interruptions.
    ACTIVITY_VIEW = "activity:view"
    ACTIVITY_RECORD = "activity:record"
    ACTIVITY_LINK = "activity:link"
    INTERRUPTION_EXPLAIN = "interruption:explain"
    INTERRUPTION_CONFIRM = "interruption:confirm"
    DOCUMENT_FILE = "document:file"
    DOCUMENT_VIEW = "document:view"
    # 第十三条 (R13.1): draw recordings at random for conduct review and record the results;
    # the content is seen only under the review grant the draw gives.
    SAMPLE_DRAW = "sample:draw"
    # 第十四条第（三）项 (R14.3): penalty cases and the recordings and activities that serve them;
    # unlinking before archiving needs the unit head's approval.
    CASE_VIEW = "case:view"
    CASE_MANAGE = "case:manage"
    CASE_UNLINK_APPROVE = "case:unlink_approve"
    # 保全: a recording kept beyond any date; released only when another authorised person
    # approves the release.
    HOLD_PLACE = "hold:place"
    HOLD_RELEASE_APPROVE = "hold:release_approve"
    # Disposal after retention (R14.2, R15.1): proposed by the unit's device administrator,
    # approved by the unit head and then engineering supervision, run by hand.
    DISPOSAL_PROPOSE = "disposal:propose"
    DISPOSAL_APPROVE = "disposal:approve"
    RETENTION_REPORT = "retention:report"
    # 第十八条 (R18.1): findings — seen by the person concerned and by those who decide, review
    # or watch them; decided by the unit head, reviewed by engineering supervision.
    FINDING_VIEW = "finding:view"
    FINDING_DECIDE = "finding:decide"
    FINDING_REVIEW = "finding:review"
    FINDING_RECORD = "finding:record"
    FINDING_SWEEP = "finding:sweep"


_READ_ORG = {Action.UNIT_VIEW, Action.PERSON_VIEW}
_READ_EQUIPMENT = {*_READ_ORG, Action.EQUIPMENT_VIEW}

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.OFFICER: frozenset(
        {
            *_READ_EQUIPMENT,
            Action.EVIDENCE_VIEW,
            Action.RECORDING_VIEW,
            Action.FAULT_REPORT,
            Action.ACTIVITY_VIEW,
            Action.ACTIVITY_RECORD,
            Action.INTERRUPTION_EXPLAIN,
            Action.DOCUMENT_FILE,
            Action.DOCUMENT_VIEW,
            Action.ACCESS_REQUEST,
            Action.CASE_VIEW,
            Action.CASE_MANAGE,
            Action.FINDING_VIEW,
        }
    ),
    Role.DEVICE_ADMIN: frozenset(
        {
            *_READ_EQUIPMENT,
            Action.EVIDENCE_VIEW,
            Action.RECORDING_VIEW,
            Action.EVIDENCE_INGEST,
            Action.RECORDING_CORRECT,
            Action.MODEL_MANAGE,
            Action.DEVICE_MANAGE,
            Action.UNIT_NEED_DECLARE,
            Action.BUDGET_VIEW,
            Action.PROCUREMENT_RECORD,
            Action.FAULT_REPORT,
            Action.ACTIVITY_VIEW,
            Action.ACTIVITY_RECORD,
            Action.ACTIVITY_LINK,
            Action.INTERRUPTION_CONFIRM,
            Action.DOCUMENT_FILE,
            Action.DOCUMENT_VIEW,
            Action.ACCESS_REQUEST,
            Action.CASE_VIEW,
            Action.CASE_MANAGE,
            Action.HOLD_PLACE,
            Action.DISPOSAL_PROPOSE,
            Action.RETENTION_REPORT,
            Action.FINDING_VIEW,
        }
    ),
    Role.UNIT_HEAD: frozenset(
        {
            *_READ_EQUIPMENT,
            Action.EVIDENCE_VIEW,
            Action.RECORDING_VIEW,
            Action.RECORDING_CORRECT,
            Action.ACCESS_APPROVE,
            Action.UNIT_NEED_DECLARE,
            Action.BUDGET_VIEW,
            Action.LOSS_DECIDE,
            Action.ACTIVITY_VIEW,
            Action.ACTIVITY_RECORD,
            Action.ACTIVITY_LINK,
            Action.DOCUMENT_FILE,
            Action.DOCUMENT_VIEW,
            Action.ACCESS_REQUEST,
            Action.SAMPLE_DRAW,
            Action.CASE_VIEW,
            Action.CASE_MANAGE,
            Action.CASE_UNLINK_APPROVE,
            Action.HOLD_PLACE,
            Action.HOLD_RELEASE_APPROVE,
            Action.DISPOSAL_APPROVE,
            Action.RETENTION_REPORT,
            Action.FINDING_VIEW,
            Action.FINDING_DECIDE,
            Action.FINDING_RECORD,
        }
    ),
    # R4.1: the three supervising divisions see every unit, each with its own powers.
    Role.ENGINEERING: frozenset(
        {
            *_READ_EQUIPMENT,
            Action.THRESHOLDS_SET,
            Action.SAMPLE_DRAW,
            Action.CASE_VIEW,
            Action.HOLD_PLACE,
            Action.HOLD_RELEASE_APPROVE,
            Action.DISPOSAL_APPROVE,
            Action.RETENTION_REPORT,
            Action.FINDING_VIEW,
            Action.FINDING_REVIEW,
            Action.FINDING_RECORD,
            Action.FINDING_SWEEP,
            Action.DOCUMENT_FILE,  # a manual finding's documents (a complaint, a petition)
        }
    ),
    Role.FINANCE: frozenset(
        {
            *_READ_EQUIPMENT,
            Action.BUDGET_VIEW,
            Action.BUDGET_MANAGE,
            Action.PROCUREMENT_RECORD,
            Action.PROCUREMENT_APPROVE,
        }
    ),
    Role.ICT: frozenset(
        {
            *_READ_EQUIPMENT,
            Action.MODEL_MANAGE,
            Action.MODEL_QUALITY,
            Action.REPAIR_COMPLETE,
            Action.RETENTION_REPORT,  # storage used and projected
        }
    ),
    Role.SYSADMIN: frozenset(
        {
            *_READ_ORG,
            Action.UNIT_MANAGE,
            Action.PERSON_MANAGE,
            Action.ACCOUNT_VIEW,
            Action.ACCOUNT_MANAGE,
            Action.ROLE_VIEW,
        }
    ),
    Role.SECADMIN: frozenset(
        {
            *_READ_ORG,
            Action.ACCOUNT_VIEW,
            Action.ROLE_VIEW,
            Action.ROLE_ASSIGN,
            Action.SEPARATED_ACCOUNT_MANAGE,
            Action.FINDING_VIEW,
        }
    ),
    # The auditor also watches what verify found and refused accesses (findings, 第十八条).
    Role.AUDITOR: frozenset({*_READ_ORG, Action.ROLE_VIEW, Action.AUDIT_READ, Action.FINDING_VIEW}),
    # 分管领导 (第十五条): approves provision outside the office and unit heads' own requests.
    # Also places and approves the release of holds, and sees every case.
    Role.OFFICE_LEADER: frozenset(
        {
            *_READ_ORG,
            Action.ACCESS_APPROVE,
            Action.CASE_VIEW,
            Action.HOLD_PLACE,
            Action.HOLD_RELEASE_APPROVE,
            Action.RETENTION_REPORT,
            Action.FINDING_VIEW,
        }
    ),
}

# Roles that see every unit's people and units; the others see their own unit.
ORG_WIDE_ROLES = frozenset({Role.ENGINEERING, Role.FINANCE, Role.ICT, *SEPARATED_ROLES})

# The local console (CLI on the server) manages organisation and accounts, as the
# operating-system user who already holds the database; it never sees evidence.
CONSOLE_ACTIONS = frozenset(
    {
        *_READ_ORG,
        Action.UNIT_MANAGE,
        Action.PERSON_MANAGE,
        Action.ACCOUNT_VIEW,
        Action.ACCOUNT_MANAGE,
        Action.SEPARATED_ACCOUNT_MANAGE,
        Action.ROLE_VIEW,
        Action.ROLE_ASSIGN,
        Action.AUDIT_READ,
        Action.EQUIPMENT_VIEW,
        Action.MODEL_MANAGE,
        Action.MODEL_QUALITY,
        Action.THRESHOLDS_SET,
        Action.DEVICE_MANAGE,
        Action.UNIT_NEED_DECLARE,
        Action.BUDGET_VIEW,
        Action.BUDGET_MANAGE,
        Action.PROCUREMENT_RECORD,
        Action.PROCUREMENT_APPROVE,
        Action.FAULT_REPORT,
        Action.REPAIR_COMPLETE,
        Action.LOSS_DECIDE,
        # The workstation's console ingests and lists recording facts, never their content.
        Action.EVIDENCE_INGEST,
        Action.RECORDING_VIEW,
        Action.RECORDING_CORRECT,
        # Activities are facts about the work, like recordings' facts: the console enters and
        # imports them (Excel lists) and links recordings; explaining is the officers' own.
        Action.ACTIVITY_VIEW,
        Action.ACTIVITY_RECORD,
        Action.ACTIVITY_LINK,
        # Penalty cases are facts of the case file: the console registers them, links their
        # material and records the archive date (``lawcam case``); it reports retention.
        Action.CASE_VIEW,
        Action.CASE_MANAGE,
        Action.RETENTION_REPORT,
        # Sweeps for findings (``lawcam findings sweep``) and records what verify found.
        Action.FINDING_VIEW,
        Action.FINDING_SWEEP,
    }
)

# What an API token may do: a workstation opens ingest runs, reports refused files and uploads
# for its unit; it reads nothing (no recordings, equipment or audit) whoever holds the account.
WORKSTATION_ACTIONS = frozenset({Action.EVIDENCE_INGEST})


@dataclass(frozen=True)
class Actor:
    """The one on whose behalf a change is made; every audit row names it."""

    label: str
    source: str  # "web", "api", "cli"
    account_id: int | None = None
    person_id: int | None = None
    unit_id: int | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    console: bool = False
    # Acting through a workstation's API token: only WORKSTATION_ACTIONS of the roles' actions.
    workstation: bool = False

    @property
    def actions(self) -> frozenset[Action]:
        if self.console:
            return CONSOLE_ACTIONS
        allowed: set[Action] = set()
        for role in self.roles:
            allowed |= ROLE_ACTIONS[role]
        if self.workstation:
            allowed &= WORKSTATION_ACTIONS
        return frozenset(allowed)

    def can(self, action: Action) -> bool:
        return action in self.actions

    def require(self, action: Action) -> None:
        if not self.can(action):
            raise Forbidden("您没有执行此操作的权限。", action=str(action))

    @property
    def org_wide(self) -> bool:
        return self.console or bool(self.roles & ORG_WIDE_ROLES)


def console_actor(os_user: str) -> Actor:
    return Actor(label=f"os:{os_user}", source="cli", console=True)


def system_actor(reason: str) -> Actor:
    """For changes the system makes by itself (e.g. lockout after failed logins)."""
    return Actor(label=f"system:{reason}", source="system")
