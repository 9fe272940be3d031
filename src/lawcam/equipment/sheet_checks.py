"""Whole-file checks of an equipment import, before anything is written: one query per kind
of reference (units, models, serials, asset numbers, zones) for the whole file, so a bad row near
the end of a large file is reported in seconds. The services check the same rules again when
each row is created.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor
from lawcam.equipment import queries
from lawcam.equipment.models import Device, DeviceModel
from lawcam.equipment.sheet_columns import ASSET, MODEL, SERIAL, UNIT, ZONE, EquipmentSheet
from lawcam.equipment.types import DeviceIn, ModelIn, ProcurementIn, QualityStatus
from lawcam.errors import Forbidden, InvalidInput
from lawcam.org.models import Unit, Zone
from lawcam.sheets import at

Parsed = ModelIn | DeviceIn | ProcurementIn
P = TypeVar("P", bound=Parsed)
_CHUNK = 1000  # values per IN (...) query


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _existing(session: Session, column: Any, values: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(values):
        found.update(session.scalars(select(column).where(column.in_(chunk))))
    return found


def _typed(items: list[tuple[int, Parsed]], cls: type[P]) -> list[tuple[int, P]]:
    return [(row, data) for row, data in items if isinstance(data, cls)]


def _precheck_models(session: Session, actor: Actor, items: list[tuple[int, Parsed]]) -> None:
    rows = _typed(items, ModelIn)
    taken = _existing(session, DeviceModel.model, (d.model.strip() for _, d in rows))
    first: dict[str, int] = {}
    for row, data in rows:
        name = data.model.strip()
        if name in taken:
            raise at(row, MODEL, f"型号“{name}”已存在。", InvalidInput, cause="conflict")
        if name in first:
            raise at(
                row,
                MODEL,
                f"型号“{name}”与第 {first[name]} 行重复。",
                InvalidInput,
                cause="conflict",
            )
        first[name] = row


def _units(
    session: Session, actor: Actor, action: Action, rows: Sequence[tuple[int, Any]]
) -> dict[str, Unit]:
    """The rows' units by name; an unknown, inactive or out-of-scope unit fails its row."""
    names = {data.unit.strip() for _, data in rows}
    units: dict[str, Unit] = {}
    for chunk in _chunks(names):
        units.update((u.name, u) for u in session.scalars(select(Unit).where(Unit.name.in_(chunk))))
    visible = queries.visible_unit_ids(session, actor, action)
    for row, data in rows:
        unit = units.get(data.unit.strip())
        if unit is None or not unit.is_active:
            message = f"单位“{data.unit.strip()}”不存在或已停用。"
            raise at(row, UNIT, message, InvalidInput, cause="invalid_input")
        if visible is not None and unit.id not in visible:
            message = f"您只能办理本单位的事项，不能操作“{unit.name}”。"
            raise at(row, UNIT, message, Forbidden, cause="forbidden")
    return units


def _models(session: Session, rows: Sequence[tuple[int, Any]], *, usable: bool) -> None:
    names = {data.model.strip() for _, data in rows}
    models: dict[str, DeviceModel] = {}
    for chunk in _chunks(names):
        found = session.scalars(select(DeviceModel).where(DeviceModel.model.in_(chunk)))
        models.update((m.model, m) for m in found)
    for row, data in rows:
        model = models.get(data.model.strip())
        if model is None:
            message = f"型号“{data.model.strip()}”不存在。型号须已在系统中，请先导入型号表。"
            raise at(row, MODEL, message, InvalidInput, cause="invalid_input")
        if usable and model.quality_status == QualityStatus.SUSPENDED.value:
            message = f"型号“{model.model}”已被信息通信保障部暂停使用：{model.quality_reason}"
            raise at(row, MODEL, message, InvalidInput, cause="conflict")


def _precheck_devices(session: Session, actor: Actor, items: list[tuple[int, Parsed]]) -> None:
    rows = _typed(items, DeviceIn)
    units = _units(session, actor, Action.DEVICE_MANAGE, rows)
    _models(session, rows, usable=True)
    serials = _existing(session, Device.serial, (d.serial.strip() for _, d in rows))
    assets = _existing(session, Device.asset_no, (d.asset_no.strip() for _, d in rows))
    unit_ids = {u.id for u in units.values()}
    zones = {
        (unit_id, name)
        for unit_id, name in session.execute(
            select(Zone.unit_id, Zone.name).where(Zone.unit_id.in_(unit_ids))
        )
    }
    first_serial: dict[str, int] = {}
    first_asset: dict[str, int] = {}
    for row, data in rows:
        serial, asset = data.serial.strip(), data.asset_no.strip()
        for value, taken, first, column, what in (
            (serial, serials, first_serial, SERIAL, "序列号"),
            (asset, assets, first_asset, ASSET, "资产编号"),
        ):
            if value in taken:
                raise at(row, column, f"{what} {value} 已登记。", InvalidInput, cause="conflict")
            if value in first:
                message = f"{what} {value} 与第 {first[value]} 行重复。"
                raise at(row, column, message, InvalidInput, cause="conflict")
            first[value] = row
        unit = units[data.unit.strip()]
        if data.zone and (unit.id, data.zone.strip()) not in zones:
            message = f"“{unit.name}”没有名为“{data.zone.strip()}”的办案专区（第五条）。"
            raise at(row, ZONE, message, InvalidInput, cause="invalid_input")


def _precheck_procurement(session: Session, actor: Actor, items: list[tuple[int, Parsed]]) -> None:
    rows = _typed(items, ProcurementIn)
    _units(session, actor, Action.PROCUREMENT_RECORD, rows)
    _models(session, rows, usable=False)


PRECHECKS: dict[EquipmentSheet, Callable[[Session, Actor, list[tuple[int, Parsed]]], None]] = {
    EquipmentSheet.MODELS: _precheck_models,
    EquipmentSheet.DEVICES: _precheck_devices,
    EquipmentSheet.PROCUREMENT: _precheck_procurement,
}
