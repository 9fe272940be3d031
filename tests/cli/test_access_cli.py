"""``lawcam access`` and ``lawcam recording download`` (第十五条; R15.2): a request by the
command line goes to the unit's head; without a grant the download is refused (and recorded),
with one the original arrives byte for byte; the decision's rules answer in Chinese."""

from __future__ import annotations

import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.cli.test_activity_scan import gap

__all__ = ["gap"]  # the fixture, used by name


@pytest.mark.req("R15.2")
def test_request_decide_and_download_by_the_command_line(
    gap: tuple[Cli, int], tmp_path: Path
) -> None:
    cli, activity_id = gap
    cli.person("李科长", "J200", "--role", "unit_head")
    cli.person("周管理", "J300", "--role", "device_admin")
    made = cli.ok("access", "request", "--by", "J300", "--activity", str(activity_id),
                  "--action", "download", "--purpose", "复核现场检查")  # fmt: skip
    assert made["status"] == "pending" and made["approver"] == "unit_head"
    first = made["recording_ids"][0]
    target = tmp_path / "out.mp4"
    before = cli.audit_count()
    refused = cli.refused("recording", "download", str(first), "--to", str(target), "--by", "J300")
    assert "没有有效的调阅授权" in refused["message"] and not target.exists()
    assert cli.audit_count() == before + 1  # the refusal, recorded
    assert (
        "权限"
        in cli.refused("access", "decide", str(made["id"]), "--by", "J300", "--approve")["message"]
    )
    rejected = cli.refused("access", "decide", str(made["id"]), "--by", "J200", "--reject")
    assert "驳回须写明理由" in rejected["message"]
    assert [r["id"] for r in cli.ok("access", "list", "--by", "J200", "--to-decide")] == [
        made["id"]
    ]
    decided = cli.ok(
        "access", "decide", str(made["id"]), "--by", "J200", "--approve", "--reason", "同意"
    )
    assert decided["status"] == "approved" and decided["expires_at"]
    got = cli.ok("recording", "download", str(first), "--to", str(target), "--by", "J300")
    assert hashlib.sha256(target.read_bytes()).hexdigest() == got["sha256"]
    assert got["size"] == target.stat().st_size
    again = cli.refused("recording", "download", str(first), "--to", str(target), "--by", "J300")
    assert "已存在" in again["message"]


@pytest.mark.req("R15.2")
def test_a_provision_package_by_the_command_line_verifies_offline(
    gap: tuple[Cli, int], tmp_path: Path
) -> None:
    cli, activity_id = gap
    cli.person("周管理", "J300", "--role", "device_admin")
    cli.person("丁领导", "J400", "--role", "office_leader")
    made = cli.ok("access", "request", "--by", "J300", "--activity", str(activity_id), "--action", "provide",
                  "--purpose", "行政复议调取", "--recipient", "王科员", "--recipient-org", "市复议办")  # fmt: skip
    assert made["approver"] == "office_leader"
    target = tmp_path / "package.zip"
    early = cli.refused("access", "package", str(made["id"]), "--by", "J300", "--to", str(target))
    assert "不能生成提供包" in early["message"] and not target.exists()
    cli.ok("access", "decide", str(made["id"]), "--by", "J400", "--approve")
    done = cli.ok("access", "package", str(made["id"]), "--by", "J300", "--to", str(target))
    assert done["size"] == target.stat().st_size and done["recordings"] == made["recording_ids"]
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(target) as archive:
        archive.extractall(folder)
    checked = subprocess.run(["/usr/bin/python3", "-I", "-S", str(folder / "verify_package.py"), str(folder)],
                             capture_output=True, text=True, env={}, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
