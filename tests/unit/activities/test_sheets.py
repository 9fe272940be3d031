"""The activity list in Excel (第十条、第十二条): the template round trip, a good file entered
with its recordings linked, and bad files refused whole, every bad row listed with its row,
column and reason and nothing written — the same activity twice in the file or already
registered included."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from lawcam.activities import queries
from lawcam.activities.models import Activity, ActivityLink
from lawcam.activities.sheets import (
    COLUMNS,
    IMPORT_DONE,
    OFFICERS,
    ActivitySheet,
    import_activities,
    write_activity_template,
)
from lawcam.activities.types import ActivityEvent
from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.errors import Forbidden, InvalidInput
from lawcam.sheets import HELP_SHEET
from lawcam.timeutil import SHANGHAI
from tests.factories import Office, build_office
from tests.unit.activities.test_service import BASE, admin, card, docked

HEADERS = [c.header for c in COLUMNS[ActivitySheet.ACTIVITIES]]


@pytest.fixture
def tight(settings: Settings) -> Settings:
    return settings.model_copy(update={"activity_tolerance_s": 5})


@pytest.fixture
def office(database: Database, settings: Settings, console: Actor) -> Office:
    return build_office(database, settings, console)


def at(seconds: int) -> str:
    """A moment after BASE as people write it in the list: Beijing time, no offset."""
    return (BASE + timedelta(seconds=seconds)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def row(start: int, end: int, **changes: Any) -> dict[str, Any]:
    values = {
        "单位": "执法二处",
        "类别": "检查",
        "地点": "中山路 18 号",
        "到场时间": at(start),
        "结束时间": at(end),
        OFFICERS: "T9001、T9002",
        "是否告知": "是",
    }
    return {**values, **changes}


def workbook(path: Path, rows: list[dict[str, Any]], headers: list[str] = HEADERS) -> Path:
    """The template from ``write_activity_template`` filled in, as a person would."""
    write_activity_template(path)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    for values in rows:
        sheet.append([values.get(h) for h in headers])
    book.save(path)
    return path


def imported(database: Database, settings: Settings, actor: Actor, path: Path) -> Any:
    with database.unit_of_work() as session:
        return import_activities(session=session, actor=actor, settings=settings, path=path)


def refused(database: Database, settings: Settings, actor: Actor, path: Path) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        imported(database, settings, actor, path)
    return caught.value


def counts(database: Database) -> tuple[int, int, int]:
    with database.read() as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Activity, ActivityLink, AuditEvent)
        )


def problems(error: InvalidInput) -> list[tuple[int, str | None]]:
    listed = error.details.get("problems") or [error.details]
    return [(p["row"], p["column"]) for p in listed]


def test_the_template_has_the_chinese_headers_and_a_help_sheet(tmp_path: Path) -> None:
    path = tmp_path / "模板.xlsx"
    write_activity_template(path)
    book = openpyxl.load_workbook(path)
    assert [c.value for c in book.worksheets[0][1]] == [
        "单位",
        "类别",
        "地点",
        "办案区",
        "到场时间",
        "结束时间",
        "在场执法人员（执法证号，顿号或逗号分隔）",
        "是否告知",
        "是否拒绝或阻挠",
        "情况",
        "案件编号",
    ]
    assert book.worksheets[0].max_row == 1  # no example row: it would be imported
    helped = [r[0] for r in book[HELP_SHEET].iter_rows(min_row=2, values_only=True)]
    assert set(HEADERS) <= set(helped)


@pytest.mark.req("R10.1")
@pytest.mark.req("R12.1")
def test_a_good_file_enters_every_activity_with_its_recordings(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    # T9001's card: 0–50 and 52–82 join; 82–100 is a gap; 100–120 resumes.
    ids = docked(database, tight, office, card(tmp_path, "card", [(0, 50), (52, 30), (100, 20)]))
    activities, links, events = counts(database)
    path = workbook(
        tmp_path / "活动.xlsx",
        [
            row(0, 120, **{"案件编号": "执二检〔2026〕18号"}),
            # An Excel date-time cell (no zone: Beijing time), one officer for a seizure.
            row(
                600,
                900,
                **{
                    "类别": "查封扣押",
                    "到场时间": (BASE + timedelta(seconds=600))
                    .astimezone(SHANGHAI)
                    .replace(tzinfo=None),
                    OFFICERS: "T9002",
                    "是否告知": "否",
                    "是否拒绝或阻挠": "是",
                    "情况": "当事人遮挡镜头",
                },
            ),
            {},  # an empty row is skipped
            row(1200, 1500, **{"是否告知": None, OFFICERS: "T9001,T9002"}),
        ],
    )
    done = imported(database, tight, admin(office), path)
    assert (done.kind, done.rows, done.created) == (ActivitySheet.ACTIVITIES, 3, 3)
    assert done.warnings == ((3, "查封扣押一般应由两名以上执法人员进行，本活动只登记了一名。"),)
    first, seizure, third = done.activity_ids
    with database.read() as session:
        rows = {a.id: a for a in session.scalars(select(Activity))}
        present = rows[third].officer_ids
        assert [link.recording_id for link in queries.links_of(session, first)] == ids
        assert queries.links_of(session, seizure) == []
        tags = [e.tag for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))][
            events:
        ]
    assert rows[first].coverage == pytest.approx((82 + 20) / 120)
    assert rows[first].case_number == "执二检〔2026〕18号"
    assert (rows[first].arrived_at, rows[first].ended_at) == (BASE, BASE + timedelta(seconds=120))
    assert rows[seizure].arrived_at == BASE + timedelta(seconds=600)
    assert (rows[seizure].announced, rows[seizure].obstructed) == (False, True)
    assert rows[seizure].obstruction_note == "当事人遮挡镜头"
    assert rows[seizure].no_recording and rows[third].announced is None
    assert present == [office.people["other_unit_officer"], office.people["spare"]]
    assert counts(database)[:2] == (activities + 3, links + 3)
    assert tags.count(str(ActivityEvent.ADDED)) == 3
    assert tags[-1] == IMPORT_DONE  # one summary entry closes the import


@pytest.mark.req("R10.1")
def test_every_bad_row_is_listed_and_nothing_is_written(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    registered = workbook(tmp_path / "先登记.xlsx", [row(3000, 3300)])
    imported(database, tight, admin(office), registered)
    before = counts(database)
    path = workbook(
        tmp_path / "活动.xlsx",
        [
            row(0, 60, **{"单位": "宣传处"}),  # 2: no such unit
            row(0, 60, **{"类别": "巡逻"}),  # 3: no such kind
            row(600, 500),  # 4: ends before arrival
            row(0, 60, **{OFFICERS: "T9001、X0000"}),  # 5: unknown badge
            row(700, 800),  # 6: good
            row(700, 800, **{"地点": " 中山路  18 号 "}),  # 7: row 6 again (spaces aside)
            row(0, 60, **{OFFICERS: "T0000"}),  # 8: an officer of 执法一处
            row(3000, 3300),  # 9: already registered
            row(0, 60, **{"到场时间": "上午九点"}),  # 10: not a time
            row(0, 60, **{"是否告知": "也许"}),  # 11: neither yes nor no
            row(0, 60, **{"办案区": "第三办案区"}),  # 12: no such zone
            row(0, 10 * 24 * 3600),  # 13: longer than the maximum (and in the future)
            row(0, 60, **{OFFICERS: None}),  # 14: nobody present
        ],
    )
    error = refused(database, tight, admin(office), path)
    assert problems(error) == [
        (2, "单位"),
        (3, "类别"),
        (4, "结束时间"),
        (5, OFFICERS),
        (7, "到场时间"),
        (8, OFFICERS),
        (9, "到场时间"),
        (10, "到场时间"),
        (11, "是否告知"),
        (12, "办案区"),
        (13, "结束时间"),
        (14, OFFICERS),
    ]
    messages = [p["message"] for p in error.details["problems"]]
    assert (
        messages[0] == "第 2 行“单位”：没有名为“宣传处”的单位。单位须已在系统中，请先导入单位表。"
    )
    assert "无法识别的类别“巡逻”" in messages[1]
    assert "结束时间须晚于到场时间" in messages[2]
    assert "执法证号 X0000 不是本办登记的人员" in messages[3]
    assert "与第 6 行是同一次执法活动" in messages[4]
    assert "不是该单位的执法人员" in messages[5]
    assert "该执法活动已经登记（活动编号" in messages[6]
    assert "“上午九点”不是有效的日期和时间" in messages[7]
    assert "另有 11 处问题" in error.message
    assert counts(database) == before


def test_a_file_imported_twice_is_refused(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    path = workbook(tmp_path / "活动.xlsx", [row(0, 60), row(600, 660)])
    imported(database, tight, admin(office), path)
    before = counts(database)
    error = refused(database, tight, admin(office), path)
    assert problems(error) == [(2, "到场时间"), (3, "到场时间")]
    assert all("已经登记" in p["message"] for p in error.details["problems"])
    assert counts(database) == before


def test_a_csv_in_gbk_with_short_headers_is_read(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    """Chinese Excel saves CSV in GBK; half-width brackets or the short officers' header."""
    path = tmp_path / "活动.csv"
    lines = [
        "单位,类别,地点,到场时间,结束时间,在场执法人员,是否告知",
        f"执法二处,文书送达,人民路 1 号,{at(0)},{at(60)},T9001,是",
        f"执法二处,inspection,人民路 2 号,{at(100)[:16].replace('-', '/')},{at(160)},T9002,",
    ]
    path.write_bytes("\n".join(lines).encode("gb18030"))
    done = imported(database, tight, admin(office), path)
    assert done.created == 2
    with database.read() as session:
        second = session.get(Activity, done.activity_ids[1])
        assert second is not None and second.kind == "inspection"
        assert second.arrived_at == (BASE + timedelta(seconds=100)).replace(second=0)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("照片.jpg", b"\xff\xd8\xff\xe0", "不支持的文件类型"),
        ("空.csv", b"", "无法识别表头"),
        ("假.xlsx", b"PK\x03\x04 not a workbook", "不是有效的 Excel 工作簿"),
        ("旧.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Excel"),
        ("单位.csv", "单位名称,上级单位\n宣传处,\n".encode(), "第一行应为执法活动表的列名"),
        ("多列.csv", "单位,负责人\n执法二处,张三\n".encode(), "无法识别的列名“负责人”"),
    ],
)
def test_bad_files_are_refused_in_chinese(
    database: Database,
    tight: Settings,
    office: Office,
    tmp_path: Path,
    name: str,
    content: bytes,
    expected: str,
) -> None:
    before = counts(database)
    path = tmp_path / name
    path.write_bytes(content)
    assert expected in refused(database, tight, admin(office), path).message
    assert counts(database) == before


def test_header_only_is_refused(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    path = workbook(tmp_path / "空表.xlsx", [])
    assert refused(database, tight, admin(office), path).message == "文件中没有数据行。"


def test_a_missing_required_column_is_named(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    path = tmp_path / "缺列.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["单位", "类别", "地点", "到场时间", OFFICERS])
    book.active.append(["执法二处", "检查", "某地", at(0), "T9001"])
    book.save(path)
    assert "缺少必填列“结束时间”" in refused(database, tight, admin(office), path).message


def test_another_units_activities_are_refused_to_its_administrator(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    before = counts(database)
    path = workbook(tmp_path / "活动.xlsx", [row(0, 60, **{"单位": "执法一处", OFFICERS: "T0000"})])
    with pytest.raises(Forbidden, match="第 2 行：只能登记本单位的执法活动"):
        imported(database, tight, admin(office), path)
    assert counts(database) == before
