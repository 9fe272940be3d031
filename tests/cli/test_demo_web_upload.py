"""``lawcam demo`` shows the web workstation (第十四条): one browser upload of a recorder that is
out now, completed through the resumable upload path, and a second file left half sent, which
the device administrator's 上传资料 page lists as unfinished with the bytes received."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from lawcam.evidence.models import IngestRun, Recording, Upload
from lawcam.web.app import create_app
from tests.cli.conftest import Cli


def cli_logins(stdout: str) -> list[dict[str, str]]:
    return [x for x in json.loads(stdout)["logins"] if x["role"] == "执法记录仪管理员"]


@pytest.mark.req("R14.1")
def test_demo_has_a_browser_upload_and_an_unfinished_one(cli: Cli) -> None:
    result = cli("demo", "--no-serve", "--json")
    assert result.exit_code == 0, result.stderr
    database = cli.database()
    try:
        with database.read() as session:
            [run] = session.scalars(
                select(IngestRun).where(IngestRun.workstation.like("网页工作站%"))
            ).all()
            by_status = {u.status: u for u in session.scalars(select(Upload))}
            done = session.get(Recording, by_status["done"].recording_id)
            assert done is not None and done.officer_source == "custody"
            unfinished = by_status["open"]
    finally:
        database.dispose()
    assert set(by_status) == {"done", "open"}
    username = run.started_by.rsplit("(", 1)[1].rstrip(")")  # the device administrator's
    assert username in {login["username"] for login in cli_logins(result.stdout)}

    app = create_app(cli.settings(), cli.database())
    with TestClient(app) as client:
        login = client.post(
            "/api/v1/auth/login", json={"username": username, "password": "Demo@2026"}
        )
        assert login.status_code == 200, login.text
        page = client.get("/ingest")
    assert page.status_code == 200
    assert unfinished.name in page.text
    assert f"{unfinished.size // 2:,} / {unfinished.size:,} 字节" in page.text
