"""The retention report as .xlsx (第十四条, R14.2): what expires by unit, the storage used and
projected by unit, and the projection month by month. Sizes are bytes (whole numbers); text
stays text."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font

from lawcam.reports.exports import header_row, put_cell
from lawcam.retention.reports import (
    AHEAD_MONTHS,
    HISTORY_MONTHS,
    Expiring,
    ExpiringRow,
    Storage,
    StorageRow,
)

EXPIRING_SHEET = "到期资料"
STORAGE_SHEET = "存储空间"
MONTHS_SHEET = "存储预测"


def _expiring_headers(days: Sequence[int]) -> list[str]:
    headers = ["单位", "已届满未销毁（条）", "已届满未销毁（字节）"]
    for d in days:
        headers += [f"{d} 天内届满（条）", f"{d} 天内届满（字节）"]
    return [*headers, "无限期保存（条）", "无限期保存（字节）"]


STORAGE_HEADERS = (
    "单位",
    "原始文件（字节）",
    "播放副本（字节）",
    "书面材料（字节）",
    "合计已用（字节）",
    f"近 {HISTORY_MONTHS} 个月月均新增（字节）",
    f"{AHEAD_MONTHS} 个月内届满（字节）",
    f"{AHEAD_MONTHS} 个月后预计（字节）",
)
MONTHS_HEADERS = ("截至", "预计已用（届满资料按期销毁，字节）", "不销毁时（字节）")


def write_retention_xlsx(path: Path, expiring: Expiring, storage: Storage) -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = EXPIRING_SHEET
    headers = _expiring_headers(expiring.days)
    rows = [_expiring_values(r, expiring.days) for r in expiring.rows]
    _table(first, headers, rows, _expiring_values(expiring.total, expiring.days))
    storage_rows = [_storage_values(r) for r in storage.rows]
    _table(
        workbook.create_sheet(STORAGE_SHEET),
        STORAGE_HEADERS,
        storage_rows,
        _storage_values(storage.total),
    )
    months = [(m.day, m.projected, m.without_disposal) for m in storage.months]
    _table(workbook.create_sheet(MONTHS_SHEET), MONTHS_HEADERS, months, None)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def _table(
    sheet: Any,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    total: Sequence[Any] | None,
) -> None:
    header_row(sheet, headers, [22, *([18] * (len(headers) - 1))])
    lines = [*rows, total] if total is not None else rows
    for index, values in enumerate(lines, start=2):
        for column, value in enumerate(values, start=1):
            cell = put_cell(sheet, index, column, value)
            if isinstance(value, int):
                cell.number_format = "#,##0"
            elif column == 1 and not isinstance(value, str):
                cell.number_format = "yyyy-mm-dd"
            if total is not None and values is total:
                cell.font = Font(bold=True)


def _expiring_values(row: ExpiringRow, days: Sequence[int]) -> list[Any]:
    values: list[Any] = [row.unit, row.overdue.count, row.overdue.size]
    for d in days:
        values += [row.within[d].count, row.within[d].size]
    return [*values, row.indefinite.count, row.indefinite.size]


def _storage_values(row: StorageRow) -> list[Any]:
    return [
        row.unit, row.recordings, row.copies, row.documents, row.used, round(row.monthly),
        row.expiring, row.projected,
    ]  # fmt: skip
