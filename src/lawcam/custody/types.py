from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Condition(StrEnum):
    OK = "ok"
    FAULTY = "faulty"
    DAMAGED = "damaged"
    LOST = "lost"

    @property
    def label(self) -> str:
        return {"ok": "完好", "faulty": "故障", "damaged": "损坏", "lost": "丢失"}[self.value]


class LossCause(StrEnum):
    """Art. 17: poor keeping and misuse are the user's fault; the rest is not."""

    POOR_KEEPING = "poor_keeping"
    MISUSE = "misuse"
    NO_FAULT = "no_fault"

    @property
    def label(self) -> str:
        return {"poor_keeping": "保管不善", "misuse": "使用不当", "no_fault": "其他/无过错"}[
            self.value
        ]

    @property
    def user_at_fault(self) -> bool:
        return self is not LossCause.NO_FAULT


class RepairOutcome(StrEnum):
    REPAIRED = "repaired"
    REPLACED = "replaced"
    SCRAPPED = "scrapped"

    @property
    def label(self) -> str:
        return {"repaired": "已修复", "replaced": "已更换", "scrapped": "报废"}[self.value]


class CustodyEvent(StrEnum):
    CHECKED_OUT = "custody:period:checkout"
    RETURNED = "custody:period:return"
    HANDED_OVER = "custody:period:handover"
    FAULT_REPORTED = "custody:fault:report"
    FAULT_REGISTERED = "custody:fault:register"
    REPAIR_ORDERED = "custody:repair:order"
    REPAIR_DONE = "custody:repair:complete"
    CASE_OPENED = "custody:loss_case:open"
    CASE_DECIDED = "custody:loss_case:decide"
    NOTIFIED = "custody:notification:create"
    NOTICE_READ = "custody:notification:read"


@dataclass(frozen=True)
class PreUseCheck:
    """R11.1: battery, free storage and the device clock against the reference time."""

    battery_pct: int
    free_hours: float
    clock_offset_s: float


@dataclass(frozen=True)
class CheckLimits:
    min_battery_pct: int = 80
    min_free_hours: float = 8.0
    max_clock_offset_s: float = 30.0


@dataclass(frozen=True)
class CheckoutIn:
    serial: str
    officer_badge: str
    check: PreUseCheck
    override_reason: str = ""  # the device administrator's reason to issue despite a failed check


class FaultStatus(StrEnum):
    REPORTED = "reported"
    REGISTERED = "registered"
    IN_REPAIR = "in_repair"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {
            "reported": "已报告",
            "registered": "已登记",
            "in_repair": "维修中",
            "closed": "已结束",
        }[self.value]


class CaseKind(StrEnum):
    LOSS = "loss"
    DAMAGE = "damage"

    @property
    def label(self) -> str:
        return {"loss": "丢失", "damage": "损坏"}[self.value]


def reason_label(check_failures: list[str] | None) -> str:
    """What the administrator's reason to issue is called in the ledger: 超限理由 when a
    pre-use check was over its limit (R11.1), 例外理由 when the checks passed and the reason
    covers an exception (an officer of another unit)."""
    return "超限理由" if check_failures else "例外理由"
