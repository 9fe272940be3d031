"""``lawcam unit``: units (divisions, the enforcement center) and their class (R6.1)."""

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
from lawcam.errors import InvalidInput
from lawcam.org import queries, service
from lawcam.org.models import Unit
from lawcam.org.types import UnitClass, UnitIn
from lawcam.schemas.org import UnitOut

app = typer.Typer(help="单位（机关各处、执法中心及其部门）。", no_args_is_help=True)


def unit_class_from(text: str | None) -> UnitClass:
    if text is None or not text.strip():
        raise InvalidInput(
            "请用 --class 指定单位类别：many（多）、more（较多）或 fewer（较少）。", field="class"
        )
    value = text.strip()
    for unit_class in UnitClass:
        if value in (unit_class.value, unit_class.label):
            return unit_class
    raise InvalidInput(
        f"单位类别“{value}”无效，应为 many（多）、more（较多）或 fewer（较少）。", field="class"
    )


def _row(unit: Unit) -> list[object]:
    return [
        unit.id,
        unit.name,
        UnitClass(unit.unit_class).label if unit.unit_class else "",
        unit.target,
        unit.parent.name if unit.parent else None,
        "、".join(z.name for z in unit.zones),
        "在用" if unit.is_active else "已停用",
    ]


@app.command("add", help="新增单位。")
@command
def add(
    name: Annotated[str, typer.Option("--name", help="单位名称。")],
    unit_class: Annotated[
        str | None,
        typer.Option(
            "--class",
            help="单位类别（第六条）：many 多、more 较多、fewer 较少。",
            show_default=False,
        ),
    ] = None,
    target: Annotated[
        int | None, typer.Option("--target", help="“较少”类单位的配备目标台数。")
    ] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="上级单位名称。")] = None,
    zones: Annotated[
        list[str] | None, typer.Option("--zone", help="办案专区名称（可重复）。")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="备注。")] = "",
    as_json: JsonOpt = False,
) -> None:
    data = UnitIn(
        name=name,
        unit_class=unit_class_from(unit_class),
        target=target,
        parent=parent,
        zones=tuple(zones or ()),
        note=note,
    )
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        result = UnitOut.of(service.create_unit(session=session, actor=actor(), data=data))
    if as_json:
        print_json(result)
        return
    say(f"已新增单位：{result.name}（编号 {result.id}）")


@app.command("list", help="列出单位。")
@command
def list_(
    include_inactive: Annotated[bool, typer.Option("--all", help="包括已停用的单位。")] = False,
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        units = queries.list_units(
            session=session, actor=actor(), include_inactive=include_inactive
        )
        found = [UnitOut.of(u) for u in units]
        rows = [_row(u) for u in units]
    if as_json:
        print_json({"units": found})
        return
    table("单位", ["编号", "名称", "类别", "配备目标", "上级单位", "办案专区", "状态"], rows)
