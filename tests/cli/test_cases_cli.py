"""``lawcam case`` (第十四条第（三）项, R14.3) and ``recording show``'s effective ``retain_until`` (the
wave-2 contract of DESIGN.md): a case registered, a recording and an activity linked, its dates
and archive recorded; the linked recordings held while the case is open (null), then kept for
the archive date + the term, 永久 for ever; unlinking asked with a reason and approved by the
unit head only; bad input refused in Chinese with exit status 2 and nothing changed. On the
test office (tests/retention_scene.py) in a CLI home, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lawcam.authz import Role, console_actor
from lawcam.storage import open_store
from lawcam.timeutil import add_years, today_shanghai
from tests.cli.conftest import Cli
from tests.retention_scene import UNIT, Scene, build_scene

pytestmark = pytest.mark.req("R14.3")

NUMBER = "京执罚〔2026〕7号"
ADMIN, HEAD, OFFICER2 = "T8001", "T8002", "T8003"  # 执法二处 (tests/retention_scene.py)
ENGINEERING = f"T{list(Role).index(Role.ENGINEERING):04d}"  # tests/factories.py's badges
OTHER_HEAD = f"T{list(Role).index(Role.UNIT_HEAD):04d}"  # 执法一处's head


@pytest.fixture
def office(cli: Cli, db_template: str) -> Iterator[tuple[Cli, Scene]]:
    """An initialised home holding the test office, its store the home's own."""
    if cli.database_url is None:
        cli.home.mkdir()
        shutil.copy(db_template, cli.home / "lawcam.db")
    cli.ok("init")
    settings = cli.settings()
    database = cli.database()
    store = open_store(settings.resolved_storage_url)
    yield cli, build_scene(database, settings, console_actor("tester"), store, cli.home)
    database.dispose()


def refused(cli: Cli, *args: str) -> str:
    """Refused with exit status 2 and a Chinese message, and nothing written to the log."""
    before = cli.audit_count()
    message = cli.refused(*args)["message"]
    assert cli.audit_count() == before, args
    return message


def retain_until(cli: Cli, rid: int) -> Any:
    return cli.ok("recording", "show", str(rid))["retain_until"]


def activity(cli: Cli) -> dict[str, Any]:
    """An inspection by 执法二处's officer over the last three hours (recordings docked now
    start two hours ago: they fall in it)."""
    now = datetime.now(UTC).replace(microsecond=0)
    return dict(cli.ok(
        "activity", "add", "--unit", UNIT, "--kind", "inspection", "--place", "某市场",
        "--arrived", (now - timedelta(hours=3)).isoformat(),
        "--ended", (now - timedelta(hours=1)).isoformat(), "--officer", "T9001", "--announced",
    ))  # fmt: skip


def test_the_contract_commands_register_link_and_archive_a_case(
    office: tuple[Cli, Scene], tmp_path: Path
) -> None:
    cli, scene = office
    [direct] = scene.dock(tmp_path, at=datetime.now(UTC) - timedelta(days=1))
    [seen] = scene.dock(tmp_path)
    act = activity(cli)
    assert act["recordings"] == [seen]
    promised = retain_until(cli, direct)
    assert promised == scene.recording(direct).retain_until.isoformat()

    made = cli.ok("case", "add", "--number", NUMBER, "--unit", UNIT, "--title", "无照经营案",
                  "--term", "30y")  # fmt: skip
    assert (made["number"], made["unit"], made["term"], made["term_years"]) == (
        NUMBER,
        UNIT,
        "30y",
        30,
    )
    assert (made["status"], made["term_label"], made["archived_on"]) == ("open", "30 年", None)
    assert made["opened_on"] == today_shanghai().isoformat()
    assert (made["links"], made["recordings"], made["holds"]) == ([], [], [])

    linked = cli.ok("case", "link", NUMBER, "--recording", str(direct), "--reason", "作为证据")
    [first] = linked["links"]
    assert (first["recording_id"], first["live"], first["recording_ids"]) == (
        direct,
        True,
        [direct],
    )
    through = cli.ok("case", "link", NUMBER, "--activity", str(act["id"]), "--reason", "现场检查")
    second = through["links"][1]
    assert second["activity_id"] == act["id"] and second["recording_ids"] == [seen]
    assert retain_until(cli, direct) is None  # held while the case is open: null
    assert retain_until(cli, seen) is None

    shown = cli.ok("case", "show", NUMBER)
    assert shown == through  # every change answers the case as show gives it
    assert [r["recording_id"] for r in shown["recordings"]] == [direct, seen]
    assert all(r["retain_until"] is None for r in shown["recordings"])
    assert "案件 京执罚〔2026〕7号 未归档" in shown["recordings"][0]["reasons"]

    today = today_shanghai()
    dated = cli.ok("case", "dates", NUMBER, "--decided", today.isoformat(),
                   "--closed", today.isoformat())  # fmt: skip
    assert (dated["status"], dated["closed_on"]) == ("closed", today.isoformat())
    archived = cli.ok("case", "archive", NUMBER, "--archived", today.isoformat())
    until = add_years(today, 30).isoformat()
    assert archived["status"] == "archived" and archived["archived_on"] == today.isoformat()
    assert [r["retain_until"] for r in archived["recordings"]] == [until, until]
    assert retain_until(cli, direct) == until and until > promised
    listed = cli.ok("recording", "list")["recordings"]
    assert {r["id"]: r["retain_until"] for r in listed} == {direct: until, seen: until}
    api = cli.ok("case", "list", "--status", "archived")["cases"]
    assert [c["number"] for c in api] == [NUMBER]
    assert cli.ok("case", "list", "--status", "open")["cases"] == []
    assert [
        c["number"] for c in cli.ok("case", "list", "--search", "无照", "--unit", UNIT)["cases"]
    ] == [NUMBER]

    shorter = refused(cli, "case", "term", NUMBER, "--term", "10y", "--reason", "调整")
    assert "只能延长" in shorter
    longer = cli.ok("case", "term", NUMBER, "--term", "permanent", "--reason", "重大案件")
    assert (longer["term"], longer["term_label"]) == ("permanent", "永久")
    assert retain_until(cli, direct) is None  # 永久: kept for ever

    text = cli("case", "show", NUMBER)
    assert text.exit_code == 0 and NUMBER in text.stdout and "永久" in text.stdout
    assert "无期限" in cli("recording", "show", str(direct)).stdout


def test_unlinking_is_asked_with_a_reason_and_approved_by_the_unit_head(
    office: tuple[Cli, Scene], tmp_path: Path
) -> None:
    cli, scene = office
    [rid] = scene.dock(tmp_path)
    promised = retain_until(cli, rid)
    cli.ok("case", "add", "--number", NUMBER, "--unit", UNIT, "--title", "案", "--by", ADMIN)
    made = cli.ok(
        "case", "link", NUMBER, "--recording", str(rid), "--reason", "证据", "--by", ADMIN
    )
    link = str(made["links"][0]["id"])
    assert "请填写" in refused(
        cli, "case", "unlink-request", NUMBER, "--link", link, "--reason", " "
    )
    assert "尚无解除关联的申请" in refused(
        cli, "case", "unlink-approve", NUMBER, "--link", link, "--by", HEAD
    )
    asked = cli.ok("case", "unlink-request", NUMBER, "--link", link, "--reason", "关联错误",
                   "--by", ADMIN)  # fmt: skip
    [ask] = asked["links"]
    assert ask["live"] and ask["unlink_reason"] == "关联错误" and ask["unlink_requested_at"]
    assert "权限" in refused(
        cli, "case", "unlink-approve", NUMBER, "--link", link, "--by", OFFICER2
    )
    assert "不存在" in refused(
        cli, "case", "unlink-approve", NUMBER, "--link", link, "--by", OTHER_HEAD
    )
    missing = cli("case", "unlink-approve", NUMBER, "--link", link, "--json")  # --by is required
    assert missing.exit_code == 2 and "缺少选项 '--by'" in missing.stderr
    done = cli.ok("case", "unlink-approve", NUMBER, "--link", link, "--by", HEAD)
    [ended] = done["links"]
    assert not ended["live"] and ended["unlinked_by"].startswith("二处负责人")
    assert done["recordings"] == []
    assert retain_until(cli, rid) == promised  # no longer held; never shorter than promised
    assert "已解除" in refused(
        cli, "case", "unlink-request", NUMBER, "--link", link, "--reason", "再次"
    )
    assert cli.ok("case", "show", NUMBER)["recordings"] == []

    again = cli.ok("case", "link", NUMBER, "--recording", str(rid), "--reason", "重新关联")
    cli.ok("case", "archive", NUMBER, "--archived", today_shanghai().isoformat())
    late = refused(
        cli,
        "case",
        "unlink-request",
        NUMBER,
        "--link",
        str(again["links"][1]["id"]),
        "--reason",
        "晚了",
    )
    assert "已于" in late and "归档" in late


def test_bad_case_input_is_refused_in_chinese_and_changes_nothing(
    office: tuple[Cli, Scene], tmp_path: Path
) -> None:
    cli, scene = office
    [rid] = scene.dock(tmp_path)
    add = ["case", "add", "--number", NUMBER, "--unit", UNIT, "--title", "案"]
    assert "不在可选范围内" in refused(cli, *add, "--term", "5y")
    assert "格式不正确" in refused(cli, *add, "--opened", "昨天")
    assert "不存在" in refused(
        cli, "case", "add", "--number", NUMBER, "--unit", "无此处", "--title", "案"
    )
    assert "不存在" in refused(cli, *add, "--by", "NOBODY")
    opened = (today_shanghai() - timedelta(days=10)).isoformat()
    made = cli.ok(*add, "--opened", opened)
    assert made["term"] == "permanent"  # no --term: the longest of the list
    assert "已登记" in refused(cli, *add)
    assert "早于" in refused(cli, "case", "archive", NUMBER, "--archived", "2020-01-01")
    assert "晚于今天" in refused(cli, "case", "dates", NUMBER, "--closed", "2999-01-01")
    assert "至少一个日期" in refused(cli, "case", "dates", NUMBER)
    both = ["--recording", str(rid), "--activity", "1", "--reason", "x"]
    assert "二选一" in refused(cli, "case", "link", NUMBER, *both)
    assert "不存在" in refused(
        cli, "case", "link", NUMBER, "--recording", "999999", "--reason", "x"
    )
    assert "请填写" in refused(cli, "case", "link", NUMBER, "--recording", str(rid), "--reason", "")
    assert "案件不存在" in refused(cli, "case", "show", "无此案")
    assert "案件不存在" in refused(
        cli, "case", "show", NUMBER, "--by", OTHER_HEAD
    )  # another unit's
    assert "没有编号为" in refused(
        cli, "case", "unlink-request", NUMBER, "--link", "999", "--reason", "x"
    )
    assert "不在可选范围内" in refused(cli, "case", "term", NUMBER, "--term", "1y", "--reason", "x")
    cli.ok("case", "link", NUMBER, "--recording", str(rid), "--reason", "证据")
    assert "已关联" in refused(
        cli, "case", "link", NUMBER, "--recording", str(rid), "--reason", "x"
    )
    plain = cli("case", "archive", NUMBER, "--archived", "2020-01-01")
    assert plain.exit_code == 2 and "错误：归档日期" in plain.stderr and plain.stdout == ""
    assert cli.ok("case", "show", NUMBER)["status"] == "open"
