"""The equipment JSON API (issue 3, Art. 2–8) over the domain: the issue's "Done when" through
HTTP, bad input refused with a Chinese message and nothing written, and who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.db import Database
from lawcam.equipment.models import Budget, Device, DeviceModel, Procurement
from lawcam.org import service as org
from lawcam.org.types import PersonIn
from lawcam.timeutil import utcnow
from tests.api.conftest import login
from tests.api.test_error_shape import assert_error_shape
from tests.factories import Office

RATIO_KEYS = {"unit", "class", "officers", "devices_counted", "required", "shortfall", "compliant"}

GOOD_CAMERA = {
    "maker": "海康威视",
    "model": "DSJ-A8",
    "category": "body_camera",
    "video": "2304x1296",
    "photo_mp": 36,
    "battery_mah": 3400,
    "record_hours": 10,
    "storage_gb": 64,
    "ip_rating": "IP68",
    "features": ["signed_files", "no_device_delete"],
}
GOOD_TERMINAL = {
    "maker": "华为",
    "model": "HT-5",
    "category": "handheld_terminal",
    "video": "1920×1080",
    "photo_mp": 48,
    "battery_mah": 5000,
    "record_hours": 9,
    "storage_gb": 128,
    "ip_rating": "ip67",
    "features": ["gps"],
}
WEAK_CAMERA = {
    "maker": "某厂",
    "model": "OLD-1",
    "category": "body_camera",
    "video": "1280x720",
    "photo_mp": 40,
    "battery_mah": 3000,
    "record_hours": 10,
    "storage_gb": 32,
    "ip_rating": "IP67",
}


def as_user(client: TestClient, office: Office, role: Role) -> None:
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    login(client, office.user(role))


def device_body(serial: str, model: str = "DSJ-A8", unit: str = "执法一处", **kw: object) -> dict:
    body: dict[str, object] = {
        "serial": serial,
        "asset_no": f"ZC-{serial}",
        "model": model,
        "unit": unit,
        "price": "3280.00",
        "need": "现场执法全过程记录",
        "status": "in_service",
    }
    body.update(kw)
    return body


def counts(database: Database) -> tuple[int, ...]:
    """Rows that a refused request must not have added: audit, devices, models, purchases."""
    with database.read() as session:
        return tuple(
            int(session.execute(select(func.count()).select_from(table)).scalar_one())
            for table in (AuditEvent, Device, DeviceModel, Procurement, Budget)
        )


def refused(response, status: int, words: str, field: str | None = None) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert_error_shape(response)
    error = response.json()["error"]
    assert words in error["message"], error
    if field is not None:
        assert error.get("field") == field, error


def add_officers(database: Database, console: Actor, unit: str, n: int) -> None:
    with database.unit_of_work() as session:
        for i in range(n):
            org.create_person(
                session=session,
                actor=console,
                data=PersonIn(name=f"执法员{i}", unit=unit, badge=f"E{i:05d}", is_officer=True),
            )


@pytest.fixture
def models(client: TestClient, office: Office) -> TestClient:
    """Two conforming models, registered by the ICT support department; the client stays
    logged in as the device administrator of 执法一处."""
    as_user(client, office, Role.ICT)
    for body in (GOOD_CAMERA, GOOD_TERMINAL):
        assert client.post("/api/v1/models", json=body).status_code == 201
    as_user(client, office, Role.DEVICE_ADMIN)
    return client


def ratio_row(client: TestClient, unit: str) -> dict:
    report = client.get("/api/v1/reports/ratio")
    assert report.status_code == 200, report.text
    return next(r for r in report.json()["units"] if r["unit"] == unit)


# Done when: ratio (R6.1, R6.2) ----------------------------------------------------------------


@pytest.mark.req("R6.1", "R6.2")
def test_ratio_report_through_the_api(client, office, models, database, console) -> None:
    # 执法一处 is of class "many" and has one officer already: nine more make ten.
    add_officers(database, console, "执法一处", 9)
    ids = []
    for serial in ("BC001", "BC002", "BC003"):
        created = client.post("/api/v1/devices", json=device_body(serial))
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    report = client.get("/api/v1/reports/ratio").json()
    assert set(report) == {"units", "office"}
    row = next(r for r in report["units"] if r["unit"] == "执法一处")
    assert RATIO_KEYS <= set(row) <= RATIO_KEYS | {"note", "excluded"}
    assert RATIO_KEYS <= set(report["office"]) <= RATIO_KEYS | {"note", "excluded"}
    assert {k: row[k] for k in RATIO_KEYS} == {
        "unit": "执法一处",
        "class": "many",
        "officers": 10,
        "devices_counted": 3,
        "required": 4,
        "shortfall": 1,
        "compliant": False,
    }
    # The device administrator sees only the own unit, so the office row is that unit's.
    assert [r["unit"] for r in report["units"]] == ["执法一处"]
    assert (report["office"]["required"], report["office"]["shortfall"]) == (4, 1)

    terminal = client.post("/api/v1/devices", json=device_body("HT001", model="HT-5"))
    assert terminal.status_code == 201, terminal.text
    row = ratio_row(client, "执法一处")
    assert (row["devices_counted"], row["shortfall"], row["compliant"]) == (4, 0, True)

    # In repair: counted for 30 days (R6.1), not on day 31.
    moved = client.post(
        f"/api/v1/devices/{ids[0]}/status", json={"status": "in_repair", "reason": "屏幕损坏"}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "in_repair" and moved.json()["status_label"] == "维修中"
    assert ratio_row(client, "执法一处")["compliant"] is True
    with database.unit_of_work() as session:
        session.execute(
            update(Device)
            .where(Device.id == ids[0])
            .values(status_since=utcnow() - timedelta(days=31))
        )
    row = ratio_row(client, "执法一处")
    assert (row["devices_counted"], row["required"], row["shortfall"], row["compliant"]) == (
        3,
        4,
        1,
        False,
    )
    assert "BC001（维修中）" in row["excluded"]


@pytest.mark.req("R4.1", "R6.2")
def test_engineering_sees_every_unit_but_cannot_register_devices(
    client, office, models, database
) -> None:
    as_user(client, office, Role.ENGINEERING)
    before = counts(database)
    refused(client.post("/api/v1/devices", json=device_body("EN001")), 403, "权限")
    assert counts(database) == before
    report = client.get("/api/v1/reports/ratio").json()
    assert {r["unit"] for r in report["units"]} == {
        "执法一处",
        "执法二处",
        "工程监管处",
        "计划财务与国有资产管理处",
        "信息通信保障部",
    }
    second = next(r for r in report["units"] if r["unit"] == "执法二处")
    # 执法二处 ("more"): two officers, the office fixture's body-worn recorder.
    assert (second["class"], second["officers"], second["devices_counted"]) == ("more", 2, 1)
    assert (second["required"], second["compliant"]) == (1, True)
    assert report["office"]["unit"] == "全办合计" and report["office"]["class"] is None
    assert report["office"]["officers"] == sum(r["officers"] for r in report["units"])
    # Engineering sees every unit's devices, read-only.
    serials = {d["serial"] for d in client.get("/api/v1/devices").json()}
    assert "T2-0001" in serials


# Done when: specs (R7.1, R7.2) ----------------------------------------------------------------


@pytest.mark.req("R7.1")
def test_a_model_below_a_threshold_is_listed_as_non_conforming(client, office, models) -> None:
    created = client.post("/api/v1/models", json=WEAK_CAMERA)  # the device administrator
    assert created.status_code == 201, created.text
    model = created.json()
    assert model["video"] == "1280x720" and model["conforms"] is False
    assert model["misses"] == [
        {"spec": "视频分辨率", "required": "1920×1080", "actual": "1280×720"}
    ]
    report = client.get("/api/v1/reports/specs")
    assert report.status_code == 200, report.text
    rows = {m["model"]: m for m in report.json()["models"]}
    assert rows["OLD-1"]["conforms"] is False
    assert [m["spec"] for m in rows["OLD-1"]["misses"]] == ["视频分辨率"]
    assert rows["DSJ-A8"]["conforms"] is True and rows["HT-5"]["conforms"] is True
    assert report.json()["thresholds"]["video"] == "1920x1080"

    # Engineering raises a threshold: a conforming model now misses it (R7.1).
    as_user(client, office, Role.FINANCE)
    limits = {
        "video": "1920x1080",
        "photo_mp": 30,
        "battery_mah": 4000,
        "record_hours": 8,
        "storage_gb": 16,
        "ip_rating": "IP67",
    }
    refused(client.put("/api/v1/thresholds", json=limits), 403, "权限")
    as_user(client, office, Role.ENGINEERING)
    changed = client.put("/api/v1/thresholds", json=limits)
    assert changed.status_code == 200, changed.text
    assert changed.json()["battery_mah"] == 4000
    assert client.get("/api/v1/thresholds").json()["battery_mah"] == 4000
    rows = {m["model"]: m for m in client.get("/api/v1/reports/specs").json()["models"]}
    assert [m["spec"] for m in rows["DSJ-A8"]["misses"]] == ["电池容量"]
    assert rows["HT-5"]["conforms"] is True
    refused(
        client.put("/api/v1/thresholds", json={**limits, "video": "很清楚"}),
        422,
        "视频分辨率",
        "video",
    )


@pytest.mark.req("R7.2")
def test_special_needs_are_declared_and_checked(client, office, models, database) -> None:
    assert client.post("/api/v1/devices", json=device_body("BC001")).status_code == 201
    as_user(client, office, Role.UNIT_HEAD)
    own = office.units["执法一处"]
    declared = client.post(f"/api/v1/units/{own}/needs", json={"feature": "explosion_proof"})
    assert declared.status_code == 201, declared.text
    assert declared.json()["needs"] == [{"feature": "explosion_proof", "label": "防爆"}]
    before = counts(database)
    refused(
        client.post(f"/api/v1/units/{own}/needs", json={"feature": "explosion_proof"}),
        409,
        "已声明",
    )
    refused(client.post(f"/api/v1/units/{own}/needs", json={"feature": "flying"}), 422, "取值")
    refused(
        client.post(f"/api/v1/units/{own}/needs", json={"feature": "signed_files"}),
        422,
        "特殊需求",
    )
    other = office.units["执法二处"]
    refused(client.post(f"/api/v1/units/{other}/needs", json={"feature": "gps"}), 403, "本单位")
    assert counts(database) == before
    lacking = client.get("/api/v1/reports/specs").json()["devices"]
    assert [(d["serial"], d["missing"], d["missing_labels"]) for d in lacking] == [
        ("BC001", ["explosion_proof"], ["防爆"])
    ]
    assert client.get(f"/api/v1/units/{own}/needs").json()["needs"][0]["label"] == "防爆"
    refused(client.get(f"/api/v1/units/{other}/needs"), 404, "未找到")
    withdrawn = client.post(f"/api/v1/units/{own}/needs/explosion_proof/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["needs"] == []
    refused(client.post(f"/api/v1/units/{own}/needs/explosion_proof/withdraw"), 409, "未声明")
    assert client.get("/api/v1/reports/specs").json()["devices"] == []


@pytest.mark.req("R4.1")
def test_ict_sets_model_quality_and_a_suspended_model_cannot_be_registered(
    client, office, models, database
) -> None:
    model_id = next(m["id"] for m in client.get("/api/v1/models").json() if m["model"] == "DSJ-A8")
    refused(
        client.post(f"/api/v1/models/{model_id}/quality", json={"status": "suspended"}),
        403,
        "权限",
    )
    as_user(client, office, Role.ICT)
    before = counts(database)
    refused(
        client.post(
            f"/api/v1/models/{model_id}/quality", json={"status": "suspended", "reason": " "}
        ),
        422,
        "理由",
        "reason",
    )
    assert counts(database) == before
    done = client.post(
        f"/api/v1/models/{model_id}/quality",
        json={"status": "suspended", "reason": "批次电池鼓包"},
    )
    assert done.status_code == 200, done.text
    assert (done.json()["quality_status"], done.json()["quality_reason"]) == (
        "suspended",
        "批次电池鼓包",
    )
    assert client.get(f"/api/v1/models/{model_id}").json()["quality_status"] == "suspended"
    as_user(client, office, Role.DEVICE_ADMIN)
    refused(client.post("/api/v1/devices", json=device_body("BC009")), 409, "电池鼓包", "model")


# Bad input: a clear Chinese message, the error shape, nothing written ---------------------------


@pytest.mark.req("R5.1")
@pytest.mark.parametrize(
    ("changes", "status", "words", "field"),
    [
        ({"serial": "BC001", "asset_no": "ZC-NEW"}, 409, "序列号 BC001 已登记", "serial"),
        ({"serial": "BC002", "asset_no": "ZC-BC001"}, 409, "资产编号 ZC-BC001 已登记", "asset_no"),
        ({"need": "  \t \n "}, 422, "执法需求", "need"),
        ({"need": ""}, 422, "第五条", "need"),
        ({"price": "-1"}, 422, "购置价格", "price"),
        ({"price": -5}, 422, "购置价格", "price"),
        ({"price": 0}, 422, "购置价格", "price"),
        ({"price": "99999999"}, 422, "不超过", "price"),
        ({"price": 1e30}, 422, "不超过", "price"),
        ({"price": "12.345"}, 422, "两位小数", "price"),
        ({"price": "三千元"}, 422, "购置价格须为金额", "price"),
        ({"price": "NaN"}, 422, "购置价格须为金额", "price"),
        ({"price": "Infinity"}, 422, "购置价格", "price"),
        ({"price": True}, 422, "购置价格", "price"),
        ({"model": "不存在的型号"}, 422, "不存在", "model"),
        ({"unit": "不存在的处"}, 422, "不存在", "unit"),
        ({"zone": "不存在的专区"}, 422, "办案专区", "zone"),
        ({"serial": "有 空格"}, 422, "序列号", "serial"),
        ({"status": "borrowed"}, 422, "取值不在允许范围内", "status"),
        ({"procurement_id": 999999}, 422, "采购记录", "procurement_id"),
    ],
)
def test_device_bad_input_writes_nothing(
    client, office, models, database, changes, status, words, field
) -> None:
    assert client.post("/api/v1/devices", json=device_body("BC001")).status_code == 201
    before = counts(database)
    body = {**device_body("BC002"), **changes}
    refused(client.post("/api/v1/devices", json=body), status, words, field)
    assert counts(database) == before


@pytest.mark.req("R2.1", "R7.1")
@pytest.mark.parametrize(
    ("changes", "status", "words", "field"),
    [
        ({"category": "drone"}, 422, "取值不在允许范围内", "category"),
        ({"category": None}, 422, "类别", "category"),
        ({"video": "很清楚"}, 422, "视频分辨率", "video"),
        ({"battery_mah": -1}, 422, "电池容量", "battery_mah"),
        ({"ip_rating": "waterproof"}, 422, "防护等级", "ip_rating"),
        ({"maker": "   "}, 422, "生产厂家", "maker"),
        ({"model": "DSJ-A8"}, 409, "已存在", "model"),
        ({"features": ["teleport"]}, 422, "取值不在允许范围内", None),
    ],
)
def test_model_bad_input_writes_nothing(
    client, office, models, database, changes, status, words, field
) -> None:
    before = counts(database)
    body = {**WEAK_CAMERA, **changes}
    refused(client.post("/api/v1/models", json=body), status, words, field)
    assert counts(database) == before


def test_device_update_and_its_history(client, office, models, database) -> None:
    created = client.post("/api/v1/devices", json=device_body("BC001", price=3280))
    assert created.status_code == 201, created.text
    device = created.json()
    assert device["purchase_price"] == "3280.00"
    assert (device["model"], device["category"], device["unit"]) == (
        "DSJ-A8",
        "body_camera",
        "执法一处",
    )
    url = f"/api/v1/devices/{device['id']}"
    before = counts(database)
    refused(client.patch(url, json={"need": "   "}), 422, "执法需求", "need")
    refused(client.patch(url, json={"zone": "没有的专区"}), 422, "办案专区", "zone")
    assert counts(database) == before
    changed = client.patch(url, json={"firmware": "V2.1.0", "commissioned_on": "2026-03-01"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["firmware"], changed.json()["commissioned_on"]) == (
        "V2.1.0",
        "2026-03-01",
    )
    refused(client.post(f"{url}/status", json={"status": "checked_out"}), 409, "不能直接改为")
    assert client.post(f"{url}/status", json={"status": "scrapped", "reason": "到期"}).is_success
    refused(client.post(f"{url}/status", json={"status": "in_service"}), 409, "报废", "status")
    history = client.get(f"{url}/history")
    assert history.status_code == 200, history.text
    assert [e["tag"] for e in history.json()] == [
        "equipment:device:create",
        "equipment:device:update",
        "equipment:device:set_status",
    ]
    assert history.json()[-1]["after"]["reason"] == "到期"
    assert client.get(url).json()["status"] == "scrapped"  # kept, never deleted


def test_device_list_filters(client, office, models) -> None:
    for body in (
        device_body("BC001"),
        device_body("BC002", status="in_stock"),
        device_body("HT001", model="HT-5"),
    ):
        assert client.post("/api/v1/devices", json=body).status_code == 201
    as_user(client, office, Role.FINANCE)

    def serials(**params: object) -> list[str]:
        response = client.get("/api/v1/devices", params=params)
        assert response.status_code == 200, response.text
        return sorted(d["serial"] for d in response.json())

    assert serials() == ["BC001", "BC002", "HT001", "T2-0001"]
    assert serials(unit_id=office.units["执法一处"]) == ["BC001", "BC002", "HT001"]
    assert serials(status="in_stock") == ["BC002"]
    assert serials(category="handheld_terminal") == ["HT001"]
    assert serials(q="BC00") == ["BC001", "BC002"]
    assert serials(q="ZC-HT") == ["HT001"]
    refused(client.get("/api/v1/devices", params={"status": "borrowed"}), 422, "取值")


# Budgets and procurement (R8.1) ---------------------------------------------------------------


def purchase(qty: int, price: object = "3280.00", unit: str = "执法一处") -> dict:
    return {
        "unit": unit,
        "year": 2026,
        "purchased_on": "2026-03-01",
        "supplier": "某科技有限公司",
        "model": "DSJ-A8",
        "quantity": qty,
        "unit_price": price,
    }


@pytest.mark.req("R8.1")
def test_budget_overrun_refused_without_reason_then_approved_with_one(
    client, office, models, database
) -> None:
    own = office.units["执法一处"]
    refused(client.put(f"/api/v1/budgets/{own}/2026", json={"amount": "10000"}), 403, "权限")
    as_user(client, office, Role.FINANCE)
    budget = client.put(f"/api/v1/budgets/{own}/2026", json={"amount": 10000, "note": "年度预算"})
    assert budget.status_code == 200, budget.text
    assert budget.json() == {
        "unit_id": own,
        "unit": "执法一处",
        "year": 2026,
        "amount": "10000.00",
        "note": "年度预算",
    }
    first = client.post("/api/v1/procurements", json=purchase(2))
    assert first.status_code == 201, first.text
    assert (first.json()["total"], first.json()["status"]) == ("6560.00", "pending")
    assert client.post(f"/api/v1/procurements/{first.json()['id']}/approve", json={}).is_success

    as_user(client, office, Role.DEVICE_ADMIN)  # a unit records its own purchase
    second = client.post("/api/v1/procurements", json=purchase(2, price=3280))
    assert second.status_code == 201, second.text
    second_url = f"/api/v1/procurements/{second.json()['id']}"
    refused(client.post(f"{second_url}/approve", json={}), 403, "权限")
    refused(client.post("/api/v1/procurements", json=purchase(1, unit="执法二处")), 403, "本单位")

    as_user(client, office, Role.FINANCE)
    before = counts(database)
    response = client.post(f"{second_url}/approve", json={"overrun_reason": "  "})
    refused(response, 409, "超支理由", "overrun_reason")
    assert "6,560.00" in response.json()["error"]["message"]
    assert "3,440.00" in response.json()["error"]["message"]
    assert counts(database) == before
    assert client.get(second_url).json()["status"] == "pending"
    approved = client.post(
        f"{second_url}/approve", json={"overrun_reason": "执法一处新增人员，经办公会同意追加"}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["overrun_reason"].startswith("执法一处新增人员")
    refused(client.post(f"{second_url}/approve", json={}), 409, "已批准")

    rows = {r["unit"]: r for r in client.get("/api/v1/reports/budget?year=2026").json()}
    assert rows["执法一处"] == {
        "unit": "执法一处",
        "unit_id": own,
        "year": 2026,
        "budget": "10000.00",
        "spent": "13120.00",
        "pending": "0.00",
        "remaining": "-3120.00",
        "over_budget": True,
    }
    assert rows["工程监管处"]["budget"] is None and rows["工程监管处"]["remaining"] is None
    budgets = client.get("/api/v1/budgets", params={"year": 2026}).json()
    assert {b["unit"]: b["amount"] for b in budgets}["执法一处"] == "10000.00"


@pytest.mark.req("R8.1")
@pytest.mark.parametrize(
    ("changes", "status", "words", "field"),
    [
        ({"quantity": 0}, 422, "数量", "quantity"),
        ({"unit_price": "-5"}, 422, "单价", "unit_price"),
        ({"unit_price": "1000000000"}, 422, "不超过", "unit_price"),
        ({"unit_price": "NaN"}, 422, "单价须为金额", "unit_price"),
        ({"supplier": "  "}, 422, "供应商", "supplier"),
        ({"year": 1999}, 422, "年度", "year"),
        ({"purchased_on": "2099-01-01"}, 422, "晚于今天", "purchased_on"),
        ({"purchased_on": "昨天"}, 422, "采购日期", "purchased_on"),
        ({"model": "不存在的型号"}, 422, "不存在", "model"),
    ],
)
def test_procurement_bad_input_writes_nothing(
    client, office, models, database, changes, status, words, field
) -> None:
    as_user(client, office, Role.FINANCE)
    before = counts(database)
    refused(
        client.post("/api/v1/procurements", json={**purchase(1), **changes}), status, words, field
    )
    assert counts(database) == before


@pytest.mark.req("R8.1")
@pytest.mark.parametrize(
    ("amount", "words"),
    [("-100", "预算金额"), ("1e20", "不超过"), ("很多", "预算金额须为金额"), ("NaN", "预算金额")],
)
def test_budget_bad_amount_writes_nothing(client, office, database, amount, words) -> None:
    as_user(client, office, Role.FINANCE)
    before = counts(database)
    url = f"/api/v1/budgets/{office.units['执法一处']}/2026"
    refused(client.put(url, json={"amount": amount}), 422, words, "amount")
    refused(
        client.put(f"/api/v1/budgets/{office.units['执法一处']}/1999", json={"amount": 1}),
        422,
        "年度",
    )
    assert counts(database) == before


@pytest.mark.req("R8.1")
def test_devices_link_to_an_approved_purchase_and_rejection_needs_a_reason(
    client, office, models
) -> None:
    as_user(client, office, Role.FINANCE)
    own = office.units["执法一处"]
    assert client.put(f"/api/v1/budgets/{own}/2026", json={"amount": "100000"}).is_success
    pid = client.post("/api/v1/procurements", json=purchase(1)).json()["id"]
    as_user(client, office, Role.DEVICE_ADMIN)
    refused(
        client.post("/api/v1/devices", json=device_body("BC001", procurement_id=pid)),
        409,
        "批准",
        "procurement_id",
    )
    as_user(client, office, Role.FINANCE)
    assert client.post(f"/api/v1/procurements/{pid}/approve", json={}).status_code == 200
    as_user(client, office, Role.DEVICE_ADMIN)
    linked = client.post("/api/v1/devices", json=device_body("BC001", procurement_id=pid))
    assert linked.status_code == 201 and linked.json()["procurement_id"] == pid
    refused(
        client.post("/api/v1/devices", json=device_body("BC002", procurement_id=pid)),
        409,
        "全部登记",
    )
    # The unit sees its own purchases only; finance sees every unit's.
    mine = client.get("/api/v1/procurements").json()
    assert [p["unit"] for p in mine] == ["执法一处"]
    refused(client.get(f"/api/v1/procurements/{office.equipment['procurement']}"), 404, "未找到")
    as_user(client, office, Role.FINANCE)
    assert {p["unit"] for p in client.get("/api/v1/procurements").json()} == {
        "执法一处",
        "执法二处",
    }
    other = f"/api/v1/procurements/{office.equipment['procurement']}"
    refused(client.post(f"{other}/reject", json={"reason": " "}), 422, "驳回须说明理由", "reason")
    rejected = client.post(f"{other}/reject", json={"reason": "型号不符"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert "型号不符" in rejected.json()["note"]


# Permission (R4.1, 三员分立) ---------------------------------------------------------------------


@pytest.mark.req("R4.1")
def test_device_admin_of_one_unit_cannot_see_or_register_another_units_devices(
    client, office, models, database
) -> None:
    other_device = office.equipment["device"]  # of 执法二处
    refused(client.get(f"/api/v1/devices/{other_device}"), 404, "未找到该设备")
    refused(client.get(f"/api/v1/devices/{other_device}/history"), 404, "未找到该设备")
    refused(client.patch(f"/api/v1/devices/{other_device}", json={"firmware": "X"}), 404, "未找到")
    refused(
        client.post(f"/api/v1/devices/{other_device}/status", json={"status": "lost"}),
        404,
        "未找到",
    )
    assert "T2-0001" not in {d["serial"] for d in client.get("/api/v1/devices").json()}
    before = counts(database)
    refused(
        client.post("/api/v1/devices", json=device_body("S2-002", unit="执法二处")), 403, "本单位"
    )
    assert counts(database) == before
    own = client.post("/api/v1/devices", json=device_body("S1-002"))
    assert own.status_code == 201, own.text
    # A supervisor sees the other unit's device and its history, and cannot change it.
    as_user(client, office, Role.ICT)
    assert client.get(f"/api/v1/devices/{other_device}").json()["unit"] == "执法二处"
    assert client.get(f"/api/v1/devices/{other_device}/history").status_code == 200
    refused(client.patch(f"/api/v1/devices/{other_device}", json={"firmware": "X"}), 403, "权限")


@pytest.mark.req("R4.1")
@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR])
def test_system_roles_see_no_equipment(client, office, role) -> None:
    as_user(client, office, role)
    for url in (
        "/api/v1/devices",
        "/api/v1/models",
        "/api/v1/reports/ratio",
        "/api/v1/reports/specs",
        "/api/v1/thresholds",
        "/api/v1/budgets",
        "/api/v1/procurements",
    ):
        refused(client.get(url), 403, "权限")
    refused(client.get(f"/api/v1/devices/{office.equipment['device']}"), 404, "未找到")


def test_openapi_documents_the_equipment_routes(client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/devices", "/api/v1/reports/ratio", "/api/v1/procurements"} <= set(paths)
    ratio = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["RatioRowOut"]
    assert set(ratio["properties"]) >= RATIO_KEYS
