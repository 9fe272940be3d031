"""What each role works on: one table from which both the navigation and the home tiles are
drawn, so that the two never disagree (issue 14).

``PAGES`` names every page a menu can lead to, with the action that opens it and the menu that
holds it; ``ROLE_PAGES`` says, for each role, which of them it works with, in the order its home
shows them, and which work items (counts, see ``web.worklist``) each tile carries. A person with
several roles gets the union. Every page is at most two clicks away: a menu, then its entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lawcam.authz import Action, Actor, Role
from lawcam.custody import worklist as custody
from lawcam.db import Database


@dataclass(frozen=True)
class Page:
    label: str
    url: str
    action: Action | None  # None: every signed-in person
    menu: str
    hint: str = ""  # one line on the home tile: what the page is for


# The menus, left to right. 消息 stands alone (with its unread badge), beside them.
MENUS = ("设备", "资料", "报表", "预算采购", "组织", "系统")

PAGES: dict[str, Page] = {
    "devices": Page("设备", "/devices", Action.EQUIPMENT_VIEW, "设备", "设备台账、状态与领用"),
    "ledger": Page("领用台账", "/ledger", Action.EQUIPMENT_VIEW, "设备", "每次领用、交接与归还"),
    "faults": Page("故障与维修", "/faults", Action.EQUIPMENT_VIEW, "设备", "故障登记与集中维修"),
    "losses": Page("丢失与损坏", "/losses", Action.EQUIPMENT_VIEW, "设备", "认定原因与赔偿"),
    "models": Page("型号", "/models", Action.EQUIPMENT_VIEW, "设备", "型号技术指标与质量状态"),
    "needs": Page("特殊需求", "/needs", Action.EQUIPMENT_VIEW, "设备", "防爆、夜视等单位需求"),
    "thresholds": Page("规格阈值", "/thresholds", Action.EQUIPMENT_VIEW, "设备", "第七条技术要求"),
    "labels": Page("资产标签", "/labels", Action.DEVICE_MANAGE, "设备", "打印带二维码的标签"),
    "activities": Page(
        "执法活动", "/activities", Action.ACTIVITY_VIEW, "资料", "全过程记录、中断说明与上传期限"
    ),
    "recordings": Page("音像资料", "/recordings", Action.RECORDING_VIEW, "资料", "导入的原始资料"),
    "late": Page(
        "迟交清单", "/activities/late", Action.RECORDING_VIEW, "资料", "活动结束 24 小时后才上传的"
    ),
    "ingest": Page("上传资料", "/ingest", Action.EVIDENCE_INGEST, "资料", "从浏览器上传设备文件"),
    "access": Page(
        "调阅申请", "/access", Action.ACCESS_REQUEST, "资料", "申请查看、下载或提供资料"
    ),
    "access_decide": Page(
        "调阅审批", "/access/decide", Action.ACCESS_APPROVE, "资料", "按第十五条由我审批的申请"
    ),
    "cases": Page(
        "案件", "/cases", Action.CASE_VIEW, "资料", "行政处罚案件，在案资料随案卷保存（第十四条）"
    ),
    "holds": Page("保全", "/holds", Action.HOLD_PLACE, "资料", "诉讼、投诉等需要的资料一直保存"),
    "disposal": Page(  # the proposers' and the approvers' (roles below): no one action
        "销毁", "/disposal", None, "资料", "保存期限届满资料的销毁批次与审批"
    ),
    "samples": Page(
        "执法规范抽查",
        "/samples",
        Action.SAMPLE_DRAW,
        "资料",
        "随机抽取资料检查语言行为（第十三条）",
    ),
    "findings": Page(
        "执法过错", "/findings", Action.FINDING_VIEW, "资料", "第十八条：过错的陈述申辩、认定与复核"
    ),
    "ratio": Page("配备比例", "/reports/ratio", Action.EQUIPMENT_VIEW, "报表", "第六条配备情况"),
    "specs": Page("规格符合性", "/reports/specs", Action.EQUIPMENT_VIEW, "报表", "型号与特殊需求"),
    "custody_report": Page(
        "故障与赔偿统计", "/reports/custody", Action.EQUIPMENT_VIEW, "报表", "按型号、按人员汇总"
    ),
    "retention": Page(
        "保存期限", "/retention", Action.RETENTION_REPORT, "报表", "即将届满的资料与存储空间"
    ),
    "budgets": Page("预算", "/budgets", Action.BUDGET_VIEW, "预算采购", "年度预算执行"),
    "procurements": Page(
        "采购记录", "/procurements", Action.BUDGET_VIEW, "预算采购", "采购登记与审批"
    ),
    "units": Page("单位", "/units", Action.UNIT_VIEW, "组织", "单位与办案专区"),
    "people": Page("人员", "/people", Action.PERSON_VIEW, "组织", "人员与执法证号"),
    "imports": Page("批量导入", "/imports", None, "组织", "Excel 模板下载与导入"),
    "accounts": Page("账号", "/accounts", Action.ACCOUNT_VIEW, "系统", "开设、解锁、重置密码"),
    "roles": Page("角色分配", "/roles", Action.ROLE_ASSIGN, "系统", "任命与撤销角色"),
    "audit": Page("审计日志", "/audit", Action.AUDIT_READ, "系统", "全部变更与登录记录"),
    "access_uses": Page(
        "调阅记录",
        "/audit/access",
        Action.AUDIT_READ,
        "系统",
        "谁看了什么、依据哪份申请（第十五条）",
    ),
}

INBOX = Page("消息", "/inbox", None, "")


@dataclass(frozen=True)
class Tile:
    """A page on a role's home, with the work items (``web.worklist``) it shows the counts of."""

    page: str
    work: tuple[str, ...] = ()


_EQUIPMENT_READ = ("devices", "ledger", "faults", "losses", "models", "needs", "thresholds")
_REPORTS = ("ratio", "specs", "custody_report")


def _tiles(*pages: str | Tile) -> tuple[Tile, ...]:
    return tuple(p if isinstance(p, Tile) else Tile(p) for p in pages)


ROLE_PAGES: dict[Role, tuple[Tile, ...]] = {
    Role.OFFICER: _tiles(
        Tile("devices", ("holding",)),
        Tile("recordings", ("awaiting_upload",)),
        Tile("activities", ("interruptions_to_explain",)),
        Tile("findings", ("my_findings",)),
        "late",
        "access",
        "cases",
        *_EQUIPMENT_READ[1:],
        *_REPORTS,
        "units",
        "people",
    ),
    Role.DEVICE_ADMIN: _tiles(
        Tile("ledger", ("devices_out", "overdue_returns")),
        Tile("faults", ("open_faults",)),
        Tile("late", ("late_uploads",)),
        "devices",
        "ingest",
        "labels",
        Tile("activities", ("explanations_to_confirm",)),
        "recordings",
        "findings",
        "access",
        "cases",
        "holds",
        Tile("disposal", ("batches_to_run",)),
        "losses",
        "models",
        "needs",
        "thresholds",
        *_REPORTS,
        "retention",
        "budgets",
        "procurements",
        "imports",
        "units",
        "people",
    ),
    Role.UNIT_HEAD: _tiles(
        Tile("faults", ("unread_fault_reports",)),
        Tile("losses", ("losses_to_decide",)),
        Tile("access_decide", ("access_pending",)),
        Tile("findings", ("findings_to_decide",)),
        "activities",
        "recordings",
        "access",
        Tile("samples", ("samples_to_review",)),
        Tile("cases", ("unlinks_to_approve",)),
        Tile("holds", ("hold_releases_to_approve",)),
        Tile("disposal", ("batches_to_approve",)),
        "late",
        "devices",
        "ledger",
        "models",
        "needs",
        "thresholds",
        *_REPORTS,
        "retention",
        "budgets",
        "procurements",
        "imports",  # the unit's activity lists (第十条)
        "units",
        "people",
    ),
    Role.FINANCE: _tiles(
        Tile("procurements", ("procurements_to_approve",)),
        "budgets",
        "imports",
        *_EQUIPMENT_READ,
        *_REPORTS,
        "units",
        "people",
    ),
    Role.ENGINEERING: _tiles(
        Tile("ratio", ("units_short",)),
        Tile("samples", ("samples_to_review",)),
        "findings",
        "cases",
        Tile("holds", ("hold_releases_to_approve",)),
        Tile("disposal", ("batches_to_approve",)),
        "thresholds",
        "specs",
        "custody_report",
        "retention",
        *_EQUIPMENT_READ[:-1],
        "units",
        "people",
    ),
    Role.ICT: _tiles(
        Tile("custody_report", ("faults_by_model",)),
        Tile("faults", ("repairs_open",)),
        "models",
        "specs",
        "imports",
        "ratio",
        "retention",
        *[p for p in _EQUIPMENT_READ if p not in {"faults", "models"}],
        "units",
        "people",
    ),
    Role.SYSADMIN: _tiles(
        Tile("accounts", ("accounts_locked", "accounts_temporary")),
        Tile("people", ("people_without_account",)),
        "units",
        "imports",
    ),
    Role.SECADMIN: _tiles(
        Tile("roles", ("units_without_admin",)),
        "accounts",
        "findings",
        "units",
        "people",
    ),
    Role.AUDITOR: _tiles(
        Tile("audit", ("audit_today", "tree_head_age")),
        "access_uses",
        "findings",
        "units",
        "people",
    ),
    Role.OFFICE_LEADER: _tiles(
        Tile("access_decide", ("access_pending",)),
        "findings",
        "cases",
        Tile("holds", ("hold_releases_to_approve",)),
        "retention",
        "units",
        "people",
    ),
}


def tiles_for(actor: Actor) -> list[Tile]:
    """The actor's tiles: its roles' in the order of ``Role``, each page once, only pages it
    may open."""
    seen: dict[str, Tile] = {}
    for role in Role:
        if role not in actor.roles:
            continue
        for tile in ROLE_PAGES[role]:
            known = seen.get(tile.page)
            work = (known.work if known else ()) + tuple(
                w for w in tile.work if not known or w not in known.work
            )
            seen[tile.page] = Tile(tile.page, work)
    return [t for t in seen.values() if may_open(actor, PAGES[t.page])]


def may_open(actor: Actor, page: Page) -> bool:
    return page.action is None or actor.can(page.action)


@dataclass(frozen=True)
class Menu:
    label: str
    pages: list[Page]


def menus_for(actor: Actor) -> list[Menu]:
    """The navigation: the actor's tiles, grouped into ``MENUS`` (pages in ``PAGES`` order)."""
    mine = {t.page for t in tiles_for(actor)}
    return _grouped(p for key, p in PAGES.items() if key in mine)


def _grouped(pages: Iterable[Page]) -> list[Menu]:
    chosen = list(pages)
    menus = [Menu(m, [p for p in chosen if p.menu == m]) for m in MENUS]
    return [m for m in menus if m.pages]


@dataclass(frozen=True)
class Chrome:
    """What every page's header shows: the menus and the unread count on 消息."""

    menus: list[Menu]
    unread: int


def chrome(database: Database, actor: Actor) -> Chrome:
    """In a short read of its own (pages render in the thread pool, never on the event loop)."""
    with database.read() as session:
        unread = custody.unread_notices(session=session, actor=actor)
    return Chrome(menus_for(actor), unread)
