"""The Chinese pages for accounts, workstation tokens and role assignment (R9.1, 三员分立)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.db import Database
from lawcam.org.models import Account, Person, RoleAssignment
from lawcam.timeutil import utcnow
from tests.api.conftest import login
from tests.factories import PASSWORD

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
NEW_PASSWORD = "Fresh-Pass-2026!"


def as_user(client, office, role: str) -> None:
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    login(client, office.user(role))


def audit_tags(database: Database, subject_type: str, subject_id: int) -> list[str]:
    with database.read() as session:
        return list(
            session.scalars(
                select(AuditEvent.tag)
                .where(
                    AuditEvent.subject_type == subject_type,
                    AuditEvent.subject_id == str(subject_id),
                )
                .order_by(AuditEvent.seq)
            )
        )


def count(database: Database, model: type) -> int:
    with database.read() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def new_person(client, database: Database, name: str, badge: str, unit: str = "执法二处") -> int:
    r = client.post(
        "/people/new",
        data={"name": name, "unit": unit, "badge": badge, "is_officer": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    with database.read() as session:
        return session.scalars(select(Person.id).where(Person.badge == badge)).one()


# Accounts ------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, office):
    for url in ["/accounts", "/accounts/new", "/roles", f"/roles/{office.people['officer']}"]:
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_accounts_page_for_sysadmin_and_secadmin(client, office):
    login(client, office.user("sysadmin"))
    r = client.get("/accounts")
    assert r.status_code == 200
    for text in ["账号管理", "u_officer", "测试执法人员", "新建账号", "正常", "从未登录"]:
        assert text in r.text
    assert "u_spare" in client.get("/accounts", params={"q": "spare"}).text
    assert "u_officer" not in client.get("/accounts", params={"q": "spare"}).text

    as_user(client, office, "secadmin")
    r = client.get("/accounts")
    assert r.status_code == 200
    assert "u_officer" in r.text and "新建账号" not in r.text
    detail = client.get(f"/accounts/{office.accounts['officer']}")
    assert detail.status_code == 200
    officer = office.accounts["officer"]
    assert f"/accounts/{officer}/password" not in detail.text
    assert f"/accounts/{officer}/deactivate" not in detail.text
    assert client.get("/accounts/new").status_code == 403

    for role in ["officer", "auditor", "unit_head"]:
        as_user(client, office, role)
        assert client.get("/accounts").status_code == 403
        assert client.get(f"/accounts/{office.accounts['officer']}").status_code in (403, 404)


def test_create_account_through_the_form(client, office, database):
    login(client, office.user("sysadmin"))
    pid = new_person(client, database, "钱七", "Q-7001")
    del client.headers["X-CSRF-Token"]
    form = client.get("/accounts/new")
    assert form.status_code == 200
    assert "钱七" in form.text
    assert "测试执法人员" not in form.text  # already has an account
    token = CSRF_INPUT.search(form.text)
    assert token is not None
    r = client.post(
        "/accounts/new",
        data={
            "csrf_token": token.group(1),
            "person_id": str(pid),
            "username": "qianqi",
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    with database.read() as session:
        account = session.scalars(select(Account).where(Account.username == "qianqi")).one()
    assert account.person_id == pid
    assert "org:account:create" in audit_tags(database, "account", account.id)
    page = client.get(r.headers["location"])
    assert "账号 qianqi 已开设。" in page.text


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"person_id": "", "username": "abc", "password": PASSWORD}, 422, "请选择人员。"),
        ({"person_id": "x", "username": "abc", "password": PASSWORD}, 422, "请选择人员。"),
        ({"username": "u_officer", "password": PASSWORD}, 409, "已被使用"),
        ({"username": "Bad Name", "password": PASSWORD}, 422, "用户名须以小写字母开头"),
        ({"username": "weakpw", "password": "short"}, 422, "密码"),
    ],
)
def test_account_form_errors(client, office, database, data, status, message):
    login(client, office.user("sysadmin"))
    pid = new_person(client, database, "孙八", "S-8001")
    accounts = count(database, Account)
    r = client.post("/accounts/new", data={"person_id": str(pid), **data})
    assert r.status_code == status
    assert message in r.text
    assert count(database, Account) == accounts
    if data["username"] == "abc":
        assert 'value="abc"' in r.text
    assert data["password"] not in r.text  # a password is never echoed back


def test_reset_password_unlock_deactivate(client, office, database):
    aid = office.accounts["spare"]
    login(client, office.user("sysadmin"))
    weak = client.post(f"/accounts/{aid}/password", data={"password": "abc"})
    assert weak.status_code == 422 and 'role="alert"' in weak.text
    ok = client.post(
        f"/accounts/{aid}/password", data={"password": NEW_PASSWORD}, follow_redirects=False
    )
    assert ok.status_code == 303
    reset_page = client.get(ok.headers["location"]).text
    assert "密码已重置" in reset_page and "临时密码，待本人修改" in reset_page

    with database.unit_of_work() as session:
        account = session.get(Account, aid)
        assert account is not None
        account.locked_until = utcnow() + timedelta(minutes=10)
    page = client.get(f"/accounts/{aid}")
    assert "已锁定" in page.text and "解锁" in page.text
    assert client.post(f"/accounts/{aid}/unlock", follow_redirects=False).status_code == 303
    assert client.post(f"/accounts/{aid}/deactivate", follow_redirects=False).status_code == 303
    assert "已停用" in client.get(f"/accounts/{aid}").text
    again = client.post(f"/accounts/{aid}/deactivate")
    assert again.status_code == 409 and "已是停用状态" in again.text
    assert client.post(f"/accounts/{aid}/reactivate", follow_redirects=False).status_code == 303
    assert audit_tags(database, "account", aid)[-4:] == [
        "org:account:reset_password",
        "org:account:unlock",
        "org:account:deactivate",
        "org:account:reactivate",
    ]
    # 三员分立: the sysadmin's own account, like the other two, is the secadmin's to manage.
    own = client.post(f"/accounts/{office.accounts['sysadmin']}/deactivate")
    assert own.status_code == 403 and "安全管理员" in own.text
    as_user(client, office, "secadmin")
    own = client.post(f"/accounts/{office.accounts['secadmin']}/deactivate")
    assert own.status_code == 409 and "不能停用自己正在使用的账号" in own.text

    as_user(client, office, "secadmin")
    assert client.post(f"/accounts/{aid}/deactivate").status_code == 403
    assert (
        client.post(f"/accounts/{aid}/password", data={"password": NEW_PASSWORD}).status_code == 403
    )


def test_token_minted_by_its_holder_listed_and_revoked_by_sysadmin(client, office, database):
    """Issue 13, seen 2: the sysadmin minted tokens for anyone. Now the device administrator
    mints their own (once shown); the sysadmin sees and revokes it, and mints none."""
    aid = office.accounts["device_admin"]
    login(client, office.user("device_admin"))
    r = client.post(f"/api/v1/accounts/{aid}/tokens", json={"name": "执法一处采集工作站"})
    assert r.status_code == 201 and r.json()["token"].startswith("lct_")
    plain = r.json()["token"]
    token_id = r.json()["id"]
    assert "org:token:create" in audit_tags(database, "api_token", token_id)

    as_user(client, office, "sysadmin")
    page = client.get(f"/accounts/{aid}")
    assert "执法一处采集工作站" in page.text and plain not in page.text
    assert f'action="/accounts/{aid}/tokens"' not in page.text  # no form to mint one
    assert page.headers["cache-control"] == "no-store"
    refused = client.post(f"/api/v1/accounts/{aid}/tokens", json={"name": "代生成"})
    assert refused.status_code == 403
    wrong = client.post(f"/accounts/{office.accounts['spare']}/tokens/{token_id}/revoke")
    assert wrong.status_code == 404

    as_user(client, office, "secadmin")
    assert client.post(f"/accounts/{aid}/tokens/{token_id}/revoke").status_code == 403
    as_user(client, office, "sysadmin")
    ok = client.post(f"/accounts/{aid}/tokens/{token_id}/revoke", follow_redirects=False)
    assert ok.status_code == 303
    assert "已吊销" in client.get(ok.headers["location"]).text
    assert "org:token:revoke" in audit_tags(database, "api_token", token_id)
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    gone = client.post("/api/v1/ingest-runs", json={}, headers={"Authorization": f"Bearer {plain}"})
    assert gone.status_code == 401


def test_the_three_roles_accounts_are_managed_by_secadmin_on_the_page(client, office):
    auditor = office.accounts["auditor"]
    login(client, office.user("sysadmin"))
    page = client.get(f"/accounts/{auditor}")
    assert page.status_code == 200 and f'action="/accounts/{auditor}/password"' not in page.text
    refused = client.post(f"/accounts/{auditor}/password", data={"password": NEW_PASSWORD})
    assert refused.status_code == 403 and "安全管理员" in refused.text
    as_user(client, office, "secadmin")
    page = client.get(f"/accounts/{auditor}")
    assert f'action="/accounts/{auditor}/password"' in page.text
    done = client.post(
        f"/accounts/{auditor}/password", data={"password": NEW_PASSWORD}, follow_redirects=False
    )
    assert done.status_code == 303
    assert "临时密码，待本人修改" in client.get(done.headers["location"]).text


# Roles ---------------------------------------------------------------------------------------


def test_roles_page_for_secadmin_only(client, office):
    login(client, office.user("secadmin"))
    r = client.get("/roles")
    assert r.status_code == 200
    for text in ["角色分配", "测试执法记录仪管理员", "执法记录仪管理员", "分配角色", "三员分立"]:
        assert text in r.text
    second = client.get("/roles", params={"unit_id": office.units["执法二处"], "q": ""})
    assert "二处执法员" in second.text and "测试单位负责人" not in second.text
    admins = client.get("/roles", params={"role": "device_admin"})
    assert "测试执法记录仪管理员" in admins.text and "二处执法员" not in admins.text
    person = client.get(f"/roles/{office.people['officer']}")
    assert person.status_code == 200
    assert "单位负责人" in person.text and "安全审计员" in person.text
    assert 'value="officer"' not in person.text  # the officer's badge is not a role

    for role in ["sysadmin", "auditor", "officer"]:
        as_user(client, office, role)
        assert client.get("/roles").status_code == 403
        assert client.get(f"/roles/{office.people['officer']}").status_code in (403, 404)


def test_assign_and_revoke_role(client, office, database):
    pid = office.people["other_unit_officer"]
    login(client, office.user("secadmin"))
    r = client.post(f"/roles/{pid}/assign", data={"role": "unit_head"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "已为“二处执法员”分配单位负责人。" in page.text
    with database.read() as session:
        held = session.scalars(
            select(RoleAssignment.role).where(
                RoleAssignment.person_id == pid, RoleAssignment.revoked_at.is_(None)
            )
        ).all()
    assert held == ["unit_head"]

    twice = client.post(f"/roles/{pid}/assign", data={"role": "unit_head"})
    assert twice.status_code == 409 and "已担任单位负责人" in twice.text
    bad = client.post(f"/roles/{pid}/assign", data={"role": "king"})
    assert bad.status_code == 422 and "请选择要分配的角色。" in bad.text
    badge = client.post(f"/roles/{pid}/assign", data={"role": "officer"})
    assert badge.status_code == 422 and "执法人员身份在人员信息中设置" in badge.text

    gone = client.post(f"/roles/{pid}/revoke", data={"role": "unit_head"}, follow_redirects=False)
    assert gone.status_code == 303
    history = client.get(f"/roles/{pid}")
    assert "撤销时间" in history.text and "测试安全管理员" in history.text
    assert audit_tags(database, "person", pid)[-2:] == ["org:role:assign", "org:role:revoke"]
    not_held = client.post(f"/roles/{pid}/revoke", data={"role": "unit_head"})
    assert not_held.status_code == 409 and "未担任单位负责人" in not_held.text

    as_user(client, office, "sysadmin")
    before = audit_tags(database, "person", pid)
    assert client.post(f"/roles/{pid}/assign", data={"role": "unit_head"}).status_code == 403
    assert audit_tags(database, "person", pid) == before


@pytest.mark.req("R9.1")
def test_one_device_admin_per_unit(client, office, database):
    login(client, office.user("sysadmin"))
    pid = new_person(client, database, "周九", "Z-9001", unit="执法一处")
    as_user(client, office, "secadmin")
    r = client.post(f"/roles/{pid}/assign", data={"role": "device_admin"})
    assert r.status_code == 409
    assert "每个单位只设一名（第九条）" in r.text
    assert "测试执法记录仪管理员" in r.text
    with database.read() as session:
        assert (
            session.scalars(select(RoleAssignment).where(RoleAssignment.person_id == pid)).all()
            == []
        )
    # The list names the units still without one.
    page = client.get("/roles")
    assert "尚未设执法记录仪管理员" in page.text
    ok = client.post(
        f"/roles/{office.people['other_unit_officer']}/assign",
        data={"role": "device_admin"},
        follow_redirects=False,
    )
    assert ok.status_code == 303


def test_separation_of_the_three_system_roles(client, office):
    login(client, office.user("secadmin"))
    r = client.post(f"/roles/{office.people['officer']}/assign", data={"role": "auditor"})
    assert r.status_code == 409
    assert "三员分立" in r.text
    r = client.post(f"/roles/{office.people['auditor']}/assign", data={"role": "unit_head"})
    assert r.status_code == 409
    assert "三员分立" in r.text
