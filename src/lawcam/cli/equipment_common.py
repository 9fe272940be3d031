"""Shared vocabulary of the equipment commands (``model``, ``device``, ``need``,
``thresholds``, ``budget``, ``procurement``): reading categories, features, statuses, dates and
money from the command line, finding a model or device by name or serial, and the JSON
documents for models and devices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from lawcam.cli.common import actor
from lawcam.equipment import queries, service
from lawcam.equipment.models import Device, DeviceModel
from lawcam.equipment.specs import spec_misses
from lawcam.equipment.types import (
    SPECIAL_NEEDS,
    Category,
    DeviceStatus,
    Feature,
    QualityStatus,
    Thresholds,
)
from lawcam.errors import InvalidInput, NotFound

# Reading the command line --------------------------------------------------------------------


def _codes(members: Any) -> str:
    return "、".join(f"{m.value}（{m.label}）" for m in members)


def category_from(text: str) -> Category:
    value = text.strip()
    for category in Category:
        if value in (category.value, category.label):
            return category
    raise InvalidInput(f"设备类别“{value}”无效。可用类别：{_codes(Category)}。", field="category")


def feature_from(text: str) -> Feature:
    value = text.strip()
    for feature in Feature:
        if value in (feature.value, feature.label):
            return feature
    raise InvalidInput(f"功能“{value}”无效。可用功能：{_codes(Feature)}。", field="feature")


def need_from(text: str) -> Feature:
    feature = feature_from(text)
    if feature not in SPECIAL_NEEDS:
        raise InvalidInput(f"特殊需求只能是：{_codes(SPECIAL_NEEDS)}。", field="feature")
    return feature


def status_from(text: str) -> DeviceStatus:
    value = text.strip()
    for status in DeviceStatus:
        if value in (status.value, status.label):
            return status
    raise InvalidInput(f"设备状态“{value}”无效。可用状态：{_codes(DeviceStatus)}。", field="status")


def quality_from(text: str) -> QualityStatus:
    value = text.strip()
    for status in QualityStatus:
        if value in (status.value, status.label):
            return status
    raise InvalidInput(
        f"质量状态“{value}”无效，应为 approved（合格）或 suspended（暂停使用）。",
        field="status",
    )


def date_from(text: str, what: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{what}应写作 YYYY-MM-DD，如 2026-03-15，而不是“{text.strip()}”。", field=field
        ) from None


def money_from(text: str, what: str, field: str) -> Decimal:
    """Accepts 3280, 3280.5 and 3,280.00; refuses zero, negative and absurd amounts."""
    return service.money(text, what, field=field)


def yuan(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def model_named(session: Session, name: str) -> DeviceModel:
    model = queries.model_by_name(session, name)
    if model is None:
        raise NotFound(f"型号“{name.strip()}”不存在。")
    return model


def device_named(session: Session, serial: str) -> Device:
    return queries.device_by_serial(session=session, actor=actor(), serial=serial)


# JSON documents ------------------------------------------------------------------------------


def model_json(model: DeviceModel, limits: Thresholds | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": model.id,
        "maker": model.maker,
        "model": model.model,
        "category": model.category,
        "video": f"{model.video_width}x{model.video_height}" if model.video_width else None,
        "photo_mp": model.photo_mp,
        "battery_mah": model.battery_mah,
        "record_hours": model.record_hours,
        "storage_gb": model.storage_gb,
        "ip": model.ip_rating,
        "features": sorted(model.features or []),
        "quality": model.quality_status,
        "quality_reason": model.quality_reason,
    }
    if limits is not None:
        misses = spec_misses(model, limits)
        document["conforms"] = not misses
        document["misses"] = [
            {"spec": m.spec, "required": m.required, "actual": m.actual} for m in misses
        ]
    return document


def device_json(device: Device) -> dict[str, Any]:
    return {
        "id": device.id,
        "serial": device.serial,
        "asset_no": device.asset_no,
        "model": device.model.model,
        "maker": device.model.maker,
        "category": device.model.category,
        "unit": device.unit.name,
        "zone": device.zone.name if device.zone else None,
        "status": device.status,
        "status_since": device.status_since.isoformat(),
        "commissioned": device.commissioned_on.isoformat() if device.commissioned_on else None,
        "firmware": device.firmware,
        "price": yuan(device.purchase_price),
        "procurement_id": device.procurement_id,
        "need": device.need,
    }


def category_label(code: str) -> str:
    try:
        return Category(code).label
    except ValueError:
        return code


def status_label(code: str) -> str:
    try:
        return DeviceStatus(code).label
    except ValueError:
        return code


def features_text(codes: list[str]) -> str:
    return "、".join(Feature(c).label for c in codes)
