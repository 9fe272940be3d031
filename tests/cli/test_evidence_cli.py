"""Ingest and recordings from the command line (issue 5): ``lawcam ingest DIR --device S --json``
and its document, a second run of the same folder adding nothing, refusals with exit status 2
and the Chinese message (an unregistered device, a bad device time, --server without --token),
a refused file (exit 1); ``recording list|late|show|correct``; the device clock offset measured
at docking (R11.2). On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lawcam.timeutil import SHANGHAI
from tests.cli.conftest import Cli
from tests.cli.test_custody import GOOD, RECORDER, add_device, checkout
from tests.media import make_mp4

BADGE = "21010020001"
DOCUMENT = {"ingested", "duplicates", "flagged", "refused", "bytes", "files"}
FILE = {"path", "sha256", "sm3", "status", "recording_id", "problems"}


@pytest.fixture
def office(ready: Cli) -> Cli:
    """执法一处 with a recorder BC001 and an officer, who has it in custody from now on."""
    cli = ready
    cli.ok(*RECORDER)
    add_device(cli, "BC001")
    cli.person("张伟", BADGE, "--officer")
    cli.person("赵敏", "21010020090", "--role", "device_admin")  # issues it (第九条)
    cli.ok(*checkout(cli, "BC001", BADGE, *GOOD))
    return cli


def card(root: Path) -> Path:
    """A docked camera, made after the checkout: a clip a minute ahead of now (the mvhd box
    keeps whole seconds; within the probe's tolerance), and one from three days ago."""
    folder = root / "card"
    (folder / "DCIM").mkdir(parents=True)
    now = datetime.now(UTC)
    make_mp4(folder / "DCIM" / "fresh.mp4", creation_time=now + timedelta(seconds=60))
    make_mp4(folder / "DCIM" / "old.mp4", creation_time=now - timedelta(days=3), seconds=2.0)
    return folder


def digests(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), hashlib.new("sm3", data).hexdigest()


def ingested(cli: Cli, folder: Path, *extra: str) -> dict[str, Any]:
    doc: dict[str, Any] = cli.ok("ingest", str(folder), "--device", "BC001", *extra)
    return doc


@pytest.mark.req("R14.1", "R15.1")
def test_ingest_document_and_second_run(office: Cli, tmp_path: Path) -> None:
    cli = office
    folder = card(tmp_path)
    doc = ingested(cli, folder, "--workstation", "一处工作站")
    # The keys, and only ``run_id`` (top) and ``size`` (per file) beside them.
    assert set(doc) == DOCUMENT | {"run_id"}, sorted(doc)
    assert all(set(f) == FILE | {"size"} for f in doc["files"]), doc["files"]
    sizes = [(folder / "DCIM" / n).stat().st_size for n in ["fresh.mp4", "old.mp4"]]
    assert (doc["ingested"], doc["duplicates"], doc["flagged"], doc["refused"]) == (2, 0, 1, 0)
    assert doc["bytes"] == sum(sizes)
    fresh, old = doc["files"]
    assert [fresh["path"], old["path"]] == ["DCIM/fresh.mp4", "DCIM/old.mp4"]
    for result, name in [(fresh, "fresh.mp4"), (old, "old.mp4")]:
        assert (result["sha256"], result["sm3"]) == digests(folder / "DCIM" / name)
        assert result["status"] == "ingested" and isinstance(result["recording_id"], int)
    assert fresh["problems"] == []
    assert [p["code"] for p in old["problems"]] == ["officer_unknown"]
    assert old["problems"][0]["message"].startswith("录制时该设备没有领用记录")
    shown = cli.ok("recording", "show", str(fresh["recording_id"]))
    assert (shown["officer_badge"], shown["officer_source"]) == (BADGE, "custody")
    assert shown["workstation"] == "一处工作站" and shown["device"] == "BC001"

    events = cli.audit_count()
    again = ingested(cli, folder)
    assert (again["ingested"], again["duplicates"], again["flagged"], again["refused"]) == (
        0,
        2,
        0,
        0,
    )
    assert again["bytes"] == 0
    assert [f["status"] for f in again["files"]] == ["duplicate", "duplicate"]
    assert [f["recording_id"] for f in again["files"]] == [
        fresh["recording_id"],
        old["recording_id"],
    ]
    assert [f["sha256"] for f in again["files"]] == [fresh["sha256"], old["sha256"]]
    assert cli.ok("recording", "list")["total"] == 2
    assert cli.audit_count() == events + 1  # the run itself; no recording, no sighting
    # Without --json: a Chinese summary.
    result = cli("ingest", str(folder), "--device", "BC001")
    assert result.exit_code == 0, result.stderr
    assert "新导入 0 个" in result.stdout and "重复 2 个" in result.stdout


@pytest.mark.req("R14.1", "R15.1")
def test_refusals_exit_2_with_chinese_messages(office: Cli, tmp_path: Path) -> None:
    cli = office
    folder = card(tmp_path)
    events = cli.audit_count()
    error = cli.refused("ingest", str(folder), "--device", "NOPE-9")
    assert error["code"] == "invalid_input"
    assert "设备序列号“NOPE-9”未在本办登记，拒绝导入" in error["message"]
    assert "lawcam device add --serial NOPE-9" in error["message"]
    for bad in ["明天早上", "2026-13-01T08:00"]:
        error = cli.refused("ingest", str(folder), "--device", "BC001", "--device-time", bad)
        assert f"时间“{bad}”格式无效" in error["message"] and "ISO 8601" in error["message"]
    for remote in (["--server", "http://127.0.0.1:9"], ["--token", "lawcam_x"]):
        error = cli.refused("ingest", str(folder), "--device", "BC001", *remote)
        assert error["message"] == "远程上传须同时指定 --server 和 --token。"
    error = cli.refused("ingest", str(tmp_path / "nowhere"), "--device", "BC001")
    assert "找不到要导入的路径" in error["message"]
    assert cli.audit_count() == events
    assert cli.ok("recording", "list")["total"] == 0
    # Without --json the message goes to stderr, and nothing to stdout.
    result = cli("ingest", str(folder), "--device", "NOPE-9")
    assert result.exit_code == 2 and "未在本办登记" in result.stderr and not result.stdout


@pytest.mark.req("R14.1", "R15.1")
def test_a_refused_file_exits_1_and_the_rest_is_stored(office: Cli, tmp_path: Path) -> None:
    cli = office
    folder = card(tmp_path)
    (folder / "DCIM" / "link.mp4").symlink_to(folder / "DCIM" / "old.mp4")
    result = cli("ingest", str(folder), "--device", "BC001", "--json")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    doc = json.loads(result.stdout)
    assert (doc["ingested"], doc["refused"]) == (2, 1)
    refused = next(f for f in doc["files"] if f["status"] == "refused")
    assert refused["path"] == "DCIM/link.mp4" and refused["recording_id"] is None
    assert [p["code"] for p in refused["problems"]] == ["symlink"]
    assert (folder / "DCIM" / "link.mp4").is_symlink()  # the source is left as it was


@pytest.mark.req("R14.1", "R15.1")
def test_recording_list_late_show_correct(office: Cli, tmp_path: Path) -> None:
    cli = office
    folder = card(tmp_path)
    doc = ingested(cli, folder)
    fresh_id, old_id = (f["recording_id"] for f in doc["files"])
    # The same bytes from another folder: a second sighting, nothing stored again.
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(folder / "DCIM" / "old.mp4", copy / "old-again.mp4")
    assert ingested(cli, copy)["duplicates"] == 1

    listing = cli.ok("recording", "list")
    assert listing["total"] == 2
    assert [r["id"] for r in listing["recordings"]] == [fresh_id, old_id]  # newest first
    first = listing["recordings"][0]
    assert first["start_at"].endswith("Z") and first["unit"] == "执法一处"  # as the API
    assert first["officer"] == "张伟" and first["uploaded_late"] is False
    assert [r["id"] for r in cli.ok("recording", "list", "--flagged")["recordings"]] == [old_id]
    assert [r["id"] for r in cli.ok("recording", "list", "--late")["recordings"]] == [old_id]
    assert cli.ok("recording", "list", "--officer", BADGE)["total"] == 1
    assert cli.ok("recording", "list", "--device", "BC001")["total"] == 2
    assert cli.ok("recording", "list", "--unit", "执法一处", "--limit", "1")["total"] == 2
    old_start = datetime.fromisoformat(listing["recordings"][1]["start_at"])
    old_day = old_start.astimezone(SHANGHAI).date().isoformat()  # --from/--to: Beijing days
    by_day = cli.ok("recording", "list", "--from", old_day, "--to", old_day)
    assert [r["id"] for r in by_day["recordings"]] == [old_id]
    assert cli.refused("recording", "list", "--from", "昨天")["message"].startswith("日期“昨天”")
    late = cli.ok("recording", "late")
    assert late["total"] == 1 and [r["id"] for r in late["recordings"]] == [old_id]
    assert late["recordings"][0]["uploaded_late"] is True

    before = cli.ok("recording", "show", str(old_id))
    assert before["sha256"] == digests(folder / "DCIM" / "old.mp4")[0]
    assert [(s["source_path"], s["duplicate"]) for s in before["sightings"]] == [
        ("DCIM/old.mp4", False),
        ("old-again.mp4", True),
    ]
    assert before["corrections"] == []
    assert before["problems"][0]["code"] == "officer_unknown"

    events = cli.audit_count()
    error = cli.refused(
        "recording", "correct", str(old_id), "--field", "note", "--value", "补记", "--reason", " "
    )
    assert error["message"] == "更正必须说明理由。"
    error = cli.refused(
        "recording", "correct", str(old_id), "--field", "sha256", "--value", "0", "--reason", "x"
    )
    assert "officer、start_at 或 note" in error["message"]
    assert cli.audit_count() == events
    made = cli.ok(
        "recording", "correct", str(old_id), "--field", "officer", "--value", BADGE,
        "--reason", "当日由张伟使用，漏办领用",
    )  # fmt: skip
    assert isinstance(made["id"], int) and made["corrected_by"]
    assert (made["field"], made["value"], made["reason"]) == (
        "officer",
        BADGE,
        "当日由张伟使用，漏办领用",
    )
    assert cli.audit_count() == events + 1
    after = cli.ok("recording", "show", str(old_id))
    assert [(c["field"], c["value"], c["reason"]) for c in after["corrections"]] == [
        ("officer", BADGE, "当日由张伟使用，漏办领用")
    ]
    assert after["corrections"][0]["corrected_by"] == made["corrected_by"]
    # The original is unchanged: every fact but the corrections is as it was.
    assert {k: v for k, v in after.items() if k != "corrections"} == {
        k: v for k, v in before.items() if k != "corrections"
    }
    assert after["officer"] is None
    assert cli.refused("recording", "show", "999999")["code"] == "not_found"


@pytest.mark.req("R14.1")
def test_show_times_json_as_the_api_text_in_beijing_time(office: Cli, tmp_path: Path) -> None:
    """--json gives the API's instants (ISO 8601, UTC); the text gives Beijing time."""
    cli = office
    recording_id = ingested(cli, card(tmp_path))["files"][0]["recording_id"]
    cli.ok(
        "recording", "correct", str(recording_id), "--field", "note", "--value", "补记",
        "--reason", "补记",
    )  # fmt: skip
    shown = cli.ok("recording", "show", str(recording_id))
    assert shown["start_at"].endswith("Z") and shown["ingested_at"].endswith("Z")
    assert shown["sightings"][0]["seen_at"].endswith("Z"), shown["sightings"]
    assert shown["corrections"][0]["corrected_at"].endswith("Z"), shown["corrections"]
    text = cli("recording", "show", str(recording_id))
    start = datetime.fromisoformat(shown["start_at"]).astimezone(SHANGHAI)
    assert text.exit_code == 0 and f"start_at: {start.isoformat()}" in text.stdout


@pytest.mark.req("R11.2")
def test_device_clock_offset_is_flagged_and_corrected(office: Cli, tmp_path: Path) -> None:
    cli = office
    folder = tmp_path / "card"
    folder.mkdir()
    # By the device clock, a minute ahead: corrected, still after the checkout.
    make_mp4(folder / "a.mp4", creation_time=datetime.now(UTC) + timedelta(seconds=70))
    # The device's screen shows Beijing time; a time without a zone is read as such.
    device_time = (datetime.now(SHANGHAI) + timedelta(seconds=60)).replace(tzinfo=None)
    doc = ingested(cli, folder, "--device-time", device_time.isoformat(timespec="seconds"))
    result = doc["files"][0]
    assert doc["flagged"] == 1
    assert [p["code"] for p in result["problems"]] == ["clock_offset"]
    assert "超过允许的 30 秒" in result["problems"][0]["message"]
    shown = cli.ok("recording", "show", str(result["recording_id"]))
    offset = shown["clock_offset_s"]
    assert 50 <= offset <= 61, offset
    start, end = (datetime.fromisoformat(shown[k]) for k in ("start_at", "end_at"))
    corrected_start = datetime.fromisoformat(shown["corrected_start_at"])
    corrected_end = datetime.fromisoformat(shown["corrected_end_at"])
    assert corrected_start == start - timedelta(seconds=offset)
    assert corrected_end == end - timedelta(seconds=offset)
    assert shown["corrected_start_at"].endswith("Z")
    # The custody lookup used the corrected start, which is inside the checkout.
    assert shown["officer_badge"] == BADGE and shown["flagged"] is True

    # Within the tolerance: the offset is measured, corrected times given, nothing flagged.
    near = tmp_path / "near"
    near.mkdir()
    make_mp4(near / "b.mp4", creation_time=datetime.now(UTC) + timedelta(seconds=90))
    close = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    doc = ingested(cli, near, "--device-time", close)
    assert doc["flagged"] == 0 and doc["files"][0]["problems"] == []
    shown = cli.ok("recording", "show", str(doc["files"][0]["recording_id"]))
    assert 0 <= shown["clock_offset_s"] <= 6 and shown["corrected_start_at"] is not None
