"""``lawcam report ledger|faults|losses``: the custody ledger (台账, R9.2) with its paper-style
.xlsx (one sheet per unit), faults and repair times per model (R16.1), and loss and damage
cases with compensation per person and unit (R17.1). Reports only read."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

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
from lawcam.cli.equipment_common import date_from
from lawcam.equipment import queries as equipment
from lawcam.errors import InvalidInput
from lawcam.reports.ledger import (
    check_text,
    content_text,
    duration_text,
    faults_by_model,
    ledger_entries,
    loss_report,
    period_row,
    reason_text,
    write_ledger_xlsx,
)
from lawcam.schemas.ledger import LedgerPeriodOut
from lawcam.timeutil import shanghai_day_start

CONDITIONS = {"ok": "完好", "faulty": "故障", "damaged": "损坏", "lost": "丢失"}


def _day_start(text: str, what: str, field: str) -> datetime:
    return shanghai_day_start(date_from(text, what, field))


def _xlsx_path(path: Path) -> Path:
    if path.suffix.lower() != ".xlsx":
        raise InvalidInput("输出文件名须以 .xlsx 结尾。", field="xlsx")
    if path.parent and not path.parent.is_dir():
        raise InvalidInput(f"目录 {path.parent} 不存在。", field="xlsx")
    return path


def _local(value: str | None) -> str:
    return "" if value is None else value.replace("T", " ")[:19]


def _content(recordings: dict[str, Any]) -> str:
    """记录内容 in one cell: how many, how long, and which the reader may open."""
    if not recordings["count"]:
        return "无"
    return (
        f"{recordings['count']} 条，共 {duration_text(recordings['duration_s'])}："
        + content_text(recordings)
    )


@command
def ledger(
    unit: Annotated[str | None, typer.Option("--unit", help="只看该单位的设备。")] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="起始日期 YYYY-MM-DD（北京时间，含当日）。")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="截止日期 YYYY-MM-DD（北京时间，含当日）。")
    ] = None,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="同时导出为 Excel 文件（.xlsx）。")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    start = _day_start(since, "起始日期", "from") if since else None
    end = _day_start(until, "截止日期", "to") + timedelta(days=1) if until else None
    if start is not None and end is not None and end <= start:
        raise InvalidInput("截止日期不能早于起始日期。", field="to")
    if xlsx is not None:
        _xlsx_path(xlsx)
    console, settings = actor(), get_settings()
    with open_database(settings) as database, database.read() as session:
        unit_id = unit_named(session, unit).id if unit else None
        entries = ledger_entries(
            session=session, actor=console, unit_id=unit_id, since=start, until=end
        )
        periods = [LedgerPeriodOut.of_entry(e) for e in entries]  # GET /ledger's rows
        rows = [period_row(e.period, e.recorded) for e in entries]  # the sheet's and table's
        if unit:
            sheets = [unit_named(session, unit).name]
        else:
            seen = {d.unit.name for d in equipment.list_devices(session=session, actor=console)}
            sheets = sorted(seen)
    if xlsx is not None:
        write_ledger_xlsx(xlsx, rows, sheets, base_url=settings.base_url)
    if as_json:
        document: dict[str, Any] = {"periods": periods}
        if xlsx is not None:
            document["xlsx"] = str(xlsx.resolve())
        print_json(document)
        return
    table(
        f"设备领用台账（共 {len(rows)} 条）",
        [
            "单位",
            "序列号",
            "领用人",
            "执法证号",
            "领用时间",
            "发放人",
            "检查",
            "超限理由/例外理由",
            "归还时间",
            "接收人",
            "状态",
            "记录内容",
        ],
        [
            [
                r["unit"],
                r["device"],
                r["officer"],
                r["badge"],
                _local(r["issued_at"]),
                r["issued_by"],
                check_text(r),
                reason_text(r),
                _local(r["returned_at"]),
                r["returned_to"],
                CONDITIONS.get(r["condition"] or "", "未归还"),
                _content(r["recordings"]),
            ]
            for r in rows
        ],
    )
    if xlsx is not None:
        say(f"已导出：{xlsx}")


@command
def faults(as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        rows = faults_by_model(session=session, actor=actor())
    if as_json:
        print_json({"models": rows})
        return
    table(
        "各型号故障与维修",
        ["型号", "厂家", "故障次数", "送修", "维修完成", "平均维修天数"],
        [
            [
                r["model"],
                r["maker"],
                r["faults"],
                r["repairs_ordered"],
                r["repairs_done"],
                "" if r["mean_repair_days"] is None else r["mean_repair_days"],
            ]
            for r in rows
        ],
    )


@command
def losses(as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        report = loss_report(session=session, actor=actor())
    if as_json:
        print_json(report)
        return
    table(
        "丢失、损坏案件",
        ["编号", "设备", "单位", "类型", "保管人", "原因", "决定", "赔偿（元）"],
        [
            [
                c["id"],
                c["device"],
                c["unit"],
                c["kind_label"],
                c["custodian"] or "",
                c["cause_label"] or "未决定",
                c["decision"],
                c["compensation"] or "",
            ]
            for c in report["cases"]
        ],
    )
    table(
        "按人员汇总",
        ["保管人", "执法证号", "案件数", "有过错", "赔偿合计（元）"],
        [
            [p["person"] or "无", p["badge"] or "", p["cases"], p["at_fault"], p["compensation"]]
            for p in report["people"]
        ],
    )
    table(
        "按单位汇总",
        ["单位", "案件数", "有过错", "赔偿合计（元）"],
        [[u["unit"], u["cases"], u["at_fault"], u["compensation"]] for u in report["units"]],
    )


def register(report_app: typer.Typer) -> None:
    """Adds the custody reports to ``lawcam report``."""
    report_app.command(
        "ledger", help="设备领用台账（第九条）：每次领用一行，可导出为 Excel（每单位一页）。"
    )(ledger)
    report_app.command("faults", help="各型号故障次数、维修完成数和平均维修天数（第十六条）。")(
        faults
    )
    report_app.command("losses", help="设备丢失、损坏案件及赔偿，按人员和单位汇总（第十七条）。")(
        losses
    )
