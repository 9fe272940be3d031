"""Findings swept on a schedule while the server runs (第十八条, R18.1): the thread starts with the
server when findings_sweep_minutes > 0, sweeps as the system (a second sweep finds nothing new),
and stops with it; none when switched off."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from lawcam.activities import service as activities
from lawcam.activities.types import ActivityKind
from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor
from lawcam.compliance.models import Finding
from lawcam.compliance.types import FindingEvent
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.timeutil import utcnow
from lawcam.web import findings_sweeps
from lawcam.web.app import create_app
from tests.factories import Office

pytestmark = pytest.mark.req("R18.1")


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == findings_sweeps.THREAD_NAME]


def test_the_server_sweeps_on_a_schedule_and_stops_with_it(
    settings: Settings, database: Database, office: Office, console: Actor
) -> None:
    with database.unit_of_work() as session:  # 执法二处's activity three days ago, no recording
        arrived = utcnow() - timedelta(days=3)
        activities.add_activity(
            session=session, actor=console, settings=settings,
            data=activities.data_named(
                session, unit="执法二处", officers=["T9001"], kind=ActivityKind.INSPECTION,
                place="定时巡检路 1 号", arrived_at=arrived, ended_at=arrived + timedelta(hours=1),
            ),
        )  # fmt: skip
    settings.findings_sweep_minutes = 60
    app = create_app(settings, database)
    with TestClient(app):
        assert len(_threads()) == 1
        assert findings_sweeps.sweep_now(app) == 1  # what the thread does at each interval
        assert findings_sweeps.sweep_now(app) == 0  # never twice
    assert _threads() == []
    with database.read() as session:
        found = session.scalars(select(Finding)).one()
        assert found.rule == "no_recording" and found.found_by == "system:定时巡检"
        actors = set(
            session.scalars(
                select(AuditEvent.actor_label).where(AuditEvent.tag == FindingEvent.FOUND)
            )
        )
        assert actors == {"system:定时巡检"}


def test_no_schedule_when_switched_off(settings: Settings, database: Database) -> None:
    settings.findings_sweep_minutes = 0
    with TestClient(create_app(settings, database)):
        assert _threads() == []


def test_two_nodes_sweeping_at_once_find_each_cause_once(
    settings: Settings,
    database: Database,
    office: Office,
    console: Actor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two servers' schedules fire together: each cause is found once (on PostgreSQL the second
    sweep waits for the first's advisory lock and then finds nothing new; the unique key holds
    whatever the order)."""
    with database.unit_of_work() as session:
        arrived = utcnow() - timedelta(days=3)
        activities.add_activity(
            session=session, actor=console, settings=settings,
            data=activities.data_named(
                session, unit="执法二处", officers=["T9001", "T9002"], kind=ActivityKind.INSPECTION,
                place="双节点路 2 号", arrived_at=arrived, ended_at=arrived + timedelta(hours=1),
            ),
        )  # fmt: skip
    settings.findings_sweep_minutes = 0
    nodes = [create_app(settings, database), create_app(settings, database)]
    made: list[int] = []
    threads = [threading.Thread(target=lambda a=a: made.append(findings_sweeps.sweep_now(a)))
               for a in nodes]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(made) == [0, 2]  # one officer each: two findings, found once
    assert not [r for r in caplog.records if r.name == "lawcam.findings"]  # neither failed
    with database.read() as session:
        assert len(session.scalars(select(Finding)).all()) == 2
