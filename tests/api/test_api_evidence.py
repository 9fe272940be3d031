"""The recordings API (issue 5, Art. 14, 15): who sees which recording (the permission lives in
the query: a list never shows what a detail refuses), the filters (unit, officer, device,
Shanghai days, flagged, late), corrections beside the untouched original, no route that deletes
or alters a recording, and the remote workstation's resumable upload driven by the real client
(``remote.upload_folder``) against the app: stored, then all duplicates; continued from the
server's offset; refused when the digests disagree; a traversal name kept only as a label."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.custody import service as custody
from lawcam.custody.types import CheckLimits, CheckoutIn, PreUseCheck
from lawcam.db import Database
from lawcam.equipment import service as equipment
from lawcam.equipment.types import DeviceIn, DeviceStatus
from lawcam.evidence import remote
from lawcam.evidence.ingest import IngestRequest
from lawcam.evidence.models import Correction, IngestRun, Recording, Sighting, Upload
from lawcam.evidence.timing import add_years
from lawcam.org import accounts
from lawcam.org import service as org
from lawcam.org.models import Account
from lawcam.org.types import UnitIn
from lawcam.storage import open_store
from lawcam.timeutil import SHANGHAI
from tests.api.test_api_custody import add_unit_staff, as_user, count
from tests.evidence_helpers import ingest
from tests.factories import PASSWORD, Office
from tests.media import make_mp4, make_wav, pad_mdat

SUB_UNIT = "执法二处一科"  # under 执法二处: its administrator and head see it too
OFFICER_USER = "u_t9001"  # the account of 二处执法员 (T9001)
# 三员 and the supervising divisions: no recording:view at all.
NO_RECORDING_VIEW = [
    Role.SYSADMIN,
    Role.SECADMIN,
    Role.AUDITOR,
    Role.ENGINEERING,
    Role.FINANCE,
    Role.ICT,
]


@dataclass
class Evidence:
    """Four recordings: three of 执法二处 (one in its sub-unit) and one of 执法一处."""

    office: Office
    custody: int  # T2-0001 in T9001's custody: officer from the ledger, not flagged, on time
    old: int  # T2-0001, 00:30 Shanghai five days ago: late, no officer (flagged)
    sub: int  # T2-0002 of 执法二处一科, two hours ago: no officer (flagged), on time
    one: int  # T1-0001 of 执法一处, three hours ago
    old_day: date  # the Shanghai day of ``old`` (the UTC day before)
    sub_unit: int
    sub_device: int
    t9001: int  # 二处执法员's person id

    def ids(self) -> dict[str, int]:
        return {"custody": self.custody, "old": self.old, "sub": self.sub, "one": self.one}


def add_device(session: Any, console: Actor, serial: str, unit: str) -> int:
    device = equipment.create_device(
        session=session,
        actor=console,
        data=DeviceIn(
            serial=serial,
            asset_no=f"ZC-{serial}",
            model="TEST-BC1",
            unit=unit,
            price=Decimal("3280.00"),
            need="现场执法全过程记录",
            status=DeviceStatus.IN_SERVICE,
        ),
    )
    return int(device.id)


def officer_account(database: Database, settings: Settings, console: Actor, office: Office) -> None:
    with database.unit_of_work() as session:
        accounts.create_account(
            session=session,
            actor=console,
            settings=settings,
            person_id=office.people["other_unit_officer"],
            username=OFFICER_USER,
            password=PASSWORD,
            must_change=False,
        )


def build_evidence(
    database: Database, settings: Settings, console: Actor, office: Office, root: Path
) -> Evidence:
    """The office's 执法二处 staff, a sub-unit with a device, 执法一处's device, T2-0001 checked
    out to T9001, and four files ingested by the console through the real ingest path."""
    add_unit_staff(database, settings, console)
    officer_account(database, settings, console, office)
    with database.unit_of_work() as session:
        sub_unit = org.create_unit(
            session=session, actor=console, data=UnitIn(name=SUB_UNIT, parent="执法二处")
        ).id
        sub_device = add_device(session, console, "T2-0002", SUB_UNIT)
        add_device(session, console, "T1-0001", "执法一处")
        custody.checkout(
            session=session,
            actor=console,
            data=CheckoutIn("T2-0001", "T9001", PreUseCheck(95, 20, 1)),
            limits=CheckLimits(),
        )
    now = datetime.now(UTC)
    old_day = now.astimezone(SHANGHAI).date() - timedelta(days=5)
    old_start = datetime.combine(old_day, time(0, 30), SHANGHAI)  # the UTC day before
    card = root / "t2"
    (card / "DCIM").mkdir(parents=True)
    # Made after the checkout: the mvhd box keeps whole seconds, so a minute ahead (within
    # the probe's tolerance for a fast clock) is safely inside the custody period.
    make_mp4(card / "DCIM" / "custody.mp4", creation_time=now + timedelta(seconds=60))
    make_mp4(card / "DCIM" / "old.mp4", creation_time=old_start, seconds=2.0)
    first = ingest(database, settings, console, card)
    sub_card, one_card = root / "t2b", root / "t1"
    sub_card.mkdir()
    one_card.mkdir()
    make_mp4(sub_card / "sub.mp4", creation_time=now - timedelta(hours=2), width=160, height=120)
    make_mp4(one_card / "one.mp4", creation_time=now - timedelta(hours=3), width=176, height=144)
    sub = ingest(database, settings, console, sub_card, serial="T2-0002")
    one = ingest(database, settings, console, one_card, serial="T1-0001")
    by_name = {r.path: r.recording_id for r in [*first.files, *sub.files, *one.files]}
    assert None not in by_name.values(), [r.as_dict() for r in first.files]
    return Evidence(
        office=office,
        custody=cast(int, by_name["DCIM/custody.mp4"]),
        old=cast(int, by_name["DCIM/old.mp4"]),
        sub=cast(int, by_name["sub.mp4"]),
        one=cast(int, by_name["one.mp4"]),
        old_day=old_day,
        sub_unit=sub_unit,
        sub_device=sub_device,
        t9001=office.people["other_unit_officer"],
    )


@pytest.fixture
def evidence(
    office: Office, database: Database, settings: Settings, console: Actor, tmp_path: Path
) -> Evidence:
    return build_evidence(database, settings, console, office, tmp_path)


def listed(client: TestClient, **params: object) -> set[int]:
    r = client.get("/api/v1/recordings", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return {item["id"] for item in body["items"]}


# Scope (R15.2: facts only for those entitled; 404 for what the caller may not see) -----------


@pytest.mark.req("R14.1", "R15.2")
def test_each_role_sees_only_its_recordings(client: TestClient, evidence: Evidence) -> None:
    e = evidence
    unit2 = {e.custody, e.old, e.sub}
    visible = {
        "u_admin2": unit2,  # 执法二处's device administrator: the unit and its sub-unit
        "u_head2": unit2,  # 执法二处's head
        OFFICER_USER: {e.custody},  # made while T2-0001 was in T9001's custody
        "u_spare": set(),  # an officer of 执法二处 who held no device
        "u_device_admin": {e.one},  # 执法一处
        "u_unit_head": {e.one},
        "u_officer": set(),  # 执法一处's officer held no device
    }
    everything = set(e.ids().values())
    for username, expected in visible.items():
        as_user(client, username)
        assert listed(client) == expected, username
        for recording_id in everything:
            r = client.get(f"/api/v1/recordings/{recording_id}")
            if recording_id in expected:
                assert r.status_code == 200, (username, r.text)
                assert r.json()["id"] == recording_id
            else:
                assert r.status_code == 404, (username, recording_id, r.text)
                assert r.json()["error"]["message"] == "资料不存在，或您无权查看。"
    # 三员 and the supervising divisions have no recording:view at all.
    for role in NO_RECORDING_VIEW:
        as_user(client, e.office.user(role))
        r = client.get("/api/v1/recordings")
        assert r.status_code == 403, (role, r.text)
        assert r.json()["error"]["code"] == "forbidden"
        for recording_id in everything:
            assert client.get(f"/api/v1/recordings/{recording_id}").status_code == 404, role


@pytest.mark.req("R14.1", "R15.2")
def test_detail_facts(client: TestClient, evidence: Evidence, settings: Settings) -> None:
    as_user(client, OFFICER_USER)
    r = client.get(f"/api/v1/recordings/{evidence.custody}")
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["officer_id"], d["officer_source"]) == (evidence.t9001, "custody")
    assert d["flagged"] is False and d["problems"] == [] and d["uploaded_late"] is False
    assert d["kind"] == "video" and d["start_source"] == "container"
    assert d["original_name"] == "custody.mp4"
    assert len(d["sha256"]) == len(d["sm3"]) == 64
    stored = open_store(settings.resolved_storage_url).stat(d["sha256"])
    assert stored is not None and stored.size == d["size"]
    assert [s["source_path"] for s in d["sightings"]] == ["DCIM/custody.mp4"]
    assert d["corrections"] == []
    start = datetime.fromisoformat(d["start_at"])
    assert datetime.fromisoformat(d["upload_deadline"]) == datetime.fromisoformat(
        d["end_at"]
    ) + timedelta(hours=24)
    # R14.2: two calendar years from the recording day in Shanghai, never less than from the
    # ingest day (the same day here, unless the clip was made just before midnight).
    ingested = datetime.fromisoformat(d["ingested_at"])
    kept = max(add_years(moment.astimezone(SHANGHAI).date(), 2) for moment in (start, ingested))
    assert date.fromisoformat(d["retain_until"]) == kept

    as_user(client, "u_admin2")
    old = client.get(f"/api/v1/recordings/{evidence.old}").json()
    assert old["uploaded_late"] is True and old["flagged"] is True
    assert old["officer_id"] is None and old["officer_source"] == "unknown"
    assert [p["code"] for p in old["problems"]] == ["officer_unknown"]
    assert old["unit_id"] == evidence.office.units["执法二处"]
    sub = client.get(f"/api/v1/recordings/{evidence.sub}").json()
    assert sub["unit_id"] == evidence.sub_unit and sub["device_id"] == evidence.sub_device


# Filters --------------------------------------------------------------------------------------


@pytest.mark.req("R14.1")
def test_filters_narrow(client: TestClient, evidence: Evidence) -> None:
    e = evidence
    as_user(client, "u_admin2")
    assert listed(client) == {e.custody, e.old, e.sub}
    assert listed(client, unit_id=e.sub_unit) == {e.sub}
    assert listed(client, unit_id=e.office.units["执法二处"]) == {e.custody, e.old}
    assert listed(client, unit_id=e.office.units["执法一处"]) == set()  # not widened by a filter
    assert listed(client, officer_id=e.t9001) == {e.custody}
    assert listed(client, device_id=e.sub_device) == {e.sub}
    assert listed(client, device_id=e.office.equipment["device"]) == {e.custody, e.old}
    # Shanghai days: ``old`` began at 00:30 Beijing time, still the day before in UTC.
    day = e.old_day
    assert listed(client, date_from=day, date_to=day) == {e.old}
    assert listed(client, date_to=day - timedelta(days=1)) == set()
    assert listed(client, date_from=day + timedelta(days=1)) == {e.custody, e.sub}
    assert listed(client, date_to=day) == {e.old}
    assert listed(client, flagged="true") == {e.old, e.sub}
    assert listed(client, flagged="false") == {e.custody}
    assert listed(client, late="true") == {e.old}
    assert listed(client, late="false") == {e.custody, e.sub}
    assert listed(client, late="true", flagged="true", unit_id=e.sub_unit) == set()
    # Newest first, and a page of one still counts them all.
    r = client.get("/api/v1/recordings", params={"limit": 1})
    assert r.json()["total"] == 3 and [i["id"] for i in r.json()["items"]] == [e.custody]
    r = client.get("/api/v1/recordings", params={"date_from": "昨天"})
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "字段“date_from”格式不正确。"


# Corrections (R15.1: beside the original, never over it) -------------------------------------


def row(database: Database, recording_id: int) -> dict[str, Any]:
    with database.read() as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None
        return {c.name: getattr(recording, c.name) for c in Recording.__table__.columns}


@pytest.mark.req("R15.1")
def test_correction_beside_the_original(
    client: TestClient, evidence: Evidence, database: Database
) -> None:
    url = f"/api/v1/recordings/{evidence.custody}"
    before = row(database, evidence.custody)
    as_user(client, "u_admin2")
    r = client.post(
        f"{url}/corrections",
        json={"field": "officer", "value": " T9002 ", "reason": "交接后由备用人员录制"},
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["field"], made["value"], made["reason"]) == (
        "officer",
        "T9002",
        "交接后由备用人员录制",
    )
    assert "u_admin2" in made["corrected_by"]
    r = client.post(
        f"{url}/corrections",
        json={"field": "start_at", "value": "2026-11-30T08:00:00+08:00", "reason": "设备时钟错"},
    )
    assert r.status_code == 201, r.text
    detail = client.get(url).json()
    assert [c["field"] for c in detail["corrections"]] == ["officer", "start_at"]
    assert detail["officer_id"] == evidence.t9001  # the original stays
    assert row(database, evidence.custody) == before

    # Refused in Chinese, nothing written: no reason, a bad time, an unknown officer.
    audit, corrections = count(database, AuditEvent), count(database, Correction)
    for body, status, message in [
        ({"field": "note", "value": "补记", "reason": "  "}, 422, "更正必须说明理由。"),
        ({"field": "note", "value": "补记", "reason": ""}, 422, "更正必须说明理由。"),
        ({"field": "start_at", "value": "昨天", "reason": "x"}, 422, "开始时间格式应为"),
        ({"field": "start_at", "value": "2026-11-30T08:00", "reason": "x"}, 422, "须带时区"),
        ({"field": "officer", "value": "NOPE-1", "reason": "x"}, 422, "NOPE-1"),
        ({"field": "sha256", "value": "0" * 64, "reason": "x"}, 422, "更正项"),
    ]:
        r = client.post(f"{url}/corrections", json=body)
        assert r.status_code == status, (body, r.text)
        assert message in r.json()["error"]["message"], (body, r.text)
    assert (count(database, AuditEvent), count(database, Correction)) == (audit, corrections)
    # An officer may not correct; another unit's administrator does not see the recording.
    note = {"field": "note", "value": "补记", "reason": "补记"}
    for username, status in [(OFFICER_USER, 403), ("u_device_admin", 404)]:
        as_user(client, username)  # a login is audited: count after it
        audit = count(database, AuditEvent)
        assert client.post(f"{url}/corrections", json=note).status_code == status
        assert (count(database, AuditEvent), count(database, Correction)) == (audit, corrections)
    assert row(database, evidence.custody) == before


@pytest.mark.req("R15.1")
def test_no_route_deletes_or_alters_a_recording(
    client: TestClient, evidence: Evidence, app: Any, database: Database
) -> None:
    for route in app.routes:
        path = getattr(route, "path", "")
        if "recording" in path:
            methods = set(getattr(route, "methods", set()))
            assert methods <= {"GET", "HEAD", "POST"}, (path, methods)
            if "POST" in methods:
                assert path.endswith("/corrections"), path
    before = row(database, evidence.custody)
    as_user(client, "u_admin2")
    url = f"/api/v1/recordings/{evidence.custody}"
    for method in ["DELETE", "PATCH", "PUT"]:
        r = client.request(method, url, json={"sha256": "0" * 64})
        assert r.status_code in (404, 405), (method, r.status_code)
        r = client.request(method, f"/recordings/{evidence.custody}")
        assert r.status_code in (404, 405), (method, r.status_code)
    assert client.delete("/api/v1/recordings").status_code in (404, 405)
    assert client.post(f"/recordings/{evidence.custody}/delete").status_code in (404, 405)
    assert row(database, evidence.custody) == before


# Remote workstations (R14.1): the real client against the app ---------------------------------


class Recorder:
    """The test client as the remote client sees it, noting each piece it sends."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.headers = client.headers
        self.pieces: list[tuple[int, int]] = []  # (offset, length) of every PUT

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if method == "PUT":
            self.pieces.append((int(kwargs["params"]["offset"]), len(kwargs["content"])))
        response: httpx.Response = self.client.request(method, path, **kwargs)
        return response


@pytest.fixture
def workstation(office: Office, database: Database, settings: Settings, console: Actor) -> str:
    """执法二处's device administrator's API token (plain), for a remote workstation."""
    add_unit_staff(database, settings, console)
    with database.unit_of_work() as session:
        account_id = session.scalars(select(Account.id).where(Account.username == "u_admin2")).one()
        _, plain = accounts.create_token(
            session=session, actor=console, account_id=account_id, name="二处工作站"
        )
    return plain


def as_admin(client: TestClient) -> None:
    """The workstation's token only uploads (issue 13): its administrator reads the results."""
    client.headers.pop("Authorization", None)
    as_user(client, "u_admin2")


def upload_folder(client: TestClient | Recorder, token: str, folder: Path) -> dict[str, Any]:
    report = remote.upload_folder(
        server="http://testserver",
        token=token,
        request=IngestRequest(path=folder, device_serial="T2-0001", workstation="远程工作站"),
        progress=None,
        http=cast(httpx.Client, client),
    )
    return report.as_dict()


def digests(data: bytes) -> tuple[str, str]:
    return hashlib.sha256(data).hexdigest(), hashlib.new("sm3", data).hexdigest()


def bearer(client: TestClient, token: str) -> None:
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    client.headers["Authorization"] = f"Bearer {token}"


@pytest.mark.req("R14.1", "R15.1")
def test_remote_upload_then_all_duplicates(
    client: TestClient, workstation: str, database: Database, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    (folder / "DCIM").mkdir(parents=True)
    make_mp4(folder / "DCIM" / "a.mp4", creation_time=datetime.now(UTC) - timedelta(minutes=5))
    make_wav(folder / "DCIM" / "b.wav")
    (folder / "DCIM" / "c.mp4").symlink_to(folder / "DCIM" / "a.mp4")  # refused, not followed
    names = ["DCIM/a.mp4", "DCIM/b.wav"]
    first = upload_folder(client, workstation, folder)
    assert (first["ingested"], first["duplicates"], first["refused"]) == (2, 0, 1), first
    store = open_store(settings.resolved_storage_url)
    for result, name in zip(first["files"], names, strict=False):
        data = (folder / name).read_bytes()
        assert result["path"] == name and result["status"] == "ingested"
        assert (result["sha256"], result["sm3"]) == digests(data)
        stored = store.stat(result["sha256"])
        assert stored is not None and stored.size == len(data)
        with store.open(result["sha256"]) as handle:
            assert handle.read() == data
    refused = first["files"][2]
    assert (refused["path"], refused["status"], refused["recording_id"]) == (
        "DCIM/c.mp4",
        "refused",
        None,
    )
    assert [p["code"] for p in refused["problems"]] == ["symlink"]
    assert first["bytes"] == sum((folder / n).stat().st_size for n in names)
    assert len(list(store.objects())) == 2
    as_admin(client)
    ids = listed(client)
    assert ids == {f["recording_id"] for f in first["files"][:2]}
    detail = client.get(f"/api/v1/recordings/{first['files'][0]['recording_id']}").json()
    assert detail["workstation"] == "远程工作站" and detail["original_name"] == "a.mp4"
    assert not list(settings.upload_spool.glob("*.part"))  # the spool copies are gone
    with database.read() as session:  # the refusal is audited on the server
        refusals = session.scalars(
            select(AuditEvent).where(AuditEvent.tag == "evidence:file:refuse")
        ).all()
    assert len(refusals) == 1

    counts = count(database, Recording), count(database, Sighting), count(database, Upload)
    second = upload_folder(client, workstation, folder)
    assert (second["ingested"], second["duplicates"], second["refused"]) == (0, 2, 1), second
    assert [f["recording_id"] for f in second["files"]] == [
        f["recording_id"] for f in first["files"]
    ]
    assert second["bytes"] == 0
    assert (count(database, Recording), count(database, Sighting), count(database, Upload)) == (
        counts
    )
    as_admin(client)
    assert listed(client) == ids
    assert len(list(store.objects())) == 2


@dataclass
class HalfSent:
    url: str  # the upload's
    data: bytes
    half: int


def open_run(client: TestClient) -> int:
    r = client.post("/api/v1/ingest-runs", json={"device": "T2-0001", "workstation": "远程工作站"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def half_sent(client: TestClient, clip: Path) -> HalfSent:
    """An upload of ``clip`` opened through the API, its first half sent, then cut off."""
    data = clip.read_bytes()
    sha256, sm3 = digests(data)
    body = {
        "run_id": open_run(client),
        "name": clip.name,
        "size": len(data),
        "sha256": sha256,
        "sm3": sm3,
        "mtime": datetime.fromtimestamp(clip.stat().st_mtime, UTC).isoformat(),
    }
    opened = client.post("/api/v1/uploads", json=body)
    assert opened.status_code == 201, opened.text
    assert (opened.json()["status"], opened.json()["offset"]) == ("open", 0)
    url = f"/api/v1/uploads/{opened.json()['id']}"
    half = len(data) // 2
    r = client.put(url, params={"offset": 0}, content=data[:half])
    assert r.status_code == 200 and r.json() == {"offset": half}, r.text
    return HalfSent(url, data, half)


@pytest.mark.req("R14.1")
def test_a_piece_at_the_wrong_offset_is_refused(
    client: TestClient, workstation: str, database: Database, tmp_path: Path
) -> None:
    bearer(client, workstation)
    sent = half_sent(client, make_mp4(tmp_path / "long.mp4"))
    url, data, half = sent.url, sent.data, sent.half
    audit = count(database, AuditEvent)
    # 409, and the error says where to continue.
    for wrong in [0, half - 1, half + 1]:
        r = client.put(url, params={"offset": wrong}, content=data[wrong : wrong + 10])
        assert r.status_code == 409, r.text
        error = r.json()["error"]
        assert (error["code"], error["offset"]) == ("conflict", half)
        assert f"偏移量应为 {half}" in error["message"]
    r = client.put(url, params={"offset": half}, content=data[half:] + b"extra")
    assert r.status_code == 422 and "超过了声明的文件大小" in r.json()["error"]["message"]
    r = client.put(url, params={"offset": -1}, content=b"x")
    assert r.status_code == 422 and r.json()["error"]["field"] == "offset"
    # Completing too early: 409 with the offset, nothing stored.
    r = client.post(f"{url}/complete")
    assert r.status_code == 409, r.text
    assert r.json()["error"]["offset"] == half and "尚未收齐" in r.json()["error"]["message"]
    state = client.get(url).json()
    assert (state["status"], state["offset"], state["size"]) == ("open", half, len(data))
    assert count(database, Recording) == 0 and count(database, AuditEvent) == audit


@pytest.mark.req("R14.1")
def test_remote_upload_resumes_from_the_servers_offset(
    client: TestClient, workstation: str, database: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    folder.mkdir()
    clip = pad_mdat(make_mp4(folder / "long.mp4"), 300_000)
    bearer(client, workstation)
    sent = half_sent(client, clip)
    sha256, sm3 = digests(sent.data)
    size = len(sent.data)

    # The workstation runs again: it opens the same upload and sends only the rest.
    recorder = Recorder(client)
    report = upload_folder(recorder, workstation, folder)
    assert recorder.pieces == [(sent.half, size - sent.half)]
    assert report["ingested"] == 1, report
    result = report["files"][0]
    assert (result["sha256"], result["sm3"]) == (sha256, sm3)
    state = client.get(sent.url).json()
    assert (state["status"], state["recording_id"]) == ("done", result["recording_id"])
    assert count(database, Upload) == 1
    as_admin(client)
    detail = client.get(f"/api/v1/recordings/{result['recording_id']}").json()
    assert (detail["sha256"], detail["sm3"], detail["size"]) == (sha256, sm3, size)
    # The upload is over: no more pieces.
    r = client.put(sent.url, params={"offset": size}, content=b"x")
    assert r.status_code == 409


def send(client: TestClient, run_id: int, name: str, data: bytes, claimed: bytes | None = None):  # type: ignore[no-untyped-def]
    sha256, sm3 = digests(data if claimed is None else claimed)
    body = {
        "run_id": run_id,
        "name": name,
        "size": len(data),
        "sha256": sha256,
        "sm3": sm3,
        "mtime": datetime.now(UTC).isoformat(),
    }
    opened = client.post("/api/v1/uploads", json=body)
    assert opened.status_code == 201, opened.text
    upload_id = opened.json()["id"]
    r = client.put(f"/api/v1/uploads/{upload_id}", params={"offset": 0}, content=data)
    assert r.status_code == 200, r.text
    done = client.post(f"/api/v1/uploads/{upload_id}/complete")
    assert done.status_code == 200, done.text
    return upload_id, done.json()


@pytest.mark.req("R14.1", "R15.1")
def test_digests_that_do_not_match_are_refused(
    client: TestClient, workstation: str, database: Database, settings: Settings, tmp_path: Path
) -> None:
    data = make_mp4(tmp_path / "a.mp4").read_bytes()
    claimed = data[:-1] + bytes([data[-1] ^ 1])  # one bit differs
    bearer(client, workstation)
    run_id = open_run(client)
    upload_id, result = send(client, run_id, "DCIM/a.mp4", data, claimed=claimed)
    assert result["status"] == "refused"
    assert [p["code"] for p in result["problems"]] == ["digest_mismatch"]
    assert "摘要不一致" in result["problems"][0]["message"]
    assert result["recording_id"] is None
    assert result["sha256"] == digests(data)[0]  # what the server itself computed
    assert count(database, Recording) == 0
    store = open_store(settings.resolved_storage_url)
    assert list(store.objects()) == []
    assert store.stat(digests(data)[0]) is None and store.stat(digests(claimed)[0]) is None
    assert client.get(f"/api/v1/uploads/{upload_id}").json()["status"] == "failed"
    r = client.post(f"/api/v1/uploads/{upload_id}/complete")  # over: not tried again
    assert r.status_code == 409 and r.json()["error"]["message"] == "该上传已结束。"
    assert not list(settings.upload_spool.glob("*.part"))
    with database.read() as session:
        refusal = session.scalars(
            select(AuditEvent).where(AuditEvent.tag == "evidence:file:refuse")
        ).all()
    assert len(refusal) == 1


@pytest.mark.req("R14.1")
def test_bad_upload_and_run_requests(
    client: TestClient, workstation: str, database: Database
) -> None:
    bearer(client, workstation)
    run_id = open_run(client)
    audit, uploads, runs = (
        count(database, AuditEvent),
        count(database, Upload),
        count(database, IngestRun),
    )
    good = {
        "run_id": run_id,
        "name": "a.mp4",
        "size": 3,
        "sha256": "a" * 64,
        "sm3": "b" * 64,
        "mtime": datetime.now(UTC).isoformat(),
    }
    for key, value, label in [
        ("sha256", "xyz", "SHA-256 摘要"),
        ("sha256", "A" * 64, "SHA-256 摘要"),
        ("sm3", "b" * 63, "SM3 摘要"),
        ("size", -1, "文件大小"),
    ]:
        r = client.post("/api/v1/uploads", json={**good, key: value})
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "invalid_input" and error["field"] == key
        assert label in error["message"], error
    # An unregistered device is refused with the registration hint, and no run is opened.
    r = client.post("/api/v1/ingest-runs", json={"device": "NOPE-9", "workstation": "远程"})
    assert r.status_code == 422, r.text  # InvalidInput; the brief's "400" is the same refusal
    message = r.json()["error"]["message"]
    assert "“NOPE-9”未在本办登记，拒绝导入" in message
    assert "lawcam device add --serial NOPE-9" in message and "登记设备" in message
    # Another account's run cannot be continued.
    r = client.post("/api/v1/uploads", json={**good, "run_id": run_id + 999})
    assert r.status_code == 404
    assert (count(database, AuditEvent), count(database, Upload), count(database, IngestRun)) == (
        audit,
        uploads,
        runs,
    )


@pytest.mark.req("R14.1", "R15.1")
def test_a_traversal_name_is_only_a_label(
    client: TestClient, workstation: str, database: Database, settings: Settings, tmp_path: Path
) -> None:
    data = make_wav(tmp_path / "x.wav", seconds=0.5).read_bytes()
    (tmp_path / "x.wav").unlink()
    bearer(client, workstation)
    run_id = open_run(client)
    name = "../../evil/passwd.wav"
    _, result = send(client, run_id, name, data)
    assert result["status"] == "ingested", result
    assert "path_traversal" in [p["code"] for p in result["problems"]]
    as_admin(client)
    detail = client.get(f"/api/v1/recordings/{result['recording_id']}").json()
    assert detail["original_name"] == "passwd.wav"
    assert [s["source_path"] for s in detail["sightings"]] == [name]
    assert "path_traversal" in [p["code"] for p in detail["problems"]] and detail["flagged"]
    # Nothing was written along the name: the only copy is in the store, under its digest.
    for base in [settings.home, settings.upload_spool, tmp_path, tmp_path.parent]:
        assert not (base / name).resolve().exists()
    assert not list(tmp_path.rglob("passwd.wav"))
    stored = open_store(settings.resolved_storage_url).stat(digests(data)[0])
    assert stored is not None and stored.size == len(data)
    assert count(database, Recording) == 1
