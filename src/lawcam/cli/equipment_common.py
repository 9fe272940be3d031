"""Shared vocabulary of the equipment commands (``model``, ``device``, ``need``,
``thresholds``, ``budget``, ``procurement``): reading categories, features, statuses, dates and
money from the command line, finding a model or device by name or serial. Their JSON documents
are the API's (``lawcam.schemas.equipment``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from lawcam.cli.common import actor
from lawcam.equipment import queries, service
from lawcam.equipment.models import Device, DeviceModel
from lawcam.equipment.types import (
    SPECIAL_NEEDS,
    Category,
    DeviceStatus,
    Feature,
    QualityStatus,
)
from lawcam.errors import InvalidInput, NotFound
from lawcam.timeutil import parse_day

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
    return parse_day(text, f"{what}“{text.strip()}”", field=field)


def money_from(text: str, what: str, field: str) -> Decimal:
    """Accepts 3280, 3280.5 and 3,280.00; refuses zero, negative and absurd amounts."""
    return service.money(text, what, field=field)


def model_named(session: Session, name: str) -> DeviceModel:
    model = queries.model_by_name(session, name)
    if model is None:
        raise NotFound(f"型号“{name.strip()}”不存在。")
    return model


def device_named(session: Session, serial: str) -> Device:
    return queries.device_by_serial(session=session, actor=actor(), serial=serial)


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


def features_text(codes: Sequence[str]) -> str:
    return "、".join(Feature(c).label for c in codes)
