"""Findings through the API (第十八条, R18.1): a finding recorded by hand with its documents
(multipart), seen by the person concerned, who makes a statement; the unit head decides, engineering
supervision reviews; the issue's bad input refused in Chinese with nothing written; a sweep; two
decisions at once (one wins)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.compliance.models import Finding, FindingDocument
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.documents.models import Document
from lawcam.timeutil import utcnow
from lawcam.web.app import create_app
from tests.api.test_api_access import user
from tests.factories import PASSWORD, Office
from tests.live import served

pytestmark = pytest.mark.req("R18.1")

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def record(client: TestClient, person_id: int, *files: tuple[str, bytes], clause: str = "二"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/findings",
        data={"person_id": str(person_id), "clause": clause, "summary": "群众投诉未出示执法证件"},
        files=[("attachment", (name, data)) for name, data in files],
    )


def counts(database: Database) -> tuple[int, int, int, int]:
    with database.read() as session:
        return (
            session.scalar(select(func.count()).select_from(Finding)) or 0,
            session.scalar(select(func.count()).select_from(FindingDocument)) or 0,
            session.scalar(select(func.count()).select_from(Document)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def error(answer: Any) -> str:
    return str(answer.json()["error"]["message"])


@pytest.fixture
def head(settings: Settings, database: Database, office: Office) -> TestClient:
    return user(settings, database, office.user("unit_head"))


@pytest.fixture
def officer(settings: Settings, database: Database, office: Office) -> TestClient:
    return user(settings, database, office.user("officer"))


@pytest.fixture
def engineer(settings: Settings, database: Database, office: Office) -> TestClient:
    return user(settings, database, office.user("engineering"))


def test_a_finding_recorded_with_documents_is_heard_decided_and_reviewed(
    head: TestClient, officer: TestClient, engineer: TestClient, office: Office
) -> None:
    made = record(head, office.people["officer"], ("投诉信.pdf", PDF), ("照片.png", PNG))
    assert made.status_code == 201, made.text
    finding = made.json()
    fid = finding["id"]
    assert finding["rule"] == "manual" and finding["article"] == "第十八条第（二）项"
    assert finding["status"] == "pending" and finding["statement_due"]
    assert [(d["name"], d["role"]) for d in finding["documents"]] == [
        ("投诉信.pdf", "evidence"),
        ("照片.png", "evidence"),
    ]
    mine = officer.get("/api/v1/findings", params={"person_id": office.people["officer"]})
    assert [f["id"] for f in mine.json()] == [fid]
    content = officer.get(finding["documents"][0]["content_url"])
    assert content.status_code == 200 and content.content == PDF
    assert engineer.get("/api/v1/findings", params={"rule": "manual"}).json()[0]["id"] == fid
    assert engineer.get("/api/v1/findings", params={"status": "confirmed"}).json() == []
    early = head.post(f"/api/v1/findings/{fid}/decision",
                      json={"confirm": False, "reason": "不属实"})  # fmt: skip
    assert early.status_code == 409 and "陈述申辩期限至" in error(early)
    by_head = head.post(f"/api/v1/findings/{fid}/statement", data={"text": "代为陈述"})
    assert by_head.status_code == 403 and "当事人本人" in error(by_head)
    said = officer.post(f"/api/v1/findings/{fid}/statement", data={"text": "当时已出示证件"},
                        files=[("attachment", ("说明.pdf", PDF))])  # fmt: skip
    assert said.status_code == 200, said.text
    assert said.json()["statement"] == "当时已出示证件"
    assert [d["role"] for d in said.json()["documents"]] == ["evidence", "evidence", "statement"]
    decided = head.post(f"/api/v1/findings/{fid}/decision",
                        json={"confirm": True, "reason": "执法记录显示未出示", "measure": "通报批评"})  # fmt: skip
    assert decided.status_code == 200 and decided.json()["status"] == "confirmed"
    assert decided.json()["measure"] == "通报批评"
    by_head = head.post(f"/api/v1/findings/{fid}/review", json={"overturn": True, "reason": "x"})
    assert by_head.status_code == 403
    upheld = engineer.post(f"/api/v1/findings/{fid}/review",
                           json={"overturn": False, "reason": "认定正确"})  # fmt: skip
    assert upheld.status_code == 200 and upheld.json()["status"] == "confirmed"
    assert upheld.json()["reviewed_by"] and upheld.json()["review_reason"] == "认定正确"
    assert officer.get(f"/api/v1/findings/{fid}").json()["status_label"] == "已认定"


def test_the_bad_input_of_the_issue_is_refused_in_chinese_with_nothing_written(
    head: TestClient,
    officer: TestClient,
    engineer: TestClient,
    office: Office,
    database: Database,
    settings: Settings,
) -> None:
    settings.document_max_bytes = 1024
    small = user(settings, database, office.user("unit_head"))  # a login: an audit entry
    before = counts(database)
    wrong = record(head, office.people["officer"], ("投诉信.pdf", PDF), ("病毒.pdf", b"MZ\x90\x00"))
    assert wrong.status_code == 422 and "附件只能是" in error(wrong)
    big = record(small, office.people["officer"], ("扫描.pdf", PDF + b"0" * 2000))
    assert big.status_code == 422 and "附件超过" in error(big)
    outside = record(head, office.people["other_unit_officer"])
    assert outside.status_code == 404 and "不在您的管辖范围内" in error(outside)
    assert counts(database) == before  # nothing half-written: no finding, link, document, entry
    fid = record(head, office.people["officer"]).json()["id"]
    officer.post(f"/api/v1/findings/{fid}/statement", data={"text": "已出示证件"})
    body = {"confirm": False, "reason": "证据不足"}
    assert head.post(f"/api/v1/findings/{fid}/decision", json=body).status_code == 200
    twice = head.post(f"/api/v1/findings/{fid}/decision", json=body)
    assert twice.status_code == 409 and "不予认定，不能再作出决定" in error(twice)
    after = officer.post(f"/api/v1/findings/{fid}/statement", data={"text": "补充"})
    assert after.status_code == 409 and "不能再陈述申辩" in error(after)
    late_id = record(head, office.people["officer"]).json()["id"]
    with database.unit_of_work() as session:
        late = session.get(Finding, late_id)
        assert late is not None
        late.statement_due = utcnow() - timedelta(minutes=1)  # its seven days gone by
    late_said = officer.post(f"/api/v1/findings/{late_id}/statement", data={"text": "迟到的陈述"})
    assert late_said.status_code == 409 and "届满" in error(late_said)
    about_head = record(engineer, office.people["unit_head"], clause="六").json()["id"]
    with database.unit_of_work() as session:
        own = session.get(Finding, about_head)
        assert own is not None
        own.statement_due = utcnow() - timedelta(minutes=1)
    self_decided = head.post(f"/api/v1/findings/{about_head}/decision", json=body)
    assert self_decided.status_code == 403 and "关于本人" in error(self_decided)
    hidden = officer.get(f"/api/v1/findings/{about_head}")
    assert hidden.status_code == 404  # someone else's finding is not there for an officer


def test_a_sweep_by_engineering_supervision_answers_the_contract(
    engineer: TestClient, officer: TestClient
) -> None:
    swept = engineer.post("/api/v1/findings/sweep")
    assert swept.status_code == 200 and swept.json() == {"new": 0, "findings": []}
    assert officer.post("/api/v1/findings/sweep").status_code == 403


def test_two_decisions_at_once_one_wins(
    database: Database, settings: Settings, office: Office, head: TestClient, officer: TestClient
) -> None:
    fid = record(head, office.people["officer"]).json()["id"]
    officer.post(f"/api/v1/findings/{fid}/statement", data={"text": "已出示证件"})
    statuses: list[int] = []
    lock = threading.Lock()
    with served(create_app(settings, database)) as base:

        def decide(confirm: bool) -> None:
            made = httpx.Client(base_url=base, timeout=60)
            answer = made.post("/api/v1/auth/login",
                               json={"username": office.user("unit_head"), "password": PASSWORD})  # fmt: skip
            made.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
            body = {"confirm": confirm, "reason": "同时决定", "measure": "谈话提醒"}
            got = made.post(f"/api/v1/findings/{fid}/decision", json=body)
            made.close()
            with lock:
                statuses.append(got.status_code)

        threads = [threading.Thread(target=decide, args=(i % 2 == 0,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    with database.read() as session:
        tags = list(
            session.scalars(
                select(AuditEvent.tag).where(
                    AuditEvent.subject_type == "finding", AuditEvent.subject_id == str(fid)
                )
            )
        )
    assert tags.count("compliance:finding:decide") == 1
