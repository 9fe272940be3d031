"""The legal-hold API (保全; R14.3, R15.1): placed on recordings with a reason by authorised
staff, seen in scope, released only when one asks with a reason and another approves; the
recording is kept without end while held. Refusals in Chinese, nothing changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from tests.api.retention_web import as_user, audit_count, web_scene
from tests.retention_scene import Scene

pytestmark = pytest.mark.req("R14.3")


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor) -> Scene:
    return web_scene(database, settings, console)


def refused(answer: Any, status: int, words: str) -> None:
    assert answer.status_code == status, answer.text
    assert words in answer.json()["error"]["message"], answer.text


def kept(client: TestClient, rid: int) -> Any:
    return client.get(f"/api/v1/recordings/{rid}").json()["retain_until"]


def test_a_hold_keeps_a_recording_until_another_approves_its_release(
    client: TestClient, scene: Scene, tmp_path: Path
) -> None:
    first, second = scene.dock(tmp_path, count=2)
    as_user(client, "u_r_admin")
    promised = kept(client, first)
    answer = client.post("/api/v1/holds", json={"recording_ids": [first, second],
                                                "reason": "当事人提起行政诉讼"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    placed = answer.json()
    assert [(h["recording_id"], h["live"]) for h in placed] == [(first, True), (second, True)]
    assert kept(client, first) is None  # held: kept without end
    hold_id = placed[0]["id"]
    listed = client.get("/api/v1/holds", params={"recording_id": first}).json()
    assert [h["id"] for h in listed] == [hold_id]
    url = f"/api/v1/holds/{hold_id}"
    refused(
        client.post(url + "/release-approval"), 403, ""
    )  # a device administrator never approves
    as_user(client, "u_r_head")
    refused(client.post(url + "/release-approval"), 409, "尚无解除保全的申请")
    answer = client.post(url + "/release-request", json={"reason": "诉讼已终结"})
    assert answer.json()["release_reason"] == "诉讼已终结"
    before = audit_count(scene.database)
    refused(client.post(url + "/release-approval"), 403, "不能审批本人提出的解除保全申请")
    refused(client.post(url + "/release-request", json={"reason": "再次"}), 409, "已申请解除")
    assert audit_count(scene.database) == before
    as_user(client, "u_engineering")  # engineering supervision: every unit's holds
    assert {h["id"] for h in client.get("/api/v1/holds").json()} == {h["id"] for h in placed}
    answer = client.post(url + "/release-approval")
    assert answer.status_code == 200, answer.text
    assert answer.json()["live"] is False
    refused(client.post(url + "/release-approval"), 409, "已解除")
    as_user(client, "u_r_admin")
    assert kept(client, first) == promised  # back to its promise, never shorter
    assert kept(client, second) is None  # still held
    released = client.get("/api/v1/holds", params={"live": False}).json()
    assert {h["id"]: h["live"] for h in released} == {placed[0]["id"]: False, placed[1]["id"]: True}


def test_bad_holds_are_refused_and_change_nothing(
    client: TestClient, scene: Scene, tmp_path: Path
) -> None:
    [rid] = scene.dock(tmp_path)
    before = audit_count(scene.database)
    as_user(client, "u_device_admin")  # 执法一处: 执法二处's recording is out of scope
    refused(client.post("/api/v1/holds", json={"recording_ids": [rid], "reason": "x"}), 404,
            "不在您的管辖范围内")  # fmt: skip
    assert client.get("/api/v1/holds").json() == []
    as_user(client, "u_r_head")
    refused(client.post("/api/v1/holds", json={"recording_ids": [rid], "reason": "  "}), 422,
            "请填写保全理由")  # fmt: skip
    refused(client.post("/api/v1/holds", json={"recording_ids": [rid, 999999], "reason": "诉讼"}),
            404, "资料 #999999 不存在")  # fmt: skip
    assert (
        client.post("/api/v1/holds", json={"recording_ids": [], "reason": "x"}).status_code == 422
    )
    refused(client.post("/api/v1/holds/999999/release-request", json={"reason": "x"}), 404,
            "保全记录不存在")  # fmt: skip
    assert client.get("/api/v1/holds").json() == []
    assert audit_count(scene.database) == before
    for username in ("u_officer", "u_auditor", "u_finance"):
        as_user(client, username)
        assert client.get("/api/v1/holds").status_code == 403
        refused(client.post("/api/v1/holds", json={"recording_ids": [rid], "reason": "x"}), 403, "")
