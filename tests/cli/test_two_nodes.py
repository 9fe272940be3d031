"""Two app nodes (issue 19): two real ``lawcam serve`` processes, each with its own home and so
its own signing key, on one database (PostgreSQL; on SQLite one file both open), one SeaweedFS
bucket, one session key and one upload spool. A client alternating between them: a login on
one is valid on the other; an upload opened and half sent on one is sent on and completed on
the other (which read the spool and put it in S3); the recording is seen through both; each
signs a tree head with its own registered key; and ``lawcam verify`` is clean from either home."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from lawcam.authz import console_actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.org import accounts
from lawcam.org.models import Account
from tests.api.test_api_custody import add_unit_staff
from tests.cli.conftest import app
from tests.factories import PASSWORD, build_office
from tests.live import free_port
from tests.media import make_mp4, pad_mdat
from tests.seaweed import Seaweed, start_seaweed

SECRET = "two-nodes-session-secret-" + "k" * 24  # LAWCAM_SESSION_SECRET: the same on both
ADMIN = "u_admin2"  # 执法二处's device administrator: reads its recordings, owns the token
AUDITOR = "u_auditor"


@dataclass
class Node:
    name: str
    home: Path
    env: dict[str, str]
    log: Path
    base: str = ""
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)


def lawcam(node: Node, *args: str) -> Any:
    """A command on this node's home (in process), with --json: its document."""
    env: dict[str, str | None] = {**node.env, "LAWCAM_HOME": None}
    result = CliRunner().invoke(app, ["--home", str(node.home), *args, "--json"], env=env)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


def shared_env(tmp_path: Path, database_url: str, seaweed: Seaweed, bucket: str) -> dict[str, str]:
    return {
        "LAWCAM_DATABASE_URL": database_url,
        "LAWCAM_STORAGE_URL": f"s3://{bucket}?endpoint={seaweed.endpoint}&region=us-east-1",
        "LAWCAM_S3_ACCESS_KEY": seaweed.access_key,
        "LAWCAM_S3_SECRET_KEY": seaweed.secret_key,
        "LAWCAM_SESSION_SECRET": SECRET,
        "LAWCAM_UPLOAD_SPOOL_DIR": str(tmp_path / "shared" / "uploads"),
    }


def start(node: Node) -> None:
    node.base = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, **node.env, "LAWCAM_HOME": str(node.home)}
    command = [sys.executable, "-m", "lawcam.cli", "serve", "--port", node.base.rsplit(":", 1)[1]]
    with node.log.open("wb") as log:  # a file, not a pipe: the access log never fills it up
        node.process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log
        )


def wait_for(node: Node) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert node.process is not None and node.process.poll() is None, node.log.read_text()
        try:
            if httpx.get(f"{node.base}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"node {node.name} did not answer within 60 s")


def stop(node: Node) -> None:
    if node.process is None or node.process.poll() is not None:
        return
    node.process.send_signal(signal.SIGTERM)
    try:
        node.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        node.process.kill()
        node.process.wait()


def workstation_token(node: Node) -> str:
    """The office (units, accounts, 执法二处's device T2-0001) and a workstation token of its
    device administrator, written straight into the shared database."""
    settings = Settings(home=node.home, database_url=node.env["LAWCAM_DATABASE_URL"])
    database = Database(settings.resolved_database_url)
    console = console_actor("tester")
    try:
        build_office(database, settings, console)
        add_unit_staff(database, settings, console)
        with database.unit_of_work() as session:
            account = session.scalars(select(Account.id).where(Account.username == ADMIN)).one()
            _, plain = accounts.create_token(
                session=session, actor=console, account_id=account, name="二处工作站"
            )
    finally:
        database.dispose()
    return plain


def log_in(client: httpx.Client, node: Node, username: str) -> str:
    r = client.post(
        f"{node.base}/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


def upload_across(station: httpx.Client, a: Node, b: Node, clip: Path, spool: Path) -> Any:
    """Opened and half sent on A; the rest sent to and completed on B: B's result."""
    data = clip.read_bytes()
    run = station.post(
        f"{a.base}/api/v1/ingest-runs", json={"device": "T2-0001", "workstation": "远程工作站"}
    )
    assert run.status_code == 201, run.text
    body = {
        "run_id": run.json()["id"],
        "name": f"DCIM/{clip.name}",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "sm3": hashlib.new("sm3", data).hexdigest(),
        "mtime": datetime.fromtimestamp(clip.stat().st_mtime, UTC).isoformat(),
    }
    opened = station.post(f"{a.base}/api/v1/uploads", json=body)
    assert opened.status_code == 201, opened.text
    path = f"/api/v1/uploads/{opened.json()['id']}"
    half = len(data) // 2
    r = station.put(f"{a.base}{path}", params={"offset": 0}, content=data[:half])
    assert r.status_code == 200 and r.json() == {"offset": half}, r.text
    assert (spool / f"{opened.json()['id']}.part").stat().st_size == half
    # B knows where A stopped (the spool is shared) and refuses a piece at any other offset.
    assert station.get(f"{b.base}{path}").json()["offset"] == half
    r = station.put(f"{b.base}{path}", params={"offset": 0}, content=data[:10])
    assert r.status_code == 409 and r.json()["error"]["offset"] == half, r.text
    r = station.put(f"{b.base}{path}", params={"offset": half}, content=data[half:])
    assert r.status_code == 200 and r.json() == {"offset": len(data)}, r.text
    done = station.post(f"{b.base}{path}/complete")
    assert done.status_code == 200, done.text
    result = done.json()
    assert result["status"] == "ingested", result
    assert (result["sha256"], result["sm3"], result["size"]) == (
        body["sha256"],
        body["sm3"],
        len(data),
    )
    state = station.get(f"{a.base}{path}").json()  # A sees it done too
    assert (state["status"], state["recording_id"]) == ("done", result["recording_id"])
    return result


@pytest.mark.req("R15.1", "R14.1")
def test_two_nodes_share_logins_uploads_and_the_log(
    database_url: str | None, tmp_path: Path
) -> None:
    (tmp_path / "seaweed").mkdir()
    (tmp_path / "shared").mkdir()
    seaweed = start_seaweed(tmp_path / "seaweed")
    nodes: list[Node] = []
    try:
        # On SQLite both nodes open one file (SQLite allows several processes).
        url = database_url or f"sqlite:///{tmp_path / 'shared' / 'lawcam.db'}"
        bucket = f"lawcam-{uuid.uuid4().hex[:16]}"
        env = shared_env(tmp_path, url, seaweed, bucket)
        nodes = [Node(n, tmp_path / f"home-{n}", env, tmp_path / f"serve-{n}.log") for n in "ab"]
        a, b = nodes
        for node in nodes:
            lawcam(node, "init")
            lawcam(node, "audit", "key", "register")
        token = workstation_token(a)
        for node in nodes:
            start(node)
        for node in nodes:
            wait_for(node)
        spool = Path(env["LAWCAM_UPLOAD_SPOOL_DIR"])
        headers = {"Authorization": f"Bearer {token}"}
        with (
            httpx.Client(timeout=30) as person,
            httpx.Client(timeout=30, headers=headers) as station,
            httpx.Client(timeout=30) as auditor,
        ):
            # A login on A; the same cookie on B is the same session.
            csrf = log_in(person, a, ADMIN)
            me = person.get(f"{b.base}/api/v1/me")
            assert me.status_code == 200, me.text
            assert me.json()["csrf_token"] == csrf and "device_admin" in me.json()["roles"]

            now = datetime.now(UTC)
            clip = pad_mdat(make_mp4(tmp_path / "clip.mp4", creation_time=now), 200_000)
            result = upload_across(station, a, b, clip, spool)
            assert not list(spool.glob("*.part"))  # the spool copy is gone
            found = seaweed.store(bucket).stat(result["sha256"])
            assert found is not None and found.size == clip.stat().st_size
            for node in nodes:  # the recording, through either node
                r = person.get(f"{node.base}/api/v1/recordings/{result['recording_id']}")
                assert r.status_code == 200, r.text
                assert (r.json()["sha256"], r.json()["sm3"]) == (result["sha256"], result["sm3"])

            # Each node signs a head of the grown log with its own key.
            log_in(auditor, a, AUDITOR)
            keys = [
                auditor.get(f"{node.base}/api/v1/audit/public-key").json()["public_key"]
                for node in nodes
            ]
            assert keys[0] != keys[1]
            head_a = auditor.get(f"{a.base}/api/v1/audit/sth").json()
            # A write through B (the log grows): a logout, with the CSRF token A gave; the
            # session is over on A too.
            out = person.post(f"{b.base}/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
            assert out.status_code == 204, out.text
            assert person.get(f"{a.base}/api/v1/me").status_code == 401
            head_b = auditor.get(f"{b.base}/api/v1/audit/sth").json()
            assert (head_a["public_key"], head_b["public_key"]) == tuple(keys)
            assert head_b["size"] > head_a["size"] > 0
        for node in nodes:
            stop(node)
            assert "Traceback" not in node.log.read_text(errors="replace"), node.log.read_text()
        for node in nodes:  # heads of both keys, the object in S3: clean from either home
            checked = lawcam(node, "verify")
            assert checked["ok"] and not checked["problems"], checked
            assert checked["objects_checked"] == 1
    finally:
        for node in nodes:
            stop(node)
        seaweed.stop()
