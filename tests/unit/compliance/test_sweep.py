"""Findings (第十八条, R18.1): each rule's case built through the services, swept twice (the second
adds nothing), a late explanation cures its finding (kept, marked), a finding walked through
statement, decision and review, with the audit. On the suite's database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lawcam.access import service as access
from lawcam.access.types import AccessAction, Refusal
from lawcam.activities import service as activities
from lawcam.activities.models import Interruption
from lawcam.activities.types import Cause
from lawcam.audit.integrity import IntegrityProblem
from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor, Role
from lawcam.compliance import queries, service
from lawcam.compliance.checks import Limits
from lawcam.compliance.models import Finding
from lawcam.compliance.service import Decision, ManualFinding
from lawcam.compliance.sweep import sweep
from lawcam.compliance.types import FindingEvent, FindingStatus, Rule
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.errors import Conflict, Forbidden, InvalidInput
from lawcam.timeutil import utcnow
from tests.unit.activities.test_service import add, card, data, docked, office, officer

__all__ = ["office"]

pytestmark = pytest.mark.req("R18.1")

DAYS_AGO = timedelta(days=5)


def swept(
    database: Database, settings: Settings, console: Actor
) -> tuple[list[Finding], list[Finding]]:
    with database.unit_of_work() as session:
        report = sweep(
            session=session, actor=console, limits=Limits(now=utcnow()),
            statement_days=settings.findings_statement_days,
        )  # fmt: skip
        return report.new, report.cured


def rules(database: Database) -> dict[str, int]:
    with database.read() as session:
        found: dict[str, int] = {}
        for rule in session.scalars(select(Finding.rule)):
            found[rule] = found.get(rule, 0) + 1
        return found


def head_of_unit2(database: Database, office) -> Actor:  # type: ignore[no-untyped-def]
    return Actor(
        label="二处负责人", source="web", person_id=office.people["unit_head"],
        unit_id=office.units["执法二处"], roles=frozenset({Role.UNIT_HEAD}),
    )  # fmt: skip


def test_every_swept_rule_is_found_once_and_a_late_explanation_cures_its_finding(
    database: Database,
    settings: Settings,
    console: Actor,
    office,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    admin = officer(office)  # an officer of 执法二处 enters the day's activities
    ago = -int(DAYS_AGO.total_seconds())
    add(database, settings, admin, data(office, ago - 600, ago - 60))
    add(database, settings, admin, data(office, ago - 3600, ago - 3000, announced=False))
    with database.unit_of_work() as session:
        for _ in range(3):
            access.refused(
                session=session,
                actor=admin,
                recording_id=999_999,
                action=AccessAction.VIEW,
                why=Refusal.NO_GRANT,
            )
    new, cured = swept(database, settings, console)
    found = rules(database)
    assert found[Rule.NO_RECORDING] == 2 * 2  # two activities without recordings, two officers each
    assert found[Rule.NOT_ANNOUNCED] == 2
    assert found[Rule.ACCESS_DENIED] == 3  # each probe of an id that names no recording
    assert len(new) == sum(found.values()) and cured == []
    again, cured = swept(database, settings, console)
    assert again == [] and cured == []  # the second sweep adds nothing


def test_a_gap_left_unexplained_and_a_late_upload_are_found_and_a_late_explanation_cures(
    database: Database,
    settings: Settings,
    console: Actor,
    office,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    ago = -int(DAYS_AGO.total_seconds())
    folder = card(tmp_path, "late", [(ago + 10, 20), (ago + 200, 20)])  # a gap of 170 s
    docked(database, settings, office, folder)  # docked now: days after the deadline
    activity_id = add(database, settings, officer(office), data(office, ago, ago + 220))
    swept(database, settings, console)
    found = rules(database)
    assert found[Rule.INTERRUPTION_UNEXPLAINED] >= 1
    assert found[Rule.LATE_UPLOAD] == 2
    with database.read() as session:
        gap = session.scalars(
            select(Interruption).where(
                Interruption.activity_id == activity_id, Interruption.current.is_(True)
            )
        ).first()
        assert gap is not None
    with database.unit_of_work() as session:
        activities.explain_written(
            session=session, actor=officer(office), activity_id=activity_id, seq=gap.seq,
            cause=Cause.BATTERY, text="电池耗尽，更换后继续录像",
        )  # fmt: skip
    new, cured = swept(database, settings, console)
    assert new == []
    assert {f.rule for f in cured} == {Rule.INTERRUPTION_UNEXPLAINED}
    with database.read() as session:
        kept = session.scalars(
            select(Finding).where(Finding.rule == str(Rule.INTERRUPTION_UNEXPLAINED))
        ).all()
        assert kept and all(f.status == FindingStatus.CURED for f in kept)  # marked, not deleted


def test_a_finding_is_heard_decided_and_reviewed_never_by_the_person_concerned(
    database: Database,
    settings: Settings,
    console: Actor,
    office,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    ago = -int(DAYS_AGO.total_seconds())
    add(database, settings, officer(office), data(office, ago, ago + 600, announced=False))
    swept(database, settings, console)
    person = office.people["other_unit_officer"]
    with database.read() as session:
        finding = session.scalars(
            select(Finding).where(
                Finding.rule == str(Rule.NOT_ANNOUNCED), Finding.person_id == person
            )
        ).one()
        fid = finding.id
    head = head_of_unit2(database, office)
    with database.unit_of_work() as session, pytest.raises(Conflict, match="陈述申辩期限至"):
        service.decide(
            session=session,
            actor=head,
            finding=session.get(Finding, fid),
            decision=Decision(True, "属实", "批评教育"),
        )
    with database.unit_of_work() as session, pytest.raises(Forbidden, match="当事人本人"):
        service.statement(
            session=session, actor=head, finding=session.get(Finding, fid), text="代为陈述"
        )
    with database.unit_of_work() as session:
        service.statement(
            session=session,
            actor=officer(office),
            finding=session.get(Finding, fid),
            text="现场嘈杂，已口头告知但未录到",
        )
    with database.unit_of_work() as session, pytest.raises(Conflict, match="不能重复"):
        service.statement(
            session=session,
            actor=officer(office),
            finding=session.get(Finding, fid),
            text="再说一次",
        )
    with database.unit_of_work() as session, pytest.raises(InvalidInput, match="问责措施"):
        service.decide(
            session=session,
            actor=head,
            finding=session.get(Finding, fid),
            decision=Decision(True, "属实"),
        )
    with database.unit_of_work() as session:
        service.decide(
            session=session,
            actor=head,
            finding=session.get(Finding, fid),
            decision=Decision(True, "录像中无告知语音", "批评教育"),
        )
    with database.unit_of_work() as session, pytest.raises(Conflict, match="不能再作出决定"):
        service.decide(
            session=session,
            actor=head,
            finding=session.get(Finding, fid),
            decision=Decision(False, "改判"),
        )
    supervisor = Actor(
        label="工程监管",
        source="web",
        person_id=office.people["engineering"],
        roles=frozenset({Role.ENGINEERING}),
    )
    with database.unit_of_work() as session:
        service.review(
            session=session,
            actor=supervisor,
            finding=session.get(Finding, fid),
            overturn=True,
            reason="告知已在执法文书中记载",
        )
    with database.read() as session:
        finding = session.get(Finding, fid)
        assert finding is not None and finding.status == FindingStatus.OVERTURNED
        assert finding.measure == "批评教育" and finding.statement.startswith("现场嘈杂")
        tags = list(
            session.scalars(
                select(AuditEvent.tag)
                .where(AuditEvent.subject_type == "finding", AuditEvent.subject_id == str(fid))
                .order_by(AuditEvent.seq)
            )
        )
    assert tags == [
        FindingEvent.FOUND,
        FindingEvent.STATEMENT,
        FindingEvent.DECIDED,
        FindingEvent.REVIEWED,
    ]
    self_actor = Actor(
        label="本人",
        source="web",
        person_id=person,
        unit_id=office.units["执法二处"],
        roles=frozenset({Role.UNIT_HEAD}),
    )
    with database.unit_of_work() as session, pytest.raises(Forbidden, match="本人"):
        service.record_manual(
            session=session,
            actor=self_actor,
            data=ManualFinding(person, "二", "被投诉"),
            statement_days=7,
        )


def test_what_verify_finds_is_recorded_once_per_problem_for_security_staff(
    database: Database,
    settings: Settings,
    console: Actor,
    office,  # type: ignore[no-untyped-def]
) -> None:
    problems = [
        IntegrityProblem("object_missing", "recording:7", "no stored object"),
        IntegrityProblem("recording_row_altered", "recording:7", "size is 1"),
    ]
    for _ in range(2):
        with database.unit_of_work() as session:
            service.record_verified(session=session, actor=console, problems=problems)
    assert rules(database) == {Rule.OBJECT_MISSING: 1, Rule.TAMPERING: 1}
    auditor = Actor(
        label="审计员",
        source="web",
        person_id=office.people["auditor"],
        roles=frozenset({Role.AUDITOR}),
    )
    an_officer = officer(office)
    with database.read() as session:
        assert len(queries.list_findings(session=session, actor=auditor)) == 2
        assert queries.list_findings(session=session, actor=an_officer) == []
