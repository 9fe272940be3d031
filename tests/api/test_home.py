"""Each role's home (issue 14): its work with real counts, and a navigation that reaches every
page the role may open, drawn from the same table as the tiles (web/navigation.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence.problems import problem_label
from lawcam.web import navigation
from tests.api.conftest import login
from tests.api.test_permission_matrix import ANY, PAGES
from tests.factories import Office
from tests.home_scene import build_scene

NAV_LINK = re.compile(r'<div class="menu-items">(.*?)</div>', re.S)
HREF = re.compile(r'href="([^"]+)"')


def counts(html: str) -> dict[str, int]:
    """Every count on the home page, by its words."""
    found = re.findall(r'data-work="([^"]+)">\s*<a href="[^"]*"><span class="number">(\d+)', html)
    return {label: int(n) for label, n in found}


def nav_links(html: str) -> set[str]:
    return {url for block in NAV_LINK.findall(html) for url in HREF.findall(block)}


def tile_links(html: str) -> set[str]:
    work = re.findall(r'<article class="work-tile">\s*<h2><a href="([^"]+)"', html)
    others = re.findall(r'<ul class="tiles">(.*?)</ul>', html, re.S)
    return (set(work) | {u for block in others for u in HREF.findall(block)}) - {"/inbox"}


def openable_pages(role: Role) -> set[str]:
    """The pages of the permission matrix this role opens that need no id and show a list."""
    found = set()
    for (method, path), who in PAGES.items():
        if method != "GET" or "{" in path or path.endswith(("/new", ".xlsx", ".pdf")):
            continue
        # /audit/proof needs the entry (a link on each audit row); /recordings/late is the
        # late list's old address, leading to /activities/late
        if path in {"/login", "/", "/me/password", "/inbox", "/audit/proof", "/recordings/late"}:
            continue
        if who == ANY or (isinstance(who, frozenset) and role in who):
            found.add(path)
    return found


@pytest.mark.parametrize("role", list(Role))
def test_navigation_reaches_every_page_the_role_opens(role: Role) -> None:
    actor = Actor(label="x", source="web", person_id=1, unit_id=1, roles=frozenset({role}))
    in_menus = {p.url for m in navigation.menus_for(actor) for p in m.pages}
    assert in_menus == openable_pages(role)
    assert in_menus == {navigation.PAGES[t.page].url for t in navigation.tiles_for(actor)}


def test_every_page_of_the_table_is_in_a_menu() -> None:
    assert {p.menu for p in navigation.PAGES.values()} <= set(navigation.MENUS)
    for role, tiles in navigation.ROLE_PAGES.items():
        assert len({t.page for t in tiles}) == len(tiles), f"{role}: a page listed twice"


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor, office: Office, tmp_path: Path):  # type: ignore[no-untyped-def]
    return build_scene(database, settings, console, office, tmp_path)


@pytest.mark.req("R9.2", "R14.1", "R16.1", "R17.1", "R8.1", "R6.2")
def test_each_home_shows_its_work(client: TestClient, office: Office, scene) -> None:  # type: ignore[no-untyped-def]
    for role, expected in scene.counts.items():
        client.cookies.clear()
        login(client, office.user(role))
        response = client.get("/")
        assert response.status_code == 200, role
        shown = counts(response.text)
        for label, number in expected.items():
            assert shown.get(label) == number, f"{role}: {label} shows {shown.get(label)}"
        assert tile_links(response.text) == nav_links(response.text), role
        counted = re.findall(r'data-work="[^"]+">\s*<a href="([^"]+)"', response.text)
        for url in nav_links(response.text) | {u.replace("&amp;", "&") for u in counted}:
            assert client.get(url).status_code == 200, f"{role}: {url}"
    client.cookies.clear()
    login(client, office.user("officer"))
    page = client.get("/").text
    assert "YC-1（ZC-YC-1）" in page and "领用至今" in page  # the device held, and since when


def test_unread_badge_on_inbox(client: TestClient, office: Office, scene) -> None:  # type: ignore[no-untyped-def]
    login(client, office.user("unit_head"))
    page = client.get("/devices").text
    assert re.search(r'href="/inbox">消息<span class="badge"[^>]*>1</span>', page)
    client.cookies.clear()
    login(client, office.user("officer"))
    assert '<span class="badge"' not in client.get("/devices").text


def test_a_range_that_can_hold_nothing_says_why(client: TestClient, office: Office) -> None:
    login(client, office.user("device_admin"))
    reversed_ledger = client.get("/ledger", params={"from": "2026-12-05", "to": "2026-12-01"})
    assert reversed_ledger.status_code == 422
    assert "起始日期 2026-12-05 晚于截止日期 2026-12-01：请调换两个日期后再查询。" in (
        reversed_ledger.text
    )
    reversed_recordings = client.get(
        "/recordings", params={"from": "2026-03-02", "to": "2026-03-01"}
    )
    assert reversed_recordings.status_code == 422
    assert "起始日期 2026-03-02 晚于截止日期 2026-03-01" in reversed_recordings.text
    ahead = client.get("/recordings/late", params={"from": "2099-01-01"})
    assert ahead.status_code == 422 and "起始日期 2099-01-01 晚于今天" in ahead.text
    ancient = client.get("/ledger", params={"from": "1899-01-01"})
    assert ancient.status_code == 422 and "起始日期须在" in ancient.text
    fine = client.get("/ledger", params={"from": "2026-01-01", "to": "2026-01-01"})
    assert fine.status_code == 200 and 'p class="error"' not in fine.text


def test_problem_codes_show_their_chinese_names(
    client: TestClient,
    office: Office,
    scene,  # type: ignore[no-untyped-def]
) -> None:
    login(client, office.user("device_admin"))
    listed = client.get("/recordings").text
    tag = r'<span class="tag warn code-name" title="([a-z_]+)：[^"]*">([^<]+)</span>'
    names = re.findall(tag, listed)
    assert names, "the sample folder holds flagged recordings"
    for code, name in names:
        assert name == problem_label(code) != code
    recording = re.search(r'href="/recordings/(\d+)"', listed)
    assert recording is not None


def test_the_api_and_cli_refuse_a_reversed_range_too(client: TestClient, office: Office) -> None:
    login(client, office.user("device_admin"))
    r = client.get(
        "/api/v1/recordings", params={"date_from": "2026-03-02", "date_to": "2026-03-01"}
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"].startswith("起始日期 2026-03-02 晚于截止日期 2026-03-01")


def test_the_fault_tile_counts_fault_reports_and_the_inbox_every_notice(
    client: TestClient,
    office: Office,
    scene,
    database: Database,
    console: Actor,  # type: ignore[no-untyped-def]
) -> None:
    """R16.1: the unit head's 未读的故障报告 counts the fault reports' notices alone; a finding's
    notice (第十八条) adds to 未读消息 only."""
    from lawcam.custody import notices
    from lawcam.org.models import Account

    with database.unit_of_work() as session:
        head = session.get(Account, office.accounts[str(Role.UNIT_HEAD)])
        assert head is not None and head.person_id is not None
        notices.send(
            session,
            console,
            [notices.Notice(head.person_id, "执法过错 #1 已提交陈述申辩", "/findings/1")],
        )
    login(client, office.user("unit_head"))
    page = client.get("/").text
    faults = re.search(
        r'data-work="未读的故障报告">\s*<a href="/inbox"><span class="number">(\d+)<', page
    )
    every = re.search(r'data-work="未读消息">\s*<a href="/inbox"><span class="number">(\d+)<', page)
    assert faults is not None and every is not None
    assert (faults[1], every[1]) == ("1", "2")
