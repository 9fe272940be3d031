"""The auditor signs a tree head on the audit page and opens an entry's inclusion proof,
which the page checks against the head (RFC 9162 §2.1.3.2)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lawcam.authz import Role
from tests.e2e.conftest import ARTIFACTS, assert_offline, via_menu
from tests.factories import PASSWORD, Office


@pytest.mark.e2e
@pytest.mark.req("R15.1")
@pytest.mark.req("R18.1")
@pytest.mark.req("R15.3")
def test_auditor_signs_a_head_and_checks_a_proof(
    page: Page, live_server: str, office: Office
) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", office.user(Role.AUDITOR))
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login"))

    via_menu(page, "系统", "审计日志")  # the menus open on a click (web/navigation.py)
    expect(page.locator("main")).to_contain_text("当前签名树头")
    page.get_by_role("button", name="立即签发新树头").click()
    expect(page.locator("main")).to_contain_text("已签发树头")
    head = page.locator("section.tree-head")
    expect(head).to_contain_text("根哈希")
    root = head.locator("dd").nth(1).inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", root), root

    page.locator("table.audit").get_by_role("link", name="包含证明").last.click()
    expect(page).to_have_url(re.compile(r"/audit/proof\?leaf=\d+"))
    expect(page.locator("h1")).to_contain_text("已验证")
    expect(page.locator("main")).to_contain_text(root)
    expect(page.locator("ol.proof-path li").first).to_have_text(re.compile(r"^[0-9a-f]{64}$"))

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "audit_proof.png", full_page=True)
    assert_offline(page)
