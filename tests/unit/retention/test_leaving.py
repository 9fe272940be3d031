"""Leaving an activity is no way out of its case (R14.3, R14.2): a recording taken out of an
activity linked to a case — detached by hand, or moved away by a correction of its start time —
stays in the case by a direct link, audited, with its retention unchanged; only an unlink the
unit head approves ends it. On SQLite and PostgreSQL (the suite's database), the local store."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lawcam.activities import service as activities
from lawcam.activities.models import ActivityLink
from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence import service as evidence
from lawcam.evidence.models import Recording
from lawcam.evidence.types import CorrectableField
from lawcam.retention.effective import derive
from lawcam.retention.models import CaseLink
from lawcam.retention.types import RetentionEvent
from lawcam.storage.local import LocalStore
from lawcam.timeutil import today_shanghai
from tests.retention_scene import Scene, build_scene

pytestmark = [pytest.mark.req("R14.3"), pytest.mark.req("R14.2")]


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor, tmp_path: Path) -> Scene:
    return build_scene(database, settings, console, LocalStore(tmp_path / "objects"), settings.home)


def docked_in_activity(scene: Scene, tmp_path: Path) -> tuple[int, list[int]]:
    """Two recordings of T9001, docked now (started two hours ago), linked automatically into
    an activity of three hours ago to one hour ago."""
    ids = scene.dock(tmp_path, count=2)
    activity_id = scene.activity()
    with scene.database.unit_of_work() as session:
        activities.relink_recordings(
            session=session, actor=scene.console, settings=scene.settings, recording_ids=ids
        )
    with scene.database.read() as session:
        linked = session.scalars(
            select(ActivityLink.recording_id).where(ActivityLink.activity_id == activity_id)
        ).all()
    assert sorted(linked) == sorted(ids)
    return activity_id, ids


def direct_links(scene: Scene, case_id: int) -> dict[int, str]:
    with scene.database.read() as session:
        rows = session.execute(
            select(CaseLink.recording_id, CaseLink.reason).where(
                CaseLink.case_id == case_id,
                CaseLink.recording_id.is_not(None),
                CaseLink.unlinked_at.is_(None),
            )
        ).all()
    return {rid: reason for rid, reason in rows if rid is not None}


def linked_entries(scene: Scene) -> list[str]:
    with scene.database.read() as session:
        stmt = select(AuditEvent.after).where(AuditEvent.tag == str(RetentionEvent.LINKED))
        return [after or "" for after in session.scalars(stmt)]


def test_a_recording_detached_from_a_linked_activity_stays_in_the_case(
    scene: Scene, tmp_path: Path
) -> None:
    activity_id, (kept, other) = docked_in_activity(scene, tmp_path)
    case_id = scene.case()
    scene.link_activity(case_id, activity_id)
    scene.detach(activity_id, kept, "另一起检查的录像")
    links = direct_links(scene, case_id)
    assert list(links) == [kept] and f"执法活动 #{activity_id}" in links[kept]
    assert any(f'"recording_id":{kept}' in entry for entry in linked_entries(scene))
    with scene.database.read() as session:
        derived = derive(session, [kept, other])
    for rid in (kept, other):  # both still held while the case is open
        assert derived[rid].retain_until is None and derived[rid].case_ids == {case_id}


def test_a_correction_moving_a_recording_away_keeps_it_in_an_archived_case(
    scene: Scene, tmp_path: Path
) -> None:
    activity_id, (moved, _) = docked_in_activity(scene, tmp_path)
    case_id = scene.case(term="10y")
    scene.link_activity(case_id, activity_id)
    scene.archive(case_id, today_shanghai())
    with scene.database.read() as session:
        before = derive(session, [moved])[moved].until
    with scene.database.unit_of_work() as session:
        recording = session.get(Recording, moved)
        assert recording is not None
        evidence.correct(
            session=session, actor=scene.console, recording=recording,
            field=CorrectableField.START_AT,
            value=(datetime.now(UTC) - timedelta(days=3)).isoformat(), reason="设备时钟有误",
            settings=scene.settings, store=scene.store,
        )  # fmt: skip
        activities.relink_recordings(
            session=session, actor=scene.console, settings=scene.settings, recording_ids=[moved]
        )
    with scene.database.read() as session:
        still = session.scalars(
            select(ActivityLink).where(
                ActivityLink.activity_id == activity_id, ActivityLink.recording_id == moved
            )
        ).first()
        after = derive(session, [moved])[moved]
    assert still is None  # the automatic link went with the correction
    assert list(direct_links(scene, case_id)) == [moved]
    assert after.case_ids == {case_id} and after.until == before  # the archived term still runs


def test_a_recording_already_linked_directly_is_not_linked_twice(
    scene: Scene, tmp_path: Path
) -> None:
    activity_id, (rid, _) = docked_in_activity(scene, tmp_path)
    case_id = scene.case()
    scene.link_activity(case_id, activity_id)
    scene.link(case_id, rid)
    scene.detach(activity_id, rid, "重复")
    assert direct_links(scene, case_id) == {rid: "作为证据"}


@pytest.mark.parametrize("command", ["activity", "recording", "ingest"])
def test_every_command_that_moves_recordings_registers_the_keeping(command: str) -> None:
    """The command line loads only the group of the command run: each group that can take a
    recording out of an activity (detach, amend, correct, dock) must register the cases' hook
    itself. In a fresh interpreter, as ``lawcam`` runs it."""
    code = (
        "from lawcam.cli.main import build_app\n"
        f"build_app({command!r})\n"
        "from lawcam.activities import hooks\n"
        "print([h.__qualname__ for h in hooks._LEAVING])\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "['keep_in_cases']"
