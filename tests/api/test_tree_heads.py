"""Signed tree heads at intervals while the server runs, and the API's proofs."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from lawcam.audit import log, merkle
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.web import tree_heads
from lawcam.web.app import create_app
from tests.api.conftest import login
from tests.factories import Office

pytestmark = [pytest.mark.req("R15.1"), pytest.mark.req("R18.1")]


def _interval_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("lawcam-tree-heads")]


def test_the_server_signs_heads_at_intervals_and_stops_with_it(
    settings: Settings, database: Database, office: Office
) -> None:
    settings.tree_head_minutes = 60
    app = create_app(settings, database)
    with TestClient(app):
        assert len(_interval_threads()) == 1
        tree_heads._sign_now(app)  # what the thread does at each interval
        with database.read() as session:
            head = log.latest_head(session)
            assert head is not None and head.size == log.log_size(session)
        tree_heads._sign_now(app)  # nothing new in the log: the same head stands
        with database.read() as session:
            assert log.latest_head(session).id == head.id  # type: ignore[union-attr]
    assert _interval_threads() == []


def test_no_interval_thread_when_switched_off(settings: Settings, database: Database) -> None:
    settings.tree_head_minutes = 0
    with TestClient(create_app(settings, database)):
        assert _interval_threads() == []


def test_api_proofs_verify_against_the_api_head(client: TestClient, office: Office) -> None:
    login(client, office.user("auditor"))
    head = client.get("/api/v1/audit/sth").json()
    size = head["size"]
    proof = client.get("/api/v1/audit/proof", params={"leaf": size // 2, "size": size}).json()
    merkle.verify_inclusion(
        proof["leaf_index"],
        proof["tree_size"],
        bytes.fromhex(proof["leaf_hash"]),
        [bytes.fromhex(h) for h in proof["path"]],
        bytes.fromhex(head["root"]),
    )
    older = client.get("/api/v1/audit/consistency", params={"from": 3, "to": size}).json()
    assert older["from"] == 3 and older["to"] == size
    merkle.verify_consistency(
        3,
        size,
        bytes.fromhex(older["first_root"]),
        bytes.fromhex(head["root"]),
        [bytes.fromhex(h) for h in older["path"]],
    )
    key = client.get("/api/v1/audit/public-key").json()
    assert key["public_key"] == head["public_key"] and key["pem"].startswith(
        "-----BEGIN PUBLIC KEY"
    )


def test_api_proof_bad_input_is_a_chinese_error(client: TestClient, office: Office) -> None:
    login(client, office.user("auditor"))
    too_far = client.get("/api/v1/audit/proof", params={"leaf": 10**9})
    assert too_far.status_code == 422
    assert "叶序号" in too_far.json()["error"]["message"]
    backwards = client.get("/api/v1/audit/consistency", params={"from": 5, "to": 2})
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "invalid_input"
