"""Custody from the command line (issue 4): the full day — checkout, a refused checkout, an
override, a handover, a damaged return, the fault, its repair and back in service — then the
ledger as JSON and as a paper-style workbook; a loss case with compensation; bad input. On
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from lawcam.reports.ledger import DETAIL_SHEET, LEDGER_HEADERS
from lawcam.timeutil import SHANGHAI, utcnow
from tests.cli.conftest import Cli

UNIT = "执法一处"
OTHER = "执法二处"
A, B, C, D = "21010020001", "21010020002", "21010020003", "21010020004"
ADMIN, ADMIN2 = "21010020090", "21010020091"  # the two units' device administrators
DESK = f"赵敏({ADMIN})"  # how the ledger and the audit log name 执法一处's administrator
RECORDER = [
    "model", "add", "--maker", "海康威视", "--model", "DSJ-HK2", "--category", "body_camera",
    "--video", "2304x1296", "--photo-mp", "36", "--battery-mah", "3200", "--record-hours", "12",
    "--storage-gb", "64", "--ip", "IP68",
]  # fmt: skip
GOOD = ["--battery", "95", "--free-hours", "20", "--clock-offset", "2"]


def add_device(cli: Cli, serial: str, unit: str = UNIT, price: str = "3280.00") -> Any:
    return cli.ok(
        "device", "add", "--serial", serial, "--asset", f"ZC-{serial}", "--model", "DSJ-HK2",
        "--unit", unit, "--price", price, "--need", "现场执法检查全过程记录",
    )  # fmt: skip


def checkout(cli: Cli, serial: str, badge: str, *check: str) -> list[str]:
    return ["custody", "checkout", "--device", serial, "--officer", badge, *(check or GOOD)]


def status(cli: Cli, serial: str) -> str:
    return str(cli.ok("device", "show", "--serial", serial)["status"])


@pytest.fixture
def office(ready: Cli) -> Cli:
    return build_office(ready)


def build_office(cli: Cli) -> Cli:
    """Two units, each with a device administrator, officers and recorders; a unit head."""
    cli.ok("unit", "add", "--name", OTHER, "--class", "more")
    cli.person("李队长", None, "--role", "unit_head")
    cli.person("赵敏", ADMIN, "--role", "device_admin")
    cli.person("钱进", ADMIN2, "--role", "device_admin", unit=OTHER)
    for name, badge in (("张伟", A), ("王芳", B), ("刘洋", C)):
        cli.person(name, badge, "--officer")
    cli.person("陈静", D, "--officer", unit=OTHER)
    cli.ok(*RECORDER)
    for serial in ("BC001", "BC002"):
        add_device(cli, serial)
    add_device(cli, "BC101", unit=OTHER)
    return cli


@pytest.mark.req("R9.2")
@pytest.mark.req("R11.1")
@pytest.mark.req("R16.1")
def test_full_day_and_the_ledger(office: Cli, tmp_path: Path) -> None:
    cli = office
    started = utcnow().replace(microsecond=0)
    # 08:30 a good check: issued.
    first = cli.ok(*checkout(cli, "BC001", A))
    assert (first["device"], first["officer_badge"], first["check_failures"]) == ("BC001", A, [])
    assert first["device_status"] == "checked_out"
    # 40 % battery: refused, in Chinese, nothing written.
    events, periods = cli.audit_count(), len(cli.ok("report", "ledger")["periods"])
    low = ["--battery", "40", "--free-hours", "20", "--clock-offset", "2"]
    error = cli.refused(*checkout(cli, "BC002", B, *low))
    assert "电量 40% 低于 80%" in error["message"] and "理由" in error["message"]
    assert cli.audit_count() == events
    assert len(cli.ok("report", "ledger")["periods"]) == periods
    assert status(cli, "BC002") == "in_stock"
    # The device administrator overrides with a reason.
    reason = "紧急出警，已配备备用电池"
    second = cli.ok(*checkout(cli, "BC002", B, *low), "--override", reason)
    assert second["override_reason"] == reason
    assert second["check_failures"] == ["电量 40% 低于 80%"]
    # Handover of BC001 from 张伟 to 刘洋: one step.
    handed = cli.ok("custody", "handover", "--device", "BC001", "--to", C, *GOOD)
    ledger = {r["id"]: r for r in cli.ok("report", "ledger")["periods"]}
    source = ledger[handed["handed_over_from_id"]]
    assert handed["officer"] == "刘洋" and source["officer"] == "张伟"
    assert source["returned_at"] is not None
    # BC001 comes back damaged; BC002 comes back fine.
    back = cli.ok("custody", "return", "--device", "BC001", "--condition", "damaged")
    assert back["condition"] == "damaged" and back["device_status"] == "faulty"
    assert (
        cli.ok("custody", "return", "--device", "BC002", "--condition", "ok")["condition"] == "ok"
    )
    # The fault: reported, registered, repaired centrally, back in service.
    fault = cli.ok("fault", "report", "--device", "BC001", "--description", "镜头破裂，无法对焦")
    assert fault["status"] == "reported"
    assert cli.ok("fault", "register", "--id", str(fault["id"]))["status"] == "registered"
    order = cli.ok("fault", "repair", "--id", str(fault["id"]))
    assert order["device_status"] == "in_repair"
    done = cli.ok(
        "fault", "complete", "--order", str(order["id"]), "--diagnosis", "镜头模组损坏，已更换",
        "--outcome", "repaired",
    )  # fmt: skip
    assert (done["outcome"], done["fault_status"], done["device_status"]) == (
        "repaired",
        "closed",
        "in_stock",
    )
    assert status(cli, "BC001") == "in_stock"
    tags = [
        e["tag"] for e in cli.ok("audit", "list", "--tag", "custody:", "--limit", "100")["events"]
    ]
    for tag in ("checkout", "handover", "return", "fault:report", "fault:register", "repair:"):
        assert any(tag in t for t in tags), tag
    assert any("notification" in t for t in tags)  # the unit head was told

    # The ledger shows every step (times in ISO 8601, UTC, as GET /api/v1/ledger gives them).
    today = datetime.now(SHANGHAI).date().isoformat()
    rows = cli.ok("report", "ledger", "--unit", UNIT, "--from", today, "--to", today)["periods"]
    keys = {
        "device", "asset_no", "officer", "officer_badge", "issued_at", "issued_by", "battery_pct",
        "free_hours", "clock_offset_s", "check_failures", "override_reason", "returned_at",
        "returned_to", "condition",
    }  # fmt: skip
    assert all(keys <= set(r) for r in rows)
    steps = [(r["device"], r["officer"], r["condition"]) for r in rows]
    assert steps == [("BC001", "张伟", "ok"), ("BC002", "王芳", "ok"), ("BC001", "刘洋", "damaged")]
    for row in rows:
        assert datetime.fromisoformat(row["issued_at"]) >= started
        assert datetime.fromisoformat(row["returned_at"]) >= datetime.fromisoformat(
            row["issued_at"]
        )
        assert row["issued_by"] and row["returned_to"]
    assert rows[0]["returned_to"] == "交接给 刘洋"
    # The issuer and the receiver are the unit's device administrator, not the console's user.
    assert {r["issued_by"] for r in rows} == {DESK}
    assert {r["returned_to"] for r in rows[1:]} == {DESK}
    assert rows[1]["override_reason"] == reason and rows[1]["battery_pct"] == 40
    assert (rows[2]["battery_pct"], rows[2]["free_hours"], rows[2]["clock_offset_s"]) == (95, 20, 2)
    # Another Shanghai day, or another unit: nothing.
    assert cli.ok("report", "ledger", "--to", "2020-01-01")["periods"] == []
    assert cli.ok("report", "ledger", "--unit", OTHER)["periods"] == []

    # The workbook: one sheet per unit, the paper ledger's Chinese headers.
    out = tmp_path / "台账.xlsx"
    assert cli.ok("report", "ledger", "--xlsx", str(out))["xlsx"] == str(out.resolve())
    book = openpyxl.load_workbook(out)
    assert sorted(book.sheetnames) == sorted([UNIT, OTHER, DETAIL_SHEET])
    for name in (UNIT, OTHER):
        header = [c.value for c in book[name][1]]
        assert header == list(LEDGER_HEADERS)
        assert header[:5] == ["序号", "设备资产编号", "序列号", "领用人", "执法证号"]
    sheet = book[UNIT]
    body = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[0] for r in body] == [1, 2, 3]
    assert [(r[2], r[3], r[14]) for r in body] == [
        ("BC001", "张伟", "完好"),
        ("BC002", "王芳", "完好"),
        ("BC001", "刘洋", "损坏"),
    ]
    assert body[0][1] == "ZC-BC001" and body[0][4] == A
    assert body[1][10] == "未通过：电量 40% 低于 80%" and body[1][11] == f"超限理由：{reason}"
    assert body[0][10] == "合格" and not body[0][11]
    assert all(r[5] and r[12] for r in body)  # issued and returned times
    assert [(r[6], r[13]) for r in body] == [(DESK, "交接给 刘洋"), (DESK, DESK), (DESK, DESK)]
    assert [(r[15], r[17]) for r in body] == [(0, "无")] * 3  # no recordings in this story
    assert book[OTHER].max_row == 1

    # The quality view per model.
    models = cli.ok("report", "faults")["models"]
    hk2 = next(m for m in models if m["model"] == "DSJ-HK2")
    assert (hk2["faults"], hk2["repairs_done"]) == (1, 1)
    assert hk2["mean_repair_days"] is not None and hk2["mean_repair_days"] >= 0
    plain = cli("report", "ledger")
    assert plain.exit_code == 0 and "设备领用台账" in plain.stdout


@pytest.mark.req("R17.1")
def test_loss_case_compensation_at_purchase_price(office: Cli) -> None:
    cli = office
    cli.ok(*checkout(cli, "BC002", B))
    cli.ok("custody", "return", "--device", "BC002", "--condition", "lost")
    assert status(cli, "BC002") == "lost"
    case = cli.ok(
        "loss", "open", "--device", "BC002", "--kind", "loss", "--description", "巡查途中遗失"
    )
    assert (case["custodian"], case["kind"], case["compensation"]) == ("王芳", "loss", None)
    decided = cli.ok(
        "loss", "decide", "--id", str(case["id"]), "--cause", "poor_keeping",
        "--decision", "保管不善，按原购置价赔偿",
    )  # fmt: skip
    assert decided["compensation"] == "3280.00"
    assert decided["cause"] == "poor_keeping"
    report = cli.ok("report", "losses")
    assert report["people"] == [
        {"person": "王芳", "badge": B, "cases": 1, "at_fault": 1, "compensation": "3280.00"}
    ]
    assert report["units"] == [{"unit": UNIT, "cases": 1, "at_fault": 1, "compensation": "3280.00"}]
    # Decided once only.
    again = cli.refused("loss", "decide", "--id", str(case["id"]), "--cause", "no_fault",
                        "--decision", "无过错")  # fmt: skip
    assert "已作出决定" in again["message"]


@pytest.mark.req("R9.2")
@pytest.mark.req("R11.1")
def test_bad_input_is_refused_and_writes_nothing(office: Cli) -> None:
    cli = office
    cli.ok(*checkout(cli, "BC001", A))
    events = cli.audit_count()
    # A device already checked out.
    assert "不能领用" in cli.refused(*checkout(cli, "BC001", B))["message"]
    # Returning a device that is in stock.
    assert (
        "无需归还"
        in cli.refused("custody", "return", "--device", "BC002", "--condition", "ok")["message"]
    )
    # An unknown badge.
    assert "21019999999" in cli.refused(*checkout(cli, "BC002", "21019999999"))["message"]
    # A clock two days off without an override.
    days = ["--battery", "95", "--free-hours", "20", "--clock-offset", str(2 * 86400)]
    assert "时钟偏差" in cli.refused(*checkout(cli, "BC002", B, *days))["message"]
    # An officer of another unit without a reason; a condition that does not exist.
    assert "跨单位" in cli.refused(*checkout(cli, "BC002", D))["message"]
    assert (
        "归还状态"
        in cli.refused("custody", "return", "--device", "BC001", "--condition", "broken")["message"]
    )
    assert cli.audit_count() == events
    assert "故障须先登记" in cli.refused(
        "fault", "repair", "--id", str(cli.ok(
            "fault", "report", "--device", "BC002", "--description", "无法开机")["id"])
    )["message"]  # fmt: skip
    assert status(cli, "BC001") == "checked_out"
    assert "YYYY-MM-DD" in cli.refused("report", "ledger", "--from", "2026/1/1")["message"]


@pytest.mark.req("R16.1")
def test_open_fault_not_returned_as_ok_nor_issued(office: Cli) -> None:
    """Issue 13, seen 9: the device with an open fault came back 完好 and went out again."""
    cli = office
    cli.ok(*checkout(cli, "BC001", A))
    fault = cli.ok("fault", "report", "--device", "BC001", "--description", "屏幕花屏")
    events = cli.audit_count()
    error = cli.refused("custody", "return", "--device", "BC001", "--condition", "ok")
    assert f"故障报告 #{fault['id']}" in error["message"] and "屏幕花屏" in error["message"]
    assert "不能按“完好”归还" in error["message"]
    error = cli.refused("custody", "handover", "--device", "BC001", "--to", B, *GOOD)
    assert "不能交接" in error["message"]
    assert cli.audit_count() == events
    back = cli.ok("custody", "return", "--device", "BC001", "--condition", "faulty")
    assert back["device_status"] == "faulty"
    # The fault stays open after the return: it is registered next.
    assert cli.ok("fault", "register", "--id", str(fault["id"]))["status"] == "registered"
    assert "不能领用" in cli.refused(*checkout(cli, "BC001", B))["message"]
    # In words, the return names the fault and the command for its next step.
    cli.ok(*checkout(cli, "BC002", C))
    other = cli.ok("fault", "report", "--device", "BC002", "--description", "按键失灵")
    said = cli("custody", "return", "--device", "BC002", "--condition", "damaged")
    assert said.exit_code == 0, said.stderr
    assert f"故障报告 #{other['id']}：请先登记，再送集中维修" in said.stdout
    assert f"lawcam fault register --id {other['id']}" in said.stdout
