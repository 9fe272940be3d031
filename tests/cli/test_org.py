"""Units, people, roles and accounts from the command line."""

from __future__ import annotations

import getpass
import json

import pytest

from lawcam.org import accounts
from tests.cli.conftest import Cli

PASSWORD = "Lawcam-2026!"
ADD_LINA = ["person", "add", "--name", "李娜", "--badge", "21010020002", "--unit", "执法一处"]


@pytest.mark.req("R6.1")
def test_unit_add_and_list_json(ready: Cli) -> None:
    more = ready.ok("unit", "add", "--name", "工程监管处", "--class", "more")
    assert more == {  # the API's UnitOut (lawcam.schemas.org)
        "id": more["id"],
        "name": "工程监管处",
        "parent_id": None,
        "unit_class": "more",
        "target": None,
        "note": "",
        "is_active": True,
        "zones": [],
    }
    dept = ready.ok(
        "unit",
        "add",
        "--name",
        "信息通信保障部",
        "--class",
        "fewer",
        "--target",
        "1",
        "--parent",
        "执法一处",
        "--zone",
        "机房",
        "--zone",
        "值班室",
    )
    listed = ready.ok("unit", "list")["units"]
    assert (dept["unit_class"], dept["target"], dept["parent_id"]) == ("fewer", 1, listed[0]["id"])
    assert sorted(z["name"] for z in dept["zones"]) == ["值班室", "机房"]
    assert [u["name"] for u in listed] == ["执法一处", "工程监管处", "信息通信保障部"]
    assert [z["name"] for z in listed[0]["zones"]] == ["询问室一"]
    assert listed[2] == dept
    table = ready("unit", "list")
    assert table.exit_code == 0
    assert "信息通信保障部" in table.stdout and "较少" in table.stdout


@pytest.mark.req("R6.1")
def test_fewer_without_target_is_refused_and_nothing_written(ready: Cli) -> None:
    before = ready.audit_count()
    error = ready.refused("unit", "add", "--name", "宣传教育处", "--class", "fewer")
    assert error["code"] == "invalid_input"
    assert "第六条" in error["message"]
    assert [u["name"] for u in ready.ok("unit", "list")["units"]] == ["执法一处"]
    assert ready.audit_count() == before


@pytest.mark.req("R6.1")
@pytest.mark.parametrize("args", [[], ["--class", "huge"]])
def test_unit_class_is_required_and_checked(ready: Cli, args: list[str]) -> None:
    error = ready.refused("unit", "add", "--name", "宣传教育处", *args)
    assert "many" in error["message"] and "fewer" in error["message"]


def test_duplicate_unit_and_unknown_parent_are_refused(ready: Cli) -> None:
    error = ready.refused("unit", "add", "--name", "执法一处", "--class", "many")
    assert error["code"] == "conflict"
    error = ready.refused(
        "unit", "add", "--name", "二处", "--class", "more", "--parent", "无此单位"
    )
    assert "无此单位" in error["message"]


@pytest.mark.req("R9.1")
def test_person_add_officer_and_device_admin(ready: Cli) -> None:
    person = ready.person(
        "张伟", "21010020001", "--officer", "--role", "device_admin", "--phone", "13800000001"
    )
    assert person == {  # the API's PersonOut (lawcam.schemas.org)
        "id": person["id"],
        "name": "张伟",
        "badge": "21010020001",
        "unit_id": person["unit_id"],
        "unit": "执法一处",
        "is_officer": True,
        "phone": "13800000001",
        "is_active": True,
        "roles": ["device_admin"],
    }
    # ``--role officer`` means --officer; a role may also be named by its Chinese label.
    head = ready.person("王芳", "21010020002", "--role", "officer", "--role", "单位负责人")
    assert (head["is_officer"], head["roles"]) == (True, ["unit_head"])
    people = ready.ok("person", "list", "--unit", "执法一处")["people"]
    assert [p["badge"] for p in people] == ["21010020001", "21010020002"]


@pytest.mark.req("R9.1")
def test_second_device_admin_in_a_unit_is_refused(ready: Cli) -> None:
    ready.person("张伟", "21010020001", "--officer", "--role", "device_admin")
    before = ready.audit_count()
    error = ready.refused(*ADD_LINA, "--officer", "--role", "device_admin")
    assert error["code"] == "conflict"
    assert error["message"] == (
        "单位“执法一处”已有执法记录仪管理员“张伟”，每个单位只设一名（第九条），请先撤销原任命。"
    )
    # Nothing written: not the person, not the role, not an audit row.
    assert [p["name"] for p in ready.ok("person", "list")["people"]] == ["张伟"]
    assert ready.audit_count() == before
    # The same through ``role assign`` on someone already there.
    ready.person("李娜", "21010020002", "--officer")
    error = ready.refused("role", "assign", "--badge", "21010020002", "--role", "device_admin")
    assert "第九条" in error["message"]
    # After revoking the first, the second may be appointed.
    ready.ok("role", "revoke", "--badge", "21010020001", "--role", "device_admin")
    assigned = ready.ok("role", "assign", "--badge", "21010020002", "--role", "device_admin")
    assert (assigned["badge"], assigned["roles"]) == ("21010020002", ["device_admin"])


def test_duplicate_badge_is_refused(ready: Cli) -> None:
    ready.person("张伟", "21010020001", "--officer")
    error = ready.refused(
        "person", "add", "--name", "李娜", "--badge", "21010020001", "--unit", "执法一处"
    )
    assert error["code"] == "conflict"
    assert "21010020001" in error["message"] and "张伟" in error["message"]
    assert len(ready.ok("person", "list")["people"]) == 1


def test_unknown_unit_is_refused(ready: Cli) -> None:
    error = ready.refused(
        "person", "add", "--name", "李娜", "--badge", "21010020009", "--unit", "无此单位"
    )
    assert error["message"] == "单位“无此单位”不存在。"
    assert ready.refused("person", "list", "--unit", "无此单位")["code"] == "not_found"
    assert ready.ok("person", "list")["people"] == []


def test_officer_needs_a_badge_and_roles_are_checked(ready: Cli) -> None:
    error = ready.refused("person", "add", "--name", "李娜", "--unit", "执法一处", "--officer")
    assert "执法证号" in error["message"]
    error = ready.refused("person", "add", "--name", "李娜", "--unit", "执法一处", "--role", "boss")
    assert "device_admin" in error["message"]


def test_separated_roles_are_refused_for_an_officer(ready: Cli) -> None:
    ready.person("张伟", "21010020001", "--officer")
    error = ready.refused("role", "assign", "--badge", "21010020001", "--role", "sysadmin")
    assert "三员分立" in error["message"]


def test_person_without_badge_is_named_by_id(ready: Cli) -> None:
    clerk = ready.ok("person", "add", "--name", "赵敏", "--unit", "执法一处")
    assert clerk["badge"] is None
    assert ready.refused("role", "assign", "--role", "auditor")["code"] == "invalid_input"
    done = ready.ok("role", "assign", "--person-id", str(clerk["id"]), "--role", "auditor")
    assert done["roles"] == ["auditor"]
    account = ready.ok(
        "account",
        "add",
        "--username",
        "zhaomin",
        "--person-id",
        str(clerk["id"]),
        "--password",
        PASSWORD,
    )
    assert (account["person_id"], account["person_name"]) == (clerk["id"], "赵敏")


def test_person_deactivate(ready: Cli) -> None:
    ready.person("张伟", "21010020001", "--officer")
    gone = ready.ok("person", "deactivate", "--badge", "21010020001")
    assert gone["is_active"] is False
    assert ready.ok("person", "list")["people"] == []
    assert len(ready.ok("person", "list", "--all")["people"]) == 1
    assert ready.refused("person", "deactivate", "--badge", "21010020001")["code"] == "conflict"
    assert ready.refused("person", "deactivate", "--badge", "nobody")["code"] == "not_found"


def test_accounts(ready: Cli) -> None:
    ready.person("张伟", "21010020001", "--officer")
    made = ready.ok(
        "account", "add", "--username", "zhangwei", "--badge", "21010020001", "--password", PASSWORD
    )
    assert (made["username"], made["person_name"], made["is_active"]) == ("zhangwei", "张伟", True)
    assert [a["username"] for a in ready.ok("account", "list")["accounts"]] == ["zhangwei"]
    # Weak password, duplicate username, no password and no terminal.
    ready.person("李娜", "21010020002")
    add_lina = ["account", "add", "--username", "lina", "--badge", "21010020002"]
    assert "密码" in ready.refused(*add_lina, "--password", "short")["message"]
    assert "--password" in ready.refused(*add_lina)["message"]
    taken = ready.refused(
        "account", "add", "--username", "zhangwei", "--badge", "21010020002", "--password", PASSWORD
    )
    assert taken["code"] == "conflict"
    # Reset, unlock, deactivate; the new password is the one that works.
    ready.ok("account", "reset-password", "--username", "zhangwei", "--password", "New-Pass-2026")
    ready.ok("account", "unlock", "--username", "zhangwei")
    database = ready.database()
    settings = ready.settings()
    try:
        assert _log_in(database, settings, "zhangwei", "New-Pass-2026").account is not None
        # A reset password is temporary: its holder changes it at the next login.
        assert ready.ok("account", "list")["accounts"][0]["must_change_password"] is True
        off = ready.ok("account", "deactivate", "--username", "zhangwei")
        assert off["is_active"] is False
        assert _log_in(database, settings, "zhangwei", "New-Pass-2026").account is None
    finally:
        database.dispose()
    assert ready.refused("account", "unlock", "--username", "nobody")["code"] == "not_found"


def _log_in(database, settings, username: str, password: str):  # type: ignore[no-untyped-def]
    with database.read() as session:
        check = accounts.check_password(
            accounts.stored_hash(session=session, username=username), password
        )
    with database.unit_of_work() as session:
        return accounts.authenticate(
            session=session, settings=settings, username=username, check=check
        )


def test_account_token_is_shown_once_and_works(ready: Cli) -> None:
    ready.person("张伟", "21010020001", "--officer")
    ready.ok(
        "account", "add", "--username", "ws1", "--badge", "21010020001", "--password", PASSWORD
    )
    made = ready.ok("account", "token", "--username", "ws1", "--name", "一处工作站")
    assert made["token"].startswith("lct_") and made["token"].startswith(made["prefix"])
    database = ready.database()
    try:
        with database.unit_of_work() as session:
            token = accounts.resolve_token(session=session, plain=made["token"])
            assert token is not None and token.account.username == "ws1"
    finally:
        database.dispose()
    plain = ready("account", "token", "--username", "ws1", "--name", "二号工作站")
    assert plain.exit_code == 0
    assert "lct_" in plain.stdout and "只显示这一次" in plain.stdout


def test_password_prompted_twice_on_a_terminal(ready: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import lawcam.cli.common as common

    ready.person("张伟", "21010020001")
    monkeypatch.setattr(common, "interactive", lambda: True)
    result = ready(
        "account",
        "add",
        "--username",
        "zhangwei",
        "--badge",
        "21010020001",
        "--json",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.stderr
    assert PASSWORD not in result.stdout
    assert json.loads(result.stdout)["username"] == "zhangwei"


def test_every_change_is_audited_as_the_os_user(ready: Cli) -> None:
    ready.person("张伟", "21010020001", "--officer", "--role", "device_admin")
    ready.person("李娜", "21010020002", "--officer")
    ready.ok("role", "assign", "--badge", "21010020002", "--role", "unit_head")
    ready.ok("role", "revoke", "--badge", "21010020002", "--role", "unit_head")
    ready.ok(
        "account", "add", "--username", "zhangwei", "--badge", "21010020001", "--password", PASSWORD
    )
    ready.ok("account", "reset-password", "--username", "zhangwei", "--password", "New-Pass-2026")
    ready.ok("account", "unlock", "--username", "zhangwei")
    ready.ok("account", "token", "--username", "zhangwei", "--name", "工作站")
    ready.ok("account", "deactivate", "--username", "zhangwei")
    ready.ok("person", "deactivate", "--badge", "21010020002")
    log = ready.ok("audit", "list", "--limit", "1000")
    events = log["events"]
    assert log["total"] == len(events)
    assert {e["actor"] for e in events} == {f"os:{getpass.getuser()}"}
    assert {e["source"] for e in events} == {"cli"}
    assert sorted(e["tag"] for e in events) == sorted(
        [
            "org:unit:create",
            "org:zone:create",
            "org:person:create",
            "org:role:assign",
            "org:person:create",
            "org:role:assign",
            "org:role:revoke",
            "org:account:create",
            "org:account:reset_password",
            "org:account:unlock",
            "org:token:create",
            "org:token:revoke",  # a deactivated account's tokens are revoked, for good
            "org:account:deactivate",
            "org:person:deactivate",
        ]
    )
    # Newest first, and the filter by tag prefix.
    assert [e["seq"] for e in events] == sorted((e["seq"] for e in events), reverse=True)
    roles = ready.ok("audit", "list", "--tag", "org:role")["events"]
    assert [e["tag"] for e in roles] == ["org:role:revoke", "org:role:assign", "org:role:assign"]
    assert roles[0]["before"] == {"role": "unit_head", "unit_id": 1}
    table = ready("audit", "list", "--limit", "3")
    assert table.exit_code == 0 and f"os:{getpass.getuser()}" in table.stdout
