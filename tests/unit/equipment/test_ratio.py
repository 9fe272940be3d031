"""Ratio compliance (Art. 6): required devices per unit class, what counts, and the report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from lawcam.equipment import queries, service
from lawcam.equipment.models import Device
from lawcam.equipment.types import Category, DeviceStatus, ModelIn
from lawcam.org import service as org
from lawcam.org.types import PersonIn, UnitClass, UnitIn
from lawcam.timeutil import utcnow
from tests.unit.equipment.conftest import device


def report(database, console, now=None):  # type: ignore[no-untyped-def]
    with database.read() as session:
        rows, office = queries.ratio_report(
            session=session, actor=console, now=now or utcnow(), repair_days=30
        )
    return {r.unit: r for r in rows}, office


@pytest.mark.req("R6.1")
@pytest.mark.parametrize(
    ("unit_class", "officers", "target", "required"),
    [
        (UnitClass.MANY, 0, None, 0),
        (UnitClass.MANY, 3, None, 1),
        (UnitClass.MANY, 4, None, 2),
        (UnitClass.MANY, 10, None, 4),
        (UnitClass.MORE, 5, None, 1),
        (UnitClass.MORE, 6, None, 2),
        (UnitClass.MORE, 10, None, 2),
        (UnitClass.FEWER, 7, 1, 1),
        (UnitClass.FEWER, 0, 0, 0),
        (None, 9, None, None),
    ],
)
def test_required_devices(unit_class, officers, target, required) -> None:
    assert queries.required_devices(unit_class, officers, target) == required


@pytest.mark.req("R6.1", "R6.2")
def test_many_with_ten_officers_three_recorders_then_a_terminal(
    database, console, unit_many_10
) -> None:
    with database.unit_of_work() as session:
        for serial in ("BC001", "BC002", "BC003"):
            service.create_device(session=session, actor=console, data=device(serial))
    rows, office = report(database, console)
    row = rows["执法中心"]
    assert (row.officers, row.devices_counted, row.required, row.shortfall, row.compliant) == (
        10,
        3,
        4,
        1,
        False,
    )
    assert (office.required, office.shortfall, office.compliant) == (4, 1, False)
    with database.unit_of_work() as session:
        service.create_device(session=session, actor=console, data=device("HT001", model="HT-5"))
    row = report(database, console)[0]["执法中心"]
    assert (row.devices_counted, row.shortfall, row.compliant) == (4, 0, True)


@pytest.mark.req("R6.1")
def test_repair_counts_for_thirty_days_and_loss_never(database, console, unit_many_10) -> None:
    with database.unit_of_work() as session:
        ids = [
            service.create_device(session=session, actor=console, data=device(s)).id
            for s in ("BC001", "BC002", "BC003", "BC004")
        ]
        service.set_device_status(
            session=session, actor=console, device_id=ids[0], status=DeviceStatus.IN_REPAIR
        )
        service.set_device_status(
            session=session,
            actor=console,
            device_id=ids[1],
            status=DeviceStatus.LOST,
            reason="现场遗失",
        )
    row = report(database, console)[0]["执法中心"]
    assert row.devices_counted == 3 and "BC002（丢失）" in row.excluded
    # 30 days into the repair it still counts; on day 31 it does not.
    with database.unit_of_work() as session:
        session.execute(
            update(Device)
            .where(Device.id == ids[0])
            .values(status_since=utcnow() - timedelta(days=30, hours=-1))
        )
    assert report(database, console)[0]["执法中心"].devices_counted == 3
    with database.unit_of_work() as session:
        session.execute(
            update(Device)
            .where(Device.id == ids[0])
            .values(status_since=utcnow() - timedelta(days=31))
        )
    row = report(database, console)[0]["执法中心"]
    assert (row.devices_counted, row.shortfall) == (2, 2)
    assert "BC001（维修中）" in row.excluded


@pytest.mark.req("R6.1")
def test_only_recorders_and_terminals_count(database, console, unit_many_10) -> None:
    with database.unit_of_work() as session:
        service.create_model(
            session=session,
            actor=console,
            data=ModelIn(maker="索尼", model="FDR-AX700", category=Category.VIDEO_CAMERA),
        )
        service.create_device(
            session=session, actor=console, data=device("VC001", model="FDR-AX700")
        )
    assert report(database, console)[0]["执法中心"].devices_counted == 0


@pytest.mark.req("R6.2")
def test_unit_without_class_is_reported_not_guessed(database, console, unit_many_10) -> None:
    with database.unit_of_work() as session:
        org.create_unit(session=session, actor=console, data=UnitIn(name="新设处"))
        org.create_person(
            session=session,
            actor=console,
            data=PersonIn(name="甲", unit="新设处", badge="X0001", is_officer=True),
        )
    rows, office = report(database, console)
    assert rows["新设处"].required is None and not rows["新设处"].compliant
    assert "未设单位类别" in rows["新设处"].note
    assert office.officers == 11 and "1 个单位无法计算" in office.note
