"""A person logs in with the browser, creates a unit and finds it in the list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lawcam.authz import Role
from tests.e2e.conftest import ARTIFACTS, assert_offline
from tests.factories import PASSWORD, Office

UNIT_NAME = "浏览器测试处"

# Draws two different Chinese characters on a canvas in the page's own font. Without a CJK font
# both come out as the same empty box (tofu), so identical pixels mean no real glyphs.
GLYPH_CHECK = """() => {
  const canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 64;
  const g = canvas.getContext("2d");
  const family = getComputedStyle(document.body).fontFamily;
  const draw = (text) => {
    g.clearRect(0, 0, 64, 64);
    g.fillStyle = "#000";
    g.font = "48px " + family;
    g.fillText(text, 4, 52);
    return Array.from(g.getImageData(0, 0, 64, 64).data).join(",");
  };
  const a = draw("登"), b = draw("录"), blank = draw(" ");
  return {inked: a !== blank, distinct: a !== b};
}"""


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None, url
    assert response.ok, f"GET {url} answered {response.status}"


@pytest.mark.e2e
@pytest.mark.req("R15.3")
def test_login_create_unit(page: Page, live_server: str, office: Office) -> None:
    base = live_server
    name = f"测试{Role.SYSADMIN.label}"

    visit(page, f"{base}/login")
    page.fill("input[name=username]", office.user(Role.SYSADMIN))
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    expect(page.locator("main")).to_contain_text(name)

    visit(page, f"{base}/units/new")
    page.fill("input[name=name]", UNIT_NAME)
    page.select_option("select[name=unit_class]", "more")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/units/\d+(\?.*)?$"))
    expect(page.locator("main")).to_contain_text(UNIT_NAME)

    visit(page, f"{base}/units")
    expect(page.locator("main")).to_contain_text(UNIT_NAME)
    expect(page.locator("main").get_by_role("link", name=UNIT_NAME)).to_have_count(1)
    row = page.locator("main").get_by_role("row").filter(has_text=UNIT_NAME)
    expect(row).to_contain_text("较多")  # unit_class "more"

    glyphs = page.evaluate(GLYPH_CHECK)
    assert glyphs == {"inked": True, "distinct": True}, (
        f"Chinese text renders as empty boxes ({glyphs}): install a CJK font (fonts-noto-cjk)"
    )

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "login_create_unit.png", full_page=True)
    assert_offline(page)
