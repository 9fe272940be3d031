"""Who saw what (第十五条) as .xlsx for the security auditor: one row per use or refused attempt,
as ``access.uses`` reads them from the audit log. Times are Beijing time; text stays text."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lawcam.access.uses import Use
from lawcam.reports.exports import write_table
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
    return write_table(path, "调阅记录", HEADERS, WIDTHS, (_values(use) for use in rows))
