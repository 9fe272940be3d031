"""Sessions across app nodes (DESIGN principle 5; issue 19): nodes that share a database sign
session cookies with one configured key (LAWCAM_SESSION_SECRET), so a login on one is valid on
another; each home's own key would log users out whenever a load balancer switched nodes, so on
PostgreSQL a node without the configured key refuses to start, in Chinese; a short key is refused
without echoing it. On SQLite and PostgreSQL (the suite's database)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from lawcam.config import Settings, load_settings
from lawcam.db import Database
from lawcam.errors import InvalidInput
from lawcam.web.app import create_app
from tests.api.conftest import login
from tests.factories import Office

KEY = "two-nodes-one-key-0123456789abcdefghijklmnop"


@contextmanager
def two_nodes(database: Database, tmp_path: Path, secret: str | None) -> Iterator[list[TestClient]]:
    """Two apps on one database, each with its own home (as on two machines)."""
    with ExitStack() as stack:
        clients = []
        for name in ("node-a", "node-b"):
            settings = Settings(home=tmp_path / name, database_url=database.url)
            settings.session_secret = None if secret is None else SecretStr(secret)
            client = TestClient(create_app(settings, database), raise_server_exceptions=False)
            clients.append(stack.enter_context(client))
        yield clients


def test_a_login_on_one_node_is_valid_on_the_other(
    database: Database, office: Office, tmp_path: Path
) -> None:
    with two_nodes(database, tmp_path, KEY) as (a, b):
        login(a, office.user("officer"))
        b.cookies.update(a.cookies)
        b.headers.update(a.headers)  # the CSRF token travels with the browser's page
        me = b.get("/api/v1/me").json()
        assert me["account_id"] == office.accounts["officer"] and "officer" in me["roles"]
        assert b.post("/api/v1/auth/logout").status_code in (200, 204)
        assert a.get("/api/v1/me").status_code == 401  # the session itself ended, on both


def test_each_home_s_own_key_would_log_users_out(
    database: Database, office: Office, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why the key must be configured: without it (SQLite allows it) each home makes its own."""
    monkeypatch.delenv("LAWCAM_SESSION_SECRET", raising=False)
    if database.url.startswith("postgresql"):
        with pytest.raises(InvalidInput, match="LAWCAM_SESSION_SECRET"):
            create_app(Settings(home=tmp_path / "node-a", database_url=database.url), database)
        return
    with two_nodes(database, tmp_path, None) as (a, b):
        login(a, office.user("officer"))
        b.cookies.update(a.cookies)
        assert a.get("/api/v1/me").status_code == 200
        assert b.get("/api/v1/me").status_code == 401


def test_a_postgresql_node_without_the_key_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAWCAM_SESSION_SECRET", raising=False)
    settings = Settings(home=tmp_path, database_url="postgresql://lawcam@127.0.0.1:1/none")
    with pytest.raises(InvalidInput, match="须配置会话密钥 LAWCAM_SESSION_SECRET"):
        create_app(settings)  # refused before any connection is tried
    assert not (tmp_path / "secret_key").exists()


def test_a_short_key_is_refused_without_showing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAWCAM_SESSION_SECRET", "tooshort-ABC")
    with pytest.raises(InvalidInput) as refused:
        load_settings()
    assert "LAWCAM_SESSION_SECRET" in str(refused.value) and "32" in str(refused.value)
    assert "tooshort-ABC" not in str(refused.value)
