"""A device administrator reads the ratio report, registers a body-worn recorder through the
form, and sees the report change (R5.1, R6.1, R6.2)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lawcam.authz import Actor, Role
from lawcam.db import Database
from lawcam.equipment import service as equipment
from lawcam.equipment.types import Category, Feature, ModelIn
from lawcam.org import service as org
from lawcam.org.types import PersonIn
from tests.e2e.conftest import ARTIFACTS, assert_offline, via_menu
from tests.e2e.test_login_create_unit import visit
from tests.factories import PASSWORD, Office

UNIT = "执法一处"
MODEL = ModelIn(
    maker="海康威视",
    model="DSJ-E2E",
    category=Category.BODY_CAMERA,
    video_width=2304,
    video_height=1296,
    photo_mp=36,
    battery_mah=3400,
    record_hours=10,
    storage_gb=64,
    ip_rating="IP68",
    features=(Feature.GPS, Feature.SIGNED_FILES),
)


@pytest.fixture
def equipped_office(office: Office, database: Database, console: Actor) -> Office:
    """The office, a body-worn recorder model, and four more officers in 执法一处 (five in all:
    class "many" needs ceil(5 / 3) = 2 devices)."""
    with database.unit_of_work() as session:
        equipment.create_model(session=session, actor=console, data=MODEL)
        for i in range(4):
            org.create_person(
                session=session,
                actor=console,
                data=PersonIn(
                    name=f"一处执法员{i}", unit=UNIT, badge=f"E2E{i:03d}", is_officer=True
                ),
            )
    return office


def ratio_row(page: Page, unit: str) -> dict[str, int]:
    row = page.locator(f'table.ratio tr[data-unit="{unit}"]')
    expect(row).to_have_count(1)
    return {
        key: int(row.locator(f"td.{key}").inner_text().strip())
        for key in ("counted", "required", "shortfall")
    }


@pytest.mark.e2e
@pytest.mark.req("R5.1", "R6.1", "R6.2", "R15.3")
def test_register_device_changes_ratio(
    page: Page, live_server: str, equipped_office: Office
) -> None:
    base = live_server

    visit(page, f"{base}/login")
    page.fill("input[name=username]", equipped_office.user(Role.DEVICE_ADMIN))
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login"))

    visit(page, f"{base}/reports/ratio")
    expect(page.locator("main svg.ratio-chart")).to_be_visible()
    before = ratio_row(page, UNIT)
    assert before == {"counted": 0, "required": 2, "shortfall": 2}

    via_menu(page, "设备", "设备")
    expect(page).to_have_url(re.compile(r"/devices$"))
    page.locator("main").get_by_role("link", name="登记设备").click()
    expect(page).to_have_url(re.compile(r"/devices/new$"))
    page.fill("input[name=serial]", "E2E-0001")
    page.fill("input[name=asset_no]", "ZC-E2E-0001")
    page.select_option("select[name=model]", "DSJ-E2E")
    expect(page.locator("select[name=unit]")).to_have_value(UNIT)
    page.fill("textarea[name=need]", "现场检查、调查取证全过程记录")
    page.fill("input[name=price]", "3280.00")
    page.fill("input[name=commissioned_on]", "2026-11-01")
    page.get_by_role("button", name="登记").click()
    expect(page).to_have_url(re.compile(r"/devices/\d+$"))
    main = page.locator("main")
    expect(main).to_contain_text("设备 E2E-0001（ZC-E2E-0001）已登记。")
    expect(main).to_contain_text("3,280.00 元")
    expect(main).to_contain_text("登记设备")  # the history's first entry

    visit(page, f"{base}/reports/ratio")
    after = ratio_row(page, UNIT)
    assert after["counted"] == before["counted"] + 1
    assert after["required"] == before["required"]
    assert after["shortfall"] == before["shortfall"] - 1
    bar = page.locator(f'svg.ratio-chart g.bar[data-unit="{UNIT}"] text.value')
    expect(bar).to_have_text("1 / 2")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "register_device.png", full_page=True)
    assert_offline(page)
