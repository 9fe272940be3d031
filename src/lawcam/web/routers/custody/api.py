"""JSON API for custody (Art. 9, 11, 16, 17): checkout, return and handover with the pre-use
check, the ledger, faults and central repair, loss and damage cases, and the caller's own
notifications. Thin: parse → domain → shape. The domain refuses what the caller may not do."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from lawcam import keyset
from lawcam.authz import Action
from lawcam.custody import faults, queries, service
from lawcam.custody.types import CheckoutIn, PreUseCheck
from lawcam.reports.ledger import entries_of, ledger_entries
from lawcam.schemas.common import Id, Moment
from lawcam.schemas.custody import (
    CheckoutCreate,
    DecideIn,
    FaultCreate,
    FaultOut,
    HandoverCreate,
    LossCaseCreate,
    LossCaseOut,
    NotificationOut,
    PeriodOut,
    RepairComplete,
    RepairOut,
    ReturnCreate,
    check_limits,
)
from lawcam.schemas.ledger import LedgerPeriodOut
from lawcam.timeutil import SHANGHAI
from lawcam.web.deps import CommittingRoute, CurrentActor, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["custody"], route_class=CommittingRoute)
LEDGER_DEFAULT_LIMIT = 100
LEDGER_LIMIT_HELP = "每页条数；给出时分页返回，下一页的 cursor 在响应头 X-Next-Cursor 中"
LEDGER_CURSOR_HELP = "翻页：上一次响应头 X-Next-Cursor 或 X-Prev-Cursor 的值"


def _aware(value: datetime | None) -> datetime | None:
    """A time without a zone is Beijing time, as staff write it."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=SHANGHAI)


# Checkout, return, handover (R9.2, R11.1) ---------------------------------------------------


@router.post("/custody/checkout", response_model=PeriodOut, status_code=201)
def checkout(
    body: CheckoutCreate, actor: CurrentActor, session: SessionDep, settings: SettingsDep
) -> PeriodOut:
    period = service.checkout(
        session=session,
        actor=actor,
        data=CheckoutIn(
            serial=body.device,
            officer_badge=body.officer,
            check=PreUseCheck(
                battery_pct=body.battery_pct,
                free_hours=body.free_hours,
                clock_offset_s=body.clock_offset_s,
            ),
            override_reason=body.override_reason,
        ),
        limits=check_limits(settings),
    )
    return PeriodOut.of(period)


@router.post("/custody/return", response_model=PeriodOut)
def return_device(body: ReturnCreate, actor: CurrentActor, session: SessionDep) -> PeriodOut:
    period = service.return_device(
        session=session, actor=actor, serial=body.device, condition=body.condition, note=body.note
    )
    return PeriodOut.of(period)


@router.post("/custody/handover", response_model=PeriodOut, status_code=201)
def handover(
    body: HandoverCreate, actor: CurrentActor, session: SessionDep, settings: SettingsDep
) -> PeriodOut:
    period = service.handover(
        session=session,
        actor=actor,
        serial=body.device,
        to_badge=body.to_officer,
        check=PreUseCheck(
            battery_pct=body.battery_pct,
            free_hours=body.free_hours,
            clock_offset_s=body.clock_offset_s,
        ),
        limits=check_limits(settings),
        override_reason=body.override_reason,
    )
    return PeriodOut.of(period)


@router.get("/ledger", response_model=list[LedgerPeriodOut])
def ledger(
    actor: CurrentActor,
    session: SessionDep,
    response: Response,
    unit_id: Id | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    limit: Annotated[int | None, Query(ge=1, le=1000, description=LEDGER_LIMIT_HELP)] = None,
    cursor: Annotated[str | None, Query(max_length=200, description=LEDGER_CURSOR_HELP)] = None,
) -> list[LedgerPeriodOut]:
    """The ledger (第九条) with each period's 记录内容, in issue order: all of [since, until)
    at once, or with ``limit`` a page at a time (issue 19), the next page's cursor in the
    X-Next-Cursor header (the previous page's in X-Prev-Cursor)."""
    actor.require(Action.EQUIPMENT_VIEW)
    start, end = _aware(since), _aware(until)
    if limit is None and cursor is None:
        entries = ledger_entries(
            session=session, actor=actor, unit_id=unit_id, since=start, until=end
        )
        return [LedgerPeriodOut.of_entry(e) for e in entries]
    found = queries.ledger_page(
        session=session,
        actor=actor,
        unit_id=unit_id,
        since=start,
        until=end,
        limit=limit or LEDGER_DEFAULT_LIMIT,
        cursor=keyset.parse_cursor(cursor),
    )
    for header, value in (
        ("X-Next-Cursor", found.next_cursor),
        ("X-Prev-Cursor", found.prev_cursor),
    ):
        if value is not None:
            response.headers[header] = value
    entries = entries_of(session=session, actor=actor, periods=found.periods)
    return [LedgerPeriodOut.of_entry(e) for e in entries]


# Faults and central repair (R16.1) ----------------------------------------------------------


@router.post("/faults", response_model=FaultOut, status_code=201)
def report_fault(body: FaultCreate, actor: CurrentActor, session: SessionDep) -> FaultOut:
    fault = faults.report_fault(
        session=session, actor=actor, serial=body.device, description=body.description
    )
    return FaultOut.of(fault)


@router.post("/faults/{fault_id}/register", response_model=FaultOut)
def register_fault(fault_id: Id, actor: CurrentActor, session: SessionDep) -> FaultOut:
    return FaultOut.of(faults.register_fault(session=session, actor=actor, fault_id=fault_id))


@router.post("/faults/{fault_id}/repair", response_model=RepairOut, status_code=201)
def order_repair(fault_id: Id, actor: CurrentActor, session: SessionDep) -> RepairOut:
    return RepairOut.of(faults.order_repair(session=session, actor=actor, fault_id=fault_id))


@router.post("/repairs/{order_id}/complete", response_model=RepairOut)
def complete_repair(
    order_id: Id, body: RepairComplete, actor: CurrentActor, session: SessionDep
) -> RepairOut:
    order = faults.complete_repair(
        session=session,
        actor=actor,
        order_id=order_id,
        diagnosis=body.diagnosis,
        outcome=body.outcome,
    )
    return RepairOut.of(order)


# Loss and damage (R17.1) --------------------------------------------------------------------


@router.post("/loss-cases", response_model=LossCaseOut, status_code=201)
def open_loss_case(body: LossCaseCreate, actor: CurrentActor, session: SessionDep) -> LossCaseOut:
    case = faults.open_loss_case(
        session=session,
        actor=actor,
        serial=body.device,
        kind=body.kind,
        description=body.description,
    )
    return LossCaseOut.of(case)


@router.post("/loss-cases/{case_id}/decide", response_model=LossCaseOut)
def decide_loss_case(
    case_id: Id, body: DecideIn, actor: CurrentActor, session: SessionDep
) -> LossCaseOut:
    case = faults.decide_loss_case(
        session=session, actor=actor, case_id=case_id, cause=body.cause, decision=body.decision
    )
    return LossCaseOut.of(case)


# The caller's own notifications ---------------------------------------------------------------


@router.get("/notifications", response_model=list[NotificationOut])
def notifications(actor: CurrentActor, session: SessionDep) -> list[NotificationOut]:
    notes = queries.notifications_for(session=session, person_id=actor.person_id)
    return [NotificationOut.of(n) for n in notes]
