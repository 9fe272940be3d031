"""The list of enforcement activities as .xlsx (第十条、第十二条、第十四条): one row per activity
with its coverage, interruptions and late uploads, as the office keeps such lists in Excel.
The caller gives the rows it may see (``activities.queries.list_activities``); nothing is read
here. Times are Beijing time; cells starting with “=” stay text (no formula injection)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lawcam.activities.models import Activity
from lawcam.activities.types import ActivityKind
from lawcam.reports.exports import write_table
from lawcam.timeutil import SHANGHAI

SHEET = "执法活动"
HEADERS = (
    "活动编号",
    "单位",
    "类别",
    "执法地点",
    "到场时间",
    "结束时间",
    "在场执法人员",
    "是否告知",
    "拒绝或阻挠",
    "案件编号",
    "覆盖率",
    "未说明中断",
    "迟交资料",
    "上传截止",
)
WIDTHS = (10, 16, 12, 30, 18, 18, 30, 10, 12, 16, 10, 12, 10, 18)


def coverage_text(activity: Activity) -> str:
    """无录像 when nothing covers any of it, else the percentage to one decimal."""
    if activity.no_recording:
        return "无录像"
    return f"{activity.coverage * 100:.1f}%"


def announced_text(value: bool | None) -> str:
    return {True: "已告知", False: "未告知", None: "未填写"}[value]


def _time(activity_time: Any) -> str:
    return str(activity_time.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))


def _values(activity: Activity) -> list[Any]:
    officers = "、".join(
        f"{o.person.name}（{o.person.badge}）" if o.person.badge else o.person.name
        for o in activity.officers
    )
    return [
        activity.id,
        activity.unit.name,
        ActivityKind(activity.kind).label,
        activity.place,
        _time(activity.arrived_at),
        _time(activity.ended_at),
        officers,
        announced_text(activity.announced),
        "是" if activity.obstructed else "否",
        activity.case_number,
        coverage_text(activity),
        activity.unexplained,
        activity.late_uploads,
        _time(activity.upload_deadline),
    ]


def write_activities_xlsx(path: Path, rows: Sequence[Activity]) -> int:
    """The rows given, in their order, under a bold Chinese header; returns the rows written."""
    return write_table(path, SHEET, HEADERS, WIDTHS, (_values(activity) for activity in rows))
