"""The audit log page: only the security auditor reads it; filters, Shanghai dates, paging."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from lawcam.authz import console_actor
from lawcam.org import service
from lawcam.org.types import UnitIn
from lawcam.timeutil import SHANGHAI, shanghai_day_start
from lawcam.web.routers.audit.pages import TAG_LABELS
from tests.api.conftest import login

ROW = re.compile(r'<td class="num mono">(\d+)</td>')


def seqs(html: str) -> list[int]:
    return [int(s) for s in ROW.findall(html)]


def test_only_the_auditor_reads_the_log(client, office):
    r = client.get("/audit", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    for role in ["sysadmin", "secadmin", "officer", "unit_head"]:
        client.cookies.clear()
        login(client, office.user(role))
        refused = client.get("/audit")
        assert refused.status_code == 403
        assert "您没有执行此操作的权限。" in refused.text


def test_audit_page_shows_the_columns_and_chinese_labels(client, office):
    login(client, office.user("auditor"))
    r = client.get("/audit")
    assert r.status_code == 200
    for text in [
        "审计日志",
        "序号",
        "时间",
        "操作",
        "操作人",
        "来源",
        "对象",
        "变更前",
        "变更后",
        "新建单位",
        "org:unit:create",
        "os:tester",
        "命令行",
        "登录成功",
        "执法一处",
        "单位 #",
    ]:
        assert text in r.text
    assert "共 <strong>" in r.text
    numbers = seqs(r.text)
    assert numbers == sorted(numbers, reverse=True)  # newest first


def test_tag_who_and_subject_filters(client, office):
    login(client, office.user("auditor"))
    units = client.get("/audit", params={"tag": "org:unit:"})
    assert "<strong>新建单位</strong>" in units.text
    assert "<strong>新增人员</strong>" not in units.text
    assert len(seqs(units.text)) == 5

    mine = client.get("/audit", params={"who": "u_auditor"})
    assert "登录成功" in mine.text and "os:tester" not in mine.text

    unit_id = office.units["执法二处"]
    one = client.get("/audit", params={"subject_type": "unit", "subject_id": str(unit_id)})
    assert len(seqs(one.text)) == 1 and "执法二处" in one.text


def test_dates_are_shanghai_days(client, office, database):
    assert shanghai_day_start(date(2026, 1, 2)) == datetime(2026, 1, 1, 16, 0, tzinfo=UTC)
    login(client, office.user("auditor"))
    today = datetime.now(SHANGHAI).date().isoformat()
    r = client.get("/audit", params={"since": today, "until": today, "tag": "org:unit:create"})
    assert r.status_code == 200 and len(seqs(r.text)) == 5
    past = client.get("/audit", params={"until": "2000-01-01"})
    assert past.status_code == 200 and seqs(past.text) == []
    assert "没有符合条件的审计记录。" in past.text
    bad = client.get("/audit", params={"since": "昨天"})
    assert bad.status_code == 422 and "起始日期格式不正确" in bad.text
    backwards = client.get("/audit", params={"since": "2026-02-01", "until": "2026-01-01"})
    assert backwards.status_code == 422
    assert "起始日期 2026-02-01 晚于截止日期 2026-01-01：请调换两个日期后再查询。" in backwards.text
    future = (datetime.now(SHANGHAI).date() + timedelta(days=3)).isoformat()
    ahead = client.get("/audit", params={"since": future})
    assert ahead.status_code == 422 and f"起始日期 {future} 晚于今天" in ahead.text


def test_pagination_fifty_per_page(client, office, database):
    with database.unit_of_work() as session:
        for i in range(60):
            service.create_unit(
                session=session,
                actor=console_actor("tester"),
                data=UnitIn(name=f"分页测试单位{i:02d}"),
            )
    login(client, office.user("auditor"))
    first = client.get("/audit", params={"tag": "org:unit:create"})
    assert len(seqs(first.text)) == 50
    assert "共 <strong>65</strong> 条记录" in first.text
    assert "第 1 / 2 页" in first.text and "下一页" in first.text
    assert "tag=org%3Aunit%3Acreate&amp;page=2" in first.text
    second = client.get("/audit", params={"tag": "org:unit:create", "page": "2"})
    assert len(seqs(second.text)) == 15
    assert set(seqs(first.text)).isdisjoint(seqs(second.text))
    junk = client.get("/audit", params={"tag": "org:unit:create", "page": "abc"})
    assert junk.status_code == 422 and "页码须为整数，而不是“abc”。" in junk.text
    past_end = client.get("/audit", params={"tag": "org:unit:create", "page": "3"})
    assert past_end.status_code == 422 and seqs(past_end.text) == []
    assert "第 3 页超出范围：符合条件的记录共 65 条，2 页。" in past_end.text
    assert "tag=org%3Aunit%3Acreate&amp;page=2" in past_end.text  # the pager leads back


def test_update_shows_before_and_after(client, office):
    login(client, office.user("sysadmin"))
    unit_id = office.units["工程监管处"]
    r = client.post(
        f"/units/{unit_id}/edit",
        data={"name": "工程监管处", "unit_class": "fewer", "target": "7", "note": ""},
    )
    assert r.status_code == 200
    client.cookies.clear()
    login(client, office.user("auditor"))
    page = client.get("/audit", params={"tag": "org:unit:update"})
    assert "修改单位" in page.text
    assert '<div class="changed"><dt title="target">配备目标</dt><dd>7</dd></div>' in page.text
    assert '<dt title="target">配备目标</dt><dd>1</dd>' in page.text
    assert "测试系统管理员(u_sysadmin)" in page.text and "网页" in page.text


def test_every_org_and_auth_tag_has_a_label():
    from lawcam.audit.types import AuthEvent
    from lawcam.org.types import OrgEvent

    for tag in [*OrgEvent, *AuthEvent]:
        assert TAG_LABELS.get(str(tag)), tag
