"""The custody JSON API (issue 4, Art. 9, 11, 16, 17) over the domain: the issue's "Done when"
through HTTP (a day of checkouts, a refusal at 40 % battery, an override, a handover, a damaged
return, the fault and its repair, a loss case), refusals in Chinese with nothing written, and
who may do what."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.custody.models import CustodyPeriod, FaultReport, LossCase
from lawcam.db import Database
from lawcam.org import accounts
from lawcam.org import service as org
from lawcam.org.types import PersonIn
from tests.api.conftest import login
from tests.factories import PASSWORD, Office

SERIAL = "T2-0001"
GOOD = {"battery_pct": 95, "free_hours": 20, "clock_offset_s": 3}
LOW = {"battery_pct": 40, "free_hours": 20, "clock_offset_s": 3}
OFFICER = "T9001"  # 二处执法员
SPARE = "T9002"  # 备用人员, an officer of 执法二处 with the account u_spare

pytestmark = pytest.mark.req("R9.2", "R11.1", "R16.1", "R17.1")


def add_unit_staff(database: Database, settings: Settings, console: Actor) -> None:
    """执法二处's device administrator (u_admin2) and unit head (u_head2)."""
    with database.unit_of_work() as session:
        for name, badge, role, username in [
            ("二处管理员", "T9101", Role.DEVICE_ADMIN, "u_admin2"),
            ("二处负责人", "T9102", Role.UNIT_HEAD, "u_head2"),
        ]:
            person = org.create_person(
                session=session,
                actor=console,
                data=PersonIn(name=name, unit="执法二处", badge=badge, roles=(role,)),
            )
            accounts.create_account(
                session=session,
                actor=console,
                settings=settings,
                person_id=person.id,
                username=username,
                password=PASSWORD,
                must_change=False,
            )


@pytest.fixture
def unit2(office: Office, database: Database, settings: Settings, console: Actor) -> Office:
    add_unit_staff(database, settings, console)
    return office


def as_user(client: TestClient, username: str) -> None:
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    login(client, username)


def count(database: Database, model: type) -> int:
    with database.read() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def device_status(client: TestClient, device_id: int) -> str:
    r = client.get(f"/api/v1/devices/{device_id}")
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


def checkout(client: TestClient, officer: str = OFFICER, **kw: object):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/custody/checkout", json={"device": SERIAL, "officer": officer, **GOOD, **kw}
    )


def test_a_day_of_custody(client: TestClient, unit2: Office, database: Database) -> None:
    device_id = unit2.equipment["device"]
    as_user(client, "u_admin2")

    # Refused at 40 %: a Chinese message, and nothing written.
    periods, audit = count(database, CustodyPeriod), count(database, AuditEvent)
    r = checkout(client, **LOW)
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["code"] == "conflict"
    assert "电量 40% 低于 80%" in error["message"]
    assert "理由" in error["message"]
    assert (count(database, CustodyPeriod), count(database, AuditEvent)) == (periods, audit)
    assert device_status(client, device_id) == "in_service"

    # The administrator overrides with a reason: issued, the failure and the reason kept.
    r = checkout(client, **LOW, override_reason="紧急出勤，备用电池随行")
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["officer"] == "二处执法员"
    assert first["check_failures"] == ["电量 40% 低于 80%"]
    assert first["override_reason"] == "紧急出勤，备用电池随行"
    assert first["issued_by"]
    assert device_status(client, device_id) == "checked_out"

    # A second checkout of the same device is refused.
    r = checkout(client, officer=SPARE)
    assert r.status_code == 409
    assert "不能领用" in r.json()["error"]["message"]

    # Returned in order; then a good check; then a handover to another officer.
    r = client.post("/api/v1/custody/return", json={"device": SERIAL, "condition": "ok"})
    assert r.status_code == 200, r.text
    assert r.json()["condition"] == "ok" and r.json()["returned_at"]
    r = checkout(client)
    assert r.status_code == 201, r.text
    assert r.json()["check_failures"] == []
    good_id = r.json()["id"]
    r = client.post(
        "/api/v1/custody/handover", json={"device": SERIAL, "to_officer": SPARE, **GOOD}
    )
    assert r.status_code == 201, r.text
    handed = r.json()
    assert handed["officer"] == "备用人员"
    assert handed["handed_over_from_id"] == good_id

    # Returned damaged: the device leaves service.
    r = client.post(
        "/api/v1/custody/return",
        json={"device": SERIAL, "condition": "damaged", "note": "外壳碎裂"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["condition_label"] == "损坏"
    assert device_status(client, device_id) == "faulty"

    # The ledger: one row per period, with times, in order.
    r = client.get("/api/v1/ledger", params={"unit_id": unit2.units["执法二处"]})
    assert r.status_code == 200
    rows = r.json()
    assert [row["officer"] for row in rows] == ["二处执法员", "二处执法员", "备用人员"]
    assert all(row["issued_at"] and row["returned_at"] for row in rows)
    assert rows[1]["returned_to"] == "交接给 备用人员"
    assert rows[2]["condition"] == "damaged"
    # A window before today holds nothing.
    r = client.get("/api/v1/ledger", params={"until": "2000-01-01"})
    assert r.status_code == 200 and r.json() == []


def test_fault_repair_back_in_service(
    client: TestClient, unit2: Office, database: Database
) -> None:
    device_id = unit2.equipment["device"]
    as_user(client, "u_admin2")
    r = client.post("/api/v1/faults", json={"device": SERIAL, "description": "无法开机"})
    assert r.status_code == 201, r.text
    fault = r.json()
    assert fault["status"] == "reported" and fault["device_status"] == "faulty"

    # The unit head sees a notification; the head of another unit does not.
    as_user(client, "u_head2")
    notes = client.get("/api/v1/notifications").json()
    assert len(notes) == 1
    assert SERIAL in notes[0]["text"] and "无法开机" in notes[0]["text"]
    assert notes[0]["link"] == f"/devices/{device_id}"
    as_user(client, "u_unit_head")
    assert client.get("/api/v1/notifications").json() == []

    as_user(client, "u_admin2")
    r = client.post(f"/api/v1/faults/{fault['id']}/register")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "registered" and r.json()["registered_by"]
    r = client.post(f"/api/v1/faults/{fault['id']}/register")
    assert r.status_code == 409 and "已登记" in r.json()["error"]["message"]
    r = client.post(f"/api/v1/faults/{fault['id']}/repair")
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["device_status"] == "in_repair"

    # The device administrator is not the central repair.
    body = {"diagnosis": "电源板虚焊，已补焊", "outcome": "repaired"}
    r = client.post(f"/api/v1/repairs/{order['id']}/complete", json=body)
    assert r.status_code == 403
    as_user(client, "u_ict")
    r = client.post(f"/api/v1/repairs/{order['id']}/complete", json=body)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["outcome"] == "repaired" and done["outcome_label"] == "已修复"
    assert done["diagnosis"] == "电源板虚焊，已补焊"
    assert done["device_status"] == "in_stock"
    assert device_status(client, device_id) == "in_stock"
    r = client.post(f"/api/v1/repairs/{order['id']}/complete", json=body)
    assert r.status_code == 409 and "已完成" in r.json()["error"]["message"]

    # Back in service: it can be checked out again.
    as_user(client, "u_admin2")
    assert checkout(client).status_code == 201


def test_officer_reports_own_device(client: TestClient, unit2: Office) -> None:
    as_user(client, "u_admin2")
    assert checkout(client, officer=SPARE).status_code == 201
    as_user(client, "u_spare")
    r = client.post("/api/v1/faults", json={"device": SERIAL, "description": "屏幕不亮"})
    assert r.status_code == 201, r.text
    assert r.json()["device_status"] == "checked_out"  # it leaves service on its return
    r = client.post("/api/v1/faults", json={"device": SERIAL, "description": "  "})
    assert r.status_code == 422
    assert "故障情况" in r.json()["error"]["message"]


def test_loss_case_compensation_at_purchase_price(
    client: TestClient, unit2: Office, database: Database
) -> None:
    as_user(client, "u_admin2")
    assert checkout(client).status_code == 201
    r = client.post("/api/v1/custody/return", json={"device": SERIAL, "condition": "lost"})
    assert r.status_code == 200
    r = client.post(
        "/api/v1/loss-cases",
        json={"device": SERIAL, "kind": "loss", "description": "外勤途中遗失"},
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["custodian"] == "二处执法员" and case["compensation"] is None

    # The administrator may not decide; the unit head does.
    decide = {"cause": "poor_keeping", "decision": "保管不善，按原价赔偿"}
    r = client.post(f"/api/v1/loss-cases/{case['id']}/decide", json=decide)
    assert r.status_code == 403
    as_user(client, "u_head2")
    r = client.post(f"/api/v1/loss-cases/{case['id']}/decide", json=decide)
    assert r.status_code == 200, r.text
    decided = r.json()
    assert decided["compensation"] == "3280.00"
    assert decided["cause_label"] == "保管不善"
    assert decided["decided_by"]
    r = client.post(f"/api/v1/loss-cases/{case['id']}/decide", json=decide)
    assert r.status_code == 409
    assert count(database, LossCase) == 1


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("u_spare", 403),  # an officer of 执法二处: sees the device, may not issue it
        ("u_finance", 403),  # sees every unit's devices, may not issue them
        ("u_device_admin", 404),  # 执法一处's administrator does not see 执法二处's device
    ],
)
def test_who_may_not_check_out(
    client: TestClient, unit2: Office, database: Database, username: str, status: int
) -> None:
    as_user(client, username)
    audit = count(database, AuditEvent)
    r = checkout(client)
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"]
    r = client.post("/api/v1/custody/return", json={"device": SERIAL, "condition": "ok"})
    assert r.status_code == status
    r = client.post(
        "/api/v1/custody/handover", json={"device": SERIAL, "to_officer": SPARE, **GOOD}
    )
    assert r.status_code == status
    r = client.post(
        "/api/v1/loss-cases", json={"device": SERIAL, "kind": "loss", "description": "x"}
    )
    assert r.status_code == status
    assert count(database, CustodyPeriod) == 0
    assert count(database, LossCase) == 0
    # The officer of 执法二处 may report a fault only of a device in their custody.
    r = client.post("/api/v1/faults", json={"device": SERIAL, "description": "无法开机"})
    assert r.status_code == status
    assert count(database, FaultReport) == 0
    assert count(database, AuditEvent) == audit


def test_bad_input_is_refused_in_chinese(client: TestClient, unit2: Office) -> None:
    as_user(client, "u_admin2")
    r = checkout(client, battery_pct=140)
    assert r.status_code == 422
    assert "电量须为 0 至 100" in r.json()["error"]["message"]
    r = checkout(client, clock_offset_s=400_000_000)
    assert r.status_code == 422 and "时钟偏差" in r.json()["error"]["message"]
    r = checkout(client, officer="NOPE-1")
    assert r.status_code == 422 and "NOPE-1" in r.json()["error"]["message"]
    r = checkout(client, officer="T0000")  # 执法一处's officer: another unit needs a reason
    assert r.status_code == 409 and "跨单位" in r.json()["error"]["message"]
    r = client.post("/api/v1/custody/checkout", json={"device": SERIAL, "officer": OFFICER})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    r = client.post("/api/v1/custody/return", json={"device": SERIAL, "condition": "ok"})
    assert r.status_code == 409 and "无需归还" in r.json()["error"]["message"]
    r = client.post("/api/v1/custody/return", json={"device": SERIAL, "condition": "broken"})
    assert r.status_code == 422
    r = client.post("/api/v1/custody/checkout", json={"device": "NOPE", "officer": OFFICER, **GOOD})
    assert r.status_code == 404 and "NOPE" in r.json()["error"]["message"]
    r = client.post("/api/v1/faults/999999/register")
    assert r.status_code == 404
    r = client.get("/api/v1/ledger", params={"since": "昨天"})
    assert r.status_code == 422


@pytest.mark.req("R16.1")
def test_open_fault_not_returned_as_ok_nor_checked_out_again(
    client: TestClient, unit2: Office, database: Database
) -> None:
    """Issue 13, seen 9: an officer reports a fault on the device they hold; it came back as
    完好 and went out to the next officer. Now the return as 完好, the handover and the next
    checkout are refused naming the fault; the return as 故障 takes it out of service."""
    device_id = unit2.equipment["device"]
    as_user(client, "u_admin2")
    assert checkout(client).status_code == 201
    r = client.post("/api/v1/faults", json={"device": SERIAL, "description": "录像无声音"})
    assert r.status_code == 201, r.text
    fault_id = r.json()["id"]
    audit = count(database, AuditEvent)

    r = client.post("/api/v1/custody/return", json={"device": SERIAL, "condition": "ok"})
    assert r.status_code == 409, r.text
    message = r.json()["error"]["message"]
    assert f"故障报告 #{fault_id}" in message and "录像无声音" in message
    assert "不能按“完好”归还" in message and "第十六条" in message
    r = client.post(
        "/api/v1/custody/handover", json={"device": SERIAL, "to_officer": SPARE, **GOOD}
    )
    assert r.status_code == 409 and "不能交接" in r.json()["error"]["message"]
    assert count(database, AuditEvent) == audit  # refusals write nothing

    r = client.post("/api/v1/custody/return", json={"device": SERIAL, "condition": "faulty"})
    assert r.status_code == 200, r.text
    assert device_status(client, device_id) == "faulty"
    r = checkout(client, SPARE)
    assert r.status_code == 409 and "不能领用" in r.json()["error"]["message"]
    assert count(database, CustodyPeriod) == 1
