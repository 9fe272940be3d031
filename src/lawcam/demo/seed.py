"""Demo data: the office of the regulation, 市人民防空办公室 (市人防办), with its enforcement
center, supervising divisions and the people who hold each role, and their equipment
(``lawcam.demo.equipment``).

Everything is created through the real services, so every row has its audit entry and every
rule (R6.1 classes and targets, R9.1 one device administrator per unit, 三员分立) holds.
Names, badges and phone numbers are generated deterministically (a fixed random seed), so two
demo homes look the same."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor, Role
from lawcam.config import Settings
from lawcam.org import accounts, queries, service
from lawcam.org.models import Account, Person
from lawcam.org.types import PersonIn, UnitClass, UnitIn
from lawcam.timeutil import clock_at, utcnow

DEMO_PASSWORD = "Demo@2026"  # ≥ 8 characters, 4 of the 4 classes: satisfies the default policy
RANDOM_SEED = 20260101
BADGE_PREFIX = "2101002"  # 21 = Liaoning, 01 = the city; 11 digits in all

CENTER = "市人防事务服务与行政执法中心"
ICT_DEPT = "信息通信保障部"
ENGINEERING = "工程监管处"
FINANCE = "计划财务与国有资产管理处"
COMMAND = "指挥通信处"
PUBLICITY = "宣传教育处"
GENERAL_OFFICE = "办公室"


@dataclass(frozen=True)
class DemoLogin:
    """A demo account to try the system with."""

    username: str
    password: str
    name: str
    role: str  # the role's Chinese label
    unit: str = ""


@dataclass(frozen=True)
class _Member:
    officer: bool
    roles: tuple[Role, ...] = ()
    username: str | None = None


@dataclass(frozen=True)
class _UnitPlan:
    name: str
    unit_class: UnitClass
    target: int | None = None
    parent: str | None = None
    zones: tuple[str, ...] = ()
    note: str = ""
    members: tuple[_Member, ...] = field(default_factory=tuple)


def _officers(count: int) -> tuple[_Member, ...]:
    return tuple(_Member(officer=True) for _ in range(count))


def _staff(count: int) -> tuple[_Member, ...]:
    return tuple(_Member(officer=False) for _ in range(count))


PLAN: tuple[_UnitPlan, ...] = (
    _UnitPlan(
        CENTER,
        UnitClass.MANY,
        zones=("询问室一", "询问室二"),
        note="主要执法单位",
        members=(
            _Member(True, (Role.UNIT_HEAD,), "center_head"),
            _Member(True, (Role.DEVICE_ADMIN,), "center_admin"),
            _Member(True, (), "officer1"),
            *_officers(21),  # 24 officers in all
            *_staff(2),
        ),
    ),
    _UnitPlan(
        ICT_DEPT,
        UnitClass.FEWER,
        target=1,
        parent=CENTER,
        note="负责执法音像记录设备产品质量监督",
        members=(
            _Member(False, (Role.UNIT_HEAD,)),
            _Member(False, (Role.ICT,), "ict"),
            _Member(False, (Role.SYSADMIN,), "sysadmin"),
            *_staff(1),
        ),
    ),
    _UnitPlan(
        ENGINEERING,
        UnitClass.MORE,
        note="监督检查各单位设备配备情况，并承担执法任务",
        members=(
            _Member(True, (Role.UNIT_HEAD,)),
            _Member(True, (Role.DEVICE_ADMIN,), "eng_admin"),
            _Member(True, (Role.ENGINEERING,), "engineering"),
            _Member(True, (), "officer2"),
            *_officers(4),  # 8 officers in all
        ),
    ),
    _UnitPlan(
        FINANCE,
        UnitClass.FEWER,
        target=0,
        note="负责设备购置经费保障和采购监督",
        members=(
            _Member(False, (Role.UNIT_HEAD,)),
            _Member(False, (Role.FINANCE,), "finance"),
            *_staff(2),
        ),
    ),
    _UnitPlan(
        COMMAND,
        UnitClass.FEWER,
        target=1,
        members=(
            _Member(True, (Role.UNIT_HEAD,)),
            _Member(True, (Role.DEVICE_ADMIN,)),
            *_officers(1),
            *_staff(1),
        ),
    ),
    _UnitPlan(
        PUBLICITY,
        UnitClass.FEWER,
        target=1,
        members=(
            _Member(True, (Role.UNIT_HEAD,)),
            _Member(True, (Role.DEVICE_ADMIN,)),
            *_staff(2),
        ),
    ),
    _UnitPlan(
        GENERAL_OFFICE,
        UnitClass.FEWER,
        target=0,
        members=(
            _Member(False, (Role.UNIT_HEAD,)),
            _Member(False, (Role.SECADMIN,), "secadmin"),
            _Member(False, (Role.AUDITOR,), "auditor"),
            _Member(False, (Role.OFFICE_LEADER,), "leader"),  # 分管领导 (第十五条)
            *_staff(1),
        ),
    ),
)

# The order the logins are shown in.
LOGIN_ORDER: tuple[str, ...] = (
    "sysadmin",
    "secadmin",
    "auditor",
    "center_head",
    "center_admin",
    "officer1",
    "eng_admin",
    "officer2",
    "engineering",
    "finance",
    "ict",
    "leader",
)

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾"
)
GIVEN_SINGLE = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "鹏",
    "辉",
    "斌",
    "宇",
    "浩",
    "凯",
    "健",
    "琳",
    "颖",
    "婷",
    "雪",
    "倩",
    "欣",
    "博",
    "晨",
    "阳",
    "峰",
    "帆",
    "楠",
    "冬",
    "亮",
    "莉",
    "红",
    "华",
    "东",
    "梅",
    "岩",
    "松",
]
GIVEN_DOUBLE = [
    "秀英",
    "桂英",
    "建国",
    "志强",
    "海燕",
    "红梅",
    "文博",
    "宇航",
    "浩然",
    "子涵",
    "欣怡",
    "思远",
    "俊杰",
    "晓东",
    "玉兰",
    "春雷",
    "雪松",
    "立新",
    "振华",
    "晨阳",
    "佳琪",
    "德胜",
    "丹凤",
    "鹏飞",
    "旭东",
    "秋实",
    "国庆",
    "淑珍",
    "建华",
    "永刚",
    "丽娜",
    "雅静",
    "志明",
    "海涛",
    "晓峰",
    "文静",
    "建军",
    "春燕",
    "红霞",
    "立国",
    "卫东",
    "丽华",
    "明辉",
    "玉梅",
    "少杰",
    "婷婷",
    "思雨",
    "一鸣",
]


def _names(rng: random.Random) -> Iterator[str]:
    used: set[str] = set()
    while True:
        given = rng.choice(GIVEN_SINGLE if rng.random() < 0.35 else GIVEN_DOUBLE)
        name = rng.choice(SURNAMES) + given
        if name not in used:
            used.add(name)
            yield name


def _role_label(person: Person) -> str:
    roles = [Role(r) for r in person.active_roles]
    if roles:
        return roles[0].label
    return Role.OFFICER.label if person.is_officer else "工作人员"


def seed(*, session: Session, actor: Actor, settings: Settings) -> list[DemoLogin]:
    """Create the demo office and its equipment in the caller's transaction, a week before the
    two weeks of custody that ``demo.custody.seed_history`` plays; returns the demo logins."""
    from lawcam.demo.custody import history_start  # it names the units defined here

    with clock_at(history_start(utcnow())):
        return _seed(session=session, actor=actor, settings=settings)


def _seed(*, session: Session, actor: Actor, settings: Settings) -> list[DemoLogin]:
    rng = random.Random(RANDOM_SEED)  # noqa: S311 (repeatable demo data, not a secret)
    names = _names(rng)
    badge_number = 0
    made: dict[str, DemoLogin] = {}
    for plan in PLAN:
        service.create_unit(
            session=session,
            actor=actor,
            data=UnitIn(
                name=plan.name,
                unit_class=plan.unit_class,
                target=plan.target,
                parent=plan.parent,
                zones=plan.zones,
                note=plan.note,
            ),
        )
        for member in plan.members:
            badge = None
            if member.officer:
                badge_number += 1
                badge = f"{BADGE_PREFIX}{badge_number:04d}"
            person = service.create_person(
                session=session,
                actor=actor,
                data=PersonIn(
                    name=next(names),
                    unit=plan.name,
                    badge=badge,
                    is_officer=member.officer,
                    phone=f"138{rng.randrange(10**8):08d}",
                    roles=member.roles,
                ),
            )
            if member.username is not None:
                accounts.create_account(
                    session=session,
                    actor=actor,
                    settings=settings,
                    person_id=person.id,
                    username=member.username,
                    password=DEMO_PASSWORD,
                    must_change=False,
                )
                made[member.username] = DemoLogin(
                    member.username, DEMO_PASSWORD, person.name, _role_label(person), plan.name
                )
    from lawcam.demo.equipment import seed_equipment  # it names the units defined here

    seed_equipment(session=session, actor=actor)
    return [made[u] for u in LOGIN_ORDER if u in made]


def is_seeded(*, session: Session, actor: Actor) -> bool:
    """Whether the home already has units (then the demo does not seed again)."""
    return bool(queries.list_units(session=session, actor=actor, include_inactive=True))


def demo_logins(*, session: Session, actor: Actor) -> list[DemoLogin]:
    """The demo logins of an already seeded home (the password shown is the initial one)."""
    found: dict[str, Account] = {
        a.username: a for a in _accounts(session, actor) if a.username in LOGIN_ORDER
    }
    return [
        DemoLogin(
            u,
            DEMO_PASSWORD,
            found[u].person.name,
            _role_label(found[u].person),
            found[u].person.unit.name,
        )
        for u in LOGIN_ORDER
        if u in found
    ]


def _accounts(session: Session, actor: Actor) -> Sequence[Account]:
    stmt = select(Account).where(Account.username.in_(LOGIN_ORDER))
    stmt = queries.permitted(session, stmt, actor, Action.ACCOUNT_VIEW)
    return session.scalars(stmt).all()
