"""A device lost while it held recordings not yet uploaded (第十八条第（五）项, R18.1): nothing was
docked from it since its last custodian took it out, so its records may be lost with it; the
sweep names that custodian once; a damaged device (not lost) gives no such finding."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lawcam.authz import Actor
from lawcam.compliance.checks import Limits
from lawcam.compliance.models import Finding
from lawcam.compliance.sweep import sweep
from lawcam.compliance.types import Rule
from lawcam.custody import faults, service
from lawcam.custody.types import CaseKind, Condition
from lawcam.db import Database
from lawcam.org.models import Person
from lawcam.timeutil import utcnow
from tests.unit.custody.test_custody import OFFICER
from tests.unit.custody.test_faults import issued

__all__ = ["issued"]

pytestmark = pytest.mark.req("R18.1")


def lose(database: Database, console: Actor) -> None:
    with database.unit_of_work() as session:
        service.return_device(
            session=session, actor=console, serial="BC001", condition=Condition.LOST, note="遗失"
        )
        faults.open_loss_case(
            session=session,
            actor=console,
            serial="BC001",
            kind=CaseKind.LOSS,
            description="巡查途中遗失",
        )


def swept(database: Database, console: Actor, full: bool = True) -> list[Finding]:
    with database.unit_of_work() as session:
        report = sweep(
            session=session, actor=console, limits=Limits(now=utcnow()), statement_days=7, full=full
        )
        return report.new


def test_a_device_lost_before_anything_was_docked_names_its_last_custodian_once(
    database: Database, console: Actor, issued: None
) -> None:
    lose(database, console)
    [found] = [f for f in swept(database, console) if f.rule == Rule.OBJECT_MISSING]
    with database.read() as session:
        officer = session.scalars(select(Person).where(Person.badge == OFFICER)).one()
    assert found.person_id == officer.id and found.subject_type == "loss_case"
    assert "BC001" in found.summary and "第十八条第（五）项" in found.article
    assert swept(database, console) == [] and swept(database, console, full=False) == []


def test_a_damaged_device_is_not_a_missing_record(
    database: Database, console: Actor, issued: None
) -> None:
    with database.unit_of_work() as session:
        service.return_device(
            session=session, actor=console, serial="BC001", condition=Condition.DAMAGED, note="摔坏"
        )
        faults.open_loss_case(
            session=session, actor=console, serial="BC001", kind=CaseKind.DAMAGE, description="摔坏"
        )
    assert [f for f in swept(database, console) if f.rule == Rule.OBJECT_MISSING] == []
