"""``lawcam findings`` (第十八条, R18.1): a sweep prints the wave-2 contract's JSON exactly and
never duplicates; a finding walks through statement (with its scan), decision and review by the
command line; the issue's bad input is refused in Chinese with nothing written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lawcam.compliance.service import MISSING_KINDS
from tests.cli.conftest import Cli
from tests.cli.test_activity_scan import gap

__all__ = ["gap"]  # the fixture, used by name

pytestmark = pytest.mark.req("R18.1")

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OFFICER, HEAD, ENGINEER, OTHER_HEAD = "J100", "J200", "J300", "J400"
ARRIVED = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
BRIEF_KEYS = {"id", "rule", "article", "person", "subject", "evidence", "status"}


@pytest.fixture
def office(ready: Cli) -> Cli:
    """执法一处 with an officer and its head, 执法二处's head, engineering supervision, and an
    activity three days ago without any recording."""
    cli = ready
    cli.ok("unit", "add", "--name", "执法二处", "--class", "many")
    cli.ok("unit", "add", "--name", "工程监管处", "--class", "fewer", "--target", "0")
    cli.person("张伟", OFFICER, "--officer")
    cli.person("李科长", HEAD, "--role", "unit_head")
    cli.person("王监管", ENGINEER, "--role", "engineering", unit="工程监管处")
    cli.person("赵处长", OTHER_HEAD, "--role", "unit_head", unit="执法二处")
    cli.ok(
        "activity", "add", "--unit", "执法一处", "--kind", "inspection", "--place", "中山路 1 号",
        "--arrived", ARRIVED.isoformat(), "--ended", (ARRIVED + timedelta(minutes=20)).isoformat(),
        "--officer", OFFICER,
    )  # fmt: skip
    return cli


def count(cli: Cli) -> int:
    return len(cli.ok("findings", "list"))


def test_a_sweep_prints_the_contract_and_never_duplicates(office: Cli) -> None:
    cli = office
    swept = cli.ok("findings", "sweep")
    assert set(swept) == {"new", "findings"}
    assert swept["new"] == len(swept["findings"]) == 1
    for finding in swept["findings"]:
        assert set(finding) == BRIEF_KEYS
        assert finding["person"] == OFFICER and finding["status"] == "pending"
        assert finding["subject"].startswith("activity:")
        assert finding["evidence"][0]["kind"] == "activity"
    assert [(f["rule"], f["article"]) for f in swept["findings"]] == [
        ("no_recording", "第十八条第（一）项")
    ]
    assert cli.ok("findings", "sweep") == {"new": 0, "findings": []}
    assert [f["rule"] for f in cli.ok("findings", "list", "--rule", "no_recording")] == [
        "no_recording"
    ]
    assert len(cli.ok("findings", "list", "--person", OFFICER)) == 1
    assert cli.ok("findings", "list", "--person", HEAD) == []
    assert cli.ok("findings", "list", "--status", "confirmed") == []
    plain = cli("findings", "sweep")
    assert plain.exit_code == 0 and "新发现 0 条执法过错" in plain.stdout


def test_statement_decision_and_review_by_the_command_line(office: Cli, tmp_path: Path) -> None:
    cli = office
    fid = str(
        next(
            f["id"] for f in cli.ok("findings", "sweep")["findings"] if f["rule"] == "no_recording"
        )
    )
    early = cli.refused("findings", "decide", fid, "--by", HEAD, "--dismiss", "--reason", "无")
    assert "陈述申辩期限至" in early["message"]
    assert "当事人本人" in cli.refused("findings", "statement", fid, "--by", HEAD,
                                      "--text", "代为陈述")["message"]  # fmt: skip
    scan = tmp_path / "情况说明.pdf"
    scan.write_bytes(PDF)
    said = cli.ok("findings", "statement", fid, "--by", OFFICER, "--text", "设备当日故障，已报修",
                  "--file", str(scan))  # fmt: skip
    assert said["statement"] == "设备当日故障，已报修" and said["statement_at"]
    assert [(d["name"], d["role"]) for d in said["documents"]] == [("情况说明.pdf", "statement")]
    again = cli.refused("findings", "statement", fid, "--by", OFFICER, "--text", "补充")
    assert "不能重复" in again["message"]
    bare = cli.refused("findings", "decide", fid, "--by", HEAD, "--confirm", "--reason", "属实")
    assert "问责措施" in bare["message"]
    decided = cli.ok("findings", "decide", fid, "--by", HEAD, "--confirm", "--reason", "属实",
                     "--measure", "批评教育")  # fmt: skip
    assert decided["status"] == "confirmed" and decided["measure"] == "批评教育"
    twice = cli.refused("findings", "decide", fid, "--by", HEAD, "--dismiss", "--reason", "改")
    assert "已认定，不能再作出决定" in twice["message"]
    late = cli.refused("findings", "statement", fid, "--by", OFFICER, "--text", "再说")
    assert "不能再陈述申辩" in late["message"]
    reviewed = cli.ok("findings", "review", fid, "--by", ENGINEER, "--overturn",
                      "--reason", "故障已登记在案")  # fmt: skip
    assert reviewed["status"] == "overturned" and reviewed["review_reason"] == "故障已登记在案"
    assert "不能复核" in cli.refused("findings", "review", fid, "--by", ENGINEER, "--uphold",
                                    "--reason", "再审")["message"]  # fmt: skip
    shown = cli("findings", "show", fid)
    assert shown.exit_code == 0 and "问责措施：批评教育" in shown.stdout
    assert "复核改变" in shown.stdout


def test_manual_findings_with_documents_and_the_bad_input(office: Cli, tmp_path: Path) -> None:
    cli = office
    complaint = tmp_path / "投诉信.pdf"
    complaint.write_bytes(PDF)
    made = cli.ok("findings", "record", "--by", HEAD, "--person", OFFICER, "--clause", "二",
                  "--summary", "群众投诉未出示执法证件", "--file", str(complaint))  # fmt: skip
    assert made["rule"] == "manual" and made["article"] == "第十八条第（二）项"
    assert made["person"] == OFFICER and made["statement_due"]
    assert [(d["name"], d["role"]) for d in made["documents"]] == [("投诉信.pdf", "evidence")]
    before, audit = count(cli), cli.audit_count()
    text = tmp_path / "说明.txt"
    text.write_text("不是 PDF")
    wrong = cli.refused("findings", "record", "--by", HEAD, "--person", OFFICER, "--clause", "六",
                        "--summary", "其他", "--file", str(complaint), "--file", str(text))  # fmt: skip
    assert "附件只能是" in wrong["message"]
    outside = cli.refused("findings", "record", "--by", OTHER_HEAD, "--person", OFFICER,
                          "--clause", "二", "--summary", "越权登记")  # fmt: skip
    assert "不在您的管辖范围内" in outside["message"]
    clause = cli.refused("findings", "record", "--by", HEAD, "--person", OFFICER, "--clause", "一",
                         "--summary", "错项")  # fmt: skip
    assert "第（二）项或第（六）项" in clause["message"]
    assert count(cli) == before and cli.audit_count() == audit  # nothing half-written
    about_self = cli.ok("findings", "record", "--by", ENGINEER, "--person", HEAD, "--clause", "六",
                        "--summary", "未按规定审批调阅")  # fmt: skip
    own = cli.refused("findings", "decide", str(about_self["id"]), "--by", HEAD, "--dismiss",
                      "--reason", "不属实")  # fmt: skip
    assert "关于本人" in own["message"]


def test_what_verify_finds_is_kept_as_findings_once(gap: tuple[Cli, int]) -> None:
    """第十八条第（四）（五）项: an original altered on disk is named by verify and recorded as a
    finding for the security administrator and the auditor; verify again records nothing new."""
    cli, _ = gap
    target = sorted(p for p in (cli.home / "objects").rglob("*") if p.is_file())[0]
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF
    target.write_bytes(bytes(data))
    first = cli("verify", "--json")
    assert first.exit_code == 1
    problems = json.loads(first.stdout)["problems"]
    found = cli.ok("findings", "list")
    assert {(f["rule"], f["subject"]) for f in found} == {
        (
            "object_missing" if p["kind"] in MISSING_KINDS else "tampering",
            f"verify:{p['kind']}:{p['subject']}",
        )
        for p in problems
    }
    assert {"object_missing", "tampering"} <= {f["rule"] for f in found}  # altered; left writable
    assert all(f["status"] == "pending" and f["person"] is None for f in found)
    assert cli("verify", "--json").exit_code == 1
    assert len(cli.ok("findings", "list")) == len(found)  # the second run adds nothing
