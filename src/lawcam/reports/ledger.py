"""The custody ledger (台账, R9.2) as rows and as a paper-style workbook (one sheet per unit,
Chinese headers), each period on the page with the enforcement activities of its officer in it
(第十条); the fault and repair view per model (R16.1) and loss and damage cases with
compensation per person and unit (R17.1). Everything here only reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lawcam.activities.views import activities_by_period, period_days
from lawcam.authz import Action, Actor
from lawcam.custody import queries
from lawcam.custody.models import CustodyPeriod, FaultReport, LossCase, RepairOrder
from lawcam.custody.types import CaseKind, Condition, LossCause, RepairOutcome, reason_label
from lawcam.equipment.models import Device
from lawcam.evidence.queries import PeriodRecordings, recorded_in
from lawcam.evidence.types import MediaKind
from lawcam.timeutil import SHANGHAI

LEDGER_HEADERS = (
    "序号",
    "设备资产编号",
    "序列号",
    "领用人",
    "执法证号",
    "领用时间",
    "发放人",
    "电量",
    "剩余存储(小时)",
    "时钟偏差(秒)",
    "检查结论",
    "超限理由/例外理由",
    "归还时间",
    "接收人",
    "归还状态",
    "记录数",
    "记录时长",
    "记录内容",
)
LEDGER_WIDTHS = (6, 16, 16, 10, 14, 20, 16, 8, 14, 12, 36, 36, 20, 16, 10, 8, 14, 40)
DETAIL_SHEET = "记录内容明细"
DETAIL_HEADERS = (
    "单位",
    "台账序号",
    "设备",
    "领用人",
    "记录编号",
    "开始时间",
    "时长",
    "类型",
    "链接",
)
DETAIL_WIDTHS = (20, 10, 16, 10, 10, 20, 14, 8, 48)
SHEET_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def shanghai_iso(dt: datetime | None) -> str | None:
    """A stored UTC time as Asia/Shanghai ISO 8601 (seconds), e.g. 2026-11-30T19:00:26+08:00."""
    if dt is None:
        return None
    return dt.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _shown(dt: datetime | None) -> str:
    return "" if dt is None else dt.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def duration_text(seconds: float | None) -> str:
    """A duration as staff write it: 1小时02分03秒, 3分20秒, 12秒."""
    if seconds is None:
        return "时长未知"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes:02d}分{secs:02d}秒"
    return f"{minutes}分{secs:02d}秒" if minutes else f"{secs}秒"


def recording_url(recording_id: int) -> str:
    """The recording's page (its facts; the content needs a grant, R15.2)."""
    return f"/recordings/{recording_id}"


def recordings_json(recorded: PeriodRecordings) -> dict[str, Any]:
    """A period's 记录内容: count and duration for every reader of the row, links only to what
    the reader may open (``hidden`` counts the others)."""
    return {
        "count": recorded.count,
        "duration_s": round(recorded.duration_s, 3),
        "shown": [
            {
                "id": r.id,
                "start_at": shanghai_iso(r.start_at),
                "duration_s": r.duration_s,
                "kind": r.kind,
                "url": recording_url(r.id),
            }
            for r in recorded.shown
        ],
        "hidden": recorded.hidden,
    }


@dataclass(frozen=True)
class PeriodActivities:
    """The activities of a period's officer on the days of the period (``count``), and the
    activity list filtered to them (``url``; empty when the officer has no badge to filter by)."""

    count: int
    url: str


def activities_url(badge: str, first: date, last: date | None) -> str:
    """The activity list of one officer, arrived from ``first`` to ``last`` (no last: on)."""
    days = {"from": first.isoformat(), "to": last.isoformat() if last else ""}
    return "/activities?" + urlencode({"officer": badge, **days})


@dataclass(frozen=True)
class LedgerEntry:
    """A ledger row: the custody period and what its device recorded in it (R9.2); on the
    page, the activities of its officer in it (None: the reader sees no activities)."""

    period: CustodyPeriod
    recorded: PeriodRecordings
    activities: PeriodActivities | None = None


def ledger_entries(
    *,
    session: Session,
    actor: Actor,
    unit_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    with_activities: bool = False,
) -> list[LedgerEntry]:
    """The ledger with its 记录内容: the periods, then their recordings; with
    ``with_activities``, their officers' activities in one more query."""
    periods = queries.ledger(
        session=session, actor=actor, unit_id=unit_id, since=since, until=until
    )
    return entries_of(
        session=session, actor=actor, periods=periods, with_activities=with_activities
    )


def entries_of(
    *,
    session: Session,
    actor: Actor,
    periods: Sequence[CustodyPeriod],
    with_activities: bool = False,
) -> list[LedgerEntry]:
    """Ledger rows (a page of the ledger, or all of it) with their 记录内容 and activities."""
    recorded = recorded_in(session=session, actor=actor, period_ids=[p.id for p in periods])
    activities = (
        period_activities(session=session, actor=actor, periods=periods)
        if with_activities
        else None
    )
    return [
        LedgerEntry(
            p,
            recorded.get(p.id, PeriodRecordings()),
            activities.get(p.id) if activities is not None else None,
        )
        for p in periods
    ]


def period_activities(
    *, session: Session, actor: Actor, periods: Sequence[CustodyPeriod]
) -> dict[int, PeriodActivities] | None:
    """Each period's activities (``activities.views.activities_by_period``) with the link to
    them; None when the reader sees no activities."""
    counts = activities_by_period(session=session, actor=actor, periods=periods)
    if counts is None:
        return None
    found = {}
    for period in periods:
        badge = period.officer.badge or ""
        url = activities_url(badge, *period_days(period)) if badge else ""
        found[period.id] = PeriodActivities(counts.get(period.id, 0), url)
    return found


def period_row(period: CustodyPeriod, recorded: PeriodRecordings | None = None) -> dict[str, Any]:
    """One ledger row as JSON (times in Asia/Shanghai); with ``recorded``, its 记录内容."""
    row: dict[str, Any] = {
        "id": period.id,
        "device": period.device.serial,
        "asset_no": period.device.asset_no,
        "unit": period.device.unit.name,
        "officer": period.officer.name,
        "badge": period.officer.badge,
        "issued_at": shanghai_iso(period.issued_at),
        "issued_by": period.issued_by,
        "battery_pct": period.battery_pct,
        "free_hours": period.free_hours,
        "clock_offset_s": period.clock_offset_s,
        "check_failures": list(period.check_failures or []),
        "override_reason": period.override_reason,
        "reason_label": reason_label(period.check_failures),
        "returned_at": shanghai_iso(period.returned_at),
        "returned_to": period.returned_to,
        "condition": period.condition,
    }
    if recorded is not None:
        row["recordings"] = recordings_json(recorded)
    return row


def ledger_rows(
    *,
    session: Session,
    actor: Actor,
    unit_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    entries = ledger_entries(
        session=session, actor=actor, unit_id=unit_id, since=since, until=until
    )
    return [period_row(e.period, e.recorded) for e in entries]


def check_text(row: dict[str, Any]) -> str:
    """The pre-use check's conclusion (R11.1)."""
    failures = [str(f) for f in row["check_failures"]]
    return "未通过：" + "；".join(failures) if failures else "合格"


def reason_text(row: dict[str, Any]) -> str:
    """超限理由 (a failed check issued anyway) or 例外理由 (issued across units), named."""
    if not row["override_reason"]:
        return ""
    return f"{reason_label(row['check_failures'])}：{row['override_reason']}"


def content_text(recordings: dict[str, Any]) -> str:
    """The 记录内容 cell: each recording the reader may open, and how many others there are."""
    parts = [
        f"#{r['id']} {_shown_iso(r['start_at'])[5:16]} {duration_text(r['duration_s'])}"
        for r in recordings["shown"]
    ]
    if recordings["hidden"]:
        parts.append(f"另有 {recordings['hidden']} 条无权查看")
    return "；".join(parts) if parts else "无"


def _condition_label(code: str | None) -> str:
    if code is None:
        return "未归还"
    try:
        return Condition(code).label
    except ValueError:
        return code


def sheet_title(name: str, used: set[str]) -> str:
    base = (name.translate(SHEET_FORBIDDEN).strip("'") or "台账")[:31]
    title, n = base, 1
    while title in used:
        n += 1
        suffix = f"({n})"
        title = base[: 31 - len(suffix)] + suffix
    used.add(title)
    return title


def _header(sheet: Any, headers: Sequence[str], widths: Sequence[int]) -> None:
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for column, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = sheet.cell(row=1, column=column, value=header)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"


def _put(sheet: Any, row: int, values: Sequence[Any]) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # no formula injection


def _ledger_values(number: int, row: dict[str, Any]) -> tuple[Any, ...]:
    recordings = row.get("recordings") or recordings_json(PeriodRecordings())
    return (
        number,
        row["asset_no"],
        row["device"],
        row["officer"],
        row["badge"] or "",
        _shown_iso(row["issued_at"]),
        row["issued_by"],
        f"{row['battery_pct']}%",
        row["free_hours"],
        row["clock_offset_s"],
        check_text(row),
        reason_text(row),
        _shown_iso(row["returned_at"]),
        row["returned_to"] or "",
        _condition_label(row["condition"]),
        recordings["count"],
        duration_text(recordings["duration_s"]) if recordings["count"] else "",
        content_text(recordings),
    )


def _kind_label(code: str) -> str:
    try:
        return MediaKind(code).label
    except ValueError:
        return code


def _detail_rows(
    detail: Any, unit: str, number: int, row: dict[str, Any], base_url: str
) -> int | None:
    """Writes the period's openable recordings to the detail sheet, each linked to its page;
    returns the first detail row written (None when there is none)."""
    first = None
    for item in (row.get("recordings") or {}).get("shown", []):
        at = detail.max_row + 1
        first = first or at
        url = base_url.rstrip("/") + str(item["url"])
        values = (
            unit,
            number,
            row["device"],
            row["officer"],
            f"#{item['id']}",
            _shown_iso(item["start_at"]),
            duration_text(item["duration_s"]),
            _kind_label(str(item["kind"])),
            url,
        )
        _put(detail, at, values)
        detail.cell(row=at, column=9).hyperlink = url
        detail.cell(row=at, column=5).hyperlink = url
    return first


def write_ledger_xlsx(
    path: Path, rows: Sequence[dict[str, Any]], units: Sequence[str], *, base_url: str
) -> int:
    """The ledger as a workbook: one sheet per unit (``units`` gives the order and the sheets
    to make even when empty), rows numbered from 1 as on paper; then the sheet 记录内容明细 with
    each recording the reader may open, linked to its page at ``base_url`` (the 记录内容 cell of
    a row links to its first line there). Returns the rows written."""
    by_unit: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_unit[str(row["unit"])].append(row)
    names = list(dict.fromkeys([*units, *by_unit])) or ["台账"]
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.worksheets[0])
    used: set[str] = {DETAIL_SHEET}
    sheets = [(name, workbook.create_sheet(sheet_title(name, used))) for name in names]
    detail = workbook.create_sheet(DETAIL_SHEET)
    _header(detail, DETAIL_HEADERS, DETAIL_WIDTHS)
    for name, sheet in sheets:
        _header(sheet, LEDGER_HEADERS, LEDGER_WIDTHS)
        for number, row in enumerate(by_unit.get(name, []), start=1):
            _put(sheet, number + 1, _ledger_values(number, row))
            first = _detail_rows(detail, name, number, row, base_url)
            if first is not None:
                cell = sheet.cell(row=number + 1, column=len(LEDGER_HEADERS))
                cell.hyperlink = Hyperlink(
                    ref=cell.coordinate, location=f"'{DETAIL_SHEET}'!A{first}"
                )
    workbook.save(path)
    return len(rows)


def _shown_iso(value: str | None) -> str:
    return "" if value is None else _shown(datetime.fromisoformat(value))


# Faults and repairs per model (R16.1) ----------------------------------------------------------


def _visible(stmt: Any, session: Session, actor: Actor) -> Any:
    actor.require(Action.EQUIPMENT_VIEW)
    return queries.permitted(session, stmt, actor, Action.EQUIPMENT_VIEW)


def faults_by_model(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Per model: faults reported, repairs completed (by outcome) and the mean days from the
    repair order to its completion."""
    faults = session.scalars(
        _visible(
            select(FaultReport)
            .join(Device, FaultReport.device_id == Device.id)
            .options(selectinload(FaultReport.device).selectinload(Device.model)),
            session,
            actor,
        )
    ).all()
    orders = session.scalars(
        _visible(
            select(RepairOrder)
            .join(FaultReport, RepairOrder.fault_id == FaultReport.id)
            .join(Device, FaultReport.device_id == Device.id),
            session,
            actor,
        )
    ).all()
    rows: dict[int, dict[str, Any]] = {}
    days: dict[int, list[float]] = defaultdict(list)
    for fault in faults:
        model = fault.device.model
        row = rows.setdefault(
            model.id,
            {
                "model": model.model,
                "maker": model.maker,
                "faults": 0,
                "repairs_ordered": 0,
                "repairs_done": 0,
                "outcomes": {o.value: 0 for o in RepairOutcome},
                "mean_repair_days": None,
            },
        )
        row["faults"] += 1
    for order in orders:
        row = rows[order.fault.device.model_id]
        row["repairs_ordered"] += 1
        if order.completed_at is not None:
            row["repairs_done"] += 1
            if order.outcome:
                row["outcomes"][order.outcome] = row["outcomes"].get(order.outcome, 0) + 1
            elapsed = order.completed_at - order.ordered_at
            days[order.fault.device.model_id].append(elapsed.total_seconds() / 86400)
    for model_id, spans in days.items():
        rows[model_id]["mean_repair_days"] = round(sum(spans) / len(spans), 2)
    return sorted(rows.values(), key=lambda r: (-int(r["faults"]), str(r["model"])))


# Loss and damage cases (R17.1) -----------------------------------------------------------------


def _yuan(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def case_row(case: LossCase) -> dict[str, Any]:
    custodian = case.custodian
    return {
        "id": case.id,
        "device": case.device.serial,
        "asset_no": case.device.asset_no,
        "unit": case.device.unit.name,
        "price": _yuan(case.device.purchase_price),
        "kind": case.kind,
        "kind_label": CaseKind(case.kind).label,
        "custodian": custodian.name if custodian else None,
        "badge": custodian.badge if custodian else None,
        "description": case.description,
        "opened_at": shanghai_iso(case.opened_at),
        "opened_by": case.opened_by,
        "cause": case.cause,
        "cause_label": LossCause(case.cause).label if case.cause else None,
        "decision": case.decision,
        "decided_by": case.decided_by,
        "decided_at": shanghai_iso(case.decided_at),
        "compensation": _yuan(case.compensation),
    }


def loss_report(*, session: Session, actor: Actor) -> dict[str, Any]:
    """Every visible case, and per person (the custodian) and per unit (the device's): the
    number of cases, how many found the user at fault, and the compensation owed."""
    cases = session.scalars(
        _visible(
            select(LossCase)
            .join(Device, LossCase.device_id == Device.id)
            .options(selectinload(LossCase.device), selectinload(LossCase.custodian))
            .order_by(LossCase.opened_at, LossCase.id),
            session,
            actor,
        )
    ).all()
    rows = [case_row(c) for c in cases]
    people: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    units: dict[str, dict[str, Any]] = {}
    for row in rows:
        owed = Decimal(row["compensation"] or "0")
        at_fault = bool(row["cause"]) and LossCause(row["cause"]).user_at_fault
        person = people.setdefault(
            (row["custodian"], row["badge"]),
            {
                "person": row["custodian"],
                "badge": row["badge"],
                "cases": 0,
                "at_fault": 0,
                "compensation": Decimal("0.00"),
            },
        )
        unit = units.setdefault(
            row["unit"],
            {"unit": row["unit"], "cases": 0, "at_fault": 0, "compensation": Decimal("0.00")},
        )
        for entry in (person, unit):
            entry["cases"] += 1
            entry["at_fault"] += int(at_fault)
            entry["compensation"] += owed
    for entry in [*people.values(), *units.values()]:
        entry["compensation"] = _yuan(entry["compensation"])
    return {"cases": rows, "people": list(people.values()), "units": list(units.values())}
