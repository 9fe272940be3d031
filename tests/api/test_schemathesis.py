"""Schemathesis against the application's own OpenAPI document (issue 13, deliver 6): every API
operation, as each of several roles, with generated valid and invalid inputs. Each answer must
not be a server error, must have a status the document declares for the operation, and must
match the schema declared for that status.

Bounded and deterministic: a fixed number of examples per operation and role, derandomized
(the same cases every run), no shrinking; every failure is collected and reported at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from lawcam.authz import Role
from lawcam.config import Settings
from tests.factories import PASSWORD, Office

ROLES = [Role.SYSADMIN, Role.DEVICE_ADMIN, Role.UNIT_HEAD, Role.AUDITOR, Role.OFFICER]
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Examples per operation and role; LAWCAM_SCHEMATHESIS_EXAMPLES raises it for a long hunt.
EXAMPLES = int(os.environ.get("LAWCAM_SCHEMATHESIS_EXAMPLES", "8"))
MODES = {GenerationMode.POSITIVE: EXAMPLES, GenerationMode.NEGATIVE: max(EXAMPLES // 2, 1)}
# Logging out or changing one's password would end the run's own session: tried last.
LAST = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/me/password")}


@pytest.fixture(name="settings")
def fuzz_settings(settings: Settings) -> Settings:
    """The fuzzer's failed logins all come from one source, and the roles log in again between
    operations: no login throttling here (tests/unit/org and tests/api test it)."""
    return settings.model_copy(update={"lockout_failures": 10**6, "login_source_failures": 10**6})


@pytest.fixture
def api(app) -> Iterator[asgi.ASGIClient]:  # type: ignore[no-untyped-def]
    with asgi.get_client(app) as client:
        yield client
    asgi.shutdown_lifespans()


def _log_in(client: asgi.ASGIClient, username: str) -> None:
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    body = {"username": username, "password": PASSWORD}
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]


def _operations(schema: Any) -> list[Any]:
    found = [result.ok() for result in schema.get_all_operations()]
    return sorted(found, key=lambda op: ((op.method.upper(), op.path) in LAST, op.path, op.method))


def _run(operation: Any, mode: GenerationMode, client: Any, failures: list[str]) -> None:
    @settings(
        max_examples=MODES[mode],
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        response = case.call(session=client)
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: {exc}")

    try:
        check()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # nothing to get wrong (no parameters, no body)


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_every_operation_answers_as_documented(
    app, api: asgi.ASGIClient, office: Office, role: Role
) -> None:  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    for operation in _operations(schema):
        for mode in MODES:
            _log_in(api, office.user(role))  # a case may have ended the session (logout)
            _run(operation, mode, api, failures)
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:20])
