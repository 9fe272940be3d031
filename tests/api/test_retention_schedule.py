"""Effective retentions recomputed on a schedule while the server runs (第十四条第（三）项, R14.3):
a recording attached to an activity after the activity was linked to an open case is kept by
the case in the rows at once, and the server's recomputation brings its kept state (and, on
S3, its legal hold) up without anyone running ``lawcam retention recompute``; two nodes firing
together settle it once; no thread when switched off."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.retention.models import RetentionState
from lawcam.storage import open_store
from lawcam.web import retention_recomputes
from lawcam.web.app import create_app
from tests.retention_scene import Scene, build_scene

pytestmark = [pytest.mark.req("R14.3"), pytest.mark.req("R14.2")]


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor) -> Scene:
    store = open_store(settings.resolved_storage_url)  # the home's: the server opens the same
    return build_scene(database, settings, console, store, settings.home)


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == retention_recomputes.THREAD_NAME]


def attached_late(scene: Scene, tmp_path: Path) -> int:
    """An activity linked to an open case, then a recording attached to it by hand."""
    activity_id = scene.activity()
    scene.link_activity(scene.case(), activity_id)
    [late] = scene.dock(tmp_path, at=datetime.now(UTC) - timedelta(hours=10))
    scene.attach(activity_id, late)
    with scene.database.read() as session:
        assert session.get(RetentionState, late) is None  # nothing settled it yet
    return late


def test_the_server_recomputes_on_a_schedule_and_stops_with_it(
    scene: Scene, tmp_path: Path
) -> None:
    late = attached_late(scene, tmp_path)
    scene.settings.retention_recompute_hours = 24
    app = create_app(scene.settings, scene.database)
    with TestClient(app):
        assert len(_threads()) == 1
        assert retention_recomputes.recompute_now(app) == 1  # what the thread does each day
        assert retention_recomputes.recompute_now(app) == 0  # settled stays so
    assert _threads() == []
    with scene.database.read() as session:
        state = session.get(RetentionState, late)
        assert state is not None and state.indefinite  # held while the case is open


def test_no_schedule_when_switched_off(settings: Settings, database: Database) -> None:
    settings.retention_recompute_hours = 0
    with TestClient(create_app(settings, database)):
        assert _threads() == []


def test_two_nodes_recomputing_at_once_settle_once(
    scene: Scene, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    attached_late(scene, tmp_path)
    scene.settings.retention_recompute_hours = 0
    nodes = [create_app(scene.settings, scene.database) for _ in range(2)]
    settled: list[int] = []
    threads = [
        threading.Thread(target=lambda a=a: settled.append(retention_recomputes.recompute_now(a)))
        for a in nodes
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(settled) == [0, 1]
    assert not [r for r in caplog.records if r.name == "lawcam.retention"]  # neither failed
