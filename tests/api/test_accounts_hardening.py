"""Issue 13, seen 2 and 8, through the API and the pages: separation of duties (三员分立,
DESIGN "Interfaces"), workstation tokens, temporary passwords, sessions, flash messages,
security headers and Secure cookies."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from lawcam.authz import Actor
from lawcam.db import Database
from lawcam.org import accounts
from lawcam.web.security import FLASH_COOKIE
from tests.factories import PASSWORD, Office

TEMPORARY = "Temporary-Pass-4821!"
CHOSEN = "Chosen-Secret-7305!"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def as_user(client: TestClient, username: str, password: str = PASSWORD) -> dict:  # type: ignore[type-arg]
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    client.headers.pop("Authorization", None)
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return response.json()  # type: ignore[no-any-return]


def as_token(client: TestClient, plain: str) -> None:
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    client.headers["Authorization"] = f"Bearer {plain}"


def mint(database: Database, console: Actor, account_id: int) -> str:
    with database.unit_of_work() as session:
        _, plain = accounts.create_token(
            session=session, actor=console, account_id=account_id, name="采集站"
        )
    return plain


def reset(client: TestClient, account_id: int, password: str = TEMPORARY):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/accounts/{account_id}/password", json={"password": password})


# 三员分立: each role exactly its own -----------------------------------------------------------


def test_sysadmin_may_manage_business_accounts_only(client: TestClient, office: Office) -> None:
    """Seen 2: the system administrator could act as anyone (tokens, resets)."""
    as_user(client, office.user("sysadmin"))
    may = [
        client.post("/api/v1/units", json={"name": "新设处", "unit_class": "more"}),
        client.post("/api/v1/people", json={"name": "新人", "unit": "执法二处"}),
        reset(client, office.accounts["unit_head"]),
        client.post(f"/api/v1/accounts/{office.accounts['officer']}/deactivate"),
        client.post(f"/api/v1/tokens/{office.tokens['spare']}/revoke"),
        client.get(f"/api/v1/accounts/{office.accounts['spare']}/tokens"),
    ]
    assert [r.status_code for r in may] == [201, 201, 200, 200, 200, 200]
    for role in ("auditor", "secadmin", "unit_head", "device_admin", "sysadmin"):
        r = client.post(f"/api/v1/accounts/{office.accounts[role]}/tokens", json={"name": "x"})
        assert r.status_code == 403, (role, r.text)
    for role in ("auditor", "secadmin"):
        assert reset(client, office.accounts[role]).status_code == 403
        for action in ("deactivate", "unlock"):
            r = client.post(f"/api/v1/accounts/{office.accounts[role]}/{action}")
            assert r.status_code == 403, (role, action)
    person = office.people["unit_head"]
    refused = [
        client.post(f"/api/v1/people/{person}/roles", json={"role": "device_admin"}),
        client.get("/api/v1/audit"),
        client.get("/api/v1/recordings"),
        client.get("/api/v1/devices"),
    ]
    assert [r.status_code for r in refused] == [403] * 4


def test_secadmin_manages_the_three_roles_accounts_and_roles_only(
    client: TestClient, office: Office
) -> None:
    as_user(client, office.user("secadmin"))
    person = office.people["officer"]
    may = [
        client.post(f"/api/v1/people/{person}/roles", json={"role": "unit_head"}),
        reset(client, office.accounts["auditor"]),
        client.post(f"/api/v1/accounts/{office.accounts['sysadmin']}/deactivate"),
        client.post(f"/api/v1/accounts/{office.accounts['sysadmin']}/reactivate"),
    ]
    assert [r.status_code for r in may] == [201, 200, 200, 200]
    refused = [
        reset(client, office.accounts["unit_head"]),
        client.post(f"/api/v1/accounts/{office.accounts['officer']}/deactivate"),
        client.post(
            "/api/v1/accounts",
            json={"person_id": person, "username": "sec_made", "password": CHOSEN},
        ),
        client.post(f"/api/v1/accounts/{office.accounts['auditor']}/tokens", json={"name": "x"}),
        client.post("/api/v1/people", json={"name": "新人", "unit": "执法二处"}),
        client.get("/api/v1/audit"),
        client.get("/api/v1/recordings"),
    ]
    assert [r.status_code for r in refused] == [403] * 7
    # Not its own password by reset (that would skip knowing the old one).
    assert reset(client, office.accounts["secadmin"]).status_code == 409


def test_auditor_reads_the_audit_log_and_changes_nothing(
    client: TestClient, office: Office
) -> None:
    as_user(client, office.user("auditor"))
    assert client.get("/api/v1/audit").status_code == 200
    assert client.get("/api/v1/audit/sth").status_code == 200
    refused = [
        reset(client, office.accounts["sysadmin"]),
        client.post(f"/api/v1/accounts/{office.accounts['auditor']}/tokens", json={"name": "x"}),
        client.post(f"/api/v1/people/{office.people['auditor']}/roles", json={"role": "secadmin"}),
        client.post("/api/v1/units", json={"name": "新设处", "unit_class": "more"}),
        client.get("/api/v1/accounts"),
        client.get("/api/v1/recordings"),
        client.get("/api/v1/devices"),
    ]
    # Accounts are not the auditor's to see (404), the rest not to do (403).
    assert [r.status_code for r in refused] == [404] + [403] * 6


def test_reset_by_secadmin_does_not_let_them_act_as_the_auditor(
    client: TestClient, office: Office
) -> None:
    """Seen 2: resetting the auditor's password and logging in as them worked. The sysadmin is
    refused; the secadmin's reset gives a temporary password that reaches nothing but its change."""
    as_user(client, office.user("sysadmin"))
    assert reset(client, office.accounts["auditor"]).status_code == 403
    as_user(client, office.user("secadmin"))
    assert reset(client, office.accounts["auditor"]).status_code == 200
    me = as_user(client, office.user("auditor"), TEMPORARY)
    assert me["must_change_password"] is True
    r = client.get("/api/v1/audit")
    assert r.status_code == 403 and r.json()["error"]["code"] == "password_change_required"
    assert client.get("/api/v1/me").status_code == 200


# Workstation tokens ---------------------------------------------------------------------------


@pytest.mark.req("R15.2")
def test_a_token_can_only_ingest(client: TestClient, office: Office) -> None:
    """Seen 2: a token carried its account's full powers (recordings, corrections, roles)."""
    me = as_user(client, office.user("device_admin"))
    r = client.post(f"/api/v1/accounts/{me['account_id']}/tokens", json={"name": "一处采集站"})
    assert r.status_code == 201, r.text
    as_token(client, r.json()["token"])
    for path in ("/api/v1/recordings", "/api/v1/devices", "/api/v1/me", "/api/v1/units", "/"):
        assert client.get(path).status_code == 403, path
    r = client.post(f"/api/v1/accounts/{me['account_id']}/tokens", json={"name": "再来一个"})
    assert r.status_code == 403


def test_only_the_holder_who_may_ingest_mints_a_token(client: TestClient, office: Office) -> None:
    for role in ("officer", "unit_head", "sysadmin", "auditor"):
        me = as_user(client, office.user(role))
        r = client.post(f"/api/v1/accounts/{me['account_id']}/tokens", json={"name": "x"})
        assert r.status_code == 403, role
    as_user(client, office.user("device_admin"))
    r = client.post(f"/api/v1/accounts/{office.accounts['spare']}/tokens", json={"name": "x"})
    assert r.status_code == 403


def test_tokens_die_with_a_reset_and_a_deactivation_and_stay_dead(
    client: TestClient, office: Office, database: Database, console: Actor
) -> None:
    """Seen 2: tokens survived a password reset and revived on reactivation."""
    account = office.accounts["device_admin"]
    first = mint(database, console, account)
    as_user(client, office.user("sysadmin"))
    assert reset(client, account).status_code == 200
    as_token(client, first)
    assert client.post("/api/v1/ingest-runs", json={}).status_code == 401
    second = mint(database, console, account)
    as_user(client, office.user("sysadmin"))
    assert client.post(f"/api/v1/accounts/{account}/deactivate").status_code == 200
    assert client.post(f"/api/v1/accounts/{account}/reactivate").status_code == 200
    as_token(client, second)
    assert client.post("/api/v1/ingest-runs", json={}).status_code == 401


# Temporary passwords --------------------------------------------------------------------------


def test_an_initial_password_must_be_changed_before_anything_else(
    client: TestClient, office: Office
) -> None:
    """Seen 8: initial passwords were never forced to change."""
    as_user(client, office.user("sysadmin"))
    r = client.post(
        "/api/v1/accounts",
        json={
            "person_id": office.people["other_unit_officer"],
            "username": "newbie",
            "password": TEMPORARY,
        },
    )
    assert r.status_code == 201, r.text
    client.cookies.clear()
    token = CSRF_INPUT.search(client.get("/login").text)
    assert token is not None
    form = {"username": "newbie", "password": TEMPORARY, "csrf_token": token.group(1)}
    page = client.post("/login", data=form)
    assert page.status_code == 200 and str(page.url).endswith("/me/password")
    assert "临时密码" in page.text
    me = as_user(client, "newbie", TEMPORARY)
    assert me["must_change_password"] is True
    blocked = client.get("/api/v1/units")
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "password_change_required"
    r = client.get("/units", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/me/password"
    change = {"old_password": TEMPORARY, "new_password": CHOSEN}
    assert client.post("/api/v1/me/password", json=change).status_code == 204
    assert client.get("/api/v1/units").status_code == 200
    assert as_user(client, "newbie", CHOSEN)["must_change_password"] is False


def test_changing_a_password_ends_the_other_sessions(app, office: Office) -> None:
    """Seen 8: changing one's password left one's other sessions alive."""
    here, elsewhere = TestClient(app), TestClient(app)
    as_user(here, office.user("finance"))
    as_user(elsewhere, office.user("finance"))
    change = {"old_password": PASSWORD, "new_password": CHOSEN}
    assert here.post("/api/v1/me/password", json=change).status_code == 204
    assert here.get("/api/v1/me").status_code == 200
    assert elsewhere.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("password", ["Passw0rd", "U_officer-2026"])
def test_weak_passwords_and_own_name_are_refused(
    client: TestClient, office: Office, password: str
) -> None:
    """Seen 8: ``Passw0rd`` and passwords containing the user name passed."""
    as_user(client, office.user("officer"))
    r = client.post(
        "/api/v1/me/password", json={"old_password": PASSWORD, "new_password": password}
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "password"


def test_lockout_answers_like_a_wrong_password(client: TestClient, office: Office) -> None:
    """Seen 8: the lockout message differed from a wrong password's."""
    answers = set()
    for password in ["wrong"] * 6 + [PASSWORD]:
        r = client.post(
            "/api/v1/auth/login", json={"username": office.user("auditor"), "password": password}
        )
        answers.add((r.status_code, r.json()["error"]["message"]))
    r = client.post("/api/v1/auth/login", json={"username": "nobody_here", "password": "x"})
    answers.add((r.status_code, r.json()["error"]["message"]))
    assert answers == {(401, accounts.BAD_CREDENTIALS)}


# Pages: flash messages, headers, cookies ------------------------------------------------------


def test_a_notice_in_the_query_string_is_not_shown(client: TestClient, office: Office) -> None:
    """Seen 8: any page showed a green system banner from ``?notice=``."""
    as_user(client, office.user("ict"))
    device = office.equipment["device"]
    r = client.get(f"/devices/{device}?notice=请立即将设备交给张三")
    assert r.status_code == 200 and "请立即将设备交给张三" not in r.text


def test_a_change_reports_once_through_a_signed_cookie(client: TestClient, office: Office) -> None:
    as_user(client, office.user("sysadmin"))
    csrf = client.headers["X-CSRF-Token"]
    r = client.post(
        "/units/new",
        data={"csrf_token": csrf, "name": "闪现处", "unit_class": "more"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "notice" not in r.headers["location"]
    flash = r.headers["set-cookie"]
    assert flash.startswith(FLASH_COOKIE) and "HttpOnly" in flash
    assert "samesite=strict" in flash.lower()
    page = client.get(r.headers["location"])
    assert "单位“闪现处”已创建。" in page.text
    assert "单位“闪现处”已创建。" not in client.get(r.headers["location"]).text
    client.cookies.set(FLASH_COOKIE, "forged.message")
    assert 'class="notice"' not in client.get("/units").text


def test_every_answer_carries_the_security_headers(client: TestClient, office: Office) -> None:
    """Seen 8: no CSP, frame or cache headers."""
    for path in ("/login", "/api/v1/health", "/api/v1/nothing-here"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == (
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        )
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store"
    assert client.get("/static/style.css").headers.get("cache-control") != "no-store"


def test_cookies_are_secure_over_https(app, office: Office) -> None:
    """Seen 8: no Secure cookie behind an HTTPS proxy (the proxy headers give the scheme)."""
    body = {"username": office.user("officer"), "password": PASSWORD}
    https = TestClient(app, base_url="https://lawcam.example")
    cookie = https.post("/api/v1/auth/login", json=body).headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    plain = TestClient(app)
    assert "Secure" not in plain.post("/api/v1/auth/login", json=body).headers["set-cookie"]


def test_behind_a_trusted_proxy_its_client_address_and_scheme_count(
    app, office: Office, settings
) -> None:  # type: ignore[no-untyped-def]
    """What ``lawcam serve`` sets up with LAWCAM_TRUSTED_PROXIES: uvicorn's proxy headers
    support. Guessing from one forwarded address throttles that address only; the forwarded
    HTTPS scheme makes the cookies Secure."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    proxied = TestClient(ProxyHeadersMiddleware(app, trusted_hosts="testclient"))
    user = office.user("auditor")

    def attempt(password: str, client_address: str):  # type: ignore[no-untyped-def]
        return proxied.post(
            "/api/v1/auth/login",
            json={"username": user, "password": password},
            headers={"X-Forwarded-For": client_address, "X-Forwarded-Proto": "https"},
        )

    for _ in range(settings.lockout_failures):
        assert attempt("wrong", "203.0.113.66").status_code == 401
    assert attempt(PASSWORD, "203.0.113.66").status_code == 401
    honest = attempt(PASSWORD, "198.51.100.7")
    assert honest.status_code == 200 and "Secure" in honest.headers["set-cookie"]


def test_serve_hands_the_trusted_proxies_to_uvicorn(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    from lawcam.cli import system

    seen: dict = {}  # type: ignore[type-arg]
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    # _serve exports the home and database for the app factory: restored after the test.
    monkeypatch.setenv("LAWCAM_HOME", str(settings.home))
    monkeypatch.setenv("LAWCAM_DATABASE_URL", settings.resolved_database_url)
    system._serve(settings.model_copy(update={"trusted_proxies": "10.0.0.2"}), "127.0.0.1", 8000)
    assert seen["proxy_headers"] is True and seen["forwarded_allow_ips"] == "10.0.0.2"
    system._serve(settings, "127.0.0.1", 8000)
    assert seen["proxy_headers"] is False  # no proxy trusted: X-Forwarded-* ignored
