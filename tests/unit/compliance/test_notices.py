"""Notices at each step of a finding's review (第十八条, R18.1): found (a sweep: one notice per
person with how many; verify's: the security staff; a manual record: the person concerned), a
statement (the unit heads), a decision (the person and engineering supervision), a review (the
person and the unit heads); each audited, none to the one who acted; the inbox and the API show
each to its owner only. On the suite's database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from lawcam.audit.integrity import IntegrityProblem
from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.compliance import service
from lawcam.compliance.models import Finding
from lawcam.compliance.notices import NOTIFIED, PENDING_LIST
from lawcam.compliance.service import Decision, ManualFinding
from lawcam.compliance.types import Rule
from lawcam.config import Settings
from lawcam.custody.models import Notification
from lawcam.db import Database
from lawcam.org.models import Person
from lawcam.web.app import create_app
from tests.api.test_api_custody import add_unit_staff, as_user
from tests.factories import Office
from tests.unit.activities.test_service import add, data, office, officer
from tests.unit.compliance.test_sweep import swept

__all__ = ["office"]

pytestmark = pytest.mark.req("R18.1")

AGO = -int(timedelta(days=5).total_seconds())
Note = tuple[int, str, str]  # person, text, link


@pytest.fixture
def unit2(office: Office, database: Database, settings: Settings, console: Actor) -> Office:
    """执法二处 gets its unit head (u_head2), who decides its findings."""
    add_unit_staff(database, settings, console)
    with database.read() as session:
        office.people["head2"] = session.scalars(
            select(Person.id).where(Person.badge == "T9102")
        ).one()
    return office


def head2(office: Office) -> Actor:
    return Actor(
        label="二处负责人", source="web", person_id=office.people["head2"],
        unit_id=office.units["执法二处"], roles=frozenset({Role.UNIT_HEAD}),
    )  # fmt: skip


def supervision(office: Office) -> Actor:
    return Actor(
        label="工程监管", source="web", person_id=office.people["engineering"],
        unit_id=office.units["工程监管处"], roles=frozenset({Role.ENGINEERING}),
    )  # fmt: skip


def notes_since(database: Database, after: int = 0) -> list[Note]:
    """The notices written after id ``after``, each checked against its audit entry."""
    with database.read() as session:
        rows = list(
            session.scalars(
                select(Notification).where(Notification.id > after).order_by(Notification.id)
            )
        )
        for note in rows:
            entry = session.scalars(
                select(AuditEvent).where(
                    AuditEvent.tag == NOTIFIED,
                    AuditEvent.subject_id == str(note.id),
                )
            ).one()
            said = json.loads(entry.after or "{}")
            assert said == {"person_id": note.person_id, "text": note.text}
        return [(n.person_id, n.text, n.link) for n in rows]


def last_note(database: Database) -> int:
    with database.read() as session:
        return max(session.scalars(select(Notification.id)), default=0)


def not_announced(database: Database, settings: Settings, office: Office, n: int = 1) -> None:
    """``n`` activities of 执法二处 with no recording, not announced: two findings each for
    each of its two officers."""
    for k in range(n):
        start = AGO - 4000 * k
        add(database, settings, officer(office), data(office, start, start + 600, announced=False))


@contextmanager
def inserts_into(database: Database, table: str) -> Iterator[list[str]]:
    """The INSERT statements into ``table`` run inside the block."""
    seen: list[str] = []

    def watch(*args: object) -> None:  # conn, cursor, statement, parameters, …
        statement = str(args[2])
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", watch)


def finding_of(database: Database, person_id: int, rule: Rule) -> int:
    with database.read() as session:
        stmt = select(Finding.id).where(Finding.person_id == person_id, Finding.rule == str(rule))
        return session.scalars(stmt.order_by(Finding.id)).first() or 0


def test_a_sweep_tells_each_person_once_how_many_were_found(
    database: Database, settings: Settings, console: Actor, office: Office
) -> None:
    not_announced(database, settings, office, n=3)
    with inserts_into(database, "notification") as inserts:
        new, _ = swept(database, settings, console)
    assert len(new) == 12  # 3 activities x 2 officers x (no recording, not announced)
    assert len(inserts) == 1  # both people's notices in one statement
    notes = notes_since(database)
    people = {office.people["other_unit_officer"], office.people["spare"]}
    assert sorted(p for p, _, _ in notes) == sorted(people)  # one each, not one per finding
    for _, text, link in notes:
        assert "6 条执法过错" in text and "陈述申辩" in text and link == PENDING_LIST
    before = last_note(database)
    swept(database, settings, console)  # nothing new: nobody told again
    assert notes_since(database, before) == []


def test_one_finding_links_to_itself(
    database: Database, settings: Settings, console: Actor, office: Office
) -> None:
    add(database, settings, officer(office), data(office, AGO, AGO + 600))  # no recording
    swept(database, settings, console)
    person = office.people["other_unit_officer"]
    fid = finding_of(database, person, Rule.NO_RECORDING)
    mine = [(text, link) for p, text, link in notes_since(database) if p == person]
    assert len(mine) == 1 and mine[0][1] == f"/findings/{fid}"
    assert f"#{fid}" in mine[0][0] and "执法活动无录像" in mine[0][0]


def test_what_verify_finds_goes_to_the_security_staff_once_a_run(
    database: Database, console: Actor, office: Office
) -> None:
    problems = [
        IntegrityProblem("object_missing", "recording:7", "no stored object"),
        IntegrityProblem("recording_row_altered", "recording:7", "size is 1"),
        IntegrityProblem("audit_leaf_altered", "audit:3", "hash differs"),
    ]
    with database.unit_of_work() as session:
        service.record_verified(session=session, actor=console, problems=problems)
    notes = notes_since(database)
    assert sorted(p for p, _, _ in notes) == sorted(
        [office.people["secadmin"], office.people["auditor"]]
    )
    assert all("3 处问题" in text and "记录被删改 2 条" in text for _, text, _ in notes)
    before = last_note(database)
    with database.unit_of_work() as session:  # the same again: no finding, no notice
        service.record_verified(session=session, actor=console, problems=problems)
    assert notes_since(database, before) == []


def test_each_step_of_the_review_tells_the_next_and_never_the_one_who_acted(
    database: Database, settings: Settings, console: Actor, unit2: Office
) -> None:
    office = unit2
    person, head, engineering = (
        office.people["other_unit_officer"], office.people["head2"], office.people["engineering"]
    )  # fmt: skip
    with database.unit_of_work() as session:  # the head records a complaint: the person told
        fid = service.record_manual(
            session=session, actor=head2(office),
            data=ManualFinding(person, "二", "12345 热线投诉：执法时态度生硬"), statement_days=7,
        ).id  # fmt: skip
    [(to, text, link)] = notes_since(database)
    assert (to, link) == (person, f"/findings/{fid}") and "12345 热线投诉" in text
    seen = last_note(database)

    def step(act: object) -> list[Note]:
        nonlocal seen
        with database.unit_of_work() as session:
            act(session, session.get(Finding, fid))  # type: ignore[operator]
        new = notes_since(database, seen)
        seen = last_note(database)
        return new

    said = step(
        lambda s, f: service.statement(
            session=s, actor=officer(office), finding=f, text="当时现场嘈杂，已耐心解释"
        )
    )
    assert [(p, link) for p, _, link in said] == [(head, f"/findings/{fid}")]
    assert "二处执法员" in said[0][1] and "陈述申辩" in said[0][1]
    decision = Decision(True, "投诉属实。", "批评教育。")  # as typed, full stops and all
    decided = step(
        lambda s, f: service.decide(session=s, actor=head2(office), finding=f, decision=decision)
    )
    assert sorted(p for p, _, _ in decided) == sorted([person, engineering])  # not the head
    to_person = next(text for p, text, _ in decided if p == person)
    assert "已认定" in to_person and to_person.endswith("理由：投诉属实；问责措施：批评教育。")
    assert "可予复核" in next(text for p, text, _ in decided if p == engineering)
    reviewed = step(
        lambda s, f: service.review(
            session=s, actor=supervision(office), finding=f, overturn=True, reason="证据不足"
        )
    )
    assert sorted(p for p, _, _ in reviewed) == sorted([person, head])  # not supervision
    assert all("改变原决定" in text and "证据不足" in text for _, text, _ in reviewed)


def test_a_head_answering_about_themselves_is_not_told_of_their_own_statement(
    database: Database, settings: Settings, console: Actor, unit2: Office
) -> None:
    office, head = unit2, unit2.people["head2"]
    with database.unit_of_work() as session:
        fid = service.record_manual(
            session=session, actor=supervision(office),
            data=ManualFinding(head, "六", "媒体报道：执法现场未出示证件"), statement_days=7,
        ).id  # fmt: skip
    assert [p for p, _, _ in notes_since(database)] == [head]  # not supervision, who recorded it
    seen = last_note(database)
    with database.unit_of_work() as session:
        service.statement(
            session=session, actor=head2(office), finding=session.get(Finding, fid),
            text="已出示证件，报道有误",
        )  # fmt: skip
    assert notes_since(database, seen) == []  # the unit's only head is the one who spoke


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database), raise_server_exceptions=False) as c:
        yield c


def test_the_inbox_and_the_api_show_each_notice_to_its_owner_only(
    client: TestClient, database: Database, settings: Settings, console: Actor, unit2: Office
) -> None:
    add(database, settings, officer(unit2), data(unit2, AGO, AGO + 600))
    swept(database, settings, console)
    as_user(client, "u_spare")  # 备用人员, one of the activity's officers
    mine = client.get("/api/v1/notifications").json()
    assert len(mine) == 1 and "执法活动无录像" in mine[0]["text"]
    assert mine[0]["link"].startswith("/findings/") and mine[0]["read_at"] is None
    page = client.get("/inbox")
    assert page.status_code == 200 and mine[0]["text"] in page.text
    as_user(client, "u_head2")
    assert client.get("/api/v1/notifications").json() == []
    assert mine[0]["text"] not in client.get("/inbox").text
    assert client.post(f"/inbox/{mine[0]['id']}/read").status_code in (403, 404)
