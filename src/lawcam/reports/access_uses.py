"""Who saw what (第十五条) as .xlsx for the security auditor: one row per use or refused attempt,
as ``access.uses`` reads them from the audit log. Times are Beijing time; text stays text."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from lawcam.access.uses import Use
from lawcam.timeutil import SHANGHAI

HEADERS = ("审计序号", "时间", "人员", "用途", "资料", "依据的申请", "说明")
WIDTHS = (10, 18, 24, 14, 24, 12, 60)


def _values(use: Use) -> list[object]:
    return [
        use.seq,
        use.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        use.who,
        use.what,
        "、".join(f"#{r}" for r in use.recordings),
        f"#{use.grant}" if use.grant else "",
        use.detail,
    ]


def write_uses_xlsx(path: Path, rows: Sequence[Use]) -> int:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "调阅记录"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for index, (header, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font, cell.fill = bold, fill
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    for number, use in enumerate(rows, start=2):
        for column, value in enumerate(_values(use), start=1):
            cell = sheet.cell(row=number, column=column, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"
    workbook.save(path)
    return len(rows)
