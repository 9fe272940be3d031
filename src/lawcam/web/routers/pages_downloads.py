"""Spreadsheet downloads for the pages: the device register (R5.1) and the ratio report
(R6.2). Thin: the reports package renders, with the same permission as the pages."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from lawcam.authz import Action
from lawcam.reports.exports import export_device_register, export_ratio
from lawcam.timeutil import SHANGHAI, utcnow
from lawcam.web.deps import AuthDep, SessionDep, SettingsDep

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
def device_register(auth: AuthDep, session: SessionDep, unit_id: int | None = None) -> Response:
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
