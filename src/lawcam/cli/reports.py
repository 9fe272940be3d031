"""``lawcam report``: equipping compliance (ratio R6.1/R6.2, specs R7.1/R7.2), budgets (R8.1),
the device register and asset labels. Reports only read; a report that finds a unit short of
devices still exits 0 (it is a report, not a check)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lawcam.cli import ledger
from lawcam.cli.common import (
    JsonOpt,
    actor,
    command,
    get_settings,
    open_database,
    print_json,
    say,
    table,
    unit_named,
)
from lawcam.equipment import queries
from lawcam.errors import InvalidInput
from lawcam.org.types import UnitClass
from lawcam.schemas.equipment import (
    BudgetReportRow,
    DeviceNeedRow,
    ModelSpecRow,
    RatioReportOut,
    RatioRowOut,
    SpecsReportOut,
    ThresholdsOut,
)
from lawcam.timeutil import utcnow

app = typer.Typer(
    help="报表：配备比例、技术指标、预算、设备台账、资产标签、执法过错和合规报告。",
    no_args_is_help=True,
)


def _out_path(out: Path, suffix: str) -> Path:
    if out.suffix.lower() != suffix:
        raise InvalidInput(f"输出文件名须以 {suffix} 结尾。", field="out")
    if out.parent and not out.parent.is_dir():
        raise InvalidInput(f"目录 {out.parent} 不存在。", field="out")
    return out


def _class_label(code: str | None) -> str:
    return UnitClass(code).label if code else "未设"


@app.command("ratio", help="各单位执法记录仪配备比例（第六条）。")
@command
def ratio(
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="同时导出为 Excel 文件（.xlsx）。")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    if xlsx is not None:
        _out_path(xlsx, ".xlsx")
    settings = get_settings()
    console = actor()
    now = utcnow()
    with open_database(settings) as database, database.read() as session:
        rows, office = queries.ratio_report(
            session=session, actor=console, now=now, repair_days=settings.repair_count_days
        )
        if xlsx is not None:
            from lawcam.reports.exports import export_ratio

            export_ratio(
                session=session,
                actor=console,
                path=xlsx,
                now=now,
                repair_days=settings.repair_count_days,
            )
    report = RatioReportOut(units=[RatioRowOut.of(r) for r in rows], office=RatioRowOut.of(office))
    if as_json:
        document: dict[str, Any] = report.model_dump(mode="json", by_alias=True)
        if xlsx is not None:
            document["xlsx"] = str(xlsx.resolve())
        print_json(document)
        return
    table(
        f"执法记录仪配备比例（维修超过 {settings.repair_count_days} 天的设备不计入）",
        ["单位", "类别", "执法人员", "计入台数", "应配台数", "缺口", "是否达标"],
        [
            [
                r.unit,
                _class_label(r.unit_class) if r.unit_id is not None else "",
                r.officers,
                r.devices_counted,
                "" if r.required is None else r.required,
                "" if r.shortfall is None else r.shortfall,
                "达标" if r.compliant else "未达标",
            ]
            for r in [*rows, office]
        ],
    )
    for r in [*rows, office]:
        notes = [r.note] if r.note else []
        if r.excluded:
            notes.append("不计入：" + "、".join(r.excluded))
        if notes:
            say(f"{r.unit}：{'；'.join(notes)}")
    if xlsx is not None:
        say(f"已导出：{xlsx}")


@app.command("specs", help="型号技术指标达标情况及缺少单位特殊需求的设备（第七条）。")
@command
def specs(as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        found = queries.specs_report(session=session, actor=actor())
        report = SpecsReportOut(  # what GET /reports/specs answers
            models=[ModelSpecRow.model_validate(m) for m in found["models"]],
            devices=[DeviceNeedRow.model_validate(d) for d in found["devices"]],
            thresholds=ThresholdsOut.of(queries.current_thresholds(session)),
        )
    if as_json:
        print_json(report)
        return
    table(
        "型号技术指标",
        ["型号", "厂家", "类别", "是否达标", "未达指标"],
        [
            [
                m.model,
                m.maker,
                m.category.label,
                ("达标" if m.conforms else "未达标") if m.assessed else "不适用",
                "；".join(f"{x.spec}（要求 {x.required}，实为 {x.actual}）" for x in m.misses),
            ]
            for m in report.models
        ],
    )
    if report.devices:
        table(
            "缺少单位特殊需求功能的设备",
            ["序列号", "单位", "型号", "缺少"],
            [[d.serial, d.unit, d.model, "、".join(d.missing_labels)] for d in report.devices],
        )
    else:
        say("所有设备均满足所在单位声明的特殊需求。")


@app.command("budget", help="各单位年度预算执行情况（第八条）。")
@command
def budget(
    year: Annotated[int, typer.Option("--year", help="年度，如 2026。")],
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        rows = queries.budget_report(session=session, actor=actor(), year=year)
    units = [BudgetReportRow.of(r) for r in rows]  # the rows of GET /reports/budget
    if as_json:
        print_json({"year": year, "units": units})
        return
    table(
        f"{year} 年度设备购置预算执行情况（元）",
        ["单位", "预算", "已批准支出", "待审批", "余额", "是否超支"],
        [
            [
                u.unit,
                u.budget if u.budget is not None else "未设预算",
                u.spent,
                u.pending,
                u.remaining,
                "超支" if u.over_budget else "",
            ]
            for u in units
        ],
    )


@app.command("register", help="导出设备台账（Excel）。")
@command
def register(
    out: Annotated[Path, typer.Option("--out", help="输出文件（.xlsx）。")],
    unit: Annotated[str | None, typer.Option("--unit", help="只导出该单位的设备。")] = None,
    as_json: JsonOpt = False,
) -> None:
    from lawcam.reports.exports import export_device_register

    _out_path(out, ".xlsx")
    console = actor()
    with open_database(get_settings()) as database, database.read() as session:
        unit_id = unit_named(session, unit).id if unit else None
        count = export_device_register(session=session, actor=console, path=out, unit_id=unit_id)
    if as_json:
        print_json({"path": str(out.resolve()), "devices": count})
        return
    say(f"已导出设备台账：{out}（共 {count} 台）")


@app.command("labels", help="生成资产标签（PDF，每张含资产编号和二维码）。")
@command
def labels(
    unit: Annotated[str, typer.Option("--unit", help="单位名称。")],
    out: Annotated[Path, typer.Option("--out", help="输出文件（.pdf）。")],
    as_json: JsonOpt = False,
) -> None:
    from lawcam.reports.labels import render_labels

    _out_path(out, ".pdf")
    settings = get_settings()
    console = actor()
    with open_database(settings) as database, database.read() as session:
        unit_id = unit_named(session, unit).id
        count = render_labels(
            session=session,
            actor=console,
            path=out,
            base_url=settings.base_url,
            unit_id=unit_id,
        )
    if as_json:
        print_json({"path": str(out.resolve()), "labels": count})
        return
    say(f"已生成资产标签：{out}（共 {count} 张）")


@app.command("findings", help="导出执法过错清单（Excel，第十八条）。")
@command
def findings(
    out: Annotated[Path, typer.Argument(help="输出文件（.xlsx）。")],
    rule: Annotated[str, typer.Option("--rule", help="只导出该类过错（规则代码）。")] = "",
    status: Annotated[str, typer.Option("--status", help="只导出该状态。")] = "",
    unit: Annotated[str, typer.Option("--unit", help="只导出该单位的。")] = "",
) -> None:
    from lawcam.compliance.queries import FindingFilter
    from lawcam.compliance.types import FindingStatus, Rule
    from lawcam.reports.findings_xlsx import findings_workbook

    _out_path(out, ".xlsx")
    try:
        where = FindingFilter(
            rule=Rule(rule) if rule else None, status=FindingStatus(status) if status else None
        )
    except ValueError as error:
        raise InvalidInput(f"规则或状态不存在：{error}", field="rule") from error
    with open_database(get_settings()) as database, database.read() as session:
        if unit:
            where = FindingFilter(where.rule, where.status, None, unit_named(session, unit).id)
        content, count = findings_workbook(session=session, actor=actor(), where=where)
    out.write_bytes(content)
    say(f"已导出执法过错清单：{out}（共 {count} 条）")


@app.command("compliance", help="单位月度合规报告（PDF，第十八条）。")
@command
def compliance(
    out: Annotated[Path, typer.Argument(help="输出文件（.pdf）。")],
    unit: Annotated[str, typer.Option("--unit", help="单位名称（含下级单位）。")],
    month: Annotated[str, typer.Option("--month", help="月份，如 2026-12。")],
) -> None:
    from lawcam.reports.compliance_month import compliance_month_pdf

    _out_path(out, ".pdf")
    settings = get_settings()
    with open_database(settings) as database, database.read() as session:
        pdf = compliance_month_pdf(
            session=session, actor=actor(), unit_id=unit_named(session, unit).id, month=month,
            repair_days=settings.repair_count_days,
        )  # fmt: skip
    out.write_bytes(pdf)
    say(f"已生成 {unit} {month} 合规报告：{out}")


# The ledger reports (R16.1, R17.1) have their own module but belong to this group.
ledger.register(app)
