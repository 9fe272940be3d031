"""The work items a home tile shows (``navigation.Tile.work``): each asks one domain query,
scoped to what the actor may see, and says it in the office's words. Nothing is counted here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lawcam.access import queries as access
from lawcam.access import sampling
from lawcam.activities import worklist as activities
from lawcam.audit import worklist as audit
from lawcam.authz import Actor
from lawcam.compliance import queries as findings
from lawcam.compliance.types import FindingStatus
from lawcam.config import Settings
from lawcam.custody import worklist as custody
from lawcam.custody.types import FaultStatus
from lawcam.equipment import worklist as equipment
from lawcam.evidence import worklist as evidence
from lawcam.org import worklist as org
from lawcam.retention import worklist as retention
from lawcam.timeutil import SHANGHAI, local, shanghai_day_start

# How far back an officer's returned custody periods are looked at for recordings not yet
# uploaded: older ones are the device administrator's late-upload list, not the officer's home.
AWAITING_DAYS = 7


@dataclass(frozen=True)
class Count:
    label: str
    value: int
    url: str
    alert: bool = False  # work that is waiting: shown in the warning colour when not zero
    lines: tuple[str, ...] = ()  # the few items behind the number, one line each


@dataclass(frozen=True)
class Context:
    session: Session
    actor: Actor
    settings: Settings
    now: datetime


def _holding(c: Context) -> Count:
    periods = custody.held_by(session=c.session, actor=c.actor)
    lines = tuple(
        f"{p.device.serial}（{p.device.asset_no}），{local(p.issued_at)[:16]} 领用至今"
        for p in periods
    )
    url = f"/devices/{periods[0].device_id}" if len(periods) == 1 else "/ledger"
    return Count("我领用的设备", len(periods), url, lines=lines or ("目前未领用设备。",))


def _awaiting(c: Context) -> Count:
    since = c.now - timedelta(days=AWAITING_DAYS)
    periods = evidence.awaiting_upload(session=c.session, actor=c.actor, since=since)
    hours = c.settings.upload_deadline_hours
    lines, late = [], False
    for p in periods:
        if p.returned_at is None:
            lines.append(f"{p.device.serial}：仍在领用，归还后须于 {hours} 小时内上传")
            continue
        deadline = p.returned_at + timedelta(hours=hours)
        late = late or deadline < c.now
        lines.append(f"{p.device.serial}：{local(deadline)[:16]} 前上传")
    return Count("台设备的资料待上传", len(periods), "/recordings", late, tuple(lines))


def _devices_out(c: Context) -> Count:
    n = custody.devices_out(session=c.session, actor=c.actor)
    return Count("领用未归还的设备", n, "/ledger")


def _overdue(c: Context) -> Count:
    hours = c.settings.custody_return_hours
    before = c.now - timedelta(hours=hours)
    n = custody.devices_out(session=c.session, actor=c.actor, issued_before=before)
    return Count(f"超过 {hours} 小时未归还", n, "/ledger", alert=True)


def _open_faults(c: Context) -> Count:
    n = custody.open_faults(session=c.session, actor=c.actor)
    return Count("未结束的故障", n, "/faults", alert=True)


def _repairs_open(c: Context) -> Count:
    n = custody.open_faults(session=c.session, actor=c.actor, status=FaultStatus.IN_REPAIR)
    return Count("送修待完成", n, "/faults", alert=True)


def _late_uploads(c: Context) -> Count:
    hours = c.settings.upload_deadline_hours
    n = activities.late_count(session=c.session, actor=c.actor, hours=hours)
    return Count("迟交的资料", n, "/activities/late", alert=True)


def _interruptions(rows: list[tuple[Any, Any]], label: str, alert: bool) -> Count:
    """Interruptions of activities (第十条), one line each; the page of the one activity, or
    the list when there are several."""
    lines = tuple(f"活动 #{a.id} {a.place}：中断 {i.seq}" for a, i in rows[:5])
    ids = {a.id for a, _ in rows}
    url = f"/activities/{rows[0][0].id}#interruptions" if len(ids) == 1 else "/activities"
    return Count(label, len(rows), url, alert, lines)


def _to_explain(c: Context) -> Count:
    rows = activities.to_explain(session=c.session, actor=c.actor)
    return _interruptions(rows, "待我说明的记录中断", True)


def _to_confirm(c: Context) -> Count:
    rows = activities.to_confirm(session=c.session, actor=c.actor)
    return _interruptions(rows, "待确认的中断说明", True)


def _unread_faults(c: Context) -> Count:
    n = custody.unread_notices(session=c.session, actor=c.actor, about="/devices/")
    return Count("未读的故障报告", n, "/inbox", alert=True)


def _losses(c: Context) -> Count:
    n = custody.cases_to_decide(session=c.session, actor=c.actor)
    return Count("待决定的丢失、损坏案件", n, "/losses", alert=True)


def _procurements(c: Context) -> Count:
    n = equipment.procurements_to_approve(session=c.session, actor=c.actor)
    return Count("待审批的采购", n, "/procurements?status=pending", alert=True)


def _units_short(c: Context) -> Count:
    rows = equipment.units_short(
        session=c.session, actor=c.actor, now=c.now, repair_days=c.settings.repair_count_days
    )
    lines = tuple(f"{r.unit}：应配 {r.required} 台，差 {r.shortfall} 台" for r in rows)
    return Count("配备不足的单位", len(rows), "/reports/ratio", True, lines)


def _faults_by_model(c: Context) -> Count:
    rows = custody.open_faults_by_model(session=c.session, actor=c.actor)
    lines = tuple(f"{model}：{n} 起" for model, n in rows)
    return Count("未结束的故障（按型号）", sum(n for _, n in rows), "/reports/custody", True, lines)


def _locked(c: Context) -> Count:
    n = org.accounts_locked(session=c.session, actor=c.actor, now=c.now)
    return Count("被锁定的账号", n, "/accounts?status=locked", alert=True)


def _temporary(c: Context) -> Count:
    n = org.accounts_temporary(session=c.session, actor=c.actor)
    return Count("仍用临时密码的账号", n, "/accounts")


def _no_account(c: Context) -> Count:
    n = org.people_without_account(session=c.session, actor=c.actor)
    return Count("尚未开设账号的人员", n, "/accounts/new")


def _no_admin(c: Context) -> Count:
    units = org.units_without_admin(session=c.session, actor=c.actor)
    lines = tuple(u.name for u in units)
    return Count("未设执法记录仪管理员的单位", len(units), "/roles", True, lines)


def _audit_today(c: Context) -> Count:
    since = shanghai_day_start(c.now.astimezone(SHANGHAI).date())
    n = audit.entries_since(session=c.session, actor=c.actor, since=since)
    return Count("今日审计记录", n, "/audit")


def _unsigned(c: Context) -> Count:
    n, head = audit.unsigned_entries(session=c.session, actor=c.actor)
    line = (
        f"最新树头：{local(head.timestamp)[:16]}，覆盖 {head.size} 条" if head else "尚未签发树头"
    )
    return Count("树头之后的新记录", n, "/audit", lines=(line,))


def _access_pending(c: Context) -> Count:
    n = access.pending_count(session=c.session, actor=c.actor)
    return Count("待审批的调阅申请", n, "/access/decide", alert=True)


def _samples_to_review(c: Context) -> Count:
    n = sampling.to_review(session=c.session, actor=c.actor, now=c.now)
    return Count("待登记结果的抽查资料", n, "/samples", alert=True)


def _my_findings(c: Context) -> Count:
    """My findings still to be decided (第十八条), each with its statement's deadline."""
    if c.actor.person_id is None:
        return Count("我的待核实执法过错", 0, "/findings")
    where = findings.FindingFilter(status=FindingStatus.PENDING, person_id=c.actor.person_id)
    rows = findings.list_findings(session=c.session, actor=c.actor, where=where)
    lines = tuple(
        f"#{f.id} {f.summary[:30]}："
        + (f"{local(f.statement_due)[:16]} 前可陈述申辩" if f.statement_due and f.statement_due > c.now and f.statement_at is None else "待单位负责人决定")
        for f in rows[:5]
    )  # fmt: skip
    return Count("我的待核实执法过错", len(rows), "/findings#mine", True, lines)


def _findings_to_decide(c: Context) -> Count:
    n = len(findings.waiting_decision(c.session, c.actor))
    return Count("待我决定的执法过错", n, "/findings#waiting", alert=True)


def _unlinks(c: Context) -> Count:
    n = retention.unlinks_to_approve(c.session, c.actor)
    return Count("待我批准解除的案件关联", n, "/cases", alert=True)


def _hold_releases(c: Context) -> Count:
    n = retention.hold_releases_to_approve(c.session, c.actor)
    return Count("待我批准解除的保全", n, "/holds", alert=True)


def _batches_to_approve(c: Context) -> Count:
    n = retention.batches_to_approve(c.session, c.actor)
    return Count("待我审批的销毁批次", n, "/disposal", alert=True)


def _batches_to_run(c: Context) -> Count:
    n = retention.batches_to_run(c.session, c.actor)
    return Count("已批准待执行的销毁批次", n, "/disposal", alert=True)


WORK: dict[str, Callable[[Context], Count]] = {
    "holding": _holding,
    "awaiting_upload": _awaiting,
    "devices_out": _devices_out,
    "overdue_returns": _overdue,
    "open_faults": _open_faults,
    "repairs_open": _repairs_open,
    "late_uploads": _late_uploads,
    "interruptions_to_explain": _to_explain,
    "explanations_to_confirm": _to_confirm,
    "unread_fault_reports": _unread_faults,
    "losses_to_decide": _losses,
    "procurements_to_approve": _procurements,
    "units_short": _units_short,
    "faults_by_model": _faults_by_model,
    "accounts_locked": _locked,
    "accounts_temporary": _temporary,
    "people_without_account": _no_account,
    "units_without_admin": _no_admin,
    "audit_today": _audit_today,
    "tree_head_age": _unsigned,
    "access_pending": _access_pending,
    "samples_to_review": _samples_to_review,
    "my_findings": _my_findings,
    "findings_to_decide": _findings_to_decide,
    "unlinks_to_approve": _unlinks,
    "hold_releases_to_approve": _hold_releases,
    "batches_to_approve": _batches_to_approve,
    "batches_to_run": _batches_to_run,
}
