"""Disposal through the API (R14.3, R14.2): the dry run lists exactly what would go with each
recording's effective date; a batch is proposed by the unit's device administrator, approved by
the unit head and then engineering supervision, and run; every refusal of the issue's bad-input
list is a Chinese message and changes nothing; two approvals at once: exactly one wins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, or_, select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence.models import Disposition
from lawcam.org import accounts
from lawcam.org import service as org_service
from lawcam.retention.models import DisposalBatch
from lawcam.retention.types import RetentionEvent
from lawcam.storage import open_store
from lawcam.web.app import create_app
from tests.api.conftest import login
from tests.factories import PASSWORD
from tests.retention_scene import UNIT, Scene, build_scene

pytestmark = [pytest.mark.req("R14.3"), pytest.mark.req("R14.2")]

LONG_AGO = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)  # docked then: kept until 2025-03-01
# Usernames of the scene's people (执法二处) and the office's engineering supervision.
USERS = {"admin": "s_admin", "head": "s_head", "engineering": "u_engineering"}


def disposal_scene(database: Database, settings: Settings, console: Actor) -> Scene:
    """The retention scene on the app's own store, with accounts for 执法二处's device
    administrator and its head."""
    store = open_store(settings.resolved_storage_url)
    made = build_scene(database, settings, console, store, settings.home)
    with database.unit_of_work() as session:
        for key in ("admin", "head"):
            accounts.create_account(
                session=session, actor=console, settings=settings,
                person_id=made.people[key], username=USERS[key], password=PASSWORD,
                must_change=False,
            )  # fmt: skip
    return made


def client_of(settings: Settings, database: Database, who: str) -> TestClient:
    client = TestClient(create_app(settings, database), raise_server_exceptions=False)
    client.headers["X-CSRF-Token"] = login(client, USERS[who])
    return client


def clients(settings: Settings, database: Database) -> dict[str, TestClient]:
    return {who: client_of(settings, database, who) for who in USERS}


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor) -> Scene:
    return disposal_scene(database, settings, console)


@pytest.fixture
def users(settings: Settings, database: Database, scene: Scene) -> dict[str, TestClient]:
    return clients(settings, database)


# Audit entries of retention and evidence changes (a login is audited too: not counted).
CHANGES = or_(AuditEvent.tag.like("retention:%"), AuditEvent.tag.like("evidence:%"))


def state(database: Database) -> tuple[int, int, int]:
    """Batches, dispositions and audit entries: what a refused request must leave alone."""
    with database.read() as session:
        return (
            session.scalar(select(func.count(DisposalBatch.id))) or 0,
            session.scalar(select(func.count(Disposition.id))) or 0,
            session.scalar(select(func.count(AuditEvent.id)).where(CHANGES)) or 0,
        )


def make_head(scene: Scene, who: str) -> None:
    with scene.database.unit_of_work() as session:
        org_service.assign_role(
            session=session, actor=scene.console, person_id=scene.people[who], role=Role.UNIT_HEAD
        )


def refused(response: Any, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"], response.text


def test_a_batch_goes_from_the_dry_run_through_two_approvals_to_its_run(
    scene: Scene, users: dict[str, TestClient], tmp_path: Path
) -> None:
    old = scene.dock(tmp_path, count=3, at=LONG_AGO)
    [fresh] = scene.dock(tmp_path)
    admin, head, engineering = users["admin"], users["head"], users["engineering"]

    dry = admin.get("/api/v1/disposal/candidates")
    assert dry.status_code == 200, dry.text
    assert [c["recording_id"] for c in dry.json()] == old
    for candidate in dry.json():
        promised = scene.recording(candidate["recording_id"]).retain_until.isoformat()
        assert candidate["retain_until"] == candidate["promised"] == promised < "2026"
    assert fresh not in {c["recording_id"] for c in dry.json()}

    made = admin.post(
        "/api/v1/disposal-batches", json={"reason": "保存期限届满", "recording_ids": old[:2]}
    )
    assert made.status_code == 201, made.text
    batch = made.json()
    assert (batch["status"], batch["status_label"]) == ("proposed", "待单位负责人审批")
    assert [i["recording_id"] for i in batch["items"]] == old[:2]
    url = f"/api/v1/disposal-batches/{batch['id']}"
    assert head.post(f"{url}/approval").json()["status"] == "head_approved"
    assert engineering.get("/api/v1/disposal-batches").json()[0]["id"] == batch["id"]
    assert engineering.post(f"{url}/approval").json()["status"] == "approved"

    ran = admin.post(f"{url}/run")
    assert ran.status_code == 200, ran.text
    assert ran.json()["status"] == "done" and ran.json()["run_by"].startswith("二处管理员")
    assert [(i["outcome"], i["outcome_label"]) for i in ran.json()["items"]] == [
        ("disposed", "已销毁")
    ] * 2
    stored = {o.sha256 for o in scene.store.objects()}
    assert not {scene.recording(r).sha256 for r in old[:2]} & stored
    assert scene.recording(old[2]).sha256 in stored
    assert [c["recording_id"] for c in admin.get("/api/v1/disposal/candidates").json()] == old[2:]
    assert head.get(url).json()["items"][0]["outcome"] == "disposed"


def test_the_retention_report_through_the_api(
    scene: Scene, users: dict[str, TestClient], tmp_path: Path
) -> None:
    old = scene.dock(tmp_path, count=2, at=LONG_AGO)
    soon = scene.dock(tmp_path, count=1, at=datetime.now(UTC) - timedelta(days=711))
    expiring = users["engineering"].get("/api/v1/retention/expiring")
    assert expiring.status_code == 200, expiring.text
    [row] = expiring.json()["units"]
    assert row["unit"] == UNIT and expiring.json()["days"] == [30, 90, 365]
    assert row["overdue"] == {"count": 2, "size": sum(scene.recording(r).size for r in old)}
    assert row["within"]["30"]["count"] == 1 == row["within"]["365"]["count"]
    assert row["within"]["30"]["size"] == scene.recording(soon[0]).size
    storage = users["head"].get("/api/v1/retention/storage", params={"unit_id": scene.unit_id})
    assert storage.status_code == 200, storage.text
    used = sum(scene.recording(r).size for r in old + soon)
    assert storage.json()["total"]["used"] == used == storage.json()["units"][0]["recordings"]
    assert len(storage.json()["months"]) == 13
    other = scene.office.units["执法一处"]
    refused(
        users["head"].get("/api/v1/retention/storage", params={"unit_id": other}),
        404,
        "未找到该单位",
    )


def test_each_refusal_of_the_issue_is_chinese_and_changes_nothing(
    scene: Scene, users: dict[str, TestClient], tmp_path: Path
) -> None:
    old = scene.dock(tmp_path, count=5, at=LONG_AGO)
    [fresh] = scene.dock(tmp_path)
    open_case = scene.case(number="京执罚〔2026〕9号")
    scene.link(open_case, old[1])
    archived = scene.case(number="京执罚〔2023〕3号", term="10y", opened_on=LONG_AGO.date())
    scene.link(archived, old[2])
    scene.archive(archived, LONG_AGO.date() + timedelta(days=10))
    scene.hold([old[3]])
    admin, head = users["admin"], users["head"]
    before = state(scene.database)

    def propose(ids: list[int]) -> Any:
        return admin.post("/api/v1/disposal-batches", json={"reason": "到期", "recording_ids": ids})

    refused(propose([old[0], old[3]]), 409, f"资料 #{old[3]}：保全")
    refused(propose([old[1]]), 409, "案件 京执罚〔2026〕9号 未归档")
    refused(propose([old[2]]), 409, "保存期限至 2033")
    refused(propose([fresh]), 409, "尚未届满")
    refused(admin.post("/api/v1/disposal-batches", json={"reason": " "}), 422, "请填写理由")
    assert state(scene.database) == before

    batch = admin.post(
        "/api/v1/disposal-batches", json={"reason": "到期", "recording_ids": old[4:]}
    )
    assert batch.status_code == 201, batch.text
    url = f"/api/v1/disposal-batches/{batch.json()['id']}"
    before = state(scene.database)
    refused(admin.post(f"{url}/approval"), 403, "没有执行此操作的权限")
    refused(users["engineering"].post(f"{url}/approval"), 403, "须由单位负责人审批")
    refused(admin.post(f"{url}/run"), 409, "两级批准")
    refused(head.post(f"{url}/rejection", json={"reason": ""}), 422, "请填写理由")
    assert state(scene.database) == before
    make_head(scene, "admin")  # were the proposer also a unit head: still not their own
    before = state(scene.database)
    refused(admin.post(f"{url}/approval"), 403, "不能审批本人提出的销毁批次")
    assert state(scene.database) == before
    assert head.post(f"{url}/approval").status_code == 200
    before = state(scene.database)
    refused(head.post(f"{url}/approval"), 409, "不能重复审批")
    refused(head.post(f"{url}/rejection", json={"reason": "改主意"}), 409, "不能重复审批")
    assert state(scene.database) == before


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def go(index: int) -> None:
        barrier.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_two_approvals_of_one_batch_at_once_exactly_one_wins(
    scene: Scene, settings: Settings, database: Database, tmp_path: Path
) -> None:
    scene.dock(tmp_path, count=2, at=LONG_AGO)
    batch_id = scene.propose()
    url = f"/api/v1/disposal-batches/{batch_id}/approval"
    heads = [client_of(settings, database, "head") for _ in range(2)]  # a double click
    answers = at_once([lambda c=c: c.post(url) for c in heads])  # type: ignore[misc]
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    with database.read() as session:
        tag = str(RetentionEvent.DISPOSAL_APPROVED)
        stmt = select(func.count(AuditEvent.id)).where(AuditEvent.tag == tag)
        assert session.scalar(stmt) == 1
        batch = session.get(DisposalBatch, batch_id)
        assert batch is not None and batch.status == "head_approved"
