"""Every role in the browser (issue 14): its home shows its work with the numbers of the data
made here (tests/home_scene.py), every navigation entry answers 2xx and is two clicks away (a
menu, then the entry), and a screenshot of each home at 1280 px goes to docs/screenshots/ for
the user guide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from tests.e2e.conftest import assert_offline
from tests.e2e.test_login_create_unit import visit
from tests.factories import PASSWORD, Office
from tests.home_scene import Expected, build_scene

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def scene(
    database: Database, settings: Settings, console: Actor, office: Office, tmp_path: Path
) -> Expected:
    return build_scene(database, settings, console, office, tmp_path)


def log_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    visit(page, f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/$"))


def check_counts(page: Page, expected: dict[str, int]) -> None:
    for label, number in expected.items():
        count = page.locator(f'.count[data-work="{label}"] .number')
        expect(count).to_have_text(str(number))


def walk_navigation(page: Page, base: str) -> list[str]:
    """Opens each menu (first click), reads its entries; then visits each: all answer 2xx."""
    urls: list[str] = []
    for summary in page.locator("nav.mainnav details.menu > summary").all():
        summary.click()
        menu = summary.locator("xpath=..")
        entries = menu.locator(".menu-items a")
        expect(entries.first).to_be_visible()
        urls += [a.get_attribute("href") or "" for a in entries.all()]
    urls.append("/inbox")
    for url in urls:
        visit(page, f"{base}{url}")
        expect(page.locator("p.error:visible")).to_have_count(0)
    return urls


@pytest.mark.e2e
@pytest.mark.req("R9.2", "R14.1", "R16.1", "R17.1", "R8.1", "R6.2", "R15.3")
def test_each_role_at_home(page: Page, live_server: str, office: Office, scene: Expected) -> None:
    base = live_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for role in Role:
        log_in(page, base, office.user(role))
        check_counts(page, scene.counts[str(role)])
        if role is Role.OFFICER:
            expect(page.locator("main")).to_contain_text("YC-1（ZC-YC-1）")
        page.screenshot(path=SCREENSHOTS / f"home-{role}.png", full_page=True)
        urls = walk_navigation(page, base)
        assert len(urls) == len(set(urls)), f"{role}: an entry appears twice"
    assert_offline(page)


@pytest.mark.e2e
def test_an_entry_is_two_clicks_away(page: Page, live_server: str, office: Office) -> None:
    log_in(page, live_server, office.user("device_admin"))
    nav = page.locator("nav.mainnav")
    expect(nav.get_by_role("link", name="故障与维修")).to_be_hidden()
    nav.locator("summary", has_text="设备").click()
    nav.get_by_role("link", name="故障与维修").click()
    expect(page).to_have_url(re.compile(r"/faults$"))
    expect(nav.locator("details.current > summary")).to_have_text("设备")
