"""Spec conformance (R7.1) and special needs (R7.2): pure functions over a model's specs."""

from __future__ import annotations

import re

from lawcam.equipment.models import DeviceModel
from lawcam.equipment.types import RATIO_CATEGORIES, Category, Feature, SpecMiss, Thresholds

_IP = re.compile(r"^IP([0-6X])([0-9X])$")


def ip_levels(rating: str | None) -> tuple[int, int] | None:
    """IP67 → (6, 7). An unknown digit (X) counts as 0."""
    match = _IP.match((rating or "").upper())
    if match is None:
        return None
    dust, water = match.groups()
    return (0 if dust == "X" else int(dust), 0 if water == "X" else int(water))


def spec_misses(model: DeviceModel, limits: Thresholds) -> list[SpecMiss]:
    """What a body-worn recorder or handheld terminal misses; other categories have no thresholds."""
    if Category(model.category) not in RATIO_CATEGORIES:
        return []
    misses: list[SpecMiss] = []
    width, height = model.video_width or 0, model.video_height or 0
    if width * height < limits.video_width * limits.video_height or height < limits.video_height:
        misses.append(
            SpecMiss(
                "视频分辨率",
                f"{limits.video_width}×{limits.video_height}",
                f"{width}×{height}" if width else "未填写",
            )
        )
    for spec, attribute, unit in (
        ("照片像素", "photo_mp", "万像素"),
        ("电池容量", "battery_mah", "mAh"),
        ("连续录像时间", "record_hours", "小时"),
        ("存储容量", "storage_gb", "GB"),
    ):
        actual = getattr(model, attribute)
        required = getattr(limits, attribute)
        if actual is None or actual < required:
            misses.append(
                SpecMiss(
                    spec,
                    _show(required, attribute, unit),
                    _show(actual, attribute, unit) if actual is not None else "未填写",
                )
            )
    need, have = ip_levels(limits.ip_rating), ip_levels(model.ip_rating)
    if need and (have is None or have[0] < need[0] or have[1] < need[1]):
        misses.append(SpecMiss("防护等级", limits.ip_rating, model.ip_rating or "未填写"))
    return misses


def _show(value: float | int, attribute: str, unit: str) -> str:
    if attribute == "photo_mp":  # stored in megapixels, shown as the Chinese 万像素 (10^4)
        return f"{value * 100:g} {unit}"
    return f"{value:g} {unit}"


def missing_features(model: DeviceModel, needs: set[Feature]) -> list[Feature]:
    have = {Feature(f) for f in model.features or []}
    return sorted(needs - have)
