"""Bulk writes take the log's lock for their last step only (issue 19): inside
``audit.service.deferred`` the entries are kept and written at the block's end with
``record_many`` — the same entries, in order, as recorded (later changes to the caller's dicts
do not reach them); meanwhile another writer records and commits without waiting; an error
inside the block writes none. Imports of units, people, equipment and activities use it. On the
suite's database."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select

from lawcam.audit.models import AuditEvent
from lawcam.audit.service import deferred, record
from lawcam.audit.signing import Signer
from lawcam.authz import Actor
from lawcam.db import Database
from tests.unit.audit.test_log import TAG, problems, signer

__all__ = ["signer"]

pytestmark = pytest.mark.req("R15.1")


def logged(database: Database) -> list[tuple[int, str, dict[str, object] | None]]:
    with database.read() as session:
        rows = session.execute(
            select(AuditEvent.seq, AuditEvent.subject_id, AuditEvent.after).order_by(AuditEvent.seq)
        ).all()
    return [(seq, sid, None if after is None else json.loads(after)) for seq, sid, after in rows]


def test_another_writer_goes_on_while_a_bulk_write_runs(
    database: Database, console: Actor, signer: Signer
) -> None:
    other_done = threading.Event()

    def other() -> None:
        with database.unit_of_work() as session:
            record(session, console, TAG, ("writer", "other"))
        other_done.set()

    with database.unit_of_work() as session, deferred(session):
        state = {"名称": "第一条"}
        kept = record(session, console, TAG, ("row", "1"), after=state)
        assert kept.seq == -1  # numbered when the block ends
        state["名称"] = "改过"  # the caller's dict changes after recording: not the entry
        record(session, console, TAG, ("row", "2"))
        thread = threading.Thread(target=other)
        thread.start()
        assert other_done.wait(10), "the other writer waited for the bulk write"
        thread.join()
    assert logged(database) == [
        (0, "other", None),
        (1, "1", {"名称": "第一条"}),
        (2, "2", None),
    ]
    assert problems(database, signer) == ([], 3)


def test_an_error_inside_writes_no_entry(database: Database, console: Actor) -> None:
    with pytest.raises(RuntimeError), database.unit_of_work() as session, deferred(session):
        record(session, console, TAG, ("row", "1"))
        raise RuntimeError("a bad row")
    with database.unit_of_work() as session:  # and the session keeps nothing back
        record(session, console, TAG, ("row", "after"))
    assert [sid for _, sid, _ in logged(database)] == ["after"]
