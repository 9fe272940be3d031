"""Equipment spreadsheets (item 8): templates and bulk import of models, devices and
procurement records, and exports of the device register and the ratio report.

The import follows ``lawcam.org.spreadsheets`` exactly and reuses its file reading: an .xlsx or
a .csv (UTF-8, UTF-8 with BOM, or GB18030), the kind of sheet recognised from its Chinese header
row, empty rows skipped, every error naming the row as Excel numbers it and the column header
(“第 N 行“列名”：…”). Three passes: parse every row, check the whole file against itself and
the database in a few queries, then create each row through the real services
(``create_model``, ``create_device``, ``record_procurement``) so the rules and the audit rows are
those of the UI and the API. All or nothing: nothing is committed here, the caller's unit of
work commits or rolls back. One summary audit row closes a successful import.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Action, Actor
from lawcam.equipment import procurement as procurements
from lawcam.equipment import queries, service
from lawcam.equipment.models import Device, DeviceModel
from lawcam.equipment.types import (
    CATEGORY_LABELS,
    FEATURE_LABELS,
    STATUS_LABELS,
    Category,
    DeviceIn,
    DeviceStatus,
    Feature,
    ModelIn,
    ProcurementIn,
    QualityStatus,
    RatioRow,
)
from lawcam.errors import Forbidden, InvalidInput, LawcamError, NotFound
from lawcam.org.models import Unit, Zone
from lawcam.org.spreadsheets import (
    HELP_SHEET,
    Cells,
    Column,
    Row,
    _at,
    _CellError,
    _cells,
    _integer,
    _open_rows,
    _split,
    _text,
)
from lawcam.org.types import UnitClass


class EquipmentSheet(StrEnum):
    MODELS = "models"
    DEVICES = "devices"
    PROCUREMENT = "procurement"

    @property
    def label(self) -> str:
        return {"models": "型号表", "devices": "设备表", "procurement": "采购表"}[self.value]


@dataclass(frozen=True)
class ImportResult:
    """The shape of ``lawcam.org.spreadsheets.ImportResult``, for the equipment sheets."""

    kind: EquipmentSheet
    created: int  # models, devices or procurement records created
    rows: int  # data rows read (fully empty rows are skipped and not counted)


IMPORT_DONE = "equipment:import:complete"  # the summary audit row of one import

# --- columns -------------------------------------------------------------------------------

MAKER, MODEL, CATEGORY, VIDEO, PHOTO, BATTERY, HOURS, STORAGE, IP, FEATURES = (
    "生产厂家",
    "型号",
    "类别",
    "视频分辨率",
    "照片像素(百万)",
    "电池容量(mAh)",
    "连续录像(小时)",
    "存储容量(GB)",
    "防护等级",
    "功能",
)
ASSET, SERIAL, UNIT, ZONE, PRICE, NEED, COMMISSIONED, FIRMWARE, PROCUREMENT_NO = (
    "资产编号",
    "序列号",
    "所属单位",
    "办案专区",
    "购置价格(元)",
    "执法需求",
    "启用日期",
    "固件版本",
    "采购记录编号",
)
YEAR, PURCHASED, SUPPLIER, QUANTITY, UNIT_PRICE, NOTE = (
    "年度",
    "采购日期",
    "供应商",
    "数量",
    "单价(元)",
    "备注",
)

_CATEGORY_WORDS: dict[str, Category] = {
    **{label: c for c, label in CATEGORY_LABELS.items()},
    **{c.value: c for c in Category},
    "采集存储设备": Category.STORAGE,
    "采集站": Category.STORAGE,
    "存储服务器": Category.STORAGE,
    "采集存储设备(采集站、存储服务器)": Category.STORAGE,
}
_FEATURE_WORDS: dict[str, Feature] = {
    **{label: f for f, label in FEATURE_LABELS.items()},
    **{f.value: f for f in Feature},
}
_CATEGORY_ALLOWED = "、".join(CATEGORY_LABELS.values())
_FEATURE_ALLOWED = "、".join(FEATURE_LABELS.values())
_ID_RULE = "字母、数字和“-_/.”，1 至 64 位"
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_CHUNK = 1000  # values per IN (...) query

COLUMNS: dict[EquipmentSheet, tuple[Column, ...]] = {
    EquipmentSheet.MODELS: (
        Column(MAKER, True, "生产厂家名称。", "最多 100 字"),
        Column(MODEL, True, "产品型号，在系统中不能重复。设备表按此名称引用型号。", "最多 100 字"),
        Column(CATEGORY, True, "设备类别（第二条，R2.1）。", _CATEGORY_ALLOWED),
        Column(VIDEO, False, "最高视频分辨率（R7.1）。", "宽×高，如 1920x1080"),
        Column(PHOTO, False, "照片有效像素，单位百万（R7.1）。", "数字，如 36"),
        Column(BATTERY, False, "电池容量，单位毫安时（R7.1）。", "整数，如 3400"),
        Column(HOURS, False, "额定连续录像时间，单位小时（R7.1）。", "数字，如 10"),
        Column(STORAGE, False, "存储容量，单位 GB（R7.1）。", "整数，如 64"),
        Column(IP, False, "防护等级（R7.1）。", "如 IP67、IP68"),
        Column(
            FEATURES,
            False,
            "具备的功能（R7.1、R7.2），可填多个。",
            _FEATURE_ALLOWED + "；多个之间用“、”或“，”分隔",
        ),
    ),
    EquipmentSheet.DEVICES: (
        Column(ASSET, True, "固定资产编号，在系统中不能重复。", _ID_RULE, text=True),
        Column(SERIAL, True, "设备序列号（出厂编号），在系统中不能重复。", _ID_RULE, text=True),
        Column(MODEL, True, "设备型号，须已在系统中（请先导入型号表）。", "已有型号的名称"),
        Column(UNIT, True, "设备所属单位，须是系统中已有的在用单位。", "已有单位的名称"),
        Column(ZONE, False, "设备所在的办案专区（R5.2），须是所属单位的办案专区。", "选填"),
        Column(PRICE, True, "购置价格，单位元。", "大于 0 的金额，最多两位小数"),
        Column(
            NEED,
            True,
            "该设备服务的执法需求。与执法无关的设备严禁配备，不能为空（第五条，R5.1）。",
            "最多 500 字",
        ),
        Column(COMMISSIONED, False, "启用日期。", "日期，如 2026-03-01"),
        Column(FIRMWARE, False, "固件版本。", "最多 100 字", text=True),
        Column(
            PROCUREMENT_NO,
            False,
            "设备所属采购记录的编号（R8.1）。采购须已经计划财务处批准，单位和型号须一致。",
            "整数",
        ),
    ),
    EquipmentSheet.PROCUREMENT: (
        Column(UNIT, True, "采购单位，须是系统中已有的在用单位。", "已有单位的名称"),
        Column(YEAR, False, "预算年度（R8.1）。不填则取采购日期的年份。", "2000 至 2100"),
        Column(PURCHASED, True, "采购日期，不能晚于今天。", "日期，如 2026-03-01"),
        Column(SUPPLIER, True, "供应商名称。", "最多 200 字"),
        Column(MODEL, True, "采购的型号，须已在系统中（请先导入型号表）。", "已有型号的名称"),
        Column(QUANTITY, True, "采购数量。", f"1 至 {procurements.MAX_QUANTITY} 的整数"),
        Column(UNIT_PRICE, True, "单价，单位元。", "大于 0 的金额，最多两位小数"),
        Column(NOTE, False, "备注。", "最多 500 字"),
    ),
}
SHEET_TITLES = {
    EquipmentSheet.MODELS: "型号",
    EquipmentSheet.DEVICES: "设备",
    EquipmentSheet.PROCUREMENT: "采购",
}
_ACTIONS = {
    EquipmentSheet.MODELS: Action.MODEL_MANAGE,
    EquipmentSheet.DEVICES: Action.DEVICE_MANAGE,
    EquipmentSheet.PROCUREMENT: Action.PROCUREMENT_RECORD,
}

# The services name the offending field; these are the columns the user sees.
FIELD_COLUMNS: dict[EquipmentSheet, dict[str, str]] = {
    EquipmentSheet.MODELS: {
        "maker": MAKER,
        "model": MODEL,
        "category": CATEGORY,
        "video": VIDEO,
        "photo_mp": PHOTO,
        "battery_mah": BATTERY,
        "record_hours": HOURS,
        "storage_gb": STORAGE,
        "ip_rating": IP,
        "features": FEATURES,
    },
    EquipmentSheet.DEVICES: {
        "asset_no": ASSET,
        "serial": SERIAL,
        "model": MODEL,
        "unit": UNIT,
        "zone": ZONE,
        "price": PRICE,
        "need": NEED,
        "commissioned_on": COMMISSIONED,
        "firmware": FIRMWARE,
        "procurement_id": PROCUREMENT_NO,
    },
    EquipmentSheet.PROCUREMENT: {
        "unit": UNIT,
        "year": YEAR,
        "purchased_on": PURCHASED,
        "supplier": SUPPLIER,
        "model": MODEL,
        "quantity": QUANTITY,
        "unit_price": UNIT_PRICE,
        "note": NOTE,
    },
}
_HINTS = {
    (EquipmentSheet.DEVICES, "model"): "型号须已在系统中，请先导入型号表。",
    (EquipmentSheet.PROCUREMENT, "model"): "型号须已在系统中，请先导入型号表。",
}
_HEADER_HELP = (
    "无法识别表头：第一行应为型号表、设备表或采购表的列名，请使用 lawcam template 生成的模板。"
)


# --- template ------------------------------------------------------------------------------


def write_equipment_template(kind: EquipmentSheet, path: Path) -> None:
    """An empty sheet with the header row, and a “说明” sheet explaining each column."""
    kind = EquipmentSheet(kind)
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
            # Asset numbers and serials stay text: Excel would otherwise drop leading zeros.
            sheet.column_dimensions[letter].number_format = "@"
        elif column.header in (COMMISSIONED, PURCHASED):
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
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
    for letter, width in zip("ABCD", (16, 10, 60, 50), strict=True):
        notes.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in notes.iter_rows(min_row=2, max_row=len(columns) + 1):
        for cell in row:
            cell.alignment = wrap
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def _add_choices(sheet: Any, columns: Sequence[Column]) -> None:
    # Excel limits a list validation to 255 characters; the category labels fit.
    lists = {CATEGORY: '"' + ",".join(CATEGORY_LABELS.values()) + '"'}
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


def _general_notes(kind: EquipmentSheet) -> list[str]:
    lines = [
        f"填写说明（{kind.label}）：",
        f"1. 在“{SHEET_TITLES[kind]}”工作表第 2 行起每行填写一条，第 1 行的列名不要修改；"
        "列的顺序可以调整，不用的选填列可以删除。",
        "2. 导入时全部检查通过才会保存；任何一行有错，整个文件都不保存，"
        "错误信息会指出出错的行号和列名，改正后重新导入即可。",
        "3. 空行会被跳过。也可以另存为 CSV（UTF-8 或 GBK 编码）后导入。",
    ]
    if kind is EquipmentSheet.MODELS:
        lines.append("4. 型号导入后即为“合格”状态；信息通信保障部可在系统中暂停使用某型号。")
    elif kind is EquipmentSheet.DEVICES:
        lines.append("4. 型号和所属单位须已在系统中，请先导入单位表和型号表。")
    else:
        lines.append("4. 导入的采购记录为“待审批”状态，须经计划财务处批准（R8.1）。")
    return lines


# --- import --------------------------------------------------------------------------------

Parsed = ModelIn | DeviceIn | ProcurementIn
P = TypeVar("P", bound=Parsed)


def import_equipment_file(*, session: Session, actor: Actor, path: Path) -> ImportResult:
    """Create every row of the file, or raise on a bad one. Never commits.

    The kind (models, devices, procurement) is recognised from the header row. A bad row near
    the end of a large file is reported before anything is written: every row is parsed, then
    the whole file is checked against itself and the database, then the services run."""
    path = Path(path)
    with _open_rows(path) as rows:
        kind, header_row, positions = _read_header(rows)
        actor.require(_ACTIONS[kind])
        parse = _PARSERS[kind]
        items: list[tuple[int, Parsed]] = []
        for row_number, values in rows:
            cells = _cells(values, positions, row_number, header_row)
            if cells is not None:
                items.append((row_number, _located(kind, row_number, parse, cells)))
    if not items:
        raise InvalidInput("文件中没有数据行。")
    _PRECHECKS[kind](session, actor, items)
    create = _creator(kind, session, actor)
    for row_number, data in items:
        _located(kind, row_number, create, data)
    count = len(items)
    record(
        session,
        actor,
        IMPORT_DONE,
        ("import", path.name),
        None,
        {"kind": kind.value, "rows": count, "created": count},
    )
    return ImportResult(kind=kind, created=count, rows=count)


def _creator(kind: EquipmentSheet, session: Session, actor: Actor) -> Callable[[Any], Any]:
    if kind is EquipmentSheet.MODELS:
        return lambda data: service.create_model(session=session, actor=actor, data=data)
    if kind is EquipmentSheet.DEVICES:
        return lambda data: service.create_device(session=session, actor=actor, data=data)
    return lambda data: procurements.record_procurement(session=session, actor=actor, data=data)


def _located(kind: EquipmentSheet, row: int, step: Callable[[Any], Any], value: Any) -> Any:
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


def _read_header(rows: Iterator[Row]) -> tuple[EquipmentSheet, int, dict[str, int]]:
    for row_number, values in rows:
        headers = [_header(v) for v in values]
        if any(headers):
            return _match_header(headers, row_number)
    raise InvalidInput(_HEADER_HELP)


def _header(value: Any) -> str:
    """A header cell, forgiving full-width brackets and spaces: “单价（元）” is “单价(元)”."""
    text = _text(value).replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", text)


def _match_header(headers: list[str], row: int) -> tuple[EquipmentSheet, int, dict[str, int]]:
    named = [h for h in headers if h]
    known = {kind: {c.header for c in COLUMNS[kind]} for kind in EquipmentSheet}
    scores = {kind: sum(h in known[kind] for h in named) for kind in EquipmentSheet}
    best = sorted(EquipmentSheet, key=lambda k: scores[k], reverse=True)
    kind = best[0]
    if scores[kind] == 0 or scores[kind] == scores[best[1]]:
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
                f"第 {row} 行：{kind.label}缺少必填列“{column.header}”。"
                f"{kind.label}的列名为：{expected}。",
                row=row,
                column=column.header,
            )
    return kind, row, positions


# --- cells ---------------------------------------------------------------------------------


def _required(cells: Cells, column: str) -> str:
    text = _text(cells.get(column))
    if not text:
        raise _CellError(column, f"{column}不能为空。")
    return text


def _number(cells: Cells, column: str) -> float | None:
    value = cells.get(column)
    if isinstance(value, bool):
        raise _CellError(column, "须填写数字。")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = _text(value)
        if not text:
            return None
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise _CellError(column, f"须填写数字，而不是“{text}”。") from None
    if not math.isfinite(number):
        raise _CellError(column, "须填写数字。")
    return number


def _amount(cells: Cells, column: str, what: str, field: str) -> Decimal:
    value = cells.get(column)
    if isinstance(value, bool):
        raise _CellError(column, f"{what}须为金额（元），如 3280.00。")
    text = _text(value)
    if not text:
        raise _CellError(column, f"{what}不能为空。")
    if "nan" in text.lower():  # Decimal("NaN") would get past money() as a decimal error
        raise _CellError(column, f"{what}须为金额（元），如 3280.00。")
    return service.money(text, what, field=field)


def _date(cells: Cells, column: str) -> date | None:
    value = cells.get(column)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    match = _DATE_TEXT.match(text)
    if match is not None:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            pass
    else:
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            pass
    raise _CellError(column, f"须填写日期，如 2026-03-01，而不是“{text}”。")


def _category(cells: Cells) -> Category:
    text = _text(cells.get(CATEGORY))
    if not text:
        raise _CellError(CATEGORY, "类别不能为空。")
    key = _header(text)
    category = _CATEGORY_WORDS.get(key) or _CATEGORY_WORDS.get(key.lower())
    if category is None:
        raise _CellError(CATEGORY, f"无法识别的类别“{text}”。可填写：{_CATEGORY_ALLOWED}。")
    return category


def _features(cells: Cells) -> tuple[Feature, ...]:
    found: list[Feature] = []
    for word in _split(_text(cells.get(FEATURES))):
        feature = _FEATURE_WORDS.get(word) or _FEATURE_WORDS.get(word.lower())
        if feature is None:
            raise _CellError(FEATURES, f"无法识别的功能“{word}”。可填写：{_FEATURE_ALLOWED}。")
        if feature in found:
            raise _CellError(FEATURES, f"功能“{feature.label}”重复填写。")
        found.append(feature)
    return tuple(found)


# --- rows → service inputs -----------------------------------------------------------------


def _parse_model(cells: Cells) -> ModelIn:
    width, height = service.parse_resolution(_text(cells.get(VIDEO)))
    return ModelIn(
        maker=_required(cells, MAKER),
        model=_required(cells, MODEL),
        category=_category(cells),
        video_width=width,
        video_height=height,
        photo_mp=_number(cells, PHOTO),
        battery_mah=_integer(cells, BATTERY),
        record_hours=_number(cells, HOURS),
        storage_gb=_integer(cells, STORAGE),
        ip_rating=_text(cells.get(IP)) or None,
        features=_features(cells),
    )


def _parse_device(cells: Cells) -> DeviceIn:
    need = " ".join(_text(cells.get(NEED)).split())
    if not need:
        # R5.1: checked here too, so the whole file is refused before anything is written.
        raise _CellError(
            NEED, "须填写该设备服务的执法需求：与执法无关的设备严禁配备（第五条，R5.1）。"
        )
    return DeviceIn(
        serial=_required(cells, SERIAL),
        asset_no=_required(cells, ASSET),
        model=_required(cells, MODEL),
        unit=_required(cells, UNIT),
        price=_amount(cells, PRICE, "购置价格", "price"),
        need=need,
        zone=_text(cells.get(ZONE)) or None,
        commissioned_on=_date(cells, COMMISSIONED),
        firmware=_text(cells.get(FIRMWARE)),
        procurement_id=_integer(cells, PROCUREMENT_NO),
    )


def _parse_procurement(cells: Cells) -> ProcurementIn:
    purchased = _date(cells, PURCHASED)
    if purchased is None:
        raise _CellError(PURCHASED, "采购日期不能为空。")
    year = _integer(cells, YEAR)
    quantity = _integer(cells, QUANTITY)
    if quantity is None:
        raise _CellError(QUANTITY, "数量不能为空。")
    return ProcurementIn(
        unit=_required(cells, UNIT),
        year=purchased.year if year is None else year,
        purchased_on=purchased,
        supplier=_required(cells, SUPPLIER),
        model=_required(cells, MODEL),
        quantity=quantity,
        unit_price=_amount(cells, UNIT_PRICE, "单价", "unit_price"),
        note=_text(cells.get(NOTE)),
    )


_PARSERS: dict[EquipmentSheet, Callable[[Cells], Parsed]] = {
    EquipmentSheet.MODELS: _parse_model,
    EquipmentSheet.DEVICES: _parse_device,
    EquipmentSheet.PROCUREMENT: _parse_procurement,
}


# --- whole-file checks (one query per kind of reference; the services check again) ----------


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _existing(session: Session, column: Any, values: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(values):
        found.update(session.scalars(select(column).where(column.in_(chunk))))
    return found


def _typed(items: list[tuple[int, Parsed]], cls: type[P]) -> list[tuple[int, P]]:
    return [(row, data) for row, data in items if isinstance(data, cls)]


def _precheck_models(session: Session, actor: Actor, items: list[tuple[int, Parsed]]) -> None:
    rows = _typed(items, ModelIn)
    taken = _existing(session, DeviceModel.model, (d.model.strip() for _, d in rows))
    first: dict[str, int] = {}
    for row, data in rows:
        name = data.model.strip()
        if name in taken:
            raise _at(row, MODEL, f"型号“{name}”已存在。", InvalidInput, cause="conflict")
        if name in first:
            raise _at(
                row,
                MODEL,
                f"型号“{name}”与第 {first[name]} 行重复。",
                InvalidInput,
                cause="conflict",
            )
        first[name] = row


def _units(
    session: Session, actor: Actor, action: Action, rows: Sequence[tuple[int, Any]]
) -> dict[str, Unit]:
    """The rows' units by name; an unknown, inactive or out-of-scope unit fails its row."""
    names = {data.unit.strip() for _, data in rows}
    units: dict[str, Unit] = {}
    for chunk in _chunks(names):
        units.update((u.name, u) for u in session.scalars(select(Unit).where(Unit.name.in_(chunk))))
    visible = queries.visible_unit_ids(session, actor, action)
    for row, data in rows:
        unit = units.get(data.unit.strip())
        if unit is None or not unit.is_active:
            message = f"单位“{data.unit.strip()}”不存在或已停用。"
            raise _at(row, UNIT, message, InvalidInput, cause="invalid_input")
        if visible is not None and unit.id not in visible:
            message = f"您只能办理本单位的事项，不能操作“{unit.name}”。"
            raise _at(row, UNIT, message, Forbidden, cause="forbidden")
    return units


def _models(session: Session, rows: Sequence[tuple[int, Any]], *, usable: bool) -> None:
    names = {data.model.strip() for _, data in rows}
    models: dict[str, DeviceModel] = {}
    for chunk in _chunks(names):
        found = session.scalars(select(DeviceModel).where(DeviceModel.model.in_(chunk)))
        models.update((m.model, m) for m in found)
    for row, data in rows:
        model = models.get(data.model.strip())
        if model is None:
            message = f"型号“{data.model.strip()}”不存在。型号须已在系统中，请先导入型号表。"
            raise _at(row, MODEL, message, InvalidInput, cause="invalid_input")
        if usable and model.quality_status == QualityStatus.SUSPENDED.value:
            message = f"型号“{model.model}”已被信息通信保障部暂停使用：{model.quality_reason}"
            raise _at(row, MODEL, message, InvalidInput, cause="conflict")


def _precheck_devices(session: Session, actor: Actor, items: list[tuple[int, Parsed]]) -> None:
    rows = _typed(items, DeviceIn)
    units = _units(session, actor, Action.DEVICE_MANAGE, rows)
    _models(session, rows, usable=True)
    serials = _existing(session, Device.serial, (d.serial.strip() for _, d in rows))
    assets = _existing(session, Device.asset_no, (d.asset_no.strip() for _, d in rows))
    unit_ids = {u.id for u in units.values()}
    zones = {
        (unit_id, name)
        for unit_id, name in session.execute(
            select(Zone.unit_id, Zone.name).where(Zone.unit_id.in_(unit_ids))
        )
    }
    first_serial: dict[str, int] = {}
    first_asset: dict[str, int] = {}
    for row, data in rows:
        serial, asset = data.serial.strip(), data.asset_no.strip()
        for value, taken, first, column, what in (
            (serial, serials, first_serial, SERIAL, "序列号"),
            (asset, assets, first_asset, ASSET, "资产编号"),
        ):
            if value in taken:
                raise _at(row, column, f"{what} {value} 已登记。", InvalidInput, cause="conflict")
            if value in first:
                message = f"{what} {value} 与第 {first[value]} 行重复。"
                raise _at(row, column, message, InvalidInput, cause="conflict")
            first[value] = row
        unit = units[data.unit.strip()]
        if data.zone and (unit.id, data.zone.strip()) not in zones:
            message = f"“{unit.name}”没有名为“{data.zone.strip()}”的办案专区（R5.2）。"
            raise _at(row, ZONE, message, InvalidInput, cause="invalid_input")


def _precheck_procurement(session: Session, actor: Actor, items: list[tuple[int, Parsed]]) -> None:
    rows = _typed(items, ProcurementIn)
    _units(session, actor, Action.PROCUREMENT_RECORD, rows)
    _models(session, rows, usable=False)


_PRECHECKS: dict[EquipmentSheet, Callable[[Session, Actor, list[tuple[int, Parsed]]], None]] = {
    EquipmentSheet.MODELS: _precheck_models,
    EquipmentSheet.DEVICES: _precheck_devices,
    EquipmentSheet.PROCUREMENT: _precheck_procurement,
}


# --- exports -------------------------------------------------------------------------------

REGISTER_SHEET = "设备台账"
REGISTER_HEADERS = (
    "资产编号",
    "序列号",
    "型号",
    "生产厂家",
    "类别",
    "单位",
    "办案专区",
    "状态",
    "购置价格(元)",
    "采购记录",
    "启用日期",
    "固件版本",
    "执法需求",
)
REGISTER_WIDTHS = (16, 18, 14, 14, 14, 16, 12, 8, 14, 10, 12, 12, 40)
RATIO_SHEET = "配备比例"
RATIO_HEADERS = ("单位", "类别", "执法人员数", "计入设备数", "应配台数", "缺口", "是否达标", "说明")
RATIO_WIDTHS = (20, 8, 12, 12, 10, 8, 10, 60)


def check_unit_visible(session: Session, actor: Actor, unit_id: int | None) -> None:
    """A unit the actor may not see answers as if it did not exist (404)."""
    actor.require(Action.EQUIPMENT_VIEW)
    if unit_id is None:
        return
    visible = queries.visible_unit_ids(session, actor, Action.EQUIPMENT_VIEW)
    if session.get(Unit, unit_id) is None or (visible is not None and unit_id not in visible):
        raise NotFound("未找到该单位。")


def export_device_register(
    *, session: Session, actor: Actor, path: Path, unit_id: int | None = None
) -> int:
    """The device register (R5.1) as one .xlsx sheet, the devices the actor may see."""
    check_unit_visible(session, actor, unit_id)
    devices = queries.list_devices(session=session, actor=actor, unit_id=unit_id)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = REGISTER_SHEET
    _header_row(sheet, REGISTER_HEADERS, REGISTER_WIDTHS)
    for index, device in enumerate(devices, start=2):
        values: tuple[Any, ...] = (
            device.asset_no,
            device.serial,
            device.model.model,
            device.model.maker,
            _category_label(device.model.category),
            device.unit.name,
            device.zone.name if device.zone else "",
            _status_label(device.status),
            device.purchase_price,
            device.procurement_id,
            device.commissioned_on,
            device.firmware,
            device.need,
        )
        for column, value in enumerate(values, start=1):
            cell = _put(sheet, index, column, value)
            if column == 9:
                cell.number_format = "#,##0.00"
            elif column == 11:
                cell.number_format = "yyyy-mm-dd"
    if devices:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(REGISTER_HEADERS))}{len(devices) + 1}"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return len(devices)


def export_ratio(
    *, session: Session, actor: Actor, path: Path, now: datetime, repair_days: int
) -> None:
    """The ratio report (R6.1, R6.2): one row per unit, then the whole office in bold."""
    rows, office = queries.ratio_report(
        session=session, actor=actor, now=now, repair_days=repair_days
    )
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = RATIO_SHEET
    _header_row(sheet, RATIO_HEADERS, RATIO_WIDTHS)
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, row in enumerate([*rows, office], start=2):
        for column, value in enumerate(_ratio_values(row), start=1):
            cell = _put(sheet, index, column, value)
            if column == len(RATIO_HEADERS):
                cell.alignment = wrap
            if row is office:
                cell.font = Font(bold=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def _ratio_values(row: RatioRow) -> tuple[Any, ...]:
    compliant = ("是" if row.compliant else "否") if row.required is not None else "无法判断"
    notes = [row.note] if row.note else []
    if row.excluded:
        notes.append("未计入：" + "、".join(row.excluded))
    return (
        row.unit,
        UnitClass(row.unit_class).label if row.unit_class else "",
        row.officers,
        row.devices_counted,
        row.required,
        row.shortfall,
        compliant,
        "；".join(notes),
    )


def _header_row(sheet: Any, headers: Sequence[str], widths: Sequence[int]) -> None:
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font, cell.fill = bold, fill
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def _put(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Write one cell; text stays text even when it starts with “=” (no formula injection)."""
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def _category_label(code: str) -> str:
    try:
        return Category(code).label
    except ValueError:
        return code


def _status_label(code: str) -> str:
    try:
        return STATUS_LABELS[DeviceStatus(code)]
    except ValueError:
        return code
