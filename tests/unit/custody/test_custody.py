"""Checkout, return and handover with the pre-use check (R9.2, R11.1, R17.1)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.custody import queries, service
from lawcam.custody.models import CustodyPeriod
from lawcam.custody.types import CheckLimits, CheckoutIn, Condition, PreUseCheck
from lawcam.equipment import service as equipment
from lawcam.equipment.models import Device
from lawcam.equipment.types import DeviceStatus
from lawcam.errors import Conflict, InvalidInput
from lawcam.org import service as org
from lawcam.org.types import PersonIn, UnitIn
from tests.unit.equipment.conftest import device

GOOD = PreUseCheck(battery_pct=95, free_hours=20, clock_offset_s=2)
LIMITS = CheckLimits()
OFFICER = "21010020000"  # 执法员0 of 执法中心 (tests/unit/equipment/conftest.py)


@pytest.fixture
def recorders(database, console, unit_many_10):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        for serial in ("BC001", "BC002"):
            equipment.create_device(session=session, actor=console, data=device(serial))


def audit_count(database) -> int:  # type: ignore[no-untyped-def]
    with database.read() as session:
        return int(session.execute(select(func.count(AuditEvent.id))).scalar_one())


def refused(database, exc, call) -> str:  # type: ignore[no-untyped-def]
    before = audit_count(database)
    with pytest.raises(exc) as info, database.unit_of_work() as session:
        call(session)
    assert audit_count(database) == before
    return str(info.value)


def checkout(session, console, serial="BC001", badge=OFFICER, check=GOOD, reason=""):  # type: ignore[no-untyped-def]
    return service.checkout(
        session=session,
        actor=console,
        limits=LIMITS,
        data=CheckoutIn(serial=serial, officer_badge=badge, check=check, override_reason=reason),
    )


def status(database, serial: str) -> str:  # type: ignore[no-untyped-def]
    with database.read() as session:
        return session.scalars(select(Device.status).where(Device.serial == serial)).one()


@pytest.mark.req("R9.2", "R11.1", "R17.1")
def test_a_day_checkout_refusal_override_handover_and_damaged_return(
    database, console, recorders
) -> None:
    with database.unit_of_work() as session:
        checkout(session, console)
    assert status(database, "BC001") == "checked_out"
    message = refused(
        database,
        Conflict,
        lambda s: checkout(s, console, serial="BC002", check=PreUseCheck(40, 20, 0)),
    )
    assert "电量 40% 低于 80%" in message and "理由" in message
    with database.unit_of_work() as session:
        overridden = checkout(
            session, console, serial="BC002", check=PreUseCheck(40, 20, 0), reason="备用电池随行"
        )
        assert overridden.check_failures == ["电量 40% 低于 80%"]
        service.handover(
            session=session,
            actor=console,
            serial="BC001",
            to_badge="21010020001",
            check=GOOD,
            limits=LIMITS,
        )
        service.return_device(
            session=session,
            actor=console,
            serial="BC001",
            condition=Condition.DAMAGED,
            note="外壳开裂",
        )
    assert status(database, "BC001") == "faulty"
    with database.read() as session:
        rows = queries.ledger(session=session, actor=console)
        ledger = [
            (
                p.device.serial,
                p.officer.name,
                p.condition,
                p.override_reason,
                p.handed_over_from_id is not None,
            )
            for p in rows
        ]
    assert ledger == [
        ("BC001", "执法员0", "ok", "", False),
        ("BC002", "执法员0", None, "备用电池随行", False),
        ("BC001", "执法员1", "damaged", "", True),
    ]


@pytest.mark.req("R9.2")
@pytest.mark.parametrize(
    "state", [DeviceStatus.FAULTY, DeviceStatus.IN_REPAIR, DeviceStatus.LOST, DeviceStatus.SCRAPPED]
)
def test_devices_out_of_service_cannot_be_issued(database, console, recorders, state) -> None:
    with database.unit_of_work() as session:
        item = session.scalars(select(Device).where(Device.serial == "BC001")).one()
        equipment.set_device_status(
            session=session, actor=console, device_id=item.id, status=state, reason="测试"
        )
    assert "不能领用" in refused(database, Conflict, lambda s: checkout(s, console))


def test_no_double_checkout_and_no_return_from_stock(database, console, recorders) -> None:
    assert "无需归还" in refused(
        database,
        Conflict,
        lambda s: service.return_device(
            session=s, actor=console, serial="BC001", condition=Condition.OK
        ),
    )
    with database.unit_of_work() as session:
        checkout(session, console)
    assert "已领用" in refused(
        database, Conflict, lambda s: checkout(s, console, badge="21010020001")
    )


@pytest.mark.req("R11.1")
def test_clock_offsets_of_days_fail_the_check_and_absurd_readings_are_refused(
    database, console, recorders
) -> None:
    two_days = PreUseCheck(95, 20, 2 * 86400)
    assert "时钟偏差 +172800 秒" in refused(
        database, Conflict, lambda s: checkout(s, console, check=two_days)
    )
    assert "十年" in refused(
        database, InvalidInput, lambda s: checkout(s, console, check=PreUseCheck(95, 20, 1e12))
    )
    assert "电量" in refused(
        database, InvalidInput, lambda s: checkout(s, console, check=PreUseCheck(140, 20, 0))
    )


def test_officers_of_other_units_need_a_reason_and_deactivated_ones_are_refused(
    database, console, recorders
) -> None:
    with database.unit_of_work() as session:
        org.create_unit(session=session, actor=console, data=UnitIn(name="工程监管处"))
        org.create_person(
            session=session,
            actor=console,
            data=PersonIn(name="外单位", unit="工程监管处", badge="E0001", is_officer=True),
        )
        gone = org.create_person(
            session=session,
            actor=console,
            data=PersonIn(name="已调离", unit="执法中心", badge="G0001", is_officer=True),
        )
        org.set_person_active(session=session, actor=console, person_id=gone.id, active=False)
    assert "跨单位" in refused(database, Conflict, lambda s: checkout(s, console, badge="E0001"))
    assert "停用" in refused(database, Conflict, lambda s: checkout(s, console, badge="G0001"))
    with database.unit_of_work() as session:
        checkout(session, console, badge="E0001", reason="联合执法借用")


@pytest.mark.req("R9.2")
def test_two_checkouts_at_the_same_moment_one_wins(database, console, recorders) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def issue(badge: str) -> None:
        try:
            with database.unit_of_work() as session:
                barrier.wait()
                checkout(session, console, badge=badge)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=issue, args=(b,)) for b in (OFFICER, "21010020001")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2 and outcomes.count("ok") == 1
    with database.read() as session:
        open_periods = session.scalars(
            select(CustodyPeriod).where(CustodyPeriod.returned_at.is_(None))
        ).all()
    assert len(open_periods) == 1
