"""Access to disposed recordings (R14.3, R15.2): a request for a disposed original says it was
disposed of, and when; a grant made before the disposal answers the same instead of serving;
a request by case number reaches the recordings linked to that penalty case."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from lawcam.access import queries as access_queries
from lawcam.access import service as access
from lawcam.access.service import RequestData
from lawcam.access.types import AccessAction
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.errors import Conflict
from lawcam.storage.local import LocalStore
from tests.retention_scene import Scene, build_scene

pytestmark = [pytest.mark.req("R14.3"), pytest.mark.req("R15.2")]

LONG_AGO = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor, tmp_path: Path) -> Scene:
    return build_scene(database, settings, console, LocalStore(tmp_path / "objects"), settings.home)


def ask(scene: Scene, who: str, **scope: object) -> int:
    data = RequestData(action=AccessAction.VIEW, purpose="复核", days=7, **scope)  # type: ignore[arg-type]
    with scene.database.unit_of_work() as session:
        return access.request_access(session=session, actor=scene.actor(who), data=data).id


def approve(scene: Scene, request_id: int) -> None:
    with scene.database.unit_of_work() as session:
        access.decide(
            session=session,
            actor=scene.actor("head"),
            request_id=request_id,
            approve=True,
            reason="",
        )


def dispose(scene: Scene, ids: list[int]) -> None:
    batch_id = scene.propose(ids)
    scene.approve(batch_id, "head")
    scene.approve(batch_id, "engineering")
    scene.run(batch_id)


def test_a_disposed_recording_cannot_be_requested_and_a_live_grant_says_it_is_gone(
    scene: Scene, tmp_path: Path
) -> None:
    old = scene.dock(tmp_path, count=2, at=LONG_AGO)
    granted = ask(scene, "admin", recording_ids=[old[0]])
    approve(scene, granted)
    dispose(scene, [old[0]])
    with pytest.raises(Conflict, match="依法销毁"):
        ask(scene, "admin", recording_ids=[old[0]])
    with scene.database.read() as session, pytest.raises(Conflict, match="原始文件已不存在"):
        access_queries.granted(
            session=session, actor=scene.actor("admin"), recording_id=old[0],
            action=AccessAction.VIEW,
        )  # fmt: skip
    assert ask(scene, "admin", recording_ids=[old[1]])  # the other one is still there


def test_a_request_by_case_number_reaches_the_recordings_linked_to_the_penalty_case(
    scene: Scene, tmp_path: Path
) -> None:
    old = scene.dock(tmp_path, count=3, at=LONG_AGO)
    case_id = scene.case(number="京执罚〔2026〕7号")
    for rid in old[:2]:
        scene.link(case_id, rid)
    request_id = ask(scene, "admin", case_number="京执罚〔2026〕7号")
    with scene.database.read() as session:
        row = access_queries.get_request(
            session=session, actor=scene.actor("admin"), request_id=request_id
        )
        assert row.recording_ids == old[:2]
