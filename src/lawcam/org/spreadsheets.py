"""Spreadsheet templates and bulk import of units and people (the office's staff live in Excel).

``write_template`` writes an .xlsx whose first sheet holds only the Chinese header row (no
example row: it would be imported) and whose second sheet, “说明”, explains every column.
``import_file`` reads an .xlsx or a .csv (UTF-8, UTF-8 with BOM, or GB18030 — Chinese Excel
saves CSV in GBK), recognises the kind of sheet from its header row, and creates each row
through the real services (``create_unit`` / ``create_person``), so the rules and the audit
rows are exactly those of the UI and API. It is all or nothing: the first bad row raises
``InvalidInput`` naming the row as Excel numbers it and the column header; nothing is
committed here, the caller's unit of work commits or rolls back.

Files are streamed (openpyxl read-only mode, the csv module), so a 100,000-row file needs
little memory.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import ROLE_LABELS, Action, Actor, Role
from lawcam.errors import Forbidden, InvalidInput, LawcamError
from lawcam.org import service
from lawcam.org.models import Person, Unit
from lawcam.org.types import OrgEvent, PersonIn, UnitClass, UnitIn


class SheetKind(StrEnum):
    UNITS = "units"
    PEOPLE = "people"

    @property
    def label(self) -> str:
        return {"units": "单位表", "people": "人员表"}[self.value]


@dataclass(frozen=True)
class ImportResult:
    kind: SheetKind
    created: int  # units or people created
    rows: int  # data rows read (fully empty rows are skipped and not counted)


@dataclass(frozen=True)
class Column:
    header: str
    required: bool
    help: str
    allowed: str = ""
    text: bool = False  # formatted as text in the template (badges, phone numbers)


# --- columns -------------------------------------------------------------------------------

NAME, PARENT, CLASS, TARGET, ZONES, NOTE = (
    "单位名称",
    "上级单位",
    "单位类别",
    "配备目标台数",
    "办案专区",
    "备注",
)
PERSON, BADGE, UNIT, OFFICER, PHONE, ROLES = (
    "姓名",
    "执法证号",
    "所属单位",
    "执法人员",
    "联系电话",
    "角色",
)

_CLASS_WORDS: dict[str, UnitClass] = {
    **{c.label: c for c in UnitClass},
    **{c.value: c for c in UnitClass},
}
_YES = {"是", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "n", "no", "false", "0", "×"}
_LIST_SPLIT = re.compile(r"[、,，;；]")
_ASSIGNABLE = [r for r in Role if r is not Role.OFFICER]
_ROLE_WORDS: dict[str, Role] = {
    **{ROLE_LABELS[r]: r for r in Role},
    **{r.value: r for r in Role},
}
NOTE_LIMIT = 500  # the column's length in the database

COLUMNS: dict[SheetKind, tuple[Column, ...]] = {
    SheetKind.UNITS: (
        Column(NAME, True, "单位的全称，在系统中不能重复。", "最多 100 字"),
        Column(
            PARENT,
            False,
            "上级单位的名称。上级单位须已在系统中，或在本表中排在前面的行。",
            "已有单位的名称；不填表示无上级",
        ),
        Column(
            CLASS,
            False,
            "按执法人员数量、执法任务和需记录的执法环节划分的单位类别（第六条）。",
            "多、较多、较少（也可填 many、more、fewer）",
        ),
        Column(
            TARGET,
            False,
            "执法记录仪配备目标台数。单位类别为“较少”时必须填写（R6.1）。",
            f"0 至 {service.MAX_TARGET} 的整数",
        ),
        Column(
            ZONES,
            False,
            "本单位的办案专区名称（R5.2），可填多个。",
            "多个之间用“、”“，”或“；”分隔",
        ),
        Column(NOTE, False, "备注。", f"最多 {NOTE_LIMIT} 字"),
    ),
    SheetKind.PEOPLE: (
        Column(PERSON, True, "人员姓名。", "最多 100 字"),
        Column(
            BADGE,
            False,
            "执法证号，在系统中不能重复。执法人员必须填写。",
            "字母、数字和“-”，3 至 40 位",
            text=True,
        ),
        Column(
            UNIT,
            True,
            "人员所属单位，须是系统中已有的在用单位（请先导入单位表）。",
            "已有单位的名称",
        ),
        Column(
            OFFICER,
            False,
            "是否为持证执法人员。不填视为“否”。",
            "是、否（也可填 Y/N、true/false、1/0）",
        ),
        Column(PHONE, False, "联系电话。", "数字、空格及 + - ( )", text=True),
        Column(
            ROLES,
            False,
            "在本系统中担任的角色，可填多个。每个单位只设一名执法记录仪管理员（R9.1）；"
            "系统管理员、安全管理员、安全审计员不得兼任其他角色或执法人员（三员分立）。"
            "执法人员身份请在“执法人员”列填写，不在此列。",
            "、".join(ROLE_LABELS[r] for r in _ASSIGNABLE) + "；多个之间用“、”或“，”分隔",
        ),
    ),
}
SHEET_TITLES = {SheetKind.UNITS: "单位", SheetKind.PEOPLE: "人员"}
HELP_SHEET = "说明"

# The services name the offending field; these are the columns the user sees.
FIELD_COLUMNS: dict[SheetKind, dict[str, str]] = {
    SheetKind.UNITS: {
        "name": NAME,
        "parent": PARENT,
        "unit_class": CLASS,
        "target": TARGET,
        "zones": ZONES,
        "note": NOTE,
    },
    SheetKind.PEOPLE: {
        "name": PERSON,
        "badge": BADGE,
        "unit": UNIT,
        "is_officer": OFFICER,
        "phone": PHONE,
        "role": ROLES,
    },
}

_HEADER_HELP = "无法识别表头：第一行应为单位表或人员表的列名，请使用 lawcam template 生成的模板。"


# --- template ------------------------------------------------------------------------------


def write_template(kind: SheetKind, path: Path) -> None:
    """An empty sheet with the header row, and a “说明” sheet explaining each column."""
    kind = SheetKind(kind)
    columns = COLUMNS[kind]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLES[kind]
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(14, 2 * len(column.header) + 6)
        if column.text:
            # Badges and phone numbers stay text: Excel would otherwise drop leading zeros.
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    _add_choices(sheet, columns)

    notes = workbook.create_sheet(HELP_SHEET)
    notes.append(["列名", "是否必填", "说明", "可填写的值"])
    for cell in notes[1]:
        cell.font = bold
    for column in columns:
        notes.append(
            [column.header, "必填" if column.required else "选填", column.help, column.allowed]
        )
    notes.append([])
    for line in _general_notes(kind):
        notes.append([line])
    for letter, width in zip("ABCD", (14, 10, 60, 50), strict=True):
        notes.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in notes.iter_rows(min_row=2, max_row=len(columns) + 1):
        for cell in row:
            cell.alignment = wrap
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def _add_choices(sheet: Any, columns: Sequence[Column]) -> None:
    lists = {CLASS: '"多,较多,较少"', OFFICER: '"是,否"'}
    for index, column in enumerate(columns, start=1):
        if column.header in lists:
            letter = get_column_letter(index)
            validation = DataValidation(
                type="list", formula1=lists[column.header], allow_blank=True
            )
            validation.error = f"请从下拉列表中选择：{column.allowed}"
            validation.errorTitle = column.header
            validation.add(f"{letter}2:{letter}100000")
            sheet.add_data_validation(validation)


def _general_notes(kind: SheetKind) -> list[str]:
    lines = [
        f"填写说明（{kind.label}）：",
        f"1. 在“{SHEET_TITLES[kind]}”工作表第 2 行起每行填写一条，第 1 行的列名不要修改；"
        "列的顺序可以调整，不用的选填列可以删除。",
        "2. 导入时全部检查通过才会保存；任何一行有错，整个文件都不保存，"
        "错误信息会指出出错的行号和列名，改正后重新导入即可。",
        "3. 空行会被跳过。也可以另存为 CSV（UTF-8 或 GBK 编码）后导入。",
    ]
    if kind is SheetKind.UNITS:
        lines.append("4. 有上级单位的，上级单位须排在其下级单位之前（或已在系统中）。")
    else:
        lines.append("4. 所属单位须已在系统中，请先导入单位表。")
    return lines


# --- import --------------------------------------------------------------------------------


def import_file(*, session: Session, actor: Actor, path: Path) -> ImportResult:
    """Create every row of the file, or raise on a bad one. Never commits.

    Three passes: read and parse every row (cell errors), check the whole file against itself
    and the database in a few queries (unknown units, badges used twice), then create each row
    through the services. A bad row near the end of a 100,000-row file is therefore reported
    in seconds, before anything is written."""
    path = Path(path)
    with _open_rows(path) as rows:
        kind, header_row, positions = _read_header(rows)
        actor.require(Action.UNIT_MANAGE if kind is SheetKind.UNITS else Action.PERSON_MANAGE)
        parse = _parse_unit if kind is SheetKind.UNITS else _parse_person
        items: list[tuple[int, Any]] = []
        for row_number, values in rows:
            cells = _cells(values, positions, row_number, header_row)
            if cells is not None:
                items.append((row_number, _located(kind, row_number, parse, cells)))
    if not items:
        raise InvalidInput("文件中没有数据行。")
    if kind is SheetKind.PEOPLE:
        _precheck_people(session, items)
    for row_number, data in items:
        _located(kind, row_number, _creator(kind, session, actor), data)
    count = len(items)
    record(
        session,
        actor,
        OrgEvent.IMPORT_DONE,
        ("import", path.name),
        None,
        {"kind": kind.value, "rows": count, "created": count},
    )
    return ImportResult(kind=kind, created=count, rows=count)


def _creator(kind: SheetKind, session: Session, actor: Actor) -> Callable[[Any], Any]:
    if kind is SheetKind.UNITS:
        return lambda data: service.create_unit(session=session, actor=actor, data=data)
    return lambda data: service.create_person(session=session, actor=actor, data=data)


def _precheck_people(session: Session, items: list[tuple[int, Any]]) -> None:
    """Whole-file checks with one query each; the services check the same rules again."""
    names = {data.unit for _, data in items}
    query = select(Unit.name, Unit.is_active).where(Unit.name.in_(names))
    units = {name: active for name, active in session.execute(query)}
    badges = [data.badge for _, data in items if data.badge]
    taken: dict[str, str] = {}
    for start in range(0, len(badges), 1000):
        chunk = badges[start : start + 1000]
        holders = select(Person.badge, Person.name).where(Person.badge.in_(chunk))
        taken.update((badge, name) for badge, name in session.execute(holders) if badge)
    first_use: dict[str, str] = {}
    for row_number, data in items:
        if data.unit not in units:
            message = f"单位“{data.unit}”不存在。" + _HINTS[(SheetKind.PEOPLE, "unit")]
            raise _at(row_number, UNIT, message, InvalidInput, cause="invalid_input")
        if not units[data.unit]:
            raise _at(row_number, UNIT, f"单位“{data.unit}”已停用。", InvalidInput)
        if data.badge:
            holder = taken.get(data.badge) or first_use.get(data.badge)
            if holder is not None:
                raise _at(
                    row_number,
                    BADGE,
                    f"执法证号 {data.badge} 已被“{holder}”使用。",
                    InvalidInput,
                    cause="conflict",
                )
            first_use[data.badge] = data.name


Row = tuple[int, Sequence[Any]]
Cells = dict[str, Any]


def _located(kind: SheetKind, row: int, step: Callable[[Any], Any], value: Any) -> Any:
    """Runs one row's parse or create step; any error is re-raised naming row and column."""
    try:
        return step(value)
    except _CellError as error:
        raise _at(row, error.column, error.message, InvalidInput) from None
    except LawcamError as error:
        field = str(error.details.get("field", ""))
        column = FIELD_COLUMNS[kind].get(field)
        message = error.message + _HINTS.get((kind, field), "")
        # A permission problem stays one (403 / refused), located like the others.
        cls = Forbidden if isinstance(error, Forbidden) else InvalidInput
        raise _at(row, column, message, cls, cause=error.code) from error


_HINTS = {
    (SheetKind.UNITS, "parent"): "上级单位须已在系统中，或在本文件中排在前面。",
    (SheetKind.PEOPLE, "unit"): "所属单位须已在系统中，请先导入单位表。",
}


def _at(
    row: int, column: str | None, message: str, cls: type[LawcamError], **extra: Any
) -> LawcamError:
    where = f"第 {row} 行“{column}”：" if column else f"第 {row} 行："
    return cls(where + message, row=row, column=column, **extra)


class _CellError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


# --- reading files -------------------------------------------------------------------------


@contextmanager
def _open_rows(path: Path) -> Iterator[Iterator[Row]]:
    try:
        with path.open("rb") as probe:
            magic = probe.read(8)
    except OSError as error:
        raise InvalidInput(f"无法读取文件“{path.name}”：{error.strerror or error}。") from None
    suffix = path.suffix.lower()
    if magic.startswith(b"PK\x03\x04"):
        with _xlsx_rows(path) as rows:
            yield rows
    elif magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput(
            f"“{path.name}”是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后再导入。"
        )
    elif suffix in {".csv", ".txt"}:
        with _csv_rows(path) as rows:
            yield rows
    else:
        raise InvalidInput(
            f"不支持的文件类型“{path.name}”：请导入 Excel 工作簿（.xlsx）或 CSV 文件（.csv）。"
        )


@contextmanager
def _xlsx_rows(path: Path) -> Iterator[Iterator[Row]]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a zip that is not a workbook
        raise InvalidInput(
            f"无法读取文件“{path.name}”：不是有效的 Excel 工作簿（.xlsx）。"
        ) from None
    try:
        sheets = [s for s in workbook.worksheets if s.title != HELP_SHEET]
        if not sheets or not hasattr(sheets[0], "iter_rows"):
            raise InvalidInput(_HEADER_HELP)
        sheet = sheets[0]
        # Some programs write a wrong <dimension>; read the rows that are really there.
        sheet.reset_dimensions()
        yield _guarded(enumerate(sheet.iter_rows(values_only=True), start=1), path)
    finally:
        workbook.close()


def _guarded(rows: Iterator[Row], path: Path) -> Iterator[Row]:
    """A workbook damaged past its first rows fails while being read: say so in Chinese."""
    try:
        yield from rows
    except Exception:  # zip or XML errors from deep inside openpyxl
        raise InvalidInput(f"无法读取文件“{path.name}”：Excel 工作簿已损坏。") from None


@contextmanager
def _csv_rows(path: Path) -> Iterator[Iterator[Row]]:
    encoding = _csv_encoding(path)
    with path.open(encoding=encoding, newline="") as stream:
        yield _decoded(enumerate(csv.reader(stream), start=1), path)


def _decoded(rows: Iterator[Row], path: Path) -> Iterator[Row]:
    try:
        yield from rows
    except UnicodeDecodeError:
        raise InvalidInput(
            f"无法读取文件“{path.name}”：文字编码不是 UTF-8 或 GB18030（GBK）。"
        ) from None
    except csv.Error as error:
        raise InvalidInput(f"无法读取文件“{path.name}”：CSV 格式不正确（{error}）。") from None


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as UTF-8, else GB18030."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as stream:
        first = True
        while block := stream.read(1 << 20):
            if first and block.startswith(codecs.BOM_UTF8):
                return "utf-8-sig"
            first = False
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                return "gb18030"
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


# --- header and cells ----------------------------------------------------------------------


def _read_header(rows: Iterator[Row]) -> tuple[SheetKind, int, dict[str, int]]:
    for row_number, values in rows:
        headers = [_text(v) for v in values]
        if any(headers):
            return _match_header(headers, row_number)
    raise InvalidInput(_HEADER_HELP)


def _match_header(headers: list[str], row: int) -> tuple[SheetKind, int, dict[str, int]]:
    named = [h for h in headers if h]
    known = {kind: {c.header for c in COLUMNS[kind]} for kind in SheetKind}
    scores = {kind: sum(h in known[kind] for h in named) for kind in SheetKind}
    kind = max(SheetKind, key=lambda k: scores[k])
    if scores[kind] == 0 or scores[SheetKind.UNITS] == scores[SheetKind.PEOPLE]:
        raise InvalidInput(_HEADER_HELP, row=row)
    expected = "、".join(c.header for c in COLUMNS[kind])
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        if header not in known[kind]:
            raise InvalidInput(
                f"第 {row} 行：无法识别的列名“{header}”。{kind.label}的列名为：{expected}。"
                "请使用 lawcam template 生成的模板。",
                row=row,
                column=header,
            )
        if header in positions:
            raise InvalidInput(f"第 {row} 行：列名“{header}”重复出现。", row=row, column=header)
        positions[header] = index
    for column in COLUMNS[kind]:
        if column.required and column.header not in positions:
            raise InvalidInput(
                f"第 {row} 行：{kind.label}缺少必填列“{column.header}”。{kind.label}的列名为：{expected}。",
                row=row,
                column=column.header,
            )
    return kind, row, positions


def _cells(
    values: Sequence[Any], positions: dict[str, int], row: int, header_row: int
) -> Cells | None:
    """The row's values by header, or None when the row is empty (blank or only spaces)."""
    if not any(_text(v) for v in values):
        return None
    used = set(positions.values())
    for index, value in enumerate(values):
        if index not in used and _text(value):
            raise InvalidInput(
                f"第 {row} 行第 {get_column_letter(index + 1)} 列有内容，但该列没有列名"
                f"（列名在第 {header_row} 行）。",
                row=row,
            )
    return {h: values[i] if i < len(values) else None for h, i in positions.items()}


def _text(value: Any) -> str:
    """A cell as stripped text; numbers as Excel shows them (12345.0 → "12345")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _integer(cells: Cells, column: str) -> int | None:
    value = cells.get(column)
    if isinstance(value, bool):
        raise _CellError(column, "须填写整数。")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _CellError(column, f"须填写整数，而不是 {value:g}。")
    text = _text(value)
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise _CellError(column, f"须填写整数，而不是“{text}”。") from None
    if not number.is_integer():
        raise _CellError(column, f"须填写整数，而不是“{text}”。")
    return int(number)


def _yes_no(cells: Cells, column: str) -> bool:
    value = cells.get(column)
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if not text or text in _NO:
        return False
    if text in _YES:
        return True
    raise _CellError(column, f"应填写“是”或“否”，而不是“{_text(value)}”。")


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in _LIST_SPLIT.split(text) if part.strip())


# --- rows → services -----------------------------------------------------------------------


def _parse_unit(cells: Cells) -> UnitIn:
    class_text = _text(cells.get(CLASS))
    unit_class = None
    if class_text:
        unit_class = _CLASS_WORDS.get(class_text.lower()) or _CLASS_WORDS.get(class_text)
        if unit_class is None:
            raise _CellError(CLASS, f"应填写“多”“较多”或“较少”，而不是“{class_text}”。")
    note = _text(cells.get(NOTE))
    if len(note) > NOTE_LIMIT:
        raise _CellError(NOTE, f"备注过长（最多 {NOTE_LIMIT} 字）。")
    parent = _text(cells.get(PARENT))
    return UnitIn(
        name=_text(cells.get(NAME)),
        unit_class=unit_class,
        target=_integer(cells, TARGET),
        parent=parent or None,
        zones=_split(_text(cells.get(ZONES))),
        note=note,
    )


def _parse_person(cells: Cells) -> PersonIn:
    roles: list[Role] = []
    for word in _split(_text(cells.get(ROLES))):
        role = _ROLE_WORDS.get(word) or _ROLE_WORDS.get(word.lower())
        if role is None:
            allowed = "、".join(ROLE_LABELS[r] for r in _ASSIGNABLE)
            raise _CellError(ROLES, f"无法识别的角色“{word}”。可填写：{allowed}。")
        if role is Role.OFFICER:
            raise _CellError(ROLES, "“执法人员”不是角色，请在“执法人员”列填写“是”并填写执法证号。")
        if role in roles:
            raise _CellError(ROLES, f"角色“{role.label}”重复填写。")
        roles.append(role)
    unit = _text(cells.get(UNIT))
    if not unit:
        raise _CellError(UNIT, "所属单位不能为空。")
    return PersonIn(
        name=_text(cells.get(PERSON)),
        unit=unit,
        badge=_text(cells.get(BADGE)) or None,
        is_officer=_yes_no(cells, OFFICER),
        phone=_text(cells.get(PHONE)),
        roles=tuple(roles),
    )
