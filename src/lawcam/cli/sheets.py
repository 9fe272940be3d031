"""``lawcam template units|people --out FILE.xlsx`` and ``lawcam import FILE``: the spreadsheets
the office already works in."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from lawcam.cli.common import JsonOpt, actor, command, get_settings, open_database, print_json, say
from lawcam.errors import InvalidInput


class Kind(StrEnum):
    UNITS = "units"
    PEOPLE = "people"


KIND_LABELS = {"units": "单位", "people": "人员"}


def register(app: typer.Typer) -> None:
    app.command("template", help="生成导入用的 Excel 模板：units（单位）或 people（人员）。")(
        template
    )
    app.command("import", help="从填好的 Excel 模板导入单位或人员（全部成功才写入）。")(import_)


def _jsonable(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


@command
def template(
    kind: Annotated[str, typer.Argument(help="units（单位）或 people（人员）。")],
    out: Annotated[Path, typer.Option("--out", help="模板文件路径（.xlsx）。")],
    as_json: JsonOpt = False,
) -> None:
    from lawcam.org.spreadsheets import SheetKind, write_template

    try:
        sheet_kind = SheetKind(kind.strip())
    except ValueError:
        raise InvalidInput(
            f"模板类型“{kind}”无效，应为 units（单位）或 people（人员）。", field="kind"
        ) from None
    if out.suffix.lower() != ".xlsx":
        raise InvalidInput("模板文件名须以 .xlsx 结尾。", field="out")
    if out.parent and not out.parent.is_dir():
        raise InvalidInput(f"目录 {out.parent} 不存在。", field="out")
    write_template(sheet_kind, out)
    if as_json:
        print_json({"kind": sheet_kind.value, "path": str(out.resolve())})
        return
    say(f"已生成{KIND_LABELS.get(sheet_kind.value, '')}导入模板：{out}")


@command
def import_(
    file: Annotated[Path, typer.Argument(help="填好的 Excel 模板（.xlsx）。")],
    as_json: JsonOpt = False,
) -> None:
    from lawcam.org.spreadsheets import import_file

    if not file.is_file():
        raise InvalidInput(f"文件 {file} 不存在。", field="file")
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        result = import_file(session=session, actor=actor(), path=file)
    document = {
        "kind": _jsonable(result.kind),
        "created": _jsonable(result.created),
        "rows": _jsonable(result.rows),
    }
    if as_json:
        print_json(document)
        return
    kind = KIND_LABELS.get(str(document["kind"]), str(document["kind"]))
    created = document["created"]
    count = len(created) if isinstance(created, list) else created
    say(f"已从 {file} 导入{kind}：共 {document['rows']} 行，新增 {count} 条。")
