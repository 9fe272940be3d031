"""Budgets and procurement (Art. 8, R8.1): recorded by a unit or finance, approved by finance;
a purchase beyond the unit's budget only with an overrun reason."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Action, Actor
from lawcam.equipment import queries
from lawcam.equipment.models import Budget, Procurement
from lawcam.equipment.service import money, unit_in_scope
from lawcam.equipment.types import EquipmentEvent, ProcurementIn, ProcurementStatus
from lawcam.errors import Conflict, InvalidInput
from lawcam.org.service import clean_name
from lawcam.timeutil import SHANGHAI, utcnow

MAX_BUDGET = Decimal("10000000000.00")
MAX_QUANTITY = 10_000


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise InvalidInput("年度须在 2000 至 2100 之间。", field="year")
    return year


def set_budget(
    *, session: Session, actor: Actor, unit: str, year: int, amount: object, note: str = ""
) -> Budget:
    actor.require(Action.BUDGET_MANAGE)
    target = unit_in_scope(session, actor, unit, Action.BUDGET_MANAGE, field="unit")
    value = (
        Decimal("0.00")
        if str(amount).strip() in ("0", "0.00")
        else money(amount, "预算金额", field="amount", maximum=MAX_BUDGET)
    )
    budget = queries.budget_of(session, target.id, _year(year))
    before = None if budget is None else {"amount": str(budget.amount), "note": budget.note}
    if budget is None:
        budget = Budget(unit_id=target.id, year=year, amount=value, note=note.strip()[:500])
        session.add(budget)
    else:
        budget.amount, budget.note = value, note.strip()[:500]
    session.flush()
    record(
        session,
        actor,
        EquipmentEvent.BUDGET_SET,
        ("budget", budget.id),
        before,
        {"unit_id": target.id, "year": year, "amount": str(value), "note": budget.note},
    )
    return budget


def record_procurement(*, session: Session, actor: Actor, data: ProcurementIn) -> Procurement:
    actor.require(Action.PROCUREMENT_RECORD)
    unit = unit_in_scope(session, actor, data.unit, Action.PROCUREMENT_RECORD, field="unit")
    model = queries.model_by_name(session, data.model or "")
    if model is None:
        raise InvalidInput(f"型号“{(data.model or '').strip()}”不存在。", field="model")
    if not 1 <= data.quantity <= MAX_QUANTITY:
        raise InvalidInput(f"数量须在 1 至 {MAX_QUANTITY} 之间。", field="quantity")
    if data.purchased_on > utcnow().astimezone(SHANGHAI).date():
        raise InvalidInput("采购日期不能晚于今天。", field="purchased_on")
    price = money(data.unit_price, "单价", field="unit_price")
    procurement = Procurement(
        unit_id=unit.id,
        year=_year(data.year),
        purchased_on=data.purchased_on,
        supplier=clean_name(data.supplier, "供应商", field="supplier", limit=200),
        model_id=model.id,
        quantity=data.quantity,
        unit_price=price,
        total=price * data.quantity,
        status=ProcurementStatus.PENDING.value,
        note=data.note.strip()[:500],
        recorded_by=actor.label,
        created_at=utcnow(),
    )
    session.add(procurement)
    session.flush()
    record(
        session,
        actor,
        EquipmentEvent.PROCUREMENT_CREATED,
        ("procurement", procurement.id),
        None,
        procurement.snapshot(),
    )
    return procurement


def approve_procurement(
    *, session: Session, actor: Actor, procurement_id: int, overrun_reason: str = ""
) -> Procurement:
    actor.require(Action.PROCUREMENT_APPROVE)
    procurement = _pending(session, actor, procurement_id)
    budget = queries.budget_of(session, procurement.unit_id, procurement.year)
    available = (budget.amount if budget else Decimal("0")) - queries.approved_spend(
        session, procurement.unit_id, procurement.year
    )
    reason = overrun_reason.strip()
    if procurement.total > available and not reason:
        raise Conflict(
            f"该采购 {procurement.total:,.2f} 元超出“{procurement.unit.name}”{procurement.year} "
            f"年度剩余预算 {max(available, Decimal(0)):,.2f} 元；如确需批准，须填写超支理由。",
            field="overrun_reason",
        )
    return _decide(
        session,
        actor,
        procurement,
        ProcurementStatus.APPROVED,
        reason if procurement.total > available else "",
    )


def reject_procurement(
    *, session: Session, actor: Actor, procurement_id: int, reason: str
) -> Procurement:
    actor.require(Action.PROCUREMENT_APPROVE)
    procurement = _pending(session, actor, procurement_id)
    if not reason.strip():
        raise InvalidInput("驳回须说明理由。", field="reason")
    procurement.note = (procurement.note + " 驳回理由：" + reason.strip())[:500]
    return _decide(session, actor, procurement, ProcurementStatus.REJECTED, "")


def _pending(session: Session, actor: Actor, procurement_id: int) -> Procurement:
    procurement = queries.get_procurement(
        session=session, actor=actor, procurement_id=procurement_id
    )
    if procurement.status != ProcurementStatus.PENDING.value:
        status = ProcurementStatus(procurement.status).label
        raise Conflict(f"该采购{status}，不能再次审批。")
    return procurement


def _decide(
    session: Session,
    actor: Actor,
    procurement: Procurement,
    status: ProcurementStatus,
    overrun_reason: str,
) -> Procurement:
    before = procurement.snapshot()
    procurement.status = status.value
    procurement.overrun_reason = overrun_reason[:500]
    procurement.decided_by, procurement.decided_at = actor.label, utcnow()
    session.flush()
    tag = (
        EquipmentEvent.PROCUREMENT_APPROVED
        if status is ProcurementStatus.APPROVED
        else EquipmentEvent.PROCUREMENT_REJECTED
    )
    record(session, actor, tag, ("procurement", procurement.id), before, procurement.snapshot())
    return procurement
