"""Equipment from the command line (Art. 2–8): ``model``, ``device``, ``need``,
``thresholds``, ``budget`` and ``procurement``. Every change goes through the equipment
services (audited in the same transaction); a model, unit or device is named by its model
name, unit name or serial."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from lawcam.audit import queries as audit_queries
from lawcam.audit.types import AuditFilter
from lawcam.authz import Action
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
from lawcam.equipment import procurement as purchasing
from lawcam.equipment import queries, service
from lawcam.equipment.models import Device, DeviceModel, Procurement
from lawcam.equipment.specs import spec_misses
from lawcam.equipment.types import (
    SPECIAL_NEEDS,
    Category,
    DeviceIn,
    DeviceStatus,
    Feature,
    ModelIn,
    ProcurementIn,
    ProcurementStatus,
    QualityStatus,
    Thresholds,
)
from lawcam.errors import InvalidInput, NotFound
from lawcam.timeutil import local

model_app = typer.Typer(help="设备型号及其技术指标（第七条）。", no_args_is_help=True)
device_app = typer.Typer(help="设备登记（资产编号、序列号、状态）。", no_args_is_help=True)
need_app = typer.Typer(help="单位的特殊需求（防爆、红外夜视等，R7.2）。", no_args_is_help=True)
thresholds_app = typer.Typer(
    help="执法记录仪和手持执法终端的技术指标阈值（R7.1）。", no_args_is_help=True
)
budget_app = typer.Typer(help="单位年度设备购置预算（第八条）。", no_args_is_help=True)
procurement_app = typer.Typer(help="设备采购记录与计划财务处审批（R8.1）。", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
    app.add_typer(device_app, name="device")
    app.add_typer(need_app, name="need")
    app.add_typer(thresholds_app, name="thresholds")
    app.add_typer(budget_app, name="budget")
    app.add_typer(procurement_app, name="procurement")


# Reading the command line --------------------------------------------------------------------


def _codes(members: Any) -> str:
    return "、".join(f"{m.value}（{m.label}）" for m in members)


def category_from(text: str) -> Category:
    value = text.strip()
    for category in Category:
        if value in (category.value, category.label):
            return category
    raise InvalidInput(f"设备类别“{value}”无效。可用类别：{_codes(Category)}。", field="category")


def feature_from(text: str) -> Feature:
    value = text.strip()
    for feature in Feature:
        if value in (feature.value, feature.label):
            return feature
    raise InvalidInput(f"功能“{value}”无效。可用功能：{_codes(Feature)}。", field="feature")


def need_from(text: str) -> Feature:
    feature = feature_from(text)
    if feature not in SPECIAL_NEEDS:
        raise InvalidInput(f"特殊需求只能是：{_codes(SPECIAL_NEEDS)}。", field="feature")
    return feature


def status_from(text: str) -> DeviceStatus:
    value = text.strip()
    for status in DeviceStatus:
        if value in (status.value, status.label):
            return status
    raise InvalidInput(f"设备状态“{value}”无效。可用状态：{_codes(DeviceStatus)}。", field="status")


def quality_from(text: str) -> QualityStatus:
    value = text.strip()
    for status in QualityStatus:
        if value in (status.value, status.label):
            return status
    raise InvalidInput(
        f"质量状态“{value}”无效，应为 approved（合格）或 suspended（暂停使用）。",
        field="status",
    )


def date_from(text: str, what: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{what}应写作 YYYY-MM-DD，如 2026-03-15，而不是“{text.strip()}”。", field=field
        ) from None


def money_from(text: str, what: str, field: str) -> Decimal:
    """Accepts 3280, 3280.5 and 3,280.00; refuses zero, negative and absurd amounts."""
    return service.money(text, what, field=field)


def yuan(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def model_named(session: Session, name: str) -> DeviceModel:
    model = queries.model_by_name(session, name)
    if model is None:
        raise NotFound(f"型号“{name.strip()}”不存在。")
    return model


def device_named(session: Session, serial: str) -> Device:
    return queries.device_by_serial(session=session, actor=actor(), serial=serial)


# JSON documents ------------------------------------------------------------------------------


def model_json(model: DeviceModel, limits: Thresholds | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": model.id,
        "maker": model.maker,
        "model": model.model,
        "category": model.category,
        "video": f"{model.video_width}x{model.video_height}" if model.video_width else None,
        "photo_mp": model.photo_mp,
        "battery_mah": model.battery_mah,
        "record_hours": model.record_hours,
        "storage_gb": model.storage_gb,
        "ip": model.ip_rating,
        "features": sorted(model.features or []),
        "quality": model.quality_status,
        "quality_reason": model.quality_reason,
    }
    if limits is not None:
        misses = spec_misses(model, limits)
        document["conforms"] = not misses
        document["misses"] = [
            {"spec": m.spec, "required": m.required, "actual": m.actual} for m in misses
        ]
    return document


def device_json(device: Device) -> dict[str, Any]:
    return {
        "id": device.id,
        "serial": device.serial,
        "asset_no": device.asset_no,
        "model": device.model.model,
        "maker": device.model.maker,
        "category": device.model.category,
        "unit": device.unit.name,
        "zone": device.zone.name if device.zone else None,
        "status": device.status,
        "status_since": device.status_since.isoformat(),
        "commissioned": device.commissioned_on.isoformat() if device.commissioned_on else None,
        "firmware": device.firmware,
        "price": yuan(device.purchase_price),
        "procurement_id": device.procurement_id,
        "need": device.need,
    }


def procurement_json(item: Procurement) -> dict[str, Any]:
    return {
        "id": item.id,
        "unit": item.unit.name,
        "year": item.year,
        "date": item.purchased_on.isoformat(),
        "supplier": item.supplier,
        "model": item.model.model,
        "quantity": item.quantity,
        "unit_price": yuan(item.unit_price),
        "total": yuan(item.total),
        "status": item.status,
        "note": item.note,
        "overrun_reason": item.overrun_reason,
        "recorded_by": item.recorded_by,
        "decided_by": item.decided_by,
        "decided_at": item.decided_at.isoformat() if item.decided_at else None,
    }


def _category_label(code: str) -> str:
    try:
        return Category(code).label
    except ValueError:
        return code


def _status_label(code: str) -> str:
    try:
        return DeviceStatus(code).label
    except ValueError:
        return code


def _features_text(codes: list[str]) -> str:
    return "、".join(Feature(c).label for c in codes)


# model ---------------------------------------------------------------------------------------


@model_app.command("add", help="登记设备型号及其技术指标。")
@command
def model_add(
    maker: Annotated[str, typer.Option("--maker", help="生产厂家。")],
    model: Annotated[str, typer.Option("--model", help="型号。")],
    category: Annotated[
        str,
        typer.Option(
            "--category",
            help="设备类别：camera、audio_recorder、video_camera、body_camera、"
            "handheld_terminal、surveillance、storage。",
        ),
    ],
    video: Annotated[str | None, typer.Option("--video", help="视频分辨率，如 1920x1080。")] = None,
    photo_mp: Annotated[
        float | None, typer.Option("--photo-mp", help="照片像素（百万像素）。")
    ] = None,
    battery_mah: Annotated[
        int | None, typer.Option("--battery-mah", help="电池容量（mAh）。")
    ] = None,
    record_hours: Annotated[
        float | None, typer.Option("--record-hours", help="额定连续录像时间（小时）。")
    ] = None,
    storage_gb: Annotated[int | None, typer.Option("--storage-gb", help="存储容量（GB）。")] = None,
    ip: Annotated[str | None, typer.Option("--ip", help="防护等级，如 IP67。")] = None,
    feature: Annotated[
        list[str] | None,
        typer.Option(
            "--feature",
            help="功能（可重复）：explosion_proof、night_vision、gps、live_upload、"
            "signed_files、encrypted_files、no_device_delete。",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    width, height = service.parse_resolution(video)
    data = ModelIn(
        maker=maker,
        model=model,
        category=category_from(category),
        video_width=width,
        video_height=height,
        photo_mp=photo_mp,
        battery_mah=battery_mah,
        record_hours=record_hours,
        storage_gb=storage_gb,
        ip_rating=ip.strip() if ip and ip.strip() else None,
        features=tuple(feature_from(f) for f in feature or ()),
    )
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        made = service.create_model(session=session, actor=actor(), data=data)
        result = model_json(made, queries.current_thresholds(session))
    if as_json:
        print_json(result)
        return
    say(
        f"已登记型号：{result['maker']} {result['model']}"
        f"（{_category_label(result['category'])}，编号 {result['id']}）"
    )
    for miss in result["misses"]:
        say(f"  未达指标：{miss['spec']} 要求 {miss['required']}，实为 {miss['actual']}")


@model_app.command("list", help="列出设备型号及其是否达到技术指标。")
@command
def model_list(as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        limits = queries.current_thresholds(session)
        rows = [model_json(m, limits) for m in queries.list_models(session=session, actor=actor())]
    if as_json:
        print_json({"models": rows})
        return
    table(
        "设备型号",
        ["编号", "厂家", "型号", "类别", "分辨率", "电池", "防护", "功能", "指标", "质量状态"],
        [
            [
                m["id"],
                m["maker"],
                m["model"],
                _category_label(m["category"]),
                m["video"],
                f"{m['battery_mah']} mAh" if m["battery_mah"] else "",
                m["ip"],
                _features_text(m["features"]),
                "达标" if m["conforms"] else "未达标：" + "、".join(x["spec"] for x in m["misses"]),
                QualityStatus(m["quality"]).label,
            ]
            for m in rows
        ],
    )


@model_app.command("quality", help="设置型号的质量状态（信息通信保障部，R4.1）。")
@command
def model_quality(
    model: Annotated[str, typer.Option("--model", help="型号。")],
    status: Annotated[
        str, typer.Option("--status", help="approved（合格）或 suspended（暂停使用）。")
    ],
    reason: Annotated[str, typer.Option("--reason", help="理由（暂停使用时必填）。")] = "",
    as_json: JsonOpt = False,
) -> None:
    quality = quality_from(status)
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        found = model_named(session, model)
        changed = service.set_model_quality(
            session=session, actor=actor(), model_id=found.id, status=quality, reason=reason
        )
        result = model_json(changed)
    if as_json:
        print_json(result)
        return
    say(f"型号“{result['model']}”的质量状态已设为：{quality.label}")


# device --------------------------------------------------------------------------------------


@device_app.command("add", help="登记设备；须写明它服务的执法需求（R5.1）。")
@command
def device_add(
    serial: Annotated[str, typer.Option("--serial", help="序列号。")],
    asset: Annotated[str, typer.Option("--asset", help="资产编号。")],
    model: Annotated[str, typer.Option("--model", help="型号。")],
    unit: Annotated[str, typer.Option("--unit", help="所属单位名称。")],
    price: Annotated[str, typer.Option("--price", help="购置价格（元），如 3280.00。")],
    need: Annotated[str, typer.Option("--need", help="该设备服务的执法需求（第五条）。")],
    zone: Annotated[str | None, typer.Option("--zone", help="办案专区（R5.2）。")] = None,
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
        made = service.create_device(session=session, actor=actor(), data=data)
        result = device_json(made)
    if as_json:
        print_json(result)
        return
    say(
        f"已登记设备：{result['serial']}（资产编号 {result['asset_no']}，"
        f"{result['model']}，{result['unit']}）"
    )


@device_app.command("list", help="列出设备。")
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
        rows = [device_json(d) for d in devices]
    if as_json:
        print_json({"devices": rows})
        return
    table(
        f"设备（共 {len(rows)} 台）",
        ["资产编号", "序列号", "型号", "类别", "单位", "专区", "状态", "价格（元）"],
        [
            [
                d["asset_no"],
                d["serial"],
                d["model"],
                _category_label(d["category"]),
                d["unit"],
                d["zone"],
                _status_label(d["status"]),
                d["price"],
            ]
            for d in rows
        ],
    )


@device_app.command("show", help="查看一台设备及其变更历史。")
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
    console = actor()
    with open_database(get_settings()) as database, database.read() as session:
        device = device_named(session, wanted)
        result = device_json(device)
        history: list[dict[str, Any]] = []
        if console.can(Action.AUDIT_READ):
            events, _ = audit_queries.list_events(
                session=session,
                actor=console,
                flt=AuditFilter(subject_type="device", subject_id=str(device.id)),
                limit=1000,
            )
            history = [
                {
                    "time": e.occurred_at.isoformat(),
                    "local_time": local(e.occurred_at),
                    "tag": e.tag,
                    "actor": e.actor_label,
                }
                for e in reversed(events)
            ]
        result["history"] = history
    if as_json:
        print_json(result)
        return
    say(f"设备 {result['serial']}（资产编号 {result['asset_no']}）")
    for label, value in (
        ("型号", f"{result['maker']} {result['model']}（{_category_label(result['category'])}）"),
        ("单位", result["unit"]),
        ("办案专区", result["zone"] or ""),
        ("状态", _status_label(result["status"])),
        ("启用日期", result["commissioned"] or ""),
        ("固件", result["firmware"]),
        ("购置价格", f"{result['price']} 元"),
        ("采购记录", result["procurement_id"] or ""),
        ("执法需求", result["need"]),
    ):
        say(f"  {label}：{value}")
    if history:
        table(
            "变更历史",
            ["时间", "事件", "操作者"],
            [[h["local_time"], h["tag"], h["actor"]] for h in history],
        )


@device_app.command("status", help="变更设备状态（如 in_repair 维修中、lost 丢失）。")
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
        result = device_json(changed)
    if as_json:
        print_json(result)
        return
    say(f"设备 {result['serial']} 的状态已改为：{status.label}")


# need ----------------------------------------------------------------------------------------


def _needs_document(session: Session, unit_name: str) -> dict[str, Any]:
    unit = unit_named(session, unit_name)
    return {
        "unit": unit.name,
        "needs": sorted(f.value for f in queries.unit_needs(session, unit.id)),
    }


@need_app.command("declare", help="声明单位的特殊需求（R7.2）。")
@command
def need_declare(
    unit: Annotated[str, typer.Option("--unit", help="单位名称。")],
    feature: Annotated[
        str, typer.Option("--feature", help="explosion_proof、night_vision、gps 或 live_upload。")
    ],
    as_json: JsonOpt = False,
) -> None:
    wanted = need_from(feature)
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        service.declare_need(session=session, actor=actor(), unit=unit, feature=wanted)
        result = _needs_document(session, unit)
    if as_json:
        print_json(result)
        return
    say(f"“{result['unit']}”已声明特殊需求：{wanted.label}")


@need_app.command("withdraw", help="撤回单位的特殊需求。")
@command
def need_withdraw(
    unit: Annotated[str, typer.Option("--unit", help="单位名称。")],
    feature: Annotated[
        str, typer.Option("--feature", help="explosion_proof、night_vision、gps 或 live_upload。")
    ],
    as_json: JsonOpt = False,
) -> None:
    wanted = need_from(feature)
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        service.withdraw_need(session=session, actor=actor(), unit=unit, feature=wanted)
        result = _needs_document(session, unit)
    if as_json:
        print_json(result)
        return
    say(f"“{result['unit']}”已撤回特殊需求：{wanted.label}")


# thresholds ----------------------------------------------------------------------------------


def thresholds_json(limits: Thresholds) -> dict[str, Any]:
    return {
        "video": f"{limits.video_width}x{limits.video_height}",
        "photo_mp": limits.photo_mp,
        "battery_mah": limits.battery_mah,
        "record_hours": limits.record_hours,
        "storage_gb": limits.storage_gb,
        "ip": limits.ip_rating,
    }


def _show_thresholds(title: str, document: dict[str, Any]) -> None:
    table(
        title,
        ["指标", "要求"],
        [
            ["视频分辨率", document["video"]],
            ["照片像素", f"{document['photo_mp'] * 100:g} 万像素"],
            ["电池容量", f"{document['battery_mah']} mAh"],
            ["连续录像时间", f"{document['record_hours']:g} 小时"],
            ["存储容量", f"{document['storage_gb']} GB"],
            ["防护等级", document["ip"]],
        ],
    )


@thresholds_app.command("show", help="查看现行技术指标阈值。")
@command
def thresholds_show(as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        result = thresholds_json(queries.current_thresholds(session))
    if as_json:
        print_json(result)
        return
    _show_thresholds("现行技术指标阈值（执法记录仪、手持执法终端）", result)


@thresholds_app.command("set", help="修改技术指标阈值（工程监管处）；未指定的项保持不变。")
@command
def thresholds_set(
    video: Annotated[str | None, typer.Option("--video", help="视频分辨率，如 1920x1080。")] = None,
    photo_mp: Annotated[
        float | None, typer.Option("--photo-mp", help="照片像素（百万像素）。")
    ] = None,
    battery_mah: Annotated[
        int | None, typer.Option("--battery-mah", help="电池容量（mAh）。")
    ] = None,
    record_hours: Annotated[
        float | None, typer.Option("--record-hours", help="连续录像时间（小时）。")
    ] = None,
    storage_gb: Annotated[int | None, typer.Option("--storage-gb", help="存储容量（GB）。")] = None,
    ip: Annotated[str | None, typer.Option("--ip", help="防护等级，如 IP67。")] = None,
    as_json: JsonOpt = False,
) -> None:
    changes: dict[str, Any] = {}
    if video is not None:
        width, height = service.parse_resolution(video)
        if width is None:
            raise InvalidInput("视频分辨率不能为空。", field="video")
        changes.update(video_width=width, video_height=height)
    for name, value in (
        ("photo_mp", photo_mp),
        ("battery_mah", battery_mah),
        ("record_hours", record_hours),
        ("storage_gb", storage_gb),
    ):
        if value is not None:
            changes[name] = value
    if ip is not None:
        if not ip.strip():
            raise InvalidInput("防护等级不能为空。", field="ip")
        changes["ip_rating"] = ip.strip().upper()
    if not changes:
        raise InvalidInput(
            "请至少指定一项阈值：--video、--photo-mp、--battery-mah、--record-hours、"
            "--storage-gb 或 --ip。"
        )
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        limits = dataclasses.replace(queries.current_thresholds(session), **changes)
        service.set_thresholds(session=session, actor=actor(), limits=limits)
        result = thresholds_json(queries.current_thresholds(session))
    if as_json:
        print_json(result)
        return
    _show_thresholds("已修改技术指标阈值", result)


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
        result = {
            "id": budget.id,
            "unit": budget.unit.name,
            "year": budget.year,
            "amount": yuan(budget.amount),
            "note": budget.note,
        }
    if as_json:
        print_json(result)
        return
    say(f"已设定“{result['unit']}”{result['year']} 年度预算：{result['amount']} 元")


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
        result = procurement_json(made)
    if as_json:
        print_json(result)
        return
    say(
        f"已登记采购（编号 {result['id']}）：{result['unit']} {result['model']} × "
        f"{result['quantity']}，合计 {result['total']} 元，待计划财务处审批。"
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
        result = procurement_json(done)
    if as_json:
        print_json(result)
        return
    extra = f"（超支理由：{result['overrun_reason']}）" if result["overrun_reason"] else ""
    say(f"已批准采购 {result['id']}：合计 {result['total']} 元{extra}")


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
        result = procurement_json(done)
    if as_json:
        print_json(result)
        return
    say(f"已驳回采购 {result['id']}。")


@procurement_app.command("list", help="列出采购记录。")
@command
def procurement_list(
    year: Annotated[int | None, typer.Option("--year", help="只列出该年度。")] = None,
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        rows = [
            procurement_json(p)
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
                p["id"],
                p["date"],
                p["unit"],
                p["supplier"],
                p["model"],
                p["quantity"],
                p["unit_price"],
                p["total"],
                ProcurementStatus(p["status"]).label,
                p["overrun_reason"],
            ]
            for p in rows
        ],
    )
