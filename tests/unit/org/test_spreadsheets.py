"""Spreadsheet templates and bulk import of units and people.

The refused large file has 100,000 rows on both databases: the whole-file check finds its bad
row before anything is written, so it is quick. The accepted large file has
LAWCAM_TEST_IMPORT_ROWS rows (default 20,000; each row is a few round trips through the
services); bench/bench_import.py times the full 100,000."""

from __future__ import annotations

import csv
import json
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.db import Database
from lawcam.errors import Forbidden, InvalidInput
from lawcam.org import service
from lawcam.org.models import Person, RoleAssignment, Unit
from lawcam.org.spreadsheets import (
    COLUMNS,
    HELP_SHEET,
    ImportResult,
    SheetKind,
    import_file,
    write_template,
)
from lawcam.org.types import OrgEvent, PersonIn, UnitClass, UnitIn

UNIT_HEADERS = ["单位名称", "上级单位", "单位类别", "配备目标台数", "办案专区", "备注"]
PEOPLE_HEADERS = ["姓名", "执法证号", "所属单位", "执法人员", "联系电话", "角色"]
BACKEND = os.environ.get("LAWCAM_TEST_DATABASE", "sqlite")
BIG = int(os.environ.get("LAWCAM_TEST_IMPORT_ROWS", "20000"))
HUGE = 100_000


# --- helpers -------------------------------------------------------------------------------


def write_xlsx(path: Path, header: list[Any], rows: list[list[Any]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, header: list[Any], rows: list[list[Any]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def do_import(database: Database, console: Actor, path: Path) -> ImportResult:
    with database.unit_of_work() as session:
        return import_file(session=session, actor=console, path=path)


def import_error(database: Database, console: Actor, path: Path) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught, database.unit_of_work() as session:
        import_file(session=session, actor=console, path=path)
    return caught.value


def count(database: Database, model: Any) -> int:
    with database.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def tag_count(database: Database, tag: str) -> int:
    with database.read() as session:
        stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.tag == tag)
        return int(session.scalar(stmt) or 0)


@pytest.fixture
def units(database: Database, console: Actor) -> None:
    with database.unit_of_work() as session:
        service.create_unit(
            session=session,
            actor=console,
            data=UnitIn(name="执法一处", unit_class=UnitClass.MANY),
        )
        service.create_unit(
            session=session,
            actor=console,
            data=UnitIn(name="执法二处", unit_class=UnitClass.MORE),
        )
        service.create_person(
            session=session,
            actor=console,
            data=PersonIn(name="张三", unit="执法一处", badge="T001", is_officer=True),
        )


def person_row(name: str, badge: Any, unit: str = "执法一处", officer: Any = "是") -> list[Any]:
    return [name, badge, unit, officer, "", ""]


# --- templates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "headers"), [(SheetKind.UNITS, UNIT_HEADERS), (SheetKind.PEOPLE, PEOPLE_HEADERS)]
)
def test_template_has_the_headers_only_and_a_help_sheet(
    tmp_path: Path, kind: SheetKind, headers: list[str]
) -> None:
    path = tmp_path / "sub" / f"{kind}.xlsx"
    write_template(kind, path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[1] == HELP_SHEET
    data = workbook.worksheets[0]
    rows = [r for r in data.iter_rows(values_only=True) if any(v is not None for v in r)]
    assert rows == [tuple(headers)]  # no example row: it would be imported
    help_text = "\n".join(
        str(v) for row in workbook[HELP_SHEET].iter_rows(values_only=True) for v in row if v
    )
    for column in COLUMNS[kind]:
        assert column.header in help_text
        assert column.allowed in help_text
    assert ("较少" in help_text) is (kind is SheetKind.UNITS)


def test_empty_template_imports_as_no_data(
    database: Database, console: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "units.xlsx"
    write_template(SheetKind.UNITS, path)
    assert import_error(database, console, path).message == "文件中没有数据行。"


def test_units_template_round_trip(database: Database, console: Actor, tmp_path: Path) -> None:
    path = tmp_path / "单位.xlsx"
    write_template(SheetKind.UNITS, path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    sheet.append(["市执法总队", None, "多", None, "一号专区、二号专区，三号专区；四号专区", "总队"])
    sheet.append(["  执法一处 ", "市执法总队", "较多", None, None, None])
    sheet.append(["工程监管处", "市执法总队", "较少", 3.0, None, None])
    sheet.append(["财务处", None, "fewer", "0", None, None])
    sheet.append(["培训中心", None, None, None, None, None])
    workbook.save(path)

    result = do_import(database, console, path)

    assert result == ImportResult(kind=SheetKind.UNITS, created=5, rows=5)
    with database.read() as session:
        by_name = {u.name: u for u in session.scalars(select(Unit))}
        assert set(by_name) == {"市执法总队", "执法一处", "工程监管处", "财务处", "培训中心"}
        top = by_name["市执法总队"]
        assert [z.name for z in top.zones] == sorted(
            ["一号专区", "二号专区", "三号专区", "四号专区"]
        )
        assert top.note == "总队"
        assert top.unit_class == "many"
        assert by_name["执法一处"].parent_id == top.id
        assert by_name["执法一处"].unit_class == "more"
        assert (by_name["工程监管处"].unit_class, by_name["工程监管处"].target) == ("fewer", 3)
        assert (by_name["财务处"].unit_class, by_name["财务处"].target) == ("fewer", 0)
        assert by_name["培训中心"].unit_class is None
        summary = session.scalars(
            select(AuditEvent).where(AuditEvent.tag == str(OrgEvent.IMPORT_DONE))
        ).one()
        assert (summary.subject_type, summary.subject_id) == ("import", "单位.xlsx")
        assert json.loads(summary.after or "") == {"kind": "units", "rows": 5, "created": 5}
    assert tag_count(database, OrgEvent.UNIT_CREATED) == 5
    assert tag_count(database, OrgEvent.ZONE_CREATED) == 4


@pytest.mark.req("R9.1")
def test_people_template_round_trip(
    database: Database, console: Actor, tmp_path: Path, units: None
) -> None:
    path = tmp_path / "people.xlsx"
    write_template(SheetKind.PEOPLE, path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    sheet.append(["李四", 12345, "执法一处", "是", 13800138000, "执法记录仪管理员、单位负责人"])
    sheet.append(["王五", "T-002", "执法二处", "Y", "010-1234 5678", "device_admin"])
    sheet.append(["赵六", None, "执法二处", None, None, None])
    sheet.append(["钱七", " T003 ", "执法二处", True, None, None])
    sheet.append(["孙八", None, "执法一处", "否", None, "安全审计员"])
    sheet.append(["周九", "T004", "执法一处", 1, None, "unit_head"])
    workbook.save(path)

    result = do_import(database, console, path)

    assert result == ImportResult(kind=SheetKind.PEOPLE, created=6, rows=6)
    with database.read() as session:
        people = {p.name: p for p in session.scalars(select(Person))}
        li = people["李四"]
        assert (li.badge, li.is_officer, li.phone, li.unit.name) == (
            "12345",
            True,
            "13800138000",
            "执法一处",
        )
        assert sorted(li.active_roles) == ["device_admin", "unit_head"]
        assert people["王五"].active_roles == ["device_admin"]
        assert people["王五"].phone == "010-1234 5678"
        assert (people["赵六"].badge, people["赵六"].is_officer) == (None, False)
        assert (people["钱七"].badge, people["钱七"].is_officer) == ("T003", True)
        assert people["孙八"].active_roles == ["auditor"]
        assert people["周九"].is_officer is True
    assert tag_count(database, OrgEvent.PERSON_CREATED) == 7  # with the fixture's 张三
    assert tag_count(database, OrgEvent.ROLE_ASSIGNED) == 5
    assert tag_count(database, OrgEvent.IMPORT_DONE) == 1


# --- CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_the_encodings_excel_writes(
    database: Database, console: Actor, tmp_path: Path, units: None, encoding: str
) -> None:
    header = [" 所属单位 ", "姓名", "执法人员", "执法证号"]  # any order, spaces ignored
    rows = [
        ["执法一处", "欧阳娜娜", "是", "T100"],
        ["执法二处", "司马懿", "否", ""],
        ["", "", "", ""],
    ]
    path = write_csv(tmp_path / "people.csv", header, rows, encoding)
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")

    result = do_import(database, console, path)

    assert result == ImportResult(kind=SheetKind.PEOPLE, created=2, rows=2)
    with database.read() as session:
        person = session.scalars(select(Person).where(Person.badge == "T100")).one()
        assert (person.name, person.unit.name) == ("欧阳娜娜", "执法一处")
        assert session.scalars(select(Person).where(Person.name == "司马懿")).one().badge is None


def test_csv_units_error_names_the_record_number(
    database: Database, console: Actor, tmp_path: Path
) -> None:
    rows = [["甲单位", "多", ""], ["乙单位", "较少", ""]]
    path = write_csv(
        tmp_path / "units.csv", ["单位名称", "单位类别", "配备目标台数"], rows, "utf-8"
    )
    error = import_error(database, console, path)
    assert error.message == "第 3 行“配备目标台数”：“较少”类单位须设定配备目标台数（第六条）。"
    assert count(database, Unit) == 0


def test_csv_that_is_neither_utf8_nor_gb18030(
    database: Database, console: Actor, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes("姓名,所属单位\n".encode() + b"\x81\x20\xff\xff,x\n")
    error = import_error(database, console, path)
    assert "编码不是 UTF-8 或 GB18030" in error.message


# --- headers and files ---------------------------------------------------------------------


def test_header_of_neither_kind(database: Database, console: Actor, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", ["名字", "电话"], [["张三", "1"]])
    error = import_error(database, console, path)
    assert error.message.startswith("无法识别表头")
    assert "应为单位表或人员表" in error.message
    assert "lawcam template" in error.message


def test_unknown_header(database: Database, console: Actor, tmp_path: Path, units: None) -> None:
    path = write_xlsx(
        tmp_path / "p.xlsx", ["姓名", "所属单位", "性别"], [["李四", "执法一处", "男"]]
    )
    error = import_error(database, console, path)
    assert error.message.startswith("第 1 行：无法识别的列名“性别”。人员表的列名为：姓名、执法证号")
    assert error.details["column"] == "性别"


def test_missing_required_header(database: Database, console: Actor, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "p.xlsx", ["姓名", "执法证号"], [["李四", "T100"]])
    error = import_error(database, console, path)
    assert error.message.startswith("第 1 行：人员表缺少必填列“所属单位”。")


def test_duplicate_header(database: Database, console: Actor, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "u.xlsx", ["单位名称", "备注", "备注"], [["甲", "a", "b"]])
    assert "列名“备注”重复出现" in import_error(database, console, path).message


def test_value_under_no_header(database: Database, console: Actor, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "u.xlsx", ["单位名称", None], [["甲", None], ["乙", "多余"]])
    error = import_error(database, console, path)
    assert error.message == "第 3 行第 B 列有内容，但该列没有列名（列名在第 1 行）。"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("people.pdf", b"%PDF-1.4", "不支持的文件类型"),
        ("people.xlsx", b"PK\x03\x04 not really a zip", "不是有效的 Excel 工作簿"),
        ("people.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Excel（.xls）"),
        ("people.csv", b"", "无法识别表头"),
        ("people.csv", b"\n\n ,  \n", "无法识别表头"),
    ],
)
def test_unreadable_files(
    database: Database,
    console: Actor,
    tmp_path: Path,
    name: str,
    content: bytes,
    expected: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert expected in import_error(database, console, path).message


def test_missing_file(database: Database, console: Actor, tmp_path: Path) -> None:
    assert "无法读取文件" in import_error(database, console, tmp_path / "none.xlsx").message


def test_header_with_only_empty_rows(database: Database, console: Actor, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "u.xlsx", UNIT_HEADERS, [[None] * 6, ["  ", None, "\t"]])
    assert import_error(database, console, path).message == "文件中没有数据行。"
    assert tag_count(database, OrgEvent.IMPORT_DONE) == 0


def test_empty_rows_are_skipped_and_rows_keep_excel_numbers(
    database: Database, console: Actor, tmp_path: Path, units: None
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(PEOPLE_HEADERS)
    sheet.append(person_row("甲", "T101"))  # row 2
    sheet["A5"] = "   "  # row 5: whitespace only
    sheet.append([])  # row 6 stays empty
    sheet["A7"], sheet["B7"], sheet["C7"], sheet["D7"] = "乙", "T102", "执法一处", "是"
    path = tmp_path / "p.xlsx"
    workbook.save(path)
    assert do_import(database, console, path) == ImportResult(SheetKind.PEOPLE, 2, 2)

    sheet["A9"], sheet["C9"], sheet["D9"] = "丙", "执法一处", "是"  # officer without a badge
    sheet["B2"], sheet["B7"] = "T201", "T202"
    workbook.save(path)
    error = import_error(database, console, path)
    assert error.message == "第 9 行“执法证号”：执法人员须填写执法证号。"
    assert (error.details["row"], error.details["column"]) == (9, "执法证号")
    assert count(database, Person) == 3  # 张三, 甲, 乙: the second file left nothing


# --- row errors ----------------------------------------------------------------------------


def test_badge_already_in_the_database(
    database: Database, console: Actor, tmp_path: Path, units: None
) -> None:
    rows = [person_row(f"人员{i}", f"T20{i}") for i in range(3)] + [person_row("李四", "T001")]
    path = write_xlsx(tmp_path / "p.xlsx", PEOPLE_HEADERS, rows)
    error = import_error(database, console, path)
    assert error.message == "第 5 行“执法证号”：执法证号 T001 已被“张三”使用。"
    assert (error.details["row"], error.details["column"]) == (5, "执法证号")
    assert error.code == "invalid_input"
    assert count(database, Person) == 1


def test_badge_twice_in_the_file(
    database: Database, console: Actor, tmp_path: Path, units: None
) -> None:
    rows = [person_row("李四", 777), person_row("王五", "T300"), person_row("赵六", "777")]
    path = write_xlsx(tmp_path / "p.xlsx", PEOPLE_HEADERS, rows)
    error = import_error(database, console, path)
    assert error.message == "第 4 行“执法证号”：执法证号 777 已被“李四”使用。"
    assert count(database, Person) == 1


def test_unknown_unit(database: Database, console: Actor, tmp_path: Path, units: None) -> None:
    rows = [person_row("李四", "T400"), person_row("王五", "T401", unit="执法九处")]
    path = write_xlsx(tmp_path / "p.xlsx", PEOPLE_HEADERS, rows)
    error = import_error(database, console, path)
    assert error.message.startswith("第 3 行“所属单位”：单位“执法九处”不存在。")
    assert count(database, Person) == 1


def test_empty_unit(database: Database, console: Actor, tmp_path: Path, units: None) -> None:
    path = write_xlsx(tmp_path / "p.xlsx", PEOPLE_HEADERS, [person_row("李四", "T400", unit=" ")])
    assert import_error(database, console, path).message == "第 2 行“所属单位”：所属单位不能为空。"


def test_parent_must_come_first(database: Database, console: Actor, tmp_path: Path) -> None:
    rows = [["执法一处", "总队", "多", None, None, None], ["总队", None, "多", None, None, None]]
    path = write_xlsx(tmp_path / "u.xlsx", UNIT_HEADERS, rows)
    error = import_error(database, console, path)
    assert error.message.startswith("第 2 行“上级单位”：单位“总队”不存在。")
    assert "排在前面" in error.message


def test_unit_twice_in_the_file(database: Database, console: Actor, tmp_path: Path) -> None:
    rows = [["甲", None, "多", None, None, None], ["甲", None, "多", None, None, None]]
    error = import_error(database, console, write_xlsx(tmp_path / "u.xlsx", UNIT_HEADERS, rows))
    assert error.message == "第 3 行“单位名称”：单位“甲”已存在。"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["甲", None, "很多", None, None, None],
            "第 2 行“单位类别”：应填写“多”“较多”或“较少”，而不是“很多”。",
        ),
        (
            ["甲", None, "较少", None, None, None],
            "第 2 行“配备目标台数”：“较少”类单位须设定配备目标台数（第六条）。",
        ),
        (["甲", None, "较少", "三", None, None], "第 2 行“配备目标台数”：须填写整数，而不是“三”。"),
        (["甲", None, "较少", 2.5, None, None], "第 2 行“配备目标台数”：须填写整数，而不是 2.5。"),
        (
            ["甲", None, "较少", -1, None, None],
            "第 2 行“配备目标台数”：配备目标须为 0 至 10000 之间的整数。",
        ),
        ([None, None, "多", None, None, "只有备注"], "第 2 行“单位名称”：单位名称不能为空。"),
        (
            ["甲", None, None, None, "一区、一区", None],
            "第 2 行“办案专区”：单位“甲”已有办案专区“一区”。",
        ),
        (["甲", None, None, None, None, "备" * 501], "第 2 行“备注”：备注过长（最多 500 字）。"),
    ],
)
def test_bad_unit_rows(
    database: Database, console: Actor, tmp_path: Path, row: list[Any], expected: str
) -> None:
    path = write_xlsx(tmp_path / "u.xlsx", UNIT_HEADERS, [row])
    assert import_error(database, console, path).message == expected
    assert count(database, Unit) == 0


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["李四", "T500", "执法一处", "是", None, "管理员"],
            "第 2 行“角色”：无法识别的角色“管理员”。",
        ),
        (["李四", "T500", "执法一处", "是", None, "执法人员"], "第 2 行“角色”：“执法人员”不是角色"),
        (
            ["李四", "T500", "执法一处", "也许", None, None],
            "第 2 行“执法人员”：应填写“是”或“否”，而不是“也许”。",
        ),
        (["李四", "T5", "执法一处", "是", None, None], "第 2 行“执法证号”：执法证号只能由字母"),
        (
            ["李四", "T500", "执法一处", "是", "电话", None],
            "第 2 行“联系电话”：联系电话格式不正确。",
        ),
        (
            ["李四", "T500", "执法一处", "是", None, "安全审计员"],
            "第 2 行“角色”：安全审计员不得兼任其他角色或执法人员（三员分立）。",
        ),
        (
            ["李四", "T500", "执法一处", "否", None, "单位负责人,单位负责人"],
            "第 2 行“角色”：角色“单位负责人”重复填写。",
        ),
    ],
)
def test_bad_people_rows(
    database: Database,
    console: Actor,
    tmp_path: Path,
    units: None,
    row: list[Any],
    expected: str,
) -> None:
    path = write_xlsx(tmp_path / "p.xlsx", PEOPLE_HEADERS, [row])
    assert import_error(database, console, path).message.startswith(expected)
    assert count(database, Person) == 1


@pytest.mark.req("R9.1")
def test_second_device_administrator_of_a_unit(
    database: Database, console: Actor, tmp_path: Path, units: None
) -> None:
    rows = [
        ["李四", "T600", "执法一处", "是", None, "执法记录仪管理员"],
        ["王五", "T601", "执法二处", "是", None, "执法记录仪管理员"],
        ["赵六", "T602", "执法一处", "是", None, "执法记录仪管理员"],
    ]
    error = import_error(database, console, write_xlsx(tmp_path / "p.xlsx", PEOPLE_HEADERS, rows))
    assert error.message.startswith(
        "第 4 行“角色”：单位“执法一处”已有执法记录仪管理员“李四”，每个单位只设一名（第九条）"
    )
    assert count(database, RoleAssignment) == 0


@pytest.mark.req("R9.1")
def test_only_who_may_manage_people_imports_them(
    database: Database, tmp_path: Path, console: Actor, units: None
) -> None:
    device_admin = Actor(
        label="web:da", source="web", unit_id=1, roles=frozenset({Role.DEVICE_ADMIN})
    )
    path = write_xlsx(tmp_path / "p.xlsx", PEOPLE_HEADERS, [person_row("李四", "T700")])
    with pytest.raises(Forbidden), database.unit_of_work() as session:
        import_file(session=session, actor=device_admin, path=path)
    # A system administrator manages people but does not assign roles (the security admin does).
    sysadmin = Actor(label="web:sa", source="web", roles=frozenset({Role.SYSADMIN}))
    path = write_xlsx(
        tmp_path / "p.xlsx",
        PEOPLE_HEADERS,
        [person_row("李四", "T700"), ["王五", "T701", "执法一处", "是", None, "执法记录仪管理员"]],
    )
    with pytest.raises(Forbidden) as caught, database.unit_of_work() as session:
        import_file(session=session, actor=sysadmin, path=path)
    assert caught.value.message == "第 3 行：您没有执行此操作的权限。"
    assert count(database, Person) == 1


def test_import_does_not_commit(
    database: Database, console: Actor, tmp_path: Path, units: None
) -> None:
    path = write_xlsx(tmp_path / "p.xlsx", PEOPLE_HEADERS, [person_row("李四", "T800")])
    session = database.sessions()
    try:
        assert import_file(session=session, actor=console, path=path).created == 1
        session.rollback()
    finally:
        session.close()
    assert count(database, Person) == 1
    assert tag_count(database, OrgEvent.IMPORT_DONE) == 0


# --- large files (100,000 rows) --------------------------------------------------------------------------


def write_big_people(path: Path, rows: int, bad_row: int | None = None) -> None:
    """``rows`` data rows in 20 units; ``bad_row`` (Excel numbering) names an unknown unit."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("人员")
    sheet.append(PEOPLE_HEADERS)
    for i in range(rows):
        unit = "不存在的单位" if i + 2 == bad_row else f"单位{i % 20}"
        sheet.append([f"人员{i}", f"B{i:07d}", unit, "是", "13800000000", None])
    workbook.save(path)


@pytest.fixture
def twenty_units(database: Database, console: Actor) -> None:
    with database.unit_of_work() as session:
        for u in range(20):
            service.create_unit(
                session=session,
                actor=console,
                data=UnitIn(name=f"单位{u}", unit_class=UnitClass.MANY),
            )


def test_large_people_file(
    database: Database, console: Actor, tmp_path: Path, twenty_units: None
) -> None:
    path = tmp_path / "people.xlsx"
    write_big_people(path, BIG)
    started = time.perf_counter()
    result = do_import(database, console, path)
    elapsed = time.perf_counter() - started
    print(f"\n{BACKEND}: imported {BIG} people in {elapsed:.1f} s")
    assert result == ImportResult(SheetKind.PEOPLE, BIG, BIG)
    assert count(database, Person) == BIG
    with database.read() as session:
        assert session.scalar(select(func.count(func.distinct(Person.badge)))) == BIG
    assert tag_count(database, OrgEvent.PERSON_CREATED) == BIG


def test_large_people_file_with_a_bad_row_near_the_end_writes_nothing(
    database: Database, console: Actor, tmp_path: Path, twenty_units: None
) -> None:
    path = tmp_path / "people.xlsx"
    write_big_people(path, HUGE, bad_row=HUGE - 1)
    audit_before = count(database, AuditEvent)
    error = import_error(database, console, path)
    assert error.message.startswith(f"第 {HUGE - 1} 行“所属单位”：单位“不存在的单位”不存在。")
    assert count(database, Person) == 0
    assert count(database, AuditEvent) == audit_before


def test_damaged_workbook(database: Database, console: Actor, tmp_path: Path, units: None) -> None:
    good = write_xlsx(
        tmp_path / "good.xlsx",
        PEOPLE_HEADERS,
        [person_row(f"人员{i}", f"D{i:04d}") for i in range(50)],
    )
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    assert "Excel 工作簿已损坏" in import_error(database, console, damaged).message
    assert count(database, Person) == 1
