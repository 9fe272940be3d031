"""Access by approval (第十五条; R15.2): a request from another unit's officer goes by the rule
to the head of the unit that collected the recordings; approved, the original plays by HTTP
Range byte for byte, each viewing session is audited with the ranges served; after expiry or
revocation the same request is refused (404, as for what does not exist) and the refusal is
recorded; the rule's refusals are Chinese; and many at once."""

from __future__ import annotations

import hashlib
import io
import subprocess
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lawcam.access.models import AccessRequest, ViewSession
from lawcam.access.types import AccessEvent
from lawcam.activities import service as activity_service
from lawcam.activities.types import ActivityKind
from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence.models import Recording
from lawcam.storage import address
from lawcam.timeutil import utcnow
from lawcam.web.app import create_app
from tests.api.conftest import login
from tests.api.test_api_custody import add_unit_staff
from tests.evidence_helpers import ingest, workstation_actor
from tests.factories import PASSWORD, Office
from tests.live import served
from tests.media import make_mp4
from tests.unit.evidence.test_viewing import make_avi

CASE = "人防罚〔2026〕7 号"


def user(settings: Settings, database: Database, username: str) -> TestClient:
    client = TestClient(create_app(settings, database), raise_server_exceptions=False)
    client.headers["X-CSRF-Token"] = login(client, username)
    return client


@pytest.fixture
def scene(
    database: Database, settings: Settings, office: Office, console: Actor, tmp_path: Path
) -> list[int]:
    """Two clips of 执法二处's officer T9001, linked to an activity under a case number."""
    add_unit_staff(database, settings, console)
    card = tmp_path / "card" / "DCIM"
    card.mkdir(parents=True)
    start = (utcnow() - timedelta(hours=3)).replace(microsecond=0)
    for n in range(2):
        make_mp4(card / f"V{n}.mp4", seconds=2, width=64, height=48, fps=4, audio=False,
                 creation_time=start + timedelta(seconds=n * 3))  # fmt: skip
    report = ingest(
        database, settings, workstation_actor(office, database), card.parent, officer_badge="T9001"
    )
    ids = sorted(r.recording_id for r in report.files if r.recording_id)
    with database.unit_of_work() as session:
        activity_service.add_activity(
            session=session,
            actor=console,
            settings=settings,
            data=activity_service.data_named(
                session,
                unit="执法二处",
                officers=["T9001"],
                kind=ActivityKind.INSPECTION,
                place="解放路 9 号",
                arrived_at=start,
                ended_at=start + timedelta(seconds=5),
                case_number=CASE,
            ),
        )
    return ids


def events(database: Database, tag: AccessEvent) -> list[AuditEvent]:
    with database.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.tag == str(tag))))


@pytest.mark.req("R15.2")
def test_another_units_officer_asks_the_collecting_head_plays_by_range_and_is_refused_after(
    database: Database, settings: Settings, office: Office, scene: list[int]
) -> None:
    officer = user(settings, database, office.user(Role.OFFICER))  # 执法一处's officer
    first = scene[0]
    # The recording itself is not theirs to name: 404, no hint that it exists.
    hidden = officer.post(
        "/api/v1/access-requests", json={"recording_ids": [first], "action": "view", "purpose": "x"}
    )
    assert hidden.status_code == 404 and "不存在" in hidden.json()["error"]["message"]
    # The case they work on is: its recordings go to the head of 执法二处, which collected them.
    asked = officer.post("/api/v1/access-requests",
                         json={"case_number": CASE, "action": "view", "purpose": "办理该案", "days": 2})  # fmt: skip
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert (request["status"], request["approver"], request["recording_ids"]) == (
        "pending",
        "unit_head",
        scene,
    )
    assert officer.get(f"/api/v1/recordings/{first}/content").status_code == 404  # not yet
    own_head = user(settings, database, office.user(Role.UNIT_HEAD))  # 执法一处's head: not theirs
    assert (
        own_head.post(
            f"/api/v1/access-requests/{request['id']}/decision", json={"approve": True}
        ).status_code
        == 404
    )
    head = user(settings, database, "u_head2")
    assert (
        head.get("/api/v1/access-requests", params={"to_decide": True}).json()[0]["id"]
        == request["id"]
    )
    rejected_without_reason = head.post(
        f"/api/v1/access-requests/{request['id']}/decision", json={"approve": False}
    )
    assert rejected_without_reason.status_code == 422 and "理由" in rejected_without_reason.text
    approved = head.post(
        f"/api/v1/access-requests/{request['id']}/decision",
        json={"approve": True, "reason": "同意"},
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = head.post(f"/api/v1/access-requests/{request['id']}/decision", json={"approve": True})
    assert again.status_code == 409

    with database.read() as session:
        recording = session.get(Recording, first)
        assert recording is not None
        original = (settings.home / "objects" / address(recording.sha256)).read_bytes()
    part = officer.get(f"/api/v1/recordings/{first}/content", headers={"Range": "bytes=10-99"})
    assert part.status_code == 206 and part.content == original[10:100]
    assert part.headers["content-range"] == f"bytes 10-99/{len(original)}"
    assert part.headers["cache-control"] == "no-store"
    tail = officer.get(f"/api/v1/recordings/{first}/content", headers={"Range": "bytes=100-"})
    assert tail.content == original[100:]
    whole = officer.get(f"/api/v1/recordings/{first}/content")
    assert (
        whole.status_code == 200 and hashlib.sha256(whole.content).hexdigest() == recording.sha256
    )
    past = officer.get(
        f"/api/v1/recordings/{first}/content", headers={"Range": f"bytes={len(original) + 5}-"}
    )
    assert past.status_code == 416
    # A view grant does not download.
    assert (
        officer.get(f"/api/v1/recordings/{first}/content", params={"download": True}).status_code
        == 404
    )
    with database.read() as session:
        [view] = session.scalars(select(ViewSession)).all()
        assert view.ranges == [[0, len(original)]] and view.viewer_id == office.people["officer"]
    assert len(events(database, AccessEvent.VIEWED)) == 1  # one session, not one entry per range

    with database.unit_of_work() as session:  # the grant's days have passed
        grant = session.get(AccessRequest, request["id"])
        assert grant is not None
        grant.expires_at = utcnow() - timedelta(minutes=1)
    late = officer.get(f"/api/v1/recordings/{first}/content")
    nowhere = officer.get("/api/v1/recordings/999999/content")
    assert late.status_code == nowhere.status_code == 404
    assert late.json()["error"] == nowhere.json()["error"]  # an expired grant looks like nothing
    refusals = [e.entry for e in events(database, AccessEvent.REFUSED)]
    assert any('"refusal":"expired"' in e for e in refusals) and any(
        '"refusal":"not_allowed"' in e for e in refusals
    )


@pytest.mark.req("R15.2")
def test_the_rule_sends_provision_and_a_heads_own_request_to_the_office_leader(
    database: Database, settings: Settings, office: Office, scene: list[int]
) -> None:
    head = user(settings, database, "u_head2")
    own = head.post(
        "/api/v1/access-requests",
        json={"recording_ids": scene, "action": "view", "purpose": "复查"},
    )
    assert own.status_code == 201 and own.json()["approver"] == "office_leader"
    admin = user(settings, database, "u_admin2")
    bare = admin.post(
        "/api/v1/access-requests",
        json={"recording_ids": scene, "action": "provide", "purpose": "移送"},
    )
    assert bare.status_code == 422 and "接收人" in bare.json()["error"]["message"]
    outside = admin.post("/api/v1/access-requests", json={
        "recording_ids": scene, "action": "provide", "purpose": "移送公安机关",
        "recipient": "王警官", "recipient_org": "市公安局某分局"})  # fmt: skip
    assert outside.status_code == 201 and outside.json()["approver"] == "office_leader"
    assert (
        head.post(
            f"/api/v1/access-requests/{own.json()['id']}/decision", json={"approve": True}
        ).status_code
        == 403
    )
    leader = user(settings, database, office.user(Role.OFFICE_LEADER))
    for made in (own, outside):
        decided = leader.post(
            f"/api/v1/access-requests/{made.json()['id']}/decision", json={"approve": True}
        )
        assert decided.status_code == 200, decided.text
    revoked = leader.post(
        f"/api/v1/access-requests/{outside.json()['id']}/revocation", json={"reason": "案件已撤回"}
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    refused = admin.get(f"/api/v1/recordings/{scene[0]}/content", params={"download": True})
    assert refused.status_code == 404
    for role in (Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR):  # 三员 neither request nor approve
        separated = user(settings, database, office.user(role))
        assert (
            separated.post(
                "/api/v1/access-requests",
                json={"case_number": CASE, "action": "view", "purpose": "x"},
            ).status_code
            == 403
        )
    too_many = admin.post(
        "/api/v1/access-requests",
        json={"recording_ids": list(range(1, 1002)), "action": "view", "purpose": "x"},
    )
    assert too_many.status_code == 422


@pytest.mark.req("R15.2")
def test_many_view_at_once_under_one_grant(
    database: Database, settings: Settings, office: Office, scene: list[int]
) -> None:
    """Eight viewers' sessions at once read ranges of the same original: every byte right, one
    viewing session per viewer and recording, and the approver's list answers meanwhile."""
    officer = user(settings, database, office.user(Role.OFFICER))
    made = officer.post(
        "/api/v1/access-requests", json={"case_number": CASE, "action": "view", "purpose": "并发"}
    )
    user(settings, database, "u_head2").post(
        f"/api/v1/access-requests/{made.json()['id']}/decision", json={"approve": True}
    )
    with database.read() as session:
        sha = session.get(Recording, scene[1]).sha256  # type: ignore[union-attr]
    original = (settings.home / "objects" / address(sha)).read_bytes()
    failures: list[str] = []
    with served(create_app(settings, database)) as base:

        def viewer(index: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                client.post(
                    "/api/v1/auth/login",
                    json={"username": office.user(Role.OFFICER), "password": PASSWORD},
                )
                for n in range(5):
                    start = (index * 97 + n * 31) % (len(original) - 50)
                    got = client.get(
                        f"/api/v1/recordings/{scene[1]}/content",
                        headers={"Range": f"bytes={start}-{start + 49}"},
                    )
                    if got.status_code != 206 or got.content != original[start : start + 50]:
                        failures.append(f"{got.status_code} at {start}")

        threads = [threading.Thread(target=viewer, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    with database.read() as session:
        views = session.scalars(
            select(ViewSession).where(ViewSession.recording_id == scene[1])
        ).all()
        requests = session.scalars(select(AccessRequest)).all()
    assert len(requests) == 1 and len(views) >= 1


@pytest.mark.req("R15.2")
def test_an_approved_provision_downloads_as_a_package_that_verifies_offline(
    database: Database, settings: Settings, office: Office, scene: list[int], tmp_path: Path
) -> None:
    admin = user(settings, database, "u_admin2")
    body = {"recording_ids": scene, "action": "provide", "purpose": "移送公安机关",
            "recipient": "王警官", "recipient_org": "市公安局某分局"}  # fmt: skip
    made = admin.post("/api/v1/access-requests", json=body).json()
    url = f"/api/v1/access-requests/{made['id']}/package"
    assert admin.get(url).status_code == 409  # not approved yet
    leader = user(settings, database, office.user(Role.OFFICE_LEADER))
    assert (
        leader.post(
            f"/api/v1/access-requests/{made['id']}/decision", json={"approve": True}
        ).status_code
        == 200
    )
    assert leader.get(url).status_code in (404, 409)  # the approver is not the requester
    got = admin.get(url)
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert int(got.headers["content-length"]) == len(got.content)
    folder = tmp_path / "package"
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        archive.extractall(folder)
    checked = subprocess.run(
        ["/usr/bin/python3", "-I", "-S", str(folder / "verify_package.py"), str(folder)],
        capture_output=True, text=True, env={}, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert len(events(database, AccessEvent.PACKAGED)) == 1


@pytest.mark.req("R15.2")
def test_the_auditor_lists_who_saw_what_under_which_approval(
    database: Database, settings: Settings, office: Office, scene: list[int]
) -> None:
    officer = user(settings, database, office.user(Role.OFFICER))
    asked = officer.post(
        "/api/v1/access-requests", json={"case_number": CASE, "action": "view", "purpose": "核对"}
    )
    assert asked.status_code == 201, asked.text
    made = asked.json()
    user(settings, database, "u_head2").post(
        f"/api/v1/access-requests/{made['id']}/decision", json={"approve": True}
    )
    officer.get(f"/api/v1/recordings/{scene[0]}/content", headers={"Range": "bytes=0-99"})
    officer.get(f"/api/v1/recordings/{scene[0]}/content", params={"download": True})  # refused
    auditor = user(settings, database, office.user(Role.AUDITOR))
    page = auditor.get("/audit/access")
    assert page.status_code == 200
    assert f"#{made['id']}" in page.text and "本次查看共传送 100 字节" in page.text
    assert "被拒绝" in page.text and "授权不含此用途（欲下载）" in page.text
    refused_only = auditor.get("/audit/access", params={"refused": "1"})
    assert "本次查看" not in refused_only.text and "授权不含此用途" in refused_only.text
    bad = auditor.get("/audit/access", params={"from": "2026-12-09", "to": "2026-12-01"})
    assert bad.status_code == 422 and "起始日期" in bad.text
    sheet = auditor.get("/audit/access.xlsx")
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    rows = list(
        openpyxl.load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True)
    )
    assert rows[0][:4] == ("审计序号", "时间", "人员", "用途") and len(rows) == 3
    assert officer.get("/audit/access").status_code == 403


@pytest.mark.req("R15.2")
def test_a_request_left_undecided_past_its_days_cannot_be_approved(
    database: Database, settings: Settings, office: Office, scene: list[int]
) -> None:
    officer = user(settings, database, office.user(Role.OFFICER))
    body = {"case_number": CASE, "action": "view", "purpose": "核对", "days": 1}
    made = officer.post("/api/v1/access-requests", json=body).json()
    with database.unit_of_work() as session:
        row = session.get(AccessRequest, made["id"])
        assert row is not None
        row.requested_at = utcnow() - timedelta(days=2)
    head = user(settings, database, "u_head2")
    lapsed = head.post(f"/api/v1/access-requests/{made['id']}/decision", json={"approve": True})
    assert lapsed.status_code == 409 and "已失效" in lapsed.json()["error"]["message"]
    assert officer.get(f"/api/v1/access-requests/{made['id']}").json()["status"] == "pending"


@pytest.mark.req("R15.2")
def test_a_format_the_browser_cannot_play_is_watched_through_a_derived_copy(
    database: Database, settings: Settings, office: Office, console: Actor, tmp_path: Path
) -> None:
    """An MPEG-4 Part 2 AVI (older body cameras): the player offers to make a viewing copy, the
    copy plays under the same grant marked as derived, and downloads stay the original."""
    add_unit_staff(database, settings, console)
    card = tmp_path / "avi" / "DCIM"
    card.mkdir(parents=True)
    make_avi(card / "OLD0001.AVI", seconds=1.0)
    report = ingest(
        database, settings, workstation_actor(office, database), card.parent, officer_badge="T9001"
    )
    [recording_id] = [r.recording_id for r in report.files if r.recording_id]
    admin = user(settings, database, "u_admin2")
    made = admin.post(
        "/api/v1/access-requests",
        json={"recording_ids": [recording_id], "action": "download", "purpose": "复核"},
    ).json()
    user(settings, database, "u_head2").post(
        f"/api/v1/access-requests/{made['id']}/decision", json={"approve": True}
    )
    page = admin.get(f"/recordings/{recording_id}/play")
    assert page.status_code == 200 and "制作播放副本" in page.text
    assert (
        admin.get(
            f"/api/v1/recordings/{recording_id}/content", params={"copy": "viewing"}
        ).status_code
        == 404
    )
    done = admin.post(f"/recordings/{recording_id}/copy", follow_redirects=True)
    assert done.status_code == 200 and "播放副本" in done.text and "?copy=viewing" in done.text
    copy = admin.get(f"/api/v1/recordings/{recording_id}/content", params={"copy": "viewing"})
    assert copy.status_code == 200 and copy.headers["x-viewing-copy"] == "derived"
    assert copy.headers["x-content-sha256"] == hashlib.sha256(copy.content).hexdigest()
    with database.read() as session:
        original = session.get(Recording, recording_id)
        assert original is not None
    assert (
        copy.headers["x-derived-from-sha256"] == original.sha256 != copy.headers["x-content-sha256"]
    )
    both = admin.get(
        f"/api/v1/recordings/{recording_id}/content", params={"copy": "viewing", "download": True}
    )
    assert both.status_code == 422
    whole = admin.get(f"/api/v1/recordings/{recording_id}/content", params={"download": True})
    assert hashlib.sha256(whole.content).hexdigest() == original.sha256
