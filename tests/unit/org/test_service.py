"""Units, people and roles, through the services without HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Action, Role
from lawcam.errors import Conflict, Forbidden, InvalidInput, NotFound
from lawcam.org import accounts, queries, service
from lawcam.org.models import Account, Person, Unit
from lawcam.org.types import PersonChanges, PersonIn, UnitChanges, UnitClass, UnitIn
from tests.factories import build_office


def _audit_count(database) -> int:  # type: ignore[no-untyped-def]
    with database.read() as session:
        return int(session.execute(select(func.count(AuditEvent.id))).scalar_one())


def _add_unit(database, console, **kw):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        return service.create_unit(session=session, actor=console, data=UnitIn(**kw))


def _add_person(database, console, **kw):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        return service.create_person(session=session, actor=console, data=PersonIn(**kw))


def _refused(database, exc_type, call) -> str:  # type: ignore[no-untyped-def]
    """Runs a refused change and checks it wrote nothing, not even an audit row."""
    before = _audit_count(database)
    with pytest.raises(exc_type) as info, database.unit_of_work() as session:
        call(session)
    assert _audit_count(database) == before
    return str(info.value)


@pytest.mark.req("R6.1")
def test_unit_classes_and_the_fewer_target(database, console) -> None:
    _add_unit(database, console, name="执法一处", unit_class=UnitClass.MANY)
    _add_unit(database, console, name="无类别处")  # a unit may have no class yet
    message = _refused(
        database,
        InvalidInput,
        lambda s: service.create_unit(
            session=s, actor=console, data=UnitIn(name="较少处", unit_class=UnitClass.FEWER)
        ),
    )
    assert "配备目标" in message
    _refused(
        database,
        InvalidInput,
        lambda s: service.create_unit(
            session=s,
            actor=console,
            data=UnitIn(name="负数处", unit_class=UnitClass.FEWER, target=-1),
        ),
    )
    unit = _add_unit(database, console, name="较少处", unit_class=UnitClass.FEWER, target=2)
    assert unit.target == 2


@pytest.mark.req("R5.2")
def test_case_handling_zones(database, console) -> None:
    unit = _add_unit(database, console, name="执法中心", zones=("询问室一", "询问室二"))
    with database.read() as session:
        assert [
            z.name for z in queries.get_unit(session=session, actor=console, unit_id=unit.id).zones
        ] == ["询问室一", "询问室二"]
    message = _refused(
        database,
        Conflict,
        lambda s: service.add_zone(session=s, actor=console, unit_id=unit.id, name="询问室一"),
    )
    assert "询问室一" in message


def test_unit_names_are_unique_and_not_blank(database, console) -> None:
    _add_unit(database, console, name="执法一处")
    assert "已存在" in _refused(
        database,
        Conflict,
        lambda s: service.create_unit(session=s, actor=console, data=UnitIn(name=" 执法一处 ")),
    )
    assert "不能为空" in _refused(
        database,
        InvalidInput,
        lambda s: service.create_unit(session=s, actor=console, data=UnitIn(name="  \t ")),
    )


def test_a_unit_cannot_be_its_own_ancestor(database, console) -> None:
    top = _add_unit(database, console, name="中心")
    _add_unit(database, console, name="中心一部", parent="中心")
    assert "上级单位" in _refused(
        database,
        InvalidInput,
        lambda s: service.update_unit(
            session=s, actor=console, unit_id=top.id, changes=UnitChanges(parent="中心一部")
        ),
    )


def test_unit_with_people_cannot_be_deactivated(database, console) -> None:
    unit = _add_unit(database, console, name="执法一处")
    _add_person(
        database, console, name="张三", unit="执法一处", badge="21010020001", is_officer=True
    )
    assert "在职人员" in _refused(
        database,
        Conflict,
        lambda s: service.deactivate_unit(session=s, actor=console, unit_id=unit.id),
    )


def test_officers_need_a_unique_badge(database, console) -> None:
    _add_unit(database, console, name="执法一处")
    assert "执法证号" in _refused(
        database,
        InvalidInput,
        lambda s: service.create_person(
            session=s, actor=console, data=PersonIn(name="张三", unit="执法一处", is_officer=True)
        ),
    )
    _add_person(
        database, console, name="张三", unit="执法一处", badge="21010020001", is_officer=True
    )
    message = _refused(
        database,
        Conflict,
        lambda s: service.create_person(
            session=s,
            actor=console,
            data=PersonIn(name="李四", unit="执法一处", badge="21010020001", is_officer=True),
        ),
    )
    assert "张三" in message
    assert "不存在" in _refused(
        database,
        InvalidInput,
        lambda s: service.create_person(
            session=s, actor=console, data=PersonIn(name="王五", unit="没有这个处")
        ),
    )
    assert "字母" in _refused(
        database,
        InvalidInput,
        lambda s: service.create_person(
            session=s, actor=console, data=PersonIn(name="王五", unit="执法一处", badge="证 号")
        ),
    )


def test_people_are_deactivated_never_deleted(database, console) -> None:
    _add_unit(database, console, name="执法一处")
    person = _add_person(
        database, console, name="张三", unit="执法一处", badge="21010020001", is_officer=True
    )
    with database.unit_of_work() as session:
        service.set_person_active(session=session, actor=console, person_id=person.id, active=False)
    with database.read() as session:
        stored = session.get(Person, person.id)
        assert stored is not None and not stored.is_active and stored.deactivated_at
        assert queries.list_people(session=session, actor=console) == []
        assert len(queries.list_people(session=session, actor=console, include_inactive=True)) == 1
    with database.unit_of_work() as session:
        service.set_person_active(session=session, actor=console, person_id=person.id, active=True)


@pytest.mark.req("R9.1")
def test_one_device_administrator_per_unit(database, console) -> None:
    _add_unit(database, console, name="执法一处")
    first = _add_person(
        database, console, name="管理员甲", unit="执法一处", roles=(Role.DEVICE_ADMIN,)
    )
    second = _add_person(database, console, name="管理员乙", unit="执法一处")
    message = _refused(
        database,
        Conflict,
        lambda s: service.assign_role(
            session=s, actor=console, person_id=second.id, role=Role.DEVICE_ADMIN
        ),
    )
    assert "管理员甲" in message and "第九条" in message
    with database.unit_of_work() as session:
        service.revoke_role(
            session=session, actor=console, person_id=first.id, role=Role.DEVICE_ADMIN
        )
        service.assign_role(
            session=session, actor=console, person_id=second.id, role=Role.DEVICE_ADMIN
        )
    with database.read() as session:
        history = queries.get_person(
            session=session, actor=console, person_id=first.id
        ).role_assignments
        assert [(a.role, a.revoked_at is not None) for a in history] == [("device_admin", True)]


def test_moving_a_device_administrator_needs_the_role_revoked_first(database, console) -> None:
    _add_unit(database, console, name="执法一处")
    _add_unit(database, console, name="执法二处")
    admin = _add_person(
        database, console, name="管理员甲", unit="执法一处", roles=(Role.DEVICE_ADMIN,)
    )
    assert "撤销" in _refused(
        database,
        Conflict,
        lambda s: service.update_person(
            session=s, actor=console, person_id=admin.id, changes=PersonChanges(unit="执法二处")
        ),
    )


@pytest.mark.parametrize("system_role", [Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR])
def test_three_system_roles_are_separated(database, console, system_role: Role) -> None:
    _add_unit(database, console, name="信息通信保障部")
    person = _add_person(database, console, name="甲", unit="信息通信保障部", roles=(system_role,))
    for other in (Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR, Role.UNIT_HEAD):
        if other is system_role:
            continue
        assert "三员分立" in _refused(
            database,
            Conflict,
            lambda s, o=other: service.assign_role(
                session=s, actor=console, person_id=person.id, role=o
            ),
        )
    assert "三员分立" in _refused(
        database,
        Conflict,
        lambda s: service.update_person(
            session=s,
            actor=console,
            person_id=person.id,
            changes=PersonChanges(is_officer=True, badge="21010020009"),
        ),
    )
    officer = _add_person(
        database, console, name="乙", unit="信息通信保障部", badge="A123", is_officer=True
    )
    assert "三员分立" in _refused(
        database,
        Conflict,
        lambda s: service.assign_role(
            session=s, actor=console, person_id=officer.id, role=system_role
        ),
    )


def test_officer_is_not_an_assignable_role(database, console) -> None:
    _add_unit(database, console, name="执法一处")
    person = _add_person(database, console, name="甲", unit="执法一处")
    assert "执法证号" in _refused(
        database,
        InvalidInput,
        lambda s: service.assign_role(
            session=s, actor=console, person_id=person.id, role=Role.OFFICER
        ),
    )


def test_each_system_role_does_only_its_own_task(database, settings, console) -> None:
    office = build_office(database, settings, console)

    def actor(role: Role):  # type: ignore[no-untyped-def]
        with database.read() as session:
            return accounts.actor_for(session.get_one(Account, office.accounts[str(role)]), "web")

    sysadmin, secadmin, auditor = actor(Role.SYSADMIN), actor(Role.SECADMIN), actor(Role.AUDITOR)
    spare = office.people["spare"]
    _refused(
        database,
        Forbidden,
        lambda s: service.assign_role(
            session=s, actor=sysadmin, person_id=spare, role=Role.UNIT_HEAD
        ),
    )
    _refused(
        database,
        Forbidden,
        lambda s: service.create_unit(
            session=s, actor=secadmin, data=UnitIn(name="安全管理员建的处")
        ),
    )
    _refused(
        database,
        Forbidden,
        lambda s: accounts.unlock_account(
            session=s, actor=secadmin, account_id=office.accounts["spare"]
        ),
    )
    for call in (
        lambda s: service.create_unit(session=s, actor=auditor, data=UnitIn(name="审计处")),
        lambda s: service.update_person(
            session=s, actor=auditor, person_id=spare, changes=PersonChanges(phone="123456")
        ),
        lambda s: service.assign_role(
            session=s, actor=auditor, person_id=spare, role=Role.UNIT_HEAD
        ),
        lambda s: accounts.reset_password(
            session=s,
            actor=auditor,
            settings=settings,
            account_id=office.accounts["spare"],
            password="New-Pass-2026",
        ),
    ):
        # The auditor may not even see accounts: refused as not found.
        _refused(database, (Forbidden, NotFound), call)
    for system in (sysadmin, secadmin, auditor):
        assert not system.can(Action.EVIDENCE_VIEW)
        assert not system.can(Action.ACCESS_APPROVE)
    assert not sysadmin.can(Action.AUDIT_READ) and not secadmin.can(Action.AUDIT_READ)


def test_unit_scoped_roles_see_only_their_unit(database, settings, console) -> None:
    office = build_office(database, settings, console)

    with database.read() as session:
        head = accounts.actor_for(session.get_one(Account, office.accounts["unit_head"]), "web")
        visible = {p.unit.name for p in queries.list_people(session=session, actor=head)}
        assert visible == {"执法一处"}
        with pytest.raises(NotFound):
            queries.get_person(session=session, actor=head, person_id=office.people["spare"])
        assert session.get(Unit, office.units["执法二处"]) is not None
