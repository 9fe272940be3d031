"""The person at the desk (第九条; issue 14 item 6): ``lawcam custody`` commands are done by a
named device administrator (``--by BADGE``, by default the device's unit's administrator), and the
ledger and the audit log name that person, not the console's operating-system user. The CLI
ledger shows each period's 记录内容 and names the reason 超限理由 or 例外理由. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from lawcam.timeutil import SHANGHAI, clock_at
from tests.cli.conftest import Cli
from tests.cli.test_custody import (
    ADMIN2,
    DESK,
    GOOD,
    OTHER,
    UNIT,
    A,
    D,
    add_device,
    build_office,
    checkout,
)
from tests.media import make_mp4

pytestmark = pytest.mark.req("R9.2")

LOW = ["--battery", "40", "--free-hours", "20", "--clock-offset", "2"]


@pytest.fixture
def office(ready: Cli) -> Cli:
    return build_office(ready)


def _audit_actors(cli: Cli) -> list[str]:
    events = cli.ok("audit", "list", "--tag", "custody:period", "--limit", "100")["events"]
    return [e["actor"] for e in events]


@pytest.mark.req("R9.1")
def test_default_is_the_units_administrator(office: Cli) -> None:
    cli = office
    issued = cli.ok(*checkout(cli, "BC001", A))
    assert issued["issued_by"] == DESK
    back = cli.ok("custody", "return", "--device", "BC001", "--condition", "ok")
    assert back["returned_to"] == DESK
    assert _audit_actors(cli) == [DESK, DESK]


def test_explicit_by_names_that_administrator(office: Cli) -> None:
    cli = office
    cli.person("吴磊", "21010020095", "--officer", unit=OTHER)
    cli.ok(*checkout(cli, "BC101", D), "--by", ADMIN2)
    handed = cli.ok(
        "custody", "handover", "--device", "BC101", "--to", "21010020095", *GOOD, "--by", ADMIN2
    )
    assert handed["issued_by"] == f"钱进({ADMIN2})"
    assert _audit_actors(cli)[-1] == f"钱进({ADMIN2})"


def test_refusals_are_clear_and_write_nothing(office: Cli) -> None:
    cli = office
    cli.ok("unit", "add", "--name", "执法三处", "--class", "more")
    cli.person("周强", "21010020077", "--officer", unit="执法三处")
    add_device(cli, "BC301", unit="执法三处")
    events = cli.audit_count()
    wrong = cli.refused(*checkout(cli, "BC001", A), "--by", ADMIN2)
    assert (
        "钱进" in wrong["message"]
        and f"不是设备所属单位“{UNIT}”的执法记录仪管理员" in (wrong["message"])
    )
    assert (
        "不是本办登记的人员" in cli.refused(*checkout(cli, "BC001", A), "--by", "9999")["message"]
    )
    officer = cli.refused(*checkout(cli, "BC001", A), "--by", A)["message"]
    assert "张伟" in officer and "执法记录仪管理员" in officer
    # A unit without an administrator: say so, and say what to do.
    none = cli.refused(*checkout(cli, "BC301", "21010020077"))["message"]
    assert "“执法三处”及其上级单位没有在职的执法记录仪管理员" in none and "--by" in none
    assert cli.audit_count() == events
    assert cli.ok("report", "ledger")["periods"] == []


def _yesterday(hour: int, minute: int = 0) -> datetime:
    day = datetime.now(SHANGHAI).date() - timedelta(days=1)
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def test_cli_ledger_content_and_reason_names(office: Cli, tmp_path: Path) -> None:
    cli = office
    with clock_at(_yesterday(8, 10)):
        cli.ok(*checkout(cli, "BC001", A, *LOW), "--override", "紧急任务，已带备用电池")
    with clock_at(_yesterday(8, 20)):
        # 陈静 of 执法二处 takes 执法一处's recorder: an exception, with its reason.
        crossed = cli("custody", "checkout", "--device", "BC002", "--officer", D, *GOOD,
                      "--override", "二处设备送修")  # fmt: skip
    assert crossed.exit_code == 0 and "检查合格，例外理由：二处设备送修" in crossed.stdout
    with clock_at(_yesterday(17, 40)):
        cli.ok("custody", "return", "--device", "BC001", "--condition", "ok")
    card = tmp_path / "card"
    card.mkdir()
    make_mp4(card / "clip1.mp4", seconds=3.0, creation_time=_yesterday(9, 30))
    make_mp4(card / "clip2.mp4", seconds=2.0, creation_time=_yesterday(19))  # after return
    cli.ok("ingest", str(card), "--device", "BC001", "--officer", A)
    rows = {r["device"]: r for r in cli.ok("report", "ledger")["periods"]}
    first = rows["BC001"]["recordings"]
    assert (first["count"], len(first["shown"]), first["hidden"]) == (1, 1, 0)
    assert first["duration_s"] == pytest.approx(3.0, abs=0.3)
    assert first["shown"][0]["url"] == f"/recordings/{first['shown'][0]['id']}"
    assert rows["BC002"]["recordings"]["count"] == 0
    assert (rows["BC001"]["reason_label"], rows["BC002"]["reason_label"]) == (
        "超限理由",
        "例外理由",
    )
    plain = cli("report", "ledger")
    assert plain.exit_code == 0
    assert "超限理由：紧急任务" in plain.stdout and "例外理由：二处设备送修" in plain.stdout
    assert "1 条，共 3秒" in plain.stdout and "越权" not in plain.stdout
