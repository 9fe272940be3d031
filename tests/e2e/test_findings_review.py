"""A finding reviewed in the browser (第十八条; issue 18's done-when): the officer finds their
finding on the home and under 执法过错 with its deadline, submits a statement; the unit head finds
it waiting for their decision and confirms it with the accountability measure."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lawcam.authz import Actor, Role
from lawcam.compliance import service
from lawcam.config import Settings
from lawcam.db import Database
from tests.e2e.conftest import assert_offline, via_menu
from tests.e2e.test_role_homes import log_in
from tests.factories import Office


@pytest.fixture
def finding(database: Database, settings: Settings, office: Office) -> int:
    """Recorded by engineering supervision about 执法一处's officer (第十八条第（二）项)."""
    supervisor = Actor(label="测试工程监管处", source="web", person_id=office.people["engineering"],
                       unit_id=office.units["工程监管处"], roles=frozenset({Role.ENGINEERING}))  # fmt: skip
    with database.unit_of_work() as session:
        made = service.record_manual(
            session=session, actor=supervisor,
            data=service.ManualFinding(office.people["officer"], "二", "群众投诉检查时未出示执法证件"),
            statement_days=settings.findings_statement_days,
        )  # fmt: skip
        return made.id


@pytest.mark.e2e
@pytest.mark.req("R18.1", "R15.3")
def test_an_officer_answers_a_finding_and_the_unit_head_decides_it(
    page: Page, live_server: str, office: Office, finding: int
) -> None:
    base = live_server
    log_in(page, base, office.user("officer"))
    mine = page.locator('.count[data-work="我的待核实执法过错"]')
    expect(mine.locator(".number")).to_have_text("1")
    via_menu(page, "资料", "执法过错")
    row = page.locator(f'#mine tr[data-finding="{finding}"]')
    expect(row).to_contain_text("前可陈述申辩")
    row.get_by_role("link", name=f"#{finding}").click()
    expect(page.locator("#facts")).to_contain_text("第十八条第（二）项")
    page.fill("#statement-form textarea[name=text]", "当时已出示执法证件，有同行人员可以证明")
    page.get_by_role("button", name="提交陈述申辩").click()
    expect(page.locator(".notice")).to_have_text("已提交陈述申辩。")
    expect(page.locator("#statement")).to_contain_text("有同行人员可以证明")
    expect(page.locator("#statement-form")).to_have_count(0)
    assert_offline(page)

    log_in(page, base, office.user("unit_head"))
    waiting = page.locator('.count[data-work="待我决定的执法过错"]')
    expect(waiting.locator(".number")).to_have_text("1")
    via_menu(page, "资料", "执法过错")
    page.locator(f'#waiting tr[data-finding="{finding}"]').get_by_role(
        "link", name=f"#{finding}"
    ).click()
    expect(page.locator("#statement")).to_contain_text("有同行人员可以证明")
    page.fill("#decision-form textarea[name=reason]", "执法记录仪录像显示未出示证件")
    page.fill("#decision-form input[name=measure]", "批评教育")
    page.get_by_role("button", name="认定", exact=True).click()
    expect(page.locator("#status")).to_have_text("已认定")
    expect(page.locator("#decision")).to_contain_text("批评教育")
    expect(page.locator("#decision-form")).to_have_count(0)
    assert_offline(page)
