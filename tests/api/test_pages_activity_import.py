"""The activity list imported from the browser (/imports, kind 执法活动; 第十条、第十二条): the
unit's device administrator and head download the template and import it; a file with bad rows
is refused whole with each row listed; the same file twice is refused."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import openpyxl
from sqlalchemy import func, select
from starlette.testclient import TestClient

from lawcam.activities.models import Activity
from lawcam.db import Database
from lawcam.timeutil import SHANGHAI
from tests.api.conftest import login
from tests.factories import Office

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BASE = (datetime.now(UTC) - timedelta(hours=4)).replace(second=0, microsecond=0)
OFFICERS = "在场执法人员（执法证号，顿号或逗号分隔）"


def filled(template: bytes, rows: list[dict[str, object]]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for row in rows:
        sheet.append([row.get(str(h)) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(start: int, **changes: object) -> dict[str, object]:
    def local(minutes: int) -> str:
        return (BASE + timedelta(minutes=minutes)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")

    values = {
        "单位": "执法一处",
        "类别": "调查取证",
        "地点": "解放路 6 号",
        "到场时间": local(start),
        "结束时间": local(start + 20),
        OFFICERS: "T0000",
        "是否告知": "是",
    }
    return {**values, **changes}


def activities(database: Database) -> int:
    with database.read() as session:
        return int(session.scalar(select(func.count()).select_from(Activity)) or 0)


def post(client: TestClient, data: bytes, name: str = "执法活动.xlsx"):  # type: ignore[no-untyped-def]
    return client.post("/imports", data={"kind": "activities"}, files={"file": (name, data, XLSX)})


def test_the_device_administrator_imports_the_units_activities(
    client: TestClient, office: Office, database: Database
) -> None:
    login(client, "u_device_admin")
    page = client.get("/imports")
    assert page.status_code == 200 and 'href="/imports/activities.xlsx"' in page.text
    template = client.get("/imports/activities.xlsx")
    assert template.status_code == 200 and template.headers["content-type"] == XLSX
    workbook = template.content
    assert openpyxl.load_workbook(io.BytesIO(workbook)).worksheets[0]["G1"].value == OFFICERS

    bad = filled(
        workbook, [row(0, **{"类别": "巡查"}), row(30), row(30), row(60, **{OFFICERS: ""})]
    )
    refused = post(client, bad)
    assert refused.status_code == 422
    assert 'data-result="refused"' in refused.text and "发现了 3 处问题" in refused.text
    reported = re.findall(
        r'<td class="num">(\d+)</td>\s*<td class="nowrap">([^<]*)</td>', refused.text
    )
    assert reported == [("2", "类别"), ("4", "到场时间"), (("5", OFFICERS))]
    assert "与第 3 行是同一次执法活动" in refused.text
    assert activities(database) == 0

    good = filled(workbook, [row(0), row(30)])
    done = post(client, good)
    assert done.status_code == 200, done.text
    assert 'data-result="done"' in done.text and "导入执法活动：共 2 行" in done.text
    assert activities(database) == 2
    again = post(client, good)
    assert again.status_code == 422 and "该执法活动已经登记" in again.text
    assert activities(database) == 2


def test_the_unit_head_may_import_activities_and_an_officer_may_not(
    client: TestClient, office: Office
) -> None:
    login(client, "u_unit_head")
    page = client.get("/imports")
    assert page.status_code == 200
    assert 'href="/imports/activities.xlsx"' in page.text
    assert 'href="/imports/devices.xlsx"' not in page.text
    assert client.get("/imports/devices.xlsx").status_code == 403
    client.cookies.clear()
    login(client, "u_officer")
    assert client.get("/imports/activities.xlsx").status_code == 403
