"""Chinese pages for device models and their quality status, spec thresholds (R7.1) and
units' special needs (R7.2).

Thin: parse the form → call the service or query (they check permission) → render.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.authz import Action
from lawcam.equipment import queries, service
from lawcam.equipment.specs import spec_misses
from lawcam.equipment.types import (
    RATIO_CATEGORIES,
    Category,
    Feature,
    ModelIn,
    QualityStatus,
    Thresholds,
)
from lawcam.errors import InvalidInput, LawcamError
from lawcam.schemas.common import Id
from lawcam.web.deps import Auth, AuthDep, SessionDep
from lawcam.web.forms import (
    NEEDS,
    Text20,
    Text100,
    Text500,
    discard,
    flash_redirect,
    form_error,
    page,
    parse_choice,
    parse_float,
    parse_int,
    units_for,
)

router = APIRouter(include_in_schema=False)


@router.get("/models", response_class=HTMLResponse)
def models_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    models = queries.list_models(session=session, actor=auth.actor)
    limits = queries.current_thresholds(session)
    return page(
        request,
        "models.html",
        auth,
        models=models,
        misses={m.id: spec_misses(m, limits) for m in models},
        assessed={m.id: m.category in RATIO_CATEGORIES for m in models},
    )


MODEL_FORM_KEYS = (
    "maker",
    "model",
    "category",
    "video",
    "photo_mp",
    "battery_mah",
    "record_hours",
    "storage_gb",
    "ip_rating",
)


def _model_form_page(request: Request, auth: Auth, form: dict[str, Any], **extra: Any) -> Response:
    return page(request, "model_form.html", auth, form=form, **extra)


@router.get("/models/new", response_class=HTMLResponse)
def model_new_form(request: Request, auth: AuthDep) -> Response:
    auth.actor.require(Action.MODEL_MANAGE)
    form: dict[str, Any] = dict.fromkeys(MODEL_FORM_KEYS, "")
    form["features"] = []
    return _model_form_page(request, auth, form)


@router.post("/models/new", response_class=HTMLResponse)
def model_new_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    maker: Text100 = "",
    model: Text100 = "",
    category: Annotated[str, Form(max_length=30)] = "",
    video: Text20 = "",
    photo_mp: Text20 = "",
    battery_mah: Text20 = "",
    record_hours: Text20 = "",
    storage_gb: Text20 = "",
    ip_rating: Annotated[str, Form(max_length=10)] = "",
    features: Annotated[list[str] | None, Form(max_length=20)] = None,
) -> Response:
    auth.actor.require(Action.MODEL_MANAGE)
    chosen = [f for f in features or [] if f]
    form: dict[str, Any] = {
        "maker": maker,
        "model": model,
        "category": category,
        "video": video,
        "photo_mp": photo_mp,
        "battery_mah": battery_mah,
        "record_hours": record_hours,
        "storage_gb": storage_gb,
        "ip_rating": ip_rating,
        "features": chosen,
    }
    try:
        if not category.strip():
            raise InvalidInput("请选择设备类别。", field="category")
        kind = parse_choice(Category, category, "设备类别不正确。", field="category")
        width, height = service.parse_resolution(video.strip() or None)
        data = ModelIn(
            maker=maker,
            model=model,
            category=kind,
            video_width=width,
            video_height=height,
            photo_mp=parse_float(photo_mp, "照片像素（百万）", field="photo_mp"),
            battery_mah=parse_int(battery_mah, "电池容量（mAh）", field="battery_mah"),
            record_hours=parse_float(record_hours, "连续录像时间（小时）", field="record_hours"),
            storage_gb=parse_int(storage_gb, "存储容量（GB）", field="storage_gb"),
            ip_rating=ip_rating.strip() or None,
            features=tuple(
                parse_choice(Feature, f, "特性选项不正确。", field="features") for f in chosen
            ),
        )
        created = service.create_model(session=session, actor=auth.actor, data=data)
    except LawcamError as exc:
        discard(session)
        return _model_form_page(request, auth, form, **form_error(exc))
    return flash_redirect(request, f"/models/{created.id}", f"型号“{created.model}”已登记。")


def _model_page(
    request: Request,
    session: Session,
    auth: Auth,
    model_id: int,
    *,
    quality_form: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    model = queries.get_model(session=session, actor=auth.actor, model_id=model_id)
    devices = [
        d for d in queries.list_devices(session=session, actor=auth.actor) if d.model_id == model.id
    ]
    return page(
        request,
        "model.html",
        auth,
        model=model,
        devices=devices,
        assessed=model.category in RATIO_CATEGORIES,
        misses=spec_misses(model, queries.current_thresholds(session)),
        quality_form=quality_form
        or {"status": model.quality_status, "reason": model.quality_reason},
        **extra,
    )


@router.get("/models/{model_id}", response_class=HTMLResponse)
def model_page(request: Request, model_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    return _model_page(request, session, auth, model_id)


@router.post("/models/{model_id}/quality", response_class=HTMLResponse)
def model_quality_submit(
    request: Request,
    model_id: Id,
    auth: AuthDep,
    session: SessionDep,
    status: Text20 = "",
    reason: Text500 = "",
) -> Response:
    auth.actor.require(Action.MODEL_QUALITY)
    queries.get_model(session=session, actor=auth.actor, model_id=model_id)
    quality_form = {"status": status, "reason": reason}
    try:
        if not status.strip():
            raise InvalidInput("请选择质量状态。", field="status")
        chosen = parse_choice(QualityStatus, status, "质量状态不正确。", field="status")
        model = service.set_model_quality(
            session=session, actor=auth.actor, model_id=model_id, status=chosen, reason=reason
        )
    except LawcamError as exc:
        discard(session)
        return _model_page(
            request, session, auth, model_id, quality_form=quality_form, **form_error(exc)
        )
    label = QualityStatus(model.quality_status).label
    return flash_redirect(request, f"/models/{model.id}", f"型号“{model.model}”已设为“{label}”。")


# Thresholds (R7.1) ---------------------------------------------------------------------------


def _thresholds_form(limits: Thresholds) -> dict[str, str]:
    return {
        "video": f"{limits.video_width}x{limits.video_height}",
        "photo_mp": f"{limits.photo_mp:g}",
        "battery_mah": str(limits.battery_mah),
        "record_hours": f"{limits.record_hours:g}",
        "storage_gb": str(limits.storage_gb),
        "ip_rating": limits.ip_rating,
    }


def _thresholds_page(
    request: Request, session: Session, auth: Auth, form: dict[str, str] | None = None, **extra: Any
) -> Response:
    auth.actor.require(Action.EQUIPMENT_VIEW)
    limits = queries.current_thresholds(session)
    return page(
        request,
        "thresholds.html",
        auth,
        limits=limits,
        form=form or _thresholds_form(limits),
        defaults=Thresholds(),
        **extra,
    )


@router.get("/thresholds", response_class=HTMLResponse)
def thresholds_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    return _thresholds_page(request, session, auth)


@router.post("/thresholds", response_class=HTMLResponse)
def thresholds_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    video: Text20 = "",
    photo_mp: Text20 = "",
    battery_mah: Text20 = "",
    record_hours: Text20 = "",
    storage_gb: Text20 = "",
    ip_rating: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    auth.actor.require(Action.THRESHOLDS_SET)
    form = {
        "video": video,
        "photo_mp": photo_mp,
        "battery_mah": battery_mah,
        "record_hours": record_hours,
        "storage_gb": storage_gb,
        "ip_rating": ip_rating,
    }
    try:
        width, height = service.parse_resolution(video.strip() or None)
        values = {
            "video_width": width,
            "video_height": height,
            "photo_mp": parse_float(photo_mp, "照片像素（百万）", field="photo_mp"),
            "battery_mah": parse_int(battery_mah, "电池容量（mAh）", field="battery_mah"),
            "record_hours": parse_float(record_hours, "连续录像时间（小时）", field="record_hours"),
            "storage_gb": parse_int(storage_gb, "存储容量（GB）", field="storage_gb"),
            "ip_rating": ip_rating.strip() or None,
        }
        missing = [k for k, v in values.items() if v is None]
        if missing:
            raise InvalidInput(
                "每项规格阈值都须填写。", field=missing[0].replace("video_width", "video")
            )
        limits = Thresholds(**values)  # type: ignore[arg-type]
        service.set_thresholds(session=session, actor=auth.actor, limits=limits)
    except LawcamError as exc:
        discard(session)
        return _thresholds_page(request, session, auth, form, **form_error(exc))
    return flash_redirect(request, "/thresholds", "规格阈值已更新，各型号的符合性按新阈值判断。")


# Special needs (R7.2) ------------------------------------------------------------------------


def _needs_page(
    request: Request, session: Session, auth: Auth, form: dict[str, str] | None = None, **extra: Any
) -> Response:
    auth.actor.require(Action.EQUIPMENT_VIEW)
    units = units_for(session, auth.actor, Action.EQUIPMENT_VIEW)
    manageable = units_for(session, auth.actor, Action.UNIT_NEED_DECLARE)
    return page(
        request,
        "needs.html",
        auth,
        rows=[(u, sorted(queries.unit_needs(session, u.id))) for u in units],
        manageable={u.id for u in manageable},
        manage_units=manageable,
        needs_labels=NEEDS,
        form=form or {"unit": manageable[0].name if len(manageable) == 1 else "", "feature": ""},
        **extra,
    )


@router.get("/needs", response_class=HTMLResponse)
def needs_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    return _needs_page(request, session, auth)


def _need_change(
    request: Request, session: Session, auth: Auth, unit: str, feature: str, *, declare: bool
) -> Response:
    auth.actor.require(Action.UNIT_NEED_DECLARE)
    form = {"unit": unit, "feature": feature}
    try:
        if not unit.strip():
            raise InvalidInput("请选择单位。", field="unit")
        if feature.strip() not in NEEDS:
            raise InvalidInput(
                "特殊需求只能是：防爆、红外夜视、卫星定位、无线实时传输。", field="feature"
            )
        chosen = Feature(feature.strip())
        change = service.declare_need if declare else service.withdraw_need
        change(session=session, actor=auth.actor, unit=unit, feature=chosen)
    except LawcamError as exc:
        discard(session)
        return _needs_page(request, session, auth, form, **form_error(exc))
    done = "已声明" if declare else "已撤回"
    return flash_redirect(request, "/needs", f"“{unit.strip()}”{done}特殊需求“{chosen.label}”。")


@router.post("/needs/declare", response_class=HTMLResponse)
def need_declare_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit: Text100 = "",
    feature: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    return _need_change(request, session, auth, unit, feature, declare=True)


@router.post("/needs/withdraw", response_class=HTMLResponse)
def need_withdraw_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit: Text100 = "",
    feature: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    return _need_change(request, session, auth, unit, feature, declare=False)
