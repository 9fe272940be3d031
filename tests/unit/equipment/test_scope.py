"""R4.1: the supervising divisions see every unit read-only; a unit's own roles act on their unit."""

from __future__ import annotations

import pytest

from lawcam.authz import Role
from lawcam.equipment import procurement, queries, service
from lawcam.equipment.types import Thresholds
from lawcam.errors import Forbidden, NotFound
from lawcam.org.accounts import actor_for
from lawcam.org.models import Account
from tests.factories import build_office
from tests.unit.equipment.conftest import GOOD_BODY_CAMERA, device


@pytest.fixture
def office_with_devices(database, settings, console):  # type: ignore[no-untyped-def]
    office = build_office(database, settings, console)
    with database.unit_of_work() as session:
        if queries.model_by_name(session, GOOD_BODY_CAMERA.model) is None:
            service.create_model(session=session, actor=console, data=GOOD_BODY_CAMERA)
        for unit, serial in (("执法一处", "S1-001"), ("执法二处", "S2-001")):
            service.create_device(session=session, actor=console, data=device(serial, unit=unit))
    return office


def as_role(database, office, role: Role):  # type: ignore[no-untyped-def]
    with database.read() as session:
        return actor_for(session.get_one(Account, office.accounts[str(role)]), "web")


@pytest.mark.req("R4.1")
def test_supervisors_see_every_unit_and_change_nothing_outside_their_task(
    database, office_with_devices
) -> None:
    office = office_with_devices
    for role in (Role.ENGINEERING, Role.FINANCE, Role.ICT):
        actor = as_role(database, office, role)
        with database.read() as session:
            serials = {d.serial for d in queries.list_devices(session=session, actor=actor)}
            assert {"S1-001", "S2-001"} <= serials
        with pytest.raises(Forbidden), database.unit_of_work() as session:
            service.create_device(session=session, actor=actor, data=device("X-1", unit="执法一处"))
    engineering = as_role(database, office, Role.ENGINEERING)
    with database.unit_of_work() as session:
        service.set_thresholds(session=session, actor=engineering, limits=Thresholds())
    finance = as_role(database, office, Role.FINANCE)
    with pytest.raises(Forbidden), database.unit_of_work() as session:
        service.set_thresholds(session=session, actor=finance, limits=Thresholds())
    with database.unit_of_work() as session:
        procurement.set_budget(
            session=session, actor=finance, unit="执法二处", year=2026, amount="50000"
        )


@pytest.mark.req("R4.1", "R9.1")
def test_device_administrator_acts_on_own_unit_only(database, office_with_devices) -> None:
    office = office_with_devices
    admin = as_role(database, office, Role.DEVICE_ADMIN)  # of 执法一处
    with database.read() as session:
        assert {d.serial for d in queries.list_devices(session=session, actor=admin)} == {"S1-001"}
        other = queries.list_devices(session=session, actor=as_role(database, office, Role.ICT))
        other_id = next(d.id for d in other if d.serial == "S2-001")
        with pytest.raises(NotFound):
            queries.get_device(session=session, actor=admin, device_id=other_id)
    with pytest.raises(Forbidden), database.unit_of_work() as session:
        service.create_device(session=session, actor=admin, data=device("S2-002", unit="执法二处"))
    with database.unit_of_work() as session:
        service.create_device(session=session, actor=admin, data=device("S1-002", unit="执法一处"))


@pytest.mark.req("R4.1")
def test_system_roles_see_no_equipment(database, office_with_devices) -> None:
    for role in (Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR):
        actor = as_role(database, office_with_devices, role)
        with database.read() as session:
            assert queries.list_devices(session=session, actor=actor) == []
            with pytest.raises(Forbidden):
                queries.list_models(session=session, actor=actor)
