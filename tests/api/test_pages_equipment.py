"""The Chinese pages for equipment: devices, models, thresholds, special needs, budgets and
procurement, and the ratio (R6.1, R6.2) and spec (R7.1, R7.2) reports."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.db import Database
from lawcam.equipment import service
from lawcam.equipment.models import Budget, Device, DeviceModel, Procurement, UnitNeed
from lawcam.equipment.types import Category, ModelIn
from tests.api.conftest import login
from tests.factories import Office

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')

EQUIPMENT_VIEWERS = {
    Role.OFFICER,
    Role.DEVICE_ADMIN,
    Role.UNIT_HEAD,
    Role.ENGINEERING,
    Role.FINANCE,
    Role.ICT,
}
BUDGET_VIEWERS = {Role.DEVICE_ADMIN, Role.UNIT_HEAD, Role.FINANCE}
VIEW_PAGES = ["/devices", "/models", "/thresholds", "/needs", "/reports/ratio", "/reports/specs"]
BUDGET_PAGES = ["/budgets", "/procurements"]

WEAK_MODEL = ModelIn(
    maker="低配厂",
    model="WEAK-1",
    category=Category.BODY_CAMERA,
    video_width=1280,
    video_height=720,
    photo_mp=8,
    battery_mah=1800,
    record_hours=4,
    storage_gb=8,
    ip_rating="IP54",
)


def count(database: Database, model: type) -> int:
    with database.read() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def audit_tags_since(database: Database, seq: int) -> list[str]:
    with database.read() as session:
        return list(session.scalars(select(AuditEvent.tag).where(AuditEvent.seq >= seq)))


def audit_rows(database: Database, tag: str) -> list[AuditEvent]:
    with database.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.tag == tag)))


def as_user(client, office: Office, role: str) -> None:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    login(client, office.user(role))


def add_model(database: Database, console: Actor, data: ModelIn) -> int:
    with database.unit_of_work() as session:
        return service.create_model(session=session, actor=console, data=data).id


def device_form(**changes: str) -> dict[str, str]:
    data = {
        "serial": "T1-0001",
        "asset_no": "ZC-T1-0001",
        "model": "TEST-BC1",
        "unit": "执法一处",
        "zone": "",
        "price": "3280.00",
        "need": "现场检查全过程记录",
        "commissioned_on": "2026-01-15",
        "firmware": "V2.1",
        "procurement_id": "",
    }
    data.update(changes)
    return data


def ratio_cells(html: str, unit: str) -> dict[str, str]:
    row = re.search(rf'<tr[^>]*data-unit="{re.escape(unit)}".*?</tr>', html, re.DOTALL)
    assert row is not None, unit
    cells = {}
    for key in ("counted", "required", "shortfall"):
        found = re.search(rf'class="num {key}">([^<]*)<', row.group(0))
        assert found is not None, (unit, key)
        cells[key] = found.group(1).strip()
    return cells


# Who sees what -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, office):
    for url in [
        *VIEW_PAGES,
        *BUDGET_PAGES,
        "/devices/new",
        f"/devices/{office.equipment['device']}",
    ]:
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_pages_render_for_permitted_roles_only(client, office, role):
    login(client, office.user(role))
    for url in VIEW_PAGES:
        r = client.get(url)
        assert r.status_code == (200 if role in EQUIPMENT_VIEWERS else 403), (url, r.text[:300])
    for url in BUDGET_PAGES:
        r = client.get(url)
        assert r.status_code == (200 if role in BUDGET_VIEWERS else 403), url
    home = client.get("/")
    assert ('href="/devices"' in home.text) == (role in EQUIPMENT_VIEWERS)
    assert ('href="/reports/ratio"' in home.text) == (role in EQUIPMENT_VIEWERS)
    assert ('href="/budgets"' in home.text) == (role in BUDGET_VIEWERS)


def test_device_list_and_detail_follow_unit_scope(client, office):
    device_id = office.equipment["device"]
    as_user(client, office, "engineering")
    r = client.get("/devices")
    for text in [
        "ZC-T2-0001",
        "T2-0001",
        "TEST-BC1",
        "执法记录仪",
        "执法二处",
        "在用",
        "3,280.00 元",
    ]:
        assert text in r.text
    assert "登记设备" not in r.text
    detail = client.get(f"/devices/{device_id}")
    assert detail.status_code == 200
    for text in ["现场执法全过程记录", "3,280.00 元", "设备履历", "登记设备", "符合"]:
        assert text in detail.text
    assert f'action="/devices/{device_id}/status"' not in detail.text
    assert client.get("/devices/999999").status_code == 404

    # The device administrator of 执法一处 does not see 执法二处's device, nor its history.
    as_user(client, office, "device_admin")
    assert "T2-0001" not in client.get("/devices").text
    hidden = client.get(f"/devices/{device_id}")
    assert hidden.status_code == 404
    assert "现场执法全过程记录" not in hidden.text
    assert 'href="/devices/new"' in client.get("/devices").text

    as_user(client, office, "sysadmin")
    assert client.get(f"/devices/{device_id}").status_code == 404


# Registering devices (R5.1) ------------------------------------------------------------------


@pytest.mark.req("R5.1", "R8.1")
def test_register_device_with_hidden_csrf_token(client, office, database):
    login(client, office.user("device_admin"))
    del client.headers["X-CSRF-Token"]
    form = client.get("/devices/new")
    assert form.status_code == 200
    token = CSRF_INPUT.search(form.text)
    assert token is not None
    # Only the administrator's own unit is offered; only approved models.
    assert '<option value="执法一处"' in form.text
    assert '<option value="执法二处"' not in form.text
    assert '<option value="TEST-BC1"' in form.text

    r = client.post(
        "/devices/new",
        data={"csrf_token": token.group(1), **device_form()},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    with database.read() as session:
        device = session.scalars(select(Device).where(Device.serial == "T1-0001")).one()
        assert device.unit_id == office.units["执法一处"]
        assert device.purchase_price == Decimal("3280.00")
        assert device.need == "现场检查全过程记录"
        assert str(device.commissioned_on) == "2026-01-15"
        assert device.status == "in_stock"
    assert r.headers["location"] == f"/devices/{device.id}"
    created = [
        e for e in audit_rows(database, "equipment:device:create") if e.subject_id == str(device.id)
    ]
    assert len(created) == 1 and created[0].actor_source == "web"
    assert "测试执法记录仪管理员" in created[0].actor_label

    shown = client.get(r.headers["location"])
    for text in ["已登记", "ZC-T1-0001", "3,280.00 元", "在库", "设备履历", "登记设备"]:
        assert text in shown.text
    assert f'action="/devices/{device.id}/status"' in shown.text
    assert f'action="/devices/{device.id}/edit"' in shown.text


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"need": "   \n "}, 422, "须填写该设备服务的执法需求"),
        ({"serial": "T2-0001"}, 409, "序列号 T2-0001 已登记。"),
        ({"asset_no": "ZC-T2-0001"}, 409, "资产编号 ZC-T2-0001 已登记。"),
        ({"price": "abc"}, 422, "购置价格须为金额（元）"),
        ({"price": "-5"}, 422, "购置价格须大于 0"),
        ({"price": ""}, 422, "请填写购置价格"),
        ({"commissioned_on": "2026-13-40"}, 422, "启用日期格式不正确"),
        ({"model": ""}, 422, "请选择设备型号。"),
        ({"model": "不存在型号"}, 422, "型号“不存在型号”不存在"),
        ({"serial": "有 空格"}, 422, "序列号须为 1 至 64 位"),
        ({"procurement_id": "x"}, 422, "采购记录编号须为整数"),
        ({"zone": "不存在专区"}, 422, "没有名为“不存在专区”的办案专区"),
        ({"unit": "执法二处"}, 403, "您只能办理本单位的事项"),
    ],
)
def test_device_form_errors_show_chinese_message_and_write_nothing(
    client, office, database, changes, status, message
):
    login(client, office.user("device_admin"))
    devices, audits = count(database, Device), count(database, AuditEvent)
    data = device_form(**changes)
    r = client.post("/devices/new", data=data, follow_redirects=False)
    assert r.status_code == status, r.text[:500]
    assert message in r.text
    assert 'role="alert"' in r.text
    assert "<form" in r.text and 'action="/devices/new"' in r.text  # the form again
    assert 'value="ZC-T1-0001"' in r.text or changes.get("asset_no")  # values kept
    assert count(database, Device) == devices
    assert all(tag.startswith("auth:") for tag in audit_tags_since(database, audits))


def test_device_status_and_edit(client, office, database):
    login(client, office.user("device_admin"))
    client.post("/devices/new", data=device_form())
    with database.read() as session:
        device_id = session.scalars(select(Device.id).where(Device.serial == "T1-0001")).one()

    r = client.post(
        f"/devices/{device_id}/status",
        data={"status": "in_service", "reason": "分配使用"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "在用" in client.get(r.headers["location"]).text
    assert any(
        e.subject_id == str(device_id) and "分配使用" in (e.after or "")
        for e in audit_rows(database, "equipment:device:set_status")
    )

    client.post(f"/devices/{device_id}/status", data={"status": "scrapped", "reason": "损坏"})
    audits = count(database, AuditEvent)
    refused = client.post(f"/devices/{device_id}/status", data={"status": "in_service"})
    assert refused.status_code == 409
    assert "不能直接改为“在用”" in refused.text
    bad = client.post(f"/devices/{device_id}/status", data={"status": "flying"})
    assert bad.status_code == 422 and "设备状态不正确" in bad.text
    assert count(database, AuditEvent) == audits

    r = client.post(
        f"/devices/{device_id}/edit",
        data={"zone": "", "firmware": "V3.0", "commissioned_on": "2026-02-01", "need": "调查取证"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "V3.0" in page.text and "调查取证" in page.text and "修改设备信息" in page.text
    blank = client.post(
        f"/devices/{device_id}/edit",
        data={"zone": "", "firmware": "V9", "commissioned_on": "", "need": "  "},
    )
    assert blank.status_code == 422
    assert "须填写该设备服务的执法需求" in blank.text
    with database.read() as session:
        device = session.get(Device, device_id)
        assert device is not None and device.firmware == "V3.0"

    # Others may not change it: an officer (no device:manage) is refused.
    as_user(client, office, "officer")
    assert client.post(f"/devices/{device_id}/status", data={"status": "lost"}).status_code == 403
    assert client.post(f"/devices/{device_id}/edit", data={"need": "x"}).status_code == 403
    as_user(client, office, "engineering")
    r = client.get(f"/devices/{device_id}")
    assert r.status_code == 200 and f'action="/devices/{device_id}/edit"' not in r.text


# Models and thresholds (R7.1) ----------------------------------------------------------------


@pytest.mark.req("R7.1")
def test_create_model_through_form(client, office, database):
    login(client, office.user("ict"))
    r = client.post(
        "/models/new",
        data={
            "maker": "华为",
            "model": "HT-9",
            "category": "handheld_terminal",
            "video": "1920x1080",
            "photo_mp": "48",
            "battery_mah": "5000",
            "record_hours": "9",
            "storage_gb": "128",
            "ip_rating": "ip68",
            "features": ["gps", "live_upload"],
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]
    with database.read() as session:
        model = session.scalars(select(DeviceModel).where(DeviceModel.model == "HT-9")).one()
        assert model.features == ["gps", "live_upload"] and model.ip_rating == "IP68"
    assert audit_rows(database, "equipment:model:create")
    page = client.get(r.headers["location"])
    for text in ["HT-9", "手持执法终端", "1920×1080", "4800 万像素", "卫星定位", "符合"]:
        assert text in page.text
    models = client.get("/models")
    assert "HT-9" in models.text and "符合" in models.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"video": "高清"}, "视频分辨率应写作“宽×高”"),
        ({"photo_mp": "很多"}, "照片像素（百万）须为数字"),
        ({"battery_mah": "3.5k"}, "电池容量（mAh）须为整数"),
        ({"ip_rating": "防水"}, "防护等级应写作 IP67"),
        ({"category": ""}, "请选择设备类别。"),
        ({"category": "toaster"}, "设备类别不正确。"),
        ({"maker": "  "}, "生产厂家不能为空。"),
        ({"model": "TEST-BC1"}, "型号“TEST-BC1”已存在。"),
    ],
)
def test_model_form_errors(client, office, database, changes, message):
    login(client, office.user("device_admin"))
    data = {"maker": "某厂", "model": "NEW-1", "category": "body_camera", **changes}
    models = count(database, DeviceModel)
    r = client.post("/models/new", data=data)
    assert r.status_code in (409, 422)
    assert message in r.text
    assert count(database, DeviceModel) == models


def test_model_quality(client, office, database):
    model_id = office.equipment["model"]
    login(client, office.user("ict"))
    page = client.get(f"/models/{model_id}")
    assert f'action="/models/{model_id}/quality"' in page.text
    no_reason = client.post(f"/models/{model_id}/quality", data={"status": "suspended"})
    assert no_reason.status_code == 422 and "须说明理由" in no_reason.text
    r = client.post(
        f"/models/{model_id}/quality",
        data={"status": "suspended", "reason": "批次质量问题"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "暂停使用" in client.get(r.headers["location"]).text
    assert audit_rows(database, "equipment:model:set_quality")

    # A suspended model is no longer offered for new devices.
    as_user(client, office, "device_admin")
    assert '<option value="TEST-BC1"' not in client.get("/devices/new").text
    assert f'action="/models/{model_id}/quality"' not in client.get(f"/models/{model_id}").text
    assert (
        client.post(f"/models/{model_id}/quality", data={"status": "approved"}).status_code == 403
    )


@pytest.mark.req("R7.1")
def test_thresholds(client, office, database):
    login(client, office.user("engineering"))
    page = client.get("/thresholds")
    assert 'action="/thresholds"' in page.text and "1920×1080" in page.text
    form = {
        "video": "2560x1440",
        "photo_mp": "40",
        "battery_mah": "3000",
        "record_hours": "10",
        "storage_gb": "64",
        "ip_rating": "IP68",
    }
    bad = client.post("/thresholds", data={**form, "battery_mah": "许多"})
    assert bad.status_code == 422 and "电池容量（mAh）须为整数" in bad.text
    assert 'value="许多"' in bad.text
    empty = client.post("/thresholds", data={**form, "storage_gb": ""})
    assert empty.status_code == 422 and "每项规格阈值都须填写" in empty.text
    assert not audit_rows(database, "equipment:thresholds:set")
    r = client.post("/thresholds", data=form, follow_redirects=False)
    assert r.status_code == 303
    assert "2560×1440" in client.get("/thresholds").text
    assert len(audit_rows(database, "equipment:thresholds:set")) == 1
    # The office's model (1920×1080, 3000 mAh, IP67) no longer conforms.
    specs = client.get("/reports/specs")
    assert "要求 2560×1440，实际 1920×1080" in specs.text

    as_user(client, office, "ict")
    assert 'action="/thresholds"' not in client.get("/thresholds").text
    assert client.post("/thresholds", data=form).status_code == 403


# Special needs (R7.2) ------------------------------------------------------------------------


@pytest.mark.req("R7.2")
def test_declare_and_withdraw_needs(client, office, database):
    login(client, office.user("device_admin"))
    page = client.get("/needs")
    assert 'action="/needs/declare"' in page.text
    r = client.post(
        "/needs/declare",
        data={"unit": "执法一处", "feature": "night_vision"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "红外夜视" in client.get(r.headers["location"]).text
    again = client.post("/needs/declare", data={"unit": "执法一处", "feature": "night_vision"})
    assert again.status_code == 409 and "已声明需求“红外夜视”" in again.text
    other = client.post("/needs/declare", data={"unit": "执法二处", "feature": "gps"})
    assert other.status_code == 403
    wrong = client.post("/needs/declare", data={"unit": "执法一处", "feature": "signed_files"})
    assert wrong.status_code == 422 and "特殊需求只能是" in wrong.text
    assert count(database, UnitNeed) == 1
    assert len(audit_rows(database, "equipment:unit_need:declare")) == 1

    # A device of this unit whose model lacks night vision shows up in the specs report.
    client.post("/devices/new", data=device_form())
    specs = client.get("/reports/specs")
    assert "T1-0001" in specs.text and "红外夜视" in specs.text

    r = client.post("/needs/withdraw", data={"unit": "执法一处", "feature": "night_vision"})
    assert r.status_code == 200 and "已撤回" in r.text
    assert count(database, UnitNeed) == 0

    as_user(client, office, "engineering")
    assert 'action="/needs/declare"' not in client.get("/needs").text
    refused = client.post("/needs/declare", data={"unit": "执法一处", "feature": "gps"})
    assert refused.status_code == 403


# Budgets and procurement (R8.1) --------------------------------------------------------------


@pytest.mark.req("R8.1")
def test_budget_page_and_form(client, office, database):
    year = office.equipment["year"]
    login(client, office.user("finance"))
    page = client.get(f"/budgets?year={year}")
    assert page.status_code == 200
    for text in ["执法二处", "100,000.00 元", "6,560.00 元", "未设预算", 'action="/budgets/set"']:
        assert text in page.text
    assert client.get("/budgets?year=abc").status_code == 422

    budgets = count(database, Budget)
    bad = client.post("/budgets/set", data={"unit": "执法一处", "year": str(year), "amount": "abc"})
    assert bad.status_code == 422 and "预算金额须为金额" in bad.text
    bad_year = client.post("/budgets/set", data={"unit": "执法一处", "year": "明年", "amount": "1"})
    assert bad_year.status_code == 422 and "年度须为整数" in bad_year.text
    assert count(database, Budget) == budgets

    r = client.post(
        "/budgets/set",
        data={"unit": "执法一处", "year": str(year), "amount": "50000", "note": "年初预算"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "50,000.00 元" in client.get(r.headers["location"]).text
    assert count(database, Budget) == budgets + 1

    as_user(client, office, "device_admin")
    page = client.get(f"/budgets?year={year}")
    assert "执法一处" in page.text and "执法二处" not in page.text
    assert 'action="/budgets/set"' not in page.text
    assert client.post("/budgets/set", data={"unit": "执法一处", "year": "2026"}).status_code == 403


@pytest.mark.req("R8.1")
def test_procurement_over_budget_needs_a_reason(client, office, database):
    year = office.equipment["year"]
    login(client, office.user("device_admin"))
    form = client.get("/procurements/new")
    assert form.status_code == 200 and '<option value="执法一处"' in form.text
    data = {
        "unit": "执法一处",
        "year": str(year),
        "purchased_on": f"{year}-01-02",
        "supplier": "某科技有限公司",
        "model": "TEST-BC1",
        "quantity": "3",
        "unit_price": "3,280.00",
    }
    bad = client.post("/procurements/new", data={**data, "quantity": "三台"})
    assert bad.status_code == 422 and "数量须为整数" in bad.text
    assert count(database, Procurement) == 1
    r = client.post("/procurements/new", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    procurement_id = int(r.headers["location"].split("?")[0].rsplit("/", 1)[1])
    shown = client.get(r.headers["location"])
    assert "9,840.00 元" in shown.text and "待审批" in shown.text
    assert 'action="/procurements/' not in shown.text  # no approval for the unit

    # 执法一处 has no budget: approval without a reason is refused, and nothing changes.
    as_user(client, office, "finance")
    page = client.get(f"/procurements/{procurement_id}")
    assert "超出剩余预算" in page.text
    audits = count(database, AuditEvent)
    refused = client.post(f"/procurements/{procurement_id}/approve", data={"overrun_reason": " "})
    assert refused.status_code == 409
    assert "超出“执法一处”" in refused.text and "须填写超支理由" in refused.text
    assert all(tag.startswith("auth:") for tag in audit_tags_since(database, audits))
    with database.read() as session:
        assert session.get(Procurement, procurement_id).status == "pending"  # type: ignore[union-attr]

    r = client.post(
        f"/procurements/{procurement_id}/approve",
        data={"overrun_reason": "执法记录仪紧急补充"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    approved = client.get(r.headers["location"])
    assert "已批准" in approved.text and "执法记录仪紧急补充" in approved.text
    assert len(audit_rows(database, "equipment:procurement:approve")) == 1
    again = client.post(f"/procurements/{procurement_id}/reject", data={"reason": "x"})
    assert again.status_code == 409 and "不能再次审批" in again.text

    # The office's pending purchase: reject needs a reason.
    pending = office.equipment["procurement"]
    no_reason = client.post(f"/procurements/{pending}/reject", data={"reason": ""})
    assert no_reason.status_code == 422 and "驳回须说明理由" in no_reason.text
    ok = client.post(f"/procurements/{pending}/reject", data={"reason": "重复采购"})
    assert ok.status_code == 200 and "已驳回" in ok.text
    listing = client.get("/procurements")
    assert "已驳回" in listing.text and "已批准" in listing.text

    # The device administrator may link a device to the approved purchase.
    as_user(client, office, "device_admin")
    r = client.post(
        "/devices/new", data=device_form(procurement_id=str(procurement_id)), follow_redirects=False
    )
    assert r.status_code == 303
    assert "T1-0001" in client.get(f"/procurements/{procurement_id}").text
    assert client.get(f"/procurements/{pending}").status_code == 404
    assert client.post(f"/procurements/{procurement_id}/approve").status_code == 403


# Reports ---------------------------------------------------------------------------------------


@pytest.mark.req("R6.1", "R6.2")
def test_ratio_page_table_and_chart(client, office, database, console):
    login(client, office.user("engineering"))
    r = client.get("/reports/ratio")
    assert r.status_code == 200
    # 执法一处 (many, 1 officer): required 1, none counted; 执法二处 (more, 2 officers): 1 of 1.
    assert ratio_cells(r.text, "执法一处") == {"counted": "0", "required": "1", "shortfall": "1"}
    assert ratio_cells(r.text, "执法二处") == {"counted": "1", "required": "1", "shortfall": "0"}
    # 工程监管处 (fewer, target 1) lacks one too: the office needs 3, counts 1, lacks 2.
    assert ratio_cells(r.text, "全办合计") == {"counted": "1", "required": "3", "shortfall": "2"}
    for text in ["未达标", "达标", "执法人员数", "应配台数", "缺口", "未计入设备"]:
        assert text in r.text
    # The chart: inline SVG, drawn on the server; no script, nothing from elsewhere.
    svg = re.search(r"<svg.*?</svg>", r.text, re.DOTALL)
    assert svg is not None
    assert svg.group(0).count('<g class="bar"') == 5
    assert 'data-unit="执法一处"' in svg.group(0) and "<rect" in svg.group(0)
    assert "<script" not in r.text and "http://" not in r.text and "https://" not in r.text

    # A device registered and then lost is counted, then listed as not counted.
    as_user(client, office, "device_admin")
    client.post("/devices/new", data=device_form())
    r = client.get("/reports/ratio")
    assert ratio_cells(r.text, "执法一处") == {"counted": "1", "required": "1", "shortfall": "0"}
    assert "执法二处" not in r.text  # the administrator sees their own unit only
    with database.read() as session:
        device_id = session.scalars(select(Device.id).where(Device.serial == "T1-0001")).one()
    client.post(f"/devices/{device_id}/status", data={"status": "lost", "reason": "遗失"})
    r = client.get("/reports/ratio")
    assert ratio_cells(r.text, "执法一处")["counted"] == "0"
    assert "T1-0001（丢失）" in r.text


@pytest.mark.req("R7.1")
def test_specs_page_lists_a_weak_models_misses(client, office, database, console):
    add_model(database, console, WEAK_MODEL)
    login(client, office.user("ict"))
    r = client.get("/reports/specs")
    assert r.status_code == 200
    row = re.search(r'<tr data-model="WEAK-1">.*?</tr>', r.text, re.DOTALL)
    assert row is not None
    for text in [
        "不符合",
        "视频分辨率：要求 1920×1080，实际 1280×720",
        "照片像素：要求 3000 万像素，实际 800 万像素",
        "电池容量：要求 2500 mAh，实际 1800 mAh",
        "连续录像时间：要求 8 小时，实际 4 小时",
        "存储容量：要求 16 GB，实际 8 GB",
        "防护等级：要求 IP67，实际 IP54",
    ]:
        assert text in row.group(0)
    good = re.search(r'<tr data-model="TEST-BC1">.*?</tr>', r.text, re.DOTALL)
    assert good is not None and "符合" in good.group(0) and "不符合" not in good.group(0)
    models = client.get("/models")
    assert "WEAK-1" in models.text and "不符合" in models.text
