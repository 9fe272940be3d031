"""The machinery shared by every spreadsheet the office imports: reading files, matching the
header row to a kind of sheet, cell helpers, locating errors, and the import template.

Used by ``lawcam.org.spreadsheets`` (units, people) and ``lawcam.equipment.sheets`` (models,
devices, procurement): it knows files and cells, no domain, so it sits at the bottom of the
layers (it imports nothing of lawcam but its errors) and each domain keeps its own sheets.

``open_rows`` reads an .xlsx or a .csv (UTF-8, UTF-8 with BOM, or GB18030 — Chinese Excel
saves CSV in GBK), streaming (openpyxl read-only mode, the csv module), so a 100,000-row file
needs little memory. A ``SheetFormat`` recognises the kind of sheet from its header row, parses
the data rows and creates them, every error naming the row as Excel numbers it and the column
header (“第 N 行“列名”：…”). Nothing is written here: the domain's services create the rows
and its caller's unit of work commits or rolls back.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from lawcam.errors import Forbidden, InvalidInput, LawcamError

HELP_SHEET = "说明"
YES = {"是", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "n", "no", "false", "0", "×"}
LIST_SPLIT = re.compile(r"[、,，;；]")

Row = tuple[int, Sequence[Any]]
Cells = dict[str, Any]


class Kind(Protocol):
    """A kind of sheet: a StrEnum member with a Chinese label (“单位表”)."""

    @property
    def value(self) -> str: ...

    @property
    def label(self) -> str: ...


K = TypeVar("K", bound=Kind)


@dataclass(frozen=True)
class Column:
    header: str
    required: bool
    help: str
    allowed: str = ""
    text: bool = False  # formatted as text in the template (badges, asset numbers, phones)


@dataclass(frozen=True)
class ImportResult(Generic[K]):
    kind: K
    created: int  # rows created (units, people, models, devices or procurement records)
    rows: int  # data rows read (fully empty rows are skipped and not counted)


class CellError(Exception):
    """A cell that cannot be parsed; ``SheetFormat.located`` adds the row number."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


# How many bad rows one refusal lists; past that, the first ones are enough to start on.
MAX_REPORTED = 100


def _all_of(bad: list[InvalidInput]) -> InvalidInput:
    """The first bad row's error, naming the others too; ``problems`` lists each one (row,
    column, message) for a page to show as a table."""
    first = bad[0]
    if len(bad) == 1:
        return first
    rows = sorted({int(e.details.get("row", 0)) for e in bad[1:]} - {0})
    more = "、".join(str(r) for r in rows[:10]) + ("等" if len(rows) > 10 else "")
    message = f"{first.message}（另有 {len(bad) - 1} 处问题，在第 {more} 行，请一并改正。）"
    problems = [
        {"row": e.details.get("row"), "column": e.details.get("column"), "message": e.message}
        for e in bad
    ]
    return InvalidInput(message, **{**first.details, "problems": problems})


def at(
    row: int, column: str | None, message: str, cls: type[LawcamError], **extra: Any
) -> LawcamError:
    """An error naming the row (and the column, when known) as the user sees them."""
    where = f"第 {row} 行“{column}”：" if column else f"第 {row} 行："
    return cls(where + message, row=row, column=column, **extra)


# --- template ------------------------------------------------------------------------------


def write_template(
    path: Path,
    *,
    title: str,
    columns: Sequence[Column],
    choices: Mapping[str, str],
    notes: Sequence[str],
    header_width: int,
    date_columns: Collection[str] = (),
) -> None:
    """An empty sheet with the header row, and a “说明” sheet explaining each column.

    ``choices`` maps a header to the formula of its drop-down list; ``notes`` are the lines
    under the column help; ``header_width`` is the width of the help sheet's first column."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
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
            # Badges, asset numbers and serials stay text: Excel would drop leading zeros.
            sheet.column_dimensions[letter].number_format = "@"
        elif column.header in date_columns:
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    _add_choices(sheet, columns, choices)

    help_sheet = workbook.create_sheet(HELP_SHEET)
    help_sheet.append(["列名", "是否必填", "说明", "可填写的值"])
    for cell in help_sheet[1]:
        cell.font = bold
    for column in columns:
        help_sheet.append(
            [column.header, "必填" if column.required else "选填", column.help, column.allowed]
        )
    help_sheet.append([])
    for line in notes:
        help_sheet.append([line])
    for letter, width in zip("ABCD", (header_width, 10, 60, 50), strict=True):
        help_sheet.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in help_sheet.iter_rows(min_row=2, max_row=len(columns) + 1):
        for cell in row:
            cell.alignment = wrap
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def _add_choices(sheet: Any, columns: Sequence[Column], choices: Mapping[str, str]) -> None:
    for index, column in enumerate(columns, start=1):
        if column.header in choices:
            letter = get_column_letter(index)
            validation = DataValidation(
                type="list", formula1=choices[column.header], allow_blank=True
            )
            validation.error = f"请从下拉列表中选择：{column.allowed}"
            validation.errorTitle = column.header
            validation.add(f"{letter}2:{letter}100000")
            sheet.add_data_validation(validation)


def general_notes(label: str, title: str) -> list[str]:
    """The first lines of every template's notes; each kind of sheet adds its own after."""
    return [
        f"填写说明（{label}）：",
        f"1. 在“{title}”工作表第 2 行起每行填写一条，第 1 行的列名不要修改；"
        "列的顺序可以调整，不用的选填列可以删除。",
        "2. 导入时全部检查通过才会保存；任何一行有错，整个文件都不保存，"
        "错误信息会指出出错的行号和列名，改正后重新导入即可。",
        "3. 空行会被跳过。也可以另存为 CSV（UTF-8 或 GBK 编码）后导入。",
    ]


# --- reading files -------------------------------------------------------------------------


@contextmanager
def open_rows(path: Path, no_sheet_help: str) -> Iterator[Iterator[Row]]:
    """The file's rows numbered as Excel numbers them. ``no_sheet_help`` is the refusal for a
    workbook with nothing but the help sheet."""
    try:
        with path.open("rb") as probe:
            magic = probe.read(8)
    except OSError as error:
        raise InvalidInput(f"无法读取文件“{path.name}”：{error.strerror or error}。") from None
    suffix = path.suffix.lower()
    if magic.startswith(b"PK\x03\x04"):
        with _xlsx_rows(path, no_sheet_help) as rows:
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
def _xlsx_rows(path: Path, no_sheet_help: str) -> Iterator[Iterator[Row]]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a zip that is not a workbook
        raise InvalidInput(
            f"无法读取文件“{path.name}”：不是有效的 Excel 工作簿（.xlsx）。"
        ) from None
    try:
        sheets = [s for s in workbook.worksheets if s.title != HELP_SHEET]
        if not sheets or not hasattr(sheets[0], "iter_rows"):
            raise InvalidInput(no_sheet_help)
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


# --- cells ---------------------------------------------------------------------------------


def cells(
    values: Sequence[Any], positions: dict[str, int], row: int, header_row: int
) -> Cells | None:
    """The row's values by header, or None when the row is empty (blank or only spaces)."""
    if not any(text(v) for v in values):
        return None
    used = set(positions.values())
    for index, value in enumerate(values):
        if index not in used and text(value):
            raise InvalidInput(
                f"第 {row} 行第 {get_column_letter(index + 1)} 列有内容，但该列没有列名"
                f"（列名在第 {header_row} 行）。",
                row=row,
            )
    return {h: values[i] if i < len(values) else None for h, i in positions.items()}


def text(value: Any) -> str:
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


def integer(cells: Cells, column: str) -> int | None:
    value = cells.get(column)
    if isinstance(value, bool):
        raise CellError(column, "须填写整数。")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError(column, f"须填写整数，而不是 {value:g}。")
    written = text(value)
    if not written:
        return None
    try:
        number = float(written)
    except ValueError:
        raise CellError(column, f"须填写整数，而不是“{written}”。") from None
    if not number.is_integer():
        raise CellError(column, f"须填写整数，而不是“{written}”。")
    return int(number)


def yes_no(cells: Cells, column: str) -> bool:
    value = cells.get(column)
    if isinstance(value, bool):
        return value
    written = text(value).lower()
    if not written or written in NO:
        return False
    if written in YES:
        return True
    raise CellError(column, f"应填写“是”或“否”，而不是“{text(value)}”。")


def split(written: str) -> tuple[str, ...]:
    """A cell listing several values (“、”, “，” or “；” between them)."""
    return tuple(part.strip() for part in LIST_SPLIT.split(written) if part.strip())


# --- import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetFormat(Generic[K]):
    """A family of sheets one importer reads, told apart by their header rows."""

    columns: Mapping[K, Sequence[Column]]  # in order of preference when scores tie
    fields: Mapping[K, Mapping[str, str]]  # the services' field names → the column headers
    hints: Mapping[tuple[K, str], str]  # appended to a service error about that field
    header_help: str  # the refusal when the header row is not one of these sheets
    normalize: Callable[[Any], str] = text  # a header cell as text
    no_sheet_help: str = ""  # a workbook with no data sheet; defaults to header_help

    def read(
        self,
        path: Path,
        prepare: Callable[[K], Callable[[Cells], Any]],
        check: Callable[[list[tuple[int, Any]]], list[InvalidInput]] | None = None,
    ) -> tuple[K, list[tuple[int, Any]]]:
        """Every data row parsed, or raise naming every bad row (up to ``MAX_REPORTED``), so
        that one round of corrections fixes the file. ``prepare`` is called once the kind of
        sheet is known (it checks permission) and returns the row parser; ``check`` (optional)
        checks the parsed rows against each other (the same row twice), its problems listed
        with the parse problems, in row order."""
        with open_rows(path, self.no_sheet_help or self.header_help) as rows:
            kind, header_row, positions = self.read_header(rows)
            parse = prepare(kind)
            items: list[tuple[int, Any]] = []
            bad: list[InvalidInput] = []
            for row_number, values in rows:
                row_cells = cells(values, positions, row_number, header_row)
                if row_cells is None:
                    continue
                try:
                    items.append((row_number, self.located(kind, row_number, parse, row_cells)))
                except InvalidInput as error:
                    bad.append(error)
                    if len(bad) >= MAX_REPORTED:
                        break
        if check is not None and len(bad) < MAX_REPORTED:
            bad += check(items)[: MAX_REPORTED - len(bad)]
            bad.sort(key=lambda e: int(e.details.get("row") or 0))
        if bad:
            raise _all_of(bad)
        if not items:
            raise InvalidInput("文件中没有数据行。")
        return kind, items

    def create(
        self, kind: K, items: list[tuple[int, Any]], create: Callable[[Any], Any]
    ) -> ImportResult[K]:
        """Create each parsed row through ``create`` (a domain service, which checks and
        audits each row); the domain records the import's summary entry."""
        for row_number, data in items:
            self.located(kind, row_number, create, data)
        return ImportResult(kind=kind, created=len(items), rows=len(items))

    def located(self, kind: K, row: int, step: Callable[[Any], Any], value: Any) -> Any:
        """Runs one row's parse or create step; any error is re-raised naming row and column."""
        try:
            return step(value)
        except CellError as error:
            raise at(row, error.column, error.message, InvalidInput) from None
        except LawcamError as error:
            field = str(error.details.get("field", ""))
            column = self.fields[kind].get(field)
            message = error.message + self.hints.get((kind, field), "")
            # A permission problem stays one (403 / refused), located like the others.
            cls = Forbidden if isinstance(error, Forbidden) else InvalidInput
            raise at(row, column, message, cls, cause=error.code) from error

    def read_header(self, rows: Iterator[Row]) -> tuple[K, int, dict[str, int]]:
        """The kind of sheet, the header's row number and each header's position."""
        for row_number, values in rows:
            headers = [self.normalize(v) for v in values]
            if any(headers):
                return self.match_header(headers, row_number)
        raise InvalidInput(self.header_help)

    def match_header(self, headers: list[str], row: int) -> tuple[K, int, dict[str, int]]:
        named = [h for h in headers if h]
        known = {kind: {c.header for c in columns} for kind, columns in self.columns.items()}
        scores = {kind: sum(h in known[kind] for h in named) for kind in self.columns}
        best = sorted(self.columns, key=lambda k: scores[k], reverse=True)
        kind = best[0]
        if scores[kind] == 0 or (len(best) > 1 and scores[kind] == scores[best[1]]):
            raise InvalidInput(self.header_help, row=row)
        label = kind.label
        expected = "、".join(c.header for c in self.columns[kind])
        positions: dict[str, int] = {}
        for index, header in enumerate(headers):
            if not header:
                continue
            if header not in known[kind]:
                raise InvalidInput(
                    f"第 {row} 行：无法识别的列名“{header}”。{label}的列名为：{expected}。"
                    "请使用 lawcam template 生成的模板。",
                    row=row,
                    column=header,
                )
            if header in positions:
                raise InvalidInput(f"第 {row} 行：列名“{header}”重复出现。", row=row, column=header)
            positions[header] = index
        for column in self.columns[kind]:
            if column.required and column.header not in positions:
                raise InvalidInput(
                    f"第 {row} 行：{label}缺少必填列“{column.header}”。"
                    f"{label}的列名为：{expected}。",
                    row=row,
                    column=column.header,
                )
        return kind, row, positions
