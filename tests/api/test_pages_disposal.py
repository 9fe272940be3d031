"""Disposal as its users do it on the web (R14.3, R14.2): the device administrator sees the dry
run of the unit with each recording's effective date and proposes a batch; the unit head finds
it waiting, approves it, engineering supervision too; the administrator runs it and the page
shows each outcome with its signed tombstone. Bad input gives the form again with a Chinese
message and changes nothing; the batch page reads well while the batch runs."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from tests.api.test_api_disposal import (
    LONG_AGO,
    client_of,
    clients,
    disposal_scene,
    make_head,
    state,
)
from tests.retention_scene import UNIT, Scene

pytestmark = [pytest.mark.req("R14.3"), pytest.mark.req("R14.2")]


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor) -> Scene:
    return disposal_scene(database, settings, console)


@pytest.fixture
def users(settings: Settings, database: Database, scene: Scene) -> dict[str, TestClient]:
    return clients(settings, database)


def submit(client: TestClient, url: str, **data: object) -> tuple[int, str, str]:
    """A form post: its status, the page it leads to (following the redirect), and where."""
    answer = client.post(url, data=data, follow_redirects=False)
    if answer.status_code != 303:
        return answer.status_code, answer.text, ""
    where = answer.headers["location"]
    return 303, client.get(where).text, where


def rows(html: str, attribute: str) -> list[int]:
    return [int(n) for n in re.findall(rf'<tr {attribute}="(\d+)"', html)]


def test_propose_approve_twice_and_run_on_the_pages(
    scene: Scene, users: dict[str, TestClient], tmp_path: Path
) -> None:
    old = scene.dock(tmp_path, count=3, at=LONG_AGO)
    scene.dock(tmp_path)  # not due: never listed
    admin, head, engineering = users["admin"], users["head"], users["engineering"]

    page = admin.get("/disposal")
    assert page.status_code == 200, page.text
    assert rows(page.text, "data-recording") == old
    promised = scene.recording(old[0]).retain_until.isoformat()
    assert f'<td class="nowrap">{promised}</td>' in page.text and "两年保存期限届满" in page.text
    assert "提出销毁批次" in page.text

    status, batch_page, where = submit(
        admin, "/disposal", unit_id=str(scene.unit_id), reason="保存期限届满", recording_ids=[
            str(r) for r in old[:2]
        ],
    )  # fmt: skip
    assert status == 303, batch_page
    batch_id = int(where.rsplit("/", 1)[1])
    assert f"已提出销毁批次 #{batch_id}（2 条资料），待单位负责人审批。" in batch_page
    assert rows(batch_page, "data-recording") == old[:2]
    assert 'action="/disposal/' not in batch_page  # nothing for the proposer to press
    again = admin.get("/disposal").text  # still due, but already proposed: said, not ticked
    assert again.count(f"已在批次 #{batch_id}（待单位负责人审批）") == 2
    ticked = re.findall(r'name="recording_ids" value="(\d+)"[^>]*checked', again)
    assert ticked == [str(old[2])]

    waiting = head.get("/disposal").text
    assert 'id="waiting"' in waiting and f'<tr data-batch="{batch_id}">' in waiting
    assert 'id="candidates"' not in waiting  # the dry run is the administrator's
    mine = head.get(f"/disposal/{batch_id}").text
    assert f'action="/disposal/{batch_id}/approval"' in mine and "驳回理由" in mine
    status, after, _ = submit(head, f"/disposal/{batch_id}/approval")
    assert status == 303 and "已批准销毁批次" in after and "待工程监管处审批" in after
    assert f'action="/disposal/{batch_id}/approval"' not in after  # not twice

    assert f'<tr data-batch="{batch_id}">' in engineering.get("/disposal").text
    status, after, _ = submit(engineering, f"/disposal/{batch_id}/approval")
    assert status == 303 and "可以执行" in after and "已批准，待执行" in after

    ready = admin.get(f"/disposal/{batch_id}").text
    assert f'action="/disposal/{batch_id}/run"' in ready
    status, done, _ = submit(admin, f"/disposal/{batch_id}/run")
    assert status == 303, done
    assert f"已执行销毁批次 #{batch_id}：已销毁 2 条。" in done
    assert 'id="outcomes"' in done and "已销毁 2 条" in done and "销毁记录已签名" in done
    for rid in old[:2]:
        assert scene.recording(rid).sha256[:16] in done
    assert f'action="/disposal/{batch_id}/run"' not in done
    assert rows(admin.get("/disposal").text, "data-recording") == old[2:]
    gone = admin.get(f"/recordings/{old[0]}").text  # its page says so and offers nothing more
    assert 'id="disposed"' in gone and f"销毁批次 #{batch_id}" in gone and "已销毁" in gone
    assert "/access?recording=" not in gone and "保全本资料" not in gone
    assert 'action="/case-links"' not in gone
    kept = admin.get(f"/recordings/{old[2]}").text
    assert 'id="disposed"' not in kept and "保全本资料" in kept


def test_bad_input_gives_the_form_again_in_chinese_and_changes_nothing(
    scene: Scene, users: dict[str, TestClient], tmp_path: Path
) -> None:
    old = scene.dock(tmp_path, count=4, at=LONG_AGO)
    [fresh] = scene.dock(tmp_path)
    case_id = scene.case(number="京执罚〔2026〕9号")
    scene.link(case_id, old[1])
    scene.hold([old[2]])
    admin, head = users["admin"], users["head"]
    before = state(scene.database)
    unit = str(scene.unit_id)
    refusals: list[tuple[list[object], str, int, str]] = [
        ([old[0]], "", 422, "请填写理由"),
        ([], "到期", 422, "请至少选择一条资料"),
        ([old[0], old[2]], "到期", 409, f"资料 #{old[2]}：保全"),
        ([old[1]], "到期", 409, "案件 京执罚〔2026〕9号 未归档"),
        ([fresh], "到期", 409, "尚未届满"),
        (["十二"], "到期", 422, "资料编号须为整数"),
    ]
    for ids, reason, status, words in refusals:
        form = {"unit_id": unit, "reason": reason, "recording_ids": [str(i) for i in ids]}
        answer = admin.post("/disposal", data=form)
        assert answer.status_code == status, answer.text
        assert words in answer.text and 'id="propose"' in answer.text
        assert f'value="{reason}"' in answer.text or f">{reason}</textarea>" in answer.text
    assert state(scene.database) == before
    other = scene.office.units["执法一处"]
    answer = admin.get("/disposal", params={"unit_id": other})
    assert answer.status_code == 403 and "不在您的管辖范围内" in answer.text

    batch_id = scene.propose([old[3]])
    make_head(scene, "admin")  # were the proposer also a unit head: still not their own
    before = state(scene.database)
    answer = head.post(f"/disposal/{batch_id}/rejection", data={"reason": " "})
    assert answer.status_code == 422 and "请填写理由" in answer.text and "驳回理由" in answer.text
    answer = admin.post(f"/disposal/{batch_id}/run")
    assert answer.status_code == 409 and "两级批准" in answer.text
    answer = admin.post(f"/disposal/{batch_id}/approval")
    assert answer.status_code == 403 and "不能审批本人提出的销毁批次" in answer.text
    assert state(scene.database) == before
    assert submit(head, f"/disposal/{batch_id}/approval")[0] == 303
    before = state(scene.database)
    second = client_of(scene.settings, scene.database, "head")  # a page opened before
    answer = second.post(f"/disposal/{batch_id}/approval")
    assert answer.status_code == 409 and "不能重复审批" in answer.text
    assert state(scene.database) == before

    status, rejected, _ = submit(users["engineering"], f"/disposal/{batch_id}/rejection",
                                 reason="仍有信访未结")  # fmt: skip
    assert status == 303 and "已驳回销毁批次" in rejected and "仍有信访未结" in rejected
    assert "已驳回" in rejected and 'action="/disposal/' not in rejected


def test_the_batch_page_reads_well_while_the_batch_runs(
    scene: Scene, users: dict[str, TestClient], settings: Settings, database: Database,
    tmp_path: Path,
) -> None:  # fmt: skip
    old = scene.dock(tmp_path, count=12, at=LONG_AGO)
    batch_id = scene.propose(old)
    scene.approve(batch_id, "head")
    scene.approve(batch_id, "engineering")
    readers = [client_of(settings, database, who) for who in ("head", "engineering")]
    seen: dict[int, list[tuple[int, int, int]]] = {0: [], 1: []}  # status, disposed, tombstones
    failures: list[str] = []
    running = threading.Event()

    def read(index: int) -> None:
        try:
            while running.is_set():
                page = readers[index].get(f"/disposal/{batch_id}")
                disposed = page.text.count('<span class="tag ok">已销毁</span>')
                seen[index].append((page.status_code, disposed, page.text.count("销毁记录已签名")))
                time.sleep(0.01)
        except Exception as exc:  # a failed reader fails the test
            failures.append(repr(exc))

    running.set()
    threads = [threading.Thread(target=read, args=(i,)) for i in seen]
    for thread in threads:
        thread.start()
    status, done, _ = submit(users["admin"], f"/disposal/{batch_id}/run")
    running.clear()
    for thread in threads:
        thread.join()
    assert status == 303 and "已执行销毁批次" in done and "已销毁 12 条" in done, done
    assert failures == [] and seen[0] and seen[1]
    for pages in seen.values():
        assert {s for s, _, _ in pages} == {200}
        # Each page is one moment: an item disposed of shows its tombstone, and never goes back.
        assert all(disposed == tombs for _, disposed, tombs in pages), pages
        shown = [disposed for _, disposed, _ in pages]
        assert shown == sorted(shown) and set(shown) <= set(range(13)), shown
    assert UNIT in done
