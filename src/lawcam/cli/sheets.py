"""``lawcam template units|people|models|devices|procurement|activities --out FILE.xlsx`` and
``lawcam import FILE``: the spreadsheets the office already works in. Equipment sheets are
written and read by ``lawcam.equipment.sheets``, activity lists by ``lawcam.activities.sheets``.
``import`` hands a file whose header is an activity list's to ``lawcam activity import``;
otherwise it tries the organisation importer first and, when the header is not a units or
people header, the equipment importer."""

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from lawcam.cli.common import JsonOpt, actor, command, get_settings, open_database, print_json, say
from lawcam.errors import InvalidInput


class Kind(StrEnum):
    UNITS = "units"
    PEOPLE = "people"


KIND_LABELS = {
    "units": "单位",
    "people": "人员",
    "models": "型号",
    "devices": "设备",
    "procurement": "采购",
    "activities": "执法活动",
}
# How the importers refuse a header row; the file may then be of the other importer's kind.
GENERIC_HEADER_REFUSAL = "无法识别表头"
HEADER_REFUSALS = (GENERIC_HEADER_REFUSAL, "无法识别的列名", "缺少必填列")


def _header_refused(error: InvalidInput) -> bool:
    return any(text in error.message for text in HEADER_REFUSALS)


def register(app: typer.Typer) -> None:
    app.command(
        "template",
        help="生成导入用的 Excel 模板：units（单位）、people（人员）、models（型号）、"
        "devices（设备）、procurement（采购）或 activities（执法活动）。",
    )(template)
    app.command(
        "import",
        help="从填好的 Excel 模板导入单位、人员、型号、设备、采购或执法活动（按表头识别；"
        "全部成功才写入）。执法活动表与 lawcam activity import 相同。",
    )(import_)


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
    kind: Annotated[
        str,
        typer.Argument(
            help="units（单位）、people（人员）、models（型号）、devices（设备）、"
            "procurement（采购）或 activities（执法活动）。"
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="模板文件路径（.xlsx）。")],
    as_json: JsonOpt = False,
) -> None:
    from lawcam.org.spreadsheets import SheetKind, write_template

    value = kind.strip()
    if value not in KIND_LABELS:
        raise InvalidInput(
            f"模板类型“{kind}”无效，应为 units（单位）、people（人员）、models（型号）、"
            "devices（设备）、procurement（采购）或 activities（执法活动）。",
            field="kind",
        )
    if out.suffix.lower() != ".xlsx":
        raise InvalidInput("模板文件名须以 .xlsx 结尾。", field="out")
    if out.parent and not out.parent.is_dir():
        raise InvalidInput(f"目录 {out.parent} 不存在。", field="out")
    if value in (SheetKind.UNITS.value, SheetKind.PEOPLE.value):
        write_template(SheetKind(value), out)
    elif value == "activities":  # imported by ``lawcam activity import``
        from lawcam.activities.sheets import write_activity_template

        write_activity_template(out)
    else:
        from lawcam.equipment.sheets import EquipmentSheet, write_equipment_template

        write_equipment_template(EquipmentSheet(value), out)
    if as_json:
        print_json({"kind": value, "path": str(out.resolve())})
        return
    say(f"已生成{KIND_LABELS.get(value, '')}导入模板：{out}")


@command
def import_(
    file: Annotated[Path, typer.Argument(help="填好的 Excel 模板（.xlsx）。")],
    as_json: JsonOpt = False,
) -> None:
    from lawcam.org.spreadsheets import import_file

    if not file.is_file():
        raise InvalidInput(f"文件 {file} 不存在。", field="file")
    if _is_activity_list(file):
        from lawcam.cli.activities import import_ as import_activities

        import_activities(file=file, as_json=as_json)  # its output, its listing of bad rows
        return
    with open_database(get_settings()) as database:
        try:
            with database.unit_of_work() as session:
                result: Any = import_file(session=session, actor=actor(), path=file)
        except InvalidInput as org_error:
            if not _header_refused(org_error):
                raise
            # Not a units or people sheet (nothing was written): try the equipment sheets.
            from lawcam.equipment.sheets import import_equipment_file

            try:
                with database.unit_of_work() as session:
                    result = import_equipment_file(session=session, actor=actor(), path=file)
            except InvalidInput as equipment_error:
                generic = equipment_error.message.startswith(GENERIC_HEADER_REFUSAL)
                if generic and not org_error.message.startswith(GENERIC_HEADER_REFUSAL):
                    raise org_error from None  # a units or people sheet with a bad column
                raise
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


def _is_activity_list(file: Path) -> bool:
    """The file's header row names more columns of the activity list than of any units,
    people or equipment sheet (a file that cannot be read is left to the units and people
    importer, which says why)."""
    from lawcam.activities.sheets import FORMAT as activities
    from lawcam.equipment.sheets import FORMAT as equipment
    from lawcam.org.spreadsheets import FORMAT as org
    from lawcam.sheets import open_rows, text

    try:
        with open_rows(file, "") as rows:
            header = next((values for _, values in rows if any(text(v) for v in values)), None)
    except InvalidInput:
        return False
    if header is None:
        return False
    return _named(activities, header) > max(_named(org, header), _named(equipment, header))


def _named(sheets: Any, header: Sequence[Any]) -> int:
    """How many header cells name a column of the family's closest sheet."""
    written = {sheets.normalize(value) for value in header} - {""}
    return max(len(written & {c.header for c in columns}) for columns in sheets.columns.values())
