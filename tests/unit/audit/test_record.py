"""The audit seam: a row for every change, in the same transaction, append-only."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from lawcam.audit.models import AuditEvent
from lawcam.audit.service import canonical_json, record
from lawcam.org import service
from lawcam.org.types import UnitClass, UnitIn


def _count(database) -> int:  # type: ignore[no-untyped-def]
    with database.read() as session:
        return int(session.execute(select(func.count(AuditEvent.id))).scalar_one())


def test_change_and_audit_commit_together(database, console) -> None:
    with database.unit_of_work() as session:
        unit = service.create_unit(
            session=session, actor=console, data=UnitIn(name="执法一处", unit_class=UnitClass.MANY)
        )
    with database.read() as session:
        event = session.scalars(select(AuditEvent)).one()
    assert event.tag == "org:unit:create"
    assert event.subject_type == "unit" and event.subject_id == str(unit.id)
    assert event.actor_label == "os:tester" and event.actor_source == "cli"
    assert json.loads(event.after or "{}")["name"] == "执法一处"


def test_rolled_back_change_leaves_no_audit_row(database, console) -> None:
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        service.create_unit(session=session, actor=console, data=UnitIn(name="执法一处"))
        raise RuntimeError("crash after the change, before commit")
    assert _count(database) == 0


def test_seq_is_dense_from_zero_and_entry_is_canonical(database, console) -> None:
    for index in range(3):
        with database.unit_of_work() as session:
            service.create_unit(session=session, actor=console, data=UnitIn(name=f"处{index}"))
    with database.read() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [e.seq for e in events] == [0, 1, 2]
    for event in events:
        entry = json.loads(event.entry)
        assert entry["seq"] == event.seq and entry["tag"] == event.tag
        assert canonical_json(entry) == event.entry  # re-serialising gives the same bytes


def test_tag_must_be_domain_subject_action(database, console) -> None:
    with database.unit_of_work() as session, pytest.raises(ValueError):
        record(session, console, "unit-created", ("unit", 1))


TAMPERING = [
    "UPDATE audit_event SET tag = 'org:unit:delete'",
    "UPDATE audit_event SET after = NULL",
    "DELETE FROM audit_event",
]


def test_raw_sql_cannot_change_the_log(database, console) -> None:
    """Tried on whichever database the suite runs on (the suite runs on both)."""
    with database.unit_of_work() as session:
        service.create_unit(session=session, actor=console, data=UnitIn(name="执法一处"))
    with database.read() as session:
        before = session.scalars(select(AuditEvent.entry)).all()
    statements = TAMPERING + (["TRUNCATE audit_event"] if database.dialect == "postgresql" else [])
    for statement in statements:
        with pytest.raises((IntegrityError, DBAPIError)), database.engine.begin() as connection:
            connection.execute(text(statement))
    with database.read() as session:
        assert session.scalars(select(AuditEvent.entry)).all() == before
