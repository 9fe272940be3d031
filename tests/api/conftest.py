from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.web.app import create_app
from tests.factories import PASSWORD, Office, build_office


@pytest.fixture
def office(database: Database, settings: Settings, console: Actor) -> Office:
    return build_office(database, settings, console)


@pytest.fixture
def app(settings: Settings, database: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, database)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Logs the client in through the API; returns the CSRF token for unsafe requests."""
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return str(response.json()["csrf_token"])
