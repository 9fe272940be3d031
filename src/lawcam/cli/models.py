"""``lawcam model``, ``lawcam need`` and ``lawcam thresholds``: device models and their
quality (Art. 7, R4.1), units' special needs (R7.2) and the technical thresholds for
body-worn recorders and handheld terminals (R7.1). Every change goes through the equipment
services (audited in the same transaction); a model or unit is named by its model name or
unit name."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

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
    category_from,
    feature_from,
    features_text,
    model_named,
    need_from,
    quality_from,
)
from lawcam.equipment import queries, service
from lawcam.equipment.types import ModelIn
from lawcam.errors import InvalidInput
from lawcam.schemas.equipment import ModelOut, ThresholdsOut, UnitNeedsOut

model_app = typer.Typer(help="设备型号及其技术指标（第七条）。", no_args_is_help=True)
need_app = typer.Typer(help="单位的特殊需求（防爆、红外夜视等，第七条）。", no_args_is_help=True)
thresholds_app = typer.Typer(
    help="执法记录仪和手持执法终端的技术指标阈值（第七条）。", no_args_is_help=True
)


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
        result = ModelOut.of(made, queries.current_thresholds(session))
    if as_json:
        print_json(result)
        return
    say(f"已登记型号：{result.maker} {result.model}（{result.category_label}，编号 {result.id}）")
    for miss in result.misses:
        say(f"  未达指标：{miss.spec} 要求 {miss.required}，实为 {miss.actual}")


@model_app.command("list", help="列出设备型号及其是否达到技术指标。")
@command
def model_list(as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        limits = queries.current_thresholds(session)
        rows = [ModelOut.of(m, limits) for m in queries.list_models(session=session, actor=actor())]
    if as_json:
        print_json({"models": rows})
        return
    table(
        "设备型号",
        ["编号", "厂家", "型号", "类别", "分辨率", "电池", "防护", "功能", "指标", "质量状态"],
        [
            [
                m.id,
                m.maker,
                m.model,
                m.category_label,
                m.video,
                f"{m.battery_mah} mAh" if m.battery_mah else "",
                m.ip_rating,
                features_text(m.features),
                "达标" if m.conforms else "未达标：" + "、".join(x.spec for x in m.misses),
                m.quality_status.label,
            ]
            for m in rows
        ],
    )


@model_app.command("quality", help="设置型号的质量状态（信息通信保障部，第四条）。")
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
        result = ModelOut.of(changed, queries.current_thresholds(session))
    if as_json:
        print_json(result)
        return
    say(f"型号“{result.model}”的质量状态已设为：{quality.label}")


# need ----------------------------------------------------------------------------------------


def _needs_document(session: Session, unit_name: str) -> UnitNeedsOut:
    unit = unit_named(session, unit_name)
    return UnitNeedsOut.of(unit, queries.unit_needs(session, unit.id))


@need_app.command("declare", help="声明单位的特殊需求（第七条）。")
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
    say(f"“{result.unit}”已声明特殊需求：{wanted.label}")


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
    say(f"“{result.unit}”已撤回特殊需求：{wanted.label}")


# thresholds ----------------------------------------------------------------------------------


def _show_thresholds(title: str, limits: ThresholdsOut) -> None:
    table(
        title,
        ["指标", "要求"],
        [
            ["视频分辨率", limits.video],
            ["照片像素", f"{limits.photo_mp * 100:g} 万像素"],
            ["电池容量", f"{limits.battery_mah} mAh"],
            ["连续录像时间", f"{limits.record_hours:g} 小时"],
            ["存储容量", f"{limits.storage_gb} GB"],
            ["防护等级", limits.ip_rating],
        ],
    )


@thresholds_app.command("show", help="查看现行技术指标阈值。")
@command
def thresholds_show(as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        result = ThresholdsOut.of(queries.current_thresholds(session))
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
        result = ThresholdsOut.of(queries.current_thresholds(session))
    if as_json:
        print_json(result)
        return
    _show_thresholds("已修改技术指标阈值", result)
