"""``recompute_all`` (a nightly check, a changed tolerance; bench/coverage.py times it): every
activity's stored coverage recomputed in batches, as ``recompute`` does it one by one."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from lawcam.activities import recompute
from lawcam.activities.models import Activity, ActivityLink, Interruption
from lawcam.activities.types import ActivityEvent
from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from tests.factories import Office, build_office
from tests.unit.activities.test_service import BASE, S, add, admin, card, data, docked, show


@pytest.fixture
def office(database: Database, settings: Settings, console: Actor) -> Office:
    return build_office(database, settings, console)


@pytest.mark.req("R10.1")
def test_a_full_pass_changes_nothing_current_and_follows_a_new_tolerance(
    database: Database, settings: Settings, office: Office, console: Actor, tmp_path: Path
) -> None:
    tight = settings.model_copy(update={"activity_tolerance_s": 5})
    docked(database, tight, office, card(tmp_path, "a", [(0, 50), (52, 30), (100, 20)]))
    gapped = add(database, tight, admin(office), data(office, 0, 120))
    empty = add(database, tight, admin(office), data(office, 600, 700))
    with database.unit_of_work() as session:
        assert recompute.recompute_all(session=session, actor=console, settings=tight, batch=1) == 0
    activity, rows = show(database, gapped)
    assert activity.coverage == pytest.approx(102 / 120) and len(rows) == 1

    loose = settings.model_copy(update={"activity_tolerance_s": 20})  # the 18 s gap joins up
    with database.unit_of_work() as session:
        assert recompute.recompute_all(session=session, actor=console, settings=loose) == 1
    activity, rows = show(database, gapped)
    assert (activity.coverage, activity.unexplained, rows) == (1.0, 0, [])
    with database.read() as session:
        superseded = session.get(Activity, empty)
        assert superseded is not None and superseded.no_recording
    with database.unit_of_work() as session:  # the same as one by one
        one = session.get(Activity, gapped)
        assert one is not None
        recompute.recompute(session=session, actor=console, settings=tight, activity=one)
    activity, rows = show(database, gapped)
    assert rows == [(2, "gap", 82 * S, 100 * S, None, None)]  # a new number: 1 was superseded


def coverage_entries(database: Database) -> list[tuple[str, dict, dict]]:
    with database.read() as session:
        stmt = select(AuditEvent).where(AuditEvent.tag == str(ActivityEvent.COVERAGE))
        return [
            (e.subject_id, json.loads(e.before or "{}"), json.loads(e.after or "{}"))
            for e in session.scalars(stmt.order_by(AuditEvent.seq))
        ]


@pytest.mark.req("R10.1", "R14.1")
def test_a_full_pass_repairs_what_differs_each_with_its_audit_entry(
    database: Database, settings: Settings, office: Office, console: Actor, tmp_path: Path
) -> None:
    """The pass reads by column and loads only what differs: each stored value that no longer
    matches (every figure, a late flag, an interruption, then a new policy) is put right as one
    change is, audited when the activity's figures change; a second pass, and ``recompute``
    one by one, find nothing."""
    tight = settings.model_copy(update={"activity_tolerance_s": 5})
    docked(database, tight, office, card(tmp_path, "a", [(0, 50), (52, 30), (100, 20)]))
    made = {
        name: add(database, tight, admin(office), data(office, *span, place=f"中山路 {name}"))
        for name, span in SPANS.items()
    }
    before = len(coverage_entries(database))
    with database.unit_of_work() as session:
        for name, (column, wrong, _) in WRONG.items():
            stmt = update(Activity).where(Activity.id == made[name]).values({column: wrong})
            session.execute(stmt)
        flags = update(ActivityLink).where(ActivityLink.activity_id == made["tail"])
        session.execute(flags.values(late=True))
        moved = update(Interruption).where(Interruption.activity_id == made["later"])
        session.execute(moved.values(end_at=BASE + 101 * S))  # the gap ends at 100 s
    with database.unit_of_work() as session:
        assert recompute.recompute_all(session=session, actor=console, settings=tight, batch=2) == 6
    entries = {int(s): (b, a) for s, b, a in coverage_entries(database)[before:]}
    for name, (column, wrong, right) in WRONG.items():
        was, now = entries[made[name]]
        assert (was[column], now[column]) == (audited(wrong), audited(right)), name
    assert [(g["seq"], g["kind"]) for g in entries[made["later"]][1]["new"]] == [(2, "gap")]
    assert entries[made["later"]][1]["superseded"] == [1]
    with database.read() as session:
        late = select(ActivityLink.late).where(ActivityLink.activity_id == made["tail"])
        assert not any(session.scalars(late))  # put right; its figures did not change

    # Spare recorded nothing; the gap is now the first officer's (a new row, the old one goes).
    each = tight.model_copy(update={"activity_policy": "each"})
    with database.unit_of_work() as session:
        assert recompute.recompute_all(session=session, actor=console, settings=each) == 5
    new = coverage_entries(database)[before + 6 :]
    assert [(int(s), [g["kind"] for g in a["new"]]) for s, _, a in new] == [
        (made["gapped"], ["not_recorded", "gap"]),
        (made["full"], ["not_recorded"]),
        (made["tail"], ["not_recorded"]),
        (made["later"], ["not_recorded", "gap"]),
        (made["due"], ["not_recorded"]),
    ]
    with database.unit_of_work() as session:
        assert recompute.recompute_all(session=session, actor=console, settings=each) == 0
        for activity in session.scalars(select(Activity)):
            recompute.recompute(session=session, actor=console, settings=each, activity=activity)
    assert len(coverage_entries(database)) == before + 11


SPANS = {  # seconds after BASE; the recordings cover 0–50, 52–82 and 100–120
    "gapped": (0, 120),  # an 18 s gap
    "full": (0, 50),
    "empty": (600, 700),  # nothing recorded
    "tail": (100, 120),
    "later": (60, 120),  # the same gap
    "bare": (800, 900),  # nothing recorded
    "due": (0, 51),
}
WRONG = {  # a stored figure made wrong: (column, wrong value, right value)
    "gapped": ("unexplained", 0, 1),
    "full": ("late_uploads", 1, 0),
    "empty": ("coverage", 0.5, 0.0),
    "bare": ("no_recording", False, True),
    "due": ("upload_deadline", BASE + timedelta(hours=1), BASE + 51 * S + timedelta(hours=24)),
}


def audited(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
