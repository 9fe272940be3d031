"""Recordings lists page by keyset (issue 19): 下一页/上一页 carry a cursor of (start, id), so
a page boundary inside a run of equal start times neither loses nor repeats a recording; the
permission is read as one index branch per unit (and the officer's own), merged; the total is
counted up to a cap; a cursor that is not ours is refused in Chinese, never a 500."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence import queries
from lawcam.evidence.models import Recording
from lawcam.keyset import BAD_CURSOR
from tests.api.test_api_custody import as_user
from tests.api.test_api_evidence import OFFICER_USER, Evidence, build_evidence
from tests.factories import Office

ROWS = re.compile(r'<tr data-recording="(\d+)">')
NEXT = re.compile(r'href="(/recordings\?[^"]*cursor=[^"]+)">下一页')
PREV = re.compile(r'href="(/recordings\?[^"]*cursor=[^"]+)">上一页')


@pytest.fixture
def crowded(
    office: Office, database: Database, settings: Settings, console: Actor, tmp_path: Path
) -> Evidence:
    """The evidence of the API tests, and copies of its recordings that share start times:
    five at the custody recording's very moment (its unit), four at the sub-unit's, so that
    pages of two cut through runs of equal start times in both branches of the permission."""
    e = build_evidence(database, settings, console, office, tmp_path)
    with database.unit_of_work() as session:
        for source, copies in ((e.custody, 5), (e.sub, 4), (e.old, 2)):
            original = session.get(Recording, source)
            assert original is not None
            for n in range(copies):
                session.add(_copy(original, f"{source}-{n}"))
    return e


def _copy(original: Recording, tag: str) -> Recording:
    facts = {
        c.key: getattr(original, c.key)
        for c in Recording.__mapper__.column_attrs
        if c.key not in ("id", "sha256", "sm3", "original_name")
    }
    digest = tag.encode().hex().ljust(64, "0")[:64]
    return Recording(**facts, sha256=digest, sm3=digest, original_name=f"{tag}.mp4")


def _expected(database: Database, ids: set[int]) -> list[int]:
    with database.read() as session:
        found = session.execute(
            select(Recording.id, Recording.start_at).where(Recording.id.in_(ids))
        ).all()
    return [i for i, _ in sorted(found, key=lambda r: (r[1], r[0]), reverse=True)]


def _walk_api(client: TestClient, **params: object) -> tuple[list[int], list[dict]]:
    pages, seen, cursor = [], [], None
    while True:
        r = client.get("/api/v1/recordings", params={**params, "limit": 2, "cursor": cursor})
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append(body)
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages
        assert len(pages) < 50, "the cursor does not advance"


@pytest.mark.req("R15.2")
@pytest.mark.parametrize("user", ["u_admin2", OFFICER_USER, "u_head2"])
def test_pages_of_two_through_equal_start_times_lose_and_repeat_nothing(
    client: TestClient, crowded: Evidence, database: Database, user: str
) -> None:
    as_user(client, user)
    everything = client.get("/api/v1/recordings", params={"limit": 1000}).json()
    visible = [i["id"] for i in everything["items"]]
    assert visible == _expected(database, set(visible))  # newest first, ties by id
    assert everything["total"] == len(visible) and everything["total_exact"] is True
    assert everything["next_cursor"] is None and everything["prev_cursor"] is None
    seen, pages = _walk_api(client)
    assert seen == visible
    assert pages[0]["prev_cursor"] is None and all(p["prev_cursor"] for p in pages[1:])
    # Back from the last page with 上一页: the same pages, in the same order, to the first.
    back, cursor = [], pages[-1]["prev_cursor"]
    while cursor is not None:
        body = client.get("/api/v1/recordings", params={"limit": 2, "cursor": cursor}).json()
        back = [i["id"] for i in body["items"]] + back
        cursor = body["prev_cursor"]
    assert back + [i["id"] for i in pages[-1]["items"]] == visible


@pytest.mark.req("R15.2")
def test_the_unit_wide_lists_union_their_units_and_keep_the_filters(
    client: TestClient, crowded: Evidence, database: Database
) -> None:
    e = crowded
    as_user(client, "u_admin2")  # 执法二处 and 执法二处一科: two branches
    everything = [i["id"] for i in client.get("/api/v1/recordings").json()["items"]]
    assert {e.custody, e.old, e.sub} <= set(everything) and e.one not in everything
    with database.read() as session:
        units = dict(session.execute(select(Recording.id, Recording.unit_id)).all())
    in_sub, _ = _walk_api(client, unit_id=e.sub_unit)
    assert in_sub == [i for i in everything if units[i] == e.sub_unit]
    assert len(in_sub) == 5 and e.sub in in_sub  # the sub-unit's recording and its 4 copies
    day, _ = _walk_api(client, date_from=e.old_day.isoformat(), date_to=e.old_day.isoformat())
    assert len(day) == 3 and e.old in day  # the old recording and its two copies
    as_user(client, e.office.user(Role.DEVICE_ADMIN))  # 执法一处: only its own device's
    assert _walk_api(client)[0] == [e.one]


@pytest.mark.req("R15.2")
def test_the_total_is_counted_up_to_a_cap(
    client: TestClient, crowded: Evidence, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user(client, "u_admin2")
    monkeypatch.setattr(queries, "COUNT_CAP", 4)
    body = client.get("/api/v1/recordings", params={"limit": 3}).json()
    assert body["total"] == 4 and body["total_exact"] is False and len(body["items"]) == 3
    page = client.get("/recordings")
    assert "共 4 条以上。" in page.text
    body = client.get("/api/v1/recordings", params={"unit_id": crowded.sub_unit}).json()
    assert (body["total"], body["total_exact"]) == (4, False)  # the sub-unit holds 5


def _token(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


BAD_CURSORS = [
    "garbage",
    "%%%",
    _token("x2026-01-01T00:00:00+00:00|1"),  # no such direction
    _token("n2026-01-01T00:00:00|1"),  # a moment without its zone
    _token("n2026-01-01T00:00:00+00:00|0"),
    _token("n2026-01-01T00:00:00+00:00|99999999999999999999"),  # beyond BIGINT
    _token("n0001-01-01T00:00:00+08:00|1"),  # before year one in UTC
    _token("n9999-99-99T00:00:00+00:00|1"),
    _token(""),
]


@pytest.mark.req("R15.2")
@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_cursor_that_is_not_ours_is_refused_in_chinese(
    client: TestClient, crowded: Evidence, cursor: str
) -> None:
    as_user(client, "u_admin2")
    r = client.get("/api/v1/recordings", params={"cursor": cursor})
    if cursor == _token(""):  # an empty token is no cursor: the first page
        assert r.status_code == 200
        return
    assert r.status_code == 422, r.text
    assert BAD_CURSOR in r.text
    page = client.get("/recordings", params={"cursor": cursor})
    assert page.status_code == 422 and BAD_CURSOR in page.text
    assert len(ROWS.findall(page.text)) == 14  # the first page, under the error


@pytest.mark.req("R15.2")
def test_the_page_goes_forward_and_back_by_links(
    client: TestClient, crowded: Evidence, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lawcam.web.routers.evidence import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    as_user(client, "u_admin2")
    first = client.get("/recordings", params={"unit_id": crowded.sub_unit})
    assert "上一页" not in first.text and "第 1 /" not in first.text
    seen, html = [], first.text
    while True:
        seen += [int(i) for i in ROWS.findall(html)]
        link = NEXT.search(html)
        if link is None:
            break
        assert f"unit_id={crowded.sub_unit}" in link.group(1)  # the filter goes along
        html = client.get(link.group(1).replace("&amp;", "&")).text
        assert PREV.search(html)
    assert seen == _expected(database, set(seen)) and len(seen) == 5
    back = client.get(PREV.search(html).group(1).replace("&amp;", "&")).text  # type: ignore[union-attr]
    assert [int(i) for i in ROWS.findall(back)] == seen[:3]
