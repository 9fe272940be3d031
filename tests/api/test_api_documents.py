"""A written report's scan through the API and the page (第十条): filed with the report in one
multipart request, shown to its filer and its unit's device administrator and head and to
nobody else (404, as for what does not exist), refused in Chinese when it is no PDF or image,
and many at once: readers in parallel, and one explanation when several race for it."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.documents.models import Document
from lawcam.web.app import create_app
from tests.api.conftest import login
from tests.api.test_api_activities import body, dock, spare, tight
from tests.api.test_api_custody import add_unit_staff
from tests.factories import PASSWORD, Office
from tests.live import served

__all__ = ["spare", "tight"]  # fixtures, used by name

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def gap(
    client: TestClient, database: Database, settings: Settings, office: Office, tmp_path: Path
) -> int:
    """An activity of T9002 whose two recordings leave 40–60 s uncovered (interruption 1)."""
    dock(database, settings, office, tmp_path)
    answer = client.post("/api/v1/activities", json=body())
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def file_report(
    client: httpx.Client | TestClient, activity_id: int, content: bytes, name: str = "说明.pdf"
) -> httpx.Response:
    return client.post(
        f"/api/v1/activities/{activity_id}/interruptions/1/written-report",
        data={"cause": "battery", "text": "电池耗尽，换电池后继续记录。"},
        files={"attachment": (name, content, "application/pdf")},
    )


def as_user(app_settings: Settings, database: Database, username: str) -> TestClient:
    client = TestClient(create_app(app_settings, database), raise_server_exceptions=False)
    client.headers["X-CSRF-Token"] = login(client, username)
    return client


@pytest.mark.req("R10.2")
def test_the_officer_files_a_scan_and_only_its_unit_reads_it(
    spare: TestClient,
    database: Database,
    tight: Settings,
    office: Office,
    console: Actor,
    tmp_path: Path,
) -> None:
    activity_id = gap(spare, database, tight, office, tmp_path)
    answer = file_report(spare, activity_id, PDF)
    assert answer.status_code == 200, answer.text
    [row] = answer.json()["interruptions"]
    assert row["explanation"] == "written" and row["cause"] == "battery"
    document = row["document"]
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert document["sm3"] == hashlib.new("sm3", PDF).hexdigest()
    assert (document["name"], document["media_type"], document["size"]) == (
        "说明.pdf",
        "application/pdf",
        len(PDF),
    )
    content = spare.get(document["content_url"])
    assert content.status_code == 200 and content.content == PDF
    assert content.headers["content-type"] == "application/pdf"
    assert content.headers["cache-control"] == "no-store"
    assert content.headers["x-content-type-options"] == "nosniff"
    assert spare.get(f"/api/v1/documents/{document['id']}").json()["sha256"] == document["sha256"]
    add_unit_staff(database, tight, console)
    for username in ("u_admin2", "u_head2"):
        reader = as_user(tight, database, username)
        assert reader.get(document["content_url"]).content == PDF, username
    for role in (Role.OFFICER, Role.DEVICE_ADMIN, Role.UNIT_HEAD, Role.AUDITOR, Role.ENGINEERING):
        outsider = as_user(tight, database, office.user(role))
        for url in (document["content_url"], f"/api/v1/documents/{document['id']}"):
            refused = outsider.get(url)
            assert refused.status_code == 404, (role, url, refused.status_code)
    missing = spare.get("/api/v1/documents/999999/content")
    assert missing.status_code == 404 and "附件不存在" in missing.json()["error"]["message"]


@pytest.mark.req("R10.2")
@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00 not a scan", "说明.pdf", "附件只能是"),
        (b"<html><script>alert(1)</script></html>", "page.png", "附件只能是"),
        (b"", "empty.pdf", "空文件"),
    ],
)
def test_a_bad_scan_gets_a_chinese_answer_and_files_nothing(
    spare: TestClient,
    database: Database,
    tight: Settings,
    office: Office,
    tmp_path: Path,
    content: bytes,
    name: str,
    message: str,
) -> None:
    activity_id = gap(spare, database, tight, office, tmp_path)
    answer = file_report(spare, activity_id, content, name)
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["error"]["message"]
    assert answer.json()["error"]["field"] == "attachment"
    shown = spare.get(f"/api/v1/activities/{activity_id}").json()
    assert shown["interruptions"][0]["explanation"] is None and shown["unexplained"] == 1
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0


@pytest.mark.req("R10.2")
def test_a_scan_over_the_limit_is_refused(
    database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    small = tight.model_copy(update={"document_max_bytes": 4096})
    client = as_user(small, database, "u_spare")
    activity_id = gap(client, database, small, office, tmp_path)
    answer = file_report(client, activity_id, b"%PDF-" + b"0" * 5000)
    assert answer.status_code == 422
    assert "附件超过 4 KB" in answer.json()["error"]["message"]


@pytest.mark.req("R10.2")
def test_the_page_files_a_report_with_its_scan(
    spare: TestClient, database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    activity_id = gap(spare, database, tight, office, tmp_path)
    page = spare.get(f"/activities/{activity_id}")
    assert 'enctype="multipart/form-data"' in page.text and 'name="attachment"' in page.text
    refused = spare.post(
        f"/activities/{activity_id}/interruptions/1/explanation",
        data={"how": "written", "cause": "battery", "text": "电池耗尽。"},
        files={"attachment": ("说明.pdf", b"not a pdf", "application/pdf")},
    )
    assert refused.status_code == 422 and "附件只能是" in refused.text
    assert "电池耗尽。" in refused.text  # what was typed is kept
    done = spare.post(
        f"/activities/{activity_id}/interruptions/1/explanation",
        data={"how": "written", "cause": "battery", "text": "电池耗尽。"},
        files={"attachment": ("说明.pdf", PDF, "application/pdf")},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "说明.pdf" in done.text
    assert "/api/v1/documents/" in done.text


@pytest.mark.req("R10.2")
def test_many_read_a_scan_at_once_and_one_report_wins_a_race(
    spare: TestClient, database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    """Six requests file a report for the same interruption at once: exactly one is filed and
    the others are told it is already explained; then eight readers fetch the scan at once."""
    activity_id = gap(spare, database, tight, office, tmp_path)
    statuses: list[int] = []
    contents: list[bytes] = []
    lock = threading.Lock()
    with served(create_app(tight, database)) as base:

        def client() -> httpx.Client:
            made = httpx.Client(base_url=base, timeout=60)
            answer = made.post(
                "/api/v1/auth/login", json={"username": "u_spare", "password": PASSWORD}
            )
            made.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
            return made

        def racer(index: int) -> None:
            made = client()
            answer = file_report(made, activity_id, PDF + str(index).encode())
            made.close()
            with lock:
                statuses.append(answer.status_code)

        def reader(url: str) -> None:
            made = client()
            for _ in range(4):
                got = made.get(url)
                with lock:
                    contents.append(got.content if got.status_code == 200 else b"")
            made.close()

        threads = [threading.Thread(target=racer, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [200, 409, 409, 409, 409, 409], statuses
        shown = spare.get(f"/api/v1/activities/{activity_id}").json()
        document = shown["interruptions"][0]["document"]
        threads = [
            threading.Thread(target=reader, args=(document["content_url"],)) for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(contents) == 32 and all(
        hashlib.sha256(c).hexdigest() == document["sha256"] for c in contents
    )
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1
