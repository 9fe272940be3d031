"""Exports of the equipment registers as .xlsx (item 8): the device register (R5.1) and the
ratio report (R6.1, R6.2), over the equipment queries and only what the actor may see.

Cells that start with “=” are written as text, never as formulas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor
from lawcam.equipment import queries
from lawcam.equipment.types import STATUS_LABELS, Category, DeviceStatus, RatioRow
from lawcam.errors import NotFound
from lawcam.org.models import Unit
from lawcam.org.types import UnitClass

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
    header_row(sheet, REGISTER_HEADERS, REGISTER_WIDTHS)
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
            cell = put_cell(sheet, index, column, value)
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
    header_row(sheet, RATIO_HEADERS, RATIO_WIDTHS)
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, row in enumerate([*rows, office], start=2):
        for column, value in enumerate(_ratio_values(row), start=1):
            cell = put_cell(sheet, index, column, value)
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


def write_table(
    path: Path,
    title: str,
    headers: Sequence[str],
    widths: Sequence[int],
    rows: Iterable[Sequence[Any]],
) -> int:
    """One sheet: a bold header frozen above the rows, text kept text; returns the rows written."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    header_row(sheet, headers, widths)
    count = 0
    for count, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            put_cell(sheet, count + 1, column, value)
    workbook.save(path)
    return count


def header_row(sheet: Any, headers: Sequence[str], widths: Sequence[int]) -> None:
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font, cell.fill = bold, fill
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def put_cell(sheet: Any, row: int, column: int, value: Any) -> Any:
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
