"""Spreadsheet downloads from the pages: the register and the ratio report."""

from __future__ import annotations

import io

import openpyxl
import pytest

from lawcam.authz import Role
from tests.api.conftest import login
from tests.factories import Office


@pytest.mark.req("R6.2")
def test_ratio_sheet_download_matches_the_page(client, office: Office) -> None:
    login(client, office.user(Role.ENGINEERING))
    response = client.get("/reports/ratio.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True)}
    assert rows["执法二处"][3] == 1  # the office fixture's one device in service there
    assert "全办合计" in rows
    assert 'href="/reports/ratio.xlsx"' in client.get("/reports/ratio").text


@pytest.mark.req("R5.1")
def test_register_download_shows_only_what_the_actor_may_see(client, office: Office) -> None:
    login(client, office.user(Role.DEVICE_ADMIN))  # of 执法一处, which has no devices
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/devices.xlsx").content)).active
    assert len(list(sheet.iter_rows(values_only=True))) == 1  # the header row only
    client.cookies.clear()
    login(client, office.user(Role.ICT))
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/devices.xlsx").content)).active
    serials = [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert serials == ["T2-0001"]


@pytest.mark.req("R9.2")
def test_ledger_download_has_a_sheet_per_unit(client, office: Office) -> None:
    login(client, office.user(Role.ENGINEERING))
    response = client.get("/ledger.xlsx", params={"from": "2026-01-01", "to": "2026-12-31"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "执法二处" in book.sheetnames
    assert client.get("/ledger.xlsx", params={"from": "昨天"}).status_code == 422
