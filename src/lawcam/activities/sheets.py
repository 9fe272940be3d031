"""The activity list in Excel (第十条、第十二条): the template and the import. These units keep
their enforcement activities in spreadsheets; an import enters them as the form and the CLI do.

The whole file is checked before anything is written: every row is parsed and put through the
checks ``service.add_activity`` makes (unit, officers of the unit, times, the same activity
already registered), the rows are compared with each other (the same activity twice in the
file), and every bad row is listed with its row number, column and reason. Then all rows are
added through ``service.add_activity`` (each audited, and linked at once to the recordings
already received) in the caller's one transaction; one summary audit entry closes the import.

Reading files and cells is ``lawcam.sheets``, shared with the organisation and equipment sheets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from lawcam.activities import service
from lawcam.activities.service import ActivityData
from lawcam.activities.types import KIND_LABELS, ActivityKind
from lawcam.audit.service import deferred
from lawcam.authz import Action, Actor
from lawcam.config import Settings
from lawcam.errors import InvalidInput
from lawcam.org.spreadsheets import record_import
from lawcam.sheets import (
    CellError,
    Cells,
    Column,
    ImportResult,
    SheetFormat,
    at,
    general_notes,
    split,
    text,
    write_template,
    yes_no,
)
from lawcam.timeutil import SHANGHAI

IMPORT_DONE = "activity:import:complete"  # the summary audit entry of one import


class ActivitySheet(StrEnum):
    ACTIVITIES = "activities"

    @property
    def label(self) -> str:
        return "执法活动表"


# --- columns -------------------------------------------------------------------------------

UNIT, KIND, PLACE, ZONE, ARRIVED, ENDED = "单位", "类别", "地点", "办案区", "到场时间", "结束时间"
OFFICERS = "在场执法人员（执法证号，顿号或逗号分隔）"
ANNOUNCED, OBSTRUCTED, NOTE, CASE = "是否告知", "是否拒绝或阻挠", "情况", "案件编号"
NOTE_LIMIT, CASE_LIMIT = 1000, 100  # the columns' lengths in the database

KINDS_ALLOWED = "、".join(KIND_LABELS.values())
TIME_RULE = "北京时间，如 2026-11-30 09:05；也可带时区，如 2026-11-30T09:05+08:00"

COLUMNS = {
    ActivitySheet.ACTIVITIES: (
        Column(UNIT, True, "执法单位，须是系统中已有的在用单位。", "已有单位的名称"),
        Column(KIND, True, "执法活动的类别。", KINDS_ALLOWED),
        Column(PLACE, True, "执法地点。", "最多 500 字"),
        Column(ZONE, False, "在办案区内进行的，填写该单位的办案区名称。", "该单位已有的办案区"),
        Column(ARRIVED, True, "到达现场的时间：全过程记录从此时开始（第十条）。", TIME_RULE),
        Column(
            ENDED,
            True,
            "现场执法工作结束的时间；上传期限从此时起算 24 小时（第十四条）。",
            TIME_RULE,
        ),
        Column(
            OFFICERS,
            True,
            "在场的执法人员的执法证号，须是该单位的在职执法人员。行政执法一般应由两名以上执法人员进行。",
            "多个之间用“、”或“，”分隔",
            text=True,
        ),
        Column(
            ANNOUNCED,
            False,
            "是否已告知当事人正在进行音像记录（第十二条）；不填表示未说明。",
            "是、否",
        ),
        Column(OBSTRUCTED, False, "是否有人拒绝或阻挠记录（第十二条）；不填视为“否”。", "是、否"),
        Column(NOTE, False, "拒绝或阻挠的情况等需要说明的情况。", f"最多 {NOTE_LIMIT} 字"),
        Column(CASE, False, "已立案的，填写案件编号。", f"最多 {CASE_LIMIT} 字", text=True),
    )
}
# The service names the offending field; these are the columns the user sees.
FIELD_COLUMNS = {
    ActivitySheet.ACTIVITIES: {
        "unit": UNIT,
        "kind": KIND,
        "place": PLACE,
        "zone": ZONE,
        "arrived_at": ARRIVED,
        "ended_at": ENDED,
        "officer": OFFICERS,
        "officers": OFFICERS,
    }
}
HINTS = {(ActivitySheet.ACTIVITIES, "unit"): "单位须已在系统中，请先导入单位表。"}
HEADER_HELP = (
    "无法识别表头：第一行应为执法活动表的列名，请使用 lawcam template activities 生成的模板。"
)
TITLE = "执法活动"


def _header(value: Any) -> str:
    """A header cell as the template writes it, forgiving half-width brackets and commas and
    spaces; “在场执法人员” alone names the officers' column."""
    written = re.sub(r"\s+", "", text(value))
    written = written.replace("(", "（").replace(")", "）").replace(",", "，")
    return OFFICERS if written == "在场执法人员" else written


FORMAT = SheetFormat(
    columns=COLUMNS, fields=FIELD_COLUMNS, hints=HINTS, header_help=HEADER_HELP, normalize=_header
)


# --- template ------------------------------------------------------------------------------


def write_activity_template(path: Path) -> None:
    """An empty sheet with the header row, and a “说明” sheet explaining each column."""
    kind = ActivitySheet.ACTIVITIES
    notes = general_notes(kind.label, TITLE)
    notes.append(
        "4. 单位和在场执法人员须已在系统中；同一次执法活动（单位、类别、地点、时间和人员相同）只登记一次，已登记的不能再导入。"
    )
    notes.append(
        "5. 导入后，已收到的录像随即按时间和执法人员关联到各次活动，并计算全过程记录的覆盖情况（第十条）。"
    )
    write_template(
        path,
        title=TITLE,
        columns=COLUMNS[kind],
        choices={
            KIND: '"' + ",".join(KIND_LABELS.values()) + '"',
            ANNOUNCED: '"是,否"',
            OBSTRUCTED: '"是,否"',
        },
        notes=notes,
        header_width=22,
    )


# --- import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityImport(ImportResult[ActivitySheet]):
    activity_ids: tuple[int, ...] = ()  # in the file's order
    warnings: tuple[tuple[int, str], ...] = ()  # (row, warning): one officer where two are usual


def import_activities(
    *, session: Session, actor: Actor, settings: Settings, path: Path
) -> ActivityImport:
    """Add every row of the file, or raise naming every bad row. Never commits."""
    path = Path(path)

    def prepare(kind: ActivitySheet) -> Callable[[Cells], ActivityData]:
        actor.require(Action.ACTIVITY_RECORD)
        return lambda cells: _checked(session, actor, settings, cells)

    kind, items = FORMAT.read(path, prepare, check=_twice)
    added: list[tuple[int, list[str]]] = []

    def add(data: ActivityData) -> None:
        activity, warnings = service.add_activity(
            session=session, actor=actor, settings=settings, data=data
        )
        added.append((activity.id, warnings))

    with deferred(session):  # the log's lock for the last step only, not the whole import
        result = FORMAT.create(kind, items, add)
        record_import(session, actor, IMPORT_DONE, path, result)
    warned = [(row, w) for (row, _), (_, ws) in zip(items, added, strict=True) for w in ws]
    return ActivityImport(
        result.kind, result.created, result.rows, tuple(i for i, _ in added), tuple(warned)
    )


def _twice(items: list[tuple[int, ActivityData]]) -> list[InvalidInput]:
    """The same activity twice in the file: the later rows are bad."""
    first: dict[str, int] = {}
    bad = []
    for row, data in items:
        key = service.entry_key(data)
        if key in first:
            message = (
                f"与第 {first[key]} 行是同一次执法活动（单位、类别、地点、到场和结束时间、"
                "在场执法人员相同），不能重复登记。"
            )
            bad.append(at(row, ARRIVED, message, InvalidInput, cause="conflict"))
        else:
            first[key] = row
    return [e for e in bad if isinstance(e, InvalidInput)]


# --- a row → the service's input -----------------------------------------------------------


def _checked(session: Session, actor: Actor, settings: Settings, cells: Cells) -> ActivityData:
    """The row as the service takes it, put through the service's checks (nothing written)."""
    data = service.data_named(
        session,
        unit=_required(cells, UNIT),
        officers=_officers(cells),
        zone=text(cells.get(ZONE)) or None,
        kind=_kind(cells),
        place=_required(cells, PLACE),
        arrived_at=_moment(cells, ARRIVED),
        ended_at=_moment(cells, ENDED),
        announced=_stated(cells, ANNOUNCED),
        obstructed=yes_no(cells, OBSTRUCTED),
        obstruction_note=_limited(cells, NOTE, NOTE_LIMIT),
        case_number=_limited(cells, CASE, CASE_LIMIT),
    )
    service.check_activity(session=session, actor=actor, settings=settings, data=data)
    return data


def _required(cells: Cells, column: str) -> str:
    written = text(cells.get(column))
    if not written:
        raise CellError(column, f"{column}不能为空。")
    return written


def _limited(cells: Cells, column: str, limit: int) -> str:
    written = text(cells.get(column))
    if len(written) > limit:
        raise CellError(column, f"最多 {limit} 字，本格有 {len(written)} 字。")
    return written


def _officers(cells: Cells) -> list[str]:
    badges = list(split(text(cells.get(OFFICERS))))
    if not badges:
        raise CellError(OFFICERS, "至少填写一名在场执法人员的执法证号。")
    return badges


def _kind(cells: Cells) -> ActivityKind:
    written = re.sub(r"\s+", "", text(cells.get(KIND)))
    for kind, label in KIND_LABELS.items():
        if written in (label, kind.value):
            return kind
    if not written:
        raise CellError(KIND, "类别不能为空。")
    raise CellError(KIND, f"无法识别的类别“{written}”。可填写：{KINDS_ALLOWED}。")


def _stated(cells: Cells, column: str) -> bool | None:
    """Yes, no, or not stated (blank): 第十二条's announcement is not assumed either way."""
    return yes_no(cells, column) if text(cells.get(column)) else None


_CHINESE_MOMENT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*[T ]?\s*"
    r"(\d{1,2})\s*[:：时点]\s*(\d{1,2})\s*(?:[:：分]\s*(\d{1,2})\s*秒?|分)?$"
)


def _moment(cells: Cells, column: str) -> datetime:
    """A date and time: an Excel date-time cell or text; without an offset it is Beijing time
    (the time the officers wrote down), stored in UTC by the service's caller."""
    value = cells.get(column)
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date | time) or not text(value):
        raise CellError(column, f"须填写日期和时间（{TIME_RULE}）。")
    else:
        moment = _parsed(text(value), column)
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _parsed(written: str, column: str) -> datetime:
    if match := _CHINESE_MOMENT.match(written):
        year, month, day, hour, minute, second = (int(p) if p else 0 for p in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second)
        except ValueError:
            pass
    else:
        try:
            moment = datetime.fromisoformat(written)
        except ValueError:
            moment = None
        if moment is not None and (":" in written or moment.tzinfo):
            return moment
    raise CellError(column, f"“{written}”不是有效的日期和时间（{TIME_RULE}）。")
