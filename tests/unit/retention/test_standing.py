"""The recomputation's lean read (``effective.standing``, issue 17's benchmark) answers what
``derive`` answers, recording by recording (R14.3, R14.2): cases open, archived for 10 and 30
years (on 29 February), 永久 and archived long ago; links unlinked, through an activity and
detached from it; holds live and released; ledger extensions; a state lagging, a state kept
before migration 0016 (no promise) and none at all. The lean read takes the ingest promise from
the kept states: it must not matter whether it does. On SQLite and PostgreSQL (the suite's)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.activities.models import Activity, ActivityLink
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.evidence.models import Correction, Recording
from lawcam.evidence.retention import RETAIN_UNTIL_FIELD
from lawcam.retention.effective import Standing, derive, scan, standing
from lawcam.retention.enforce import settle
from lawcam.retention.models import CaseLink, LegalHold, PenaltyCase, RetentionState
from lawcam.retention.recompute import recompute
from lawcam.storage import open_store
from lawcam.timeutil import add_years
from tests.retention_scene import Scene, build_scene

pytestmark = [pytest.mark.req("R14.3"), pytest.mark.req("R14.2")]

NOW = datetime.now(UTC)
# name: (archived on, term years; 0 = 永久)
CASES = {
    "open": (None, 30),
    "leap10": (date(2024, 2, 29), 10),
    "leap30": (date(2024, 2, 29), 30),
    "forever": (date(2025, 6, 1), 0),
    "long_ago": (date(2010, 3, 1), 10),  # its date is long before any promise
}


@pytest.fixture
def scene(database: Database, settings: Settings, console: Actor) -> Scene:
    store = open_store(settings.resolved_storage_url)
    return build_scene(database, settings, console, store, settings.home)


def add_case(session: Session, scene: Scene, name: str) -> int:
    archived_on, years = CASES[name]
    case = PenaltyCase(
        number=f"京执罚〔测试〕{name}", unit_id=scene.unit_id, title=name, parties="某某",
        opened_on=date(2009, 1, 1), archived_on=archived_on, term="permanent" if not years
        else f"{years}y", term_years=years, status="archived" if archived_on else "open",
        created_by="test", created_at=NOW,
    )  # fmt: skip
    session.add(case)
    session.flush()
    return case.id


def add_link(
    session: Session, case_id: int, *, recording: int | None = None, activity: int | None = None,
    gone: bool = False,
) -> None:  # fmt: skip
    session.add(
        CaseLink(
            case_id=case_id, recording_id=recording, activity_id=activity, reason="作为证据",
            linked_by="test", linked_at=NOW, unlinked_at=NOW if gone else None,
        )
    )  # fmt: skip


def add_activity(session: Session, scene: Scene, members: dict[int, bool]) -> int:
    """An activity whose recordings are ``members`` (True: detached since)."""
    activity = Activity(
        unit_id=scene.unit_id, kind="inspection", place="某市场", arrived_at=NOW,
        ended_at=NOW + timedelta(hours=1), announced=True, entry_key="standing-test",
        created_at=NOW, created_by="test", upload_deadline=NOW + timedelta(days=1),
    )  # fmt: skip
    session.add(activity)
    session.flush()
    for rid, detached in members.items():
        attach(session, activity.id, rid, detached)
    return activity.id


def attach(session: Session, activity_id: int, rid: int, detached: bool = False) -> None:
    session.add(
        ActivityLink(
            activity_id=activity_id, recording_id=rid, how="manual", linked_by="test",
            linked_at=NOW, detached_at=NOW if detached else None,
        )
    )  # fmt: skip


def extend(session: Session, rid: int, until: date) -> None:
    session.add(
        Correction(
            recording_id=rid, field=RETAIN_UNTIL_FIELD, value=until.isoformat(), reason="延长",
            corrected_by="test", corrected_at=NOW,
        )
    )  # fmt: skip


def hold(session: Session, scene: Scene, rid: int, released: bool) -> None:
    session.add(
        LegalHold(
            recording_id=rid, unit_id=scene.unit_id, reason="诉讼", placed_by="test",
            placed_at=NOW, released_at=NOW if released else None,
        )
    )  # fmt: skip


def kept_promises(session: Session) -> dict[int, date]:
    rows = session.execute(select(RetentionState.recording_id, RetentionState.promise))
    return {rid: promise for rid, promise in rows if promise is not None}


def from_derive(session: Session) -> list[tuple[int, Standing]]:
    """What the lean read must answer: the recordings ``scan`` finds, as ``derive`` has them."""
    found = derive(session, [r.recording_id for r in scan(session)])
    return sorted((r.recording_id, (r.promised, r.until, r.indefinite)) for r in found.values())


def test_the_lean_read_answers_as_derive_on_a_mixed_scene(scene: Scene, tmp_path: Path) -> None:
    r = scene.dock(tmp_path, count=10)
    with scene.database.unit_of_work() as session:
        case = {name: add_case(session, scene, name) for name in CASES}
        add_link(session, case["open"], recording=r[0])
        add_link(session, case["leap10"], recording=r[1])
        add_link(session, case["leap30"], recording=r[1])
        extend(session, r[1], date(2030, 1, 1))  # less than its cases: they reach further
        # r[2] through the activity; r[3] detached from it, and unlinked from its own case.
        activity = add_activity(session, scene, {r[2]: False, r[3]: True})
        add_link(session, case["leap30"], activity=activity)
        add_link(session, case["open"], activity=activity, gone=True)
        add_link(session, case["open"], recording=r[3], gone=True)
        add_link(session, case["long_ago"], recording=r[4])
        hold(session, scene, r[4], released=False)
        hold(session, scene, r[5], released=True)
        extend(session, r[5], date(2031, 5, 5))
        extend(session, r[5], date(2030, 5, 5))
        add_link(session, case["forever"], recording=r[6])
        add_link(session, case["leap10"], recording=r[6])
        add_link(session, case["long_ago"], recording=r[7])
        hold(session, scene, r[9], released=True)  # nothing more than its promise
    with scene.database.unit_of_work() as session:  # the states as the domain keeps them
        settle(session=session, actor=scene.console, store=scene.store, recording_ids=r[:8],
               reason="测试")  # fmt: skip
    with scene.database.unit_of_work() as session:
        states = {s.recording_id: s for s in session.scalars(select(RetentionState))}
        promised = dict(session.execute(select(Recording.id, Recording.retain_until)).all())
        assert {rid: s.promise for rid, s in states.items()} == {
            rid: promised[rid] for rid in r[:8]
        }
        states[r[2]].retain_until = promised[r[2]]  # lagging: as if before the activity's link
        states[r[2]].indefinite = True
        states[r[6]].promise = None  # kept before migration 0016
        states[r[3]].indefinite = True  # as before its link was ended: nothing holds it now
        states[r[0]].indefinite = False  # its date right, but its open case not kept in mind
        add_link(session, case["leap30"], recording=r[8])  # linked since: no state, no ledger
        attach(session, activity, r[9])  # attached since: the activity's case reaches it

    with scene.database.read() as session:
        expected = from_derive(session)
        assert [row[0] for row in expected] == [r[0], r[1], r[2], r[4], r[5], r[6], r[7], r[8],
                                                r[9]]  # fmt: skip
        assert list(standing(session, kept_promises(session)).items()) == expected
        assert list(standing(session, {}).items()) == expected  # every promise from the recordings
    by_id = dict(expected)
    leap30 = add_years(date(2024, 2, 29), 30)
    assert by_id[r[1]][1:] == (leap30, False) and by_id[r[2]][1:] == (leap30, False)
    assert by_id[r[5]] == (date(2031, 5, 5), date(2031, 5, 5), False)
    assert by_id[r[6]][1:] == (add_years(date(2024, 2, 29), 10), True)
    assert by_id[r[4]][1:] == (promised[r[4]], True) and by_id[r[7]][1:] == (promised[r[7]], False)

    with scene.database.unit_of_work() as session:
        done = recompute(session=session, actor=scene.console, store=scene.store)
    # r[0], r[2] and r[3]'s states lag; r[8] and r[9] have none and their ledgers lack the
    # case's date.
    assert (done.scanned, done.settled) == (9, 5)
    with scene.database.read() as session:
        assert list(standing(session, kept_promises(session)).items()) == from_derive(session)
        kept = {s.recording_id: (s.retain_until, s.indefinite) for s in
                session.scalars(select(RetentionState))}  # fmt: skip
        assert all(kept[rid] == row[1:] for rid, row in from_derive(session))
        assert kept[r[3]] == (promised[r[3]], False)
    with scene.database.unit_of_work() as session:
        again = recompute(session=session, actor=scene.console, store=scene.store)
    assert (again.scanned, again.settled) == (9, 0)
