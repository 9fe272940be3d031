"""Disposal after retention (R14.2, R14.3, R15.1): only recordings past their effective
retention, in no open case and under no hold, proposed by the unit's device administrator and
approved by the unit head and then engineering supervision; running the batch removes the
objects and leaves a signed tombstone; verify is clean afterwards and names an object deleted
without one. On the suite's database, the local store."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from lawcam.audit.models import AuditEvent
from lawcam.audit.signing import signature_valid
from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.errors import Conflict, Forbidden, NotFound
from lawcam.evidence import integrity
from lawcam.evidence.models import Disposition
from lawcam.retention import disposal, queries
from lawcam.retention.integrity import check_retention
from lawcam.retention.models import DisposalBatch, DisposalItem
from lawcam.retention.types import DisposalStatus, Outcome
from lawcam.storage.local import LocalStore
from tests.retention_scene import Scene, build_scene

pytestmark = [pytest.mark.req("R14.3"), pytest.mark.req("R14.2"), pytest.mark.req("R15.1")]

LONG_AGO = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)  # docked then: kept until 2025-03-01


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor, tmp_path: Path) -> Scene:
    return build_scene(database, settings, console, LocalStore(tmp_path / "objects"), settings.home)


def verify(scene: Scene) -> list[str]:
    found = integrity.verify(
        database=scene.database, store=scene.store, public_key=scene.signer.public_key,
        actor=scene.console, also=(check_retention,),
    )  # fmt: skip
    return [f"{p.kind} {p.subject}" for p in found.problems]


def candidate_ids(scene: Scene) -> list[int]:
    with scene.database.read() as session:
        found = disposal.candidates(
            session=session, actor=scene.actor("admin"), unit_id=scene.unit_id
        )
        return [r.recording_id for r in found]


def counts(scene: Scene) -> tuple[int, int, int]:
    with scene.database.read() as session:
        return (
            session.scalar(select(func.count(DisposalBatch.id))) or 0,
            session.scalar(select(func.count(Disposition.id))) or 0,
            session.scalar(select(func.count(AuditEvent.id))) or 0,
        )


def test_only_recordings_past_their_retention_in_no_open_case_and_unheld_are_candidates(
    scene: Scene, tmp_path: Path
) -> None:
    old = scene.dock(tmp_path, count=4, at=LONG_AGO)
    [fresh] = scene.dock(tmp_path)
    open_case = scene.case(number="A-1")
    scene.link(open_case, old[1])
    archived = scene.case(number="A-2", term="10y", opened_on=LONG_AGO.date())
    scene.link(archived, old[2])
    scene.archive(archived, LONG_AGO.date() + timedelta(days=10))
    scene.hold([old[3]])
    assert candidate_ids(scene) == [old[0]]
    before = counts(scene)
    for rid, why in [
        (old[1], "A-1 未归档"),
        (old[2], "保存期限至 2033"),
        (old[3], "保全"),
        (fresh, "保存期限至"),
    ]:
        with scene.database.unit_of_work() as session, pytest.raises(Conflict, match=why):
            disposal.propose(
                session=session, actor=scene.actor("admin"), unit_id=scene.unit_id,
                reason="到期", recording_ids=[old[0], rid],
            )  # fmt: skip
    assert counts(scene) == before  # nothing half-written


def test_a_batch_is_approved_by_the_head_then_supervision_never_by_its_proposer_or_twice(
    scene: Scene, tmp_path: Path
) -> None:
    scene.dock(tmp_path, count=2, at=LONG_AGO)
    batch_id = scene.propose()
    with pytest.raises(Forbidden, match="没有执行此操作的权限"):
        scene.approve(batch_id, "admin")
    admin = scene.actor("admin")  # were the proposer also a unit head, still not their own
    both = replace(admin, roles=admin.roles | {Role.UNIT_HEAD})
    with scene.database.unit_of_work() as session, pytest.raises(Forbidden, match="本人提出"):
        batch = queries.get_batch(session=session, actor=both, batch_id=batch_id)
        disposal.approve(session=session, actor=both, batch=batch)
    with pytest.raises(Forbidden, match="须由单位负责人"):
        scene.approve(batch_id, "engineering")
    with pytest.raises(Conflict, match="两级批准"):
        scene.run(batch_id)
    scene.approve(batch_id, "head")
    with pytest.raises(Conflict, match="不能重复审批"):
        scene.approve(batch_id, "head")
    with pytest.raises(Conflict, match="两级批准"):
        scene.run(batch_id)
    scene.approve(batch_id, "engineering")
    with pytest.raises(Conflict, match="不能重复审批"):
        scene.approve(batch_id, "engineering")
    with pytest.raises(NotFound):  # another unit's head does not even see it
        scene.approve(batch_id, "unit_head")
    with scene.database.read() as session:
        batch = session.get(DisposalBatch, batch_id)
        assert batch is not None and batch.status == DisposalStatus.APPROVED
        assert batch.head_by.startswith("二处负责人") and batch.supervision_by.startswith(
            "测试工程监管处"
        )


def test_running_an_approved_batch_disposes_signs_and_verify_is_clean_then_names_a_bare_deletion(
    scene: Scene, tmp_path: Path
) -> None:
    old = scene.dock(tmp_path, count=3, at=LONG_AGO)
    assert verify(scene) == []
    batch_id = scene.propose(old[:2])
    scene.approve(batch_id, "head")
    scene.approve(batch_id, "engineering")
    report = scene.run(batch_id)
    assert report.count(Outcome.DISPOSED) == 2
    stored = {o.sha256 for o in scene.store.objects()}
    gone = [scene.recording(rid) for rid in old[:2]]
    assert not {r.sha256 for r in gone} & stored
    assert scene.recording(old[2]).sha256 in stored
    with scene.database.read() as session:
        tombs = list(session.scalars(select(Disposition).order_by(Disposition.recording_id)))
        batch = session.get(DisposalBatch, batch_id)
        assert batch is not None and batch.status == DisposalStatus.DONE
    assert [t.recording_id for t in tombs] == old[:2]
    for tomb, recording in zip(tombs, gone, strict=True):
        facts = json.loads(tomb.record)
        assert facts["recording"]["sha256"] == recording.sha256 == tomb.sha256
        assert facts["batch"]["head_by"].startswith("二处负责人")
        signature = base64.b64decode(tomb.signature)
        assert signature_valid(scene.signer.public_key, tomb.record.encode(), signature)
    assert verify(scene) == []  # disposed recordings are accepted
    with pytest.raises(Conflict, match="已执行"):
        scene.run(batch_id)
    victim = scene.recording(old[2])
    path = scene.store.root / victim.sha256[:2] / victim.sha256[2:4] / victim.sha256
    path.unlink()
    assert verify(scene) == [f"object_missing recording:{old[2]}"]


def test_a_hold_placed_after_approval_keeps_the_recording_when_the_batch_runs(
    scene: Scene, tmp_path: Path
) -> None:
    old = scene.dock(tmp_path, count=2, at=LONG_AGO)
    batch_id = scene.propose(old)
    scene.approve(batch_id, "head")
    scene.approve(batch_id, "engineering")
    scene.hold([old[1]])
    report = scene.run(batch_id)
    assert report.outcomes == {old[0]: Outcome.DISPOSED, old[1]: Outcome.KEPT}
    assert "保全" in report.notes[old[1]]
    assert scene.recording(old[1]).sha256 in {o.sha256 for o in scene.store.objects()}
    with scene.database.read() as session:
        items = session.scalars(select(DisposalItem).where(DisposalItem.batch_id == batch_id))
        assert {i.recording_id: i.outcome for i in items} == report.outcomes
    assert verify(scene) == []


def test_a_disposition_is_write_once_and_a_forged_one_is_named(
    scene: Scene, tmp_path: Path
) -> None:
    old = scene.dock(tmp_path, count=1, at=LONG_AGO)
    batch_id = scene.propose(old)
    scene.approve(batch_id, "head")
    scene.approve(batch_id, "engineering")
    scene.run(batch_id)
    for verb in ("UPDATE disposition SET size = 1", "DELETE FROM disposition"):
        with pytest.raises(DBAPIError, match="write-once"), scene.database.engine.begin() as conn:
            conn.execute(text(verb))
    with scene.database.unit_of_work() as session:  # a row nobody audited, as an intruder would
        if scene.database.dialect == "postgresql":
            session.execute(text("ALTER TABLE disposition DISABLE TRIGGER disposition_write_once"))
        else:
            session.execute(text("DROP TRIGGER disposition_no_update"))
        session.execute(text("UPDATE disposition SET signature = 'AAAA'"))
    problems = verify(scene)
    assert "disposition_signature_bad disposition:1" in problems
    assert any(p.startswith("disposition_row_altered") for p in problems)


def test_the_dry_run_is_a_read(scene: Scene, tmp_path: Path) -> None:
    old = scene.dock(tmp_path, count=2, at=LONG_AGO)
    before = counts(scene)
    assert candidate_ids(scene) == old
    assert counts(scene) == before
    with scene.database.read() as session:
        assert queries.list_batches(session=session, actor=scene.actor("admin")) == []


def test_an_original_put_back_after_its_disposal_is_named(scene: Scene, tmp_path: Path) -> None:
    [rid] = scene.dock(tmp_path, count=1, at=LONG_AGO)
    sha = scene.recording(rid).sha256
    path = scene.store.root / sha[:2] / sha[2:4] / sha
    kept = path.read_bytes()
    batch_id = scene.propose([rid])
    scene.approve(batch_id, "head")
    scene.approve(batch_id, "engineering")
    scene.run(batch_id)
    assert not path.exists()
    path.write_bytes(kept)
    path.chmod(0o444)
    assert verify(scene) == [f"disposed_object_present recording:{rid}"]


def test_a_recording_is_proposed_once_at_a_time(scene: Scene, tmp_path: Path) -> None:
    old = scene.dock(tmp_path, count=2, at=LONG_AGO)
    first = scene.propose([old[0]])
    with pytest.raises(Conflict, match=f"已在销毁批次 #{first} 中"):
        scene.propose([old[0]])
    second = scene.propose()  # every candidate: the one already proposed is left out
    with scene.database.read() as session:
        batch = session.get(DisposalBatch, second)
        assert batch is not None and [i.recording_id for i in batch.items] == [old[1]]
