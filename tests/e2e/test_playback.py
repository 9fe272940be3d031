"""Access by approval in a real browser (第十五条; R15.2): 执法一处's officer asks for a case's
recordings, 执法二处's head approves from the count on their home, and the officer plays the
original under the grant: the video really plays (currentTime advances, a frame is decoded)
under a watermark naming the viewer. Screenshots at 1280 px for the guide."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lawcam.authz import Role
from tests.api.test_api_access import CASE, scene
from tests.e2e.conftest import assert_offline
from tests.e2e.test_role_homes import log_in
from tests.factories import Office

__all__ = ["scene"]  # the fixture, used by name
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.mark.e2e
@pytest.mark.req("R15.2", "R15.3")
def test_an_approved_officer_plays_the_original_under_a_watermark(
    page: Page, live_server: str, scene: list[int], office: Office
) -> None:
    base = live_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, base, office.user(Role.OFFICER))
    page.goto(f"{base}/access")
    page.fill("input[name=case_number]", CASE)
    page.fill("textarea[name=purpose]", "办理该案，核对现场检查经过")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("p.notice")).to_contain_text("待采集单位负责人审批")
    expect(page.locator("#status")).to_have_text("待审批")
    request_url = page.url

    log_in(page, base, "u_head2")
    waiting = page.locator('.count[data-work="待审批的调阅申请"]')
    expect(waiting.locator(".number")).to_have_text("1")
    waiting.get_by_role("link").click()
    page.get_by_role("link", name="审批").first.click()
    page.screenshot(path=SCREENSHOTS / "access-decide.png", full_page=True)
    page.get_by_role("button", name="批准").click()
    expect(page.locator("#status")).to_have_text("已批准")

    log_in(page, base, office.user(Role.OFFICER))
    page.goto(request_url)
    page.get_by_role("link", name="播放").first.click()
    video = page.locator("video#media")
    expect(video).to_be_visible()
    expect(page.locator(".watermark").first).to_contain_text(f"测试{Role.OFFICER.label}")
    played = page.evaluate(
        """async () => {
            const v = document.querySelector('video#media');
            v.muted = true;
            await v.play();
            await new Promise(r => setTimeout(r, 1200));
            const q = v.getVideoPlaybackQuality();
            return {time: v.currentTime, width: v.videoWidth, frames: q.totalVideoFrames};
        }"""
    )
    assert played["time"] > 0.5 and played["width"] > 0 and played["frames"] > 0, played
    page.screenshot(path=SCREENSHOTS / "access-player.png", full_page=True)
    assert_offline(page)
