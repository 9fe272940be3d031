"""``lawcam hold``, ``lawcam disposal`` and ``lawcam retention``: legal holds (保全), disposal
after retention (第十四条第（二）项, R14.2, R15.1) and the effective retention kept for the reports.

Holds and disposal are acts of a person (``--by``): the console neither holds nor disposes. A
disposal batch is proposed by the unit's device administrator, approved by the unit head and
then engineering supervision, and run by hand; ``propose --dry-run`` shows exactly what would
go and changes nothing."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.orm import Session

from lawcam.audit.signing import load_signer
from lawcam.authz import Action, Actor
from lawcam.cli import access as access_cli
from lawcam.cli.common import (
    JsonOpt,
    actor,
    command,
    get_settings,
    open_database,
    print_json,
    say,
    table,
    unit_named,
)
from lawcam.errors import Conflict, InvalidInput
from lawcam.retention import disposal, holds, queries, reports
from lawcam.retention.effective import Retention, derive
from lawcam.retention.models import DisposalBatch
from lawcam.retention.recompute import recompute as recompute_all
from lawcam.retention.types import Outcome
from lawcam.schemas.disposal import CandidateOut, DisposalBatchOut, ExpiringOut
from lawcam.schemas.retention import HoldOut
from lawcam.storage import open_store
from lawcam.timeutil import local, today_shanghai

hold_app = typer.Typer(
    help="保全：音像资料在诉讼、投诉、调查期间不受任何期限限制地保存；解除须写明理由并经他人审批。",
    no_args_is_help=True,
)
disposal_app = typer.Typer(
    help="保存期限届满后的销毁：设备管理员提出，单位负责人、工程监管处两级审批后手动执行；"
    "从不自动销毁（第十四条）。",
    no_args_is_help=True,
)
retention_app = typer.Typer(
    help="保存期限：重新计算每条资料的有效保存期限；即将到期的统计。", no_args_is_help=True
)

ByOpt = Annotated[str, typer.Option("--by", help="经办人的执法证号（本人）。")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="理由（必填）。")]
HoldArg = Annotated[int, typer.Argument(help="保全编号。")]
BatchArg = Annotated[int, typer.Argument(help="销毁批次编号。")]
UnitOpt = Annotated[str, typer.Option("--unit", help="单位名称。")]
RecordingsOpt = Annotated[
    list[int] | None,
    typer.Option("--recording", help="资料编号（可多次）。", metavar="<整数>"),
]


def register(app: typer.Typer) -> None:
    app.add_typer(hold_app, name="hold")
    app.add_typer(disposal_app, name="disposal")
    app.add_typer(retention_app, name="retention")


# Holds ---------------------------------------------------------------------------------------


def _hold_state(hold: HoldOut) -> str:
    if not hold.live:
        return f"已解除（{hold.released_by}）"
    return "待审批解除" if hold.release_requested_at else "保全中"


@hold_app.command("place", help="对一条或多条资料实施保全，须写明理由。")
@command
def place(
    by: ByOpt,
    reason: ReasonOpt,
    recording: RecordingsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    if not recording:
        raise InvalidInput("请用 --recording 指定至少一条资料。", field="recording")
    settings = get_settings()
    store = open_store(settings.resolved_storage_url)
    with open_database(settings) as database, database.unit_of_work() as session:
        placed = holds.place(session=session, actor=access_cli.acting(session, by), store=store,
                             recording_ids=recording, reason=reason)  # fmt: skip
        shown = [HoldOut.of(hold) for hold in placed]
    if as_json:
        print_json({"holds": shown})
        return
    made = "、".join(f"#{h.id}（资料 #{h.recording_id}）" for h in shown)
    say(f"已保全 {len(shown)} 条资料：{made}。")


@hold_app.command("list", help="列出保全（默认只列未解除的）。")
@command
def list_holds(
    by: ByOpt,
    everything: Annotated[bool, typer.Option("--all", help="包括已解除的。")] = False,
    recording: Annotated[int | None, typer.Option("--recording", help="资料编号。")] = None,
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        rows = queries.list_holds(session=session, actor=access_cli.acting(session, by),
                                  live=None if everything else True, recording_id=recording)  # fmt: skip
        shown = [HoldOut.of(hold) for hold in rows]
    if as_json:
        print_json({"holds": shown})
        return
    table(
        f"保全（共 {len(shown)} 项）",
        ["编号", "资料", "理由", "实施人", "实施时间", "状态"],
        [[h.id, h.recording_id, h.reason, h.placed_by, local(h.placed_at), _hold_state(h)]
         for h in shown],
    )  # fmt: skip


@hold_app.command("release-request", help="申请解除保全，须写明理由，由另一名有权人员审批。")
@command
def release_request(
    hold_id: HoldArg, by: ByOpt, reason: ReasonOpt, as_json: JsonOpt = False
) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        who = access_cli.acting(session, by)
        hold = queries.get_hold(session=session, actor=who, hold_id=hold_id,
                                action=queries.visible_holds(session, who))  # fmt: skip
        holds.ask_release(session=session, actor=who, hold=hold, reason=reason)
        shown = HoldOut.of(hold)
    if as_json:
        print_json(shown)
        return
    say(f"已申请解除保全 #{hold_id}，待审批。")


@hold_app.command(
    "release-approve", help="批准解除保全（不能批准本人的申请）；资料仍按其保存期限保存。"
)
@command
def release_approve(hold_id: HoldArg, by: ByOpt, as_json: JsonOpt = False) -> None:
    settings = get_settings()
    store = open_store(settings.resolved_storage_url)
    with open_database(settings) as database, database.unit_of_work() as session:
        who = access_cli.acting(session, by)
        hold = queries.get_hold(session=session, actor=who, hold_id=hold_id,
                                action=queries.visible_holds(session, who))  # fmt: skip
        holds.approve_release(session=session, actor=who, store=store, hold=hold)
        shown = HoldOut.of(hold)
    if as_json:
        print_json(shown)
        return
    say(f"已解除保全 #{hold_id}；资料 #{shown.recording_id} 仍按其保存期限保存。")


# Disposal ------------------------------------------------------------------------------------


def _candidates_table(title: str, rows: list[CandidateOut]) -> None:
    table(
        title,
        ["资料", "录制时间", "字节数", "保存至", "依据"],
        [[r.recording_id, local(r.start_at), r.size, r.retain_until,
          "；".join(r.reasons) or "入库时承诺的保存期限"] for r in rows],
    )  # fmt: skip


def _candidates(
    session: Session, who: Actor, unit: str, today: date | None = None
) -> list[reports.Candidate]:
    """The dry run, as the proposer's page shows it: what a batch of every candidate takes."""
    who.require(Action.DISPOSAL_PROPOSE)
    found = disposal.candidates(
        session=session, actor=who, unit_id=unit_named(session, unit).id, today=today
    )
    return reports.with_facts(session, found)


@disposal_app.command(
    "candidates", help="列出本单位保存期限已届满、不在未结案件中、未被保全的资料。"
)
@command
def candidates(by: ByOpt, unit: UnitOpt, as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        found = _candidates(session, access_cli.acting(session, by), unit)
        shown = [CandidateOut.of(candidate) for candidate in found]
    if as_json:
        print_json({"candidates": shown})
        return
    _candidates_table(f"可销毁的资料（共 {len(shown)} 条）", shown)


@disposal_app.command(
    "propose",
    help="提出销毁批次（单位设备管理员）：默认为全部可销毁资料，或用 --recording 指定；"
    "--dry-run 只显示将销毁哪些，不作任何更改。",
)
@command
def propose(
    by: ByOpt,
    unit: UnitOpt,
    reason: Annotated[str, typer.Option("--reason", help="理由（提出批次时必填）。")] = "",
    recording: RecordingsOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="只显示将销毁的资料，不登记批次。")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    if dry_run:
        _dry_run(by, unit, recording, as_json)
        return
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        batch = disposal.propose(session=session, actor=access_cli.acting(session, by),
                                 unit_id=unit_named(session, unit).id, reason=reason,
                                 recording_ids=recording)  # fmt: skip
        shown = DisposalBatchOut.of(batch)
    if as_json:
        print_json(shown)
        return
    say(f"已提出销毁批次 #{shown.id}（{len(shown.items)} 条资料），待单位负责人审批。")


def _dry_run(by: str, unit: str, ids: list[int] | None, as_json: bool) -> None:
    """What ``propose`` would put in the batch, read as it reads (nothing is written); a named
    recording that may not go is refused with the reason, as ``propose`` refuses it."""
    today = today_shanghai()
    with open_database(get_settings()) as database, database.read() as session:
        who = access_cli.acting(session, by)
        found = _candidates(session, who, unit, today)
        wanted = set(ids or ())
        going = [c for c in found if not wanted or c.retention.recording_id in wanted]
        kept_back = sorted(wanted - {c.retention.recording_id for c in going})
        why = _why_not(derive(session, kept_back), kept_back, today)
        shown = [CandidateOut.of(candidate) for candidate in going]
    if why:
        raise Conflict("以下资料不能销毁：" + "；".join(why[:20]), code="not_disposable")
    if not shown:
        raise InvalidInput("该单位没有保存期限已届满、可以销毁的资料。", field="recording_ids")
    if as_json:
        print_json({"dry_run": True, "today": today, "candidates": shown,
                    "recording_ids": [c.recording_id for c in shown]})  # fmt: skip
        return
    _candidates_table(f"试运行：将销毁以下 {len(shown)} 条资料（未登记批次，未作任何更改）", shown)


def _why_not(derived: dict[int, Retention], ids: list[int], today: date) -> list[str]:
    found = []
    for rid in ids:
        kept = derived.get(rid)
        reason = None if kept is None else disposal.why_kept(kept, today)
        found.append(f"资料 #{rid}：{reason or '不存在、不属于该单位或已销毁'}")
    return found


def _batch(session: Session, who: Actor, batch_id: int) -> DisposalBatch:
    return queries.get_batch(session=session, actor=who, batch_id=batch_id)


@disposal_app.command(
    "approve", help="审批销毁批次：先由单位负责人，再由工程监管处（不能审批本人提出的）。"
)
@command
def approve(batch_id: BatchArg, by: ByOpt, as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        who = access_cli.acting(session, by)
        batch = _batch(session, who, batch_id)
        disposal.approve(session=session, actor=who, batch=batch)
        shown = DisposalBatchOut.of(batch)
    if as_json:
        print_json(shown)
        return
    say(f"销毁批次 #{batch_id}：{shown.status_label}。")


@disposal_app.command("reject", help="驳回销毁批次，须写明理由。")
@command
def reject(batch_id: BatchArg, by: ByOpt, reason: ReasonOpt, as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        who = access_cli.acting(session, by)
        batch = _batch(session, who, batch_id)
        disposal.reject(session=session, actor=who, batch=batch, reason=reason)
        shown = DisposalBatchOut.of(batch)
    if as_json:
        print_json(shown)
        return
    say(f"已驳回销毁批次 #{batch_id}。")


class _Bar:
    """A progress bar on the terminal's standard error (as ``ingest`` shows one)."""

    def __init__(self, what: str) -> None:
        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=Console(stderr=True), transient=False,
        )  # fmt: skip
        self.task = self.bar.add_task(what, total=None)
        self.bar.start()

    def done(self, completed: int, total: int | None = None) -> None:
        self.bar.update(self.task, completed=completed, total=total)

    def stop(self) -> None:
        self.bar.stop()


def _bar(what: str, as_json: bool) -> _Bar | None:
    return _Bar(what) if sys.stderr.isatty() and not as_json else None


@disposal_app.command(
    "run",
    help="执行已经两级批准的销毁批次：逐条重新核对保存期限，删除存储对象，写入签名的销毁记录。",
)
@command
def run(batch_id: BatchArg, by: ByOpt, as_json: JsonOpt = False) -> None:
    settings = get_settings()
    signer = load_signer(settings.home)
    store = open_store(settings.resolved_storage_url)
    with open_database(settings) as database:
        with database.read() as session:
            who = access_cli.acting(session, by)
        bar = _bar("销毁", as_json)
        try:
            report = disposal.run(database=database, actor=who, store=store, signer=signer,
                                  batch_id=batch_id, progress=bar.done if bar else None)  # fmt: skip
        finally:
            if bar:
                bar.stop()
        with database.read() as session:
            shown = DisposalBatchOut.of(_batch(session, who, batch_id))
    counts = {str(outcome): report.count(outcome) for outcome in Outcome}
    if as_json:
        print_json({**shown.model_dump(mode="json"), "outcomes": counts})
        return
    say(
        f"销毁批次 #{batch_id}：已销毁 {counts['disposed']} 条，保留 {counts['kept']} 条，"
        f"存储拒绝 {counts['refused']} 条。"
    )
    for item in shown.items:
        if item.note:
            say(f"资料 #{item.recording_id}：{item.outcome_label}，{item.note}")


@disposal_app.command("list", help="列出销毁批次。")
@command
def list_batches(by: ByOpt, as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        rows = queries.list_batches(session=session, actor=access_cli.acting(session, by))
        shown = [DisposalBatchOut.of(batch) for batch in rows]
        units = {batch.id: batch.unit.name for batch in rows}
    if as_json:
        print_json({"batches": shown})
        return
    table(
        f"销毁批次（共 {len(shown)} 个）",
        ["编号", "单位", "资料数", "提出人", "提出时间", "状态"],
        [[b.id, units[b.id], len(b.items), b.proposed_by, local(b.proposed_at), b.status_label]
         for b in shown],
    )  # fmt: skip


@disposal_app.command("show", help="显示一个销毁批次：审批经过和每条资料的执行结果。")
@command
def show(batch_id: BatchArg, by: ByOpt, as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        shown = DisposalBatchOut.of(_batch(session, access_cli.acting(session, by), batch_id))
    if as_json:
        print_json(shown)
        return
    for label, value in (("理由", shown.reason), ("状态", shown.status_label),
                         ("提出人", shown.proposed_by), ("单位负责人审批", shown.head_by),
                         ("工程监管处审批", shown.supervision_by), ("驳回人", shown.rejected_by),
                         ("驳回理由", shown.reject_reason), ("执行人", shown.run_by)):  # fmt: skip
        if value:
            say(f"{label}：{value}")
    table(
        "资料",
        ["资料", "提议时保存至", "执行结果", "说明"],
        [[i.recording_id, i.retain_until, i.outcome_label, i.note] for i in shown.items],
    )


# Retention -----------------------------------------------------------------------------------


@retention_app.command(
    "recompute",
    help="由案件、关联、保全和延期记录重新计算每条资料的有效保存期限，补齐滞后的状态、"
    "延期记录和存储锁定；不会缩短任何期限。",
)
@command
def recompute(as_json: JsonOpt = False) -> None:
    settings = get_settings()
    store = open_store(settings.resolved_storage_url)
    bar = _bar("重新计算", as_json)
    try:
        with open_database(settings) as database, database.unit_of_work() as session:
            done = recompute_all(session=session, actor=actor(), store=store,
                                 progress=bar.done if bar else None)  # fmt: skip
    finally:
        if bar:
            bar.stop()
    if as_json:
        print_json({"scanned": done.scanned, "settled": done.settled})
        return
    say(f"已核对 {done.scanned} 条保存期限超出入库承诺的资料，更新 {done.settled} 条。")


@retention_app.command(
    "report", help="今后 30、90、365 天内（以配置为准）保存期限届满的资料，按单位统计。"
)
@command
def report(
    unit: Annotated[str | None, typer.Option("--unit", help="单位名称（不填为全部）。")] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="查看人的执法证号（不填则以本机控制台身份）。")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.read() as session:
        who = actor() if by is None else access_cli.acting(session, by)
        found = reports.expiring(session=session, actor=who, days=settings.retention_report_days,
                                 unit_id=unit_named(session, unit).id if unit else None)  # fmt: skip
        shown = ExpiringOut.of(found)
    if as_json:
        print_json(shown)
        return
    table(
        f"保存期限届满统计（{shown.today}，条数）",
        ["单位", "已届满未销毁", *(f"{d} 天内" for d in shown.days), "无限期保存"],
        [[row.unit, row.overdue.count, *(row.within[d].count for d in shown.days),
          row.indefinite.count] for row in [*shown.units, shown.total]],
    )  # fmt: skip
