"""The pages of findings (第十八条, R18.1): the unit head records one by hand with a complaint; the
officer sees it under 我的执法过错 with its deadline and makes a statement; the unit head finds it
waiting and decides; engineering supervision reviews; the issue's bad input answered on the page
in Chinese, nothing written; the home counts the waiting work."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lawcam.compliance.models import Finding
from lawcam.config import Settings
from lawcam.db import Database
from tests.api.test_api_access import user
from tests.factories import Office

pytestmark = pytest.mark.req("R18.1")

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OFFICER_BADGE = "T0000"  # the officer of 执法一处 (tests/factories.py: badges by role order)


def browser(settings: Settings, database: Database, username: str) -> tuple[TestClient, str]:
    """A signed-in client (the CSRF token in its header, as the pages' script sends it) and the
    token (also put in each form, as the page's hidden field does)."""
    client = user(settings, database, username)
    return client, client.headers["X-CSRF-Token"]


def findings(database: Database) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(Finding)) or 0


def test_record_state_decide_and_review_on_the_pages(
    settings: Settings, database: Database, office: Office
) -> None:
    head, head_token = browser(settings, database, office.user("unit_head"))
    officer, officer_token = browser(settings, database, office.user("officer"))
    engineer, engineer_token = browser(settings, database, office.user("engineering"))
    assert "登记执法过错" in head.get("/findings/new").text
    made = head.post(
        "/findings/new",
        data={"csrf_token": head_token, "person": OFFICER_BADGE, "clause": "二",
              "summary": "群众投诉未出示执法证件"},
        files=[("attachment", ("投诉信.pdf", PDF, "application/pdf"))],
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    fid = int(url.rsplit("/", 1)[-1])
    page = head.get(url).text
    assert "第十八条第（二）项" in page and "投诉信.pdf" in page and "待核实" in page
    mine = officer.get("/findings").text
    assert "我的执法过错" in mine and f'href="/findings/{fid}"' in mine and "前可陈述申辩" in mine
    assert "statement-form" in officer.get(url).text
    assert "decision-form" not in officer.get(url).text
    empty = officer.post(f"{url}/statement", data={"csrf_token": officer_token, "text": " "})
    assert empty.status_code == 422 and "请填写陈述申辩的内容" in empty.text
    said = officer.post(f"{url}/statement",
                        data={"csrf_token": officer_token, "text": "当时已出示证件"},
                        follow_redirects=False)  # fmt: skip
    assert said.status_code == 303
    waiting = head.get("/findings").text
    assert "待我决定" in waiting and f'href="/findings/{fid}"' in waiting
    assert "待我决定的执法过错" in head.get("/").text
    bare = head.post(f"{url}/decision",
                     data={"csrf_token": head_token, "confirm": "1", "reason": "属实"})  # fmt: skip
    assert bare.status_code == 422 and "认定执法过错须写明问责措施" in bare.text
    decided = head.post(f"{url}/decision",
                        data={"csrf_token": head_token, "confirm": "1", "reason": "属实",
                              "measure": "通报批评"}, follow_redirects=False)  # fmt: skip
    assert decided.status_code == 303
    twice = head.post(f"{url}/decision",
                      data={"csrf_token": head_token, "confirm": "0", "reason": "改"})  # fmt: skip
    assert twice.status_code == 409 and "不能再作出决定" in twice.text
    late = officer.post(f"{url}/statement", data={"csrf_token": officer_token, "text": "再说"})
    assert late.status_code == 409 and "不能再陈述申辩" in late.text
    assert "review-form" in engineer.get(url).text
    reviewed = engineer.post(f"{url}/review",
                             data={"csrf_token": engineer_token, "overturn": "1",
                                   "reason": "证件出示已记载于文书"}, follow_redirects=False)  # fmt: skip
    assert reviewed.status_code == 303
    final = officer.get(url).text
    assert "复核改变" in final and "通报批评" in final and "当时已出示证件" in final


def test_bad_input_on_the_record_form_writes_nothing(
    settings: Settings, database: Database, office: Office
) -> None:
    head, token = browser(settings, database, office.user("unit_head"))
    before = findings(database)
    form = {"csrf_token": token, "person": OFFICER_BADGE, "clause": "二", "summary": "投诉"}
    wrong = head.post("/findings/new", data=form,
                      files=[("attachment", ("投诉.pdf", b"MZ\x90\x00", "application/pdf"))])  # fmt: skip
    assert wrong.status_code == 422 and "附件只能是" in wrong.text
    outside = head.post("/findings/new", data={**form, "person": "T9001"})
    assert outside.status_code == 404 and "不在您的管辖范围内" in outside.text
    nobody = head.post("/findings/new", data={**form, "person": "X0000"})
    assert nobody.status_code == 422 and "人员不存在" in nobody.text
    assert findings(database) == before
    assert "投诉" in wrong.text  # the form comes back as it was filled in


def test_documents_added_on_the_page_a_bad_scan_keeps_no_statement_and_a_sweep_by_hand(
    settings: Settings, database: Database, office: Office
) -> None:
    head, head_token = browser(settings, database, office.user("unit_head"))
    officer, officer_token = browser(settings, database, office.user("officer"))
    engineer, engineer_token = browser(settings, database, office.user("engineering"))
    made = head.post("/findings/new", data={"csrf_token": head_token, "person": OFFICER_BADGE,
                     "clause": "六", "summary": "信访反映"}, follow_redirects=False)  # fmt: skip
    url = made.headers["location"]
    added = head.post(f"{url}/documents", data={"csrf_token": head_token},
                      files=[("attachment", ("信访件.pdf", PDF, "application/pdf"))],
                      follow_redirects=False)  # fmt: skip
    assert added.status_code == 303
    page = officer.get(url).text
    assert "信访件.pdf" in page and "证据材料" in page
    link = page.split('href="/api/v1/findings/', 1)[1].split('"', 1)[0]
    assert officer.get(f"/api/v1/findings/{link}").content == PDF  # the person concerned reads it
    none = head.post(f"{url}/documents", data={"csrf_token": head_token})
    assert none.status_code == 422 and "请选择要添加的材料" in none.text
    bad = officer.post(f"{url}/statement", data={"csrf_token": officer_token, "text": "见附件"},
                       files=[("attachment", ("说明.pdf", b"GIF89a", "application/pdf"))])  # fmt: skip
    assert bad.status_code == 422 and "附件只能是" in bad.text
    with database.read() as session:
        finding = session.get(Finding, int(url.rsplit("/", 1)[-1]))
        assert finding is not None and finding.statement_at is None  # nothing half-written
    swept = engineer.post("/findings/sweep", data={"csrf_token": engineer_token},
                          follow_redirects=False)  # fmt: skip
    assert swept.status_code == 303
    assert "巡检完成：新发现 0 条" in engineer.get("/findings").text
    assert head.post("/findings/sweep", data={"csrf_token": head_token}).status_code == 403
