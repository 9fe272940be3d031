"""A device with an open fault report is not in order (R16.1): it is not taken back as 完好,
not issued and not handed over; its return takes it to registration and central repair.
Issue 13, "What was seen" 9: a device with an open fault was returned as 完好 and checked out
to the next officer."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from lawcam.audit.models import AuditEvent
from lawcam.custody import faults, service
from lawcam.custody.types import Condition, RepairOutcome
from lawcam.equipment import queries as equipment_queries
from lawcam.equipment import service as equipment_service
from lawcam.equipment.types import DeviceStatus
from lawcam.errors import Conflict
from tests.unit.custody.test_custody import GOOD, LIMITS, checkout, refused
from tests.unit.custody.test_faults import issued, status

__all__ = ["issued"]

NEXT_OFFICER = "21010020001"  # 执法员1


def report(database, console, description: str = "录像中途自动关机") -> int:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        fault = faults.report_fault(
            session=session, actor=console, serial="BC001", description=description
        )
        return fault.id


def return_as(session, console, condition: Condition):  # type: ignore[no-untyped-def]
    return service.return_device(
        session=session, actor=console, serial="BC001", condition=condition
    )


@pytest.mark.req("R16.1")
def test_open_fault_is_not_returned_as_ok_nor_checked_out_to_the_next(
    database, console, issued
) -> None:
    fault_id = report(database, console)
    message = refused(database, Conflict, lambda s: return_as(s, console, Condition.OK))
    assert f"故障报告 #{fault_id}" in message and "录像中途自动关机" in message
    assert "不能按“完好”归还" in message and "先登记，再送集中维修" in message
    assert status(database) == "checked_out"  # nothing changed
    with database.unit_of_work() as session:
        back = return_as(session, console, Condition.FAULTY)
        assert back.condition == "faulty"
    assert status(database) == "faulty"
    message = refused(
        database, Conflict, lambda s: checkout(s, console, badge=NEXT_OFFICER, check=GOOD)
    )
    assert "不能领用" in message


@pytest.mark.req("R16.1")
def test_open_fault_blocks_checkout_even_after_a_manual_status_change(
    database, console, issued
) -> None:
    """Shelved by hand as 在库 (equipment allows 故障 → 在库), the device still has its fault."""
    fault_id = report(database, console)
    with database.unit_of_work() as session:
        return_as(session, console, Condition.DAMAGED)
        device = equipment_queries.device_by_serial(session=session, actor=console, serial="BC001")
        equipment_service.set_device_status(
            session=session, actor=console, device_id=device.id, status=DeviceStatus.IN_STOCK
        )
    message = refused(database, Conflict, lambda s: checkout(s, console, badge=NEXT_OFFICER))
    assert f"故障报告 #{fault_id}" in message and "不能领用" in message and "第十六条" in message


@pytest.mark.req("R16.1")
def test_open_fault_is_not_handed_over(database, console, issued) -> None:
    fault_id = report(database, console, "按键失灵")
    message = refused(
        database,
        Conflict,
        lambda s: service.handover(
            session=s,
            actor=console,
            serial="BC001",
            to_badge=NEXT_OFFICER,
            check=GOOD,
            limits=LIMITS,
        ),
    )
    assert f"故障报告 #{fault_id}" in message and "不能交接" in message
    assert "请按“故障”或“损坏”归还" in message


@pytest.mark.req("R16.1")
def test_a_registered_fault_names_the_next_step(database, console, issued) -> None:
    fault_id = report(database, console)
    with database.unit_of_work() as session:
        faults.register_fault(session=session, actor=console, fault_id=fault_id)
    message = refused(database, Conflict, lambda s: return_as(s, console, Condition.OK))
    assert "已登记" in message and "送集中维修" in message and "先登记" not in message


@pytest.mark.req("R16.1")
def test_after_central_repair_the_device_is_issued_again(database, console, issued) -> None:
    fault_id = report(database, console)
    with database.unit_of_work() as session:
        return_as(session, console, Condition.FAULTY)
        faults.register_fault(session=session, actor=console, fault_id=fault_id)
        order = faults.order_repair(session=session, actor=console, fault_id=fault_id)
    message = refused(database, Conflict, lambda s: checkout(s, console, badge=NEXT_OFFICER))
    assert "维修中" in message
    with database.unit_of_work() as session:
        faults.complete_repair(
            session=session,
            actor=console,
            order_id=order.id,
            diagnosis="电池触点氧化，已清理",
            outcome=RepairOutcome.REPAIRED,
        )
        period = checkout(session, console, badge=NEXT_OFFICER)
        assert period.officer.name == "执法员1"
    with database.unit_of_work() as session:
        assert return_as(session, console, Condition.OK).condition == "ok"
    assert status(database) == "in_stock"


@pytest.mark.req("R16.1")
def test_return_with_an_open_fault_is_audited_with_it(database, console, issued) -> None:
    fault_id = report(database, console)
    with database.unit_of_work() as session:
        return_as(session, console, Condition.LOST)
    with database.read() as session:
        entry = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.tag == "custody:period:return")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert entry is not None
    assert status(database) == "lost"
    assert entry.after is not None and json.loads(entry.after)["open_fault_id"] == fault_id
