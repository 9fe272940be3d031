"""``lawcam budget`` and ``lawcam procurement``: units' yearly equipment budgets (Art. 8) and
procurement records with approval by the planning and finance division (R8.1). Every change
goes through the procurement services (audited in the same transaction)."""

from __future__ import annotations

from typing import Annotated

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
)
from lawcam.cli.equipment_common import date_from, money_from
from lawcam.equipment import procurement as purchasing
from lawcam.equipment import queries
from lawcam.equipment.types import ProcurementIn
from lawcam.schemas.equipment import BudgetOut, ProcurementOut

budget_app = typer.Typer(help="单位年度设备购置预算（第八条）。", no_args_is_help=True)
procurement_app = typer.Typer(help="设备采购记录与计划财务处审批（第八条）。", no_args_is_help=True)


# budget --------------------------------------------------------------------------------------


@budget_app.command("set", help="设定单位某年度的设备购置预算（计划财务处）。")
@command
def budget_set(
    unit: Annotated[str, typer.Option("--unit", help="单位名称。")],
    year: Annotated[int, typer.Option("--year", help="年度，如 2026。")],
    amount: Annotated[str, typer.Option("--amount", help="预算金额（元），如 60,000.00。")],
    note: Annotated[str, typer.Option("--note", help="备注。")] = "",
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        budget = purchasing.set_budget(
            session=session, actor=actor(), unit=unit, year=year, amount=amount, note=note
        )
        result = BudgetOut.of(budget)
    if as_json:
        print_json(result)
        return
    say(f"已设定“{result.unit}”{result.year} 年度预算：{result.amount} 元")


# procurement ---------------------------------------------------------------------------------


@procurement_app.command("add", help="登记一笔采购（待计划财务处审批）。")
@command
def procurement_add(
    unit: Annotated[str, typer.Option("--unit", help="单位名称。")],
    year: Annotated[int, typer.Option("--year", help="预算年度。")],
    purchased_on: Annotated[str, typer.Option("--date", help="采购日期 YYYY-MM-DD。")],
    supplier: Annotated[str, typer.Option("--supplier", help="供应商。")],
    model: Annotated[str, typer.Option("--model", help="型号。")],
    quantity: Annotated[int, typer.Option("--quantity", help="数量（台）。")],
    unit_price: Annotated[str, typer.Option("--unit-price", help="单价（元）。")],
    note: Annotated[str, typer.Option("--note", help="备注。")] = "",
    as_json: JsonOpt = False,
) -> None:
    data = ProcurementIn(
        unit=unit,
        year=year,
        purchased_on=date_from(purchased_on, "采购日期", "date"),
        supplier=supplier,
        model=model,
        quantity=quantity,
        unit_price=money_from(unit_price, "单价", "unit_price"),
        note=note,
    )
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        made = purchasing.record_procurement(session=session, actor=actor(), data=data)
        result = ProcurementOut.of(made)
    if as_json:
        print_json(result)
        return
    say(
        f"已登记采购（编号 {result.id}）：{result.unit} {result.model} × "
        f"{result.quantity}，合计 {result.total} 元，待计划财务处审批。"
    )


@procurement_app.command("approve", help="批准采购（计划财务处）；超出预算须写明超支理由。")
@command
def procurement_approve(
    procurement_id: Annotated[int, typer.Option("--id", help="采购记录编号。")],
    overrun_reason: Annotated[
        str, typer.Option("--overrun-reason", help="超出预算时的超支理由。")
    ] = "",
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        done = purchasing.approve_procurement(
            session=session,
            actor=actor(),
            procurement_id=procurement_id,
            overrun_reason=overrun_reason,
        )
        result = ProcurementOut.of(done)
    if as_json:
        print_json(result)
        return
    extra = f"（超支理由：{result.overrun_reason}）" if result.overrun_reason else ""
    say(f"已批准采购 {result.id}：合计 {result.total} 元{extra}")


@procurement_app.command("reject", help="驳回采购（计划财务处），须说明理由。")
@command
def procurement_reject(
    procurement_id: Annotated[int, typer.Option("--id", help="采购记录编号。")],
    reason: Annotated[str, typer.Option("--reason", help="驳回理由。")],
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        done = purchasing.reject_procurement(
            session=session, actor=actor(), procurement_id=procurement_id, reason=reason
        )
        result = ProcurementOut.of(done)
    if as_json:
        print_json(result)
        return
    say(f"已驳回采购 {result.id}。")


@procurement_app.command("list", help="列出采购记录。")
@command
def procurement_list(
    year: Annotated[int | None, typer.Option("--year", help="只列出该年度。")] = None,
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        rows = [
            ProcurementOut.of(p)
            for p in queries.list_procurements(session=session, actor=actor(), year=year)
        ]
    if as_json:
        print_json({"procurements": rows})
        return
    table(
        "采购记录",
        ["编号", "日期", "单位", "供应商", "型号", "数量", "单价", "合计", "状态", "超支理由"],
        [
            [
                p.id,
                p.purchased_on,
                p.unit,
                p.supplier,
                p.model,
                p.quantity,
                p.unit_price,
                p.total,
                p.status_label,
                p.overrun_reason,
            ]
            for p in rows
        ],
    )
