"""The activities pages (第十条、第十二条、第十四条): the list with its filters and Excel export,
the entry form, and an activity's page with its timeline, explanations, confirmation and manual
links. Real media through the real ingest; bad input gets a Chinese message, never a 500, and
writes nothing; many people at once on a real server."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lawcam.activities import service
from lawcam.activities.models import Activity, ActivityLink, Interruption
from lawcam.activities.service import ActivityData
from lawcam.activities.types import ActivityKind
from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.org import accounts
from lawcam.org import service as org_service
from lawcam.org.types import PersonIn
from lawcam.timeutil import SHANGHAI
from lawcam.web.app import create_app
from lawcam.web.routers.activities import timeline
from tests.api.conftest import login
from tests.concurrent_pages import read_while_moving
from tests.evidence_helpers import ingest, workstation_actor
from tests.factories import PASSWORD, Office
from tests.live import served
from tests.media import make_mp4

ADMIN = "u_admin2"  # 执法二处's device administrator
OFFICER = "u_officer2"  # 二处执法员 (T9001), whose recordings these are
# Recorded 0–120 s and 122–222 s (segments that join), nothing 222–260 s, then 260–300 s.
CLIPS = [(0, 120), (122, 100), (260, 40)]
SPAN = 300
COVERED = (222 + 40) / SPAN
SLOWEST_S = 10.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A 5 s tolerance instead of 30 s: the segments 2 s apart join, the 78 s gap does not."""
    return settings.model_copy(update={"activity_tolerance_s": 5})


@dataclass(frozen=True)
class Scene:
    base: datetime  # the activity's arrival
    activity: int  # covered but for one gap
    silent: int  # no recording at all
    recordings: list[int]


def people_of_unit_two(
    database: Database, settings: Settings, console: Actor, office: Office
) -> None:
    """An account for 二处执法员 and a device administrator of 执法二处 with one."""
    with database.unit_of_work() as session:
        admin = org_service.create_person(
            session=session,
            actor=console,
            data=PersonIn(name="二处管理员", unit="执法二处", roles=(Role.DEVICE_ADMIN,)),
        )
        for person_id, username in [
            (admin.id, ADMIN),
            (office.people["other_unit_officer"], OFFICER),
        ]:
            accounts.create_account(
                session=session,
                actor=console,
                settings=settings,
                person_id=person_id,
                username=username,
                password=PASSWORD,
                must_change=False,
            )


def gap_scene(
    database: Database, settings: Settings, console: Actor, office: Office, tmp_path: Path
) -> Scene:
    """An inspection of 执法二处 three hours ago, recorded by 二处执法员's camera (docked through
    the real ingest) but for one gap; and one with no recording."""
    people_of_unit_two(database, settings, console, office)
    base = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    folder = tmp_path / "card" / "DCIM"
    folder.mkdir(parents=True)
    for index, (start, seconds) in enumerate(CLIPS):
        make_mp4(
            folder / f"V{index:03d}.mp4",
            seconds=seconds,
            width=64,
            height=48,
            fps=1,
            audio=False,
            creation_time=base + timedelta(seconds=start),
        )
    actor = workstation_actor(office, database)
    report = ingest(database, settings, actor, folder.parent, officer_badge="T9001")
    ids = sorted(r.recording_id for r in report.files if r.recording_id is not None)
    two = [office.people["other_unit_officer"], office.people["spare"]]
    with database.unit_of_work() as session:
        activity, _ = service.add_activity(
            session=session,
            actor=console,
            settings=settings,
            data=_data(office, base, 0, SPAN, two),
        )
        silent, _ = service.add_activity(
            session=session,
            actor=console,
            settings=settings,
            data=_data(
                office, base, -7200, -6000, two, kind=ActivityKind.SEIZURE, place="解放路 3 号"
            ),
        )
        return Scene(base, activity.id, silent.id, ids)


def _data(
    office: Office, base: datetime, start: int, end: int, officers: list[int], **changes: object
) -> ActivityData:
    fields: dict[str, object] = {
        "unit_id": office.units["执法二处"],
        "kind": ActivityKind.INSPECTION,
        "place": "中山路 18 号地下人防工程",
        "arrived_at": base + timedelta(seconds=start),
        "ended_at": base + timedelta(seconds=end),
        "officer_ids": officers,
        "announced": True,
        "case_number": "人防检〔2026〕18 号",
    }
    fields.update(changes)
    return ActivityData(**fields)  # type: ignore[arg-type]


@pytest.fixture
def scene(
    database: Database, settings: Settings, console: Actor, office: Office, tmp_path: Path
) -> Scene:
    return gap_scene(database, settings, console, office, tmp_path)


def counts(database: Database) -> tuple[int, int, int, int]:
    """Activities, links, explained interruptions, audit entries: what a refusal must leave."""
    with database.read() as session:
        explained = select(func.count()).where(Interruption.explanation.is_not(None))
        return (
            session.scalar(select(func.count()).select_from(Activity)) or 0,
            session.scalar(select(func.count()).where(ActivityLink.detached_at.is_(None))) or 0,
            session.scalar(explained) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def rows_of(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-activity="(\d+)"', html)]


def error_of(html: str) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


# ---------------------------------------------------------------------------------------------
# The list and its export


@pytest.mark.req("R10.1", "R14.1")
def test_the_list_shows_coverage_interruptions_and_filters(
    client: TestClient, scene: Scene
) -> None:
    login(client, ADMIN)
    page = client.get("/activities")
    assert page.status_code == 200
    assert rows_of(page.text) == [scene.activity, scene.silent]  # newest first
    row = page.text.split(f'<tr data-activity="{scene.activity}">')[1].split("</tr>")[0]
    assert f"{COVERED * 100:.1f}%" in row
    assert re.search(r'class="num unexplained"><span class="tag bad">1</span>', row)
    assert 'class="num late">0<' in row
    silent = page.text.split(f'<tr data-activity="{scene.silent}">')[1].split("</tr>")[0]
    assert "无录像" in silent and "查封扣押" in silent
    assert rows_of(client.get("/activities?unexplained=1").text) == [scene.activity]
    assert rows_of(client.get("/activities?below_full=1").text) == [scene.activity, scene.silent]
    assert rows_of(client.get("/activities?kind=seizure").text) == [scene.silent]
    assert rows_of(client.get("/activities?late=1").text) == []
    assert rows_of(client.get("/activities?officer=T9001").text) == [scene.activity, scene.silent]
    today = scene.base.astimezone(SHANGHAI).date()
    assert len(rows_of(client.get(f"/activities?from={today}&to={today}").text)) >= 1


def test_the_officers_list_is_their_own(client: TestClient, scene: Scene, office: Office) -> None:
    login(client, office.user(Role.OFFICER))  # 执法一处's officer took part in neither
    assert rows_of(client.get("/activities").text) == []
    client.cookies.clear()
    login(client, OFFICER)
    assert rows_of(client.get("/activities").text) == [scene.activity, scene.silent]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-12-05&to=2026-12-01", "起始日期 2026-12-05 晚于截止日期 2026-12-01"),
        ("from=2026-13-01", "起始日期格式不正确"),
        ("officer=X404", "执法证号为 X404 的人员不存在"),
        ("kind=raid", "执法活动类别不正确"),
        ("unit_id=abc", "单位参数须为整数"),
        ("page=9", "第 9 页超出范围：符合条件的执法活动共 2 条，1 页"),
        ("page=-1", "页码须为正整数"),
    ],
)
def test_a_bad_filter_says_so_in_chinese(
    client: TestClient, scene: Scene, database: Database, query: str, message: str
) -> None:
    login(client, ADMIN)
    before = counts(database)
    page = client.get(f"/activities?{query}")
    assert page.status_code in (404, 422), page.status_code
    assert message in error_of(page.text)
    assert rows_of(page.text) == []
    assert counts(database) == before


def test_the_export_is_the_filtered_list(client: TestClient, scene: Scene) -> None:
    login(client, ADMIN)
    answer = client.get("/activities.xlsx?unexplained=1")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert (
        "filename*=UTF-8''%E6%89%A7%E6%B3%95%E6%B4%BB%E5%8A%A8"
        in answer.headers["content-disposition"]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("活动编号", "单位", "类别", "执法地点")
    assert len(rows) == 2
    values = dict(zip(rows[0], rows[1], strict=True))
    assert values["活动编号"] == scene.activity
    assert values["类别"] == "检查"
    assert values["覆盖率"] == f"{COVERED * 100:.1f}%"
    assert values["未说明中断"] == 1
    assert values["在场执法人员"] == "二处执法员（T9001）、备用人员（T9002）"
    everything = openpyxl.load_workbook(io.BytesIO(client.get("/activities.xlsx").content)).active
    assert [r[10] for r in everything.iter_rows(min_row=2, values_only=True)][1] == "无录像"
    bad = client.get("/activities.xlsx?from=2026-12-05&to=2026-12-01")
    assert bad.status_code == 422 and "晚于截止日期" in bad.text


# ---------------------------------------------------------------------------------------------
# The entry form


def _form(office: Office, **changes: object) -> dict[str, object]:
    ago = (datetime.now(UTC) - timedelta(hours=2)).astimezone(SHANGHAI).replace(tzinfo=None)
    form: dict[str, object] = {
        "unit_id": str(office.units["执法二处"]),
        "kind": "inspection",
        "place": "人民路 5 号",
        "zone_id": "",
        "arrived_at": ago.strftime("%Y-%m-%dT%H:%M"),
        "ended_at": (ago + timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M"),
        "officer_ids": [str(office.people["other_unit_officer"]), str(office.people["spare"])],
        "announced": "yes",
        "obstructed": "",
        "obstruction_note": "",
        "case_number": "",
    }
    form.update(changes)
    return form


@pytest.mark.req("R10.1", "R12.1")
def test_an_activity_entered_in_the_form(
    client: TestClient, scene: Scene, office: Office, database: Database
) -> None:
    login(client, ADMIN)
    blank = client.get("/activities/new")
    assert blank.status_code == 200
    assert "查封扣押" in blank.text and "二处执法员（T9001）" in blank.text
    assert 'type="datetime-local"' in blank.text
    form = _form(office, obstructed="1", obstruction_note="当事人遮挡镜头，经劝阻后停止")
    answer = client.post("/activities/new", data=form, follow_redirects=False)
    assert answer.status_code == 303, error_of(answer.text)
    shown = client.get(answer.headers["location"])
    assert "已登记执法活动" in shown.text and "当事人遮挡镜头" in shown.text
    with database.read() as session:
        made = session.scalars(select(Activity).where(Activity.place == "人民路 5 号")).one()
        assert made.announced is True and made.obstructed is True
        local = made.arrived_at.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
        assert local == form["arrived_at"]  # the form's time is Beijing time


def test_a_seizure_by_one_officer_is_saved_with_the_warning(
    client: TestClient, scene: Scene, office: Office
) -> None:
    login(client, ADMIN)
    form = _form(office, kind="seizure", officer_ids=[str(office.people["spare"])])
    answer = client.post("/activities/new", data=form)
    assert answer.status_code == 200
    assert "查封扣押一般应由两名以上执法人员进行，本活动只登记了一名。" in answer.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"ended_at": "2026-01-01T08:00", "arrived_at": "2026-01-01T09:00"},
            "结束时间须晚于到场时间",
        ),
        ({"arrived_at": "2099-01-01T08:00", "ended_at": "2099-01-01T09:00"}, "执法活动尚未结束"),
        ({"ended_at": "明天"}, "现场执法结束时间格式不正确"),
        ({"arrived_at": ""}, "请填写到场时间"),
        (
            {"arrived_at": "2026-01-01T08:00", "ended_at": "2026-01-03T08:00"},
            "一次执法活动最长 24 小时",
        ),
        ({"announced": ""}, "请选择是否已告知当事人正在进行音像记录"),
        ({"kind": "raid"}, "请选择执法活动类别"),
        ({"place": "   "}, "执法地点不能为空"),
        ({"officer_ids": []}, "至少登记一名在场的执法人员"),
        ({"officer_ids": ["abc"]}, "执法人员须为整数"),
        ({"unit_id": ""}, "请填写单位"),
        ({"zone_id": "999999"}, "办案区不属于该单位"),
    ],
)
def test_a_bad_form_is_shown_again_with_the_message(
    client: TestClient,
    scene: Scene,
    office: Office,
    database: Database,
    changes: dict[str, object],
    message: str,
) -> None:
    login(client, ADMIN)
    before = counts(database)
    form = _form(office, case_number="人防罚〔2026〕7 号", **changes)
    answer = client.post("/activities/new", data=form)
    assert answer.status_code in (400, 409, 422), answer.status_code
    assert message in error_of(answer.text)
    assert 'value="人防罚〔2026〕7 号"' in answer.text  # nothing typed is lost
    assert counts(database) == before


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"place": "中山路\x0018 号"}, 422, ""),  # refused before it reaches the database
        ({"place": "长" * 501}, 422, ""),
        ({"unit_id": "99999999999999"}, 422, "单位超出允许范围"),
        ({"officer_ids": ["99999999999999"]}, 422, "执法人员超出允许范围"),
        ({"unit_id": "999999"}, 422, "单位不存在或已停用"),
        ({"arrived_at": "1900-01-01T08:00"}, 422, "到场时间的年份不正确"),
    ],
)
def test_input_past_the_form_is_refused_never_a_500(
    client: TestClient,
    scene: Scene,
    office: Office,
    database: Database,
    changes: dict[str, object],
    status: int,
    message: str,
) -> None:
    login(client, ADMIN)
    before = counts(database)
    answer = client.post("/activities/new", data=_form(office, **changes))
    assert answer.status_code == status, answer.text[:300]
    assert message in answer.text
    assert counts(database) == before
    for url in ["/activities/99999999999999999999", "/activities?page=99999999999999999999"]:
        assert client.get(url).status_code in (404, 422), url


def test_officers_of_another_unit_and_the_same_activity_twice(
    client: TestClient, scene: Scene, office: Office, database: Database
) -> None:
    login(client, ADMIN)
    before = counts(database)
    stranger = _form(office, officer_ids=[str(office.people[str(Role.OFFICER)])])
    answer = client.post("/activities/new", data=stranger)
    assert "测试执法人员不是该单位的执法人员" in error_of(answer.text)
    assert f'value="{office.people[str(Role.OFFICER)]}" selected' not in answer.text  # not offered
    assert counts(database) == before
    assert (
        client.post("/activities/new", data=_form(office), follow_redirects=False).status_code
        == 303
    )
    again = client.post("/activities/new", data=_form(office))
    assert again.status_code == 409 and "不能重复登记" in error_of(again.text)


# ---------------------------------------------------------------------------------------------
# An activity's page


def gap_state(html: str, seq: int = 1) -> str:
    found = re.search(rf'<g class="gap gap-(\w+)" data-seq="{seq}"', html)
    return found.group(1) if found else ""


@pytest.mark.req("R10.1", "R14.1")
def test_the_timeline_draws_the_recordings_the_gap_and_the_deadline(
    client: TestClient, scene: Scene
) -> None:
    login(client, OFFICER)
    page = client.get(f"/activities/{scene.activity}")
    assert page.status_code == 200
    svg = page.text.split('<svg class="timeline"')[1].split("</svg>")[0]
    for rid in scene.recordings:
        assert f'<a href="/recordings/{rid}" class="bar"' in svg
    assert gap_state(svg) == "open"
    assert "中断 1：未说明" in svg
    start = (scene.base + timedelta(seconds=222)).astimezone(SHANGHAI).strftime("%H:%M:%S")
    assert f"（{start}–" in svg  # the gap starts where the second segment ends
    assert "上传截止" in svg
    due = (scene.base + timedelta(seconds=SPAN, hours=24)).astimezone(SHANGHAI)
    assert due.strftime("%m-%d %H:%M") in svg
    assert "二处执法员 T9001" in svg and "备用人员 T9002" in svg
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "作出说明" in page.text  # the officer of the activity may explain


@pytest.mark.req("R10.2")
def test_a_written_report_is_filed_and_confirmed(
    client: TestClient, scene: Scene, database: Database
) -> None:
    url = f"/activities/{scene.activity}/interruptions/1"
    login(client, OFFICER)
    answer = client.post(
        f"{url}/explanation",
        data={"how": "written", "cause": "battery", "text": "电池耗尽，更换备用电池后恢复"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, error_of(answer.text)
    page = client.get(f"/activities/{scene.activity}")
    assert gap_state(page.text) == "explained" and "电量耗尽" in page.text
    assert client.post(f"{url}/confirmation").status_code == 403  # not the officer's to confirm
    client.cookies.clear()
    login(client, ADMIN)
    assert "确认收到书面说明" in client.get(f"/activities/{scene.activity}").text
    assert client.post(f"{url}/confirmation", follow_redirects=False).status_code == 303
    page = client.get(f"/activities/{scene.activity}")
    assert gap_state(page.text) == "confirmed" and "中断 1：已确认" in page.text
    before = counts(database)
    again = client.post(f"{url}/confirmation")
    assert again.status_code == 409 and "已经确认过了" in error_of(again.text)
    assert counts(database) == before


@pytest.mark.req("R10.2")
def test_a_voice_explanation_names_the_recording_that_resumed(
    client: TestClient, scene: Scene
) -> None:
    url = f"/activities/{scene.activity}/interruptions/1/explanation"
    login(client, OFFICER)
    first, resumed = scene.recordings[0], scene.recordings[-1]
    wrong = client.post(url, data={"how": "voice", "recording_id": str(first)})
    assert wrong.status_code == 422 and "中断结束时开始" in error_of(wrong.text)
    assert f'<option value="{first}" selected' in wrong.text  # the choice is kept
    right = client.post(
        url, data={"how": "voice", "recording_id": str(resumed)}, follow_redirects=False
    )
    assert right.status_code == 303
    page = client.get(f"/activities/{scene.activity}")
    assert f'语音说明：<a href="/recordings/{resumed}">' in page.text
    assert gap_state(page.text) == "explained"


@pytest.mark.parametrize(
    ("user", "path", "form", "status", "message"),
    [
        (
            OFFICER,
            "1/explanation",
            {"how": "written", "cause": "battery", "text": " "},
            422,
            "书面说明不能为空",
        ),
        (OFFICER, "1/explanation", {"how": "written", "text": "电池"}, 422, "请选择中断原因"),
        (OFFICER, "1/explanation", {"how": "", "text": "电池"}, 422, "请选择说明方式"),
        (
            OFFICER,
            "1/explanation",
            {"how": "voice", "recording_id": ""},
            422,
            "请填写恢复记录的录像",
        ),
        (
            OFFICER,
            "1/explanation",
            {"how": "voice", "recording_id": "x1"},
            422,
            "恢复记录的录像须为整数",
        ),
        (
            OFFICER,
            "1/explanation",
            {"how": "voice", "recording_id": "999999"},
            422,
            "所选录像不属于本次执法活动",
        ),
        (
            OFFICER,
            "7/explanation",
            {"how": "written", "cause": "battery", "text": "电池"},
            404,
            "没有编号为 7 的中断",
        ),
        (ADMIN, "1/explanation", {"how": "written", "cause": "battery", "text": "电池"}, 403, ""),
        (ADMIN, "1/confirmation", {}, 409, "中断 1 尚未说明，无从确认"),
    ],
)
def test_a_bad_explanation_or_confirmation_writes_nothing(
    client: TestClient,
    scene: Scene,
    database: Database,
    user: str,
    path: str,
    form: dict[str, str],
    status: int,
    message: str,
) -> None:
    login(client, user)
    before = counts(database)
    answer = client.post(f"/activities/{scene.activity}/interruptions/{path}", data=form)
    assert answer.status_code == status, answer.text[:500]
    if message:
        assert message in error_of(answer.text)
    assert counts(database) == before
    assert gap_state(client.get(f"/activities/{scene.activity}").text) == "open"


def test_detach_and_attach_with_a_reason(
    client: TestClient, scene: Scene, database: Database
) -> None:
    login(client, ADMIN)
    url = f"/activities/{scene.activity}/links"
    middle = str(scene.recordings[1])
    before = counts(database)
    for path, form, message in [
        ("/detach", {"recording_id": middle, "reason": " "}, "须说明理由"),
        ("", {"recording_id": "abc", "reason": "时钟偏差"}, "资料编号须为整数"),
        ("", {"recording_id": "", "reason": "时钟偏差"}, "请填写资料编号"),
        ("", {"recording_id": middle, "reason": "时钟偏差"}, "该录像已在本次执法活动中"),
        ("/detach", {"recording_id": "999999", "reason": "误关联"}, "该录像不在本次执法活动中"),
    ]:
        answer = client.post(url + path, data=form)
        assert answer.status_code in (404, 409, 422), (path, form, answer.status_code)
        assert message in error_of(answer.text), (path, form)
        assert counts(database) == before
    out = client.post(f"{url}/detach", data={"recording_id": middle, "reason": "另一案件的录像"})
    assert out.status_code == 200  # followed to the page
    assert "已将资料" in out.text and "另一案件的录像" in out.text
    assert f'<a href="/recordings/{middle}" class="bar"' not in out.text
    assert counts(database)[1] == before[1] - 1
    back = client.post(url, data={"recording_id": middle, "reason": "核实后属于本次活动"})
    assert "手动：核实后属于本次活动" in back.text
    assert f'<a href="/recordings/{middle}" class="bar"' in back.text
    client.cookies.clear()
    login(client, OFFICER)  # an officer neither attaches nor detaches
    page = client.get(f"/activities/{scene.activity}")
    assert 'class="inline-form attach"' not in page.text
    assert client.post(url, data={"recording_id": middle, "reason": "x"}).status_code == 403


def test_another_units_activity_is_not_shown(
    client: TestClient, scene: Scene, office: Office
) -> None:
    login(client, office.user(Role.DEVICE_ADMIN))  # 执法一处's
    assert client.get(f"/activities/{scene.activity}").status_code == 404
    assert client.get("/activities/999999").status_code == 404
    assert client.get("/activities/abc").status_code == 422


# ---------------------------------------------------------------------------------------------
# Many at once


def test_the_activity_pages_for_many_people_at_once(
    database: Database, settings: Settings, scene: Scene
) -> None:
    """Officers and administrators reading every page and the export while the administrator
    moves a recording out and back in: no error, nothing slow, the reads write nothing."""
    app = create_app(settings, database)
    reads = [
        "/activities",
        "/activities?below_full=1&unexplained=1",
        "/activities.xlsx",
        "/activities/new",
        f"/activities/{scene.activity}",
        f"/activities/{scene.silent}",
    ]
    with served(app) as base:
        clients = [_session(base, user) for user in [ADMIN, OFFICER, ADMIN, OFFICER, ADMIN]]
        for path in reads:  # a server that has been running: templates compiled
            assert clients[1].get(path).status_code == 200, path
        seen = read_while_moving(clients, reads, scene.activity, scene.recordings[0])
        for client in clients:
            client.close()
    assert not [s for s in seen if s[1] != 200], [s for s in seen if s[1] != 200][:10]
    assert {s[0] for s in seen} >= set(reads) | {"POST /detach", "POST "}
    # A frozen server (a session on the event loop) answers after tens of seconds; the bound
    # leaves room for a machine busy with other work.
    slow = [s for s in seen if s[2] > SLOWEST_S]
    assert not slow, slow[:10]


def _session(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def test_reading_the_pages_writes_nothing(
    client: TestClient, scene: Scene, database: Database
) -> None:
    login(client, ADMIN)
    before = counts(database)
    for path in [
        "/activities",
        "/activities.xlsx",
        "/activities/new",
        f"/activities/{scene.activity}",
    ]:
        assert client.get(path).status_code == 200, path
    assert counts(database) == before


# ---------------------------------------------------------------------------------------------
# The timeline's geometry


def test_ticks_fall_on_the_beijing_clock() -> None:
    start = datetime(2026, 12, 7, 8, 57, 10, tzinfo=SHANGHAI)
    scale = timeline.Scale(start, start + timedelta(minutes=66))
    ticks = timeline.ticks_of(scale)
    assert [t.label for t in ticks] == [f"{h:02d}:{m:02d}" for h, m in TEN_MINUTES]
    assert ticks[0].x > timeline.LABEL and ticks[-1].x < timeline.LABEL + timeline.PLOT
    short = timeline.ticks_of(timeline.Scale(start, start + timedelta(seconds=100)))
    assert [t.label for t in short][:2] == ["08:57:15", "08:57:30"]


TEN_MINUTES = [(9, 0), (9, 10), (9, 20), (9, 30), (9, 40), (9, 50), (10, 0)]


def test_each_officer_has_a_row_and_their_own_gaps_are_in_it(
    client: TestClient, database: Database, settings: Settings, console: Actor, scene: Scene
) -> None:
    """Under the each-officer policy, 备用人员 recorded nothing: the interruption is theirs and
    drawn in their row only, beside 二处执法员's recordings and gap."""
    each = settings.model_copy(update={"activity_policy": "each"})
    with database.unit_of_work() as session:
        activity = session.get(Activity, scene.activity)
        assert activity is not None
        service.recompute(
            session=session,
            actor=console,
            settings=each,
            activity=activity,
        )
    login(client, OFFICER)
    svg = client.get(f"/activities/{scene.activity}").text.split('<svg class="timeline"')[1]
    rows = dict(re.findall(r'<g class="row" data-officer="(\d+)">\s*<line[^>]*y1="(\d+)', svg))
    gaps = re.findall(
        r'data-seq="(\d+)" data-state="open">\s*<rect x="[\d.]+" y="(\d+)" width="[\d.]+" height="(\d+)"',
        svg,
    )
    assert len(rows) == 2 and len(gaps) == 2
    heights = {int(h) for _, _, h in gaps}
    assert heights == {timeline.ROW}  # each in one row, not across both
    tops = {int(y) + 17 for _, y, _ in gaps}
    assert tops == {int(y) for y in rows.values()}
