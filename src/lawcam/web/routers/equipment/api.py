"""JSON API for equipment (Art. 2–8): models and specs, thresholds, special needs, devices,
budgets and procurement, and the ratio, specs and budget reports. Thin: parse → domain → shape.
Permission is the domain's: queries filter what the caller may see, services refuse the rest."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Query

from lawcam.authz import Action, Actor
from lawcam.equipment import procurement, queries, service
from lawcam.equipment.types import (
    Category,
    DeviceChanges,
    DeviceIn,
    DeviceStatus,
    Feature,
    ModelIn,
    ProcurementIn,
    Thresholds,
)
from lawcam.errors import InvalidInput, NotFound
from lawcam.org import queries as org_queries
from lawcam.org.models import Unit
from lawcam.schemas.audit import AuditEventOut
from lawcam.schemas.common import Id, Year
from lawcam.schemas.equipment import (
    ApproveIn,
    BudgetIn,
    BudgetOut,
    BudgetReportRow,
    DeviceCreate,
    DeviceNeedRow,
    DeviceOut,
    DeviceStatusIn,
    DeviceUpdate,
    ModelCreate,
    ModelOut,
    ModelSpecRow,
    NeedIn,
    ProcurementCreate,
    ProcurementOut,
    QualityIn,
    RatioReportOut,
    RatioRowOut,
    RejectIn,
    SpecsReportOut,
    ThresholdsIn,
    ThresholdsOut,
    UnitNeedsOut,
)
from lawcam.timeutil import SHANGHAI, utcnow
from lawcam.web.deps import CommittingRoute, CurrentActor, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["equipment"], route_class=CommittingRoute)

YEAR = Query(default=None, ge=2000, le=2100, description="年度；默认为本年")


def _this_year() -> int:
    return utcnow().astimezone(SHANGHAI).year


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def _amount(value: str, what: str, field: str) -> Decimal:
    """A string or number as a Decimal; the domain then checks range and precision."""
    try:
        amount = Decimal(value.strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        amount = Decimal("NaN")
    if amount.is_nan():
        raise InvalidInput(f"{what}须为金额（元），如 3280.00。", field=field)
    return amount


# Models and thresholds (R7.1, R4.1) ---------------------------------------------------------


@router.get("/models", response_model=list[ModelOut])
def list_models(actor: CurrentActor, session: SessionDep) -> list[ModelOut]:
    models = queries.list_models(session=session, actor=actor)
    limits = queries.current_thresholds(session)
    return [ModelOut.of(m, limits) for m in models]


@router.post("/models", response_model=ModelOut, status_code=201)
def create_model(body: ModelCreate, actor: CurrentActor, session: SessionDep) -> ModelOut:
    actor.require(Action.MODEL_MANAGE)
    width, height = service.parse_resolution(body.video)
    model = service.create_model(
        session=session,
        actor=actor,
        data=ModelIn(
            maker=body.maker,
            model=body.model,
            category=body.category,
            video_width=width,
            video_height=height,
            photo_mp=body.photo_mp,
            battery_mah=body.battery_mah,
            record_hours=body.record_hours,
            storage_gb=body.storage_gb,
            ip_rating=body.ip_rating,
            features=tuple(body.features),
        ),
    )
    return ModelOut.of(model, queries.current_thresholds(session))


@router.get("/models/{model_id}", response_model=ModelOut)
def get_model(model_id: Id, actor: CurrentActor, session: SessionDep) -> ModelOut:
    model = queries.get_model(session=session, actor=actor, model_id=model_id)
    return ModelOut.of(model, queries.current_thresholds(session))


@router.post("/models/{model_id}/quality", response_model=ModelOut)
def set_model_quality(
    model_id: Id, body: QualityIn, actor: CurrentActor, session: SessionDep
) -> ModelOut:
    model = service.set_model_quality(
        session=session, actor=actor, model_id=model_id, status=body.status, reason=body.reason
    )
    return ModelOut.of(model, queries.current_thresholds(session))


@router.get("/thresholds", response_model=ThresholdsOut)
def get_thresholds(actor: CurrentActor, session: SessionDep) -> ThresholdsOut:
    actor.require(Action.EQUIPMENT_VIEW)
    return ThresholdsOut.of(queries.current_thresholds(session))


@router.put("/thresholds", response_model=ThresholdsOut)
def set_thresholds(body: ThresholdsIn, actor: CurrentActor, session: SessionDep) -> ThresholdsOut:
    actor.require(Action.THRESHOLDS_SET)
    width, height = service.parse_resolution(body.video)
    if width is None or height is None:
        raise InvalidInput("须填写视频分辨率阈值，如 1920x1080。", field="video")
    service.set_thresholds(
        session=session,
        actor=actor,
        limits=Thresholds(
            video_width=width,
            video_height=height,
            photo_mp=body.photo_mp,
            battery_mah=body.battery_mah,
            record_hours=body.record_hours,
            storage_gb=body.storage_gb,
            ip_rating=body.ip_rating.strip(),
        ),
    )
    return ThresholdsOut.of(queries.current_thresholds(session))


# Special needs of a unit (R7.2) ---------------------------------------------------------------


def _needs_out(session: SessionDep, unit: Unit) -> UnitNeedsOut:
    return UnitNeedsOut.of(unit, queries.unit_needs(session, unit.id))


def _visible_unit(session: SessionDep, actor: Actor, unit_id: int) -> Unit:
    actor.require(Action.EQUIPMENT_VIEW)
    unit = org_queries.get_unit(session=session, actor=actor, unit_id=unit_id)
    ids = queries.visible_unit_ids(session, actor, Action.EQUIPMENT_VIEW)
    if ids is not None and unit.id not in ids:
        raise NotFound("未找到该单位。")
    return unit


@router.get("/units/{unit_id}/needs", response_model=UnitNeedsOut)
def list_needs(unit_id: Id, actor: CurrentActor, session: SessionDep) -> UnitNeedsOut:
    return _needs_out(session, _visible_unit(session, actor, unit_id))


@router.post("/units/{unit_id}/needs", response_model=UnitNeedsOut, status_code=201)
def declare_need(
    unit_id: Id, body: NeedIn, actor: CurrentActor, session: SessionDep
) -> UnitNeedsOut:
    unit = org_queries.get_unit(session=session, actor=actor, unit_id=unit_id)
    service.declare_need(session=session, actor=actor, unit=unit.name, feature=body.feature)
    return _needs_out(session, unit)


@router.post("/units/{unit_id}/needs/{feature}/withdraw", response_model=UnitNeedsOut)
def withdraw_need(
    unit_id: Id, feature: Feature, actor: CurrentActor, session: SessionDep
) -> UnitNeedsOut:
    unit = org_queries.get_unit(session=session, actor=actor, unit_id=unit_id)
    service.withdraw_need(session=session, actor=actor, unit=unit.name, feature=feature)
    return _needs_out(session, unit)


# Devices (Art. 5, R5.1, R5.2) ---------------------------------------------------------------


@router.get("/devices", response_model=list[DeviceOut])
def list_devices(
    actor: CurrentActor,
    session: SessionDep,
    unit_id: Id | None = None,
    status: DeviceStatus | None = None,
    category: Category | None = None,
    q: str | None = Query(default=None, max_length=100),
) -> list[DeviceOut]:
    actor.require(Action.EQUIPMENT_VIEW)
    devices = queries.list_devices(
        session=session,
        actor=actor,
        unit_id=unit_id,
        status=status,
        category=category.value if category else None,
        query=q.strip() if q and q.strip() else None,
    )
    return [DeviceOut.of(d) for d in devices]


@router.post("/devices", response_model=DeviceOut, status_code=201)
def create_device(body: DeviceCreate, actor: CurrentActor, session: SessionDep) -> DeviceOut:
    actor.require(Action.DEVICE_MANAGE)
    device = service.create_device(
        session=session,
        actor=actor,
        data=DeviceIn(
            serial=body.serial,
            asset_no=body.asset_no,
            model=body.model,
            unit=body.unit,
            price=_amount(body.price, "购置价格", "price"),
            need=body.need,
            zone=body.zone,
            commissioned_on=body.commissioned_on,
            firmware=body.firmware,
            procurement_id=body.procurement_id,
            status=body.status,
        ),
    )
    return DeviceOut.of(device)


@router.get("/devices/{device_id}", response_model=DeviceOut)
def get_device(device_id: Id, actor: CurrentActor, session: SessionDep) -> DeviceOut:
    return DeviceOut.of(queries.get_device(session=session, actor=actor, device_id=device_id))


@router.patch("/devices/{device_id}", response_model=DeviceOut)
def update_device(
    device_id: Id, body: DeviceUpdate, actor: CurrentActor, session: SessionDep
) -> DeviceOut:
    changes = DeviceChanges(
        zone=body.zone,
        firmware=body.firmware,
        commissioned_on=body.commissioned_on,
        need=body.need,
    )
    return DeviceOut.of(
        service.update_device(session=session, actor=actor, device_id=device_id, changes=changes)
    )


@router.post("/devices/{device_id}/status", response_model=DeviceOut)
def set_device_status(
    device_id: Id, body: DeviceStatusIn, actor: CurrentActor, session: SessionDep
) -> DeviceOut:
    device = service.set_device_status(
        session=session, actor=actor, device_id=device_id, status=body.status, reason=body.reason
    )
    return DeviceOut.of(device)


@router.get("/devices/{device_id}/history", response_model=list[AuditEventOut])
def device_history(device_id: Id, actor: CurrentActor, session: SessionDep) -> list[AuditEventOut]:
    events = queries.device_history(session=session, actor=actor, device_id=device_id)
    return [AuditEventOut.of(e) for e in events]


# Budgets and procurement (Art. 8, R8.1) -----------------------------------------------------


@router.get("/budgets", response_model=list[BudgetOut])
def list_budgets(
    actor: CurrentActor, session: SessionDep, year: int | None = YEAR
) -> list[BudgetOut]:
    year = year or _this_year()
    rows = queries.budget_report(session=session, actor=actor, year=year)
    budgets = [queries.budget_of(session, _int(r["unit_id"]), year) for r in rows]
    return [BudgetOut.of(b) for b in budgets if b is not None]


@router.put("/budgets/{unit_id}/{year}", response_model=BudgetOut)
def set_budget(
    unit_id: Id, year: Year, body: BudgetIn, actor: CurrentActor, session: SessionDep
) -> BudgetOut:
    actor.require(Action.BUDGET_MANAGE)
    unit = org_queries.get_unit(session=session, actor=actor, unit_id=unit_id)
    _amount(body.amount, "预算金额", "amount")
    budget = procurement.set_budget(
        session=session,
        actor=actor,
        unit=unit.name,
        year=year,
        amount=body.amount.strip(),
        note=body.note,
    )
    return BudgetOut.of(budget)


@router.get("/procurements", response_model=list[ProcurementOut])
def list_procurements(
    actor: CurrentActor,
    session: SessionDep,
    year: int | None = Query(default=None, ge=2000, le=2100),
    unit_id: Id | None = None,
) -> list[ProcurementOut]:
    items = queries.list_procurements(session=session, actor=actor, year=year, unit_id=unit_id)
    return [ProcurementOut.of(p) for p in items]


@router.post("/procurements", response_model=ProcurementOut, status_code=201)
def record_procurement(
    body: ProcurementCreate, actor: CurrentActor, session: SessionDep
) -> ProcurementOut:
    actor.require(Action.PROCUREMENT_RECORD)
    item = procurement.record_procurement(
        session=session,
        actor=actor,
        data=ProcurementIn(
            unit=body.unit,
            year=body.year if body.year is not None else body.purchased_on.year,
            purchased_on=body.purchased_on,
            supplier=body.supplier,
            model=body.model,
            quantity=body.quantity,
            unit_price=_amount(body.unit_price, "单价", "unit_price"),
            note=body.note,
        ),
    )
    return ProcurementOut.of(item)


@router.get("/procurements/{procurement_id}", response_model=ProcurementOut)
def get_procurement(procurement_id: Id, actor: CurrentActor, session: SessionDep) -> ProcurementOut:
    return ProcurementOut.of(
        queries.get_procurement(session=session, actor=actor, procurement_id=procurement_id)
    )


@router.post("/procurements/{procurement_id}/approve", response_model=ProcurementOut)
def approve_procurement(
    procurement_id: Id, body: ApproveIn, actor: CurrentActor, session: SessionDep
) -> ProcurementOut:
    item = procurement.approve_procurement(
        session=session,
        actor=actor,
        procurement_id=procurement_id,
        overrun_reason=body.overrun_reason,
    )
    return ProcurementOut.of(item)


@router.post("/procurements/{procurement_id}/reject", response_model=ProcurementOut)
def reject_procurement(
    procurement_id: Id, body: RejectIn, actor: CurrentActor, session: SessionDep
) -> ProcurementOut:
    item = procurement.reject_procurement(
        session=session, actor=actor, procurement_id=procurement_id, reason=body.reason
    )
    return ProcurementOut.of(item)


# Reports (R6.2, R7.1, R7.2, R8.1) -----------------------------------------------------------


@router.get("/reports/ratio", response_model=RatioReportOut)
def ratio_report(actor: CurrentActor, session: SessionDep, settings: SettingsDep) -> RatioReportOut:
    rows, office = queries.ratio_report(
        session=session, actor=actor, now=utcnow(), repair_days=settings.repair_count_days
    )
    return RatioReportOut(units=[RatioRowOut.of(r) for r in rows], office=RatioRowOut.of(office))


@router.get("/reports/specs", response_model=SpecsReportOut)
def specs_report(actor: CurrentActor, session: SessionDep) -> SpecsReportOut:
    report = queries.specs_report(session=session, actor=actor)
    return SpecsReportOut(
        models=[ModelSpecRow.model_validate(m) for m in report["models"]],
        devices=[DeviceNeedRow.model_validate(d) for d in report["devices"]],
        thresholds=ThresholdsOut.of(queries.current_thresholds(session)),
    )


@router.get("/reports/budget", response_model=list[BudgetReportRow])
def budget_report(
    actor: CurrentActor, session: SessionDep, year: int | None = YEAR
) -> list[BudgetReportRow]:
    year = year or _this_year()
    rows = queries.budget_report(session=session, actor=actor, year=year)
    return [BudgetReportRow.of(row) for row in rows]
