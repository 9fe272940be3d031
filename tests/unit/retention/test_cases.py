"""Penalty cases and effective retention (第十四条第（三）项, R14.3; R14.2, R15.1): a linked recording
is held while its case is open, kept for the archive date + the term once archived (永久: for
ever), unlinking needs the unit head's approval and only before archiving, holds keep beyond any
date; every path that touches retention leaves it no shorter than was promised. On SQLite and
PostgreSQL (the suite's database), the local store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.errors import Conflict, Forbidden, InvalidInput, NotFound
from lawcam.evidence.retention import effective_retention
from lawcam.retention import holds, queries, service
from lawcam.retention.effective import derive
from lawcam.retention.models import CaseLink, LegalHold, RetentionState
from lawcam.retention.service import CaseDates, NewCase
from lawcam.retention.types import RetentionEvent
from lawcam.storage.local import LocalStore
from lawcam.timeutil import add_years, today_shanghai
from tests.retention_scene import Scene, build_scene

pytestmark = [pytest.mark.req("R14.3"), pytest.mark.req("R14.2")]


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor, tmp_path: Path) -> Scene:
    return build_scene(database, settings, console, LocalStore(tmp_path / "objects"), settings.home)


def retention_of(scene: Scene, rid: int) -> tuple[date | None, date]:
    """(effective retain_until — None while indefinite —, the ledger's promise)."""
    with scene.database.read() as session:
        found = derive(session, [rid])[rid]
        return found.retain_until, found.promised


def tags(scene: Scene) -> list[str]:
    with scene.database.read() as session:
        return list(session.scalars(select(AuditEvent.tag).order_by(AuditEvent.seq)))


def test_a_linked_recording_is_held_until_the_case_is_archived_then_kept_for_its_term(
    scene: Scene, tmp_path: Path
) -> None:
    [rid] = scene.dock(tmp_path)
    promise = scene.recording(rid).retain_until
    case_id = scene.case(term="30y")
    scene.link(case_id, rid)
    assert retention_of(scene, rid) == (None, promise)  # held while the case is open
    with scene.database.read() as session:
        state = session.get(RetentionState, rid)
        assert state is not None and state.indefinite
    archived = today_shanghai() - timedelta(days=1)
    scene.archive(case_id, archived)
    until = add_years(archived, 30)
    assert retention_of(scene, rid) == (until, until)  # the ledger took the case's date
    with scene.database.read() as session:
        recording = scene.recording(rid)
        assert effective_retention(session, recording) == until
        state = session.get(RetentionState, rid)
        assert state is not None and not state.indefinite and state.retain_until == until
    assert RetentionEvent.CASE_ARCHIVED in tags(scene)
    assert "evidence:recording:retention" in tags(scene)


def test_a_permanent_case_keeps_for_ever_and_an_activity_link_covers_its_recordings(
    scene: Scene, tmp_path: Path
) -> None:
    ids = scene.dock(tmp_path, count=2)
    case_id = scene.case(number="京执罚〔2026〕9号", term="permanent")
    for rid in ids:
        scene.link(case_id, rid)
    scene.archive(case_id, today_shanghai())
    for rid in ids:
        until, _ = retention_of(scene, rid)
        assert until is None  # 永久: held for ever, no date


def test_unlinking_needs_a_reason_and_the_unit_heads_approval_and_never_after_archiving(
    scene: Scene, tmp_path: Path
) -> None:
    [rid] = scene.dock(tmp_path)
    promise = scene.recording(rid).retain_until
    case_id = scene.case()
    link_id = scene.link(case_id, rid)
    with scene.database.unit_of_work() as session:
        case = scene.get_case(session, case_id)
        made = queries.get_link(session, case, link_id)
        with pytest.raises(InvalidInput):
            service.ask_unlink(
                session=session, actor=scene.actor("admin"), case=case, link=made, reason=" "
            )
        with pytest.raises(Conflict, match="尚无解除关联的申请"):
            service.approve_unlink(
                session=session, actor=scene.actor("head"), store=scene.store, case=case, link=made
            )
        service.ask_unlink(
            session=session, actor=scene.actor("head"), case=case, link=made, reason="误关联"
        )
    with scene.database.unit_of_work() as session:
        case = scene.get_case(session, case_id)
        made = queries.get_link(session, case, link_id)
        with pytest.raises(Forbidden, match="本人提出"):
            service.approve_unlink(
                session=session, actor=scene.actor("head"), store=scene.store, case=case, link=made
            )
    with scene.database.unit_of_work() as session:
        case = scene.get_case(session, case_id)
        with pytest.raises(Forbidden):  # a device administrator does not approve
            service.approve_unlink(
                session=session, actor=scene.actor("admin"), store=scene.store, case=case,
                link=queries.get_link(session, case, link_id),
            )  # fmt: skip
    assert retention_of(scene, rid) == (None, promise)  # nothing changed by the refusals


def test_the_unit_head_approves_an_unlink_asked_by_another_and_the_date_stays(
    scene: Scene, tmp_path: Path
) -> None:
    [rid] = scene.dock(tmp_path)
    promise = scene.recording(rid).retain_until
    case_id = scene.case()
    link_id = scene.link(case_id, rid)
    with scene.database.unit_of_work() as session:
        case = scene.get_case(session, case_id)
        made = queries.get_link(session, case, link_id)
        service.ask_unlink(
            session=session, actor=scene.actor("admin"), case=case, link=made, reason="误关联"
        )
        service.approve_unlink(
            session=session, actor=scene.actor("head"), store=scene.store, case=case, link=made
        )
    assert retention_of(scene, rid) == (promise, promise)  # back to what was promised, no less
    with scene.database.read() as session:
        link = session.get(CaseLink, link_id)
        assert link is not None and link.unlinked_at is not None and link.unlink_reason == "误关联"
    assert RetentionEvent.UNLINKED in tags(scene)
    scene.archive(case_id, today_shanghai())
    assert retention_of(scene, rid) == (promise, promise)  # an unlinked case reaches nothing
    with scene.database.unit_of_work() as session:
        case = scene.get_case(session, case_id)
        with pytest.raises(Conflict, match="已于"):
            service.link(
                session=session, actor=scene.actor("admin"), store=scene.store, case=case,
                recording_id=rid, reason="补充",
            )  # fmt: skip


def test_bad_case_input_is_refused_in_chinese_and_changes_nothing(
    scene: Scene, tmp_path: Path
) -> None:
    [rid] = scene.dock(tmp_path)
    case_id = scene.case()
    before = len(tags(scene))
    terms = scene.settings.case_terms
    admin = scene.actor("admin")
    with scene.database.unit_of_work() as session:
        with pytest.raises(Conflict, match="编号不能重复"):
            service.create_case(
                session=session, actor=admin, terms=terms,
                new=NewCase("京执罚〔2026〕1号", scene.unit_id, "另一案", today_shanghai(), "30y"),
            )  # fmt: skip
        with pytest.raises(InvalidInput, match="不在可选范围内"):
            service.create_case(
                session=session, actor=admin, terms=terms,
                new=NewCase("X-2", scene.unit_id, "另一案", today_shanghai(), "5y"),
            )  # fmt: skip
        with pytest.raises(Forbidden):  # another unit's case
            service.create_case(
                session=session, actor=admin, terms=terms,
                new=NewCase("X-3", scene.office.units["执法一处"], "另一案", today_shanghai(), "30y"),
            )  # fmt: skip
        case = scene.get_case(session, case_id)
        with pytest.raises(InvalidInput, match="早于"):
            service.archive_case(
                session=session, actor=admin, store=scene.store, case=case,
                archived_on=case.opened_on - timedelta(days=1),
            )  # fmt: skip
        with pytest.raises(InvalidInput, match="不能早于"):
            service.record_dates(
                session=session, actor=admin, case=case,
                dates=CaseDates(decided_on=case.opened_on - timedelta(days=2)),
            )  # fmt: skip
    with scene.database.unit_of_work() as session:
        case = scene.get_case(session, case_id)
        with pytest.raises(NotFound):  # an officer of another unit cannot reach the recording
            service.link(
                session=session, actor=scene.actor("officer"), store=scene.store, case=case,
                recording_id=rid, reason="越权",
            )  # fmt: skip
    assert len(tags(scene)) == before
    with scene.database.read() as session:
        assert session.scalar(select(func.count(CaseLink.id))) == 0


def test_an_archived_case_term_only_grows(scene: Scene, tmp_path: Path) -> None:
    [rid] = scene.dock(tmp_path)
    case_id = scene.case(term="10y")
    scene.link(case_id, rid)
    archived = today_shanghai()
    scene.archive(case_id, archived)
    with scene.database.unit_of_work() as session:
        case = scene.get_case(session, case_id)
        service.change_term(
            session=session, actor=scene.actor("admin"), store=scene.store,
            terms=scene.settings.case_terms, case=case, term="30y", reason="案卷定级调整",
        )  # fmt: skip
    assert retention_of(scene, rid)[0] == add_years(archived, 30)
    with scene.database.unit_of_work() as session:
        case = scene.get_case(session, case_id)
        with pytest.raises(Conflict, match="只能延长"):
            service.change_term(
                session=session, actor=scene.actor("admin"), store=scene.store,
                terms=scene.settings.case_terms, case=case, term="10y", reason="改短",
            )  # fmt: skip
    assert retention_of(scene, rid)[0] == add_years(archived, 30)


def test_a_hold_keeps_beyond_any_date_and_is_released_only_by_another_person(
    scene: Scene, tmp_path: Path
) -> None:
    [rid] = scene.dock(tmp_path)
    promise = scene.recording(rid).retain_until
    [hold_id] = scene.hold([rid], who="head")
    assert retention_of(scene, rid) == (None, promise)
    with scene.database.unit_of_work() as session:
        hold = session.get(LegalHold, hold_id)
        assert hold is not None
        with pytest.raises(Conflict, match="尚无解除保全的申请"):
            holds.approve_release(
                session=session, actor=scene.actor("engineering"), store=scene.store, hold=hold
            )
        holds.ask_release(
            session=session, actor=scene.actor("head"), hold=hold, reason="诉讼已终结"
        )
    with scene.database.unit_of_work() as session:
        hold = session.get(LegalHold, hold_id)
        assert hold is not None
        with pytest.raises(Forbidden, match="本人提出"):
            holds.approve_release(
                session=session, actor=scene.actor("head"), store=scene.store, hold=hold
            )
    with scene.database.unit_of_work() as session:
        hold = session.get(LegalHold, hold_id)
        assert hold is not None
        holds.approve_release(
            session=session, actor=scene.actor("engineering"), store=scene.store, hold=hold
        )
    assert retention_of(scene, rid) == (promise, promise)
    with scene.database.read() as session:
        after = session.scalars(
            select(AuditEvent.after).where(AuditEvent.tag == str(RetentionEvent.HOLD_RELEASED))
        ).one()
        assert json.loads(after or "{}")["released_by"].startswith("测试工程监管处")


def test_a_hold_out_of_scope_is_not_found(scene: Scene, tmp_path: Path) -> None:
    [rid] = scene.dock(tmp_path)  # 执法二处's recording
    with scene.database.unit_of_work() as session, pytest.raises(NotFound):
        holds.place(
            session=session, actor=scene.actor("unit_head"), store=scene.store,  # 执法一处's head
            recording_ids=[rid], reason="越权保全",
        )  # fmt: skip


def every_path(scene: Scene, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """Each path that touches retention, yielding (what was done, recording id) after it."""
    [rid] = scene.dock(tmp_path)
    case_id = scene.case(term="10y")
    link_id = scene.link(case_id, rid)
    yield "link", rid
    other = scene.case(number="京执罚〔2026〕2号", term="30y")
    other_link = scene.link(other, rid)
    with scene.database.unit_of_work() as session:
        case = scene.get_case(session, other)
        made = queries.get_link(session, case, other_link)
        service.ask_unlink(
            session=session, actor=scene.actor("admin"), case=case, link=made, reason="误关联"
        )
        service.approve_unlink(
            session=session, actor=scene.actor("head"), store=scene.store, case=case, link=made
        )
    yield "unlink", rid
    scene.archive(case_id, today_shanghai())
    yield "archive", rid
    with scene.database.unit_of_work() as session:
        service.change_term(
            session=session, actor=scene.actor("admin"), store=scene.store,
            terms=scene.settings.case_terms, case=scene.get_case(session, case_id), term="30y",
            reason="调整",
        )  # fmt: skip
    yield "term change", rid
    [hold_id] = scene.hold([rid])
    with scene.database.unit_of_work() as session:
        hold = session.get(LegalHold, hold_id)
        assert hold is not None
        holds.ask_release(session=session, actor=scene.actor("head"), hold=hold, reason="终结")
    with scene.database.unit_of_work() as session:
        hold = session.get(LegalHold, hold_id)
        assert hold is not None
        holds.approve_release(
            session=session, actor=scene.actor("engineering"), store=scene.store, hold=hold
        )
    yield "hold release", rid
    del link_id


def test_no_path_shortens_retention_below_what_was_promised(scene: Scene, tmp_path: Path) -> None:
    """R14.2: at each step the ledger (the dated promise) never goes back, and the effective
    retention is never earlier than it."""
    promised: date | None = None
    seen: list[str] = []
    for step, rid in every_path(scene, tmp_path):
        until, ledger = retention_of(scene, rid)
        assert promised is None or ledger >= promised, step
        assert until is None or until >= ledger, step
        promised = ledger
        seen.append(step)
    assert seen == ["link", "unlink", "archive", "term change", "hold release"]
    assert promised == add_years(today_shanghai(), 30)
