"""A demo day of custody at the enforcement center (R9.2, R11.1, R16.1, R17.1), played through
the custody services so every step is checked and audited: two recorders issued with good
pre-use checks, the old recorder issued despite a weak battery with the administrator's reason,
a handover between two officers, one return in good order and one damaged, the fault reported,
registered, repaired centrally and back in stock, and the damage case decided at fault with
compensation at the purchase price.

The device statuses at the end keep the equipment demo's numbers (one lost, one in repair, the
center counting 7 devices): the damaged recorder is back in stock, the old one still issued."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.custody import faults, service
from lawcam.custody.types import (
    CaseKind,
    CheckLimits,
    CheckoutIn,
    Condition,
    LossCause,
    PreUseCheck,
    RepairOutcome,
)
from lawcam.demo.seed import BADGE_PREFIX

# The center's officers hold badges 0001–0024: head, administrator, officer1, then the rest.
OFFICER1, OFFICER_B, OFFICER_C, OFFICER_D = (f"{BADGE_PREFIX}{n:04d}" for n in (3, 4, 5, 6))
FIRST, SECOND, OLD = "HK2A26030001", "HK2A26030002", "HDA3210517"
OVERRIDE_REASON = "防汛检查临时任务，现场无其他可用设备；已随机配发充电宝。"


def seed_custody(*, session: Session, actor: Actor, settings: Settings) -> None:
    """Create the demo day in the caller's transaction (the equipment already exists)."""
    limits = CheckLimits(
        min_battery_pct=settings.checkout_min_battery_pct,
        min_free_hours=settings.checkout_min_free_hours,
        max_clock_offset_s=settings.checkout_max_clock_offset_s,
    )
    for serial, badge, check, reason in (
        (FIRST, OFFICER1, PreUseCheck(96, 11.5, 1.2), ""),
        (SECOND, OFFICER_B, PreUseCheck(88, 10.0, -3.0), ""),
        (OLD, OFFICER_C, PreUseCheck(62, 5.5, 12.0), OVERRIDE_REASON),
    ):
        service.checkout(
            session=session,
            actor=actor,
            limits=limits,
            data=CheckoutIn(
                serial=serial, officer_badge=badge, check=check, override_reason=reason
            ),
        )
    service.handover(
        session=session,
        actor=actor,
        serial=SECOND,
        to_badge=OFFICER_D,
        check=PreUseCheck(71, 8.5, -3.0),
        limits=limits,
        override_reason="交班时电量略低，接班人员自带备用电池。",
    )
    service.return_device(session=session, actor=actor, serial=FIRST, condition=Condition.OK)
    service.return_device(
        session=session,
        actor=actor,
        serial=SECOND,
        condition=Condition.DAMAGED,
        note="检查途中跌落，外壳开裂",
    )
    fault = faults.report_fault(
        session=session,
        actor=actor,
        serial=SECOND,
        description="跌落后外壳开裂，录像时画面闪烁",
    )
    faults.register_fault(session=session, actor=actor, fault_id=fault.id)
    order = faults.order_repair(session=session, actor=actor, fault_id=fault.id)
    faults.complete_repair(
        session=session,
        actor=actor,
        order_id=order.id,
        diagnosis="外壳及排线损坏，已更换外壳和主板排线，检测合格",
        outcome=RepairOutcome.REPAIRED,
    )
    case = faults.open_loss_case(
        session=session,
        actor=actor,
        serial=SECOND,
        kind=CaseKind.DAMAGE,
        description="执法检查途中未按规定佩戴固定，设备跌落损坏",
    )
    faults.decide_loss_case(
        session=session,
        actor=actor,
        case_id=case.id,
        cause=LossCause.MISUSE,
        decision="使用不当致设备损坏，按原购置价赔偿。",
    )
