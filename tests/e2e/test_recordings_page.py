"""A unit's device administrator in the browser: 音像资料 from the navigation, only the flagged
recordings, one recording's digests and problem tags, a correction recorded beside the original
(R14.1, R15.1, R15.3)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from tests.api.test_api_evidence import Evidence, build_evidence, row
from tests.e2e.conftest import ARTIFACTS, assert_offline, via_menu
from tests.e2e.test_login_create_unit import visit
from tests.factories import PASSWORD, Office


@pytest.fixture
def evidence(
    office: Office, database: Database, settings: Settings, console: Actor, tmp_path: Path
) -> Evidence:
    return build_evidence(database, settings, console, office, tmp_path)


@pytest.mark.e2e
@pytest.mark.req("R14.1", "R15.1", "R15.3")
def test_recordings_page(
    page: Page, live_server: str, evidence: Evidence, database: Database
) -> None:
    base = live_server
    facts = row(database, evidence.sub)

    visit(page, f"{base}/login")
    page.fill("input[name=username]", "u_admin2")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login"))

    via_menu(page, "资料", "音像资料")
    expect(page).to_have_url(re.compile(r"/recordings$"))
    rows = page.locator("table.recordings tbody tr[data-recording]")
    expect(rows).to_have_count(3)

    # Only the flagged ones: the late clip and the sub-unit's, both without an officer.
    page.get_by_label("只看有问题标记的").check()
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"/recordings\?.*flagged=1"))
    expect(rows).to_have_count(2)
    expect(page.locator(f'tr[data-recording="{evidence.custody}"]')).to_have_count(0)
    flagged = page.locator(f'tr[data-recording="{evidence.sub}"]')
    expect(flagged).to_contain_text("执法人员不明")  # the problem's name; its code in the tooltip
    expect(flagged.locator(".code-name")).to_have_attribute(
        "title", re.compile(r"^officer_unknown：")
    )
    expect(flagged).to_contain_text("执法二处一科")

    flagged.get_by_role("link", name=f"#{evidence.sub}").click()
    expect(page).to_have_url(re.compile(rf"/recordings/{evidence.sub}$"))
    main = page.locator("main")
    expect(main).to_contain_text("SHA-256")
    expect(main).to_contain_text(facts["sha256"])
    expect(main).to_contain_text(facts["sm3"])
    problems = page.locator("ul.problems")
    expect(problems.locator(".tag")).to_have_text(["执法人员不明"])
    expect(problems.locator(".tag")).to_have_attribute("title", "officer_unknown")
    expect(problems).to_contain_text("无法确定执法人员")
    expect(main).to_contain_text("没有更正。")

    page.select_option("select[name=field]", "note")
    page.fill("input[name=value]", "执法对象拒绝签字，现场已告知")
    page.fill("form[action$='/corrections'] input[name=reason]", "复核时补充")
    page.get_by_role("button", name="记录更正").click()
    expect(page).to_have_url(re.compile(rf"/recordings/{evidence.sub}$"))
    expect(page.locator("p.notice")).to_have_text("已记录更正：备注。原始记录保持不变。")
    listed = page.locator("section.card", has_text="更正记录").locator("tbody tr")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("备注")
    expect(listed).to_contain_text("执法对象拒绝签字，现场已告知")
    expect(listed).to_contain_text("复核时补充")
    expect(listed).to_contain_text("u_admin2")
    assert row(database, evidence.sub) == facts  # the original is untouched

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "recordings_page.png", full_page=True)
    assert_offline(page)


# The right edges of each digest's <dd> and of its card, in CSS pixels.
DIGEST_EDGES = """() => [...document.querySelectorAll('dd.mono.small')].map(dd => [
  dd.getBoundingClientRect().right, dd.closest('section.card').getBoundingClientRect().right,
])"""


@pytest.mark.e2e
@pytest.mark.req("R14.1")
def test_digests_fit_their_card(page: Page, live_server: str, evidence: Evidence) -> None:
    visit(page, f"{live_server}/login")
    page.fill("input[name=username]", "u_admin2")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    visit(page, f"{live_server}/recordings/{evidence.sub}")
    edges = page.evaluate(DIGEST_EDGES)
    assert len(edges) == 2
    for digest, card in edges:
        assert digest <= card + 0.5, (digest, card)
