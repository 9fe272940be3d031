"""Many at once (principle 7) on the retention domain: the same recording linked to one case by
two people at once gives one link; two approvals of one disposal batch at once give one
approval and one clear refusal. Meaningful on PostgreSQL (row locks); on SQLite writers take
turns anyway."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.errors import LawcamError
from lawcam.retention.models import CaseLink, DisposalBatch
from lawcam.retention.types import DisposalStatus
from lawcam.storage.local import LocalStore
from tests.retention_scene import Scene, build_scene

pytestmark = [pytest.mark.req("R14.3")]


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor, tmp_path: Path) -> Scene:
    return build_scene(database, settings, console, LocalStore(tmp_path / "objects"), settings.home)


def at_once(*calls: Callable[[], object]) -> list[str]:
    """Run the calls together from a barrier; each one's outcome: "ok" or its message."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = [""] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            call()
            outcomes[index] = "ok"
        except LawcamError as exc:
            outcomes[index] = exc.message

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_one_recording_linked_twice_at_once_gives_one_link(scene: Scene, tmp_path: Path) -> None:
    [rid] = scene.dock(tmp_path)
    case_id = scene.case()
    outcomes = at_once(
        lambda: scene.link(case_id, rid, "admin"), lambda: scene.link(case_id, rid, "head")
    )
    assert outcomes.count("ok") == 1, outcomes
    assert any("已关联案件" in o or "同时进行" in o for o in outcomes), outcomes
    with scene.database.read() as session:
        assert session.scalar(select(func.count(CaseLink.id))) == 1


def test_two_supervisors_approving_one_batch_at_once_give_one_approval(
    scene: Scene, tmp_path: Path
) -> None:
    scene.dock(tmp_path, count=1, at=datetime(2023, 3, 1, 9, tzinfo=UTC))
    batch_id = scene.propose()
    scene.approve(batch_id, "head")
    outcomes = at_once(
        lambda: scene.approve(batch_id, "engineering"),
        lambda: scene.approve(batch_id, "engineering"),
    )
    assert outcomes.count("ok") == 1, outcomes
    with scene.database.read() as session:
        batch = session.get(DisposalBatch, batch_id)
        assert batch is not None and batch.status == DisposalStatus.APPROVED
