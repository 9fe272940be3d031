"""An activity with a gap in the browser (第十条): the officer finds it through 执法活动, sees
the gap in red on the timeline, files a written report; the unit's device administrator
acknowledges it and the timeline shows the gap explained. Real media through the real ingest
(tests/api/test_pages_activities.py builds the scene); screenshots at 1280 px for the guide."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from tests.api.test_pages_activities import ADMIN, OFFICER, Scene, gap_scene
from tests.e2e.conftest import assert_offline, via_menu
from tests.e2e.test_role_homes import log_in
from tests.factories import Office
from tests.media import make_jpeg

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A 5 s tolerance: the scene's segments 2 s apart join, its 38 s gap does not."""
    return settings.model_copy(update={"activity_tolerance_s": 5})


@pytest.fixture
def scene(
    database: Database, settings: Settings, console: Actor, office: Office, tmp_path: Path
) -> Scene:
    return gap_scene(database, settings, console, office, tmp_path)


def gap(page: Page) -> object:
    return page.locator('svg.timeline g.gap[data-seq="1"]')


@pytest.mark.e2e
@pytest.mark.req("R10.1", "R10.2", "R14.1", "R15.3")
def test_an_officer_reports_a_gap_and_the_administrator_confirms(
    page: Page, live_server: str, scene: Scene, tmp_path: Path
) -> None:
    base = live_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, base, OFFICER)
    todo = page.locator('.count[data-work="待我说明的记录中断"]')
    expect(todo.locator(".number")).to_have_text("1")  # the officer's work on the home
    expect(todo).to_contain_text("中断 1")
    via_menu(page, "资料", "执法活动")
    row = page.locator(f'tr[data-activity="{scene.activity}"]')
    expect(row.locator("td.unexplained")).to_have_text("1")
    page.screenshot(path=SCREENSHOTS / "activities-list.png", full_page=True)
    row.get_by_role("link", name=f"#{scene.activity}").click()
    expect(gap(page)).to_have_attribute("data-state", "open")
    expect(page.locator("svg.timeline a.bar")).to_have_count(len(scene.recordings))
    expect(page.locator("svg.timeline")).to_contain_text("上传截止")

    interruption = page.locator('tr[data-seq="1"]')
    interruption.get_by_text("作出说明").click()
    written = interruption.locator("form.written")
    written.get_by_role("button", name="提交书面说明").click()  # no cause chosen
    expect(page.locator("p.error")).to_have_text("请选择中断原因。")
    interruption = page.locator('tr[data-seq="1"]')
    written = interruption.locator("form.written")
    written.locator("select[name=cause]").select_option(label="电量耗尽")
    written.locator("textarea[name=text]").fill("电池耗尽，更换备用电池后恢复记录")
    scan = tmp_path / "中断说明.jpg"  # the signed paper report, scanned
    make_jpeg(scan)
    written.locator("input[name=attachment]").set_input_files(scan)
    page.screenshot(path=SCREENSHOTS / "activity-gap-open.png", full_page=True)
    written.get_by_role("button", name="提交书面说明").click()
    expect(page.locator("p.notice")).to_contain_text("已说明中断 1")
    expect(gap(page)).to_have_attribute("data-state", "explained")
    expect(page.locator('tr[data-seq="1"]')).to_contain_text("电量耗尽")
    expect(page.locator('tr[data-seq="1"] .attachment')).to_contain_text("中断说明.jpg")

    log_in(page, base, ADMIN)
    waiting = page.locator('.count[data-work="待确认的中断说明"]')
    expect(waiting.locator(".number")).to_have_text("1")  # the administrator's work
    waiting.get_by_role("link").click()
    page.get_by_role("button", name="确认收到书面说明").click()
    expect(page.locator("p.notice")).to_contain_text("已确认中断 1 的说明")
    expect(gap(page)).to_have_attribute("data-state", "confirmed")
    expect(gap(page)).to_contain_text("中断 1：已确认")
    expect(page.locator('tr[data-seq="1"]')).to_contain_text("已确认")
    page.screenshot(path=SCREENSHOTS / "activity-gap-confirmed.png", full_page=True)
    href = page.locator('tr[data-seq="1"] .attachment a').get_attribute("href")
    kept = page.request.get(f"{base}{href}")  # the administrator keeps the report (第十条)
    assert kept.status == 200 and kept.headers["content-type"] == "image/jpeg"
    assert kept.body() == scan.read_bytes()
    page.goto(f"{base}/")
    expect(waiting.locator(".number")).to_have_text("0")
    assert_offline(page)


@pytest.mark.e2e
@pytest.mark.req("R12.1")
def test_entering_an_activity_keeps_what_was_typed(
    page: Page, live_server: str, scene: Scene
) -> None:
    base = live_server
    log_in(page, base, ADMIN)
    via_menu(page, "资料", "执法活动")
    page.get_by_role("link", name="登记执法活动").click()
    page.select_option("select[name=kind]", label="查封扣押")
    page.fill("input[name=place]", "解放路 9 号地下车库")
    page.fill("input[name=arrived_at]", "2026-01-02T10:00:00")
    page.fill("input[name=ended_at]", "2026-01-02T09:00:00")
    page.select_option("select[name=officer_ids]", label="备用人员（T9002）")
    page.check("input[name=announced][value=yes]")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("p.error")).to_have_text("结束时间须晚于到场时间。")
    expect(page.locator("input[name=place]")).to_have_value("解放路 9 号地下车库")
    expect(page.locator("input[name=ended_at]")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=SCREENSHOTS / "activity-form-refused.png", full_page=True)
    page.fill("input[name=ended_at]", "2026-01-02T11:30:00")
    page.get_by_role("button", name="登记").click()
    notice = page.locator("p.notice")
    expect(notice).to_contain_text("已登记执法活动")
    expect(notice).to_contain_text("查封扣押一般应由两名以上执法人员进行")
    expect(page.locator("h1")).to_contain_text("解放路 9 号地下车库")
    expect(page.locator(".page-head")).to_contain_text("无录像")
    assert_offline(page)
