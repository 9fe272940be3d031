"""迟交清单 by the activities' rule (第十四条, R14.1) and the links to activities from the
officer's page and the custody ledger (第十条, R10.1; issue 15 item 6).

One card of 执法二处's recorder is docked now through the real ingest: a clip of an inspection
three days ago (late: the activity ended more than 24 h before the docking), a clip outside
every activity four days ago (late by its own end + 24 h), a clip of an activity two hours
ago (in time), and a clip of a long activity that ended within the day although the clip
itself ended more than 24 h ago (in time by the activity's end; the old per-recording flag
called it late). The ledger has a period of each officer on the days of their activities."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from lawcam.activities import service
from lawcam.activities.service import ActivityData
from lawcam.activities.types import ActivityKind
from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.custody import service as custody
from lawcam.custody.types import CheckLimits, CheckoutIn, Condition, PreUseCheck
from lawcam.db import Database
from lawcam.evidence.models import IngestRun, Recording
from lawcam.reports.ledger import ledger_entries
from lawcam.timeutil import SHANGHAI, clock_at, local
from lawcam.web.app import create_app
from tests.api.test_api_custody import as_user
from tests.api.test_api_evidence import NO_RECORDING_VIEW
from tests.api.test_pages_activities import ADMIN, OFFICER, people_of_unit_two
from tests.concurrent_pages import read_while_moving
from tests.evidence_helpers import ingest, workstation_actor
from tests.factories import PASSWORD, Office
from tests.live import served
from tests.media import make_mp4

SERIAL = "T2-0001"  # 执法二处's recorder
OWN, SPARE = "T9001", "T9002"  # 二处执法员 (u_officer2) and 备用人员, both of 执法二处
SLOWEST_S = 10.0


def _at(days_ago: int, hour: int, minute: int = 0) -> datetime:
    day = datetime.now(SHANGHAI).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Scene:
    activities: dict[str, int]  # late, on_time, long, spare_only
    clips: dict[str, int]  # late, outside, on_time, long
    people: dict[str, int]  # own, spare
    days: dict[str, date]  # the Beijing day of each custody period: own, spare


def _custody(database: Database, console: Actor, badge: str, days_ago: int) -> None:
    """A day's custody of the recorder: issued at 08:30, returned at 17:30."""
    with clock_at(_at(days_ago, 8, 30)), database.unit_of_work() as session:
        custody.checkout(
            session=session,
            actor=console,
            data=CheckoutIn(SERIAL, badge, PreUseCheck(95, 20, 1)),
            limits=CheckLimits(),
        )
    with clock_at(_at(days_ago, 17, 30)), database.unit_of_work() as session:
        custody.return_device(session=session, actor=console, serial=SERIAL, condition=Condition.OK)


def _activity(
    database: Database,
    settings: Settings,
    console: Actor,
    office: Office,
    span: tuple[datetime, datetime],
    officers: list[str],
) -> int:
    ids = {OWN: office.people["other_unit_officer"], SPARE: office.people["spare"]}
    data = ActivityData(
        unit_id=office.units["执法二处"],
        kind=ActivityKind.INSPECTION,
        place="中山路 18 号地下人防工程",
        arrived_at=span[0],
        ended_at=span[1],
        officer_ids=[ids[b] for b in officers],
        announced=True,
    )
    with database.unit_of_work() as session:
        activity, _ = service.add_activity(
            session=session, actor=console, settings=settings, data=data
        )
        return activity.id


@pytest.fixture
def scene(
    database: Database, settings: Settings, console: Actor, office: Office, tmp_path: Path
) -> Scene:
    people_of_unit_two(database, settings, console, office)
    _custody(database, console, SPARE, 4)
    _custody(database, console, OWN, 3)
    now = datetime.now(UTC).replace(microsecond=0)
    starts = {
        "late": (_at(3, 9, 10), 60),
        "outside": (_at(4, 20), 30),  # after 备用人员 returned it: no activity, no custody
        "on_time": (now - timedelta(hours=3) + timedelta(seconds=10), 60),
        "long": (now - timedelta(hours=26) + timedelta(seconds=60), 60),
    }
    card = tmp_path / "card" / "DCIM"
    card.mkdir(parents=True)
    for name, (start, seconds) in starts.items():
        small = {"width": 64, "height": 48, "fps": 1, "audio": False}
        make_mp4(card / f"{name}.mp4", seconds=seconds, creation_time=start, **small)
    report = ingest(
        database, settings, workstation_actor(office, database), card.parent, officer_badge=OWN
    )
    clips = {Path(f.path).stem: f.recording_id for f in report.files}
    spans = {
        "late": ((_at(3, 9), _at(3, 10)), [OWN, SPARE]),
        "on_time": ((now - timedelta(hours=3), now - timedelta(hours=2)), [OWN, SPARE]),
        "long": ((now - timedelta(hours=26), now - timedelta(hours=20)), [OWN, SPARE]),
        "spare_only": ((_at(4, 10), _at(4, 11)), [SPARE]),
    }
    activities = {
        name: _activity(database, settings, console, office, span, officers)
        for name, (span, officers) in spans.items()
    }
    people = {"own": office.people["other_unit_officer"], "spare": office.people["spare"]}
    days = {"own": _at(3, 12).date(), "spare": _at(4, 12).date()}
    return Scene(activities, {k: int(v or 0) for k, v in clips.items()}, people, days)


def late_rows(html: str) -> dict[int, str]:
    """The late list's rows by recording id, each row's HTML."""
    found = re.findall(r'<tr data-recording="(\d+)">(.*?)</tr>', html, re.S)
    return {int(rid): body for rid, body in found}


def late_ids(client: TestClient, **params: str) -> set[int]:
    page = client.get("/activities/late", params=params)
    assert page.status_code == 200, page.text[:500]
    return set(late_rows(page.text))


def activity_rows(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-activity="(\d+)"', html)]


def error_of(html: str) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


# ---------------------------------------------------------------------------------------------
# 迟交清单


@pytest.mark.req("R14.1")
def test_the_late_list_counts_from_the_activitys_end_to_the_docking(
    client: TestClient, scene: Scene, database: Database
) -> None:
    as_user(client, ADMIN)
    page = client.get("/activities/late")
    assert page.status_code == 200 and "<h1>迟交清单</h1>" in page.text
    rows = late_rows(page.text)
    # The in-time ones are not listed — the long activity's clip included, though it ended
    # more than 24 h before the docking (its activity ended within the day).
    assert set(rows) == {scene.clips["late"], scene.clips["outside"]}
    with database.read() as session:
        docked = session.scalar(
            select(IngestRun.started_at)
            .join(Recording, Recording.ingest_run_id == IngestRun.id)
            .where(Recording.id == scene.clips["late"])
        )
        long_clip = session.get(Recording, scene.clips["long"])
        assert long_clip is not None and long_clip.uploaded_late  # the old rule listed it
    assert docked is not None
    due = _at(3, 10) + timedelta(hours=24)
    late = rows[scene.clips["late"]]
    for text in [
        f'href="/recordings/{scene.clips["late"]}"',
        f'href="/activities/{scene.activities["late"]}">#{scene.activities["late"]} 检查</a>',
        "中山路 18 号地下人防工程",
        "二处执法员",
        OWN,
        "执法二处",
        local(due),  # the activity's end + 24 h
        local(docked),  # the docking: the ingest run's start
        f"{(docked - due).total_seconds() / 3600:.1f} 小时",
    ]:
        assert text in late, text
    outside = rows[scene.clips["outside"]]
    assert "活动之外" in outside and "/activities/" not in outside
    assert f'href="/recordings/{scene.clips["outside"]}"' in outside
    # By officer and by unit, each a link to the list narrowed to them.
    officers = page.text.split('id="by-officer"')[1].split("</section>")[0]
    link = f'<a href="/activities/late?officer={OWN}&amp;from=&amp;to=">二处执法员</a>'
    assert re.search(re.escape(link) + r'.*?<td class="num">2</td>', officers, re.S)
    units = page.text.split('id="by-unit"')[1].split("</section>")[0]
    assert '>执法二处</a></td><td class="num">2</td>' in units
    assert "共 2 条。" in page.text


@pytest.mark.req("R14.1")
def test_the_filters_narrow_the_list_and_bad_ones_say_why(
    client: TestClient, scene: Scene, office: Office
) -> None:
    as_user(client, ADMIN)
    both = {scene.clips["late"], scene.clips["outside"]}
    today = datetime.now(SHANGHAI).date().isoformat()  # the docking's day
    assert late_ids(client, officer=OWN) == both
    assert late_ids(client, officer=SPARE) == set()
    assert late_ids(client, unit_id=str(office.units["执法二处"])) == both
    assert late_ids(client, unit_id=str(office.units["执法一处"])) == set()
    assert late_ids(client, **{"from": today, "to": today}) == both
    for params, status, message in [
        ({"officer": "NOPE-1"}, 422, "执法证号为 NOPE-1 的人员不存在。"),
        ({"from": "昨天"}, 422, "起始日期格式不正确"),
        ({"from": "2099-01-01"}, 422, "起始日期 2099-01-01 晚于今天"),
        ({"from": today, "to": "2026-01-01"}, 422, "请调换两个日期后再查询"),
        ({"unit_id": "x"}, 422, "单位参数须为整数"),
        ({"page": "9"}, 422, "第 9 页超出范围：符合条件的迟交资料共 2 条，1 页。"),
    ]:
        answer = client.get("/activities/late", params=params)
        assert answer.status_code == status, (params, answer.status_code)
        assert message in error_of(answer.text), (params, error_of(answer.text))
        assert late_rows(answer.text) == {} and "请先更正筛选条件。" in answer.text


@pytest.mark.req("R14.1")
def test_each_reader_sees_the_late_uploads_they_may_see(
    client: TestClient, scene: Scene, office: Office
) -> None:
    as_user(client, OFFICER)  # 二处执法员: their own recordings
    assert late_ids(client) == {scene.clips["late"], scene.clips["outside"]}
    as_user(client, office.user(Role.DEVICE_ADMIN))  # 执法一处's: none of 执法二处's
    assert late_ids(client) == set()
    assert "没有迟交的资料。" in client.get("/activities/late").text
    for role in NO_RECORDING_VIEW:
        as_user(client, office.user(role))
        assert client.get("/activities/late").status_code == 403, role
        assert client.get("/recordings/late", follow_redirects=False).status_code == 403, role
        assert 'href="/activities/late"' not in client.get("/").text, role


@pytest.mark.req("R14.1")
def test_the_home_count_is_the_lists(client: TestClient, scene: Scene) -> None:
    as_user(client, ADMIN)
    home = client.get("/").text
    found = re.search(
        r'data-work="迟交的资料">\s*<a href="([^"]+)"><span class="number">(\d+)', home
    )
    assert found is not None and found.groups() == ("/activities/late", "2")
    assert 'href="/activities/late">迟交清单</a>' in home  # the menu entry
    listed = client.get("/recordings")
    assert 'href="/activities/late"' in listed.text  # the recordings list's button


# ---------------------------------------------------------------------------------------------
# The officer's page


@pytest.mark.req("R10.1")
def test_the_officers_page_lists_their_activities_as_the_reader_may_see_them(
    client: TestClient, scene: Scene, office: Office
) -> None:
    a = scene.activities
    as_user(client, ADMIN)
    page = client.get(f"/people/{scene.people['own']}")
    assert page.status_code == 200
    section = page.text.split('id="activities"')[1].split("</section>")[0]
    assert activity_rows(section) == [a["on_time"], a["long"], a["late"]]  # newest first
    assert f'href="/activities?officer={OWN}">全部执法活动</a>' in section
    assert f'href="/activities/late?officer={OWN}">迟交清单</a>' in section
    row = section.split(f'<tr data-activity="{a["late"]}">')[1].split("</tr>")[0]
    assert f'href="/activities/{a["late"]}"' in row and "检查" in row
    assert local(_at(3, 9)) in row and "中山路 18 号地下人防工程" in row
    assert "100.0%" not in row and '"num late"><span class="tag bad">1</span>' in row
    assert '"num unexplained">' in row and '"num coverage">' in row
    # The list it links to holds the same activities.
    linked = client.get("/activities", params={"officer": OWN}).text
    assert activity_rows(linked) == [a["on_time"], a["long"], a["late"]]
    # 备用人员's page: the administrator sees all four of theirs; 二处执法员, only the three
    # they took part in too (an officer sees their own activities).
    spare = client.get(f"/people/{scene.people['spare']}").text.split('id="activities"')[1]
    assert activity_rows(spare.split("</section>")[0]) == [
        a["on_time"],
        a["long"],
        a["late"],
        a["spare_only"],
    ]
    as_user(client, OFFICER)
    page = client.get(f"/people/{scene.people['spare']}")
    assert page.status_code == 200
    seen = page.text.split('id="activities"')[1].split("</section>")[0]
    assert activity_rows(seen) == [a["on_time"], a["long"], a["late"]]
    as_user(client, office.user(Role.SYSADMIN))  # sees people, not activities
    page = client.get(f"/people/{scene.people['own']}")
    assert page.status_code == 200 and 'id="activities"' not in page.text


# ---------------------------------------------------------------------------------------------
# The ledger


def ledger_cells(html: str) -> dict[str, str]:
    """The 执法活动 cell of each ledger row, by the period's officer badge."""
    cells = {}
    for body in re.findall(r'<tr data-period="\d+">(.*?)</tr>', html, re.S):
        badge = re.search(r'<div class="muted mono">(T\d+)</div>', body)
        cell = re.search(r'<td class="num activities"[^>]*>(.*?)</td>', body, re.S)
        if badge and cell:
            cells[badge.group(1)] = cell.group(1)
    return cells


@pytest.mark.req("R10.1")
def test_each_ledger_period_links_to_its_officers_activities(
    client: TestClient, scene: Scene, office: Office
) -> None:
    a = scene.activities
    as_user(client, ADMIN)
    page = client.get("/ledger")
    assert page.status_code == 200 and "<th" in page.text and ">执法活动</th>" in page.text
    cells = ledger_cells(page.text)
    own, spare = scene.days["own"].isoformat(), scene.days["spare"].isoformat()
    assert cells == {
        OWN: f'<a href="/activities?officer={OWN}&amp;from={own}&amp;to={own}">1</a>',
        SPARE: f'<a href="/activities?officer={SPARE}&amp;from={spare}&amp;to={spare}">1</a>',
    }
    # Each link lists what its number counts.
    for badge, day, expected in [(OWN, own, [a["late"]]), (SPARE, spare, [a["spare_only"]])]:
        listed = client.get("/activities", params={"officer": badge, "from": day, "to": day})
        assert activity_rows(listed.text) == expected, badge
    # An officer counts only the activities they may see: 备用人员's alone is not theirs.
    as_user(client, OFFICER)
    assert ledger_cells(client.get("/ledger").text) == {SPARE: "0", OWN: cells[OWN]}
    # A supervisor reads the ledger but not activities: no column.
    as_user(client, office.user(Role.ENGINEERING))
    page = client.get("/ledger")
    assert page.status_code == 200 and ">执法活动</th>" not in page.text


@pytest.mark.req("R10.1")
def test_the_ledger_asks_for_activities_once_whatever_the_number_of_periods(
    scene: Scene, database: Database, console: Actor
) -> None:
    def statements(**where: object) -> tuple[int, int, list[int]]:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(database.engine, "before_cursor_execute", count)
        try:
            with database.read() as session:
                entries = ledger_entries(
                    session=session,
                    actor=console,
                    with_activities=True,
                    **where,  # type: ignore[arg-type]
                )
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
        asked = [s for s in seen if "activity_officer" in s]
        return len(entries), len(asked), [e.activities.count for e in entries if e.activities]

    until = datetime.combine(scene.days["spare"] + timedelta(days=1), datetime.min.time(), SHANGHAI)
    assert statements(until=until) == (1, 1, [1])
    assert statements() == (2, 1, [1, 1])


# ---------------------------------------------------------------------------------------------
# Many at once


def _session(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def test_the_late_list_ledger_and_officers_page_for_many_at_once(
    database: Database, settings: Settings, scene: Scene
) -> None:
    """Administrators and the officer reading the late list (and its old address), the ledger
    and the officer's page while the administrator moves the late clip out of its activity and
    back (it turns from late-in-the-activity to late-outside and back): no error, nothing slow."""
    app = create_app(settings, database)
    reads = [
        "/activities/late",
        "/recordings/late",
        f"/activities/late?officer={OWN}",
        "/ledger",
        f"/people/{scene.people['own']}",
        "/",
    ]
    with served(app) as base:
        clients = [_session(base, user) for user in [ADMIN, OFFICER, ADMIN, OFFICER, ADMIN]]
        for path in reads:  # a server that has been running: templates compiled
            assert clients[1].get(path).status_code == 200, path
        seen = read_while_moving(
            clients,
            reads,
            scene.activities["late"],
            scene.clips["late"],
            ok=lambda a: a.status_code == 200 and "迟交" in a.text,
        )
        for client in clients:
            client.close()
    assert not [s for s in seen if s[1] != 200], [s for s in seen if s[1] != 200][:10]
    assert {s[0] for s in seen} >= set(reads) | {"POST /detach", "POST "}
    slow = [s for s in seen if s[2] > SLOWEST_S]
    assert not slow, slow[:10]
