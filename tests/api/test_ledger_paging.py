"""The ledger pages by keyset (issue 19): 42–57 MB and 4–6 s when every visible period was one
page. The page shows the last 31 days by default, 100 periods at a time, 上一页/下一页 by a
cursor of (issued_at, id) — periods issued at the same instant are neither lost nor repeated at
a page boundary; the API pages the same with ``limit`` and the X-Next-Cursor header, and without
``limit`` still answers the whole span; a cursor not ours is a Chinese 422."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.custody.models import CustodyPeriod
from lawcam.db import Database
from lawcam.equipment.models import Device
from lawcam.keyset import BAD_CURSOR
from tests.api.test_api_custody import as_user
from tests.api.test_api_evidence import Evidence, build_evidence
from tests.factories import Office

PERIOD = re.compile(r'<tr data-period="(\d+)"')
NEXT = re.compile(r'href="(/ledger\?[^"]*cursor=[^"]+)">下一页')
PREV = re.compile(r'href="(/ledger\?[^"]*cursor=[^"]+)">上一页')


@pytest.fixture
def busy(
    office: Office, database: Database, settings: Settings, console: Actor, tmp_path: Path
) -> tuple[Evidence, set[int]]:
    """The evidence of the API tests (T2-0001 checked out now) and, on the sub-unit's and
    执法一处's devices, four returned periods each issued at one same instant two days ago, and
    one two months ago; returns the old periods' ids."""
    e = build_evidence(database, settings, console, office, tmp_path)
    same = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    with database.unit_of_work() as session:
        devices = session.scalars(
            select(Device.id).where(Device.serial.in_(["T2-0002", "T1-0001"]))
        ).all()
        for device in devices:
            for n in range(4):
                session.add(_period(device, e.t9001, same, n))
        old = [_period(d, e.t9001, same - timedelta(days=60), 0) for d in devices]
        session.add_all(old)
        session.flush()
        return e, {p.id for p in old}


def _period(device: int, officer: int, at: datetime, n: int) -> CustodyPeriod:
    return CustodyPeriod(
        device_id=device,
        officer_id=officer,
        issued_at=at,
        issued_by="测试",
        battery_pct=90,
        free_hours=10.0,
        clock_offset_s=0.0,
        check_failures=[],
        override_reason="",
        returned_at=at + timedelta(minutes=10 + n),
        returned_to="测试",
        condition="ok",
        return_note="",
    )


def _get(client: TestClient, cursor: str | None) -> tuple[list[int], str | None, str | None]:
    r = client.get("/api/v1/ledger", params={"limit": 2, "cursor": cursor})
    assert r.status_code == 200, r.text
    return (
        [p["id"] for p in r.json()],
        r.headers.get("X-Next-Cursor"),
        r.headers.get("X-Prev-Cursor"),
    )


@pytest.mark.req("R9.2")
@pytest.mark.parametrize("who", ["u_admin2", Role.DEVICE_ADMIN])
def test_api_pages_of_two_through_equal_issue_times_lose_and_repeat_nothing(
    client: TestClient, busy: tuple[Evidence, set[int]], who: str
) -> None:
    e, old = busy
    as_user(client, who if who == "u_admin2" else e.office.user(who))
    whole = [p["id"] for p in client.get("/api/v1/ledger").json()]  # no limit: the whole span
    assert old & set(whole) and len(whole) >= 5
    pages, cursor, prev = [], None, None
    while True:
        ids, cursor, prev = _get(client, cursor)
        assert (prev is None) == (not pages)  # the first page has no 上一页
        pages.append(ids)
        if cursor is None:
            break
        assert len(pages) < 30, "the cursor does not advance"
    assert [i for page in pages for i in page] == whole
    assert all(len(page) == 2 for page in pages[:-1])
    back: list[int] = []
    while prev is not None:  # from the last page back to the first
        ids, _, prev = _get(client, prev)
        back = ids + back
    assert back + pages[-1] == whole


@pytest.mark.req("R9.2")
def test_the_page_shows_the_last_31_days_a_page_at_a_time(
    client: TestClient, busy: tuple[Evidence, set[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lawcam.web.routers.custody import pages

    _, old = busy
    monkeypatch.setattr(pages, "LEDGER_PAGE", 2)
    as_user(client, "u_admin2")
    whole = [p["id"] for p in client.get("/api/v1/ledger").json()]
    first = client.get("/ledger")
    assert first.status_code == 200 and "上一页" not in first.text
    seen, html = [], first.text
    while True:
        seen += [int(i) for i in PERIOD.findall(html)]
        link = NEXT.search(html)
        if link is None:
            break
        html = client.get(link.group(1).replace("&amp;", "&")).text
        assert PREV.search(html)
    assert seen == [i for i in whole if i not in old]  # two months ago: not by default
    back = PREV.search(html)
    assert back is not None
    last = len(seen) % 2 or 2  # the size of the last page
    before_last = client.get(back.group(1).replace("&amp;", "&")).text
    assert [int(i) for i in PERIOD.findall(before_last)] == seen[-last - 2 : -last]
    everything = client.get("/ledger", params={"from": "2000-01-01"})
    assert PERIOD.findall(everything.text)[0] in {str(i) for i in old}  # the earliest first


@pytest.mark.req("R9.2")
@pytest.mark.parametrize("cursor", ["garbage", "bjIwMjYt", "%00"])
def test_a_ledger_cursor_not_ours_is_refused_in_chinese(
    client: TestClient, busy: tuple[Evidence, set[int]], cursor: str
) -> None:
    as_user(client, "u_admin2")
    r = client.get("/api/v1/ledger", params={"limit": 2, "cursor": cursor})
    assert r.status_code == 422 and BAD_CURSOR in r.text
    page = client.get("/ledger", params={"cursor": cursor})
    assert page.status_code == 422 and BAD_CURSOR in page.text
