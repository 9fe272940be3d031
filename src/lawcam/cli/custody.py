"""``lawcam custody``, ``lawcam fault`` and ``lawcam loss``: checkout with the pre-use check,
return and handover (R9.2, R11.1), faults and central repair (R16.1), loss and damage cases
with compensation (R17.1). Every step goes through the custody services, audited in the same
transaction; a refused step exits 2 with a Chinese message and writes nothing."""

from __future__ import annotations

from typing import Annotated, TypeVar

import typer
from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.cli.common import JsonOpt, actor, command, get_settings, open_database, print_json, say
from lawcam.config import Settings
from lawcam.custody import faults, queries, service
from lawcam.custody.models import CustodyPeriod, FaultReport
from lawcam.custody.types import (
    CaseKind,
    CheckLimits,
    CheckoutIn,
    Condition,
    FaultStatus,
    LossCause,
    PreUseCheck,
    RepairOutcome,
)
from lawcam.equipment import queries as equipment
from lawcam.equipment.types import DeviceStatus
from lawcam.errors import InvalidInput
from lawcam.schemas.custody import FaultOut, LossCaseOut, PeriodOut, RepairOut

custody_app = typer.Typer(
    help="设备领用、归还和交接（领用前检查，第九条、第十一条）。", no_args_is_help=True
)
fault_app = typer.Typer(help="设备故障报告、登记和集中维修（第十六条）。", no_args_is_help=True)
loss_app = typer.Typer(help="设备丢失与损坏案件和赔偿（第十七条）。", no_args_is_help=True)

DeviceOpt = Annotated[str, typer.Option("--device", help="设备序列号。")]
BatteryOpt = Annotated[int, typer.Option("--battery", help="电量（%）。")]
FreeHoursOpt = Annotated[float, typer.Option("--free-hours", help="剩余存储可录制小时数。")]
OffsetOpt = Annotated[
    float, typer.Option("--clock-offset", help="设备时钟与标准时间的偏差（秒，设备快为正）。")
]
OverrideOpt = Annotated[
    str,
    typer.Option(
        "--override",
        help="执法记录仪管理员准予领用的理由：检查未通过时为超限理由，跨单位领用时为例外理由。",
    ),
]
ByOpt = Annotated[
    str | None,
    typer.Option(
        "--by",
        help="经办的执法记录仪管理员的执法证号（发放人、接收人）；默认为设备所属单位的管理员。",
    ),
]


def desk_actor(session: Session, serial: str, by: str | None) -> Actor:
    """The device administrator at the desk acts (第九条), not the console's operating-system
    user: ``--by`` names that person, by default the device's unit's administrator."""
    device = equipment.device_by_serial(session=session, actor=actor(), serial=serial)
    person = queries.desk_administrator(session=session, device=device, badge=by)
    return queries.desk_actor(person)


def limits_from(settings: Settings) -> CheckLimits:
    return CheckLimits(
        min_battery_pct=settings.checkout_min_battery_pct,
        min_free_hours=settings.checkout_min_free_hours,
        max_clock_offset_s=settings.checkout_max_clock_offset_s,
    )


E = TypeVar("E", Condition, RepairOutcome, CaseKind, LossCause)


def _choice(kind: type[E], text: str, what: str, field: str) -> E:
    value = text.strip()
    for member in kind:
        if value in (member.value, member.label):
            return member
    codes = "、".join(f"{m.value}（{m.label}）" for m in kind)
    raise InvalidInput(f"{what}“{value}”无效，应为：{codes}。", field=field)


def _check_text(period: CustodyPeriod) -> str:
    if period.check_failures:
        text = "检查未通过（" + "；".join(period.check_failures) + "）"
    else:
        text = "检查合格"
    if period.override_reason:
        text += f"，{period.reason_label}：{period.override_reason}"
    return text


# custody -------------------------------------------------------------------------------------


@custody_app.command("checkout", help="领用设备；领用前检查电量、存储和时钟（第十一条）。")
@command
def checkout(
    device: DeviceOpt,
    officer: Annotated[str, typer.Option("--officer", help="领用人执法证号。")],
    battery: BatteryOpt,
    free_hours: FreeHoursOpt,
    clock_offset: OffsetOpt,
    override: OverrideOpt = "",
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    data = CheckoutIn(
        serial=device,
        officer_badge=officer,
        check=PreUseCheck(battery_pct=battery, free_hours=free_hours, clock_offset_s=clock_offset),
        override_reason=override,
    )
    with open_database(settings) as database, database.unit_of_work() as session:
        period = service.checkout(
            session=session,
            actor=desk_actor(session, device, by),
            data=data,
            limits=limits_from(settings),
        )
        result = PeriodOut.of(period)  # what POST /custody/checkout answers
        checked = _check_text(period)
    if as_json:
        print_json(result)
        return
    say(
        f"已领用：设备 {result.device}（{result.asset_no}）交 {result.officer}"
        f"（{result.officer_badge}），{checked}。"
    )


FAULT_COMMAND = {FaultStatus.REPORTED: "register", FaultStatus.REGISTERED: "repair"}


def _fault_step(fault: FaultReport) -> str:
    """R16.1: what the returned device waits for, with the command that does it."""
    command = FAULT_COMMAND.get(FaultStatus(fault.status))
    hint = f"（lawcam fault {command} --id {fault.id}）" if command else ""
    return f"故障报告 #{fault.id}：请{service.next_step(fault)}{hint}。"


@custody_app.command("return", help="归还设备，登记归还状态（完好、故障、损坏、丢失）。")
@command
def return_(
    device: DeviceOpt,
    condition: Annotated[
        str, typer.Option("--condition", help="归还状态：ok、faulty、damaged、lost。")
    ],
    note: Annotated[str, typer.Option("--note", help="说明。")] = "",
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    state = _choice(Condition, condition, "归还状态", "condition")
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        period = service.return_device(
            session=session,
            actor=desk_actor(session, device, by),
            serial=device,
            condition=state,
            note=note,
        )
        fault = service.open_fault(session, period.device_id)
        result = PeriodOut.of(period)  # what POST /custody/return answers
        step = _fault_step(fault) if fault else ""
    if as_json:
        print_json(result)
        return
    say(
        f"已归还：设备 {result.device}，领用人 {result.officer}，状态“{state.label}”；"
        f"设备现为“{DeviceStatus(result.device_status).label}”。{step}"
    )


@custody_app.command("handover", help="两名执法人员之间交接设备（一次记录，第九条）。")
@command
def handover(
    device: DeviceOpt,
    to: Annotated[str, typer.Option("--to", help="接收人执法证号。")],
    battery: BatteryOpt,
    free_hours: FreeHoursOpt,
    clock_offset: OffsetOpt,
    override: OverrideOpt = "",
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.unit_of_work() as session:
        period = service.handover(
            session=session,
            actor=desk_actor(session, device, by),
            serial=device,
            to_badge=to,
            check=PreUseCheck(
                battery_pct=battery, free_hours=free_hours, clock_offset_s=clock_offset
            ),
            limits=limits_from(settings),
            override_reason=override,
        )
        result = PeriodOut.of(period)  # what POST /custody/handover answers
        previous = session.get(type(period), period.handed_over_from_id)
        source = previous.officer.name if previous is not None else ""
        checked = _check_text(period)
    if as_json:
        print_json(result)
        return
    say(
        f"已交接：设备 {result.device} 由 {source} "
        f"交给 {result.officer}（{result.officer_badge}），{checked}。"
    )


# faults --------------------------------------------------------------------------------------


@fault_app.command("report", help="报告设备故障；单位负责人收到通知。")
@command
def fault_report(
    device: DeviceOpt,
    description: Annotated[str, typer.Option("--description", help="故障情况。")],
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        fault = faults.report_fault(
            session=session, actor=actor(), serial=device, description=description
        )
        result = FaultOut.of(fault)
    if as_json:
        print_json(result)
        return
    say(f"已报告故障（编号 {result.id}）：设备 {result.device}，{result.description}")


@fault_app.command("register", help="登记故障报告。")
@command
def fault_register(
    fault_id: Annotated[int, typer.Option("--id", help="故障报告编号。")],
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        result = FaultOut.of(
            faults.register_fault(session=session, actor=actor(), fault_id=fault_id)
        )
    if as_json:
        print_json(result)
        return
    say(f"已登记故障（编号 {result.id}），设备 {result.device}。")


@fault_app.command("repair", help="送集中维修（信息通信保障部），生成维修单。")
@command
def fault_repair(
    fault_id: Annotated[int, typer.Option("--id", help="故障报告编号。")],
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        result = RepairOut.of(
            faults.order_repair(session=session, actor=actor(), fault_id=fault_id)
        )
    if as_json:
        print_json(result)
        return
    say(f"已送修：维修单编号 {result.id}，设备 {result.device}。")


@fault_app.command("complete", help="集中维修完成：登记检测结论和处理结果。")
@command
def fault_complete(
    order: Annotated[int, typer.Option("--order", help="维修单编号。")],
    diagnosis: Annotated[str, typer.Option("--diagnosis", help="检测结论。")],
    outcome: Annotated[
        str, typer.Option("--outcome", help="处理结果：repaired、replaced、scrapped。")
    ],
    as_json: JsonOpt = False,
) -> None:
    result_of = _choice(RepairOutcome, outcome, "处理结果", "outcome")
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        done = faults.complete_repair(
            session=session, actor=actor(), order_id=order, diagnosis=diagnosis, outcome=result_of
        )
        result = RepairOut.of(done)
    if as_json:
        print_json(result)
        return
    say(
        f"维修单 {result.id} 已完成：{result_of.label}；设备 {result.device} 现为"
        f"“{DeviceStatus(result.device_status).label}”，故障{FaultStatus.CLOSED.label}。"
    )


# loss and damage cases -----------------------------------------------------------------------


@loss_app.command("open", help="丢失与损坏案件立案：设备丢失或损坏，记明当时的保管人。")
@command
def loss_open(
    device: DeviceOpt,
    kind: Annotated[str, typer.Option("--kind", help="loss（丢失）或 damage（损坏）。")],
    description: Annotated[str, typer.Option("--description", help="经过说明。")],
    as_json: JsonOpt = False,
) -> None:
    which = _choice(CaseKind, kind, "丢失/损坏类别", "kind")
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        case = faults.open_loss_case(
            session=session, actor=actor(), serial=device, kind=which, description=description
        )
        result = LossCaseOut.of(case)
    if as_json:
        print_json(result)
        return
    say(
        f"丢失与损坏案件已立案（编号 {result.id}）：设备 {result.device}{which.label}，"
        f"保管人 {result.custodian or '无'}。"
    )


@loss_app.command(
    "decide", help="单位负责人对丢失与损坏案件作出决定；使用人有过错的，按原购置价赔偿。"
)
@command
def loss_decide(
    case_id: Annotated[int, typer.Option("--id", help="丢失/损坏案件编号。")],
    cause: Annotated[str, typer.Option("--cause", help="原因：poor_keeping、misuse、no_fault。")],
    decision: Annotated[str, typer.Option("--decision", help="处理决定。")],
    as_json: JsonOpt = False,
) -> None:
    why = _choice(LossCause, cause, "原因", "cause")
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        case = faults.decide_loss_case(
            session=session, actor=actor(), case_id=case_id, cause=why, decision=decision
        )
        result = LossCaseOut.of(case)
    if as_json:
        print_json(result)
        return
    say(
        f"丢失/损坏案件 {result.id} 已决定：{why.label}；"
        f"{result.custodian or '保管人'}应赔偿 {result.compensation} 元。"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(custody_app, name="custody")
    app.add_typer(fault_app, name="fault")
    app.add_typer(loss_app, name="loss")
