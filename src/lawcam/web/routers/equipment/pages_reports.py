"""Chinese report pages: the ratio report with its server-drawn SVG chart (R6.1, R6.2)
and the spec-conformance report (R7.1, R7.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from lawcam.authz import Action
from lawcam.custody.types import RepairOutcome
from lawcam.equipment import queries
from lawcam.equipment.types import FEATURE_LABELS, RatioRow
from lawcam.reports.ledger import faults_by_model, loss_report
from lawcam.timeutil import utcnow
from lawcam.web.deps import AuthDep, SessionDep, SettingsDep
from lawcam.web.forms import page

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Bar:
    label: str
    y: int
    counted: int
    required: int | None
    counted_width: float
    required_width: float
    compliant: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    plot_width: int
    bars: list[Bar]
    ticks: list[tuple[int, float]]


CHART_ROW = 34
CHART_LABEL = 190
CHART_PLOT = 560


def ratio_chart(rows: Sequence[RatioRow]) -> Chart:
    """Geometry of the bar chart (required vs counted per unit), drawn as inline SVG by the
    template: no script, no external asset (R15.3)."""
    top = max([1, *(r.devices_counted for r in rows), *(r.required or 0 for r in rows)])
    step = max(1, -(-top // 5))
    top = step * -(-top // step)
    scale = CHART_PLOT / top
    bars = [
        Bar(
            label=r.unit,
            y=30 + i * CHART_ROW,
            counted=r.devices_counted,
            required=r.required,
            counted_width=round(r.devices_counted * scale, 1),
            required_width=round((r.required or 0) * scale, 1),
            compliant=r.compliant,
        )
        for i, r in enumerate(rows)
    ]
    ticks = [(v, round(CHART_LABEL + v * scale, 1)) for v in range(0, top + 1, step)]
    return Chart(
        width=CHART_LABEL + CHART_PLOT + 60,
        height=30 + len(rows) * CHART_ROW + 40,
        label_width=CHART_LABEL,
        plot_width=CHART_PLOT,
        bars=bars,
        ticks=ticks,
    )


@router.get("/reports/ratio", response_class=HTMLResponse)
def ratio_page(
    request: Request, auth: AuthDep, session: SessionDep, settings: SettingsDep
) -> Response:
    rows, office = queries.ratio_report(
        session=session, actor=auth.actor, now=utcnow(), repair_days=settings.repair_count_days
    )
    return page(
        request,
        "ratio.html",
        auth,
        rows=rows,
        office=office,
        chart=ratio_chart(rows),
        repair_days=settings.repair_count_days,
    )


@router.get("/reports/specs", response_class=HTMLResponse)
def specs_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    report = queries.specs_report(session=session, actor=auth.actor)
    limits = queries.current_thresholds(session)
    return page(
        request,
        "specs.html",
        auth,
        report=report,
        limits=limits,
        limits_dict=asdict(limits),
        needs_labels=FEATURE_LABELS,
    )


@router.get("/reports/custody", response_class=HTMLResponse)
def custody_report_page(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    """Faults and repair times per model (the ICT support quality view, R4.1, R16.1) and loss
    and damage cases per person and unit (R17.1)."""
    auth.actor.require(Action.EQUIPMENT_VIEW)
    return page(
        request,
        "custody_report.html",
        auth,
        faults=faults_by_model(session=session, actor=auth.actor),
        losses=loss_report(session=session, actor=auth.actor),
        outcome_labels={o.value: o.label for o in RepairOutcome},
    )
