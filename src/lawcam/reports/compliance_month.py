"""The monthly compliance report of a unit (第十八条、第十三条; issue 18 item 5): an A4 PDF in
Chinese with the unit's rates of the month and the eleven before it (coverage, on-time upload,
pre-use checks passed, ratio met: ``compliance.dashboards``), and the findings of the month,
counted by rule and status and listed one by one. The unit includes the units below it."""

from __future__ import annotations

from datetime import datetime, timedelta

from reportlab.lib.colors import Color, black
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.compliance import dashboards
from lawcam.compliance.dashboards import Month, Rates
from lawcam.compliance.models import Finding
from lawcam.compliance.queries import visible
from lawcam.compliance.types import FindingStatus, Rule
from lawcam.errors import NotFound
from lawcam.org.models import Person, Unit
from lawcam.org.queries import unit_scope
from lawcam.reports.package import MARGIN, _Sheet
from lawcam.timeutil import local, utcnow

LISTED = 500  # findings listed one by one; the counts cover all
INDENT = MARGIN + 14
GREY = Color(0.35, 0.35, 0.35)


def compliance_month_pdf(
    *, session: Session, actor: Actor, unit_id: int, month: str, repair_days: int,
    now: datetime | None = None,
) -> bytes:  # fmt: skip
    """``month`` as YYYY-MM. A unit the actor may not see is not found (404)."""
    unit = session.get(Unit, unit_id)
    if unit is None or not dashboards.may_see_rates(session, actor, unit_id):
        raise NotFound("未找到该单位。")
    chosen = dashboards.month_of(month)
    now = now or utcnow()
    if chosen.start > now:
        raise NotFound(f"{month} 尚未开始，没有合规报告。")
    scope = unit_scope(session, unit_id)
    months = dashboards.months_to(chosen.end - timedelta(seconds=1))
    rates = dashboards.series(
        dashboards.unit_rates(session, scope, months, now, repair_days), months, None
    )
    findings = list(
        session.scalars(
            select(Finding)
            .where(Finding.unit_id.in_(scope), visible(session, actor))
            .where(Finding.found_at >= chosen.start, Finding.found_at < chosen.end)
            .order_by(Finding.found_at, Finding.id)
        )
    )
    sheet = _Sheet(f"{unit.name} {month} 合规报告")
    sheet.text(f"{unit.name} {_month_text(chosen)}执法音像记录合规报告", 16)
    sheet.text(f"含下级单位　生成时间 {local(now)}　生成人 {actor.label}", 9, grey=True)
    sheet.gap(8)
    _rates(sheet, rates)
    _counts(sheet, findings)
    _listed(session, sheet, findings)
    return sheet.done()


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _table(sheet: _Sheet, rows: list[list[str]], xs: list[float], size: float = 9) -> None:
    """Rows of cells at fixed offsets from the margin (points); the first (the heads) in grey."""
    for index, cells in enumerate(rows):
        sheet.room(size * 1.6)
        sheet.y -= size * 1.5
        sheet.canvas.setFillColor(GREY if index == 0 else black)
        sheet.canvas.setFont(sheet.font, size)
        for x, cell in zip(xs, cells, strict=True):
            sheet.canvas.drawString(MARGIN + x, sheet.y, cell)
    sheet.canvas.setFillColor(black)


def _month_text(month: Month) -> str:
    return f"{month.label[:4]} 年 {int(month.label[5:])} 月"


def _rates(sheet: _Sheet, rates: list[Rates]) -> None:
    this = rates[-1]
    sheet.text("一、本月指标", 12)
    sheet.row("执法活动", f"{this.activities} 次")
    sheet.row("录像覆盖率", f"{percent(this.coverage)}（执法活动时间中有录像的比例，取平均）")
    sheet.row("按时上传率", f"{percent(this.on_time)}（有录像的活动中无逾期上传的比例）")
    sheet.row("领用检查通过率", f"{percent(this.checks_passed)}（共领用 {this.checkouts} 次）")
    sheet.row("配备达标率", f"{percent(this.ratio_met)}（计入设备数与应配台数之比，仅有当月值）")
    sheet.gap()
    sheet.text("二、近 12 个月", 12)
    rows = [["月份", "执法活动", "录像覆盖率", "按时上传率", "领用检查通过率", "配备达标率"]]
    rows += [
        [r.month, str(r.activities), percent(r.coverage), percent(r.on_time),
         percent(r.checks_passed), percent(r.ratio_met)]
        for r in reversed(rates)
    ]  # fmt: skip
    _table(sheet, rows, [0, 60, 120, 190, 260, 350])
    sheet.gap()


def _counts(sheet: _Sheet, findings: list[Finding]) -> None:
    sheet.text(f"三、本月发现的执法过错（共 {len(findings)} 件）", 12)
    by_rule: dict[str, dict[str, int]] = {}
    for f in findings:
        row = by_rule.setdefault(f.rule, {})
        row[f.status] = row.get(f.status, 0) + 1
    rows = [["过错类型", "件数", "其中"]]
    for rule, statuses in sorted(by_rule.items()):
        parts = "，".join(f"{FindingStatus(s).label} {n}" for s, n in sorted(statuses.items()))
        rows.append([Rule(rule).label, str(sum(statuses.values())), parts])
    if by_rule:
        _table(sheet, rows, [0, 120, 160], size=10)
    if not findings:
        sheet.text("本月未发现执法过错。", 10)
    sheet.gap()


def _listed(session: Session, sheet: _Sheet, findings: list[Finding]) -> None:
    if not findings:
        return
    ids = {f.person_id for f in findings if f.person_id is not None}
    names = {
        i: n for i, n in session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
    }
    sheet.text("四、明细", 12)
    for f in findings[:LISTED]:
        who = names.get(f.person_id, "") if f.person_id else "未确定"
        sheet.text(
            f"第 {f.id} 号　{local(f.found_at)[:10]}　{Rule(f.rule).label}　{f.article}　"
            f"当事人 {who}　{FindingStatus(f.status).label}",
            9,
        )
        sheet.text(f.summary, 8, x=INDENT, grey=True)
        if f.measure:
            sheet.text(f"问责措施：{f.measure}", 8, x=INDENT, grey=True)
    if len(findings) > LISTED:
        sheet.text(f"其余 {len(findings) - LISTED} 件见执法过错清单（Excel 导出）。", 9)
