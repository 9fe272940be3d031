"""``lawcam template`` and ``lawcam import``: the spreadsheets the office works in."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.cli.conftest import Cli


def _fill(template: Path, rows: list[dict[str, object]], out: Path) -> Path:
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for row in rows:
        sheet.append([row.get(str(h), None) for h in headers])
    book.save(out)
    return out


def test_template_refuses_a_bad_kind(ready: Cli, tmp_path: Path) -> None:
    error = ready.refused("template", "cases", "--out", str(tmp_path / "x.xlsx"))
    assert "units" in error["message"]
    assert not (tmp_path / "x.xlsx").exists()


@pytest.mark.req("R6.1")
def test_template_then_import_units_and_people(ready: Cli, tmp_path: Path) -> None:
    units_template = tmp_path / "units.xlsx"
    made = ready.ok("template", "units", "--out", str(units_template))
    assert made == {"kind": "units", "path": str(units_template.resolve())}
    filled = _fill(
        units_template,
        [
            {"单位名称": "工程监管处", "单位类别": "较多"},
            {"单位名称": "宣传教育处", "单位类别": "较少", "配备目标台数": 1, "办案专区": "询问室"},
        ],
        tmp_path / "units-filled.xlsx",
    )
    result = ready.ok("import", str(filled))
    assert result == {"kind": "units", "created": 2, "rows": 2}
    units = {u["name"]: u for u in ready.ok("unit", "list")["units"]}
    assert (units["宣传教育处"]["unit_class"], units["宣传教育处"]["target"]) == ("fewer", 1)

    people_template = tmp_path / "people.xlsx"
    ready.ok("template", "people", "--out", str(people_template))
    filled = _fill(
        people_template,
        [
            {
                "姓名": "张伟",
                "执法证号": "21010020001",
                "所属单位": "工程监管处",
                "执法人员": "是",
                "角色": "执法记录仪管理员",
            }
        ],
        tmp_path / "people-filled.xlsx",
    )
    assert ready.ok("import", str(filled))["kind"] == "people"
    [person] = ready.ok("person", "list")["people"]
    assert (person["unit"], person["is_officer"], person["roles"]) == (
        "工程监管处",
        True,
        ["device_admin"],
    )
    tags = [e["tag"] for e in ready.ok("audit", "list", "--tag", "org:import")["events"]]
    assert tags == ["org:import:complete", "org:import:complete"]


@pytest.mark.req("R6.1")
def test_import_is_all_or_nothing(ready: Cli, tmp_path: Path) -> None:
    template = tmp_path / "units.xlsx"
    ready.ok("template", "units", "--out", str(template))
    filled = _fill(
        template,
        [
            {"单位名称": "工程监管处", "单位类别": "较多"},
            {"单位名称": "宣传教育处", "单位类别": "较少"},
        ],
        tmp_path / "bad.xlsx",
    )
    before = ready.audit_count()
    error = ready.refused("import", str(filled))
    assert "3" in error["message"]  # the second data row is row 3 in Excel
    assert [u["name"] for u in ready.ok("unit", "list")["units"]] == ["执法一处"]
    assert ready.audit_count() == before


def test_import_of_a_missing_file_is_refused(ready: Cli, tmp_path: Path) -> None:
    assert "不存在" in ready.refused("import", str(tmp_path / "none.xlsx"))["message"]
