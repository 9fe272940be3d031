"""``lawcam device``: the device register (asset number, serial, status) and each device's
change history. Every change goes through the equipment services (audited in the same
transaction); a device is named by its serial."""

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
    unit_named,
)
from lawcam.cli.equipment_common import (
    category_label,
    date_from,
    device_named,
    money_from,
    status_from,
)
from lawcam.equipment import queries, service
from lawcam.equipment.types import DeviceIn, DeviceStatus
from lawcam.errors import InvalidInput
from lawcam.schemas.audit import AuditEventOut
from lawcam.schemas.equipment import DeviceOut
from lawcam.timeutil import local

app = typer.Typer(help="设备登记（资产编号、序列号、状态）。", no_args_is_help=True)


@app.command("add", help="登记设备；须写明它服务的执法需求（第五条）。")
@command
def device_add(
    serial: Annotated[str, typer.Option("--serial", help="序列号。")],
    asset: Annotated[str, typer.Option("--asset", help="资产编号。")],
    model: Annotated[str, typer.Option("--model", help="型号。")],
    unit: Annotated[str, typer.Option("--unit", help="所属单位名称。")],
    price: Annotated[str, typer.Option("--price", help="购置价格（元），如 3280.00。")],
    need: Annotated[str, typer.Option("--need", help="该设备服务的执法需求（第五条）。")],
    zone: Annotated[str | None, typer.Option("--zone", help="办案专区（第五条）。")] = None,
    commissioned: Annotated[
        str | None, typer.Option("--commissioned", help="启用日期 YYYY-MM-DD。")
    ] = None,
    firmware: Annotated[str, typer.Option("--firmware", help="固件版本。")] = "",
    procurement: Annotated[
        int | None, typer.Option("--procurement", help="采购记录编号（须已批准）。")
    ] = None,
    status: Annotated[
        str, typer.Option("--status", help="初始状态：in_stock（在库）或 in_service（在用）。")
    ] = DeviceStatus.IN_STOCK.value,
    as_json: JsonOpt = False,
) -> None:
    initial = status_from(status)
    if initial not in (DeviceStatus.IN_STOCK, DeviceStatus.IN_SERVICE):
        raise InvalidInput("新登记设备的状态只能是 in_stock（在库）或 in_service（在用）。")
    data = DeviceIn(
        serial=serial,
        asset_no=asset,
        model=model,
        unit=unit,
        price=money_from(price, "购置价格", "price"),
        need=need,
        zone=zone,
        commissioned_on=(
            date_from(commissioned, "启用日期", "commissioned") if commissioned else None
        ),
        firmware=firmware,
        procurement_id=procurement,
        status=initial,
    )
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        result = DeviceOut.of(service.create_device(session=session, actor=actor(), data=data))
    if as_json:
        print_json(result)
        return
    say(f"已登记设备：{result.serial}（资产编号 {result.asset_no}，{result.model}，{result.unit}）")


@app.command("list", help="列出设备。")
@command
def device_list(
    unit: Annotated[str | None, typer.Option("--unit", help="只列出该单位的设备。")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="只列出该状态的设备，如 in_repair。")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    wanted = status_from(status) if status else None
    with open_database(get_settings()) as database, database.read() as session:
        unit_id = unit_named(session, unit).id if unit else None
        devices = queries.list_devices(
            session=session, actor=actor(), unit_id=unit_id, status=wanted
        )
        rows = [DeviceOut.of(d) for d in devices]
    if as_json:
        print_json({"devices": rows})
        return
    table(
        f"设备（共 {len(rows)} 台）",
        ["资产编号", "序列号", "型号", "类别", "单位", "专区", "状态", "价格（元）"],
        [
            [
                d.asset_no,
                d.serial,
                d.model,
                category_label(d.category),
                d.unit,
                d.zone,
                d.status_label,
                d.purchase_price,
            ]
            for d in rows
        ],
    )


@app.command("show", help="查看一台设备及其变更历史。")
@command
def device_show(
    serial_arg: Annotated[
        str | None, typer.Argument(metavar="SERIAL", help="序列号。", show_default=False)
    ] = None,
    serial: Annotated[str | None, typer.Option("--serial", help="序列号。")] = None,
    as_json: JsonOpt = False,
) -> None:
    wanted = serial or serial_arg
    if not wanted or not wanted.strip():
        raise InvalidInput("请指定设备序列号：lawcam device show --serial 序列号。", field="serial")
    with open_database(get_settings()) as database, database.read() as session:
        device = device_named(session, wanted)
        result = DeviceOut.of(device)
        maker = device.model.maker
        events = queries.device_history(session=session, actor=actor(), device_id=device.id)
        history = [AuditEventOut.of(e) for e in events]
    if as_json:
        # GET /devices/{id} with GET /devices/{id}/history under "history".
        print_json({**result.model_dump(mode="json"), "history": history})
        return
    say(f"设备 {result.serial}（资产编号 {result.asset_no}）")
    for label, value in (
        ("型号", f"{maker} {result.model}（{category_label(result.category)}）"),
        ("单位", result.unit),
        ("办案专区", result.zone or ""),
        ("状态", result.status_label),
        ("启用日期", result.commissioned_on or ""),
        ("固件", result.firmware),
        ("购置价格", f"{result.purchase_price} 元"),
        ("采购记录", result.procurement_id or ""),
        ("执法需求", result.need),
    ):
        say(f"  {label}：{value}")
    if history:
        table(
            "变更历史",
            ["时间", "事件", "操作者"],
            [[local(h.occurred_at), h.tag, h.actor] for h in history],
        )


@app.command("status", help="变更设备状态（如 in_repair 维修中、lost 丢失）。")
@command
def device_status(
    serial: Annotated[str, typer.Option("--serial", help="序列号。")],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="新状态：in_stock、in_service、faulty、in_repair、lost、scrapped。",
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="原因。")] = "",
    as_json: JsonOpt = False,
) -> None:
    status = status_from(to)
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        device = device_named(session, serial)
        changed = service.set_device_status(
            session=session, actor=actor(), device_id=device.id, status=status, reason=reason
        )
        result = DeviceOut.of(changed)
    if as_json:
        print_json(result)
        return
    say(f"设备 {result.serial} 的状态已改为：{status.label}")
