"""The device page (Art. 2–9): the device, its history, and its custody forms. Shared by the
equipment pages (status changes, edits) and the custody pages (checkout, return, faults …),
which each show it again with their form's message when a change is refused; so it lives
here, not in either router (routers never import one another)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lawcam.audit.models import AuditEvent
from lawcam.audit.queries import changed_keys, sides
from lawcam.authz import Action
from lawcam.custody import queries as custody_queries
from lawcam.custody.types import CustodyEvent
from lawcam.equipment import queries, service
from lawcam.equipment.specs import missing_features, spec_misses
from lawcam.equipment.types import RATIO_CATEGORIES, DeviceStatus, EquipmentEvent
from lawcam.schemas.custody import LABELS as CUSTODY_LABELS
from lawcam.schemas.custody import check_limits
from lawcam.web.deps import Auth
from lawcam.web.forms import STATUSES, page, yuan

EVENT_LABELS: dict[str, str] = {
    EquipmentEvent.MODEL_CREATED: "登记型号",
    EquipmentEvent.MODEL_UPDATED: "修改型号",
    EquipmentEvent.MODEL_QUALITY_SET: "设置质量状态",
    EquipmentEvent.THRESHOLDS_SET: "设置规格阈值",
    EquipmentEvent.NEED_DECLARED: "声明特殊需求",
    EquipmentEvent.NEED_WITHDRAWN: "撤回特殊需求",
    EquipmentEvent.DEVICE_CREATED: "登记设备",
    EquipmentEvent.DEVICE_UPDATED: "修改设备信息",
    EquipmentEvent.DEVICE_STATUS_SET: "变更设备状态",
    EquipmentEvent.BUDGET_SET: "设置预算",
    EquipmentEvent.PROCUREMENT_CREATED: "登记采购",
    EquipmentEvent.PROCUREMENT_APPROVED: "批准采购",
    EquipmentEvent.PROCUREMENT_REJECTED: "驳回采购",
    CustodyEvent.CHECKED_OUT: "领用",
    CustodyEvent.RETURNED: "归还",
    CustodyEvent.HANDED_OVER: "交接",
    CustodyEvent.FAULT_REPORTED: "报告故障",
    CustodyEvent.FAULT_REGISTERED: "登记故障",
    CustodyEvent.REPAIR_ORDERED: "送修",
    CustodyEvent.REPAIR_DONE: "维修完成",
    CustodyEvent.CASE_OPENED: "立案（丢失/损坏）",
    CustodyEvent.CASE_DECIDED: "决定（丢失/损坏）",
}
DEVICE_FIELDS = {
    "serial": "序列号",
    "asset_no": "资产编号",
    "model_id": "型号编号",
    "unit_id": "单位编号",
    "zone_id": "办案专区编号",
    "status": "状态",
    "commissioned_on": "启用日期",
    "firmware": "固件版本",
    "purchase_price": "购置价格",
    "procurement_id": "采购记录编号",
    "need": "执法需求",
    "reason": "理由",
}
# A registration changes nothing: it shows what identifies the new device.
CREATED_FIELDS = ("serial", "asset_no", "status", "need")


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    label: str
    actor: str
    changes: list[tuple[str, str]]


def _show_value(key: str, value: object) -> str:
    if value is None:
        return "—"
    if value == "":
        return "（空）"
    if key == "status" and isinstance(value, str) and value in STATUSES:
        return STATUSES[value]
    if key == "purchase_price" and isinstance(value, str):
        return yuan(Decimal(value))
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _changes(event: AuditEvent) -> list[tuple[str, str]]:
    """Each changed field as (label, "old → new")."""
    before, after = sides(event)
    before, after = before or {}, after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    changed = changed_keys(before, after)
    keys = [k for k in DEVICE_FIELDS if k in after and k in changed]
    if event.tag == EquipmentEvent.DEVICE_CREATED:
        keys = [k for k in CREATED_FIELDS if k in after]
    return [
        (
            DEVICE_FIELDS[k],
            (f"{_show_value(k, before[k])} → " if k in before else "") + _show_value(k, after[k]),
        )
        for k in keys
    ]


def history(session: Session, auth: Auth, device_id: int) -> list[HistoryRow]:
    events = queries.device_history(session=session, actor=auth.actor, device_id=device_id)
    return [
        HistoryRow(
            at=e.occurred_at,
            label=EVENT_LABELS.get(e.tag, e.tag),
            actor=e.actor_label,
            changes=_changes(e),
        )
        for e in events
    ]


def _current_form(device: Any) -> dict[str, str]:
    return {
        "zone": device.zone.name if device.zone else "",
        "firmware": device.firmware,
        "commissioned_on": device.commissioned_on.isoformat() if device.commissioned_on else "",
        "need": device.need,
    }


def render_device_page(
    request: Request,
    session: Session,
    auth: Auth,
    device_id: int,
    *,
    form: dict[str, str] | None = None,
    status_form: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    device = queries.get_device(session=session, actor=auth.actor, device_id=device_id)
    limits = queries.current_thresholds(session)
    needs = queries.unit_needs(session, device.unit_id)
    ids = queries.visible_unit_ids(session, auth.actor, Action.DEVICE_MANAGE)
    manage = ids is None or device.unit_id in ids
    moves = sorted(service.ALLOWED_MOVES[DeviceStatus(device.status)], key=list(DeviceStatus).index)
    # Custody (issue 4): the device's periods, faults, repairs and cases, and the check limits.
    extra.setdefault(
        "custody", custody_queries.device_custody(session=session, device_id=device.id)
    )
    extra.setdefault("check_limits", check_limits(request.app.state.settings))
    for key, labels in CUSTODY_LABELS.items():
        extra.setdefault(key, labels)
    return page(
        request,
        "device.html",
        auth,
        device=device,
        history=history(session, auth, device.id),
        assessed=device.model.category in RATIO_CATEGORIES,
        misses=spec_misses(device.model, limits),
        needs=sorted(needs),
        lacking=missing_features(device.model, needs),
        manage=manage and auth.actor.can(Action.DEVICE_MANAGE),
        moves=moves,
        form=_current_form(device) if form is None else form,
        status_form=status_form or {"status": "", "reason": ""},
        **extra,
    )
