"""The Chinese custody pages (issue 4): the device page's timeline and forms (checkout with the
pre-use check, return, handover, fault report, loss case), the ledger with its filters, faults
and repair orders, loss and damage cases, and the inbox (R9.2, R11.1, R16.1, R17.1)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Role
from lawcam.custody.models import CustodyPeriod, FaultReport, RepairOrder
from lawcam.db import Database
from tests.api.test_api_custody import add_unit_staff, as_user, count
from tests.factories import Office

pytestmark = pytest.mark.req("R9.2", "R11.1", "R16.1", "R17.1")

CSRF_INPUT = re.compile(
    r'<form method="post"[^>]*>\s*<input type="hidden" name="csrf_token" value="[^"]+">'
)
GOOD = {"battery_pct": "95", "free_hours": "20", "clock_offset_s": "3", "override_reason": ""}
EQUIPMENT_VIEWERS = {
    Role.OFFICER,
    Role.DEVICE_ADMIN,
    Role.UNIT_HEAD,
    Role.ENGINEERING,
    Role.FINANCE,
    Role.ICT,
}


@pytest.fixture
def unit2(office: Office, database, settings, console) -> Office:  # type: ignore[no-untyped-def]
    add_unit_staff(database, settings, console)
    return office


def every_form_has_csrf(html: str) -> None:
    forms = re.findall(r'<form method="post"', html)
    assert len(re.findall(CSRF_INPUT, html)) == len(forms), "a form without csrf_token"


def test_device_page_checkout_refusal_return(
    client: TestClient, unit2: Office, database: Database
) -> None:
    device_id = unit2.equipment["device"]
    url = f"/devices/{device_id}"
    as_user(client, "u_admin2")
    page = client.get(url)
    assert page.status_code == 200
    for text in ["领用记录", "暂无领用记录。", "办理领用", "电量不低于 80%", "立案", "报告故障"]:
        assert text in page.text, text
    every_form_has_csrf(page.text)

    r = client.post(f"{url}/checkout", data={"officer": "T9001", **GOOD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert "设备 T2-0001 已由“二处执法员”领用。" in page.text
    assert "当前由 <strong>二处执法员</strong>" in page.text
    assert "办理归还" in page.text and "办理交接" in page.text and "办理领用" not in page.text
    assert "领用" in page.text  # the history names the step in Chinese
    assert "custody:period:checkout" not in page.text

    # A handover at 40 % is refused with the Chinese message; the form keeps its values.
    periods, audit = count(database, CustodyPeriod), count(database, AuditEvent)
    low = {**GOOD, "battery_pct": "40", "to_officer": "T9002"}
    r = client.post(f"{url}/handover", data=low)
    assert r.status_code == 409
    assert "交接时检查未通过：电量 40% 低于 80%" in r.text
    assert 'value="T9002"' in r.text
    assert (count(database, CustodyPeriod), count(database, AuditEvent)) == (periods, audit)
    every_form_has_csrf(r.text)

    r = client.post(f"{url}/return", data={"condition": "damaged", "note": "外壳碎裂"})
    assert r.status_code == 200 and "已归还（损坏）" in r.text  # followed the redirect
    assert "故障" in r.text

    # Now faulty: a checkout is refused, and nothing is written.
    r = client.post(f"{url}/checkout", data={"officer": "T9001", **GOOD})
    assert r.status_code == 409 and "不能领用" in r.text
    assert count(database, CustodyPeriod) == 1


def test_checkout_refused_at_40_percent_then_override(
    client: TestClient, unit2: Office, database: Database
) -> None:
    url = f"/devices/{unit2.equipment['device']}"
    as_user(client, "u_admin2")
    low = {**GOOD, "battery_pct": "40", "officer": "T9001"}
    r = client.post(f"{url}/checkout", data=low)
    assert r.status_code == 409
    assert "领用前检查未通过：电量 40% 低于 80%" in r.text
    assert 'aria-invalid="true"' in r.text
    assert count(database, CustodyPeriod) == 0
    r = client.post(f"{url}/checkout", data={**low, "battery_pct": "abc"})
    assert r.status_code == 422 and "电量须为整数" in r.text
    r = client.post(f"{url}/checkout", data={**low, "override_reason": "紧急出勤"})
    assert r.status_code == 200
    assert "领用前检查未通过，已记录理由" in r.text
    assert "理由：紧急出勤" in r.text


def test_custody_forms_only_for_the_units_administrator(client: TestClient, unit2: Office) -> None:
    url = f"/devices/{unit2.equipment['device']}"
    for user in ["u_ict", "u_finance", "u_head2"]:
        as_user(client, user)
        page = client.get(url)
        assert page.status_code == 200
        assert "领用记录" in page.text and "办理领用" not in page.text
        r = client.post(f"{url}/checkout", data={"officer": "T9001", **GOOD})
        assert r.status_code == 403
    as_user(client, "u_device_admin")  # 执法一处
    assert client.post(f"{url}/checkout", data={"officer": "T9001", **GOOD}).status_code == 404


def test_ledger_page_and_filters(client: TestClient, unit2: Office) -> None:
    url = f"/devices/{unit2.equipment['device']}"
    as_user(client, "u_admin2")
    client.post(f"{url}/checkout", data={"officer": "T9001", **GOOD})
    client.post(f"{url}/return", data={"condition": "ok"})
    client.post(f"{url}/checkout", data={"officer": "T9002", **GOOD})
    r = client.get("/ledger")
    assert r.status_code == 200
    assert r.text.count('<tr data-period="') == 2
    for text in ["二处执法员", "备用人员", "完好", "未归还", "电量 95%", "通过"]:
        assert text in r.text, text
    r = client.get("/ledger", params={"unit_id": unit2.units["执法一处"]})
    assert "没有符合条件的领用记录。" in r.text
    r = client.get("/ledger", params={"from": "2000-01-01", "to": "2000-01-31"})
    assert "没有符合条件的领用记录。" in r.text
    r = client.get("/ledger", params={"from": "昨天"})
    assert r.status_code == 422 and "起始日期格式不正确" in r.text
    as_user(client, "u_unit_head")  # 执法一处 sees none of 执法二处's rows
    assert '<tr data-period="' not in client.get("/ledger").text


def test_fault_to_repair_through_the_pages(
    client: TestClient, unit2: Office, database: Database
) -> None:
    device_id = unit2.equipment["device"]
    as_user(client, "u_admin2")
    r = client.post(f"/devices/{device_id}/fault", data={"description": ""})
    assert r.status_code == 422 and "须填写故障情况" in r.text
    r = client.post(f"/devices/{device_id}/fault", data={"description": "无法开机"})
    assert r.status_code == 200 and "已通知单位负责人" in r.text

    as_user(client, "u_head2")
    inbox = client.get("/inbox")
    assert "T2-0001" in inbox.text and "无法开机" in inbox.text
    assert f'href="/devices/{device_id}"' in inbox.text

    as_user(client, "u_admin2")
    faults = client.get("/faults")
    every_form_has_csrf(faults.text)
    assert "已报告" in faults.text and "登记</button>" in faults.text
    fault_id = database_id(database, FaultReport)
    r = client.post(f"/faults/{fault_id}/repair")
    assert r.status_code == 409 and "故障须先登记" in r.text
    assert client.post(f"/faults/{fault_id}/register").status_code == 200
    assert "已登记" in client.get("/faults").text
    r = client.post(f"/faults/{fault_id}/repair")
    assert r.status_code == 200 and "已送信息通信保障部维修" in r.text
    order_id = database_id(database, RepairOrder)

    as_user(client, "u_ict")
    faults = client.get("/faults")
    assert "完成维修" in faults.text
    r = client.post(f"/repairs/{order_id}/complete", data={"diagnosis": "", "outcome": "repaired"})
    assert r.status_code == 422 and "须填写检测结论" in r.text
    r = client.post(
        f"/repairs/{order_id}/complete", data={"diagnosis": "电源板虚焊", "outcome": "repaired"}
    )
    assert r.status_code == 200 and f"维修单 #{order_id} 已完成：已修复。" in r.text
    as_user(client, "u_admin2")
    page = client.get(f"/devices/{device_id}")
    assert "已修复（电源板虚焊）" in page.text and "办理领用" in page.text


def test_loss_case_decided_by_unit_head(client: TestClient, unit2: Office) -> None:
    device_id = unit2.equipment["device"]
    as_user(client, "u_admin2")
    client.post(f"/devices/{device_id}/checkout", data={"officer": "T9001", **GOOD})
    client.post(f"/devices/{device_id}/return", data={"condition": "lost"})
    r = client.post(f"/devices/{device_id}/loss-case", data={"kind": "", "description": "x"})
    assert r.status_code == 422 and "请选择案件类别" in r.text
    r = client.post(
        f"/devices/{device_id}/loss-case", data={"kind": "loss", "description": "外勤遗失"}
    )
    assert r.status_code == 200 and "丢失案件已登记" in r.text
    assert "待单位负责人决定" in r.text

    as_user(client, "u_head2")
    losses = client.get("/losses")
    every_form_has_csrf(losses.text)
    assert "丢失与损坏案件" in losses.text and "作出决定" in losses.text
    assert 'href="/losses" aria-current="page">丢失与损坏</a>' in losses.text  # the nav
    case_id = int(re.search(r'data-case="(\d+)"', losses.text).group(1))  # type: ignore[union-attr]
    r = client.post(f"/losses/{case_id}/decide", data={"cause": "", "decision": "x"})
    assert r.status_code == 422 and "请选择原因认定" in r.text
    r = client.post(
        f"/losses/{case_id}/decide", data={"cause": "poor_keeping", "decision": "按原价赔偿"}
    )
    assert r.status_code == 200 and f"丢失/损坏案件 #{case_id} 已作出决定。" in r.text
    assert "保管不善" in r.text and "3,280.00 元" in r.text
    assert "3,280.00 元" in client.get(f"/devices/{device_id}").text


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_nav_links(client: TestClient, office: Office, role: Role) -> None:
    as_user(client, office.user(role))
    home = client.get("/")
    assert ('href="/ledger"' in home.text) == (role in EQUIPMENT_VIEWERS)
    assert 'href="/inbox"' in home.text
    inbox = client.get("/inbox")
    assert inbox.status_code == 200 and "暂无消息。" in inbox.text
    assert client.get("/ledger").status_code == (200 if role in EQUIPMENT_VIEWERS else 403)


def database_id(database: Database, model: type) -> int:
    with database.read() as session:
        return int(session.execute(select(func.max(model.id))).scalar_one())  # type: ignore[attr-defined]


@pytest.mark.req("R16.1")
def test_device_page_with_an_open_fault(
    client: TestClient, unit2: Office, database: Database
) -> None:
    """The return form says why 完好 is not offered; the handover and checkout forms are gone."""
    url = f"/devices/{unit2.equipment['device']}"
    as_user(client, "u_admin2")
    r = client.post(f"{url}/checkout", data={"officer": "T9001", **GOOD})
    assert r.status_code == 200 and "已由“二处执法员”领用" in r.text
    r = client.post(f"{url}/fault", data={"description": "按键失灵"})
    assert r.status_code == 200 and "已通知单位负责人" in r.text
    fault_id = database_id(database, FaultReport)
    page = client.get(url).text
    assert f"故障报告 #{fault_id}" in page and "须按“故障”或“损坏”归还" in page
    assert re.search(r'<option value="ok"\s+disabled>完好</option>', page)
    assert "办理交接" not in page and "不能交接给下一名执法人员" in page
    every_form_has_csrf(page)

    r = client.post(f"{url}/return", data={"condition": "ok", "note": ""})
    assert r.status_code == 409 and "不能按“完好”归还" in r.text and "按键失灵" in r.text
    r = client.post(f"{url}/return", data={"condition": "faulty", "note": "按键失灵"})
    assert r.status_code == 200 and "已归还（故障）" in r.text
    assert f"故障报告 #{fault_id}：请先登记，再送集中维修" in r.text
    assert "不能领用；集中维修完成后方可领用" in r.text and "办理领用" not in r.text
