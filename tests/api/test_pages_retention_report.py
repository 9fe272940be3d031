"""The retention report page and its Excel export (R14.2, R14.3): what expires in the next 30 /
90 / 365 days by unit, the storage used now and projected with a chart drawn on the server
(inline SVG, no script), and the same numbers in the .xlsx."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.web.app import create_app
from tests.api.conftest import login
from tests.api.test_api_disposal import LONG_AGO, disposal_scene
from tests.retention_scene import UNIT, Scene

pytestmark = [pytest.mark.req("R14.2"), pytest.mark.req("R14.3")]


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor) -> Scene:
    return disposal_scene(database, settings, console)


def as_role(settings: Settings, database: Database, username: str) -> TestClient:
    client = TestClient(create_app(settings, database), raise_server_exceptions=False)
    login(client, username)
    return client


def test_engineering_reads_what_expires_and_the_storage_chart_and_exports_it(
    scene: Scene, settings: Settings, database: Database, tmp_path: Path
) -> None:
    old = scene.dock(tmp_path, count=2, at=LONG_AGO)
    soon = scene.dock(tmp_path, count=1, at=datetime.now(UTC) - timedelta(days=711))
    recent = scene.dock(tmp_path, count=1)
    scene.hold(recent)
    size = {rid: scene.recording(rid).size for rid in old + soon + recent}
    engineering = as_role(settings, database, "u_engineering")

    page = engineering.get("/retention")
    assert page.status_code == 200, page.text
    html = page.text
    row = re.search(rf'<tr data-unit="{UNIT}">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = dict(re.findall(r'<td class="num ([\w-]+)">(\d+) 条', row.group(1)))
    assert cells == {"overdue": "2", "within-30": "1", "within-90": "1", "within-365": "1",
                     "indefinite": "1"}  # fmt: skip
    svg = re.search(r'<svg class="storage-chart".*?</svg>', html, re.S)
    assert svg is not None and "<script" not in html
    assert len(re.findall(r'<g class="month">', svg.group(0))) == 13
    assert "今后 12 个月的存储空间预测" in svg.group(0) and "<polyline" in svg.group(0)
    assert 'href="/retention.xlsx"' in html and 'secondary" href="/disposal"' not in html

    export = engineering.get("/retention.xlsx")
    assert export.status_code == 200
    assert "attachment" in export.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["到期资料", "存储空间", "存储预测"]
    expiring = [list(r) for r in book["到期资料"].iter_rows(values_only=True)]
    assert expiring[0][:3] == ["单位", "已届满未销毁（条）", "已届满未销毁（字节）"]
    assert expiring[1] == [
        UNIT, 2, size[old[0]] + size[old[1]], 1, size[soon[0]], 1, size[soon[0]], 1,
        size[soon[0]], 1, size[recent[0]],
    ]  # fmt: skip
    storage = [list(r) for r in book["存储空间"].iter_rows(values_only=True)]
    assert storage[1][0] == UNIT and storage[1][4] == sum(size.values())
    months = list(book["存储预测"].iter_rows(values_only=True))
    assert len(months) == 14 and months[1][1] == sum(size.values())


def test_who_reads_the_report(scene: Scene, settings: Settings, database: Database) -> None:
    admin = as_role(settings, database, "u_device_admin")  # 执法一处's: nothing of 二处's
    page = admin.get("/retention")
    assert page.status_code == 200 and "没有可统计的资料" in page.text
    assert (
        'secondary" href="/disposal"' in page.text
    )  # the administrator proposes disposal from here
    for username in ("u_ict", "u_office_leader", "u_unit_head"):
        assert as_role(settings, database, username).get("/retention").status_code == 200
    for username in ("u_officer", "u_finance", "u_auditor"):
        client = as_role(settings, database, username)
        assert client.get("/retention").status_code == 403
        assert client.get("/retention.xlsx").status_code == 403
