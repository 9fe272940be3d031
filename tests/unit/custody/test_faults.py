"""Faults and central repair (R16.1); loss and damage with compensation (R17.1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from lawcam.authz import Role
from lawcam.custody import faults, service
from lawcam.custody.models import Notification
from lawcam.custody.types import CaseKind, CheckoutIn, Condition, LossCause, RepairOutcome
from lawcam.equipment import queries as equipment
from lawcam.equipment import service as equipment_service
from lawcam.equipment.models import Device
from lawcam.errors import Conflict
from lawcam.org import service as org
from lawcam.org.types import PersonIn
from lawcam.timeutil import utcnow
from tests.unit.custody.test_custody import GOOD, LIMITS, OFFICER
from tests.unit.equipment.conftest import device


@pytest.fixture
def issued(database, console, unit_many_10):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        org.create_person(
            session=session,
            actor=console,
            data=PersonIn(name="单位负责人", unit="执法中心", roles=(Role.UNIT_HEAD,)),
        )
        equipment_service.create_device(session=session, actor=console, data=device("BC001"))
        service.checkout(
            session=session,
            actor=console,
            limits=LIMITS,
            data=CheckoutIn(serial="BC001", officer_badge=OFFICER, check=GOOD),
        )


def status(database) -> str:  # type: ignore[no-untyped-def]
    with database.read() as session:
        return session.scalars(select(Device.status).where(Device.serial == "BC001")).one()


def counted(database, console) -> int:  # type: ignore[no-untyped-def]
    with database.read() as session:
        rows, _ = equipment.ratio_report(
            session=session, actor=console, now=utcnow(), repair_days=30
        )
    return next(r.devices_counted for r in rows if r.unit == "执法中心")


@pytest.mark.req("R16.1")
def test_fault_report_registration_notice_repair_and_back_in_service(
    database, console, issued
) -> None:
    with database.unit_of_work() as session:
        fault = faults.report_fault(
            session=session, actor=console, serial="BC001", description="录像中途自动关机"
        )
        service.return_device(
            session=session, actor=console, serial="BC001", condition=Condition.FAULTY
        )
    assert status(database) == "faulty" and counted(database, console) == 0
    with database.read() as session:
        notes = session.scalars(select(Notification)).all()
        assert [n.text for n in notes] == ["设备 BC001（ZC-BC001）报告故障：录像中途自动关机"]
    with database.unit_of_work() as session:
        faults.register_fault(session=session, actor=console, fault_id=fault.id)
        order = faults.order_repair(session=session, actor=console, fault_id=fault.id)
    assert status(database) == "in_repair" and counted(database, console) == 1  # day 0 of 30
    with database.unit_of_work() as session:
        faults.complete_repair(
            session=session,
            actor=console,
            order_id=order.id,
            diagnosis="电池触点氧化，已清理",
            outcome=RepairOutcome.REPAIRED,
        )
    assert status(database) == "in_stock" and counted(database, console) == 1
    with pytest.raises(Conflict), database.unit_of_work() as session:
        faults.complete_repair(
            session=session,
            actor=console,
            order_id=order.id,
            diagnosis="再次",
            outcome=RepairOutcome.REPAIRED,
        )


def test_repair_needs_registration_and_the_device_back(database, console, issued) -> None:
    with database.unit_of_work() as session:
        fault = faults.report_fault(
            session=session, actor=console, serial="BC001", description="屏幕不亮"
        )
    with pytest.raises(Conflict, match="先登记"), database.unit_of_work() as session:
        faults.order_repair(session=session, actor=console, fault_id=fault.id)
    with database.unit_of_work() as session:
        faults.register_fault(session=session, actor=console, fault_id=fault.id)
    with pytest.raises(Conflict, match="归还"), database.unit_of_work() as session:
        faults.order_repair(session=session, actor=console, fault_id=fault.id)


@pytest.mark.req("R17.1")
def test_loss_at_fault_costs_the_purchase_price(database, console, issued) -> None:
    with database.unit_of_work() as session:
        service.return_device(
            session=session,
            actor=console,
            serial="BC001",
            condition=Condition.LOST,
            note="执法现场遗失",
        )
        case = faults.open_loss_case(
            session=session,
            actor=console,
            serial="BC001",
            kind=CaseKind.LOSS,
            description="巡查途中遗失",
        )
        decided = faults.decide_loss_case(
            session=session,
            actor=console,
            case_id=case.id,
            cause=LossCause.POOR_KEEPING,
            decision="由使用人赔偿",
        )
        assert decided.custodian is not None and decided.custodian.name == "执法员0"
    assert decided.compensation == Decimal("3280.00")
    assert status(database) == "lost" and counted(database, console) == 0


@pytest.mark.req("R17.1")
def test_no_fault_means_no_compensation(database, console, issued) -> None:
    with database.unit_of_work() as session:
        case = faults.open_loss_case(
            session=session,
            actor=console,
            serial="BC001",
            kind=CaseKind.DAMAGE,
            description="执法中被当事人摔坏",
        )
        decided = faults.decide_loss_case(
            session=session,
            actor=console,
            case_id=case.id,
            cause=LossCause.NO_FAULT,
            decision="不予赔偿",
        )
    assert decided.compensation == Decimal("0.00")
