"""Issue 13, seen 6 and 7: no input gets a 500, bodies are bounded, text the database cannot
keep is refused. Each case answered 500 (or was accepted, or grew the server) before."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lawcam.authz import Role
from lawcam.config import Settings
from lawcam.web.app import create_app
from tests.api.conftest import login
from tests.factories import Office

CJK = re.compile(r"[\u4e00-\u9fff]")
HUGE = "99999999999999999999999"


def assert_refused(response, status: int = 422) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert set(error) <= {"code", "message", "field"}
    assert CJK.search(error["message"]), error


def _reader(url: str) -> Role:
    """A role that may see what the URL names, so that only the number can be refused."""
    return Role.UNIT_HEAD if "recordings" in url else Role.SYSADMIN


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/units/{HUGE}",
        f"/api/v1/devices/{HUGE}",
        f"/api/v1/recordings/{HUGE}",
        f"/api/v1/recordings?offset={HUGE}",
        f"/api/v1/recordings?unit_id={HUGE}",
        f"/api/v1/people?unit_id={HUGE}",
        f"/api/v1/audit?offset={HUGE}",
    ],
)
def test_numbers_beyond_64_bits_get_422(client, office: Office, url: str) -> None:
    login(client, office.user(Role.AUDITOR if "audit" in url else _reader(url)))
    assert_refused(client.get(url))


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.UNIT_HEAD, "/api/v1/recordings?date_to=9999-12-31"),
        (Role.UNIT_HEAD, "/api/v1/recordings?date_from=0001-01-01"),
        (Role.AUDITOR, "/api/v1/audit?since=0001-01-01T00:00:00%2B08:00"),
        (Role.AUDITOR, "/api/v1/audit?until=9999-12-31T23:59:59-08:00"),
    ],
)
def test_api_dates_outside_the_range_get_422(client, office: Office, role: Role, url) -> None:
    login(client, office.user(role))
    response = client.get(url)
    assert_refused(response)
    assert "1970" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "url",
    [
        "/ledger?to=9999-12-31",
        "/ledger?from=0001-01-01",
        "/recordings?from=9999-12-31",
    ],
)
def test_page_filters_outside_the_range_get_a_chinese_page(
    client, office: Office, url: str
) -> None:
    login(client, office.user(Role.DEVICE_ADMIN if "recordings" not in url else Role.UNIT_HEAD))
    response = client.get(url)
    assert response.status_code == 422, (response.status_code, response.text[:300])
    assert CJK.search(response.text)


def test_huge_ids_in_pages_get_422(client, office: Office) -> None:
    login(client, office.user(Role.SYSADMIN))
    response = client.get(f"/devices/{HUGE}")
    assert response.status_code == 422
    assert CJK.search(response.text)


def test_nul_in_a_json_name_is_refused(client, office: Office) -> None:
    login(client, office.user(Role.SYSADMIN))
    response = client.post("/api/v1/units", json={"name": "执法\x00三处"})
    assert_refused(response)
    assert response.json()["error"]["field"] == "name"
    assert client.get("/api/v1/units").json()[-1]["name"] != "执法\x00三处"


def test_json_body_not_utf8_is_refused(client, office: Office) -> None:
    login(client, office.user(Role.SYSADMIN))
    body = '{"name": "执法"}'.encode("gbk")
    headers = {"content-type": "application/json"}
    assert_refused(client.post("/api/v1/units", content=body, headers=headers))


@pytest.mark.parametrize(
    "url", ["/api/v1/people?q=%00", "/api/v1/people?q=%FF%FE", "/api/v1/uploads/%00"]
)
def test_nul_and_bad_utf8_in_the_url_are_refused(client, office: Office, url: str) -> None:
    login(client, office.user(Role.SYSADMIN))
    assert_refused(client.get(url))


def test_nul_in_a_page_form_is_refused(client, office: Office) -> None:
    csrf = login(client, office.user(Role.SYSADMIN))
    response = client.post(
        "/units/new",
        data={"name": "执法\x00三处", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert CJK.search(response.text)
    names = [u["name"] for u in client.get("/api/v1/units").json()]
    assert all("\x00" not in name for name in names)


def test_large_json_body_to_login_refused_by_content_length(client) -> None:
    body = b'{"username": "' + b"a" * (2 * 1024 * 1024) + b'", "password": "x"}'
    response = client.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert_refused(response, 413)


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    yield b'{"username": "'
    for _ in range(total // size):
        yield b"a" * size
    yield b'", "password": "x"}'


def test_large_streamed_json_body_refused_while_counting(client) -> None:
    """No Content-Length (chunked): the server stops reading at the limit, never holds it all."""
    response = client.post(
        "/api/v1/auth/login",
        content=_chunks(256 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert_refused(response, 413)


@pytest.fixture
def small_client(settings: Settings, database) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings.max_form_bytes = 2048
    settings.max_multipart_bytes = 4096
    with TestClient(create_app(settings, database), raise_server_exceptions=False) as c:
        yield c


def test_large_form_is_refused(small_client: TestClient) -> None:
    response = small_client.post("/login", data={"username": "a" * 4096, "password": "x"})
    assert response.status_code == 413
    assert CJK.search(response.text)


def test_large_multipart_body_is_refused(small_client: TestClient) -> None:
    files = {"file": ("台账.xlsx", b"x" * 8192, "application/octet-stream")}
    response = small_client.post("/api/v1/auth/login", files=files)
    assert_refused(response, 413)


def test_declared_upload_size_is_bounded(client, office: Office) -> None:
    login(client, office.user(Role.DEVICE_ADMIN))
    body = {
        "run_id": 1,
        "name": "a.mp4",
        "size": 10**18,
        "sha256": "0" * 64,
        "sm3": "0" * 64,
        "mtime": "2026-01-01T00:00:00+08:00",
    }
    response = client.post("/api/v1/uploads", json=body)
    assert_refused(response)
    assert response.json()["error"]["field"] == "size"


def test_database_range_error_is_a_422_not_a_500(client, office: Office, monkeypatch) -> None:
    """The safety net: should a value pass the types and the database refuse it, it is still
    the caller's bad input."""
    from lawcam.org import queries

    def overflow(**_: object) -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(queries, "get_unit", overflow)
    login(client, office.user(Role.SYSADMIN))
    assert_refused(client.get("/api/v1/units/1"))


def test_device_clock_beyond_a_64_bit_nanosecond_count_is_refused(client, office: Office) -> None:
    login(client, office.user(Role.DEVICE_ADMIN))
    body = {
        "run_id": 1,
        "name": "a.mp4",
        "size": 10,
        "sha256": "0" * 64,
        "sm3": "0" * 64,
        "mtime": "2300-01-01T00:00:00+08:00",
    }
    response = client.post("/api/v1/uploads", json=body)
    assert_refused(response)
    assert response.json()["error"]["field"] == "mtime"


def test_openapi_declares_the_error_statuses(client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            assert "422" in answers, (method, path)
            for status, answer in answers.items():
                if status.startswith("4"):
                    assert answer["content"]["application/json"]["schema"] == error
            if path not in ("/api/v1/health", "/api/v1/auth/login"):
                assert {"401", "403"} <= set(answers), (method, path)
            if "{" in path:
                assert "404" in answers, (method, path)
    login_answers = document["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"401", "413", "422", "429"} <= set(login_answers)
    assert "HTTPValidationError" not in document["components"]["schemas"]
