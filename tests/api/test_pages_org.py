"""The Chinese pages for units (with case-handling zones, R5.2) and people."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.db import Database
from lawcam.org.models import Person, Unit, Zone
from tests.api.conftest import login

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def count(database: Database, model: type) -> int:
    with database.read() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def audit_rows(database: Database, tag: str) -> list[AuditEvent]:
    with database.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.tag == tag)))


def unit_named(database: Database, name: str) -> Unit | None:
    with database.read() as session:
        return session.scalars(select(Unit).where(Unit.name == name)).one_or_none()


def as_user(client, office, role: str) -> None:
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    login(client, office.user(role))


# Units ---------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, office):
    for url in ["/units", "/units/new", "/people", f"/people/{office.people['officer']}"]:
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=")


def test_units_page_for_manager_and_reader(client, office):
    as_user(client, office, "sysadmin")
    r = client.get("/units")
    assert r.status_code == 200
    assert "新建单位" in r.text and 'href="/units/new"' in r.text
    for text in ["执法一处", "工程监管处", "较多", "较少", "1 台", "在用"]:
        assert text in r.text

    as_user(client, office, "officer")
    r = client.get("/units")
    assert r.status_code == 200
    assert "执法一处" in r.text
    assert "新建单位" not in r.text
    assert client.get("/units/new").status_code == 403


def test_unit_form_path_with_hidden_csrf_token(client, office, database):
    """The browser way: the token comes from the form's hidden input, not a header."""
    login(client, office.user("sysadmin"))
    del client.headers["X-CSRF-Token"]
    page = client.get("/units/new")
    assert page.status_code == 200
    assert ">保存<" in page.text
    token = CSRF_INPUT.search(page.text)
    assert token is not None

    refused = client.post("/units/new", data={"name": "无令牌单位"}, follow_redirects=False)
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    assert unit_named(database, "无令牌单位") is None

    r = client.post(
        "/units/new",
        data={
            "csrf_token": token.group(1),
            "name": "执法三处",
            "unit_class": "more",
            "note": "新设",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    unit = unit_named(database, "执法三处")
    assert unit is not None and unit.unit_class == "more" and unit.note == "新设"
    assert r.headers["location"] == f"/units/{unit.id}"
    shown = client.get(r.headers["location"])
    assert "已创建" in shown.text and "执法三处" in shown.text


@pytest.mark.req("R5.2")
def test_create_unit_with_zones_writes_unit_zones_and_audit(client, office, database):
    login(client, office.user("sysadmin"))
    r = client.post(
        "/units/new",
        data={
            "name": "执法四处",
            "unit_class": "fewer",
            "target": "3",
            "parent": "执法一处",
            "zones": "第一办案区、第二办案区，第三办案区",
        },
    )
    assert r.status_code == 200  # after the redirect
    unit = unit_named(database, "执法四处")
    assert unit is not None
    assert unit.target == 3 and unit.parent_id == office.units["执法一处"]
    with database.read() as session:
        zones = session.scalars(select(Zone.name).where(Zone.unit_id == unit.id)).all()
    assert sorted(zones) == ["第一办案区", "第三办案区", "第二办案区"]
    for zone in zones:
        assert zone in r.text
    created = [e for e in audit_rows(database, "org:unit:create") if e.subject_id == str(unit.id)]
    assert len(created) == 1
    assert "测试系统管理员" in created[0].actor_label and created[0].actor_source == "web"
    assert (
        len(
            [
                e
                for e in audit_rows(database, "org:zone:create")
                if f'"unit_id":{unit.id}' in (e.after or "")
            ]
        )
        == 3
    )


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"name": "执法一处", "unit_class": "more"}, 409, "单位“执法一处”已存在。"),
        ({"name": "新单位甲", "unit_class": "fewer"}, 422, "须设定配备目标台数"),
        ({"name": "新单位乙", "unit_class": "fewer", "target": "abc"}, 422, "配备目标须为整数。"),
        ({"name": "新单位丙", "target": "-1"}, 422, "配备目标须为 0 至"),
        ({"name": "新单位丁", "unit_class": "huge"}, 422, "单位类别只能是"),
        ({"name": "", "unit_class": "many"}, 422, "单位名称不能为空。"),
        ({"name": "新单位戊", "parent": "不存在的处"}, 422, "不存在"),
        ({"name": "新单位己", "zones": "甲区、甲区"}, 409, "已有办案专区“甲区”"),
    ],
)
def test_unit_form_errors_show_chinese_message_and_write_nothing(
    client, office, database, data, status, message
):
    login(client, office.user("sysadmin"))
    units, zones, audits = count(database, Unit), count(database, Zone), count(database, AuditEvent)
    r = client.post("/units/new", data={**data, "note": "保留的备注"}, follow_redirects=False)
    assert r.status_code == status
    assert message in r.text
    assert 'role="alert"' in r.text
    # The values the user typed are kept.
    assert "保留的备注" in r.text
    if data["name"]:
        assert f'value="{data["name"]}"' in r.text
    assert count(database, Unit) == units
    assert count(database, Zone) == zones
    # Only the login's own audit rows may have been added, none for the failed form.
    with database.read() as session:
        tags = session.scalars(select(AuditEvent.tag).where(AuditEvent.seq >= audits)).all()
    assert all(tag.startswith("auth:") for tag in tags)


def test_unit_detail_shows_people_and_manager_controls(client, office):
    unit_id = office.units["执法一处"]
    login(client, office.user("sysadmin"))
    r = client.get(f"/units/{unit_id}")
    assert r.status_code == 200
    for text in [
        "测试执法人员",
        "测试执法记录仪管理员",
        "执法记录仪管理员",
        "T0000",
        "添加办案专区",
        "停用",
        f'action="/units/{unit_id}/edit"',
    ]:
        assert text in r.text
    assert client.get("/units/999999").status_code == 404

    as_user(client, office, "officer")
    r = client.get(f"/units/{unit_id}")
    assert r.status_code == 200
    assert "测试执法人员" in r.text
    assert "添加办案专区" not in r.text
    assert f'action="/units/{unit_id}/deactivate"' not in r.text
    assert f'action="/units/{unit_id}/edit"' not in r.text


def test_unit_detail_lists_only_people_the_actor_may_see(client, office):
    """The people of another unit stay hidden from an officer (permission in the query)."""
    login(client, office.user("officer"))
    r = client.get(f"/units/{office.units['执法二处']}")
    assert r.status_code == 200
    assert "二处执法员" not in r.text


@pytest.mark.req("R5.2")
def test_add_zone_and_refusals(client, office, database):
    unit_id = office.units["执法二处"]
    login(client, office.user("sysadmin"))
    r = client.post(f"/units/{unit_id}/zones", data={"name": "询问室"}, follow_redirects=False)
    assert r.status_code == 303
    assert "/units/" in r.headers["location"]
    page = client.get(r.headers["location"])
    assert "办案专区“询问室”已添加。" in page.text
    assert any(
        e.tag == "org:zone:create" and "询问室" in (e.after or "")
        for e in audit_rows(database, "org:zone:create")
    )

    again = client.post(f"/units/{unit_id}/zones", data={"name": "询问室"})
    assert again.status_code == 409
    assert "已有办案专区“询问室”" in again.text
    empty = client.post(f"/units/{unit_id}/zones", data={"name": "  "})
    assert empty.status_code == 422
    assert "办案专区名称不能为空。" in empty.text

    as_user(client, office, "officer")
    zones = count(database, Zone)
    refused = client.post(f"/units/{unit_id}/zones", data={"name": "偷建专区"})
    assert refused.status_code == 403
    assert count(database, Zone) == zones


def test_edit_unit(client, office, database):
    unit_id = office.units["工程监管处"]
    login(client, office.user("sysadmin"))
    base = {"name": "工程监管处", "unit_class": "fewer", "target": "2", "parent": "", "note": "改"}
    r = client.post(f"/units/{unit_id}/edit", data=base, follow_redirects=False)
    assert r.status_code == 303
    unit = unit_named(database, "工程监管处")
    assert unit is not None and unit.target == 2 and unit.note == "改"
    updates = [e for e in audit_rows(database, "org:unit:update") if e.subject_id == str(unit_id)]
    assert len(updates) == 1

    bad = client.post(f"/units/{unit_id}/edit", data={**base, "target": "两台"})
    assert bad.status_code == 422
    assert "配备目标须为整数。" in bad.text
    assert 'value="两台"' in bad.text
    cleared = client.post(f"/units/{unit_id}/edit", data={**base, "target": ""})
    assert cleared.status_code == 422
    assert "须设定配备目标台数" in cleared.text
    renamed = client.post(f"/units/{unit_id}/edit", data={**base, "name": "执法一处"})
    assert renamed.status_code == 409
    unit = unit_named(database, "工程监管处")
    assert unit is not None and unit.target == 2


def test_deactivate_unit(client, office, database):
    login(client, office.user("sysadmin"))
    busy = client.post(f"/units/{office.units['执法一处']}/deactivate")
    assert busy.status_code == 409
    assert "仍有在职人员" in busy.text

    client.post("/units/new", data={"name": "临时专班", "unit_class": "more"})
    unit = unit_named(database, "临时专班")
    assert unit is not None
    r = client.post(f"/units/{unit.id}/deactivate", follow_redirects=False)
    assert r.status_code == 303
    unit = unit_named(database, "临时专班")
    assert unit is not None and not unit.is_active
    assert "已停用" in client.get(r.headers["location"]).text  # the flash message, shown once
    assert "临时专班" not in client.get("/units").text
    assert "临时专班" in client.get("/units?include_inactive=1").text

    as_user(client, office, "officer")
    assert client.post(f"/units/{office.units['执法二处']}/deactivate").status_code == 403


# People --------------------------------------------------------------------------------------


def test_people_page(client, office):
    login(client, office.user("sysadmin"))
    r = client.get("/people")
    assert r.status_code == 200
    for text in ["测试执法人员", "二处执法员", "T0000", "执法记录仪管理员", "新增人员", "在职"]:
        assert text in r.text
    only_second = client.get("/people", params={"unit_id": office.units["执法二处"]})
    assert "二处执法员" in only_second.text and "测试执法人员" not in only_second.text
    by_badge = client.get("/people", params={"q": "T9001", "unit_id": ""})
    assert by_badge.status_code == 200
    assert "二处执法员" in by_badge.text and "测试执法人员" not in by_badge.text
    bad = client.get("/people", params={"unit_id": "x"})
    assert bad.status_code == 200 and "单位参数不正确。" in bad.text

    as_user(client, office, "officer")
    mine = client.get("/people")
    assert mine.status_code == 200
    assert "测试执法人员" in mine.text
    assert "二处执法员" not in mine.text
    assert "新增人员" not in mine.text
    assert client.get("/people/new").status_code == 403


def test_create_person(client, office, database):
    login(client, office.user("sysadmin"))
    form = client.get("/people/new")
    assert form.status_code == 200 and "执法证号" in form.text and ">保存<" in form.text
    r = client.post(
        "/people/new",
        data={
            "name": "王五",
            "unit": "执法二处",
            "badge": "A-1001",
            "is_officer": "1",
            "phone": "010-1234",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    with database.read() as session:
        person = session.scalars(select(Person).where(Person.badge == "A-1001")).one()
    assert (
        person.name == "王五" and person.is_officer and person.unit_id == office.units["执法二处"]
    )
    assert r.headers["location"] == f"/people/{person.id}"
    assert any(e.subject_id == str(person.id) for e in audit_rows(database, "org:person:create"))
    assert "王五" in client.get(f"/people/{person.id}").text


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"name": "赵六", "unit": "执法一处", "is_officer": "1"}, 422, "执法人员须填写执法证号。"),
        ({"name": "赵六", "unit": "执法一处", "badge": "T0000"}, 409, "已被“测试执法人员”使用"),
        ({"name": "赵六", "unit": "", "badge": "Z-1"}, 422, "请选择所属单位。"),
        ({"name": "赵六", "unit": "执法一处", "badge": "坏号码"}, 422, "执法证号只能由"),
        ({"name": "", "unit": "执法一处"}, 422, "姓名不能为空。"),
    ],
)
def test_person_form_errors(client, office, database, data, status, message):
    login(client, office.user("sysadmin"))
    people = count(database, Person)
    r = client.post("/people/new", data={**data, "phone": "66668888"})
    assert r.status_code == status
    assert message in r.text
    assert 'value="66668888"' in r.text
    assert count(database, Person) == people


def test_person_detail_edit_and_history(client, office, database):
    pid = office.people["device_admin"]
    login(client, office.user("sysadmin"))
    r = client.get(f"/people/{pid}")
    assert r.status_code == 200
    for text in ["角色记录", "执法记录仪管理员", "在任", "编辑人员", "u_device_admin"]:
        assert text in r.text

    ok = client.post(
        f"/people/{pid}/edit",
        data={
            "name": "测试执法记录仪管理员",
            "unit": "执法一处",
            "badge": "T0001",
            "phone": "12345",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    with database.read() as session:
        person = session.get(Person, pid)
        assert person is not None and person.phone == "12345"
    assert any(e.subject_id == str(pid) for e in audit_rows(database, "org:person:update"))

    moved = client.post(
        f"/people/{pid}/edit",
        data={"name": "测试执法记录仪管理员", "unit": "执法二处", "badge": "T0001"},
    )
    assert moved.status_code == 409
    assert "调动前请先由安全管理员撤销该角色" in moved.text
    with database.read() as session:
        person = session.get(Person, pid)
        assert person is not None and person.unit_id == office.units["执法一处"]


def test_deactivate_and_reactivate_person(client, office, database):
    pid = office.people["other_unit_officer"]
    login(client, office.user("sysadmin"))
    r = client.post(f"/people/{pid}/deactivate", follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "已停用" in page.text and "恢复在职" in page.text
    assert "二处执法员" not in client.get("/people").text
    assert "二处执法员" in client.get("/people?include_inactive=1").text
    twice = client.post(f"/people/{pid}/deactivate")
    assert twice.status_code == 409 and "已是停用状态" in twice.text
    back = client.post(f"/people/{pid}/reactivate", follow_redirects=False)
    assert back.status_code == 303
    tags = [e.tag for e in audit_rows(database, "org:person:deactivate")] + [
        e.tag for e in audit_rows(database, "org:person:reactivate")
    ]
    assert tags == ["org:person:deactivate", "org:person:reactivate"]


def test_person_pages_refuse_others(client, office):
    login(client, office.user("officer"))
    # Another unit's person is not found for an officer; the own unit's is shown read-only.
    assert client.get(f"/people/{office.people['other_unit_officer']}").status_code == 404
    own = client.get(f"/people/{office.people['unit_head']}")
    assert own.status_code == 200
    assert "编辑人员" not in own.text
    assert client.post(f"/people/{office.people['unit_head']}/deactivate").status_code == 403
    assert client.get("/people/999999").status_code == 404
