"""``lawcam activity`` (DESIGN's wave-2 contract): add, show with the contract's keys, list
with filters, explain and confirm with the named person; the same JSON as the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lawcam.timeutil import SHANGHAI
from tests.cli.conftest import Cli

BASE = (datetime.now(UTC) - timedelta(hours=5)).replace(microsecond=0)


def at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def office(ready: Cli) -> Cli:
    ready.person("张警官", "J001", "--officer")
    ready.person("李警官", "J002", "--officer")
    ready.person("王管理", "J100", "--role", "device_admin")
    return ready


def add(cli: Cli, *extra: str) -> dict:
    return cli.ok(
        "activity",
        "add",
        "--unit",
        "执法一处",
        "--kind",
        "inspection",
        "--place",
        "中山路 18 号",
        "--arrived",
        at(0),
        "--ended",
        at(30),
        "--officer",
        "J001",
        "--officer",
        "J002",
        "--announced",
        *extra,
    )


@pytest.mark.req("R10.1")
@pytest.mark.req("R12.1")
def test_add_show_and_list_speak_the_contract(office: Cli) -> None:
    made = add(office)
    for key in (
        "id",
        "arrived_at",
        "ended_at",
        "coverage",
        "no_recording",
        "recordings",
        "upload_deadline",
        "late_recordings",
        "interruptions",
    ):
        assert key in made
    assert made["no_recording"] is True and made["recordings"] == []
    assert [o["badge"] for o in made["officers"]] == ["J001", "J002"]
    assert made["announced"] is True
    shown = office.ok("activity", "show", str(made["id"]))
    assert shown == {**made, "warnings": []}
    listed = office.ok("activity", "list", "--unit", "执法一处", "--below-full")
    assert listed["total"] == 1 and listed["items"][0]["id"] == made["id"]
    assert office.ok("activity", "list", "--unexplained")["total"] == 0
    assert office.ok("activity", "list", "--officer", "J002")["total"] == 1
    # the filter reads Shanghai days, whatever zone this machine keeps
    day = (BASE + timedelta(days=1)).astimezone(SHANGHAI).date().isoformat()
    assert office.ok("activity", "list", "--from", day, "--to", day)["total"] == 0


@pytest.mark.req("R10.1")
def test_refusals_are_chinese_and_write_nothing(office: Cli) -> None:
    assert (
        "ISO 8601"
        in office.refused(
            "activity",
            "add",
            "--unit",
            "执法一处",
            "--kind",
            "inspection",
            "--place",
            "x",
            "--arrived",
            "昨天上午",
            "--ended",
            at(30),
            "--officer",
            "J001",
        )["message"]
    )
    assert (
        "检查"
        in office.refused(
            "activity",
            "add",
            "--unit",
            "执法一处",
            "--kind",
            "raid",
            "--place",
            "x",
            "--arrived",
            at(0),
            "--ended",
            at(30),
            "--officer",
            "J001",
        )["message"]
    )
    assert (
        "晚于到场"
        in office.refused(
            "activity",
            "add",
            "--unit",
            "执法一处",
            "--kind",
            "检查",
            "--place",
            "x",
            "--arrived",
            at(30),
            "--ended",
            at(0),
            "--officer",
            "J001",
        )["message"]
    )
    assert (
        "执法人员"
        in office.refused(
            "activity",
            "add",
            "--unit",
            "执法一处",
            "--kind",
            "检查",
            "--place",
            "x",
            "--arrived",
            at(0),
            "--ended",
            at(30),
            "--officer",
            "J100",
        )["message"]
    )
    add(office)
    assert (
        "不能重复登记"
        in office.refused(
            "activity",
            "add",
            "--unit",
            "执法一处",
            "--kind",
            "inspection",
            "--place",
            "中山路 18 号",
            "--arrived",
            at(0),
            "--ended",
            at(30),
            "--officer",
            "J001",
            "--officer",
            "J002",
        )["message"]
    )
    assert office.ok("activity", "list")["total"] == 1
    assert "不存在" in office.refused("activity", "show", "999")["message"]


@pytest.mark.req("R10.2")
def test_explaining_needs_the_officer_and_confirming_the_administrator(office: Cli) -> None:
    made = add(office)
    # No recording at all: there is no interruption to explain (no_recording is its own rule).
    error = office.refused(
        "activity",
        "explain",
        str(made["id"]),
        "--seq",
        "1",
        "--by",
        "J001",
        "--written",
        "电池耗尽",
    )
    assert "没有编号为 1 的中断" in error["message"]
    error = office.refused(
        "activity", "explain", str(made["id"]), "--seq", "1", "--by", "J100", "--written", "x"
    )
    assert "无权" in error["message"] or "不能" in error["message"] or "权限" in error["message"]
    error = office.refused("activity", "explain", str(made["id"]), "--seq", "1", "--by", "J001")
    assert "--voice" in error["message"]


@pytest.mark.req("R10.1")
def test_a_seizure_by_one_officer_warns(office: Cli) -> None:
    made = office.ok(
        "activity",
        "add",
        "--unit",
        "执法一处",
        "--kind",
        "查封扣押",
        "--place",
        "仓库",
        "--arrived",
        at(60),
        "--ended",
        at(90),
        "--officer",
        "J001",
    )
    assert made["kind"] == "seizure" and "两名以上" in made["warnings"][0]


@pytest.mark.req("R10.1")
def test_amend_keeps_the_old_facts_in_the_audit_log(office: Cli) -> None:
    made = add(office)
    before = office.audit_count()
    amended = office.ok(
        "activity",
        "amend",
        str(made["id"]),
        "--ended",
        at(45),
        "--officer",
        "J001",
        "--reason",
        "结束时间和在场人员登记有误",
    )
    assert [o["badge"] for o in amended["officers"]] == ["J001"]
    assert amended["upload_deadline"] != made["upload_deadline"]
    assert office.audit_count() > before
    error = office.refused("activity", "amend", str(made["id"]), "--reason", " ", "--case", "X")
    assert "理由" in error["message"]
