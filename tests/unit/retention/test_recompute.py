"""``lawcam retention recompute`` (R14.3, R14.2): a recording attached to an activity after the
activity was linked to an open case serves that case, but nothing settled its kept state when it
was attached; verify names the stale state, the recomputation brings it up (held while the case
is open), verify is clean again and no retention is shorter than before. On SQLite and
PostgreSQL (the suite's database), the home's local store, the CLI run in-process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence import integrity
from lawcam.retention.effective import derive
from lawcam.retention.integrity import check_retention
from lawcam.retention.models import RetentionState
from lawcam.storage import open_store
from tests.cli.conftest import Cli
from tests.retention_scene import Scene, build_scene

pytestmark = [pytest.mark.req("R14.3"), pytest.mark.req("R14.2")]


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor) -> Scene:
    store = open_store(settings.resolved_storage_url)  # the home's: the CLI opens the same
    return build_scene(database, settings, console, store, settings.home)


def problems(scene: Scene) -> list[str]:
    found = integrity.verify(
        database=scene.database, store=scene.store, public_key=scene.signer.public_key,
        actor=scene.console, also=(check_retention,),
    )  # fmt: skip
    return [f"{p.kind} {p.subject}" for p in found.problems]


def activity_in_case(scene: Scene) -> int:
    """An activity of 执法二处's officer, linked to an open case before any recording of it."""
    activity_id = scene.activity()
    scene.link_activity(scene.case(), activity_id)
    return activity_id


def test_recompute_settles_a_recording_attached_to_a_linked_activity_later(
    scene: Scene, tmp_path: Path
) -> None:
    [before] = scene.dock(tmp_path)  # held by an unrelated case: its state is right already
    other = scene.case(number="京执罚〔2026〕2号")
    scene.link(other, before)
    activity_id = activity_in_case(scene)
    # Recorded well before the activity by the clock on the file (a device clock hours wrong),
    # so the automatic linking does not take it: attached by hand, after the case link.
    [late] = scene.dock(tmp_path, at=datetime.now(UTC) - timedelta(hours=10))
    scene.attach(activity_id, late)
    with scene.database.read() as session:
        derived = derive(session, [before, late])
        assert session.get(RetentionState, late) is None  # nothing settled it
    assert derived[late].retain_until is None and derived[late].case_ids  # the rows hold it
    promised = {rid: r.promised for rid, r in derived.items()}
    assert problems(scene) == [f"retention_state_stale recording:{late}"]

    cli = Cli(home=scene.settings.home, database_url=scene.database.url)
    done = cli.ok("retention", "recompute")
    assert done == {"scanned": 2, "settled": 1}

    assert problems(scene) == []
    with scene.database.read() as session:
        state = session.get(RetentionState, late)
        assert state is not None and state.indefinite  # held while the case is open
        after = derive(session, [before, late])
    for rid, retention in after.items():  # nothing shortened: ledgers and dates only grew
        assert retention.promised >= promised[rid] and retention.until >= derived[rid].until
        assert retention.retain_until is None
    assert cli.ok("recording", "show", str(late))["retain_until"] is None
    assert cli.ok("retention", "recompute") == {"scanned": 2, "settled": 0}  # settled stays so
