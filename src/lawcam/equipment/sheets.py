"""Equipment spreadsheets (item 8): templates and bulk import of models, devices and
procurement records. The exports are in ``lawcam.reports.exports``.

The import follows ``lawcam.org.spreadsheets`` exactly and shares its machinery
(``lawcam.sheets``): an .xlsx or a .csv (UTF-8, UTF-8 with BOM, or GB18030), the kind of
sheet recognised from its Chinese header row, empty rows skipped, every error naming the row as
Excel numbers it and the column header (“第 N 行“列名”：…”). Three passes: parse every row,
check the whole file against itself and the database in a few queries
(``lawcam.equipment.sheet_checks``), then create each row through the real services
(``create_model``, ``create_device``, ``record_procurement``) so the rules and the audit rows are
those of the UI and the API. All or nothing: nothing is committed here, the caller's unit of
work commits or rolls back. One summary audit row closes a successful import.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from lawcam.audit.service import deferred
from lawcam.authz import Action, Actor
from lawcam.equipment import procurement as procurements
from lawcam.equipment import service
from lawcam.equipment.sheet_checks import PRECHECKS, Parsed
from lawcam.equipment.sheet_columns import (
    ASSET,
    BATTERY,
    CATEGORY,
    CATEGORY_ALLOWED,
    COLUMNS,
    COMMISSIONED,
    FEATURE_ALLOWED,
    FEATURES,
    FIELD_COLUMNS,
    FIRMWARE,
    HEADER_HELP,
    HINTS,
    HOURS,
    IP,
    MAKER,
    MODEL,
    NEED,
    NOTE,
    PHOTO,
    PRICE,
    PROCUREMENT_NO,
    PURCHASED,
    QUANTITY,
    SERIAL,
    SHEET_TITLES,
    STORAGE,
    SUPPLIER,
    UNIT,
    UNIT_PRICE,
    VIDEO,
    YEAR,
    ZONE,
    EquipmentSheet,
)
from lawcam.equipment.types import (
    CATEGORY_LABELS,
    FEATURE_LABELS,
    Category,
    DeviceIn,
    Feature,
    ModelIn,
    ProcurementIn,
)
from lawcam.errors import InvalidInput
from lawcam.org import spreadsheets as org_sheets
from lawcam.sheets import (
    CellError,
    Cells,
    ImportResult,
    SheetFormat,
    general_notes,
    integer,
    split,
    text,
    write_template,
)
from lawcam.timeutil import parse_day

__all__ = [
    "COLUMNS",
    "IMPORT_DONE",
    "EquipmentSheet",
    "ImportResult",
    "import_equipment_file",
    "write_equipment_template",
]

IMPORT_DONE = "equipment:import:complete"  # the summary audit row of one import

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

_ACTIONS = {
    EquipmentSheet.MODELS: Action.MODEL_MANAGE,
    EquipmentSheet.DEVICES: Action.DEVICE_MANAGE,
    EquipmentSheet.PROCUREMENT: Action.PROCUREMENT_RECORD,
}


# --- template ------------------------------------------------------------------------------


def write_equipment_template(kind: EquipmentSheet, path: Path) -> None:
    """An empty sheet with the header row, and a “说明” sheet explaining each column."""
    kind = EquipmentSheet(kind)
    write_template(
        path,
        title=SHEET_TITLES[kind],
        columns=COLUMNS[kind],
        # Excel limits a list validation to 255 characters; the category labels fit.
        choices={CATEGORY: '"' + ",".join(CATEGORY_LABELS.values()) + '"'},
        notes=_general_notes(kind),
        header_width=16,
        date_columns=(COMMISSIONED, PURCHASED),
    )


def _general_notes(kind: EquipmentSheet) -> list[str]:
    lines = general_notes(kind.label, SHEET_TITLES[kind])
    if kind is EquipmentSheet.MODELS:
        lines.append("4. 型号导入后即为“合格”状态；信息通信保障部可在系统中暂停使用某型号。")
    elif kind is EquipmentSheet.DEVICES:
        lines.append("4. 型号和所属单位须已在系统中，请先导入单位表和型号表。")
    else:
        lines.append("4. 导入的采购记录为“待审批”状态，须经计划财务处批准（第八条）。")
    return lines


# --- import --------------------------------------------------------------------------------


def import_equipment_file(
    *, session: Session, actor: Actor, path: Path
) -> ImportResult[EquipmentSheet]:
    """Create every row of the file, or raise on a bad one. Never commits.

    The kind (models, devices, procurement) is recognised from the header row. A bad row near
    the end of a large file is reported before anything is written: every row is parsed, then
    the whole file is checked against itself and the database, then the services run."""
    path = Path(path)

    def prepare(kind: EquipmentSheet) -> Callable[[Cells], Parsed]:
        actor.require(_ACTIONS[kind])
        return _PARSERS[kind]

    kind, items = FORMAT.read(path, prepare)
    PRECHECKS[kind](session, actor, items)
    with deferred(session):  # the log's lock for the last step only, not the whole import
        result = FORMAT.create(kind, items, _creator(kind, session, actor))
        org_sheets.record_import(session, actor, IMPORT_DONE, path, result)
    return result


def _creator(kind: EquipmentSheet, session: Session, actor: Actor) -> Callable[[Any], Any]:
    if kind is EquipmentSheet.MODELS:
        return lambda data: service.create_model(session=session, actor=actor, data=data)
    if kind is EquipmentSheet.DEVICES:
        return lambda data: service.create_device(session=session, actor=actor, data=data)
    return lambda data: procurements.record_procurement(session=session, actor=actor, data=data)


def _header(value: Any) -> str:
    """A header cell, forgiving full-width brackets and spaces: “单价（元）” is “单价(元)”."""
    written = text(value).replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", written)


FORMAT = SheetFormat(
    columns=COLUMNS,
    fields=FIELD_COLUMNS,
    hints=HINTS,
    header_help=HEADER_HELP,
    normalize=_header,
    # A workbook holding only the help sheet is refused with the units/people wording, as
    # before this module shared the file reading with lawcam.org.spreadsheets.
    no_sheet_help=org_sheets.HEADER_HELP,
)


# --- cells ---------------------------------------------------------------------------------


def _required(cells: Cells, column: str) -> str:
    written = text(cells.get(column))
    if not written:
        raise CellError(column, f"{column}不能为空。")
    return written


def _number(cells: Cells, column: str) -> float | None:
    value = cells.get(column)
    if isinstance(value, bool):
        raise CellError(column, "须填写数字。")
    if isinstance(value, int | float):
        number = float(value)
    else:
        written = text(value)
        if not written:
            return None
        try:
            number = float(written.replace(",", ""))
        except ValueError:
            raise CellError(column, f"须填写数字，而不是“{written}”。") from None
    if not math.isfinite(number):
        raise CellError(column, "须填写数字。")
    return number


def _amount(cells: Cells, column: str, what: str, field: str) -> Decimal:
    value = cells.get(column)
    if isinstance(value, bool):
        raise CellError(column, f"{what}须为金额（元），如 3280.00。")
    written = text(value)
    if not written:
        raise CellError(column, f"{what}不能为空。")
    if "nan" in written.lower():  # Decimal("NaN") would get past money() as a decimal error
        raise CellError(column, f"{what}须为金额（元），如 3280.00。")
    return service.money(written, what, field=field)


def _date(cells: Cells, column: str) -> date | None:
    value = cells.get(column)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    written = text(value)
    if not written:
        return None
    try:
        return parse_day(written, loose=True)
    except InvalidInput:
        pass
    try:  # a date and time written as text: the day is what counts
        return datetime.fromisoformat(written).date()
    except ValueError:
        raise CellError(column, f"须填写日期，如 2026-03-01，而不是“{written}”。") from None


def _category(cells: Cells) -> Category:
    written = text(cells.get(CATEGORY))
    if not written:
        raise CellError(CATEGORY, "类别不能为空。")
    key = _header(written)
    category = _CATEGORY_WORDS.get(key) or _CATEGORY_WORDS.get(key.lower())
    if category is None:
        raise CellError(CATEGORY, f"无法识别的类别“{written}”。可填写：{CATEGORY_ALLOWED}。")
    return category


def _features(cells: Cells) -> tuple[Feature, ...]:
    found: list[Feature] = []
    for word in split(text(cells.get(FEATURES))):
        feature = _FEATURE_WORDS.get(word) or _FEATURE_WORDS.get(word.lower())
        if feature is None:
            raise CellError(FEATURES, f"无法识别的功能“{word}”。可填写：{FEATURE_ALLOWED}。")
        if feature in found:
            raise CellError(FEATURES, f"功能“{feature.label}”重复填写。")
        found.append(feature)
    return tuple(found)


# --- rows → service inputs -----------------------------------------------------------------


def _parse_model(cells: Cells) -> ModelIn:
    width, height = service.parse_resolution(text(cells.get(VIDEO)))
    return ModelIn(
        maker=_required(cells, MAKER),
        model=_required(cells, MODEL),
        category=_category(cells),
        video_width=width,
        video_height=height,
        photo_mp=_number(cells, PHOTO),
        battery_mah=integer(cells, BATTERY),
        record_hours=_number(cells, HOURS),
        storage_gb=integer(cells, STORAGE),
        ip_rating=text(cells.get(IP)) or None,
        features=_features(cells),
    )


def _parse_device(cells: Cells) -> DeviceIn:
    need = " ".join(text(cells.get(NEED)).split())
    if not need:
        # R5.1: checked here too, so the whole file is refused before anything is written.
        raise CellError(NEED, "须填写该设备服务的执法需求：与执法无关的设备严禁配备（第五条）。")
    return DeviceIn(
        serial=_required(cells, SERIAL),
        asset_no=_required(cells, ASSET),
        model=_required(cells, MODEL),
        unit=_required(cells, UNIT),
        price=_amount(cells, PRICE, "购置价格", "price"),
        need=need,
        zone=text(cells.get(ZONE)) or None,
        commissioned_on=_date(cells, COMMISSIONED),
        firmware=text(cells.get(FIRMWARE)),
        procurement_id=integer(cells, PROCUREMENT_NO),
    )


def _parse_procurement(cells: Cells) -> ProcurementIn:
    purchased = _date(cells, PURCHASED)
    if purchased is None:
        raise CellError(PURCHASED, "采购日期不能为空。")
    year = integer(cells, YEAR)
    quantity = integer(cells, QUANTITY)
    if quantity is None:
        raise CellError(QUANTITY, "数量不能为空。")
    return ProcurementIn(
        unit=_required(cells, UNIT),
        year=purchased.year if year is None else year,
        purchased_on=purchased,
        supplier=_required(cells, SUPPLIER),
        model=_required(cells, MODEL),
        quantity=quantity,
        unit_price=_amount(cells, UNIT_PRICE, "单价", "unit_price"),
        note=text(cells.get(NOTE)),
    )


_PARSERS: dict[EquipmentSheet, Callable[[Cells], Parsed]] = {
    EquipmentSheet.MODELS: _parse_model,
    EquipmentSheet.DEVICES: _parse_device,
    EquipmentSheet.PROCUREMENT: _parse_procurement,
}
