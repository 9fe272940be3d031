"""The activities API (第十条、第十二条、第十四条): the contract's keys, an officer entering their
own activity and explaining its interruption, the refusals in Chinese, and many at once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence import remote
from lawcam.evidence.ingest import IngestRequest
from lawcam.org import accounts
from lawcam.org.models import Account
from lawcam.web.app import create_app
from tests.api.conftest import login
from tests.api.test_api_custody import add_unit_staff
from tests.evidence_helpers import ingest, workstation_actor
from tests.factories import PASSWORD, Office
from tests.live import served
from tests.media import make_mp4

BASE = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)


def iso(seconds: int) -> str:
    return (BASE + timedelta(seconds=seconds)).isoformat()


def body(start: int = 0, end: int = 120, **changes: object) -> dict[str, object]:
    value: dict[str, object] = {
        "unit": "执法二处",
        "kind": "inspection",
        "place": "中山路 18 号",
        "arrived_at": iso(start),
        "ended_at": iso(end),
        "officers": ["T9002"],
        "announced": True,
    }
    value.update(changes)
    return value


@pytest.fixture
def tight(settings: Settings) -> Settings:
    return settings.model_copy(update={"activity_tolerance_s": 5})


@pytest.fixture
def spare(tight: Settings, database: Database, office: Office) -> TestClient:
    """执法二处's officer T9002 (u_spare), signed in."""
    client = TestClient(create_app(tight, database), raise_server_exceptions=False)
    client.headers["X-CSRF-Token"] = login(client, "u_spare")
    return client


def dock(database: Database, settings: Settings, office: Office, tmp_path: Path) -> list[int]:
    folder = tmp_path / "card" / "DCIM"
    folder.mkdir(parents=True)
    for index, (start, seconds) in enumerate([(0, 40), (60, 60)]):
        make_mp4(
            folder / f"V{index}.mp4",
            seconds=seconds,
            width=64,
            height=48,
            fps=2,
            audio=False,
            creation_time=BASE + timedelta(seconds=start),
        )
    report = ingest(
        database,
        settings,
        workstation_actor(office, database),
        folder.parent,
        officer_badge="T9002",
    )
    return sorted(r.recording_id for r in report.files if r.recording_id)


@pytest.mark.req("R10.1")
@pytest.mark.req("R10.2")
@pytest.mark.req("R14.1")
def test_an_officer_enters_an_activity_and_explains_its_gap(
    spare: TestClient, database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    ids = dock(database, tight, office, tmp_path)
    answer = spare.post("/api/v1/activities", json=body())
    assert answer.status_code == 201, answer.text
    shown = answer.json()
    # The keys DESIGN's wave-2 contract fixes for `activity show --json`.
    for key in (
        "id",
        "arrived_at",
        "ended_at",
        "coverage",
        "no_recording",
        "recordings",
        "upload_deadline",
        "late_recordings",
        "interruptions",
    ):
        assert key in shown
    assert shown["recordings"] == ids and shown["late_recordings"] == []
    assert shown["coverage"] == pytest.approx(100 / 120) and shown["no_recording"] is False
    [gap] = shown["interruptions"]
    assert {k: gap[k] for k in ("seq", "seconds", "explanation", "confirmed")} == {
        "seq": 1,
        "seconds": 20.0,
        "explanation": None,
        "confirmed": False,
    }
    assert datetime.fromisoformat(gap["from"]) == BASE + timedelta(seconds=40)
    assert datetime.fromisoformat(gap["to"]) == BASE + timedelta(seconds=60)
    url = f"/api/v1/activities/{shown['id']}/interruptions/1/explanation"
    both = spare.post(url, json={"voice_recording_id": ids[1], "cause": "battery"})
    assert both.status_code == 422 and "一种说明方式" in both.text
    done = spare.post(url, json={"cause": "battery", "text": "电池耗尽，换电池后继续。"})
    assert done.status_code == 200, done.text
    assert done.json()["interruptions"][0]["explanation"] == "written"
    assert done.json()["unexplained"] == 0
    again = spare.post(url, json={"cause": "battery", "text": "再说一次"})
    assert again.status_code == 409 and "已经说明过" in again.json()["error"]["message"]
    confirm = spare.post(f"/api/v1/activities/{shown['id']}/interruptions/1/confirmation")
    assert confirm.status_code == 403  # the device administrator confirms, not the officer
    listed = spare.get("/api/v1/activities", params={"unexplained": True}).json()
    assert listed["total"] == 0
    listed = spare.get("/api/v1/activities", params={"below_full": True}).json()
    assert [a["id"] for a in listed["items"]] == [shown["id"]]


@pytest.mark.req("R10.1")
@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"ended_at": iso(-60)}, 422, "结束时间须晚于到场时间"),
        ({"arrived_at": iso(86400 * 3), "ended_at": iso(86400 * 3 + 60)}, 422, "不能晚于现在"),
        ({"officers": ["T9001"]}, 403, "本人参加"),
        ({"officers": ["NOPE"]}, 422, "执法证号 NOPE"),
        ({"officers": ["T0000"]}, 422, "不是该单位"),
        ({"unit": "执法一处"}, 403, "本单位"),
        ({"unit": "不存在的处"}, 422, "没有名为"),
        ({"kind": "raid"}, 422, ""),
        ({"officers": []}, 422, ""),
        ({"zone": "没有的办案区"}, 422, "办案区"),
    ],
)
def test_bad_activities_get_a_chinese_answer_and_write_nothing(
    spare: TestClient, changes: dict[str, object], status: int, message: str
) -> None:
    answer = spare.post("/api/v1/activities", json=body(**changes))
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]["message"]
    assert spare.get("/api/v1/activities").json()["total"] == 0


@pytest.mark.req("R10.1")
def test_the_same_activity_twice_is_a_conflict(spare: TestClient) -> None:
    assert spare.post("/api/v1/activities", json=body()).status_code == 201
    twice = spare.post("/api/v1/activities", json=body())
    assert twice.status_code == 409 and "不能重复登记" in twice.json()["error"]["message"]


@pytest.mark.req("R10.1")
def test_many_enter_and_read_activities_at_once(
    tight: Settings, database: Database, office: Office
) -> None:
    """Eight sessions at once, each entering its own activities and reading the list and the
    detail: every answer in time, no error, and each activity entered exactly once."""
    failures: list[str] = []
    created: list[int] = []
    lock = threading.Lock()

    def work(base: str, index: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            answer = client.post(
                "/api/v1/auth/login", json={"username": "u_spare", "password": PASSWORD}
            )
            client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
            for round_ in range(3):
                start = -(index * 10 + round_) * 600
                made = client.post("/api/v1/activities", json=body(start, start + 300))
                listed = client.get("/api/v1/activities")
                late = client.get("/api/v1/late-uploads")
                if late.status_code != 200:
                    failures.append(f"late-uploads {late.status_code}")
                if made.status_code != 201 or listed.status_code != 200:
                    failures.append(f"{made.status_code} {listed.status_code} {made.text[:200]}")
                    continue
                url = f"/api/v1/activities/{made.json()['id']}"
                amended = client.patch(
                    url, json={"case_number": f"案-{index}-{round_}", "reason": "补录"}
                )
                if amended.status_code != 200:
                    failures.append(f"amend {amended.status_code} {amended.text[:200]}")
                shown = client.get(url)
                with lock:
                    created.append(made.json()["id"])
                if shown.status_code != 200:
                    failures.append(f"show {shown.status_code}")

    with served(create_app(tight, database)) as base:
        threads = [threading.Thread(target=work, args=(base, i)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert failures == []
    assert len(created) == len(set(created)) == 24


@pytest.mark.req("R10.1")
@pytest.mark.req("R14.1")
def test_a_workstation_upload_links_into_the_activity_it_was_made_in(
    spare: TestClient,
    tight: Settings,
    database: Database,
    office: Office,
    console: Actor,
    tmp_path: Path,
) -> None:
    """The activity is entered first; the card is uploaded through the resumable API later:
    each completed upload is linked to it (and coverage updated) as it arrives."""
    made = spare.post("/api/v1/activities", json=body(0, 60)).json()
    assert made["no_recording"] is True
    add_unit_staff(database, tight, console)
    with database.unit_of_work() as session:
        account_id = session.scalars(select(Account.id).where(Account.username == "u_admin2")).one()
        _, token = accounts.create_token(
            session=session, actor=console, account_id=account_id, name="二处工作站"
        )
    folder = tmp_path / "card" / "DCIM"
    folder.mkdir(parents=True)
    make_mp4(
        folder / "V.mp4", seconds=60, width=64, height=48, fps=2, audio=False, creation_time=BASE
    )
    station = TestClient(create_app(tight, database), raise_server_exceptions=False)
    station.headers["Authorization"] = f"Bearer {token}"
    request = IngestRequest(
        path=folder.parent, device_serial="T2-0001", workstation="远程工作站", officer_badge="T9002"
    )
    report = remote.upload_folder(
        server="http://testserver",
        token=token,
        request=request,
        progress=None,
        http=cast(httpx.Client, station),
    )
    [uploaded] = [f.recording_id for f in report.files]
    shown = spare.get(f"/api/v1/activities/{made['id']}").json()
    assert shown["recordings"] == [uploaded]
    assert (shown["coverage"], shown["no_recording"], shown["interruptions"]) == (1.0, False, [])


@pytest.mark.req("R10.1")
@pytest.mark.req("R14.1")
def test_an_amended_end_moves_coverage_and_deadline_and_keeps_the_old_facts(
    spare: TestClient, database: Database, tight: Settings, office: Office, tmp_path: Path
) -> None:
    dock(database, tight, office, tmp_path)  # clips 0–40 and 60–120
    made = spare.post("/api/v1/activities", json=body(0, 120)).json()
    assert len(made["interruptions"]) == 1
    url = f"/api/v1/activities/{made['id']}"
    assert spare.patch(url, json={"ended_at": iso(40)}).status_code == 422  # no reason
    answer = spare.patch(url, json={"ended_at": iso(40), "place": None, "reason": "结束时间录错"})
    assert answer.status_code == 200, answer.text
    amended = answer.json()
    assert datetime.fromisoformat(amended["ended_at"]) == BASE + timedelta(seconds=40)
    assert amended["place"] == "中山路 18 号"  # null changed nothing
    assert (amended["coverage"], amended["interruptions"]) == (1.0, [])
    assert datetime.fromisoformat(amended["upload_deadline"]) == BASE + timedelta(
        seconds=40, hours=24
    )
    with database.read() as session:
        entry = session.scalars(
            select(AuditEvent).where(AuditEvent.tag == "activity:activity:amend")
        ).one()
        before, after = json.loads(entry.before or "{}"), json.loads(entry.after or "{}")
        assert before["ended_at"] != after["ended_at"] and after["reason"] == "结束时间录错"
    bad = spare.patch(url, json={"ended_at": iso(-10), "reason": "x"})
    assert bad.status_code == 422 and "晚于到场" in bad.json()["error"]["message"]
