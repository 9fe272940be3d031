"""Changes to units, zones, people and roles. Each writes its audit row; none commits."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import ONE_PER_UNIT_ROLES, SEPARATED_ROLES, Action, Actor, Role
from lawcam.errors import Conflict, InvalidInput
from lawcam.org import queries
from lawcam.org.models import Person, RoleAssignment, Unit, Zone
from lawcam.org.types import (
    ASSIGNABLE_ROLES,
    OrgEvent,
    PersonChanges,
    PersonIn,
    UnitChanges,
    UnitClass,
    UnitIn,
)
from lawcam.timeutil import utcnow

BADGE_PATTERN = re.compile(r"^[A-Za-z0-9\-]{3,40}$")
PHONE_PATTERN = re.compile(r"^[0-9+\-() ]{3,40}$")
MAX_TARGET = 10_000
NOTE_LIMIT = 500


def clean_name(value: str | None, what: str, *, field: str = "name", limit: int = 100) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{what}不能为空。", field=field)
    if len(text) > limit:
        raise InvalidInput(f"{what}过长（最多 {limit} 字）。", field=field)
    return text


def _clean_note(note: str) -> str:
    text = note.strip()
    if len(text) > NOTE_LIMIT:
        raise InvalidInput(f"备注过长（最多 {NOTE_LIMIT} 字）。", field="note")
    return text


def _check_class(unit_class: UnitClass | None, target: int | None) -> None:
    if target is not None and not 0 <= target <= MAX_TARGET:
        raise InvalidInput(f"配备目标须为 0 至 {MAX_TARGET} 之间的整数。", field="target")
    if unit_class is UnitClass.FEWER and target is None:
        raise InvalidInput("“较少”类单位须设定配备目标台数（第六条）。", field="target")


def _unit_named(session: Session, name: str, *, field: str) -> Unit:
    unit = queries.unit_by_name(session, name)
    if unit is None:
        raise InvalidInput(f"单位“{name.strip()}”不存在。", field=field)
    if not unit.is_active:
        raise InvalidInput(f"单位“{unit.name}”已停用。", field=field)
    return unit


def _unit_for_change(session: Session, actor: Actor, unit_id: int) -> Unit:
    unit = queries.get_unit(session=session, actor=actor, unit_id=unit_id)
    actor.require(Action.UNIT_MANAGE)
    return unit


def create_unit(*, session: Session, actor: Actor, data: UnitIn) -> Unit:
    actor.require(Action.UNIT_MANAGE)
    name = clean_name(data.name, "单位名称")
    if queries.unit_by_name(session, name) is not None:
        raise Conflict(f"单位“{name}”已存在。", field="name")
    _check_class(data.unit_class, data.target)
    parent = _unit_named(session, data.parent, field="parent") if data.parent else None
    unit = Unit(
        name=name,
        parent_id=parent.id if parent else None,
        unit_class=data.unit_class.value if data.unit_class else None,
        target=data.target,
        note=_clean_note(data.note),
        is_active=True,
        created_at=utcnow(),
    )
    session.add(unit)
    session.flush()
    record(session, actor, OrgEvent.UNIT_CREATED, ("unit", unit.id), None, unit.snapshot())
    for zone in data.zones:
        add_zone(session=session, actor=actor, unit_id=unit.id, name=zone)
    return unit


def update_unit(*, session: Session, actor: Actor, unit_id: int, changes: UnitChanges) -> Unit:
    unit = _unit_for_change(session, actor, unit_id)
    before = unit.snapshot()
    if changes.name is not None:
        name = clean_name(changes.name, "单位名称")
        other = queries.unit_by_name(session, name)
        if other is not None and other.id != unit.id:
            raise Conflict(f"单位“{name}”已存在。", field="name")
        unit.name = name
    if changes.parent is not None:
        unit.parent_id = _new_parent(session, unit, changes.parent)
    unit_class = changes.unit_class or (UnitClass(unit.unit_class) if unit.unit_class else None)
    target = (
        None
        if changes.clear_target
        else (changes.target if changes.target is not None else unit.target)
    )
    _check_class(unit_class, target)
    unit.unit_class = unit_class.value if unit_class else None
    unit.target = target
    if changes.note is not None:
        unit.note = _clean_note(changes.note)
    if unit.snapshot() != before:
        session.flush()
        record(session, actor, OrgEvent.UNIT_UPDATED, ("unit", unit.id), before, unit.snapshot())
    return unit


def _new_parent(session: Session, unit: Unit, parent_name: str) -> int | None:
    if not parent_name.strip():
        return None
    parent = _unit_named(session, parent_name, field="parent")
    if parent.id in queries.unit_scope(session, unit.id):
        raise InvalidInput("上级单位不能是本单位或其下级单位。", field="parent")
    return parent.id


def deactivate_unit(*, session: Session, actor: Actor, unit_id: int) -> Unit:
    unit = _unit_for_change(session, actor, unit_id)
    if not unit.is_active:
        raise Conflict(f"单位“{unit.name}”已停用。")
    active_people = session.scalars(
        select(Person.id).where(Person.unit_id == unit.id, Person.is_active.is_(True)).limit(1)
    ).first()
    if active_people is not None:
        raise Conflict(f"单位“{unit.name}”仍有在职人员，请先调整或停用这些人员。")
    active_children = session.scalars(
        select(Unit.id).where(Unit.parent_id == unit.id, Unit.is_active.is_(True)).limit(1)
    ).first()
    if active_children is not None:
        raise Conflict(f"单位“{unit.name}”仍有下级单位在用。")
    before = unit.snapshot()
    unit.is_active = False
    session.flush()
    record(session, actor, OrgEvent.UNIT_DEACTIVATED, ("unit", unit.id), before, unit.snapshot())
    return unit


def add_zone(*, session: Session, actor: Actor, unit_id: int, name: str) -> Zone:
    unit = _unit_for_change(session, actor, unit_id)
    zone_name = clean_name(name, "办案专区名称")
    if any(z.name == zone_name for z in unit.zones):
        raise Conflict(f"单位“{unit.name}”已有办案专区“{zone_name}”。", field="zones")
    zone = Zone(unit_id=unit.id, name=zone_name, created_at=utcnow())
    session.add(zone)
    session.flush()
    session.refresh(unit, ["zones"])
    record(
        session,
        actor,
        OrgEvent.ZONE_CREATED,
        ("zone", zone.id),
        None,
        {"unit_id": unit.id, "name": zone_name},
    )
    return zone


def _clean_badge(badge: str | None, *, required: bool) -> str | None:
    text = (badge or "").strip()
    if not text:
        if required:
            raise InvalidInput("执法人员须填写执法证号。", field="badge")
        return None
    if not BADGE_PATTERN.match(text):
        raise InvalidInput("执法证号只能由字母、数字和“-”组成，长度 3 至 40 位。", field="badge")
    return text


def _clean_phone(phone: str | None) -> str:
    text = (phone or "").strip()
    if text and not PHONE_PATTERN.match(text):
        raise InvalidInput("联系电话格式不正确。", field="phone")
    return text


def _check_badge_free(session: Session, badge: str | None, person_id: int | None = None) -> None:
    if badge is None:
        return
    other = queries.person_by_badge(session, badge)
    if other is not None and other.id != person_id:
        raise Conflict(f"执法证号 {badge} 已被“{other.name}”使用。", field="badge")


def create_person(*, session: Session, actor: Actor, data: PersonIn) -> Person:
    actor.require(Action.PERSON_MANAGE)
    roles = [r for r in data.roles if r is not Role.OFFICER]
    is_officer = data.is_officer or Role.OFFICER in data.roles
    if roles:
        actor.require(Action.ROLE_ASSIGN)
    name = clean_name(data.name, "姓名")
    badge = _clean_badge(data.badge, required=is_officer)
    _check_badge_free(session, badge)
    unit = _unit_named(session, data.unit, field="unit")
    person = Person(
        name=name,
        badge=badge,
        unit_id=unit.id,
        is_officer=is_officer,
        phone=_clean_phone(data.phone),
        is_active=True,
        created_at=utcnow(),
    )
    session.add(person)
    session.flush()
    record(session, actor, OrgEvent.PERSON_CREATED, ("person", person.id), None, person.snapshot())
    for role in roles:
        assign_role(session=session, actor=actor, person_id=person.id, role=role)
    return person


def update_person(
    *, session: Session, actor: Actor, person_id: int, changes: PersonChanges
) -> Person:
    person = queries.get_person(session=session, actor=actor, person_id=person_id)
    actor.require(Action.PERSON_MANAGE)
    before = person.snapshot()
    if changes.name is not None:
        person.name = clean_name(changes.name, "姓名")
    if changes.is_officer is not None:
        if changes.is_officer and set(person.active_roles) & SEPARATED_ROLES:
            raise Conflict(
                "系统管理员、安全管理员、安全审计员不得兼任执法人员（三员分立）。",
                field="is_officer",
            )
        person.is_officer = changes.is_officer
    if changes.badge is not None or changes.is_officer:
        badge = changes.badge if changes.badge is not None else person.badge
        person.badge = _clean_badge(badge, required=person.is_officer)
        _check_badge_free(session, person.badge, person.id)
    if changes.phone is not None:
        person.phone = _clean_phone(changes.phone)
    if changes.unit is not None:
        _move_person(session, person, _unit_named(session, changes.unit, field="unit"))
    if person.snapshot() != before:
        session.flush()
        record(
            session,
            actor,
            OrgEvent.PERSON_UPDATED,
            ("person", person.id),
            before,
            person.snapshot(),
        )
    return person


def _move_person(session: Session, person: Person, unit: Unit) -> None:
    if unit.id == person.unit_id:
        return
    unit_roles = [
        a
        for a in person.role_assignments
        if a.revoked_at is None and Role(a.role) in ONE_PER_UNIT_ROLES | {Role.UNIT_HEAD}
    ]
    if unit_roles:
        names = "、".join(Role(a.role).label for a in unit_roles)
        raise Conflict(
            f"“{person.name}”在原单位担任{names}，调动前请先由安全管理员撤销该角色。", field="unit"
        )
    person.unit_id = unit.id


def set_person_active(*, session: Session, actor: Actor, person_id: int, active: bool) -> Person:
    """People with history are never deleted (Art. 9, 17): they are deactivated."""
    person = queries.get_person(session=session, actor=actor, person_id=person_id)
    actor.require(Action.PERSON_MANAGE)
    if person.is_active == active:
        raise Conflict(f"“{person.name}”已是{'在职' if active else '停用'}状态。")
    if active and not person.unit.is_active:
        raise Conflict(f"单位“{person.unit.name}”已停用，不能启用其人员。")
    before = person.snapshot()
    person.is_active = active
    person.deactivated_at = None if active else utcnow()
    session.flush()
    tag = OrgEvent.PERSON_REACTIVATED if active else OrgEvent.PERSON_DEACTIVATED
    record(session, actor, tag, ("person", person.id), before, person.snapshot())
    return person


def assign_role(*, session: Session, actor: Actor, person_id: int, role: Role) -> RoleAssignment:
    actor.require(Action.ROLE_ASSIGN)
    person = queries.get_person(session=session, actor=actor, person_id=person_id)
    if role not in ASSIGNABLE_ROLES:
        raise InvalidInput(
            "执法人员身份在人员信息中设置（须有执法证号），不作为角色分配。", field="role"
        )
    if not person.is_active:
        raise Conflict(f"“{person.name}”已停用，不能分配角色。")
    held = {Role(r) for r in person.active_roles}
    if role in held:
        raise Conflict(f"“{person.name}”已担任{role.label}。", field="role")
    _check_separation(person, held, role)
    if role in ONE_PER_UNIT_ROLES:
        _check_one_per_unit(session, person, role)
    assignment = RoleAssignment(
        person_id=person.id,
        role=role.value,
        unit_id=person.unit_id,
        assigned_at=utcnow(),
        assigned_by=actor.label,
    )
    session.add(assignment)
    session.flush()
    session.refresh(person, ["role_assignments"])
    record(
        session,
        actor,
        OrgEvent.ROLE_ASSIGNED,
        ("person", person.id),
        None,
        {"role": role.value, "unit_id": person.unit_id},
    )
    return assignment


def _check_separation(person: Person, held: set[Role], role: Role) -> None:
    """三员分立: a system role excludes every other role, and the officer's badge too."""
    if role in SEPARATED_ROLES and (held or person.is_officer):
        raise Conflict(f"{role.label}不得兼任其他角色或执法人员（三员分立）。", field="role")
    if held & SEPARATED_ROLES:
        other = next(iter(held & SEPARATED_ROLES))
        raise Conflict(
            f"“{person.name}”是{other.label}，不得兼任其他角色（三员分立）。", field="role"
        )


def _check_one_per_unit(session: Session, person: Person, role: Role) -> None:
    holder = session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.unit_id == person.unit_id,
            RoleAssignment.role == role.value,
            RoleAssignment.revoked_at.is_(None),
        )
    ).first()
    if holder is not None:
        raise Conflict(
            f"单位“{person.unit.name}”已有{role.label}“{holder.person.name}”，"
            "每个单位只设一名（第九条），请先撤销原任命。",
            field="role",
        )


def revoke_role(*, session: Session, actor: Actor, person_id: int, role: Role) -> RoleAssignment:
    actor.require(Action.ROLE_ASSIGN)
    person = queries.get_person(session=session, actor=actor, person_id=person_id)
    assignment = next(
        (a for a in person.role_assignments if a.role == role.value and a.revoked_at is None), None
    )
    if assignment is None:
        raise Conflict(f"“{person.name}”未担任{role.label}。", field="role")
    assignment.revoked_at = utcnow()
    assignment.revoked_by = actor.label
    session.flush()
    record(
        session,
        actor,
        OrgEvent.ROLE_REVOKED,
        ("person", person.id),
        {"role": role.value, "unit_id": assignment.unit_id},
        None,
    )
    return assignment
