"""The pages of penalty cases and holds (第十四条第（三）项, R14.3): the case list and its register
form, a case's page (facts, dates, term, archive, links with their recordings' effective
retention, unlinking asked and approved), the 关联案件 section of the recording and activity
pages, and the 保全 page. A refusal shows the form again with the Chinese message and what was
typed; nothing is changed. Many at once: two people link one recording to one case while others
read the case page."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.retention.models import CaseLink
from lawcam.timeutil import add_years, today_shanghai
from lawcam.web.app import create_app
from tests.api.retention_web import NUMBER, as_user, audit_count, case_path, web_scene
from tests.api.test_api_cases import OPENED, activity_of
from tests.factories import PASSWORD
from tests.live import served
from tests.retention_scene import Scene

pytestmark = pytest.mark.req("R14.3")

PAGE = case_path(prefix="")


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor) -> Scene:
    return web_scene(database, settings, console)


def register(client: TestClient, **changes: str) -> httpx.Response:
    form = {"number": NUMBER, "unit_id": "", "title": "无照经营案", "parties": "张某",
            "opened_on": OPENED.isoformat(), "term": "30y", **changes}  # fmt: skip
    answer: httpx.Response = client.post("/cases", data=form)
    return answer


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_the_list_registers_a_case_and_shows_a_refusal_with_what_was_typed(
    client: TestClient, scene: Scene
) -> None:
    as_user(client, "u_r_admin")
    page = client.get("/cases")
    assert page.status_code == 200 and "登记案件" in page.text
    assert '<option value="permanent"' in page.text and ">30 年<" in page.text
    unit = str(scene.unit_id)
    answer = register(client, unit_id=unit, term="5y", title="占道经营案")
    assert answer.status_code == 422
    assert "案卷保存期限“5y”不在可选范围内" in answer.text
    assert 'value="占道经营案"' in answer.text and 'value="京执罚〔2026〕1号"' in answer.text
    answer = register(client, unit_id=unit, opened_on="2026-13-01")
    assert answer.status_code == 422 and "立案日期" in answer.text
    assert client.get("/api/v1/cases").json() == []
    answer = register(client, unit_id=unit)
    assert answer.status_code == 200 and "已登记案件 京执罚〔2026〕1号" in answer.text
    assert str(answer.url).endswith(PAGE)
    assert "办理中" in answer.text
    answer = register(client, unit_id=unit)
    assert answer.status_code == 409 and "已登记" in answer.text
    listed = client.get("/cases", params={"q": "无照"})
    assert f'href="{PAGE}"' in listed.text
    assert "没有符合条件的案件" in client.get("/cases", params={"status": "archived"}).text
    bad = client.get("/cases", params={"status": "lost"})
    assert bad.status_code == 422 and "案件状态只能是" in bad.text
    # Engineering supervision sees the list, without the register form.
    as_user(client, "u_engineering")
    page = client.get("/cases")
    assert NUMBER in page.text and "登记案件" not in page.text
    assert client.post("/cases", data={"number": "x"}).status_code == 403


def test_the_case_page_links_dates_archives_and_shows_each_recordings_retention(
    client: TestClient, scene: Scene, tmp_path: Path
) -> None:
    first, second = scene.dock(tmp_path, count=2)
    activity = activity_of(scene, [second])
    as_user(client, "u_r_head")
    register(client, unit_id=str(scene.unit_id))
    page = client.get(PAGE)
    assert "尚未关联执法活动或资料" in page.text and "本案尚无在案资料" in page.text

    before = audit_count(scene.database)
    answer = client.post(PAGE + "/links", data={"recording_id": "abc", "reason": "证据"})
    assert answer.status_code == 422 and "资料编号须为整数" in answer.text
    assert 'value="abc"' in answer.text and 'value="证据"' in answer.text
    answer = client.post(PAGE + "/links", data={"recording_id": str(first), "reason": ""})
    assert answer.status_code == 422 and "请填写关联理由" in answer.text
    assert audit_count(scene.database) == before

    answer = client.post(PAGE + "/links", data={"recording_id": str(first), "reason": "证明事实"})
    assert answer.status_code == 200 and f"已将资料 #{first}关联本案" in answer.text
    answer = client.post(PAGE + "/links", data={"activity_id": f"#{activity}", "reason": "全过程"})
    assert f"已将执法活动 #{activity}（及其全部资料）关联本案" in answer.text
    text = text_of(answer.text)
    assert f"案件 {NUMBER} 未归档" in text and "长期保存" in text
    assert text.count("申请解除") == 2

    answer = client.post(
        PAGE + "/dates", data={"decided_on": (OPENED - timedelta(days=2)).isoformat()}
    )
    assert answer.status_code == 422 and "处罚决定日期不能早于立案日期" in answer.text
    closed = (OPENED + timedelta(days=3)).isoformat()
    answer = client.post(PAGE + "/dates", data={"closed_on": closed})
    assert "已记录案件日期" in answer.text and "已结案" in answer.text
    answer = client.post(PAGE + "/term", data={"term": "forever", "reason": "x"})
    assert answer.status_code == 422 and "不在可选范围内" in answer.text
    answer = client.post(PAGE + "/term", data={"term": "10y", "reason": "按规定"})
    assert "案卷保存期限已改为10 年" in answer.text

    early = (OPENED - timedelta(days=1)).isoformat()
    answer = client.post(PAGE + "/archive", data={"archived_on": early})
    assert (
        answer.status_code == 422
        and "早于立案" in answer.text
        and f'value="{early}"' in answer.text
    )
    day = today_shanghai()
    answer = client.post(PAGE + "/archive", data={"archived_on": day.isoformat()})
    assert answer.status_code == 200 and "已归档" in answer.text
    until = add_years(day, 10).isoformat()
    text = text_of(answer.text)
    assert text.count(until) >= 3  # the case's date and both recordings'
    assert f"案件 {NUMBER} 归档后 10 年" in text
    assert "申请解除" not in text and "已归档，不能解除" in text
    assert 'action="' + PAGE + '/links"' not in answer.text  # no more links
    answer = client.post(PAGE + "/links", data={"recording_id": str(first), "reason": "再"})
    assert answer.status_code == 409 and "不能关联资料" in answer.text


def test_unlinking_is_asked_on_the_page_and_approved_by_another_unit_head(
    client: TestClient, scene: Scene, tmp_path: Path
) -> None:
    [rid] = scene.dock(tmp_path)
    as_user(client, "u_r_head")
    register(client, unit_id=str(scene.unit_id))
    client.post(PAGE + "/links", data={"recording_id": str(rid), "reason": "证据"})
    with scene.database.read() as session:
        link_id = session.scalars(select(CaseLink.id)).one()
    url = f"{PAGE}/links/{link_id}"
    answer = client.post(url + "/unlink-request", data={"reason": ""})
    assert answer.status_code == 422 and "请填写解除关联的理由" in answer.text
    answer = client.post(url + "/unlink-request", data={"reason": "编号录错"})
    assert "待单位负责人审批" in answer.text and "编号录错" in answer.text
    assert "批准解除" not in answer.text and "须由另一位单位负责人审批" in answer.text
    answer = client.post(url + "/unlink-approval")
    assert answer.status_code == 403 and "不能审批本人提出的解除关联申请" in answer.text
    as_user(client, "u_r_admin")  # sees the request, may not approve
    page = client.get(PAGE)
    assert "待单位负责人审批" in page.text and "批准解除" not in page.text
    assert client.post(url + "/unlink-approval").status_code == 403
    assert client.get(f"/api/v1/recordings/{rid}").json()["retain_until"] is None
    # The device administrator asks to end another link; the unit head approves it.
    [other] = scene.dock(tmp_path)
    client.post(PAGE + "/links", data={"recording_id": str(other), "reason": "误选"})
    with scene.database.read() as session:
        other_link = session.scalars(select(CaseLink.id).where(CaseLink.id != link_id)).one()
    client.post(f"{PAGE}/links/{other_link}/unlink-request", data={"reason": "不是本案的录像"})
    promised = client.get(f"/api/v1/recordings/{other}").json()
    as_user(client, "u_r_head")
    page = client.get(PAGE)
    assert page.text.count("批准解除") == 1
    answer = client.post(f"{PAGE}/links/{other_link}/unlink-approval")
    assert answer.status_code == 200 and f"已批准解除关联 #{other_link}" in answer.text
    text = text_of(answer.text)
    assert "已解除的关联" in text and "不是本案的录像" in text
    kept = client.get(f"/api/v1/recordings/{other}").json()["retain_until"]
    assert promised["retain_until"] is None  # held while linked
    assert kept == scene.recording(other).retain_until.isoformat()  # then its promise, no less


def test_recording_and_activity_pages_show_and_link_cases(
    client: TestClient, scene: Scene, tmp_path: Path
) -> None:
    first, second = scene.dock(tmp_path, count=2)
    activity = activity_of(scene, [second])
    as_user(client, "u_r_admin")
    register(client, unit_id=str(scene.unit_id))
    page = client.get(f"/recordings/{first}")
    assert "关联案件" in page.text and "未关联案件" in page.text and "保全本资料" in page.text
    answer = client.post("/case-links", data={"case_number": "京执罚〔2026〕404号",
                                              "recording_id": str(first), "reason": "证据"})  # fmt: skip
    assert answer.status_code == 404 and "案件不存在" in answer.text
    assert 'value="京执罚〔2026〕404号"' in answer.text and 'value="证据"' in answer.text
    answer = client.post("/case-links", data={"case_number": NUMBER, "recording_id": str(first),
                                              "reason": "证明违法事实"})  # fmt: skip
    assert str(answer.url).endswith(f"/recordings/{first}")
    text = text_of(answer.text)
    assert f"已关联案件 {NUMBER}" in text
    assert f"长期保存（案件 {NUMBER} 未归档）" in text and "直接关联，证明违法事实" in text
    assert f'href="{PAGE}"' in answer.text

    answer = client.post("/case-links", data={"case_number": NUMBER, "activity_id": str(activity),
                                              "reason": "全过程"})  # fmt: skip
    assert str(answer.url).endswith(f"/activities/{activity}")
    assert NUMBER in answer.text and "本次活动的全部资料随案保存" in answer.text
    text = text_of(client.get(f"/recordings/{second}").text)
    assert f"通过执法活动 #{activity}" in text and "长期保存" in text
    as_user(client, "u_engineering")  # may view cases, not link them
    assert client.post("/case-links", data={"case_number": NUMBER}).status_code == 403


def test_the_holds_page_places_and_releases_with_another_approving(
    client: TestClient, scene: Scene, tmp_path: Path
) -> None:
    first, second = scene.dock(tmp_path, count=2)
    as_user(client, "u_r_admin")
    page = client.get("/holds", params={"recording": str(first)})
    assert page.status_code == 200 and f'value="{first}"' in page.text
    answer = client.post("/holds", data={"recording_ids": f"{first}, x", "reason": "诉讼"})
    assert answer.status_code == 422 and "资料编号“x”不正确" in answer.text
    assert f'value="{first}, x"' in answer.text and 'value="诉讼"' in answer.text
    answer = client.post("/holds", data={"recording_ids": f"{first}，999999", "reason": "诉讼"})
    assert answer.status_code == 404 and "资料 #999999 不存在" in answer.text
    assert client.get("/api/v1/holds").json() == []
    answer = client.post(
        "/holds", data={"recording_ids": f"#{first}、{second}", "reason": "行政诉讼"}
    )
    assert answer.status_code == 200 and f"已保全资料 #{first}、#{second}" in answer.text
    [hold, _] = client.get("/api/v1/holds").json()
    url = f"/holds/{hold['id']}"
    answer = client.post(url + "/release-request", data={"reason": ""})
    assert answer.status_code == 422 and "请填写解除保全的理由" in answer.text
    answer = client.post(url + "/release-request", data={"reason": "诉讼终结"})
    assert "待另一位有权人员审批" in answer.text and "批准解除" not in answer.text
    text = text_of(client.get(f"/recordings/{hold['recording_id']}").text)
    assert f"保全 #{hold['id']}" in text and "长期保存" in text
    as_user(client, "u_r_head")
    page = client.get("/holds")
    assert "批准解除" in page.text
    answer = client.post(url + "/release-approval")
    assert answer.status_code == 200 and f"已解除保全 #{hold['id']}" in answer.text
    assert answer.text.count('data-hold="') == 1
    answer = client.post(url + "/release-approval")
    assert answer.status_code == 409 and "已解除" in answer.text
    as_user(client, "u_officer")
    assert client.get("/holds").status_code == 403


def test_two_people_link_one_recording_at_once_while_others_read_the_case_page(
    database: Database, settings: Settings, scene: Scene, tmp_path: Path
) -> None:
    """On the real server: one link comes of it (the other is told it exists), and every read
    of the case page during the changes is whole."""
    [rid] = scene.dock(tmp_path)
    scene.case(number=NUMBER)
    with served(create_app(settings, database)) as base:
        clients = [httpx.Client(base_url=base, timeout=60) for _ in range(4)]
        for client, who in zip(clients, ["admin", "head", "officer2", "admin"], strict=True):
            answer = client.post("/api/v1/auth/login",
                                 json={"username": f"u_r_{who}", "password": PASSWORD})  # fmt: skip
            client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        statuses: list[int] = []
        reads: list[int] = []
        barrier = threading.Barrier(2)
        done = threading.Event()

        def link(client: httpx.Client) -> None:
            barrier.wait()
            answer = client.post(PAGE + "/links", data={"recording_id": str(rid), "reason": "并发"})
            statuses.append(answer.status_code)

        def read(client: httpx.Client) -> None:
            while not done.is_set():
                answer = client.get(PAGE)
                whole = answer.status_code == 200 and answer.text.rstrip().endswith("</html>")
                reads.append(200 if whole else answer.status_code)

        readers = [threading.Thread(target=read, args=(c,)) for c in clients[2:]]
        linkers = [threading.Thread(target=link, args=(c,)) for c in clients[:2]]
        for thread in readers + linkers:
            thread.start()
        for thread in linkers:
            thread.join(timeout=60)
        done.set()
        for thread in readers:
            thread.join(timeout=60)
        final = clients[2].get(PAGE).text
        for client in clients:
            client.close()
    assert sorted(statuses) == [303, 409], statuses  # linked (see other), or told so
    assert reads and set(reads) == {200}, reads
    with database.read() as session:
        assert len(session.scalars(select(CaseLink)).all()) == 1
    assert final.count('data-link="') == 1
