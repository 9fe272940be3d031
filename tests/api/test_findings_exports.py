"""Exports of findings (第十八条, R18.1; issue 18 item 5) and the home dashboards under load: the
findings in Excel (what the actor may see, filtered), the notice of one finding as PDF (Chinese,
the clause, the evidence, the QR and link of its audit entry's inclusion proof), a unit's monthly
compliance report as PDF; and homes opened many at once while a sweep runs."""

from __future__ import annotations

import io
import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.compliance.checks import Limits
from lawcam.compliance.models import Finding
from lawcam.compliance.sweep import sweep
from lawcam.compliance.types import FindingEvent, Rule
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.timeutil import SHANGHAI, utcnow
from tests.api.conftest import login
from tests.factories import Office
from tests.unit.compliance.test_dashboards import scene

pytestmark = pytest.mark.req("R18.1")


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def sheet_rows(content: bytes) -> list[tuple[object, ...]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


@pytest.fixture
def built(database: Database, settings: Settings, console: Actor, office: Office, tmp_path: Path) -> dict[str, int]:  # fmt: skip
    scene(database, settings, console, office, tmp_path)
    with database.read() as session:
        counts: dict[str, int] = {}
        for rule in session.scalars(select(Finding.rule)):
            counts[rule] = counts.get(rule, 0) + 1
        return counts


def test_findings_in_excel_are_those_the_actor_sees_filtered(
    client: TestClient, office: Office, built: dict[str, int]
) -> None:
    login(client, office.user(Role.ENGINEERING))
    everything = client.get("/findings.xlsx")
    assert everything.status_code == 200, everything.text
    assert "spreadsheetml" in everything.headers["content-type"]
    rows = sheet_rows(everything.content)
    assert rows[0][:4] == ("编号", "过错类型", "依据条款", "严重程度")
    assert len(rows) - 1 == sum(built.values())
    only = sheet_rows(client.get("/findings.xlsx", params={"rule": "no_recording"}).content)
    assert len(only) - 1 == built[Rule.NO_RECORDING] and {r[1] for r in only[1:]} == {
        "执法活动无录像"
    }
    assert {r[2] for r in only[1:]} == {"第十八条第（一）项"}
    assert client.get("/findings.xlsx", params={"rule": "nonsense"}).status_code in (400, 422)
    client.cookies.clear()
    login(client, office.user(Role.AUDITOR))  # 三员: what verify found and refused accesses only
    seen = {r[1] for r in sheet_rows(client.get("/findings.xlsx").content)[1:]}
    assert seen == {"记录被删改", "未经批准调阅未遂"}


def test_the_notice_of_a_finding_names_its_clause_evidence_and_proof(
    client: TestClient, database: Database, office: Office, built: dict[str, int], tmp_path: Path
) -> None:
    with database.read() as session:
        finding = session.scalars(
            select(Finding).where(Finding.rule == str(Rule.NO_RECORDING)).limit(1)
        ).one()
        seq = session.scalar(
            select(AuditEvent.seq).where(
                AuditEvent.subject_type == "finding",
                AuditEvent.subject_id == str(finding.id),
                AuditEvent.tag == str(FindingEvent.FOUND),
            )
        )
        label = finding.evidence[0]["label"]
    login(client, office.user(Role.ENGINEERING))
    response = client.get(f"/findings/{finding.id}/notice.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    flat = re.sub(r"\s+", "", text)
    for words in (
        "执法过错告知书",
        "执法活动无录像",
        "第十八条第（一）项",
        "证据清单",
        "陈述申辩期限",
    ):
        assert words in flat, words
    assert re.sub(r"\s+", "", str(label)) in flat
    url = f"/audit/proof?leaf={seq}"
    assert url in flat  # printed under the QR code
    assert f"{url})".encode() in response.content  # and the QR's link annotation (/URI)
    client.cookies.clear()
    login(client, office.user(Role.AUDITOR))
    assert client.get(url).status_code == 200  # the page the QR opens
    assert client.get(f"/findings/{finding.id}/notice.pdf").status_code == 404  # not theirs
    client.cookies.clear()
    login(client, office.user(Role.UNIT_HEAD))  # 执法一处's head: 执法二处's finding is not found
    assert client.get(f"/findings/{finding.id}/notice.pdf").status_code == 404


def test_the_monthly_report_of_a_unit(
    client: TestClient, office: Office, built: dict[str, int], tmp_path: Path
) -> None:
    unit = office.units["执法二处"]
    month = f"{utcnow().astimezone(SHANGHAI):%Y-%m}"
    login(client, office.user(Role.ENGINEERING))
    response = client.get(f"/reports/compliance/{unit}/{month}.pdf")
    assert response.status_code == 200, response.text
    flat = re.sub(r"\s+", "", pdf_text(response.content, tmp_path))
    for words in ("执法二处", "合规报告", "录像覆盖率", "领用检查通过率", "50%", "执法活动无录像"):
        assert words in flat, words
    assert client.get(f"/reports/compliance/{unit}/2026-13.pdf").status_code == 404
    assert client.get(f"/reports/compliance/{unit}/2999-01.pdf").status_code == 404
    client.cookies.clear()
    login(client, office.user(Role.UNIT_HEAD))  # 执法一处's head
    assert client.get(f"/reports/compliance/{unit}/{month}.pdf").status_code == 404
    assert (
        client.get(f"/reports/compliance/{office.units['执法一处']}/{month}.pdf").status_code == 200
    )


def test_homes_opened_many_at_once_while_a_sweep_runs(  # type: ignore[no-untyped-def]
    app, database: Database, settings: Settings, console: Actor, office: Office, built: dict[str, int]
) -> None:  # fmt: skip
    roles = [Role.UNIT_HEAD, Role.ENGINEERING, Role.AUDITOR, Role.OFFICER]
    clients = []
    for role in roles:
        c = TestClient(app, raise_server_exceptions=False)
        login(c, office.user(role))
        clients.append(c)
    stop = threading.Event()

    def sweeping() -> int:
        runs = 0
        while not stop.is_set() or runs == 0:
            with database.unit_of_work() as session:
                sweep(session=session, actor=console, limits=Limits(now=utcnow()),
                      statement_days=settings.findings_statement_days)  # fmt: skip
            runs += 1
        return runs

    def homes(c: TestClient) -> list[int]:
        return [c.get("/").status_code for _ in range(4)]

    with ThreadPoolExecutor(max_workers=len(clients) + 1) as pool:
        sweeper = pool.submit(sweeping)
        answers = list(pool.map(homes, clients))
        stop.set()
        assert sweeper.result() >= 1
    assert answers == [[200] * 4] * len(clients)
    page = clients[1].get("/").text
    assert 'data-board="office"' in page and "<svg" in page and "执法二处" in page
    assert 'data-board="audit"' in clients[2].get("/").text
    for c in clients:
        c.close()
