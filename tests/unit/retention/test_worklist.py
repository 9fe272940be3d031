"""What waits on whom in retention, as the home tiles count it (R14.3): an unlink for the unit
head (not for the one who asked), a hold release for another approver, a proposed batch for the
unit head, a head-approved one for engineering supervision, an approved one for the device
administrator to run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.retention import holds, queries, service, worklist
from lawcam.retention.models import LegalHold
from lawcam.storage.local import LocalStore
from tests.retention_scene import Scene, build_scene

pytestmark = pytest.mark.req("R14.3")


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor, tmp_path: Path) -> Scene:
    return build_scene(database, settings, console, LocalStore(tmp_path / "objects"), settings.home)


def counts(scene: Scene, who: str) -> tuple[int, int, int, int]:
    actor = scene.actor(who)
    with scene.database.read() as session:
        return (
            worklist.unlinks_to_approve(session, actor),
            worklist.hold_releases_to_approve(session, actor),
            worklist.batches_to_approve(session, actor),
            worklist.batches_to_run(session, actor),
        )


def test_each_waiting_step_counts_for_the_one_who_must_act(scene: Scene, tmp_path: Path) -> None:
    [rid] = scene.dock(tmp_path)
    scene.dock(tmp_path, count=1, at=datetime(2023, 3, 1, 9, tzinfo=UTC))
    case_id = scene.case()
    link_id = scene.link(case_id, rid)
    [hold_id] = scene.hold([rid], who="admin")
    with scene.database.unit_of_work() as session:
        case = scene.get_case(session, case_id)
        made = queries.get_link(session, case, link_id)
        service.ask_unlink(
            session=session, actor=scene.actor("admin"), case=case, link=made, reason="误关联"
        )
        hold = session.get(LegalHold, hold_id)
        assert hold is not None
        holds.ask_release(session=session, actor=scene.actor("head"), hold=hold, reason="已结案")
    batch_id = scene.propose()
    assert counts(scene, "head") == (1, 0, 1, 0)  # the head asked for the release: not theirs
    assert counts(scene, "engineering") == (0, 1, 0, 0)
    assert counts(scene, "admin") == (0, 0, 0, 0)
    assert counts(scene, "unit_head") == (0, 0, 0, 0)  # 执法一处's head: another unit
    scene.approve(batch_id, "head")
    assert counts(scene, "engineering") == (0, 1, 1, 0)
    scene.approve(batch_id, "engineering")
    assert counts(scene, "admin") == (0, 0, 0, 1)
    assert counts(scene, "engineering")[2] == 0
