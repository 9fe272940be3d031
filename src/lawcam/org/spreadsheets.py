"""Spreadsheet templates and bulk import of units and people (the office's staff live in Excel).

``write_template`` writes an .xlsx whose first sheet holds only the Chinese header row (no
example row: it would be imported) and whose second sheet, “说明”, explains every column.
``import_file`` reads an .xlsx or a .csv (UTF-8, UTF-8 with BOM, or GB18030 — Chinese Excel
saves CSV in GBK), recognises the kind of sheet from its header row, and creates each row
through the real services (``create_unit`` / ``create_person``), so the rules and the audit
rows are exactly those of the UI and API. It is all or nothing: the first bad row raises
``InvalidInput`` naming the row as Excel numbers it and the column header; nothing is
committed here, the caller's unit of work commits or rolls back.

Reading files, matching the header row and the cell helpers are ``lawcam.sheets``, shared
with the equipment sheets. Files are streamed (openpyxl read-only mode, the csv module), so a
100,000-row file needs little memory.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.service import deferred, record
from lawcam.authz import ROLE_LABELS, Action, Actor, Role
from lawcam.errors import InvalidInput
from lawcam.org import service
from lawcam.org.models import Person, Unit
from lawcam.org.types import OrgEvent, PersonIn, UnitClass, UnitIn
from lawcam.sheets import (
    HELP_SHEET,
    CellError,
    Cells,
    Column,
    ImportResult,
    SheetFormat,
    at,
    general_notes,
    integer,
    split,
    text,
    yes_no,
)
from lawcam.sheets import write_template as write_sheet_template

__all__ = [
    "COLUMNS",
    "FIELD_COLUMNS",
    "HEADER_HELP",
    "HELP_SHEET",
    "SHEET_TITLES",
    "Column",
    "ImportResult",
    "SheetKind",
    "import_file",
    "write_template",
]


class SheetKind(StrEnum):
    UNITS = "units"
    PEOPLE = "people"

    @property
    def label(self) -> str:
        return {"units": "单位表", "people": "人员表"}[self.value]


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
            "执法记录仪配备目标台数。单位类别为“较少”时必须填写（第六条）。",
            f"0 至 {service.MAX_TARGET} 的整数",
        ),
        Column(
            ZONES,
            False,
            "本单位的办案专区名称（第五条），可填多个。",
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
            "在本系统中担任的角色，可填多个。每个单位只设一名执法记录仪管理员（第九条）；"
            "系统管理员、安全管理员、安全审计员不得兼任其他角色或执法人员（三员分立）。"
            "执法人员身份请在“执法人员”列填写，不在此列。",
            "、".join(ROLE_LABELS[r] for r in _ASSIGNABLE) + "；多个之间用“、”或“，”分隔",
        ),
    ),
}
SHEET_TITLES = {SheetKind.UNITS: "单位", SheetKind.PEOPLE: "人员"}

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

_HINTS = {
    (SheetKind.UNITS, "parent"): "上级单位须已在系统中，或在本文件中排在前面。",
    (SheetKind.PEOPLE, "unit"): "所属单位须已在系统中，请先导入单位表。",
}
HEADER_HELP = "无法识别表头：第一行应为单位表或人员表的列名，请使用 lawcam template 生成的模板。"
FORMAT = SheetFormat(columns=COLUMNS, fields=FIELD_COLUMNS, hints=_HINTS, header_help=HEADER_HELP)


# --- template ------------------------------------------------------------------------------


def write_template(kind: SheetKind, path: Path) -> None:
    """An empty sheet with the header row, and a “说明” sheet explaining each column."""
    kind = SheetKind(kind)
    write_sheet_template(
        path,
        title=SHEET_TITLES[kind],
        columns=COLUMNS[kind],
        choices={CLASS: '"多,较多,较少"', OFFICER: '"是,否"'},
        notes=_general_notes(kind),
        header_width=14,
    )


def _general_notes(kind: SheetKind) -> list[str]:
    lines = general_notes(kind.label, SHEET_TITLES[kind])
    if kind is SheetKind.UNITS:
        lines.append("4. 有上级单位的，上级单位须排在其下级单位之前（或已在系统中）。")
    else:
        lines.append("4. 所属单位须已在系统中，请先导入单位表。")
    return lines


# --- import --------------------------------------------------------------------------------


def import_file(*, session: Session, actor: Actor, path: Path) -> ImportResult[SheetKind]:
    """Create every row of the file, or raise on a bad one. Never commits.

    Three passes: read and parse every row (cell errors), check the whole file against itself
    and the database in a few queries (unknown units, badges used twice), then create each row
    through the services. A bad row near the end of a 100,000-row file is therefore reported
    in seconds, before anything is written."""
    path = Path(path)

    def prepare(kind: SheetKind) -> Callable[[Cells], Any]:
        actor.require(Action.UNIT_MANAGE if kind is SheetKind.UNITS else Action.PERSON_MANAGE)
        return _parse_unit if kind is SheetKind.UNITS else _parse_person

    kind, items = FORMAT.read(path, prepare)
    if kind is SheetKind.PEOPLE:
        _precheck_people(session, items)
    with deferred(session):  # the log's lock for the last step only, not the whole import
        result = FORMAT.create(kind, items, _creator(kind, session, actor))
        record_import(session, actor, OrgEvent.IMPORT_DONE, path, result)
    return result


def record_import(
    session: Session, actor: Actor, event: StrEnum | str, path: Path, result: ImportResult[Any]
) -> None:
    """One summary audit entry closes a successful import (each row has its own already)."""
    counts = {"kind": result.kind.value, "rows": result.rows, "created": result.created}
    record(session, actor, event, ("import", path.name), None, counts)


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
            raise at(row_number, UNIT, message, InvalidInput, cause="invalid_input")
        if not units[data.unit]:
            raise at(row_number, UNIT, f"单位“{data.unit}”已停用。", InvalidInput)
        if data.badge:
            holder = taken.get(data.badge) or first_use.get(data.badge)
            if holder is not None:
                raise at(
                    row_number,
                    BADGE,
                    f"执法证号 {data.badge} 已被“{holder}”使用。",
                    InvalidInput,
                    cause="conflict",
                )
            first_use[data.badge] = data.name


# --- rows → services -----------------------------------------------------------------------


def _parse_unit(cells: Cells) -> UnitIn:
    class_text = text(cells.get(CLASS))
    unit_class = None
    if class_text:
        unit_class = _CLASS_WORDS.get(class_text.lower()) or _CLASS_WORDS.get(class_text)
        if unit_class is None:
            raise CellError(CLASS, f"应填写“多”“较多”或“较少”，而不是“{class_text}”。")
    note = text(cells.get(NOTE))
    if len(note) > NOTE_LIMIT:
        raise CellError(NOTE, f"备注过长（最多 {NOTE_LIMIT} 字）。")
    parent = text(cells.get(PARENT))
    return UnitIn(
        name=text(cells.get(NAME)),
        unit_class=unit_class,
        target=integer(cells, TARGET),
        parent=parent or None,
        zones=split(text(cells.get(ZONES))),
        note=note,
    )


def _parse_person(cells: Cells) -> PersonIn:
    roles: list[Role] = []
    for word in split(text(cells.get(ROLES))):
        role = _ROLE_WORDS.get(word) or _ROLE_WORDS.get(word.lower())
        if role is None:
            allowed = "、".join(ROLE_LABELS[r] for r in _ASSIGNABLE)
            raise CellError(ROLES, f"无法识别的角色“{word}”。可填写：{allowed}。")
        if role is Role.OFFICER:
            raise CellError(ROLES, "“执法人员”不是角色，请在“执法人员”列填写“是”并填写执法证号。")
        if role in roles:
            raise CellError(ROLES, f"角色“{role.label}”重复填写。")
        roles.append(role)
    unit = text(cells.get(UNIT))
    if not unit:
        raise CellError(UNIT, "所属单位不能为空。")
    return PersonIn(
        name=text(cells.get(PERSON)),
        unit=unit,
        badge=text(cells.get(BADGE)) or None,
        is_officer=yes_no(cells, OFFICER),
        phone=text(cells.get(PHONE)),
        roles=tuple(roles),
    )
