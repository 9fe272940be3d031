"""The retention report (第十四条, R14.2): what expires in the next 30 / 90 / 365 days by unit,
the storage used now and projected a year ahead (a chart drawn on the server as inline SVG: no
script, no external asset), and its Excel export. Thin: parse → domain → shape or render."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from lawcam.authz import Action
from lawcam.reports.retention_xlsx import write_retention_xlsx
from lawcam.retention import reports
from lawcam.retention.reports import AHEAD_MONTHS, HISTORY_MONTHS, Storage
from lawcam.schemas.common import Id
from lawcam.schemas.disposal import ExpiringOut, StorageOut
from lawcam.timeutil import today_shanghai
from lawcam.web.deps import AuthDep, CommittingRoute, CurrentActor, SessionDep, SettingsDep
from lawcam.web.forms import render
from lawcam.web.responses import errors

api = APIRouter(prefix="/api/v1", tags=["retention"], route_class=CommittingRoute)
pages = APIRouter(include_in_schema=False)

# A unit asked for that does not exist or is not the reader's: 404 (declared on the routes).
UnitQuery = Annotated[Id | None, Query(description="单位编号（不填为我可查看的全部单位）")]


@api.get("/retention/expiring", response_model=ExpiringOut, responses=errors(404))
def expiring(
    actor: CurrentActor, session: SessionDep, settings: SettingsDep, unit_id: UnitQuery = None
) -> ExpiringOut:
    """What expires within each of the configured windows (days), by unit."""
    found = reports.expiring(
        session=session, actor=actor, days=settings.retention_report_days, unit_id=unit_id
    )
    return ExpiringOut.of(found)


@api.get("/retention/storage", response_model=StorageOut, responses=errors(404))
def storage(actor: CurrentActor, session: SessionDep, unit_id: UnitQuery = None) -> StorageOut:
    """Storage used now by unit, and projected month by month for a year."""
    return StorageOut.of(reports.storage(session=session, actor=actor, unit_id=unit_id))


# Pages -------------------------------------------------------------------------------------------

SIZE_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def size_label(size: float) -> str:
    """Bytes as storage is bought (decimal: 1 GB = 10⁹ bytes)."""
    value = float(size)
    for unit in SIZE_UNITS:
        if abs(value) < 1000 or unit == SIZE_UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    height: float
    label: str  # the month
    year: str  # under the first month and each January
    title: str  # the tooltip: the figures in words


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    base: int  # the y of the axis
    slot: float
    bar: float
    columns: list[Column]
    ticks: list[tuple[str, float]]
    line: str  # "x,y x,y …": storage if nothing were disposed of
    dots: list[tuple[float, float]]


CHART_LEFT, CHART_TOP, CHART_PLOT_W, CHART_PLOT_H = 84, 34, 660, 220


def _nice(top: float) -> float:
    """A tick step of 1, 2 or 5 × 10ⁿ bytes that puts the top within five steps."""
    rough = max(top, 1) / 5
    power = 10 ** (len(str(int(rough))) - 1)
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= rough))


def storage_chart(found: Storage) -> Chart:
    """Geometry of the projection: a bar a month (disposal as due), a dashed line for storage
    if nothing were disposed of."""
    step = _nice(max(m.without_disposal for m in found.months))
    scale = CHART_PLOT_H / (step * 5)
    base = CHART_TOP + CHART_PLOT_H
    slot = CHART_PLOT_W / len(found.months)
    columns, dots = [], []
    for index, month in enumerate(found.months):
        x = CHART_LEFT + index * slot
        height = round(month.projected * scale, 1)
        label = "现在" if index == 0 else f"{month.day.month}月"
        year = str(month.day.year) if index in (0, 1) or month.day.month == 1 else ""
        title = (
            f"{month.day.isoformat()}：预计 {size_label(month.projected)}"
            f"（不销毁时 {size_label(month.without_disposal)}）"
        )
        columns.append(Column(round(x, 1), round(base - height, 1), height, label, year, title))
        dots.append((round(x + slot / 2, 1), round(base - month.without_disposal * scale, 1)))
    ticks = [(size_label(step * i), round(base - step * i * scale, 1)) for i in range(6)]
    return Chart(
        width=CHART_LEFT + CHART_PLOT_W + 16, height=base + 48, left=CHART_LEFT, top=CHART_TOP,
        base=base, slot=round(slot, 1), bar=round(slot * 0.62, 1), columns=columns, ticks=ticks,
        line=" ".join(f"{x},{y}" for x, y in dots), dots=dots,
    )  # fmt: skip


@pages.get("/retention", response_class=HTMLResponse)
def report_page(
    request: Request, auth: AuthDep, session: SessionDep, settings: SettingsDep
) -> Response:
    auth.actor.require(Action.RETENTION_REPORT)
    days = settings.retention_report_days
    found, space = reports.overview(session=session, actor=auth.actor, days=days)
    return render(request, "retention_report.html", auth, expiring=found, storage=space,
                  chart=storage_chart(space), size_label=size_label, history=HISTORY_MONTHS,
                  ahead=AHEAD_MONTHS, proposer=auth.actor.can(Action.DISPOSAL_PROPOSE))  # fmt: skip


@pages.get("/retention.xlsx")
def report_export(auth: AuthDep, session: SessionDep, settings: SettingsDep) -> Response:
    auth.actor.require(Action.RETENTION_REPORT)
    days = settings.retention_report_days
    found, space = reports.overview(session=session, actor=auth.actor, days=days)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "retention.xlsx"
        write_retention_xlsx(path, found, space)
        data = path.read_bytes()
    name = quote(f"保存期限与存储-{today_shanghai():%Y%m%d}.xlsx")
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=\"retention.xlsx\"; filename*=UTF-8''{name}",
            "Cache-Control": "no-store",
        },
    )
