"""Issue 14 item 5: the pages for what was CLI-only. The web workstation's page and the API it
drives with a browser session (cookie and CSRF token, 第十四条), asset labels for chosen
devices (第九条), spreadsheet templates and whole-file imports; bad input of every kind gets a
Chinese message and loses nothing, never a 500; several people use them at once."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx
import openpyxl
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.equipment import service as equipment
from lawcam.equipment.models import Device
from lawcam.equipment.types import DeviceIn, DeviceStatus
from lawcam.evidence.models import Recording
from lawcam.org.models import Unit
from lawcam.web.app import create_app
from tests.api.conftest import login
from tests.factories import PASSWORD, Office
from tests.live import served
from tests.media import make_mp4

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def add_device(
    database: Database, console: Actor, serial: str, status: DeviceStatus | None = None
) -> int:
    """A device of 执法一处 (the office's unit roles), in service or then ``status`` (lost…)."""
    data = DeviceIn(
        serial=serial,
        asset_no=f"ZC-{serial}",
        model="TEST-BC1",
        unit="执法一处",
        price=Decimal("3280.00"),
        need="现场执法全过程记录",
        status=DeviceStatus.IN_SERVICE,
    )
    with database.unit_of_work() as session:
        device = equipment.create_device(session=session, actor=console, data=data)
        if status is not None:
            equipment.set_device_status(
                session=session, actor=console, device_id=device.id, status=status, reason="测试"
            )
        return device.id


def count(database: Database, model: type) -> int:
    with database.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def filled(template: bytes, rows: list[dict[str, object]]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for row in rows:
        sheet.append([row.get(str(h)) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the web workstation ------------------------------------------------------------------


@pytest.mark.req("R14.1")
def test_ingest_page_offers_only_own_units_devices_and_officers(
    client: TestClient, office: Office, database: Database, console: Actor
) -> None:
    add_device(database, console, "T1-PAGE-01")
    add_device(database, console, "T1-GONE-01", status=DeviceStatus.SCRAPPED)
    login(client, "u_device_admin")
    page = client.get("/ingest")
    assert page.status_code == 200
    assert 'value="T1-PAGE-01"' in page.text
    assert "T2-0001" not in page.text  # 执法二处's device
    assert "T1-GONE-01" not in page.text  # scrapped: nothing to dock
    assert "T0000" in page.text  # 执法一处's officer
    assert "T9001" not in page.text  # 执法二处's officer
    assert "第十四条" in page.text
    assert '<script src="/static/upload.js"' in page.text


@pytest.mark.req("R14.1")
def test_the_browser_session_uploads_through_the_workstation_api(
    client: TestClient, office: Office, database: Database, console: Actor, tmp_path: Path
) -> None:
    """What static/upload.js does, step by step, with the page's cookie and CSRF token."""
    add_device(database, console, "T1-PAGE-02")
    csrf = login(client, "u_device_admin")
    clip = make_mp4(tmp_path / "A.MP4").read_bytes()

    # Another unit's device, and a change without the page's token: refused, in Chinese.
    other = client.post("/api/v1/ingest-runs", json={"device": "T2-0001", "workstation": "网页"})
    assert other.status_code == 422
    assert "不是本单位登记的设备" in other.json()["error"]["message"]
    del client.headers["X-CSRF-Token"]
    forged = client.post(
        "/api/v1/ingest-runs", json={"device": "T1-PAGE-02", "workstation": "网页"}
    )
    assert forged.status_code == 403
    assert "CSRF" in forged.json()["error"]["message"]
    client.headers["X-CSRF-Token"] = csrf

    run = client.post(
        "/api/v1/ingest-runs",
        json={"device": "T1-PAGE-02", "workstation": "网页工作站", "officer": "T0000"},
    )
    assert run.status_code == 201, run.text
    body = {
        "run_id": run.json()["id"],
        "name": "CARD/A.MP4",
        "size": len(clip),
        "sha256": hashlib.sha256(clip).hexdigest(),
        "sm3": hashlib.new("sm3", clip).hexdigest(),
        "mtime": "2026-12-07T09:00:00+08:00",
    }
    # A digest the browser got wrong: the server's own pass refuses the bytes.
    wrong = client.post("/api/v1/uploads", json={**body, "sm3": "0" * 64})
    assert wrong.status_code == 201
    client.put(
        f"/api/v1/uploads/{wrong.json()['id']}",
        params={"offset": 0},
        content=clip,
        headers={"Content-Type": "application/octet-stream"},
    )
    refused = client.post(f"/api/v1/uploads/{wrong.json()['id']}/complete").json()
    assert refused["status"] == "refused"
    assert count(database, Recording) == 0

    opened = client.post("/api/v1/uploads", json=body).json()
    half = len(clip) // 2
    client.put(
        f"/api/v1/uploads/{opened['id']}",
        params={"offset": 0},
        content=clip[:half],
        headers={"Content-Type": "application/octet-stream"},
    )
    reloaded = client.get("/ingest")  # the page reloaded: the server says what is left
    assert f'data-upload="{opened["id"]}"' in reloaded.text
    assert f"{half:,} / {len(clip):,} 字节" in reloaded.text
    again = client.post("/api/v1/uploads", json=body).json()
    assert (again["id"], again["offset"]) == (opened["id"], half)
    client.put(
        f"/api/v1/uploads/{opened['id']}",
        params={"offset": half},
        content=clip[half:],
        headers={"Content-Type": "application/octet-stream"},
    )
    done = client.post(f"/api/v1/uploads/{opened['id']}/complete").json()
    assert done["status"] == "ingested"
    assert "未完成的上传" not in client.get("/ingest").text
    duplicate = client.post("/api/v1/uploads", json=body).json()
    assert duplicate == {**duplicate, "status": "duplicate", "recording_id": done["recording_id"]}


def test_static_scripts_are_served_and_hold_no_external_url(client: TestClient) -> None:
    for name in ("upload.js", "digests.js", "labels.js", "filepick.js", "workstation.css"):
        answer = client.get(f"/static/{name}")
        assert answer.status_code == 200
        assert "http://" not in answer.text and "https://" not in answer.text


# --- labels -------------------------------------------------------------------------------


@pytest.mark.req("R9.2")
def test_labels_for_chosen_devices(
    client: TestClient, office: Office, database: Database, console: Actor, tmp_path: Path
) -> None:
    first = add_device(database, console, "T1-LBL-01")
    second = add_device(database, console, "T1-LBL-02")
    add_device(database, console, "T1-LBL-03")
    lost = add_device(database, console, "T1-LBL-04", status=DeviceStatus.LOST)
    login(client, "u_device_admin")
    page = client.get("/labels")
    assert page.status_code == 200
    assert "ZC-T1-LBL-03" in page.text and "ZC-T1-LBL-04" not in page.text
    assert "ZC-T2-0001" not in page.text

    pdf = client.get("/labels.pdf", params={"device_id": [first, second]})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    (tmp_path / "labels.pdf").write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "labels.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "ZC-T1-LBL-01" in text and "ZC-T1-LBL-02" in text
    assert "ZC-T1-LBL-03" not in text  # not chosen
    assert "执法一处" in text and "TEST-BC1" in text

    refusals = {
        "no device": {},
        "not a number": {"device_id": "一号"},
        "another unit's": {"device_id": office.equipment["device"]},
        "lost": {"device_id": lost},
        "unknown": {"device_id": 99_999},
    }
    for what, params in refusals.items():
        answer = client.get("/labels.pdf", params=params)
        assert answer.status_code == 422, (what, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html")
        assert "设备" in answer.text, what
    too_many = client.get("/labels.pdf", params={"device_id": [str(first)] * 1300})
    assert too_many.status_code == 422


# --- imports ------------------------------------------------------------------------------


def test_templates_download_for_the_kinds_a_role_imports(
    client: TestClient, office: Office
) -> None:
    login(client, "u_device_admin")
    page = client.get("/imports")
    assert page.status_code == 200
    for kind in ("models", "devices", "procurement"):
        assert f'href="/imports/{kind}.xlsx"' in page.text
        answer = client.get(f"/imports/{kind}.xlsx")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == XLSX
        assert openpyxl.load_workbook(io.BytesIO(answer.content)).worksheets[0]["A1"].value
    assert 'href="/imports/units.xlsx"' not in page.text
    refused = client.get("/imports/units.xlsx")  # the system administrator's
    assert refused.status_code == 403
    unknown = client.get("/imports/cases.xlsx")
    assert unknown.status_code == 404 and "没有“cases”这种导入模板" in unknown.text


def _post(client: TestClient, kind: str, name: str, data: bytes, mime: str = XLSX):  # type: ignore[no-untyped-def]
    return client.post("/imports", data={"kind": kind}, files={"file": (name, data, mime)})


@pytest.mark.req("R5.1")
def test_device_import_whole_file_or_nothing(
    client: TestClient, office: Office, database: Database
) -> None:
    login(client, "u_device_admin")
    template = client.get("/imports/devices.xlsx").content
    good = {
        "资产编号": "ZC-IMP-01",
        "序列号": "IMP-01",
        "型号": "TEST-BC1",
        "所属单位": "执法一处",
        "购置价格(元)": 3280,
        "执法需求": "现场检查全过程记录",
    }
    devices, events = count(database, Device), count(database, AuditEvent)
    bad = filled(
        template,
        [good, {**good, "资产编号": "ZC-IMP-02", "序列号": "IMP-02", "所属单位": "执法二处"}],
    )
    refused = _post(client, "devices", "设备.xlsx", bad)
    assert refused.status_code in (403, 422), refused.text
    assert 'data-result="refused"' in refused.text
    assert "第 3 行" in refused.text  # the second data row, as Excel numbers it
    assert "文件未导入任何内容" in refused.text
    assert (count(database, Device), count(database, AuditEvent)) == (devices, events)

    done = _post(client, "devices", "设备.xlsx", filled(template, [good]))
    assert done.status_code == 200, done.text
    assert 'data-result="done"' in done.text and "共 1 行" in done.text
    assert count(database, Device) == devices + 1

    again = _post(client, "devices", "设备.xlsx", filled(template, [good]))  # the same serial
    assert again.status_code == 422
    assert "第 2 行" in again.text
    assert count(database, Device) == devices + 1


@pytest.mark.req("R5.1")
def test_every_bad_row_is_reported_at_once(
    client: TestClient, office: Office, database: Database
) -> None:
    login(client, "u_device_admin")
    template = client.get("/imports/devices.xlsx").content
    row = {
        "资产编号": "ZC-ROW-01",
        "序列号": "ROW-01",
        "型号": "TEST-BC1",
        "所属单位": "执法一处",
        "购置价格(元)": 3280,
        "执法需求": "现场检查全过程记录",
    }
    rows = [
        row,
        {**row, "资产编号": "ZC-ROW-02", "序列号": None},  # row 3: no serial
        {**row, "资产编号": "ZC-ROW-03", "序列号": "ROW-03"},
        {**row, "资产编号": "ZC-ROW-04", "序列号": "ROW-04", "购置价格(元)": "三千"},  # row 5
    ]
    devices = count(database, Device)
    answer = _post(client, "devices", "设备.xlsx", filled(template, rows))
    assert answer.status_code == 422
    assert "发现了 2 处问题" in answer.text
    reported = re.findall(
        r'<td class="num">(\d+)</td>\s*<td class="nowrap">([^<]*)</td>', answer.text
    )
    assert reported == [("3", "序列号"), ("5", "购置价格(元)")]
    assert count(database, Device) == devices


def test_bad_import_files_get_chinese_messages(
    client: TestClient, office: Office, database: Database
) -> None:
    login(client, "u_device_admin")
    models = client.get("/imports/models.xlsx").content
    before = count(database, AuditEvent)
    cases: dict[str, tuple[str, str, bytes, str]] = {
        "wrong type": ("devices", "照片.jpg", b"\xff\xd8\xff\xe0", "image/jpeg"),
        "empty": ("devices", "空.xlsx", b"", XLSX),
        "not a workbook": ("devices", "假.xlsx", b"this is not a workbook", XLSX),
        "header only": ("devices", "空表.xlsx", client.get("/imports/devices.xlsx").content, XLSX),
        "another kind": (
            "devices",
            "型号.xlsx",
            filled(models, [{"生产厂家": "某厂", "型号": "X1", "类别": "执法记录仪"}]),
            XLSX,
        ),
        "no kind": ("", "设备.xlsx", b"x", XLSX),
        "other kind than allowed": ("units", "单位.xlsx", b"x", XLSX),
    }
    expected = {
        "wrong type": "不支持的文件类型",
        "empty": "是空的",
        "not a workbook": "",
        "header only": "没有数据行",
        "another kind": "型号表",
        "no kind": "请选择导入类型",
        "other kind than allowed": "",
    }
    for what, (kind, name, data, mime) in cases.items():
        answer = _post(client, kind, name, data, mime)
        assert 400 <= answer.status_code < 500, (what, answer.status_code, answer.text[:300])
        assert expected[what] in answer.text, (what, answer.text[:2000])
    assert count(database, AuditEvent) == before
    no_file = client.post("/imports", data={"kind": "devices"})
    assert no_file.status_code == 422 and "请选择要导入的文件" in no_file.text


def test_a_huge_import_is_refused_before_it_is_read(
    settings: Settings, database: Database, office: Office
) -> None:
    small = settings.model_copy(update={"max_multipart_bytes": 64 * 1024})
    with TestClient(create_app(small, database), raise_server_exceptions=False) as client:
        login(client, "u_device_admin")
        answer = _post(client, "devices", "大.xlsx", b"\0" * (200 * 1024))
        assert answer.status_code == 413
        assert "过大" in answer.text or "超过" in answer.text


def test_units_import_by_the_system_administrator(
    client: TestClient, office: Office, database: Database
) -> None:
    login(client, "u_sysadmin")
    page = client.get("/imports")
    assert 'href="/imports/units.xlsx"' in page.text and "/imports/devices.xlsx" not in page.text
    template = client.get("/imports/units.xlsx").content
    units = count(database, Unit)
    done = _post(
        client,
        "units",
        "单位.xlsx",
        filled(template, [{"单位名称": "宣传教育处", "单位类别": "较少", "配备目标台数": 1}]),
    )
    assert done.status_code == 200 and "共 1 行" in done.text
    assert count(database, Unit) == units + 1


def test_roles_without_any_import_are_refused(client: TestClient, office: Office) -> None:
    login(client, "u_officer")
    assert client.get("/imports").status_code == 403
    assert client.get("/labels").status_code == 403
    assert client.get("/ingest").status_code == 403


# --- many at once -------------------------------------------------------------------------


@pytest.mark.req("R14.1")
def test_uploads_labels_and_imports_at_once(
    settings: Settings, database: Database, office: Office, console: Actor, tmp_path: Path
) -> None:
    """Three device administrators' browsers upload while labels print, a template downloads
    and an import runs, on a real server: every answer is right, none waits on another."""
    serials = [f"T1-MANY-{n}" for n in range(3)]
    ids = [add_device(database, console, s) for s in serials]
    clips = [make_mp4(tmp_path / f"{n}.MP4", seconds=1 + n).read_bytes() for n in range(3)]
    failures: list[str] = []

    def upload(base: str, n: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            _session(c)
            run = c.post("/api/v1/ingest-runs", json={"device": serials[n], "workstation": "网页"})
            data = clips[n]
            body = {
                "run_id": run.json()["id"],
                "name": f"{n}.MP4",
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "sm3": hashlib.new("sm3", data).hexdigest(),
                "mtime": "2026-12-07T09:00:00+08:00",
            }
            opened = c.post("/api/v1/uploads", json=body).json()
            for at in range(0, len(data), 64 * 1024):
                c.put(
                    f"/api/v1/uploads/{opened['id']}",
                    params={"offset": at},
                    content=data[at : at + 64 * 1024],
                    headers={"Content-Type": "application/octet-stream"},
                ).raise_for_status()
            done = c.post(f"/api/v1/uploads/{opened['id']}/complete").json()
            if done["status"] != "ingested":
                failures.append(f"upload {n}: {done}")

    def labels(base: str, n: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            _session(c)
            for _ in range(3):
                answer = c.get("/labels.pdf", params={"device_id": ids})
                if answer.status_code != 200 or not answer.content.startswith(b"%PDF"):
                    failures.append(f"labels {n}: {answer.status_code}")
                if c.get("/ingest").status_code != 200 or c.get("/labels").status_code != 200:
                    failures.append(f"pages {n}")

    def imports(base: str, n: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            _session(c)
            if c.get("/imports").status_code != 200:
                failures.append(f"imports page {n}")
            template = c.get("/imports/models.xlsx").content
            row = {"生产厂家": "并发厂", "型号": f"MANY-{n}", "类别": "执法记录仪"}
            answer = c.post(
                "/imports",
                data={"kind": "models"},
                files={"file": ("型号.xlsx", filled(template, [row]), XLSX)},
            )
            if answer.status_code != 200 or 'data-result="done"' not in answer.text:
                failures.append(f"import {n}: {answer.status_code} {answer.text[:300]}")

    work: list[Callable[[str, int], None]] = [upload, upload, upload, labels, labels, imports]
    app = create_app(settings.model_copy(update={"upload_piece_bytes": 64 * 1024}), database)
    with served(app) as base:
        threads = [
            threading.Thread(target=_guarded, args=(job, base, n, failures))
            for n, job in enumerate(work)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert not failures, failures
    assert count(database, Recording) == 3


def _guarded(job: Callable[[str, int], None], base: str, n: int, failures: list[str]) -> None:
    try:
        job(base, n % 3)
    except Exception as exc:  # reported by the test, not lost in the thread
        failures.append(f"{job.__name__} {n}: {exc!r}")


def _session(client: httpx.Client) -> None:
    answer = client.post(
        "/api/v1/auth/login", json={"username": "u_device_admin", "password": PASSWORD}
    )
    answer.raise_for_status()
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
