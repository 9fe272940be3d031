"""Spreadsheet downloads for the pages: the device register (R5.1) and the ratio report
(R6.2). Thin: the reports package renders, with the same permission as the pages."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response

from lawcam.authz import Action
from lawcam.equipment.queries import list_devices
from lawcam.reports.exports import export_device_register, export_ratio
from lawcam.reports.ledger import ledger_rows, write_ledger_xlsx
from lawcam.schemas.common import Id
from lawcam.timeutil import SHANGHAI, shanghai_day_start, utcnow
from lawcam.web.deps import AuthDep, SessionDep, SettingsDep
from lawcam.web.forms import parse_date, parse_int

router = APIRouter(include_in_schema=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(path: Path, filename: str) -> Response:
    # RFC 6266: an ASCII fallback and the UTF-8 name, so Chinese file names survive.
    disposition = f"attachment; filename=\"lawcam.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return Response(
        path.read_bytes(),
        media_type=XLSX,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


def _stamp() -> str:
    return utcnow().astimezone(SHANGHAI).strftime("%Y%m%d")


@router.get("/devices.xlsx")
def device_register(auth: AuthDep, session: SessionDep, unit_id: Id | None = None) -> Response:
    auth.actor.require(Action.EQUIPMENT_VIEW)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.xlsx"
        export_device_register(session=session, actor=auth.actor, path=path, unit_id=unit_id)
        return _xlsx(path, f"设备台账-{_stamp()}.xlsx")


@router.get("/reports/ratio.xlsx")
def ratio_sheet(auth: AuthDep, session: SessionDep, settings: SettingsDep) -> Response:
    auth.actor.require(Action.EQUIPMENT_VIEW)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ratio.xlsx"
        export_ratio(
            session=session,
            actor=auth.actor,
            path=path,
            now=utcnow(),
            repair_days=settings.repair_count_days,
        )
        return _xlsx(path, f"配备比例-{_stamp()}.xlsx")


@router.get("/ledger.xlsx")
def ledger_sheet(
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    unit_id: Annotated[str, Query(max_length=20)] = "",
    from_: Annotated[str, Query(alias="from", max_length=20)] = "",
    to: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The ledger (R9.2) in the layout of the paper one: a sheet per unit."""
    auth.actor.require(Action.EQUIPMENT_VIEW)
    unit = parse_int(unit_id, "单位参数", field="unit_id")
    first = parse_date(from_, "起始日期", field="from")
    last = parse_date(to, "截止日期", field="to")
    since = shanghai_day_start(first) if first else None
    until = shanghai_day_start(last + timedelta(days=1)) if last else None
    rows = ledger_rows(session=session, actor=auth.actor, unit_id=unit, since=since, until=until)
    devices = list_devices(session=session, actor=auth.actor, unit_id=unit)
    units = sorted({d.unit.name for d in devices} | {str(r["unit"]) for r in rows})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.xlsx"
        write_ledger_xlsx(path, rows, units, base_url=settings.base_url)
        return _xlsx(path, f"执法记录仪台账-{_stamp()}.xlsx")
