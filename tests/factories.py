"""Builders for test data, through the real services (so every row has its audit entry)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lawcam.authz import Actor, Role
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.equipment import procurement
from lawcam.equipment import service as equipment
from lawcam.equipment.types import Category, DeviceIn, DeviceStatus, ModelIn, ProcurementIn
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
    # One model, one device of 执法二处, its budget and a pending purchase: ids by name, and
    # "year" (the budget year).
    equipment: dict[str, int] = field(default_factory=dict)

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
    Role.OFFICE_LEADER: "工程监管处",
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
                must_change=False,
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
            must_change=False,
        )
        office.accounts["spare"] = spare_account.id
        token, _ = accounts.create_token(
            session=session, actor=console, account_id=spare_account.id, name="工作站-测试"
        )
        office.tokens["spare"] = token.id
        _add_equipment(session, console, office)
    return office


def _add_equipment(session, console: Actor, office: Office) -> None:  # type: ignore[no-untyped-def]
    """A minimal equipment set, all in 执法二处 (so the unit-scoped roles of 执法一处 see none)."""
    today = date.today()
    model = equipment.create_model(
        session=session,
        actor=console,
        data=ModelIn(
            maker="测试厂",
            model="TEST-BC1",
            category=Category.BODY_CAMERA,
            video_width=1920,
            video_height=1080,
            photo_mp=36,
            battery_mah=3000,
            record_hours=10,
            storage_gb=64,
            ip_rating="IP67",
        ),
    )
    device = equipment.create_device(
        session=session,
        actor=console,
        data=DeviceIn(
            serial="T2-0001",
            asset_no="ZC-T2-0001",
            model=model.model,
            unit="执法二处",
            price=Decimal("3280.00"),
            need="现场执法全过程记录",
            status=DeviceStatus.IN_SERVICE,
        ),
    )
    budget = procurement.set_budget(
        session=session, actor=console, unit="执法二处", year=today.year, amount="100000.00"
    )
    purchase = procurement.record_procurement(
        session=session,
        actor=console,
        data=ProcurementIn(
            unit="执法二处",
            year=today.year,
            purchased_on=today,
            supplier="测试科技有限公司",
            model=model.model,
            quantity=2,
            unit_price=Decimal("3280.00"),
        ),
    )
    office.equipment.update(
        model=model.id,
        device=device.id,
        budget=budget.id,
        procurement=purchase.id,
        year=today.year,
    )
