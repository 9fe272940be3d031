"""The demo's activities, built through the services on the demo's office, each checked
exactly: coverage, interruptions, explanations and lateness (issue 15's "Done when")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lawcam.activities import queries, worklist
from lawcam.activities.models import Activity
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.custody.queries import desk_actor
from lawcam.db import Database
from lawcam.demo import seed
from lawcam.demo.activities import SCENES, demo_cast, seed_activities
from lawcam.evidence.models import Recording
from lawcam.storage import open_store


@pytest.mark.req("R10.1")
@pytest.mark.req("R10.2")
@pytest.mark.req("R14.1")
def test_each_demo_scene_has_exactly_its_state(
    database: Database, settings: Settings, console: Actor
) -> None:
    with database.unit_of_work() as session:
        seed(session=session, actor=console, settings=settings)
    summary = seed_activities(
        database=database, store=open_store(settings.resolved_storage_url), settings=settings
    )
    assert summary == {
        "activities": 7,
        "fully_covered": 3,
        "unexplained": 1,
        "no_recording": 1,
        "late": 1,
    }
    with database.read() as session:
        rows = session.query(Activity).order_by(Activity.arrived_at).all()
        got = []
        for activity in rows:
            gaps = [
                (
                    g.kind,
                    (g.end_at - g.start_at).total_seconds(),
                    g.explanation,
                    g.confirmed_at is not None,
                    g.document.media_type if g.document else None,
                )
                for g in queries.interruptions_of(session, activity.id)
            ]
            links = queries.links_of(session, activity.id)
            got.append(
                (
                    activity.kind,
                    round(activity.coverage, 4),
                    activity.no_recording,
                    gaps,
                    len(links),
                    [link.late for link in links],
                    activity.upload_deadline - activity.ended_at,
                )
            )
    day = timedelta(hours=24)
    assert got == [
        ("inspection", 1.0, False, [], 2, [False, False], day),  # segmented files join up
        (
            "investigation",
            0.85,
            False,
            [("gap", 90.0, "voice", True, None)],
            2,
            [False, False],
            day,
        ),
        (
            "inspection",
            round(400 / 600, 4),
            False,
            [("gap", 200.0, "written", True, "application/pdf")],
            2,
            [False, False],
            day,
        ),
        (
            "on_site_penalty",
            0.8,
            False,
            [("gap", 120.0, None, False, None)],
            2,
            [False, False],
            day,
        ),
        ("service_of_documents", 0.0, True, [], 0, [], day),  # nothing recorded
        ("inspection", 1.0, False, [], 1, [True], day),  # docked 50 hours later: late
        ("seizure", 1.0, False, [], 1, [False], day),  # one officer: entered with a warning
    ]
    assert len(SCENES) == 8  # and one recording outside every activity:
    with database.read() as session:
        linked = {link.recording_id for a in rows for link in queries.links_of(session, a.id)}
        all_ids = {r.id for r in session.query(Recording).all()}
    assert len(all_ids - linked) == 1
    with database.read() as session:
        late = queries.late_uploads(session, console, queries.LateFilter(), 24)
    [only] = late  # the card docked 50 hours after the inspection; the others were in time
    assert only.activity_id == rows[5].id and only.hours_late == pytest.approx(26.0, abs=0.1)


@pytest.mark.req("R10.2")
def test_the_officer_sees_the_unexplained_gap_as_work_and_the_admin_nothing_left(
    database: Database, settings: Settings, console: Actor
) -> None:
    with database.unit_of_work() as session:
        seed(session=session, actor=console, settings=settings)
    seed_activities(
        database=database, store=open_store(settings.resolved_storage_url), settings=settings
    )
    with database.read() as session:
        cast = demo_cast(session)
        officer, admin = desk_actor(cast.officers[0]), desk_actor(cast.admin)
        work = worklist.to_explain(session=session, actor=officer)
        assert [(a.kind, i.seq) for a, i in work] == [("on_site_penalty", 1)]
        assert worklist.to_explain(session=session, actor=admin) == []  # not theirs to explain
        assert worklist.to_confirm(session=session, actor=admin) == []  # both confirmed
