"""The ledger's 记录内容 (第九条, R9.2; issue 14 item 6): each custody period shows what its
device recorded in it — count and total duration for whoever may read the row, links only to the
recordings the reader may open (Art. 15) — on the page, in the API and in the Excel ledger, read
in one query whatever the number of periods. The administrator's reason is named 超限理由 (a
failed pre-use check) or 例外理由 (issued across units), never 越权理由. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.custody import service
from lawcam.custody.types import CheckLimits, CheckoutIn, Condition, PreUseCheck
from lawcam.db import Database
from lawcam.reports.ledger import DETAIL_SHEET, LEDGER_HEADERS, ledger_entries
from lawcam.timeutil import SHANGHAI, clock_at
from tests.api.test_api_custody import add_unit_staff, as_user
from tests.evidence_helpers import ingest
from tests.factories import Office
from tests.media import make_mp4

pytestmark = pytest.mark.req("R9.2")

SERIAL = "T2-0001"  # 执法二处's recorder
OWN, SPARE, CROSS = "T9001", "T9002", "T0000"  # two officers of 执法二处, one of 执法一处
LIMITS = CheckLimits()


@dataclass
class Story:
    """Three custody periods of one recorder and what was recorded."""

    day: dict[str, datetime]  # the 08:30 issue of each period, by name
    recordings: dict[str, list[int]]  # recording ids by period name, and "outside"


def _at(days_ago: int, hour: int, minute: int = 0) -> datetime:
    day = datetime.now(SHANGHAI).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def _checkout(database: Database, console: Actor, badge: str, check: PreUseCheck, reason: str):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        service.checkout(
            session=session,
            actor=console,
            data=CheckoutIn(SERIAL, badge, check, override_reason=reason),
            limits=LIMITS,
        )


def _return(database: Database, console: Actor) -> None:
    with database.unit_of_work() as session:
        service.return_device(session=session, actor=console, serial=SERIAL, condition=Condition.OK)


@pytest.fixture
def story(
    office: Office, database: Database, settings: Settings, console: Actor, tmp_path: Path
) -> Story:
    add_unit_staff(database, settings, console)
    periods = {
        "A": (3, OWN, PreUseCheck(95, 20, 1), ""),
        "B": (2, SPARE, PreUseCheck(50, 20, 1), "电量不足，已配备用电池"),
        "C": (1, CROSS, PreUseCheck(95, 20, 1), "一处设备送修，临时借用"),
    }
    for name, (ago, badge, check, reason) in periods.items():
        with clock_at(_at(ago, 8, 30)):
            _checkout(database, console, badge, check, reason)
        if name != "C":  # C is still out
            with clock_at(_at(ago, 17, 30)):
                _return(database, console)
    clips = {  # start, seconds
        "A": [(_at(3, 9, 30), 3.0), (_at(3, 10, 30), 2.0)],
        "B": [(_at(2, 11), 4.0)],
        "outside": [(_at(2, 20), 1.0)],  # after B's return, before C's issue
    }
    card = tmp_path / "card" / "DCIM"
    card.mkdir(parents=True)
    for name, items in clips.items():
        for n, (start, seconds) in enumerate(items):
            make_mp4(card / f"{name}{n}.mp4", seconds=seconds, creation_time=start)
    report = ingest(database, settings, console, card.parent, serial=SERIAL)
    ids: dict[str, list[int]] = {name: [] for name in clips}
    for item in report.files:
        assert item.recording_id is not None
        ids[re.sub(r"\d+\.mp4$", "", Path(item.path).name)].append(item.recording_id)
    ids = {name: sorted(found) for name, found in ids.items()}
    return Story(day={k: _at(v[0], 8, 30) for k, v in periods.items()}, recordings=ids)


def _by_officer(rows: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {r["officer_badge"]: r for r in rows}


def test_api_counts_for_every_reader_links_for_those_who_may_open(
    client: TestClient, story: Story
) -> None:
    as_user(client, "u_admin2")  # 执法二处's administrator: sees all its recordings
    rows = _by_officer(client.get("/api/v1/ledger").json())
    a, b, c = rows[OWN]["recordings"], rows[SPARE]["recordings"], rows[CROSS]["recordings"]
    assert (a["count"], a["hidden"]) == (2, 0)
    assert a["duration_s"] == pytest.approx(5.0, abs=0.3)
    assert [x["id"] for x in a["shown"]] == sorted(story.recordings["A"])
    assert a["shown"][0]["url"] == f"/recordings/{a['shown'][0]['id']}"
    assert datetime.fromisoformat(a["shown"][0]["start_at"]) == _at(3, 9, 30)
    assert (b["count"], [x["id"] for x in b["shown"]]) == (1, story.recordings["B"])
    assert b["duration_s"] == pytest.approx(4.0, abs=0.3)
    assert (c["count"], c["shown"], c["hidden"]) == (0, [], 0)  # the 20:00 clip is nobody's
    assert (rows[SPARE]["reason_label"], rows[CROSS]["reason_label"]) == ("超限理由", "例外理由")

    as_user(client, "u_spare")  # an officer of 执法二处: opens only his own recordings
    rows = _by_officer(client.get("/api/v1/ledger").json())
    assert rows[OWN]["recordings"]["count"] == 2
    assert (rows[OWN]["recordings"]["shown"], rows[OWN]["recordings"]["hidden"]) == ([], 2)
    assert [x["id"] for x in rows[SPARE]["recordings"]["shown"]] == story.recordings["B"]

    as_user(client, "u_engineering")  # a supervising division: the ledger, never evidence
    rows = _by_officer(client.get("/api/v1/ledger").json())
    assert {k: (r["recordings"]["count"], r["recordings"]["hidden"]) for k, r in rows.items()} == {
        OWN: (2, 2),
        SPARE: (1, 1),
        CROSS: (0, 0),
    }
    assert all(r["recordings"]["shown"] == [] for r in rows.values())


def test_page_shows_content_and_reason_names(client: TestClient, story: Story) -> None:
    as_user(client, "u_spare")
    page = client.get("/ledger")
    assert page.status_code == 200
    rows = dict(re.findall(r'<tr data-period="(\d+)">(.*?)</tr>', page.text, re.S))
    by_text = {
        badge: next(html for html in rows.values() if badge in html)
        for badge in (OWN, SPARE, CROSS)
    }
    assert 'data-recordings="2"' in by_text[OWN] and "2 条，共 " in by_text[OWN]
    assert "其中 2 条您无权查看" in by_text[OWN]
    assert not any(f"/recordings/{i}" in page.text for i in story.recordings["A"])
    (mine,) = story.recordings["B"]
    assert f'href="/recordings/{mine}"' in by_text[SPARE]
    assert "超限理由：电量不足，已配备用电池" in by_text[SPARE]
    assert "例外理由：一处设备送修，临时借用" in by_text[CROSS]
    assert 'data-recordings="0"' in by_text[CROSS]
    assert "越权" not in page.text


def _workbook(client: TestClient) -> openpyxl.Workbook:
    response = client.get("/ledger.xlsx")
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.content))


def test_excel_ledger_has_content_columns_and_links(
    client: TestClient, story: Story, settings: Settings
) -> None:
    as_user(client, "u_admin2")
    book = _workbook(client)
    sheet = book["执法二处"]
    assert [c.value for c in sheet[1]] == list(LEDGER_HEADERS)
    assert LEDGER_HEADERS[-3:] == ("记录数", "记录时长", "记录内容")
    assert "越权" not in "".join(LEDGER_HEADERS) and "超限理由/例外理由" in LEDGER_HEADERS
    body = [[c for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[4].value for r in body] == [OWN, SPARE, CROSS]
    a, b, c = body
    assert (a[15].value, a[16].value) == (2, "5秒")
    assert all(f"#{i}" in a[17].value for i in story.recordings["A"])
    assert a[17].hyperlink.location == f"'{DETAIL_SHEET}'!A2"
    assert (b[11].value, c[11].value) == (
        "超限理由：电量不足，已配备用电池",
        "例外理由：一处设备送修，临时借用",
    )
    assert (a[11].value, a[10].value) in {(None, "合格"), ("", "合格")}
    assert (c[15].value, c[17].value) == (0, "无")
    detail = [row for row in book[DETAIL_SHEET].iter_rows(min_row=2)]
    assert [r[4].value for r in detail] == [f"#{i}" for i in sorted(story.recordings["A"])] + [
        f"#{i}" for i in story.recordings["B"]
    ]
    first = detail[0]
    assert (first[0].value, first[1].value, first[6].value, first[7].value) == (
        "执法二处",
        1,
        "3秒",
        "视频",
    )
    url = f"{settings.base_url}/recordings/{sorted(story.recordings['A'])[0]}"
    assert (first[8].value, first[8].hyperlink.target, first[4].hyperlink.target) == (url, url, url)

    as_user(client, "u_spare")
    book = _workbook(client)
    a, b, _ = list(book["执法二处"].iter_rows(min_row=2))
    assert (a[15].value, a[17].value, a[17].hyperlink) == (2, "另有 2 条无权查看", None)
    (only,) = list(book[DETAIL_SHEET].iter_rows(min_row=2))
    assert only[4].value == f"#{story.recordings['B'][0]}"


def test_content_is_one_query_whatever_the_number_of_periods(
    story: Story, database: Database, console: Actor
) -> None:
    def statements(**where: object) -> tuple[int, int]:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(database.engine, "before_cursor_execute", count)
        try:
            with database.read() as session:
                entries = ledger_entries(session=session, actor=console, **where)  # type: ignore[arg-type]
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
        recording_queries = [s for s in seen if "FROM recording" in s or "JOIN recording" in s]
        return len(entries), len(recording_queries)

    assert statements(until=_at(2, 23)) == (2, 1)
    assert statements() == (3, 1)
