"""Equipment from the command line: models, devices, needs, thresholds, budgets, procurement
and the reports (issue 3's Done-when through ``lawcam``), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import update

from lawcam.demo.seed import CENTER, ENGINEERING
from lawcam.equipment.models import Device
from lawcam.timeutil import utcnow
from tests.cli.conftest import Cli

UNIT = "执法一处"
RATIO_KEYS = {"unit", "class", "officers", "devices_counted", "required", "shortfall", "compliant"}
RECORDER = [
    "model", "add", "--maker", "海康威视", "--model", "DSJ-HK2", "--category", "body_camera",
    "--video", "2304x1296", "--photo-mp", "36", "--battery-mah", "3200", "--record-hours", "12",
    "--storage-gb", "64", "--ip", "IP68", "--feature", "gps", "--feature", "signed_files",
]  # fmt: skip
TERMINAL = [
    "model", "add", "--maker", "警翼", "--model", "ZFT-T8", "--category", "handheld_terminal",
    "--video", "1920x1080", "--photo-mp", "48", "--battery-mah", "5000", "--record-hours", "10",
    "--storage-gb", "128", "--ip", "IP67",
]  # fmt: skip
WEAK = [
    "model", "add", "--maker", "华德安", "--model", "DSJ-HDA3", "--category", "执法记录仪",
    "--video", "1280x720", "--photo-mp", "12", "--battery-mah", "2000", "--record-hours", "8",
    "--storage-gb", "32", "--ip", "IP54",
]  # fmt: skip


def add_device(cli: Cli, serial: str, *extra: str, model: str = "DSJ-HK2", **kw: str) -> Any:
    args = {
        "--serial": serial,
        "--asset": kw.get("asset", f"ZC-{serial}"),
        "--model": model,
        "--unit": kw.get("unit", UNIT),
        "--price": kw.get("price", "3280"),
        "--need": kw.get("need", "现场执法检查全过程记录"),
    }
    flat = [x for pair in args.items() for x in pair]
    return cli.ok("device", "add", *flat, *extra)


def ratio_of(cli: Cli, unit: str = UNIT) -> dict[str, Any]:
    document = cli.ok("report", "ratio")
    assert set(document) == {"units", "office"}
    # The contract keys, then what the API adds (GET /reports/ratio is the same document).
    assert set(document["office"]) == RATIO_KEYS | {"note", "excluded"}
    for row in document["units"]:
        assert set(row) == RATIO_KEYS | {"note", "excluded"}
    return next(r for r in document["units"] if r["unit"] == unit)


@pytest.fixture
def equipped(ready: Cli) -> Cli:
    """执法一处 (class many) with 10 officers and the recorder and terminal models."""
    for n in range(1, 11):
        ready.person(f"警员{n:02d}", f"2101002{n:04d}", "--officer")
    ready.ok(*RECORDER)
    ready.ok(*TERMINAL)
    return ready


@pytest.mark.req("R6.1")
@pytest.mark.req("R6.2")
def test_ratio_done_when(equipped: Cli) -> None:
    cli = equipped
    for n in range(1, 4):
        add_device(cli, f"HK{n:04d}", "--status", "in_service")
    row = ratio_of(cli)
    assert row == {
        "unit": UNIT,
        "class": "many",
        "officers": 10,
        "devices_counted": 3,
        "required": 4,
        "shortfall": 1,
        "compliant": False,
        "note": "",
        "excluded": [],
    }
    # A report: exit 0 even when a unit is short of devices.
    plain = cli("report", "ratio")
    assert plain.exit_code == 0 and "未达标" in plain.stdout and UNIT in plain.stdout

    add_device(cli, "T80001", model="ZFT-T8", price="4,580.00")
    row = ratio_of(cli)
    assert (row["devices_counted"], row["shortfall"], row["compliant"]) == (4, 0, True)
    office = cli.ok("report", "ratio")["office"]
    assert (office["required"], office["shortfall"], office["compliant"]) == (4, 0, True)

    # In repair: still counted for the first 30 days …
    moved = cli.ok(
        "device", "status", "--serial", "HK0001", "--to", "in_repair", "--reason", "屏幕"
    )
    assert moved["status"] == "in_repair"
    assert ratio_of(cli)["compliant"] is True
    # … not after 31.
    database = cli.database()
    try:
        with database.unit_of_work() as session:
            session.execute(
                update(Device)
                .where(Device.serial == "HK0001")
                .values(status_since=utcnow() - timedelta(days=31))
            )
    finally:
        database.dispose()
    row = ratio_of(cli)
    assert (row["devices_counted"], row["shortfall"], row["compliant"]) == (3, 1, False)
    assert "HK0001" in cli("report", "ratio").stdout  # shown as not counted


@pytest.mark.req("R6.1")
def test_ratio_xlsx(equipped: Cli, tmp_path: Path) -> None:
    add_device(equipped, "HK0001")
    out = tmp_path / "ratio.xlsx"
    document = equipped.ok("report", "ratio", "--xlsx", str(out))
    assert document["xlsx"] == str(out.resolve())
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert any(UNIT in str(c.value) for row in sheet.iter_rows() for c in row)
    error = equipped.refused("report", "ratio", "--xlsx", str(tmp_path / "ratio.txt"))
    assert ".xlsx" in error["message"]


@pytest.mark.req("R5.1")
def test_device_add_show_list_and_money(equipped: Cli) -> None:
    made = add_device(
        equipped,
        "HK0001",
        "--zone",
        "询问室一",
        "--commissioned",
        "2026-03-25",
        "--firmware",
        "V5.2.1",
        price="3,280.00",
    )
    assert made == {  # the API's DeviceOut (lawcam.schemas.equipment)
        "id": made["id"],
        "serial": "HK0001",
        "asset_no": "ZC-HK0001",
        "model_id": made["model_id"],
        "model": "DSJ-HK2",
        "category": "body_camera",
        "unit_id": made["unit_id"],
        "unit": UNIT,
        "zone_id": made["zone_id"],
        "zone": "询问室一",
        "status": "in_stock",
        "status_label": "在库",
        "status_since": made["status_since"],
        "commissioned_on": "2026-03-25",
        "firmware": "V5.2.1",
        "purchase_price": "3280.00",
        "procurement_id": None,
        "need": "现场执法检查全过程记录",
        "created_at": made["created_at"],
    }
    assert add_device(equipped, "HK0002", price="3280")["purchase_price"] == "3280.00"
    shown = equipped.ok("device", "show", "HK0001")
    assert {k: v for k, v in shown.items() if k != "history"} == made
    assert [h["tag"] for h in shown["history"]] == ["equipment:device:create"]
    equipped.ok("device", "status", "--serial", "HK0001", "--to", "lost", "--reason", "遗失")
    shown = equipped.ok("device", "show", "--serial", "HK0001")
    assert shown["status"] == "lost"
    assert [h["tag"] for h in shown["history"]][-1] == "equipment:device:set_status"
    text = equipped("device", "show", "HK0001")
    assert text.exit_code == 0 and "丢失" in text.stdout and "询问室一" in text.stdout
    assert [d["serial"] for d in equipped.ok("device", "list")["devices"]] == ["HK0001", "HK0002"]
    lost = equipped.ok("device", "list", "--unit", UNIT, "--status", "lost")["devices"]
    assert [d["serial"] for d in lost] == ["HK0001"]
    # A lost device may only be found again (in stock), not put straight into service.
    error = equipped.refused("device", "status", "--serial", "HK0001", "--to", "in_service")
    assert error["code"] == "conflict" and "丢失" in error["message"]
    assert equipped.refused("device", "show", "NOPE")["code"] == "not_found"
    assert "状态" in equipped.refused("device", "list", "--status", "broken")["message"]


BAD_DEVICES: list[tuple[str, dict[str, str], str]] = [
    ("duplicate serial", {"serial": "HK0001", "asset": "ZC-NEW"}, "序列号 HK0001 已登记"),
    ("duplicate asset", {"serial": "HK0009", "asset": "ZC-HK0001"}, "资产编号 ZC-HK0001 已登记"),
    ("whitespace need", {"serial": "HK0009", "need": "  \t "}, "执法需求"),
    ("negative price", {"serial": "HK0009", "price": "-5"}, "购置价格须大于 0"),
    ("zero price", {"serial": "HK0009", "price": "0"}, "购置价格须大于 0"),
    ("absurd price", {"serial": "HK0009", "price": "32,800,000"}, "不超过 1,000,000.00 元"),
    ("price text", {"serial": "HK0009", "price": "三千"}, "金额"),
    ("fractions of a fen", {"serial": "HK0009", "price": "3280.001"}, "两位小数"),
    ("unknown model", {"serial": "HK0009", "model": "XX-1"}, "型号“XX-1”不存在"),
    ("unknown unit", {"serial": "HK0009", "unit": "无此单位"}, "无此单位"),
    ("bad serial", {"serial": "HK 0009"}, "序列号"),
    ("bad zone", {"serial": "HK0009", "zone": "机房"}, "办案专区"),
    ("bad date", {"serial": "HK0009", "commissioned": "2026/13/01"}, "YYYY-MM-DD"),
    ("bad status", {"serial": "HK0009", "status": "lost"}, "in_stock"),
]


@pytest.mark.req("R5.1")
def test_bad_device_is_refused_and_nothing_written(equipped: Cli) -> None:
    add_device(equipped, "HK0001")
    before = (equipped.audit_count(), equipped.ok("device", "list"))
    for case, change, expected in BAD_DEVICES:
        values = {
            "serial": "HK0009",
            "asset": f"ZC-{change.get('serial', 'HK0009')}",
            "model": "DSJ-HK2",
            "unit": UNIT,
            "price": "3280",
            "need": "现场执法检查全过程记录",
            **change,
        }
        args = [x for k, v in values.items() for x in (f"--{k}", v)]
        error = equipped.refused("device", "add", *args)
        assert expected in error["message"], (case, error)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), case
        assert (equipped.audit_count(), equipped.ok("device", "list")) == before, case


@pytest.mark.req("R7.1")
def test_model_category_and_features_are_checked(ready: Cli) -> None:
    before = ready.audit_count()
    error = ready.refused("model", "add", "--maker", "某厂", "--model", "X1", "--category", "drone")
    assert error["code"] == "invalid_input"
    for code in ("camera", "body_camera", "handheld_terminal", "storage", "执法记录仪"):
        assert code in error["message"]
    error = ready.refused(*RECORDER[:8], "--feature", "laser")
    assert "night_vision" in error["message"] and "no_device_delete" in error["message"]
    error = ready.refused(*RECORDER[:8], "--video", "1080p")
    assert "1920x1080" in error["message"]
    assert ready.ok("model", "list")["models"] == []
    assert ready.audit_count() == before
    # Codes and Chinese labels are both accepted; the model name is unique.
    made = ready.ok(*RECORDER, "--feature", "文件加密")
    assert made["features"] == ["encrypted_files", "gps", "signed_files"]
    assert (made["video"], made["ip_rating"], made["conforms"], made["misses"]) == (
        "2304x1296",
        "IP68",
        True,
        [],
    )
    assert ready.refused(*RECORDER)["code"] == "conflict"


@pytest.mark.req("R7.1")
def test_weak_model_is_listed_non_conforming_with_what_it_misses(ready: Cli) -> None:
    ready.ok(*RECORDER)
    weak = ready.ok(*WEAK)
    assert weak["conforms"] is False
    specs = {m["model"]: m for m in ready.ok("report", "specs")["models"]}
    assert specs["DSJ-HK2"]["conforms"] is True
    missed = {x["spec"]: x for x in specs["DSJ-HDA3"]["misses"]}
    assert specs["DSJ-HDA3"]["conforms"] is False
    assert set(missed) == {"视频分辨率", "照片像素", "电池容量", "防护等级"}
    assert (missed["视频分辨率"]["required"], missed["视频分辨率"]["actual"]) == (
        "1920×1080",
        "1280×720",
    )
    assert (missed["防护等级"]["required"], missed["防护等级"]["actual"]) == ("IP67", "IP54")
    listed = {m["model"]: m for m in ready.ok("model", "list")["models"]}
    assert listed["DSJ-HDA3"]["conforms"] is False
    text = ready("report", "specs")
    assert text.exit_code == 0 and "未达标" in text.stdout and "视频分辨率" in text.stdout

    # Engineering supervision lowers the thresholds: then only what is still missed is listed.
    assert ready.ok("thresholds", "show")["video"] == "1920x1080"
    limits = ready.ok("thresholds", "set", "--video", "1280x720", "--ip", "ip54")
    assert (limits["video"], limits["ip_rating"], limits["battery_mah"]) == (
        "1280x720",
        "IP54",
        2500,
    )
    specs = {m["model"]: m for m in ready.ok("report", "specs")["models"]}
    assert {x["spec"] for x in specs["DSJ-HDA3"]["misses"]} == {"照片像素", "电池容量"}
    assert ready.refused("thresholds", "set")["code"] == "invalid_input"
    assert ready.ok("audit", "list", "--tag", "equipment:thresholds")["total"] == 1


@pytest.mark.req("R4.1")
def test_model_quality_suspension_blocks_new_devices(ready: Cli) -> None:
    ready.ok(*WEAK)
    error = ready.refused("model", "quality", "--model", "DSJ-HDA3", "--status", "suspended")
    assert "理由" in error["message"]
    done = ready.ok(
        "model", "quality", "--model", "DSJ-HDA3", "--status", "suspended", "--reason", "不达标"
    )
    assert (done["quality_status"], done["quality_reason"]) == ("suspended", "不达标")
    error = ready.refused(
        "device", "add", "--serial", "H1", "--asset", "A1", "--model", "DSJ-HDA3",
        "--unit", UNIT, "--price", "2150", "--need", "执法记录",
    )  # fmt: skip
    assert "暂停使用" in error["message"]
    assert ready.refused("model", "quality", "--model", "X", "--status", "approved")["code"] == (
        "not_found"
    )
    assert (
        "approved"
        in ready.refused("model", "quality", "--model", "DSJ-HDA3", "--status", "ok")["message"]
    )


@pytest.mark.req("R7.2")
def test_special_need_lists_devices_lacking_it(equipped: Cli) -> None:
    add_device(equipped, "HK0001")
    assert equipped.ok("report", "specs")["devices"] == []
    declared = equipped.ok("need", "declare", "--unit", UNIT, "--feature", "night_vision")
    assert declared == {
        "unit_id": declared["unit_id"],
        "unit": UNIT,
        "needs": [{"feature": "night_vision", "label": "红外夜视"}],
    }
    lacking = equipped.ok("report", "specs")["devices"]
    assert [(d["serial"], d["missing"]) for d in lacking] == [("HK0001", ["night_vision"])]
    assert equipped.refused("need", "declare", "--unit", UNIT, "--feature", "红外夜视")["code"] == (
        "conflict"
    )
    error = equipped.refused("need", "declare", "--unit", UNIT, "--feature", "signed_files")
    assert "特殊需求" in error["message"]
    assert equipped.ok("need", "withdraw", "--unit", UNIT, "--feature", "night_vision")[
        "needs"
    ] == ([])
    assert equipped.ok("report", "specs")["devices"] == []


@pytest.mark.req("R8.1")
def test_budget_procurement_and_overrun(equipped: Cli) -> None:
    budget = equipped.ok("budget", "set", "--unit", UNIT, "--year", "2026", "--amount", "5,000")
    assert (budget["amount"], budget["year"]) == ("5000.00", 2026)
    bought = equipped.ok(
        "procurement", "add", "--unit", UNIT, "--year", "2026", "--date", "2026-03-16",
        "--supplier", "辽宁安视科技有限公司", "--model", "DSJ-HK2", "--quantity", "2",
        "--unit-price", "3,280",
    )  # fmt: skip
    assert (bought["status"], bought["unit_price"], bought["total"]) == (
        "pending",
        "3280.00",
        "6560.00",
    )
    # A device cannot cite a purchase finance has not approved.
    error = equipped.refused(
        "device", "add", "--serial", "HK0001", "--asset", "A1", "--model", "DSJ-HK2",
        "--unit", UNIT, "--price", "3280", "--need", "执法记录", "--procurement", str(bought["id"]),
    )  # fmt: skip
    assert "批准" in error["message"]
    # Over budget: refused without a reason, approved with one.
    error = equipped.refused("procurement", "approve", "--id", str(bought["id"]))
    assert error["code"] == "conflict" and "超支理由" in error["message"]
    approved = equipped.ok(
        "procurement", "approve", "--id", str(bought["id"]), "--overrun-reason", "任务增加"
    )
    assert (approved["status"], approved["overrun_reason"]) == ("approved", "任务增加")
    device = add_device(equipped, "HK0001", "--procurement", str(bought["id"]))
    assert device["procurement_id"] == bought["id"]
    report = {u["unit"]: u for u in equipped.ok("report", "budget", "--year", "2026")["units"]}
    assert report[UNIT] == {
        "unit": UNIT,
        "unit_id": device["unit_id"],
        "year": 2026,
        "budget": "5000.00",
        "spent": "6560.00",
        "pending": "0.00",
        "remaining": "-1560.00",
        "over_budget": True,
    }
    second = equipped.ok(
        "procurement", "add", "--unit", UNIT, "--year", "2026", "--date", "2026-04-01",
        "--supplier", "某公司", "--model", "ZFT-T8", "--quantity", "1", "--unit-price", "4580",
    )  # fmt: skip
    assert equipped.refused("procurement", "reject", "--id", str(second["id"]), "--reason", " ")[
        "code"
    ] == ("invalid_input")
    rejected = equipped.ok("procurement", "reject", "--id", str(second["id"]), "--reason", "重复")
    assert rejected["status"] == "rejected"
    assert equipped.refused("procurement", "approve", "--id", str(second["id"]))["code"] == (
        "conflict"
    )
    listed = equipped.ok("procurement", "list", "--year", "2026")["procurements"]
    assert [(p["id"], p["status"]) for p in listed] == [
        (bought["id"], "approved"),
        (second["id"], "rejected"),
    ]
    assert equipped.ok("procurement", "list", "--year", "2025")["procurements"] == []
    # Bad input: nothing written.
    before = equipped.audit_count()
    for args, expected in (
        (["--amount", "-1"], "预算金额"),
        (["--amount", "abc"], "金额"),
    ):
        error = equipped.refused("budget", "set", "--unit", UNIT, "--year", "2026", *args)
        assert expected in error["message"]
    error = equipped.refused(
        "procurement", "add", "--unit", UNIT, "--year", "2026", "--date", "2099-01-01",
        "--supplier", "某公司", "--model", "ZFT-T8", "--quantity", "1", "--unit-price", "4580",
    )  # fmt: skip
    assert "晚于今天" in error["message"]
    error = equipped.refused(
        "procurement", "add", "--unit", UNIT, "--year", "2026", "--date", "2026-04-01",
        "--supplier", "某公司", "--model", "ZFT-T8", "--quantity", "0", "--unit-price", "4580",
    )  # fmt: skip
    assert "数量" in error["message"]
    assert equipped.audit_count() == before


@pytest.mark.req("R5.1")
def test_templates_import_register_and_labels(equipped: Cli, tmp_path: Path) -> None:
    for kind in ("models", "devices", "procurement"):
        path = tmp_path / f"{kind}.xlsx"
        assert equipped.ok("template", kind, "--out", str(path))["kind"] == kind
        assert path.is_file()
    book = openpyxl.load_workbook(tmp_path / "devices.xlsx")
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    row = {
        "资产编号": "ZC-0100",
        "序列号": "HK0100",
        "型号": "DSJ-HK2",
        "所属单位": UNIT,
        "购置价格(元)": 3280,
        "执法需求": "现场执法检查全过程记录",
    }
    sheet.append([row.get(str(h)) for h in headers])
    book.save(tmp_path / "devices-filled.xlsx")
    result = equipped.ok("import", str(tmp_path / "devices-filled.xlsx"))
    assert result == {"kind": "devices", "created": 1, "rows": 1}
    assert equipped.ok("device", "show", "HK0100")["purchase_price"] == "3280.00"
    # The same file again: refused (serial already registered), nothing written.
    before = equipped.audit_count()
    error = equipped.refused("import", str(tmp_path / "devices-filled.xlsx"))
    assert "HK0100" in error["message"] or "ZC-0100" in error["message"]
    assert equipped.audit_count() == before

    register = tmp_path / "register.xlsx"
    assert equipped.ok("report", "register", "--out", str(register), "--unit", UNIT) == {
        "path": str(register.resolve()),
        "devices": 1,
    }
    cells = [c.value for r in openpyxl.load_workbook(register).worksheets[0].iter_rows() for c in r]
    assert "HK0100" in cells
    labels = tmp_path / "labels.pdf"
    made = equipped.ok("report", "labels", "--unit", UNIT, "--out", str(labels))
    assert made == {"path": str(labels.resolve()), "labels": 1}
    assert labels.read_bytes().startswith(b"%PDF")
    assert equipped.refused("report", "labels", "--unit", "无此单位", "--out", str(labels))
    assert (
        ".pdf" in equipped.refused("report", "labels", "--unit", UNIT, "--out", "x.xlsx")["message"]
    )


@pytest.mark.req("R6.1")
@pytest.mark.req("R7.1")
@pytest.mark.req("R8.1")
def test_demo_equipment(cli: Cli) -> None:
    shown = cli.ok("demo", "--no-serve")
    summary = shown["equipment"]
    assert summary["models_below_thresholds"] == ["DSJ-HDA3"]
    assert summary["devices_by_status"]["lost"] == 1
    assert summary["devices_by_status"]["in_repair"] == 1
    assert summary["procurements"] == {"pending": 1, "approved": 2, "rejected": 1}
    assert summary["over_budget_approved"] == 1
    ratio = {r["unit"]: r for r in cli.ok("report", "ratio")["units"]}
    assert any(r["compliant"] for r in ratio.values())
    assert any(not r["compliant"] for r in ratio.values())
    assert (ratio[CENTER]["required"], ratio[CENTER]["shortfall"]) == (8, 1)
    assert ratio[ENGINEERING]["compliant"] is True
    lacking = cli.ok("report", "specs")["devices"]
    assert lacking and all(d["unit"] == CENTER for d in lacking)
    assert all(d["missing"] == ["night_vision"] for d in lacking)
    budgets = {u["unit"]: u for u in cli.ok("report", "budget", "--year", "2026")["units"]}
    assert budgets[ENGINEERING]["over_budget"] is True
    # Every equipment row has its audit entry, made by the console.
    log = cli.ok("audit", "list", "--tag", "equipment:", "--limit", "10000")
    tags = [e["tag"] for e in log["events"]]
    assert tags.count("equipment:device:create") == summary["devices"]
    assert tags.count("equipment:model:create") == summary["models"]
    plain = cli("demo", "--no-serve")
    assert plain.exit_code == 0 and "配备比例" in plain.stdout
    assert json.loads(cli("demo", "--no-serve", "--json").stdout)["equipment"] == summary
