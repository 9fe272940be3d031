"""The penalty-case API (第十四条第（三）项, R14.3): register a case, find it by its number (Chinese,
〔〕, even a slash) in the URL, link a recording and an activity, record its dates, change its
term, archive it; unlink asked and approved by the unit head. Bad input — a recording out of
scope, an archive date before the opening, a term not in the list, unlinking after archiving,
approving one's own request — each refused with a Chinese message and nothing changed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lawcam.activities import service as activity_service
from lawcam.activities.types import ActivityKind
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.timeutil import add_years, today_shanghai, utcnow
from tests.api.retention_web import NUMBER, as_user, audit_count, case_path, web_scene
from tests.retention_scene import Scene

pytestmark = pytest.mark.req("R14.3")

OPENED = today_shanghai() - timedelta(days=30)


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor) -> Scene:
    return web_scene(database, settings, console)


def register(client: TestClient, number: str = NUMBER, **extra: Any) -> dict[str, Any]:
    body = {"number": number, "unit": "执法二处", "title": "无照经营案", "parties": "张某",
            "opened_on": OPENED.isoformat(), "term": "30y", **extra}  # fmt: skip
    answer = client.post("/api/v1/cases", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def activity_of(scene: Scene, recording_ids: list[int]) -> int:
    """An activity of 执法二处 with the given recordings attached by hand."""
    actor = scene.actor("admin")
    with scene.database.unit_of_work() as session:
        made, _ = activity_service.add_activity(
            session=session, actor=actor, settings=scene.settings,
            data=activity_service.data_named(
                session, unit="执法二处", officers=["T9001"], kind=ActivityKind.INSPECTION,
                place="和平路 1 号", arrived_at=utcnow() - timedelta(hours=5),
                ended_at=utcnow() - timedelta(hours=4),
            ),
        )  # fmt: skip
        for rid in recording_ids:
            activity_service.attach(
                session=session, actor=actor, settings=scene.settings, activity_id=made.id,
                recording_id=rid, reason="现场检查录像",
            )  # fmt: skip
        return made.id


def refused(answer: Any, status: int, words: str) -> None:
    assert answer.status_code == status, answer.text
    message = answer.json()["error"]["message"]
    assert words in message, message


def test_a_case_is_registered_found_by_its_number_and_listed(
    client: TestClient, scene: Scene
) -> None:
    as_user(client, "u_r_admin")
    made = register(client)
    assert (made["status"], made["term_label"], made["links"]) == ("open", "30 年", [])
    odd = "京执罚〔2026〕2/3号"  # a slash in the number
    register(client, number=odd, title="占道经营案", parties="李某")
    assert client.get(case_path()).json()["id"] == made["id"]
    assert client.get(case_path(odd)).json()["title"] == "占道经营案"
    listed = client.get("/api/v1/cases", params={"q": "李某"}).json()
    assert [c["number"] for c in listed] == [odd]
    by_unit = client.get("/api/v1/cases", params={"unit_id": scene.unit_id, "status": "open"})
    assert {c["number"] for c in by_unit.json()} == {NUMBER, odd}
    assert client.get("/api/v1/cases", params={"status": "archived"}).json() == []
    refused(client.get(case_path("京执罚〔2026〕99号")), 404, "案件不存在")
    # Another unit's people see nothing of it; numbers stay unique office-wide.
    as_user(client, "u_officer")
    assert client.get("/api/v1/cases").json() == []
    refused(client.get(case_path()), 404, "案件不存在")
    before = audit_count(scene.database)
    answer = client.post("/api/v1/cases", json={
        "number": NUMBER, "unit": "执法一处", "title": "重复", "opened_on": OPENED.isoformat(),
        "term": "10y"})  # fmt: skip
    refused(answer, 409, "已登记")
    assert audit_count(scene.database) == before


def test_linking_holds_the_recordings_until_archiving_then_the_term_runs(
    client: TestClient, scene: Scene, tmp_path: Path
) -> None:
    first, second, third = scene.dock(tmp_path, count=3)
    activity = activity_of(scene, [second, third])
    as_user(client, "u_r_head")
    register(client)
    answer = client.post(
        case_path() + "/links", json={"recording_id": first, "reason": "证明违法事实"}
    )
    assert answer.status_code == 201, answer.text
    answer = client.post(
        case_path() + "/links", json={"activity_id": activity, "reason": "现场检查全过程"}
    )
    detail = answer.json()
    assert [(x["recording_id"], x["activity_id"], x["recording_ids"]) for x in detail["links"]] == [
        (first, None, [first]),
        (None, activity, [second, third]),
    ]
    kept = {r["recording_id"]: r for r in detail["recordings"]}
    assert set(kept) == {first, second, third}
    assert all(r["retain_until"] is None for r in kept.values())  # held: the case is open
    assert kept[first]["reasons"] == [f"案件 {NUMBER} 未归档"]
    detail = client.post(case_path() + "/dates", json={
        "decided_on": (OPENED + timedelta(days=5)).isoformat(),
        "closed_on": (OPENED + timedelta(days=10)).isoformat()}).json()  # fmt: skip
    assert (detail["status"], detail["closed_on"]) == (
        "closed",
        (OPENED + timedelta(days=10)).isoformat(),
    )
    detail = client.post(
        case_path() + "/term", json={"term": "permanent", "reason": "重大案件"}
    ).json()
    assert (detail["term"], detail["term_years"], detail["term_label"]) == ("permanent", 0, "永久")
    detail = client.post(case_path() + "/term", json={"term": "10y", "reason": "按规定"}).json()
    archived = today_shanghai() - timedelta(days=1)
    detail = client.post(
        case_path() + "/archive", json={"archived_on": archived.isoformat()}
    ).json()
    assert detail["status"] == "archived"
    until = add_years(archived, 10).isoformat()
    assert {r["recording_id"]: r["retain_until"] for r in detail["recordings"]} == {
        first: until,
        second: until,
        third: until,
    }
    # The recording's own API shows the same effective retention.
    as_user(client, "u_r_admin")
    assert client.get(f"/api/v1/recordings/{first}").json()["retain_until"] == until


def test_unlinking_is_asked_then_approved_by_another_who_is_unit_head(
    client: TestClient, scene: Scene, tmp_path: Path
) -> None:
    [rid] = scene.dock(tmp_path)
    as_user(client, "u_r_head")
    register(client)
    made = client.post(case_path() + "/links", json={"recording_id": rid, "reason": "作为证据"})
    link_id = made.json()["links"][0]["id"]
    url = case_path() + f"/links/{link_id}"
    refused(client.post(url + "/unlink-approval"), 409, "尚无解除关联的申请")
    answer = client.post(url + "/unlink-request", json={"reason": "误关联"})
    assert answer.json()["links"][0]["unlink_requested_by"].startswith("二处负责人")
    before = audit_count(scene.database)
    refused(client.post(url + "/unlink-approval"), 403, "不能审批本人提出的解除关联申请")
    assert audit_count(scene.database) == before
    as_user(client, "u_r_admin")  # a device administrator asks, never approves
    refused(client.post(url + "/unlink-approval"), 403, "")
    as_user(client, "u_r_officer2")
    refused(client.post(url + "/unlink-request", json={"reason": "再次"}), 409, "已申请解除")
    # Another unit head (the office's is 执法一处's: it does not see the case at all).
    as_user(client, "u_unit_head")
    refused(client.post(url + "/unlink-approval"), 404, "案件不存在")


def test_bad_input_is_refused_in_chinese_and_changes_nothing(
    client: TestClient, scene: Scene, tmp_path: Path
) -> None:
    [rid] = scene.dock(tmp_path)
    as_user(client, "u_r_admin")
    register(client)
    client.post(case_path() + "/links", json={"recording_id": rid, "reason": "作为证据"})
    seen = client.get(case_path()).json()
    before = audit_count(scene.database)

    refused(client.post(case_path() + "/archive", json={
        "archived_on": (OPENED - timedelta(days=1)).isoformat()}), 422, "早于立案")  # fmt: skip
    refused(client.post(case_path() + "/term", json={"term": "5y", "reason": "x"}), 422,
            "不在可选范围内：permanent（永久）、30y（30 年）、10y（10 年）")  # fmt: skip
    refused(client.post(case_path() + "/links", json={"reason": "x"}), 422, "二选一")
    refused(client.post(case_path() + "/links", json={"recording_id": rid, "reason": "再"}), 409,
            "已关联")  # fmt: skip
    refused(client.post(case_path() + "/links", json={"recording_id": rid, "reason": " "}), 422,
            "请填写关联理由")  # fmt: skip
    refused(client.post(case_path() + "/dates", json={
        "decided_on": (OPENED - timedelta(days=1)).isoformat()}), 422, "不能早于立案日期")  # fmt: skip
    answer = client.post("/api/v1/cases", json={"number": "京执罚〔2026〕5号", "unit": "执法二处",
        "title": "x", "opened_on": OPENED.isoformat(), "term": "forever"})  # fmt: skip
    refused(answer, 422, "案卷保存期限“forever”不在可选范围内")
    assert client.get(case_path()).json() == seen
    assert audit_count(scene.database) == before

    # A recording out of the linker's scope is not found, and nothing hints it exists.
    as_user(client, "u_device_admin")  # 执法一处
    other = "京执罚〔2026〕6号"
    answer = client.post("/api/v1/cases", json={"number": other, "unit": "执法一处",
        "title": "跨单位", "opened_on": OPENED.isoformat(), "term": "10y"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    before = audit_count(scene.database)
    refused(client.post(case_path(other) + "/links", json={"recording_id": rid, "reason": "x"}),
            404, "不存在")  # fmt: skip
    refused(client.post("/api/v1/cases", json={"number": "京执罚〔2026〕7号", "unit": "执法二处",
        "title": "x", "opened_on": OPENED.isoformat(), "term": "10y"}), 403, "本单位")  # fmt: skip
    assert client.get(case_path(other)).json()["links"] == []
    assert audit_count(scene.database) == before

    # Archived: no unlinking, no new links, the term only longer.
    as_user(client, "u_r_admin")
    [later] = scene.dock(tmp_path)
    client.post(case_path() + "/archive", json={"archived_on": today_shanghai().isoformat()})
    seen = client.get(case_path()).json()
    before = audit_count(scene.database)
    link_id = seen["links"][0]["id"]
    refused(client.post(case_path() + f"/links/{link_id}/unlink-request", json={"reason": "误"}),
            409, "归档，不能解除关联")  # fmt: skip
    refused(client.post(case_path() + "/links", json={"recording_id": later, "reason": "补充"}),
            409, "归档，不能关联资料")  # fmt: skip
    refused(client.post(case_path() + "/term", json={"term": "10y", "reason": "缩短"}), 409,
            "只能延长")  # fmt: skip
    refused(client.post(case_path() + "/archive", json={"archived_on": today_shanghai().isoformat()}),
            409, "不能再次归档")  # fmt: skip
    refused(client.post(case_path() + "/links/999999/unlink-request", json={"reason": "x"}), 404,
            "没有编号为 999999 的关联")  # fmt: skip
    assert client.get(case_path()).json() == seen
    assert audit_count(scene.database) == before


def test_who_may_do_what_with_a_case(client: TestClient, scene: Scene, tmp_path: Path) -> None:
    """Engineering supervision and the office leader see every unit's cases but manage none;
    the unit's people manage their own."""
    [rid] = scene.dock(tmp_path)
    as_user(client, "u_r_admin")
    register(client)
    for username in ("u_engineering", "u_office_leader"):
        as_user(client, username)
        assert [c["number"] for c in client.get("/api/v1/cases").json()] == [NUMBER]
        assert client.get(case_path()).status_code == 200
        answer = client.post(case_path() + "/links", json={"recording_id": rid, "reason": "x"})
        refused(answer, 403, "")
    for username in ("u_auditor", "u_sysadmin", "u_finance"):
        as_user(client, username)
        assert client.get("/api/v1/cases").status_code == 403
