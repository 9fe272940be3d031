"""The ledger (台账, R9.2): custody periods the actor may see, by unit and time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session, selectinload

from lawcam import keyset
from lawcam.authz import Action, Actor, Role
from lawcam.custody.models import CustodyPeriod, FaultReport, LossCase, Notification, RepairOrder
from lawcam.custody.types import FaultStatus
from lawcam.equipment.models import Device
from lawcam.equipment.queries import visible_unit_ids
from lawcam.errors import Conflict, InvalidInput, NotFound
from lawcam.keyset import Cursor
from lawcam.org.models import Person, RoleAssignment, Unit
from lawcam.org.queries import person_by_badge

T = TypeVar("T")


def ledger_statement(
    *,
    session: Session,
    actor: Actor,
    unit_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[CustodyPeriod]:
    """The periods of the devices the actor may see that overlap [since, until): issued before
    the end, returned after the start (or not yet returned). Unordered, without loading: the
    ledger and its pages read it."""
    actor.require(Action.EQUIPMENT_VIEW)
    stmt = select(CustodyPeriod).join(Device, CustodyPeriod.device_id == Device.id)
    stmt = permitted(session, stmt, actor, Action.EQUIPMENT_VIEW)
    if unit_id is not None:
        stmt = stmt.where(Device.unit_id == unit_id)
    if until is not None:
        stmt = stmt.where(CustodyPeriod.issued_at < until)
    if since is not None:
        stmt = stmt.where(
            CustodyPeriod.returned_at.is_(None) | (CustodyPeriod.returned_at >= since)
        )
    return stmt


def ledger(
    *,
    session: Session,
    actor: Actor,
    unit_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Sequence[CustodyPeriod]:
    """The ledger's rows (R9.2) in the order they were issued."""
    stmt = ledger_statement(session=session, actor=actor, unit_id=unit_id, since=since, until=until)
    return session.scalars(_loaded(stmt).order_by(CustodyPeriod.issued_at, CustodyPeriod.id)).all()


@dataclass(frozen=True)
class LedgerPage:
    """A page of the ledger in issue order, and the cursors of its neighbours (None: none)."""

    periods: Sequence[CustodyPeriod]
    next_cursor: str | None  # later periods (下一页)
    prev_cursor: str | None  # earlier periods (上一页)


def ledger_page(
    *,
    session: Session,
    actor: Actor,
    unit_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    cursor: Cursor | None = None,
) -> LedgerPage:
    """``limit`` rows of the ledger after (going back: before) ``cursor``, read by keyset on
    (issued_at, id): a whole-city ledger rendered at once was 42–57 MB and 4–6 s (issue 19)."""
    stmt = ledger_statement(session=session, actor=actor, unit_id=unit_id, since=since, until=until)
    back = cursor is not None and cursor.back
    if cursor is not None:
        stmt = stmt.where(
            keyset.past(CustodyPeriod.issued_at, CustodyPeriod.id, cursor, descending=False)
        )
    order = (
        (CustodyPeriod.issued_at.desc(), CustodyPeriod.id.desc())
        if back
        else (CustodyPeriod.issued_at, CustodyPeriod.id)
    )
    picked = list(session.scalars(_loaded(stmt).order_by(*order).limit(limit + 1)).all())
    periods, later, earlier = keyset.page(picked, limit, cursor, lambda p: (p.issued_at, p.id))
    return LedgerPage(periods, later, earlier)


def _loaded(stmt: Select[CustodyPeriod]) -> Select[CustodyPeriod]:
    return stmt.options(
        selectinload(CustodyPeriod.device).selectinload(Device.unit),
        selectinload(CustodyPeriod.officer),
    )


def notifications_for(*, session: Session, person_id: int | None) -> Sequence[Notification]:
    """A person's own notices, newest first (R16.1: the unit head's inbox)."""
    if person_id is None:
        return []
    stmt = (
        select(Notification)
        .where(Notification.person_id == person_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return session.scalars(stmt).all()


@dataclass(frozen=True)
class DeviceCustody:
    periods: Sequence[CustodyPeriod]
    faults: Sequence[FaultReport]
    repairs: Sequence[RepairOrder]
    cases: Sequence[LossCase]


def device_custody(*, session: Session, device_id: int) -> DeviceCustody:
    """A device's timeline; the caller has already shown the device is visible to the actor."""
    periods = session.scalars(
        select(CustodyPeriod)
        .where(CustodyPeriod.device_id == device_id)
        .options(selectinload(CustodyPeriod.officer))
        .order_by(CustodyPeriod.issued_at.desc(), CustodyPeriod.id.desc())
    ).all()
    faults = session.scalars(
        select(FaultReport)
        .where(FaultReport.device_id == device_id)
        .order_by(FaultReport.reported_at.desc(), FaultReport.id.desc())
    ).all()
    repairs = session.scalars(
        select(RepairOrder)
        .join(FaultReport, RepairOrder.fault_id == FaultReport.id)
        .where(FaultReport.device_id == device_id)
        .order_by(RepairOrder.ordered_at.desc(), RepairOrder.id.desc())
    ).all()
    cases = session.scalars(
        select(LossCase)
        .where(LossCase.device_id == device_id)
        .options(selectinload(LossCase.custodian))
        .order_by(LossCase.opened_at.desc(), LossCase.id.desc())
    ).all()
    return DeviceCustody(periods=periods, faults=faults, repairs=repairs, cases=cases)


def permitted(session: Session, stmt: Select[T], actor: Actor, action: Action) -> Select[T]:
    """The rows of ``stmt`` (which joins the device) whose device belongs to a unit the actor
    may act on for ``action``."""
    ids = visible_unit_ids(session, actor, action)
    if ids is None:
        return stmt
    return stmt.where(Device.unit_id.in_(ids)) if ids else stmt.where(false())


def open_faults(*, session: Session, actor: Actor) -> Sequence[FaultReport]:
    """Faults not yet closed, of the devices the actor may see."""
    actor.require(Action.EQUIPMENT_VIEW)
    stmt = (
        select(FaultReport)
        .join(Device, FaultReport.device_id == Device.id)
        .where(FaultReport.status != FaultStatus.CLOSED.value)
        .options(selectinload(FaultReport.device))
        .order_by(FaultReport.reported_at, FaultReport.id)
    )
    return session.scalars(permitted(session, stmt, actor, Action.EQUIPMENT_VIEW)).all()


def repair_orders(*, session: Session, actor: Actor) -> Sequence[RepairOrder]:
    """Repair orders of the devices the actor may see, open ones first."""
    actor.require(Action.EQUIPMENT_VIEW)
    stmt = (
        select(RepairOrder)
        .join(FaultReport, RepairOrder.fault_id == FaultReport.id)
        .join(Device, FaultReport.device_id == Device.id)
        .order_by(RepairOrder.completed_at.is_not(None), RepairOrder.ordered_at.desc())
    )
    return session.scalars(permitted(session, stmt, actor, Action.EQUIPMENT_VIEW)).all()


def loss_cases(*, session: Session, actor: Actor) -> Sequence[LossCase]:
    """Loss and damage cases of the devices the actor may see, undecided first."""
    actor.require(Action.EQUIPMENT_VIEW)
    stmt = (
        select(LossCase)
        .join(Device, LossCase.device_id == Device.id)
        .options(selectinload(LossCase.device), selectinload(LossCase.custodian))
        .order_by(LossCase.decided_at.is_not(None), LossCase.opened_at.desc())
    )
    return session.scalars(permitted(session, stmt, actor, Action.EQUIPMENT_VIEW)).all()


def get_loss_case(*, session: Session, actor: Actor, case_id: int) -> LossCase:
    """A case whose device the actor may see; otherwise not found."""
    actor.require(Action.EQUIPMENT_VIEW)
    stmt = select(LossCase).join(Device, LossCase.device_id == Device.id)
    stmt = permitted(session, stmt.where(LossCase.id == case_id), actor, Action.EQUIPMENT_VIEW)
    case = session.scalars(stmt).first()
    if case is None:
        raise NotFound("未找到该案件。")
    return case


# The device administrator at the desk (第九条, R9.1) -------------------------------------------


def _administrators(session: Session, unit_ids: Sequence[int]) -> dict[int, list[Person]]:
    """Active people holding the device administrator role, by the unit they hold it for."""
    stmt = (
        select(RoleAssignment.unit_id, Person)
        .join(Person, RoleAssignment.person_id == Person.id)
        .where(
            RoleAssignment.role == Role.DEVICE_ADMIN.value,
            RoleAssignment.revoked_at.is_(None),
            RoleAssignment.unit_id.in_(unit_ids),
            Person.is_active.is_(True),
        )
        .order_by(Person.id)
    )
    found: dict[int, list[Person]] = {}
    for unit_id, person in session.execute(stmt):
        found.setdefault(unit_id, []).append(person)
    return found


def _unit_and_above(session: Session, unit_id: int) -> list[Unit]:
    chain: list[Unit] = []
    unit = session.get(Unit, unit_id)
    while unit is not None and unit not in chain:
        chain.append(unit)
        unit = session.get(Unit, unit.parent_id) if unit.parent_id is not None else None
    return chain


def desk_administrator(*, session: Session, device: Device, badge: str | None) -> Person:
    """Who issues and takes back ``device`` at the desk: the person with ``badge``, who must be
    a device administrator of the device's unit or of a unit above it; without a badge, the
    unit's own administrator (or, for a unit that has none, the nearest above that has one)."""
    chain = _unit_and_above(session, device.unit_id)
    admins = _administrators(session, [u.id for u in chain])
    if badge is not None and badge.strip():
        return _named_administrator(session, device, badge.strip(), admins)
    for unit in chain:
        found = admins.get(unit.id, [])
        if len(found) > 1:
            names = "、".join(p.name for p in found)
            raise InvalidInput(
                f"“{unit.name}”有 {len(found)} 名执法记录仪管理员（{names}），"
                "请用 --by 指明经办人的执法证号。",
                field="by",
            )
        if found:
            return found[0]
    raise InvalidInput(
        f"设备所属单位“{device.unit.name}”及其上级单位没有在职的执法记录仪管理员（第九条）；"
        "请先指定管理员，或用 --by 指明经办人的执法证号。",
        field="by",
    )


def _named_administrator(
    session: Session, device: Device, badge: str, admins: dict[int, list[Person]]
) -> Person:
    person = person_by_badge(session, badge)
    if person is None:
        raise InvalidInput(f"执法证号 {badge} 不是本办登记的人员。", field="by")
    if not person.is_active:
        raise Conflict(f"“{person.name}”已停用，不能经办领用、归还或交接。", field="by")
    if not any(person.id == p.id for people in admins.values() for p in people):
        raise Conflict(
            f"“{person.name}”（{badge}）不是设备所属单位“{device.unit.name}”的执法记录仪管理员，"
            "不能经办领用、归还或交接（第九条）。",
            field="by",
        )
    return person


def desk_actor(person: Person, source: str = "cli") -> Actor:
    """The device administrator at the desk as the one who acts (第九条): the ledger and the
    audit entry name the person, who acts with that person's own roles."""
    roles = {Role(r) for r in person.active_roles}
    if person.is_officer:
        roles.add(Role.OFFICER)
    return Actor(
        label=f"{person.name}({person.badge})" if person.badge else person.name,
        source=source,
        person_id=person.id,
        unit_id=person.unit_id,
        roles=frozenset(roles),
    )
