"""``recompute_all`` (a nightly check, a changed tolerance; bench/coverage.py times it): every
activity's stored coverage recomputed in batches, as ``recompute`` does it one by one."""

from __future__ import annotations

from pathlib import Path

import pytest

from lawcam.activities import service
from lawcam.activities.models import Activity
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from tests.factories import Office, build_office
from tests.unit.activities.test_service import S, add, admin, card, data, docked, show


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
        assert service.recompute_all(session=session, actor=console, settings=tight, batch=1) == 0
    activity, rows = show(database, gapped)
    assert activity.coverage == pytest.approx(102 / 120) and len(rows) == 1

    loose = settings.model_copy(update={"activity_tolerance_s": 20})  # the 18 s gap joins up
    with database.unit_of_work() as session:
        assert service.recompute_all(session=session, actor=console, settings=loose) == 1
    activity, rows = show(database, gapped)
    assert (activity.coverage, activity.unexplained, rows) == (1.0, 0, [])
    with database.read() as session:
        superseded = session.get(Activity, empty)
        assert superseded is not None and superseded.no_recording
    with database.unit_of_work() as session:  # the same as one by one
        one = session.get(Activity, gapped)
        assert one is not None
        service.recompute(session=session, actor=console, settings=tight, activity=one)
    activity, rows = show(database, gapped)
    assert rows == [(2, "gap", 82 * S, 100 * S, None, None)]  # a new number: 1 was superseded
