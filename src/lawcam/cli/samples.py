"""``lawcam sample``: conduct-review sampling (第十三条, R13.1) — draw recordings at random with a
recorded seed, list and show samples, record a result per recording. ``--by`` names the person
acting (engineering supervision or a unit head); the console itself neither draws nor reviews."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from lawcam.access import sampling
from lawcam.access.models import Sample
from lawcam.access.sample_types import DEFAULT_DAYS, Reason, Result
from lawcam.activities.types import ActivityKind
from lawcam.cli.access import ByOpt, acting
from lawcam.cli.common import JsonOpt, command, get_settings, open_database, print_json, say, table
from lawcam.schemas.access import SampleItemOut, SampleOut
from lawcam.timeutil import local

app = typer.Typer(
    help="执法规范抽查：随机抽取音像资料检查语言行为，记录种子可重抽，逐条登记结果（第十三条）。",
    no_args_is_help=True,
)


def _day(value: datetime) -> date:
    return value.date()


@app.command("draw", help="抽取：按单位、期间、执法活动类型随机抽取资料，并授予抽查人查看权限。")
@command
def draw(
    by: ByOpt,
    date_from: Annotated[
        datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="期间起（YYYY-MM-DD）。")
    ],
    date_to: Annotated[
        datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="期间止（YYYY-MM-DD，含当日）。")
    ],
    size: Annotated[int, typer.Option("--size", help="抽查数量。")],
    unit: Annotated[int | None, typer.Option("--unit", help="单位编号（含下级单位）。")] = None,
    kind: Annotated[ActivityKind | None, typer.Option("--kind", help="执法活动类型。")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="随机种子（不填则随机生成）。")] = None,
    days: Annotated[int, typer.Option("--days", help="结果登记期限（天）。")] = DEFAULT_DAYS,
    reviewer: Annotated[
        int | None, typer.Option("--reviewer", help="抽查人的人员编号（不填为本人）。")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    filters = sampling.Filters(_day(date_from), _day(date_to), unit, kind)
    data = sampling.Draw(filters, size, seed, days, reviewer)
    settings = get_settings()
    with open_database(settings) as database, database.unit_of_work() as session:
        row = sampling.draw(session=session, actor=acting(session, by), data=data)
        shown = _out(session, row)
    if as_json:
        print_json(shown.model_dump(mode="json"))
        return
    ids = "、".join(f"#{i.recording_id}" for i in shown.items)
    say(f"抽查 #{shown.id}：从 {shown.population} 条中抽取 {shown.size} 条（种子 {shown.seed}）：{ids}；"
        f"{shown.reviewer} 可查看至 {local(shown.due_at)}。")  # fmt: skip


def _out(session: Session, row: Sample) -> SampleOut:
    grant = sampling.grant_of(session, row.id)
    return SampleOut.of(row, grant.id if grant else None)


@app.command("list", help="列出本人可见的抽查。")
@command
def list_samples(by: ByOpt, as_json: JsonOpt = False) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.read() as session:
        rows = sampling.list_samples(session=session, actor=acting(session, by))
        shown = [_out(session, row) for row in rows]
    if as_json:
        print_json([s.model_dump(mode="json") for s in shown])
        return
    table(
        "执法规范抽查",
        ["编号", "期间", "类型", "总体", "抽取", "种子", "抽查人", "已登记", "不规范", "期限"],
        [[s.id, f"{s.date_from}～{s.date_to}", s.kind_label, s.population, s.size, s.seed,
          s.reviewer, s.recorded, s.noncompliant, local(s.due_at)] for s in shown],
    )  # fmt: skip


@app.command("show", help="显示一次抽查：条件、总体、种子和每条资料的结果。")
@command
def show(
    sample_id: Annotated[int, typer.Argument(help="抽查编号。")],
    by: ByOpt,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.read() as session:
        row = sampling.get_sample(session=session, actor=acting(session, by), sample_id=sample_id)
        shown = _out(session, row)
    if as_json:
        print_json(shown.model_dump(mode="json"))
        return
    say(f"抽查 #{shown.id}：{shown.drawn_by} 于 {local(shown.drawn_at)} 抽取；{shown.date_from}～"
        f"{shown.date_to}，{shown.kind_label}；总体 {shown.population} 条，种子 {shown.seed}。")  # fmt: skip
    table(
        "所抽资料",
        ["序", "资料", "结果", "情形", "说明", "登记人"],
        [[i.position + 1, i.recording_id, i.result_label, i.reason_label, i.note, i.recorded_by]
         for i in shown.items],
    )  # fmt: skip


@app.command(
    "result", help="登记一条资料的抽查结果：compliant（规范）或 noncompliant（不规范，须写情形）。"
)
@command
def result(
    sample_id: Annotated[int, typer.Argument(help="抽查编号。")],
    by: ByOpt,
    recording: Annotated[int, typer.Option("--recording", help="资料编号。")],
    outcome: Annotated[Result, typer.Option("--result", help="compliant 或 noncompliant。")],
    reason: Annotated[
        Reason | None,
        typer.Option("--reason", help="language、conduct、not_announced 或 other。"),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="说明。")] = "",
    as_json: JsonOpt = False,
) -> None:
    data = sampling.ResultData(recording, outcome, reason, note)
    settings = get_settings()
    with open_database(settings) as database, database.unit_of_work() as session:
        item = sampling.record_result(
            session=session, actor=acting(session, by), sample_id=sample_id, data=data
        )
        shown = SampleItemOut.of(item)
    if as_json:
        print_json(shown.model_dump(mode="json"))
        return
    extra = f"（{shown.reason_label}）" if shown.reason_label else ""
    say(f"已登记抽查 #{sample_id} 资料 #{shown.recording_id}：{shown.result_label}{extra}。")
