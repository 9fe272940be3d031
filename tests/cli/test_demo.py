"""``lawcam demo``: the office of the regulation, seeded through the real services."""

from __future__ import annotations

import getpass
from collections import Counter

import pytest

from lawcam.demo.seed import CENTER, DEMO_PASSWORD, ENGINEERING
from lawcam.org import accounts
from lawcam.org.passwords import check_policy
from tests.cli.conftest import Cli

EXPECTED_USERS = {
    "sysadmin",
    "secadmin",
    "auditor",
    "center_head",
    "center_admin",
    "officer1",
    "eng_admin",
    "officer2",
    "engineering",
    "finance",
    "ict",
    "leader",  # 分管领导 (第十五条)
}


def test_demo_lists_logins_that_work(cli: Cli) -> None:
    shown = cli.ok("demo", "--no-serve")
    assert shown["seeded"] is True and shown["url"] is None
    logins = {x["username"]: x for x in shown["logins"]}
    assert set(logins) == EXPECTED_USERS
    assert {x["password"] for x in shown["logins"]} == {DEMO_PASSWORD}
    check_policy(DEMO_PASSWORD, cli.settings().password)
    assert logins["center_admin"]["role"] == "执法记录仪管理员"
    assert logins["auditor"]["role"] == "安全审计员"
    database = cli.database()
    try:
        for username in ("center_head", "auditor"):
            with database.read() as session:
                check = accounts.check_password(
                    accounts.stored_hash(session=session, username=username), DEMO_PASSWORD
                )
            with database.unit_of_work() as session:
                result = accounts.authenticate(
                    session=session, settings=cli.settings(), username=username, check=check
                )
                assert result.error is None
                assert result.account is not None
                assert result.account.person.name == logins[username]["name"]
    finally:
        database.dispose()


def test_demo_again_does_not_seed_twice(cli: Cli) -> None:
    first = cli.ok("demo", "--no-serve")
    units = cli.ok("unit", "list")["units"]
    events = cli.audit_count()
    again = cli.ok("demo", "--no-serve")
    assert again["seeded"] is False
    assert again["logins"] == first["logins"]
    assert cli.ok("unit", "list")["units"] == units
    assert cli.audit_count() == events
    plain = cli("demo", "--no-serve")
    assert plain.exit_code == 0 and "sysadmin" in plain.stdout and "未重复生成" in plain.stdout


@pytest.mark.req("R6.1")
@pytest.mark.req("R9.1")
def test_demo_office_is_plausible(cli: Cli) -> None:
    cli.ok("demo", "--no-serve")
    units = {u["name"]: u for u in cli.ok("unit", "list")["units"]}
    assert units[CENTER]["unit_class"] == "many"
    assert {z["name"] for z in units[CENTER]["zones"]} == {"询问室一", "询问室二"}
    assert units["信息通信保障部"]["parent_id"] == units[CENTER]["id"]
    assert (units["信息通信保障部"]["unit_class"], units["信息通信保障部"]["target"]) == (
        "fewer",
        1,
    )
    assert units[ENGINEERING]["unit_class"] == "more"
    assert units["计划财务与国有资产管理处"]["target"] == 0
    for unit in units.values():
        assert unit["unit_class"] != "fewer" or unit["target"] is not None

    people = cli.ok("person", "list")["people"]
    officers = Counter(p["unit"] for p in people if p["is_officer"])
    assert officers[CENTER] == 24
    assert officers[ENGINEERING] == 8
    badges = [p["badge"] for p in people if p["badge"]]
    assert len(set(badges)) == len(badges)
    assert all(len(b) == 11 and b.startswith("21") and b.isdigit() for b in badges)
    assert all(p["phone"].startswith("138") and len(p["phone"]) == 11 for p in people)
    assert len({p["name"] for p in people}) == len(people)
    # Every enforcing unit: one device administrator and a unit head (R9.1).
    for unit in officers:
        staff = [p for p in people if p["unit"] == unit]
        assert sum("device_admin" in p["roles"] for p in staff) == 1, unit
        assert sum("unit_head" in p["roles"] for p in staff) == 1, unit
    # 三员分立: three different people, each with that one role, none an officer.
    for role in ("sysadmin", "secadmin", "auditor"):
        holders = [p for p in people if role in p["roles"]]
        assert len(holders) == 1
        assert holders[0]["roles"] == [role] and not holders[0]["is_officer"]
    for role in ("engineering", "finance", "ict"):
        assert sum(role in p["roles"] for p in people) == 1


def test_demo_rows_are_all_audited(cli: Cli) -> None:
    cli.ok("demo", "--no-serve")
    log = cli.ok("audit", "list", "--limit", "10000")
    # The office and its equipment are set up at the console; custody is done by the units'
    # device administrators by name (第九条), never by the console's operating-system user.
    setup = {e["actor"] for e in log["events"] if e["tag"].startswith(("org:", "equipment:"))}
    assert setup == {f"os:{getpass.getuser()}"}
    custody = {e["actor"] for e in log["events"] if e["tag"].startswith("custody:period")}
    assert custody and not any(a.startswith("os:") for a in custody)
    tags = Counter(e["tag"] for e in log["events"])
    people = cli.ok("person", "list")["people"]
    assert tags["org:unit:create"] == len(cli.ok("unit", "list")["units"])
    assert tags["org:person:create"] == len(people)
    assert tags["org:role:assign"] == sum(len(p["roles"]) for p in people)
    assert tags["org:account:create"] == len(EXPECTED_USERS)
