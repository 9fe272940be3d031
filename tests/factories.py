"""Builders for test data, through the real services (so every row has its audit entry)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.org import accounts, service
from lawcam.org.types import PersonIn, UnitClass, UnitIn

PASSWORD = "Lawcam-2026!"


@dataclass
class Office:
    """Two units and one account per role. ``users[role]`` is the username."""

    units: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)

    def user(self, role: Role | str) -> str:
        return f"u_{role}"


ROLE_UNIT = {
    Role.OFFICER: "执法一处",
    Role.DEVICE_ADMIN: "执法一处",
    Role.UNIT_HEAD: "执法一处",
    Role.ENGINEERING: "工程监管处",
    Role.FINANCE: "计划财务与国有资产管理处",
    Role.ICT: "信息通信保障部",
    Role.SYSADMIN: "信息通信保障部",
    Role.SECADMIN: "信息通信保障部",
    Role.AUDITOR: "工程监管处",
}


def build_office(database: Database, settings: Settings, console: Actor) -> Office:
    office = Office()
    with database.unit_of_work() as session:
        for name, cls, target in [
            ("执法一处", UnitClass.MANY, None),
            ("执法二处", UnitClass.MORE, None),
            ("工程监管处", UnitClass.FEWER, 1),
            ("计划财务与国有资产管理处", UnitClass.FEWER, 0),
            ("信息通信保障部", UnitClass.FEWER, 0),
        ]:
            unit = service.create_unit(
                session=session,
                actor=console,
                data=UnitIn(name=name, unit_class=cls, target=target),
            )
            office.units[name] = unit.id
        for index, role in enumerate(Role):
            officer = role is Role.OFFICER
            person = service.create_person(
                session=session,
                actor=console,
                data=PersonIn(
                    name=f"测试{role.label}",
                    unit=ROLE_UNIT[role],
                    badge=f"T{index:04d}",
                    is_officer=officer,
                    roles=() if officer else (role,),
                ),
            )
            office.people[str(role)] = person.id
            account = accounts.create_account(
                session=session,
                actor=console,
                settings=settings,
                person_id=person.id,
                username=office.user(role),
                password=PASSWORD,
            )
            office.accounts[str(role)] = account.id
        other = service.create_person(
            session=session,
            actor=console,
            data=PersonIn(name="二处执法员", unit="执法二处", badge="T9001", is_officer=True),
        )
        office.people["other_unit_officer"] = other.id
        spare = service.create_person(
            session=session,
            actor=console,
            data=PersonIn(name="备用人员", unit="执法二处", badge="T9002", is_officer=True),
        )
        office.people["spare"] = spare.id
        spare_account = accounts.create_account(
            session=session,
            actor=console,
            settings=settings,
            person_id=spare.id,
            username="u_spare",
            password=PASSWORD,
        )
        office.accounts["spare"] = spare_account.id
        token, _ = accounts.create_token(
            session=session, actor=console, account_id=spare_account.id, name="工作站-测试"
        )
        office.tokens["spare"] = token.id
    return office
