"""Incremental sweeps (第十八条, R18.1): the office built step by step through the services,
swept after each step from the audit log's change feed, and at every step the findings are
those every check run over everything gives; deadlines and explain-by moments that pass with no
new entry are found; a full sweep at the end adds nothing and cures nothing. On the suite's
database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lawcam.access import sampling
from lawcam.access import service as access
from lawcam.access.sample_types import Reason, Result
from lawcam.access.sampling import Draw, Filters, ResultData
from lawcam.access.types import AccessAction, Refusal
from lawcam.activities import service as activities
from lawcam.activities.models import Interruption
from lawcam.activities.types import Cause
from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.compliance.checks import CHECKS, Limits
from lawcam.compliance.models import Finding
from lawcam.compliance.sweep import SweepReport, sweep
from lawcam.compliance.types import FindingEvent, FindingStatus, Rule
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.timeutil import SHANGHAI, utcnow
from tests.factories import Office
from tests.unit.activities.test_service import add, admin, card, data, docked, office, officer

__all__ = ["office"]  # the fixture

pytestmark = pytest.mark.req("R18.1")

DAY = 86_400
AGO = -5 * DAY  # seconds after the activities' BASE: five days before it


@dataclass
class Sweeper:
    """Sweeps at moments ``days`` after the start (the clock moves on between steps, never
    back), each checked against every check run over everything at the same moment."""

    database: Database
    settings: Settings
    console: Actor
    start: datetime = field(default_factory=utcnow)
    reports: list[SweepReport] = field(default_factory=list)

    def limits(self, days: float) -> Limits:
        return Limits(now=self.start + timedelta(days=days))

    def __call__(self, days: float = 0.0, *, full: bool = False) -> tuple[set[str], set[str]]:
        with self.database.unit_of_work() as session:
            report = sweep(
                session=session, actor=self.console, limits=self.limits(days),
                statement_days=7, full=full,
            )  # fmt: skip
            self.reports.append(report)
            made = ({f.key for f in report.new}, {f.key for f in report.cured})
        self.agrees(days)
        return made

    def agrees(self, days: float) -> None:
        """Every key the checks give now is stored, and every pending finding is one of them."""
        with self.database.read() as session:
            truth = {c.key for check in CHECKS for c in check(session, self.limits(days))}
            stored = {k: s for k, s in session.execute(select(Finding.key, Finding.status))}
        assert truth <= set(stored)
        assert {k for k, s in stored.items() if s == FindingStatus.PENDING} == truth


def rule_of(keys: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for key in keys:
        rule = key.split(":")[0]
        found[rule] = found.get(rule, 0) + 1
    return found


def engineering(office: Office) -> Actor:
    return Actor(
        label="工程监管", source="web", person_id=office.people["engineering"],
        unit_id=office.units["工程监管处"], roles=frozenset({Role.ENGINEERING}),
    )  # fmt: skip


def refuse(database: Database, actor: Actor, recording_id: int, times: int) -> None:
    with database.unit_of_work() as session:
        for _ in range(times):
            access.refused(
                session=session, actor=actor, recording_id=recording_id,
                action=AccessAction.VIEW, why=Refusal.NO_GRANT,
            )  # fmt: skip


def gap_of(database: Database, activity_id: int) -> int:
    with database.read() as session:
        seq = session.scalar(
            select(Interruption.seq).where(
                Interruption.activity_id == activity_id, Interruption.current.is_(True)
            )
        )
    assert seq is not None
    return seq


def test_incremental_sweeps_step_by_step_find_what_a_full_sweep_finds(
    database: Database, settings: Settings, console: Actor, office: Office, tmp_path: Path
) -> None:
    swept = Sweeper(database, settings, console)
    assert swept() == (set(), set())  # an empty office; no sweep before: a full one
    assert swept.reports[-1].full
    me, keeper = officer(office), admin(office)
    # 1. An activity five days ago, unannounced, with nothing recorded: found at once.
    quiet = add(database, settings, me, data(office, AGO, AGO + 600, announced=False))
    new, _ = swept()
    assert not swept.reports[-1].full
    assert rule_of(new) == {Rule.NO_RECORDING: 2, Rule.NOT_ANNOUNCED: 2}  # two officers each
    # 2. An activity of today with nothing recorded (its deadline a day away), and one with a
    # gap docked in time: nothing yet.
    today = add(database, settings, me, data(office, 3600, 4200))
    docked(database, settings, office, card(tmp_path, "today", [(6010, 20), (6200, 20)]))
    gappy = add(database, settings, me, data(office, 6000, 6220))
    assert swept(0.01) == (set(), set())
    # 3. Clips of five days ago docked now, with a gap: late uploads and the gap, long due.
    late = docked(database, settings, office, card(tmp_path, "late", [(AGO + 3610, 20), (AGO + 3800, 20)]))  # fmt: skip
    old = add(database, settings, me, data(office, AGO + 3600, AGO + 3820))
    new, _ = swept(0.02)
    assert rule_of(new) == {Rule.LATE_UPLOAD: 2, Rule.INTERRUPTION_UNEXPLAINED: 2}
    # 4. Refused attempts: three at an id that names no recording (each out of scope), three
    # at a recording of the officer's own unit (one run).
    refuse(database, me, 999_999, 3)
    refuse(database, me, late[0], 3)
    new, _ = swept(0.03)
    assert rule_of(new) == {Rule.ACCESS_DENIED: 4}
    # 5. The unannounced activity corrected; a late clip detached (the gap grows: the old gap
    # is cured, a new one found).
    with database.unit_of_work() as session:
        activities.amend_activity(
            session=session, actor=me, settings=settings, activity_id=quiet,
            data=data(office, AGO, AGO + 600, announced=True), reason="告知已在文书中记载",
        )  # fmt: skip
        activities.detach(
            session=session, actor=keeper, settings=settings, activity_id=old,
            recording_id=late[1], reason="另一起检查的录像",
        )  # fmt: skip
    new, cured = swept(0.5)
    assert rule_of(cured) == {
        Rule.NOT_ANNOUNCED: 2, Rule.LATE_UPLOAD: 1, Rule.INTERRUPTION_UNEXPLAINED: 2,
    }  # fmt: skip
    assert rule_of(new) == {Rule.INTERRUPTION_UNEXPLAINED: 2}
    # 6. Two days on, no entry at all: today's activity is past its deadline.
    new, _ = swept(2)
    assert rule_of(new) == {Rule.NO_RECORDING: 2} and all(f":{today}:" in k for k in new)
    # 7. Four days on: the gap docked in time has gone unexplained too long; then explained.
    new, _ = swept(4)
    assert rule_of(new) == {Rule.INTERRUPTION_UNEXPLAINED: 2}
    with database.unit_of_work() as session:
        activities.explain_written(
            session=session, actor=me, activity_id=gappy, seq=gap_of(database, gappy),
            cause=Cause.BATTERY, text="电池耗尽，更换后继续录像",
        )  # fmt: skip
    new, cured = swept(4.01)
    assert new == set() and rule_of(cured) == {Rule.INTERRUPTION_UNEXPLAINED: 2}
    # 8. A conduct review finds the late clip 不规范, then corrects its result.
    day = swept.start.astimezone(SHANGHAI).date()
    with database.unit_of_work() as session:
        sample = sampling.draw(
            session=session, actor=engineering(office),
            data=Draw(Filters(day - timedelta(days=10), day), size=1, seed=1),
        )  # fmt: skip
        sample_id = sample.id
        drawn = session.scalars(select(sampling.SampleItem.recording_id).where(
            sampling.SampleItem.sample_id == sample_id)).one()  # fmt: skip
    verdicts = (
        ResultData(drawn, Result.NONCOMPLIANT, Reason.LANGUAGE, "用语生硬"),
        ResultData(drawn, Result.COMPLIANT),
    )
    for verdict, expected in zip(verdicts, ((1, 0), (0, 1)), strict=True):
        with database.unit_of_work() as session:
            sampling.record_result(
                session=session, actor=engineering(office), sample_id=sample_id, data=verdict
            )
        new, cured = swept(4.02)
        assert (len(new), len(cured)) == expected
        assert {k.split(":")[0] for k in new | cured} == {Rule.CONDUCT}
    # The same history swept in full: nothing new, nothing cured.
    assert swept(4.03, full=True) == (set(), set())
    assert [r.full for r in swept.reports].count(True) == 2  # the first and the last
    with database.read() as session:
        entries = session.scalars(
            select(AuditEvent.seq).where(AuditEvent.tag == str(FindingEvent.SWEPT))
        ).all()
    assert len(entries) == len(swept.reports)  # one entry per sweep


def test_other_limits_or_no_previous_sweep_mean_a_full_sweep(
    database: Database, settings: Settings, console: Actor, office: Office
) -> None:
    swept = Sweeper(database, settings, console)
    add(database, settings, officer(office), data(office, AGO, AGO + 600, announced=False))
    swept()
    swept(0.1)
    assert [r.full for r in swept.reports] == [True, False]
    with database.unit_of_work() as session:
        report = sweep(
            session=session, actor=console, statement_days=7,
            limits=Limits(now=swept.start + timedelta(days=0.2), explain_days=5),
        )  # fmt: skip
    assert report.full and report.new == [] and report.cured == []
