"""What waits on a person's home page, in equipment (issue 14): procurements to approve
(Art. 8) and units short of the ratio (Art. 6), scoped like the pages they lead to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lawcam.authz import Action, Actor
from lawcam.equipment.models import Procurement
from lawcam.equipment.queries import permitted, ratio_report
from lawcam.equipment.types import ProcurementStatus, RatioRow


def procurements_to_approve(*, session: Session, actor: Actor) -> int:
    """Pending procurements, for those who may approve them."""
    stmt = select(Procurement).where(Procurement.status == ProcurementStatus.PENDING.value)
    stmt = permitted(session, stmt, actor, Action.PROCUREMENT_APPROVE)
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def units_short(
    *, session: Session, actor: Actor, now: datetime, repair_days: int
) -> list[RatioRow]:
    """The units whose counted devices fall short of what Art. 6 requires, largest gap first."""
    rows, _office = ratio_report(session=session, actor=actor, now=now, repair_days=repair_days)
    return sorted((r for r in rows if r.shortfall), key=lambda r: -(r.shortfall or 0))
