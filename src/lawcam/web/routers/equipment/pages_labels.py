"""Asset labels for chosen devices (第九条's ledger names each device by its asset number): the
device administrator ticks devices on /labels and gets one PDF, one label per device with the
unit, asset number, serial, model and a QR code, drawn by ``reports.labels`` (the same sheet
as ``lawcam report labels``). Printing changes nothing, so both routes are reads (GET)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from lawcam.authz import Action
from lawcam.equipment.queries import list_devices
from lawcam.errors import InvalidInput
from lawcam.reports.labels import PER_PAGE, UNLABELLED, render_labels
from lawcam.timeutil import SHANGHAI, utcnow
from lawcam.web.deps import AuthDep, SessionDep, SettingsDep
from lawcam.web.forms import page, parse_int, units_for

router = APIRouter(include_in_schema=False)

MAX_LABELS = 50 * PER_PAGE  # 50 sheets: a print job, not the whole register by accident
DeviceIds = Annotated[list[str] | None, Query(alias="device_id", max_length=MAX_LABELS)]


@router.get("/labels", response_class=HTMLResponse)
def labels_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit_id: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    auth.actor.require(Action.DEVICE_MANAGE)
    unit = parse_int(unit_id, "单位参数", field="unit_id")
    devices = list_devices(session=session, actor=auth.actor, unit_id=unit)
    return page(
        request,
        "labels.html",
        auth,
        devices=[d for d in devices if d.status not in UNLABELLED],
        units=units_for(session, auth.actor, Action.DEVICE_MANAGE),
        unit_id=unit,
        per_page=PER_PAGE,
    )


def _chosen(values: list[str]) -> set[int]:
    chosen = {parse_int(v, "设备参数", field="device_id") for v in values if v.strip()}
    if not chosen or None in chosen:
        raise InvalidInput("请至少勾选一台设备再打印标签。", field="device_id")
    return {c for c in chosen if c is not None}


@router.get("/labels.pdf")
def labels_pdf(
    auth: AuthDep, session: SessionDep, settings: SettingsDep, device_id: DeviceIds = None
) -> Response:
    auth.actor.require(Action.DEVICE_MANAGE)
    chosen = _chosen(device_id or [])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "labels.pdf"
        render_labels(
            session=session,
            actor=auth.actor,
            path=path,
            base_url=settings.base_url,
            device_ids=chosen,
        )
        stamp = utcnow().astimezone(SHANGHAI).strftime("%Y%m%d")
        name = quote(f"资产标签-{stamp}.pdf")
        return Response(
            path.read_bytes(),
            media_type="application/pdf",
            headers={
                "Content-Disposition": f"attachment; filename=\"labels.pdf\"; filename*=UTF-8''{name}",
                "Cache-Control": "no-store",
            },
        )
