"""``lawcam template activities`` and ``lawcam activity import FILE`` (DESIGN's wave-2
contract): the Excel activity list entered whole or not at all, every bad row listed on
stderr and under ``problems`` with --json; the same file twice refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from lawcam.timeutil import SHANGHAI
from tests.cli.conftest import Cli

BASE = (datetime.now(UTC) - timedelta(hours=5)).replace(second=0, microsecond=0)
OFFICERS = "在场执法人员（执法证号，顿号或逗号分隔）"


@pytest.fixture
def office(ready: Cli) -> Cli:
    ready.person("张警官", "J001", "--officer")
    ready.person("李警官", "J002", "--officer")
    return ready


def local(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def filled(cli: Cli, path: Path, rows: list[dict[str, object]]) -> Path:
    made = cli.ok("template", "activities", "--out", str(path))
    assert made == {"kind": "activities", "path": str(path.resolve())}
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for row in rows:
        sheet.append([row.get(str(h)) for h in headers])
    book.save(path)
    return path


def row(start: int, end: int, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "单位": "执法一处",
        "类别": "检查",
        "地点": "中山路 18 号",
        "到场时间": local(start),
        "结束时间": local(end),
        OFFICERS: "J001、J002",
        "是否告知": "是",
    }
    return {**values, **changes}


@pytest.mark.req("R10.1")
@pytest.mark.req("R12.1")
def test_import_prints_the_activities_it_entered(office: Cli, tmp_path: Path) -> None:
    path = filled(
        office,
        tmp_path / "活动.xlsx",
        [row(0, 30), row(60, 90, **{"类别": "当场处罚", OFFICERS: "J002", "是否告知": None})],
    )
    done = office.ok("activity", "import", str(path))
    ids = done.pop("activities")
    assert done == {
        "kind": "activities",
        "rows": 2,
        "created": 2,
        "warnings": [
            {"row": 3, "message": "当场处罚一般应由两名以上执法人员进行，本活动只登记了一名。"}
        ],
    }
    first = office.ok("activity", "show", str(ids[0]))
    assert datetime.fromisoformat(first["arrived_at"]) == BASE  # Beijing time in the sheet
    assert datetime.fromisoformat(first["ended_at"]) == BASE + timedelta(minutes=30)
    assert [o["badge"] for o in first["officers"]] == ["J001", "J002"]
    second = office.ok("activity", "show", str(ids[1]))
    assert second["kind"] == "on_site_penalty" and second["announced"] is None
    listed = office.ok("activity", "list", "--unit", "执法一处")
    assert sorted(a["id"] for a in listed["items"]) == sorted(ids)

    text = office("activity", "import", str(path))  # the same file again
    assert text.exit_code == 2
    assert "第 2 行“到场时间”：该执法活动已经登记" in text.stderr
    assert "第 3 行“到场时间”：该执法活动已经登记" in text.stderr
    assert office.ok("activity", "list")["total"] == 2


@pytest.mark.req("R10.1")
def test_every_bad_row_is_listed_and_nothing_is_entered(office: Cli, tmp_path: Path) -> None:
    path = filled(
        office,
        tmp_path / "活动.xlsx",
        [
            row(0, 30, **{"单位": "宣传处"}),
            row(0, 30),
            row(40, 30),
            row(0, 30),
            row(0, 30, **{OFFICERS: "J009"}),
        ],
    )
    result = office("activity", "import", str(path), "--json")
    assert result.exit_code == 2, result.stdout
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "invalid_input"
    assert [(p["row"], p["column"]) for p in error["problems"]] == [
        (2, "单位"),
        (4, "结束时间"),
        (5, "到场时间"),
        (6, OFFICERS),
    ]
    assert "与第 3 行是同一次执法活动" in error["problems"][2]["message"]
    for problem in error["problems"]:
        assert problem["message"] in result.stderr
    assert "另有 3 处问题" in error["message"]
    assert office.ok("activity", "list")["total"] == 0


def test_bad_files_are_refused(office: Cli, tmp_path: Path) -> None:
    picture = tmp_path / "照片.jpg"
    picture.write_bytes(b"\xff\xd8\xff\xe0")
    assert "不支持的文件类型" in office.refused("activity", "import", str(picture))["message"]
    empty = filled(office, tmp_path / "空表.xlsx", [])
    assert office.refused("activity", "import", str(empty))["message"] == "文件中没有数据行。"
    missing = office.refused("activity", "import", str(tmp_path / "没有.xlsx"))
    assert "不存在" in missing["message"]
    assert (
        "activities（执法活动）"
        in office.refused("template", "cases", "--out", "x.xlsx")["message"]
    )
    assert office.ok("activity", "list")["total"] == 0


@pytest.mark.req("R10.1")
def test_the_general_import_knows_an_activity_list(office: Cli, tmp_path: Path) -> None:
    """``lawcam import FILE`` tells an activity list by its header and enters it as
    ``lawcam activity import`` does: the same document, the same listing of bad rows."""
    bad = filled(office, tmp_path / "有错.xlsx", [row(0, 30), row(40, 30), row(50, 20)])
    result = office("import", str(bad), "--json")
    assert result.exit_code == 2, result.stdout
    error = json.loads(result.stdout)["error"]
    assert [(p["row"], p["column"]) for p in error["problems"]] == [
        (3, "结束时间"),
        (4, "结束时间"),
    ]
    assert "逐行列出全部 2 处问题" in result.stderr
    assert office.ok("activity", "list")["total"] == 0  # the good row was not entered either

    path = filled(office, tmp_path / "活动.xlsx", [row(0, 30), row(60, 90)])
    done = office.ok("import", str(path))
    ids = done.pop("activities")
    assert done == {"kind": "activities", "rows": 2, "created": 2, "warnings": []}
    assert sorted(a["id"] for a in office.ok("activity", "list")["items"]) == sorted(ids)
    again = office("import", str(path))  # without --json: the Chinese refusal, exit 2
    assert again.exit_code == 2 and "第 2 行“到场时间”：该执法活动已经登记" in again.stderr

    # A misspelt column still reads as an activity list: the activity list's columns are named.
    book = openpyxl.load_workbook(path)
    book.worksheets[0]["C1"] = "执法地址"
    book.save(tmp_path / "错列名.xlsx")
    refusal = office.refused("import", str(tmp_path / "错列名.xlsx"))
    assert "无法识别的列名“执法地址”" in refusal["message"] and "执法活动表" in refusal["message"]
