"""A device administrator's custody day in the browser: from the device page, a checkout with a
good pre-use check, a handover at 40 % battery refused with the Chinese message, the same
handover with the administrator's reason, the return; then the ledger shows both periods
(R9.2, R11.1, R15.3)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from tests.api.test_api_custody import add_unit_staff
from tests.e2e.conftest import ARTIFACTS, assert_offline, via_menu
from tests.e2e.test_login_create_unit import visit
from tests.factories import PASSWORD, Office


@pytest.fixture
def unit2(office: Office, database: Database, settings: Settings, console: Actor) -> Office:
    add_unit_staff(database, settings, console)
    return office


def fill_check(page: Page, form: str, battery: str) -> None:
    page.fill(f"{form} input[name=battery_pct]", battery)
    page.fill(f"{form} input[name=free_hours]", "20")
    page.fill(f"{form} input[name=clock_offset_s]", "-3")


@pytest.mark.e2e
@pytest.mark.req("R9.2", "R11.1", "R15.3")
def test_custody_day(page: Page, live_server: str, unit2: Office) -> None:
    base = live_server
    device_id = unit2.equipment["device"]

    visit(page, f"{base}/login")
    page.fill("input[name=username]", "u_admin2")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login"))

    visit(page, f"{base}/devices/{device_id}")
    main = page.locator("main")
    expect(main).to_contain_text("暂无领用记录。")

    # Checkout with a good check.
    page.fill("form.custody-checkout input[name=officer]", "T9001")
    fill_check(page, "form.custody-checkout", "95")
    page.get_by_role("button", name="办理领用").click()
    expect(page).to_have_url(re.compile(rf"/devices/{device_id}$"))
    expect(main).to_contain_text("设备 T2-0001 已由“二处执法员”领用。")
    expect(page.locator("table.custody-timeline tbody tr")).to_have_count(1)

    # Another officer at 40 %: refused, nothing written, the form keeps what was typed.
    page.fill("form.custody-handover input[name=to_officer]", "T9002")
    fill_check(page, "form.custody-handover", "40")
    page.get_by_role("button", name="办理交接").click()
    expect(page.locator("p.error")).to_contain_text("交接时检查未通过：电量 40% 低于 80%")
    expect(page.locator("table.custody-timeline tbody tr")).to_have_count(1)
    expect(page.locator("form.custody-handover input[name=battery_pct]")).to_have_value("40")

    # The administrator gives the reason: handed over.
    page.fill("form.custody-handover textarea[name=override_reason]", "紧急出勤，备用电池随行")
    page.get_by_role("button", name="办理交接").click()
    expect(main).to_contain_text("设备 T2-0001 已交接给“备用人员”。")
    expect(page.locator("table.custody-timeline tbody tr")).to_have_count(2)

    # The return.
    page.select_option("form.custody-return select[name=condition]", "ok")
    page.get_by_role("button", name="办理归还").click()
    expect(main).to_contain_text("设备 T2-0001 已归还（完好）。")
    expect(main).to_contain_text("当前无人领用。")

    # The ledger, through the navigation: both periods with their times.
    via_menu(page, "设备", "领用台账")
    expect(page).to_have_url(re.compile(r"/ledger$"))
    rows = page.locator("table.ledger tbody tr[data-period]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("二处执法员")
    expect(rows.nth(0)).to_contain_text("交接给 备用人员")
    expect(rows.nth(1)).to_contain_text("备用人员")
    expect(rows.nth(1)).to_contain_text("电量 40% 低于 80%")
    expect(rows.nth(1)).to_contain_text("紧急出勤，备用电池随行")
    expect(rows.nth(1)).to_contain_text("完好")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "custody_day.png", full_page=True)
    assert_offline(page)
