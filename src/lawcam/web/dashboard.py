"""The compliance dashboards of the home page (第十八条、第十三条; issue 18): each role's board
from ``compliance.dashboards`` with its charts drawn here as SVG (``web.svgcharts``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup
from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.compliance import dashboards
from lawcam.compliance.dashboards import (
    RATE_LABELS,
    AuditBoard,
    OfficeBoard,
    OfficerBoard,
    UnitBoard,
)
from lawcam.config import Settings
from lawcam.web import svgcharts


@dataclass
class Dashboard:
    officer: OfficerBoard | None = None
    unit: UnitBoard | None = None
    unit_charts: list[Markup] = field(default_factory=list)
    office: OfficeBoard | None = None
    office_charts: list[Markup] = field(default_factory=list)
    audit: AuditBoard | None = None

    @property
    def shown(self) -> bool:
        return any((self.officer, self.unit, self.office, self.audit))


def build(session: Session, actor: Actor, settings: Settings, now: datetime) -> Dashboard:
    shown = dashboards.boards_for(actor)
    board = Dashboard()
    days = settings.repair_count_days
    if "officer" in shown:
        board.officer = dashboards.officer_board(session=session, actor=actor, now=now)
    if "unit" in shown:
        board.unit = dashboards.unit_board(session=session, actor=actor, now=now, repair_days=days)
        labels = [r.month for r in board.unit.months]
        board.unit_charts = [
            svgcharts.bars(label, labels, [r.value(name) for r in board.unit.months])
            for name, label in RATE_LABELS.items()
        ]
    if "office" in shown:
        board.office = dashboards.office_board(
            session=session, actor=actor, now=now, repair_days=days
        )
        rows = board.office.rows
        board.office_charts = [
            svgcharts.unit_bars(
                "各单位本月情况",
                [r.unit for r in rows],
                {label: [r.this.value(name) for r in rows] for name, label in RATE_LABELS.items()},
            ),
            svgcharts.lines(
                "全办近 12 个月趋势",
                [r.month for r in board.office.trend],
                {
                    label: [r.value(name) for r in board.office.trend]
                    for name, label in RATE_LABELS.items()
                },
            ),
        ]
    if "audit" in shown:
        board.audit = dashboards.audit_board(session=session, actor=actor, now=now)
    return board
