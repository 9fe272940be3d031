"""``lawcam hold``, ``lawcam disposal`` and ``lawcam retention`` (第十四条第（二）项, R14.3, R14.2):
recordings docked in 2023 are past their two years; one held, one in an open case stay. The
dry run shows exactly what would go and writes nothing; the unit's device administrator
proposes, the unit head and then engineering supervision approve (never the proposer, never
twice, never out of turn); the run removes the objects and leaves signed dispositions, and
``lawcam verify`` is clean afterwards. Holds are released only when asked with a reason and
approved by another. Bad input is refused in Chinese with exit status 2. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from lawcam.evidence.models import Disposition
from lawcam.retention.models import DisposalBatch
from tests.cli.conftest import Cli
from tests.cli.test_cases_cli import ADMIN, ENGINEERING, HEAD, OFFICER2, office, refused
from tests.retention_scene import UNIT, Scene

__all__ = ["office"]  # the fixture, used by name

pytestmark = pytest.mark.req("R14.3")

LONG_AGO = datetime(2023, 3, 1, tzinfo=UTC)  # docked then: kept until 2025-03-01


def count(scene: Scene, model: type) -> int:
    from sqlalchemy import func, select

    with scene.database.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_propose_approve_run_end_to_end_and_verify_is_clean(
    office: tuple[Cli, Scene], tmp_path: Path
) -> None:
    cli, scene = office
    old, held, in_case, spare = scene.dock(tmp_path, count=4, at=LONG_AGO)
    [fresh] = scene.dock(tmp_path)
    cli.ok("hold", "place", "--recording", str(held), "--reason", "当事人提起诉讼", "--by", HEAD)
    cli.ok("case", "add", "--number", "A-1", "--unit", UNIT, "--title", "未结案件")
    cli.ok("case", "link", "A-1", "--recording", str(in_case), "--reason", "证据")

    listed = cli.ok("disposal", "candidates", "--by", ADMIN, "--unit", UNIT)["candidates"]
    assert [c["recording_id"] for c in listed] == [old, spare]
    assert listed[0]["retain_until"] == "2025-03-01" and listed[0]["size"] > 0
    before = cli.audit_count()
    dry = cli.ok("disposal", "propose", "--by", ADMIN, "--unit", UNIT, "--dry-run")
    assert dry["dry_run"] is True and dry["recording_ids"] == [old, spare]
    assert dry["candidates"] == listed
    named = cli.ok("disposal", "propose", "--by", ADMIN, "--unit", UNIT, "--dry-run",
                   "--recording", str(old))  # fmt: skip
    assert named["recording_ids"] == [old]
    assert cli.audit_count() == before and count(scene, DisposalBatch) == 0  # nothing written
    text = cli("disposal", "propose", "--by", ADMIN, "--unit", UNIT, "--dry-run")
    assert text.exit_code == 0 and "试运行" in text.stdout and str(old) in text.stdout
    for rid, why in ((held, "保全"), (in_case, "未归档"), (fresh, "尚未届满")):
        message = refused(cli, "disposal", "propose", "--by", ADMIN, "--unit", UNIT, "--dry-run",
                          "--recording", str(rid))  # fmt: skip
        assert f"资料 #{rid}" in message and why in message, message
        message = refused(cli, "disposal", "propose", "--by", ADMIN, "--unit", UNIT,
                          "--reason", "届满", "--recording", str(rid))  # fmt: skip
        assert why in message and "本批次未登记" in message

    batch = cli.ok("disposal", "propose", "--by", ADMIN, "--unit", UNIT, "--reason", "保存期限届满",
                   "--recording", str(old))  # fmt: skip
    bid = str(batch["id"])
    assert batch["status"] == "proposed" and [i["recording_id"] for i in batch["items"]] == [old]
    assert "只有经" in refused(cli, "disposal", "run", bid, "--by", ADMIN)
    assert "权限" in refused(cli, "disposal", "approve", bid, "--by", ADMIN)  # proposes only
    assert "须由单位负责人审批" in refused(cli, "disposal", "approve", bid, "--by", ENGINEERING)
    headed = cli.ok("disposal", "approve", bid, "--by", HEAD)
    assert headed["status"] == "head_approved" and headed["head_by"].startswith("二处负责人")
    assert "不能重复审批" in refused(cli, "disposal", "approve", bid, "--by", HEAD)
    approved = cli.ok("disposal", "approve", bid, "--by", ENGINEERING)
    assert approved["status"] == "approved" and approved["supervision_by"]
    assert "不能重复审批" in refused(cli, "disposal", "approve", bid, "--by", ENGINEERING)

    done = cli.ok("disposal", "run", bid, "--by", ADMIN)
    assert done["status"] == "done" and done["outcomes"] == {"disposed": 1, "kept": 0, "refused": 0}
    assert done["items"][0]["outcome"] == "disposed"
    assert count(scene, Disposition) == 1
    assert cli.ok("disposal", "show", bid, "--by", HEAD)["items"] == done["items"]
    batches = cli.ok("disposal", "list", "--by", ENGINEERING)["batches"]
    assert [b["id"] for b in batches] == [batch["id"]]
    after = cli.ok("disposal", "candidates", "--by", ADMIN, "--unit", UNIT)["candidates"]
    assert [c["recording_id"] for c in after] == [spare]

    verified = cli("verify", "--json")
    assert verified.exit_code == 0, verified.stdout
    assert '"ok": true' in verified.stdout


def test_a_batch_is_rejected_with_a_reason_and_the_plain_text_reads(
    office: tuple[Cli, Scene], tmp_path: Path
) -> None:
    cli, scene = office
    [old] = scene.dock(tmp_path, at=LONG_AGO)
    assert "权限" in refused(
        cli, "disposal", "propose", "--by", HEAD, "--unit", UNIT, "--reason", "x"
    )
    assert "请填写理由" in refused(cli, "disposal", "propose", "--by", ADMIN, "--unit", UNIT)
    assert "不存在" in refused(
        cli, "disposal", "propose", "--by", ADMIN, "--unit", "无此处", "--reason", "x"
    )
    made = cli("disposal", "propose", "--by", ADMIN, "--unit", UNIT, "--reason", "届满")
    assert made.exit_code == 0 and "待单位负责人审批" in made.stdout
    [batch] = cli.ok("disposal", "list", "--by", ADMIN)["batches"]
    bid = str(batch["id"])
    assert [i["recording_id"] for i in batch["items"]] == [old]
    assert "请填写理由" in refused(cli, "disposal", "reject", bid, "--by", HEAD, "--reason", " ")
    rejected = cli.ok("disposal", "reject", bid, "--by", HEAD, "--reason", "尚需核对")
    assert (rejected["status"], rejected["reject_reason"]) == ("rejected", "尚需核对")
    assert "不能审批" in refused(cli, "disposal", "approve", bid, "--by", HEAD)
    assert "不存在" in refused(cli, "disposal", "show", "999", "--by", HEAD)
    shown = cli("disposal", "show", bid, "--by", HEAD)
    assert shown.exit_code == 0 and "尚需核对" in shown.stdout
    listed = cli("disposal", "list", "--by", HEAD)
    assert listed.exit_code == 0 and "已驳回" in listed.stdout
    assert count(scene, Disposition) == 0


def test_a_hold_is_released_only_when_asked_and_approved_by_another(
    office: tuple[Cli, Scene], tmp_path: Path
) -> None:
    cli, scene = office
    [rid] = scene.dock(tmp_path)
    promised = cli.ok("recording", "show", str(rid))["retain_until"]
    assert "至少一条" in refused(cli, "hold", "place", "--reason", "诉讼", "--by", HEAD)
    assert "请填写" in refused(
        cli, "hold", "place", "--recording", str(rid), "--reason", "", "--by", HEAD
    )
    assert "权限" in refused(
        cli, "hold", "place", "--recording", str(rid), "--reason", "x", "--by", OFFICER2
    )
    no_by = cli("hold", "place", "--recording", str(rid), "--reason", "x")
    assert no_by.exit_code == 2 and "缺少选项 '--by'" in no_by.stderr  # the console holds nothing
    [hold] = cli.ok(
        "hold", "place", "--recording", str(rid), "--reason", "当事人投诉", "--by", HEAD
    )["holds"]
    assert hold["live"] and hold["recording_id"] == rid and hold["reason"] == "当事人投诉"
    assert cli.ok("recording", "show", str(rid))["retain_until"] is None
    hid = str(hold["id"])
    assert [h["id"] for h in cli.ok("hold", "list", "--by", ADMIN)["holds"]] == [hold["id"]]
    assert "尚无解除保全的申请" in refused(cli, "hold", "release-approve", hid, "--by", ENGINEERING)
    asked = cli.ok("hold", "release-request", hid, "--reason", "投诉已办结", "--by", HEAD)
    assert asked["release_reason"] == "投诉已办结" and asked["live"]
    assert "本人" in refused(cli, "hold", "release-approve", hid, "--by", HEAD)
    released = cli.ok("hold", "release-approve", hid, "--by", ENGINEERING)
    assert not released["live"] and released["released_by"]
    assert "已解除" in refused(
        cli, "hold", "release-request", hid, "--reason", "再次", "--by", HEAD
    )
    assert cli.ok("hold", "list", "--by", ADMIN)["holds"] == []
    assert [h["id"] for h in cli.ok("hold", "list", "--all", "--by", ADMIN)["holds"]] == [
        hold["id"]
    ]
    assert cli.ok("recording", "show", str(rid))["retain_until"] == promised  # not shorter
    text = cli("hold", "list", "--all", "--by", ADMIN)
    assert text.exit_code == 0 and "已解除" in text.stdout


def test_the_report_counts_what_expires_by_unit(office: tuple[Cli, Scene], tmp_path: Path) -> None:
    cli, scene = office
    scene.dock(tmp_path, count=2, at=LONG_AGO)
    [held] = scene.dock(tmp_path)
    cli.ok("hold", "place", "--recording", str(held), "--reason", "诉讼", "--by", HEAD)
    shown = cli.ok("retention", "report")
    assert shown["days"] == [30, 90, 365]
    [row] = shown["units"]
    assert row["unit"] == UNIT and row["overdue"]["count"] == 2 and row["indefinite"]["count"] == 1
    assert shown["total"]["overdue"]["count"] == 2
    assert cli.ok("retention", "report", "--unit", UNIT, "--by", HEAD)["units"] == shown["units"]
    assert "不存在" in refused(cli, "retention", "report", "--unit", "无此处")
    assert "权限" in refused(cli, "retention", "report", "--by", OFFICER2)
    text = cli("retention", "report")
    assert text.exit_code == 0 and "已届满未销毁" in text.stdout and UNIT in text.stdout
    assert cli.ok("retention", "recompute") == {"scanned": 1, "settled": 0}
