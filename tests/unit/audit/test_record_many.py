"""``record_many`` (issue 18's sweep speed; R15.1, R18.1): many audit rows in one go give the
rows, canonical entries, Merkle nodes and tree root that ``record`` called once per entry gives
(two databases, the same clock), also after and before ``record`` in the same transaction; and
two sessions writing at once keep the log's seq dense (PostgreSQL: the advisory lock)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from lawcam.audit import log
from lawcam.audit import service as audit_service
from lawcam.audit.integrity import Collector, check_log
from lawcam.audit.models import AuditEvent, MerkleNode
from lawcam.audit.service import Entry, record, record_many
from lawcam.audit.signing import Signer, load_signer
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.timeutil import clock_at
from tests.conftest import PgCopies, fresh_database
from tests.unit.audit.test_log import run_at_once
from tests.unit.audit.test_merkle import ref_mth

pytestmark = [pytest.mark.req("R15.1"), pytest.mark.req("R18.1")]

TAG = "test:leaf:write"
AT = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)


@pytest.fixture
def twin(db_template: str, pg_copies: PgCopies | None, tmp_path: Path) -> Iterator[Database]:
    """A second fresh database beside ``database``: one is written by ``record``, the other by
    ``record_many``."""
    with fresh_database(db_template, pg_copies, tmp_path / "twin.db") as db:
        yield db


@pytest.fixture
def signer(settings: Settings) -> Signer:
    return load_signer(settings.home)


def made(count: int, label: str) -> list[Entry]:
    """Entries of every shape: with and without before/after, Chinese, ids of either type."""
    entries = []
    for i in range(count):
        before = {"状态": "待核实", "n": i} if i % 3 == 1 else None
        after = {"名称": f"第{i}条", "nested": {"b": [1, 2], "a": None}} if i % 2 == 0 else None
        entries.append(Entry(TAG, ("thing", f"{label}{i}" if i % 2 else i), before, after))
    return entries


def one_by_one(session, actor: Actor, entries: list[Entry]) -> None:  # type: ignore[no-untyped-def]
    for e in entries:
        record(session, actor, e.tag, e.subject, before=e.before, after=e.after)


def rows(database: Database) -> list[tuple[object, ...]]:
    columns = [c for c in AuditEvent.__table__.columns if c.name != "id"]
    with database.read() as session:
        return [tuple(r) for r in session.execute(select(*columns).order_by(AuditEvent.seq))]


def nodes(database: Database) -> dict[int, str]:
    with database.read() as session:
        return dict(session.execute(select(MerkleNode.key, MerkleNode.hash)).all())


def root(database: Database, signer: Signer) -> str:
    with database.unit_of_work() as session:
        return log.make_head(session=session, signer=signer).root


def problems(database: Database, signer: Signer) -> tuple[list[str], int]:
    found = Collector()
    with database.read() as session:
        check_log(session=session, public_key=signer.public_key, found=found)
    return [f"{p.kind} {p.subject} {p.detail}" for p in found.problems], found.events_checked


# The transactions written: (entries before, in a transaction of their own), then within one
# transaction (recorded first, the batch, recorded after). Sizes cross powers of two.
LAYOUTS = [(0, 0, 1, 0), (0, 0, 16, 0), (3, 0, 13, 0), (5, 2, 9, 1), (7, 1, 40, 3)]


@pytest.mark.parametrize(("earlier", "first", "batch", "last"), LAYOUTS)
def test_record_many_writes_what_record_writes(
    database: Database, twin: Database, signer: Signer, console: Actor,
    earlier: int, first: int, batch: int, last: int,
) -> None:  # fmt: skip
    lots = [made(earlier, "e"), made(first, "f"), made(batch, "b"), made(last, "l")]
    with clock_at(AT):
        for db, many in ((database, False), (twin, True)):
            with db.unit_of_work() as session:
                one_by_one(session, console, lots[0])
            with db.unit_of_work() as session:
                one_by_one(session, console, lots[1])
                if many:
                    events = record_many(session, console, lots[2])
                    assert [e.seq for e in events] == list(
                        range(earlier + first, earlier + first + batch)
                    )
                else:
                    one_by_one(session, console, lots[2])
                one_by_one(session, console, lots[3])
    written = rows(twin)
    assert written == rows(database)
    assert [r[0] for r in written] == list(range(earlier + first + batch + last))
    assert nodes(twin) == nodes(database)
    leaves = [str(r[-1]).encode("utf-8") for r in written]
    assert root(twin, signer) == root(database, signer) == ref_mth(leaves).hex()
    assert problems(twin, signer) == ([], len(leaves))


def test_record_many_of_nothing_writes_nothing(database: Database, console: Actor) -> None:
    with database.unit_of_work() as session:
        assert record_many(session, console, []) == []
        assert audit_service.AUDITED not in session.info
    assert rows(database) == [] and nodes(database) == {}


def test_a_bad_tag_refuses_the_whole_batch(database: Database, console: Actor) -> None:
    with database.unit_of_work() as session, pytest.raises(ValueError):
        record_many(session, console, [Entry(TAG, ("thing", 1)), Entry("no-tag", ("thing", 2))])
    assert rows(database) == []


# Two writers at once ----------------------------------------------------------------------------


def test_two_sessions_writing_batches_at_once_keep_seq_dense(
    database: Database, signer: Signer, console: Actor
) -> None:
    """Two threads, each its own sessions, write batches of 1–6 (some after a ``record``) at
    once: every seq taken once, none skipped, the tree the RFC's over the rows."""
    each = 15

    def work(thread: int) -> None:
        for index in range(each):
            with database.unit_of_work() as session:
                if index % 4 == 0:
                    record(session, console, TAG, ("thread", f"{thread}-{index}"))
                record_many(session, console, made(1 + (index + thread) % 6, f"{thread}-{index}-"))

    assert run_at_once(2, work) == []
    written = rows(database)
    expected = sum(1 + (i + t) % 6 + (i % 4 == 0) for t in range(2) for i in range(each))
    assert [r[0] for r in written] == list(range(expected))
    leaves = [str(r[-1]).encode("utf-8") for r in written]
    assert root(database, signer) == ref_mth(leaves).hex()
    assert problems(database, signer) == ([], expected)


def test_a_batch_waits_for_the_writer_that_numbered_first(
    database: Database, signer: Signer, console: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic: after the first batch has taken its numbers and before it inserts, a
    second session's batch starts; it waits for the first to commit, then numbers after it."""
    real = audit_service.utcnow
    other_errors: list[BaseException] = []
    calls: list[int] = []
    waited: list[bool] = []

    def other() -> None:
        try:
            with database.unit_of_work() as session:
                record_many(session, console, made(4, "second-"))
        except BaseException as exc:
            other_errors.append(exc)

    second = threading.Thread(target=other)

    def hooked():  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:  # inside the first record_many, between _next_seq and the INSERT
            second.start()
            second.join(timeout=0.5)
            waited.append(second.is_alive())
        return real()

    monkeypatch.setattr(audit_service, "utcnow", hooked)
    with database.unit_of_work() as session:
        record_many(session, console, made(5, "first-"))
    second.join(timeout=30)
    assert other_errors == [] and waited == [True]
    written = rows(database)
    assert [r[0] for r in written] == list(range(9))
    assert [r[8] for r in written][:5] == ["0", "first-1", "2", "first-3", "4"]  # subject ids
    leaves = [str(r[-1]).encode("utf-8") for r in written]
    assert root(database, signer) == ref_mth(leaves).hex()
    assert problems(database, signer) == ([], 9)
