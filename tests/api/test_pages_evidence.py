"""The Chinese recordings pages (issue 5): the list with its filters and the Chinese error on a
bad date, the late list (R14.1), a recording's facts (digests, times, problems, sightings), the
correction form beside the untouched original (R15.1), and 404 for what the caller may not see
(R15.2)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence.models import Correction
from lawcam.timeutil import local
from tests.api.test_api_custody import as_user, count
from tests.api.test_api_evidence import (
    NO_RECORDING_VIEW,
    OFFICER_USER,
    Evidence,
    build_evidence,
    row,
)
from tests.api.test_pages_custody import every_form_has_csrf
from tests.evidence_helpers import ingest
from tests.factories import Office

ROWS = re.compile(r'<tr data-recording="(\d+)">')


@pytest.fixture
def evidence(
    office: Office, database: Database, settings: Settings, console: Actor, tmp_path: Path
) -> Evidence:
    return build_evidence(database, settings, console, office, tmp_path)


def shown(html: str) -> set[int]:
    return {int(m) for m in ROWS.findall(html)}


def rows(client: TestClient, url: str = "/recordings", **params: object) -> set[int]:
    r = client.get(url, params=params)
    assert r.status_code == 200, r.text
    return shown(r.text)


@pytest.mark.req("R14.1", "R15.2")
def test_list_page_and_filters(client: TestClient, evidence: Evidence) -> None:
    e = evidence
    as_user(client, "u_admin2")
    home = client.get("/")
    assert 'href="/recordings">音像资料</a>' in home.text
    page = client.get("/recordings")
    assert page.status_code == 200
    assert "执法音像资料" in page.text and "共 3 条。" in page.text
    assert shown(page.text) == {e.custody, e.old, e.sub}
    for text in [
        "二处执法员",
        "T9001",
        "未确定",
        "执法二处一科",
        "T2-0002",
        "officer_unknown",
        "迟交",
    ]:
        assert text in page.text, text
    assert rows(client, flagged="1") == {e.old, e.sub}
    assert rows(client, late="1") == {e.old}
    assert rows(client, unit_id=e.sub_unit) == {e.sub}
    assert rows(client, officer="T9001") == {e.custody}
    assert rows(client, device="T2-0002") == {e.sub}
    day = e.old_day.isoformat()
    assert rows(client, **{"from": day, "to": day}) == {e.old}
    r = client.get("/recordings", params={"from": day, "to": day, "flagged": "1"})
    assert 'name="flagged" value="1" checked' in r.text and f'value="{day}"' in r.text
    r = client.get("/recordings", params={"unit_id": e.office.units["执法一处"]})
    assert shown(r.text) == set() and "没有符合条件的资料。" in r.text

    # A bad date: the Chinese message, 422, and the page still rendered (unfiltered).
    r = client.get("/recordings", params={"from": "昨天"})
    assert r.status_code == 422
    assert "起始日期格式不正确，应为“年-月-日”，如 2026-11-30。" in r.text
    assert '<p class="error" role="alert">' in r.text
    assert shown(r.text) == {e.custody, e.old, e.sub}
    r = client.get("/recordings", params={"to": "2026-13-01"})
    assert r.status_code == 422 and "截止日期格式不正确" in r.text
    r = client.get("/recordings", params={"officer": "NOPE-1"})
    assert r.status_code == 404 and "执法证号为 NOPE-1 的人员不存在。" in r.text
    assert "<table" in r.text

    # The officer sees only their own; 执法一处's administrator none of 执法二处's.
    as_user(client, OFFICER_USER)
    assert rows(client) == {e.custody}
    as_user(client, "u_device_admin")
    assert rows(client) == {e.one}


@pytest.mark.req("R14.1")
def test_the_old_late_address_leads_to_the_late_list(
    client: TestClient, evidence: Evidence
) -> None:
    """迟交清单 moved to /activities/late (its deadline runs from the activity's end): the old
    address answers with the way there, filters kept; the list itself is tested with the
    activities (tests/api/test_pages_late.py)."""
    as_user(client, "u_head2")
    moved = client.get(
        "/recordings/late", params={"unit_id": evidence.sub_unit}, follow_redirects=False
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/activities/late?unit_id={evidence.sub_unit}"
    page = client.get("/recordings/late")
    assert page.status_code == 200 and page.url.path == "/activities/late"
    assert "<h1>迟交清单</h1>" in page.text
    # Outside every activity: late by its own end + 24 h, marked so.
    assert shown(page.text) == {evidence.old} and "活动之外" in page.text
    assert rows(client, "/recordings/late", unit_id=evidence.sub_unit) == set()
    day = evidence.old_day.isoformat()  # docked since then
    assert rows(client, "/recordings/late", **{"from": day}) == {evidence.old}
    r = client.get("/recordings/late", params={"from": "x"})
    assert r.status_code == 422 and "起始日期格式不正确" in r.text
    assert shown(r.text) == set() and "请先更正筛选条件。" in r.text


@pytest.mark.req("R14.1", "R14.2")
def test_recording_page_facts(
    client: TestClient,
    evidence: Evidence,
    database: Database,
    settings: Settings,
    console: Actor,
    tmp_path: Path,
) -> None:
    # The same bytes docked again from another folder: a sighting, nothing stored.
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(tmp_path / "t2" / "DCIM" / "old.mp4", again / "old-copy.mp4")
    report = ingest(database, settings, console, again)
    assert [f.status for f in report.files] == ["duplicate"]
    facts = row(database, evidence.old)

    as_user(client, "u_admin2")
    page = client.get(f"/recordings/{evidence.old}")
    assert page.status_code == 200
    html = page.text
    every_form_has_csrf(html)
    for text in [
        f"资料 #{evidence.old}",
        "old.mp4",
        "有问题标记",
        "迟交（第十四条）",
        facts["sha256"],
        facts["sm3"],
        local(facts["start_at"]),
        local(facts["end_at"]),
        local(facts["upload_deadline"]),
        "文件内部创建时间",  # where the start time came from
        str(facts["retain_until"]),
        "至少两年，第十四条",
        "officer_unknown",
        "录制时该设备没有领用记录，也未指定执法人员",
        "DCIM/old.mp4",
        "首次导入",
        "old-copy.mp4",
        "重复导入（未再保存）",
        "没有更正。",
        "记录更正",
        f'href="/access?recording={evidence.old}"',  # the content only by approval (第十五条)
    ]:
        assert text in html, text
    assert html.count('<td class="mono">') >= 2  # two sightings
    # The custody recording names its officer from the ledger, without problem marks.
    page = client.get(f"/recordings/{evidence.custody}").text
    assert "二处执法员" in page and "领用台账" in page and "问题标记" not in page
    assert "按时" in page


@pytest.mark.req("R15.1")
def test_correction_form(client: TestClient, evidence: Evidence, database: Database) -> None:
    url = f"/recordings/{evidence.sub}"
    before = row(database, evidence.sub)
    as_user(client, "u_admin2")
    audit, corrections = count(database, AuditEvent), count(database, Correction)

    # Refused: the form again with the Chinese message and what was typed; nothing written.
    for data, message, field in [
        ({"field": "note", "value": "补记说明", "reason": "  "}, "更正必须说明理由。", "reason"),
        ({"field": "", "value": "补记说明", "reason": "漏记"}, "请选择要更正的项目。", None),
        ({"field": "start_at", "value": "昨天", "reason": "漏记"}, "开始时间格式应为", "value"),
        # given_officer names the field "officer", which this form does not have: no mark.
        ({"field": "officer", "value": "NOPE-1", "reason": "漏记"}, "NOPE-1", None),
    ]:
        r = client.post(f"{url}/corrections", data=data)
        assert r.status_code == 422, (data, r.status_code)
        assert '<p class="error" role="alert">' in r.text and message in r.text, data
        assert f'value="{data["value"]}"' in r.text
        if field:
            assert re.search(
                rf'name="{field}" value="[^"]*"  ?class="invalid" aria-invalid="true"', r.text
            ), field
        assert "没有更正。" in r.text
        every_form_has_csrf(r.text)
    assert (count(database, AuditEvent), count(database, Correction)) == (audit, corrections)

    r = client.post(
        f"{url}/corrections",
        data={"field": "officer", "value": "T9001", "reason": "当日由二处执法员使用"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == url
    page = client.get(r.headers["location"])
    assert (
        '<p class="notice" role="status">已记录更正：执法人员。原始记录保持不变。</p>' in page.text
    )
    table = page.text.split("<h2>更正记录</h2>", 1)[1]
    for text in ["执法人员", "T9001", "当日由二处执法员使用", "u_admin2"]:
        assert text in table, text
    assert count(database, Correction) == corrections + 1
    assert count(database, AuditEvent) == audit + 1
    # The original stays: still no officer on the recording itself.
    assert row(database, evidence.sub) == before
    assert "未确定" in page.text.split("<h2>更正记录</h2>", 1)[0]

    # The unit head may correct too; the officer sees the page without the form.
    as_user(client, "u_head2")
    r = client.post(f"{url}/corrections", data={"field": "note", "value": "复核", "reason": "复核"})
    assert r.status_code == 200 and "已记录更正：备注。" in r.text
    as_user(client, OFFICER_USER)
    page = client.get(f"/recordings/{evidence.custody}")
    assert page.status_code == 200 and "记录更正</button>" not in page.text
    data = {"field": "note", "value": "x", "reason": "x"}
    r = client.post(f"/recordings/{evidence.custody}/corrections", data=data)
    assert r.status_code == 403


@pytest.mark.req("R15.2")
def test_out_of_scope_is_a_404_page(
    client: TestClient, evidence: Evidence, database: Database
) -> None:
    data = {"field": "note", "value": "x", "reason": "x"}
    digests = {
        i: row(database, i)["sha256"] for i in [evidence.custody, evidence.old, evidence.sub]
    }
    for username in ["u_device_admin", "u_unit_head", "u_officer", "u_spare"]:
        as_user(client, username)
        audit = count(database, AuditEvent)
        for recording_id in [evidence.custody, evidence.old, evidence.sub]:
            r = client.get(f"/recordings/{recording_id}")
            assert r.status_code == 404, (username, recording_id)
            assert "资料不存在，或您无权查看。" in r.text
            assert digests[recording_id] not in r.text and "SHA-256" not in r.text
            r = client.post(f"/recordings/{recording_id}/corrections", data=data)
            assert r.status_code == 404, (username, recording_id)
        assert count(database, AuditEvent) == audit
    assert client.get("/recordings/999999").status_code == 404
    for role in NO_RECORDING_VIEW:
        as_user(client, evidence.office.user(role))
        assert 'href="/recordings"' not in client.get("/").text, role
        assert client.get("/recordings").status_code == 403, role
        assert client.get("/recordings/late").status_code == 403, role
        assert client.get(f"/recordings/{evidence.custody}").status_code == 404, role


@pytest.mark.parametrize("role", [Role.OFFICER, Role.DEVICE_ADMIN, Role.UNIT_HEAD], ids=str)
def test_nav_link_for_viewers(client: TestClient, office: Office, role: Role) -> None:
    as_user(client, office.user(role))
    assert 'href="/recordings">音像资料</a>' in client.get("/").text
    page = client.get("/recordings")
    assert page.status_code == 200 and "没有符合条件的资料。" in page.text
