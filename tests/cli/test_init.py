"""``lawcam init``, the refusal of an uninitialised home, and ``lawcam serve``."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.request

import pytest

from lawcam.db.migrate import current_revision
from tests.cli.conftest import Cli


def test_init_json_is_idempotent(cli: Cli) -> None:
    first = cli.ok("init")
    second = cli.ok("init")
    assert first == second
    assert set(first) == {"home", "database", "revision", "storage", "audit_public_key"}
    assert first["home"] == str(cli.home.resolve())
    assert first["storage"] == (cli.home / "objects").resolve().as_uri()
    assert (cli.home / "objects").is_dir()
    assert re.fullmatch(r"[0-9a-f]{64}", first["audit_public_key"])
    signing_key = cli.home / "audit_signing_key.pem"
    assert stat.S_IMODE(signing_key.stat().st_mode) == 0o600
    database = cli.database()
    try:
        assert first["revision"] == current_revision(database.engine)
    finally:
        database.dispose()
    key = cli.home / "secret_key"
    if cli.settings().on_postgresql:  # the nodes' one configured key, none of the home's own
        assert not key.exists() and cli.settings().session_secret is not None
        return
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().strip() == cli.settings().secret_key


def test_init_hides_the_database_password(cli: Cli) -> None:
    shown = cli.ok("init")["database"]
    if cli.database_url and "@" in cli.database_url and ":" in cli.database_url.split("@")[0][11:]:
        assert "***" in shown


def test_init_without_json_speaks_chinese(cli: Cli) -> None:
    result = cli("init")
    assert result.exit_code == 0, result.stderr
    assert "已初始化数据目录" in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["unit", "list"],
        ["unit", "add", "--name", "执法一处", "--class", "many"],
        ["person", "list"],
        ["account", "list"],
        ["audit", "list"],
        ["serve", "--port", "1"],
    ],
)
def test_uninitialised_home_is_refused(cli: Cli, command: list[str]) -> None:
    error = cli.refused(*command)
    assert error == {"code": "not_initialised", "message": "尚未初始化，请先运行 lawcam init"}
    plain = cli(*command)
    assert plain.exit_code == 2
    assert "尚未初始化，请先运行 lawcam init" in plain.stderr
    assert plain.stdout == ""
    assert not (cli.home / "lawcam.db").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_the_login_page(cli: Cli) -> None:
    cli.ok("init")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("LAWCAM_HOME", "LAWCAM_DATABASE_URL")}
    if cli.database_url:
        env["LAWCAM_DATABASE_URL"] = cli.database_url
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lawcam.cli",
            "--home",
            str(cli.home),
            "serve",
            "--port",
            str(port),
            "--json",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90  # start-up on a loaded 2-core machine takes a while
        body = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                    assert r.status == 200
                    body = r.read().decode()
                    break
            except OSError:
                assert process.poll() is None, process.communicate()
                time.sleep(0.2)
        assert "登录" in body
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=15)
    document = json.loads(out.decode())
    assert document["url"] == f"http://127.0.0.1:{port}/"
