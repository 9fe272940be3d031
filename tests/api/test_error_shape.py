"""One JSON error shape for every API failure, and never a 5xx for bad input."""

from __future__ import annotations

import re

import pytest

from lawcam.authz import Role
from tests.api.conftest import login
from tests.api.test_permission_matrix import API, PUBLIC
from tests.factories import Office

CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_error_shape(response) -> None:  # type: ignore[no-untyped-def]
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and CJK.search(error["message"]), error
    assert set(error) <= {"code", "message", "field"}


def _role_for(expected: object) -> Role:
    if expected == PUBLIC:
        return Role.SYSADMIN
    assert isinstance(expected, frozenset)
    if not expected:  # nobody in the test office may (another unit's device): a refused role
        return Role.SYSADMIN
    return sorted(expected)[0] if len(expected) < len(Role) else Role.SYSADMIN


BAD_PATHS = ["abc", "999999", "-1", "1e9"]
BAD_BODIES: list[object] = [
    None,
    "not json",
    [],
    {},
    {"name": 12345, "unit_class": "huge"},
    {"name": "x" * 10000},
]


@pytest.mark.parametrize(
    ("method", "path"), sorted(k for k in API if "{" in k[1] or k[0] in ("POST", "PATCH"))
)
def test_bad_input_gets_the_error_shape(client, office: Office, method: str, path: str) -> None:
    login(client, office.user(_role_for(API[(method, path)])))
    for bad in BAD_PATHS if "{" in path else [None]:
        url = re.sub(r"\{\w+\}", bad, path) if bad else path
        for body in BAD_BODIES if method != "GET" else [None]:
            if isinstance(body, str):
                response = client.request(
                    method, url, content=body, headers={"content-type": "application/json"}
                )
            else:
                response = client.request(method, url, json=body)
            if response.status_code >= 300:
                assert_error_shape(response)


def test_unknown_route_and_method(client, office: Office) -> None:
    assert_error_shape(client.get("/api/v1/no-such-thing"))
    assert_error_shape(client.delete("/api/v1/units"))
    login(client, office.user(Role.SYSADMIN))
    assert_error_shape(client.get("/api/v1/no-such-thing"))


def test_not_logged_in_and_bad_token(client) -> None:
    assert_error_shape(client.get("/api/v1/units"))
    response = client.get("/api/v1/units", headers={"Authorization": "Bearer lct_forged"})
    assert response.status_code == 401
    assert_error_shape(response)


def test_csrf_missing_is_refused_with_the_shape(client, office: Office) -> None:
    login(client, office.user(Role.SYSADMIN))
    del client.headers["X-CSRF-Token"]
    response = client.post("/api/v1/units", json={"name": "无令牌处"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf"
    client.headers["X-CSRF-Token"] = "forged"
    assert client.post("/api/v1/units", json={"name": "无令牌处"}).status_code == 403


def test_schema_errors_name_the_field_in_chinese(client, office: Office) -> None:
    login(client, office.user(Role.ICT))
    body = {"maker": "某厂", "model": "X-1", "category": "drone"}
    error = client.post("/api/v1/models", json=body).json()["error"]
    assert error["field"] == "category" and "类别" in error["message"]
    body = {"maker": "某厂", "model": "X-1", "category": "body_camera", "features": ["teleport"]}
    error = client.post("/api/v1/models", json=body).json()["error"]
    assert error["field"] == "features" and "功能" in error["message"]
