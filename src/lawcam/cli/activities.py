"""``lawcam activity …``: enforcement activities (第十条、第十二条、第十四条) — enter, list and
show them, explain and confirm their interruptions. ``--json`` prints the API's shapes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

# Imported for what it registers: a recording leaving an activity linked to a penalty case
# stays in the case (``activities.hooks``, R14.3), whichever command here moves it.
import lawcam.retention.service  # noqa: F401
from lawcam.activities import queries, service
from lawcam.activities.types import KIND_LABELS, ActivityKind, Cause
from lawcam.authz import Actor
from lawcam.cli.common import (
    JsonOpt,
    actor,
    command,
    err,
    get_settings,
    open_database,
    print_json,
    say,
    table,
)
from lawcam.config import Settings
from lawcam.custody.queries import desk_actor
from lawcam.errors import InvalidInput, NotFound
from lawcam.org.queries import person_by_badge
from lawcam.schemas.activities import (
    ActivityOut,
    ActivitySummaryOut,
    InterruptionOut,
    activity_out,
    late_uploads_out,
)
from lawcam.storage import open_store
from lawcam.timeutil import local, parse_day

app = typer.Typer(
    help="执法活动与全过程记录：到场至结束的录像、中断及其说明、24 小时内上传（第十条、第十二条、第十四条）。",
    no_args_is_help=True,
)

KINDS = "、".join(f"{k.value}（{label}）" for k, label in KIND_LABELS.items())
ByOpt = Annotated[
    str | None,
    typer.Option("--by", help="经办人的执法证号（由谁登记；说明中断须为在场执法人员本人）。"),
]


def _moment(text: str, field: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"时间“{text.strip()}”格式应为 ISO 8601，例如 2026-11-30T09:00:00+08:00。", field=field
        ) from None
    if value.tzinfo is None:
        raise InvalidInput(f"时间“{text.strip()}”须带时区，例如 +08:00。", field=field)
    return value


def _kind(text: str) -> ActivityKind:
    for kind, label in KIND_LABELS.items():
        if text.strip() in (kind.value, label):
            return kind
    raise InvalidInput(f"--kind 应为 {KINDS} 之一。", field="kind")


def _acting(session: Session, by: str | None) -> Actor:
    """The named person with their own roles, or the console (its operating-system user)."""
    if by is None:
        return actor()
    person = person_by_badge(session, by.strip())
    if person is None or not person.is_active:
        raise NotFound(f"执法证号为 {by.strip()} 的在职人员不存在。")
    return desk_actor(person)


@app.command("add", help="登记一次执法活动；已收到的录像随即按时间和执法人员关联。")
@command
def add(
    unit: Annotated[str, typer.Option("--unit", help="单位名称。")],
    kind: Annotated[str, typer.Option("--kind", help=f"类别：{KINDS}。")],
    place: Annotated[str, typer.Option("--place", help="执法地点。")],
    arrived: Annotated[str, typer.Option("--arrived", help="到达现场时间（ISO 8601，带时区）。")],
    ended: Annotated[str, typer.Option("--ended", help="现场执法结束时间。")],
    officer: Annotated[
        list[str], typer.Option("--officer", help="在场执法人员的执法证号（可多次）。")
    ],
    announced: Annotated[
        bool | None,
        typer.Option("--announced/--not-announced", help="是否已告知当事人正在记录（第十二条）。"),
    ] = None,
    obstructed: Annotated[bool, typer.Option("--obstructed", help="有人拒绝或阻挠记录。")] = False,
    case: Annotated[str, typer.Option("--case", help="案件编号。")] = "",
    zone: Annotated[str | None, typer.Option("--zone", help="办案区名称。")] = None,
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.unit_of_work() as session:
        data = service.data_named(
            session,
            unit=unit,
            officers=officer,
            zone=zone,
            kind=_kind(kind),
            place=place,
            arrived_at=_moment(arrived, "arrived_at"),
            ended_at=_moment(ended, "ended_at"),
            announced=announced,
            obstructed=obstructed,
            case_number=case,
        )
        activity, warnings = service.add_activity(
            session=session, actor=_acting(session, by), settings=settings, data=data
        )
        shown = activity_out(session, activity, warnings)
    _print(shown, as_json)


@app.command("show", help="显示一次执法活动：关联的录像、覆盖率、中断及说明、上传期限。")
@command
def show(
    activity_id: Annotated[int, typer.Argument(help="活动编号。")],
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.read() as session:
        activity = queries.get_activity(session=session, actor=actor(), activity_id=activity_id)
        shown = activity_out(session, activity)
    _print(shown, as_json)


def _print(shown: ActivityOut, as_json: bool) -> None:
    if as_json:
        print_json(shown)
        return
    for warning in shown.warnings:
        say(f"提示：{warning}")
    officers = "、".join(f"{o.name}（{o.badge}）" for o in shown.officers)
    say(f"执法活动 {shown.id}：{shown.unit} {shown.kind_label}，{shown.place}；在场：{officers}")
    say(
        f"到场 {local(shown.arrived_at)}，结束 {local(shown.ended_at)}；"
        f"上传期限 {local(shown.upload_deadline)}"
    )
    if shown.no_recording:
        say("全过程记录：没有任何录像（第十条）。")
    else:
        say(
            f"全过程记录：覆盖 {shown.coverage:.0%}，录像 {len(shown.recordings)} 段，"
            f"迟交 {len(shown.late_recordings)} 段。"
        )
    rows = [
        [
            i.seq,
            i.kind_label,
            local(i.from_),
            local(i.to),
            f"{i.seconds:.0f} 秒",
            _explained(i),
            "已确认" if i.confirmed else "",
        ]
        for i in shown.interruptions
    ]
    if rows:
        table("中断", ["序号", "类别", "自", "至", "时长", "说明", "确认"], rows)


def _explained(row: InterruptionOut) -> str:
    if row.explanation is None:
        return "未说明"
    scan = f"（附扫描件 {row.document.name}）" if row.document else ""
    return f"{row.explanation.label}{scan}"


@app.command(
    "list", help="列出执法活动（按单位、执法人员、日期、未说明的中断、覆盖不全、迟交筛选）。"
)
@command
def list_activities(
    unit: Annotated[str | None, typer.Option("--unit", help="单位名称。")] = None,
    officer: Annotated[str | None, typer.Option("--officer", help="执法证号。")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="到场日期起（含）。")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="到场日期止（含）。")] = None,
    unexplained: Annotated[
        bool, typer.Option("--unexplained", help="只列有未说明中断的。")
    ] = False,
    below_full: Annotated[bool, typer.Option("--below-full", help="只列覆盖不全的。")] = False,
    late: Annotated[bool, typer.Option("--late", help="只列有迟交录像的。")] = False,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.read() as session:
        where = queries.ActivityFilter(
            unit_id=queries.unit_named(session, unit) if unit else None,
            officer_id=queries.officers_by_badge(session, [officer])[0] if officer else None,
            date_from=parse_day(date_from, "起始日期", field="from") if date_from else None,
            date_to=parse_day(date_to, "截止日期", field="to") if date_to else None,
            below_full=below_full,
            unexplained=unexplained,
            late=late,
        )
        rows, total = queries.list_activities(
            session=session, actor=actor(), where=where, limit=10_000
        )
        items = [ActivitySummaryOut.of(row) for row in rows]
    if as_json:
        print_json({"total": total, "items": items})
        return
    table(
        f"执法活动（共 {total} 次）",
        ["编号", "单位", "类别", "地点", "到场", "覆盖", "未说明", "迟交"],
        [
            [
                a.id,
                a.unit,
                a.kind_label,
                a.place,
                local(a.arrived_at),
                "无录像" if a.no_recording else f"{a.coverage:.0%}",
                a.unexplained,
                a.late_uploads,
            ]
            for a in items
        ],
    )


@app.command("explain", help="说明一次中断：语音说明（恢复记录的那段录像）或书面说明（第十条）。")
@command
def explain(
    activity_id: Annotated[int, typer.Argument(help="活动编号。")],
    seq: Annotated[int, typer.Option("--seq", help="中断序号。", min=1)],
    by: Annotated[str, typer.Option("--by", help="说明人（在场执法人员本人）的执法证号。")],
    voice: Annotated[int | None, typer.Option("--voice", help="含语音说明的录像编号。")] = None,
    written: Annotated[str | None, typer.Option("--written", help="书面说明的内容。")] = None,
    cause: Annotated[Cause, typer.Option("--cause", help="中断原因（书面说明）。")] = Cause.OTHER,
    file: Annotated[
        Path | None, typer.Option("--file", help="书面说明的扫描件（PDF、JPEG 或 PNG）。")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    if (voice is None) == (written is None):
        raise InvalidInput(
            "请用 --voice（录像编号）或 --written（说明内容）中的一种说明。", field="seq"
        )
    if file is not None and written is None:
        raise InvalidInput("扫描件只随书面说明（--written）提交。", field="file")
    settings = get_settings()
    with (
        _scan(file, settings) as scan,
        open_database(settings) as database,
        database.unit_of_work() as session,
    ):
        who = _acting(session, by)
        if voice is not None:
            service.explain_voice(
                session=session,
                actor=who,
                settings=settings,
                activity_id=activity_id,
                seq=seq,
                recording_id=voice,
            )
        else:
            service.explain_written(
                session=session,
                actor=who,
                activity_id=activity_id,
                seq=seq,
                cause=cause,
                text=written or "",
                attachment=scan,
            )
        shown = activity_out(
            session, queries.get_activity(session=session, actor=who, activity_id=activity_id)
        )
    _print(shown, as_json)


@contextmanager
def _scan(path: Path | None, settings: Settings) -> Iterator[service.Attachment | None]:
    """The scan named on the command line, opened for the report (None: no --file)."""
    if path is None:
        yield None
        return
    try:
        handle = path.open("rb")
    except OSError:
        raise InvalidInput(f"读不到扫描件 {path}：文件不存在或无权读取。", field="file") from None
    with handle:
        store = open_store(settings.resolved_storage_url)
        yield service.Attachment(handle, path.name, store, settings)


@app.command("confirm", help="执法记录仪管理员确认中断的说明（听过语音说明，或收到书面说明）。")
@command
def confirm(
    activity_id: Annotated[int, typer.Argument(help="活动编号。")],
    seq: Annotated[int, typer.Option("--seq", help="中断序号。", min=1)],
    by: Annotated[str, typer.Option("--by", help="确认人（本单位执法记录仪管理员）的执法证号。")],
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.unit_of_work() as session:
        who = _acting(session, by)
        service.confirm(session=session, actor=who, activity_id=activity_id, seq=seq)
        shown = activity_out(
            session, queries.get_activity(session=session, actor=who, activity_id=activity_id)
        )
    _print(shown, as_json)


@app.command(
    "import",
    help="从 Excel 执法活动表导入（模板：lawcam template activities）：整个文件检查通过才写入，"
    "有问题的行逐一列出。",
)
@command
def import_(
    file: Annotated[Path, typer.Argument(help="填好的执法活动表（.xlsx 或 .csv）。")],
    as_json: JsonOpt = False,
) -> None:
    from lawcam.activities.sheets import import_activities

    if not file.is_file():
        raise InvalidInput(f"文件 {file} 不存在。", field="file")
    settings = get_settings()
    with (
        open_database(settings) as database,
        _every_bad_row(as_json),
        database.unit_of_work() as session,
    ):
        done = import_activities(session=session, actor=actor(), settings=settings, path=file)
    warnings = [{"row": row, "message": message} for row, message in done.warnings]
    if as_json:
        print_json(
            {
                "kind": done.kind.value,
                "rows": done.rows,
                "created": done.created,
                "activities": list(done.activity_ids),
                "warnings": warnings,
            }
        )
        return
    for warning in warnings:
        say(f"提示：第 {warning['row']} 行：{warning['message']}")
    say(f"已从 {file} 导入执法活动 {done.created} 次（活动编号 {done.activity_ids[0]} 起）。")


@contextmanager
def _every_bad_row(as_json: bool) -> Iterator[None]:
    """A refused file lists each bad row (row, column, reason), not just the first."""
    try:
        yield
    except InvalidInput as refusal:
        problems = refusal.details.get("problems")
        if not isinstance(problems, list):
            raise
        err().print(f"错误：{refusal.message}", markup=False, style="red")
        err().print(f"文件未导入任何内容。逐行列出全部 {len(problems)} 处问题：", style="red")
        for problem in problems:
            err().print(f"  {problem['message']}", markup=False)
        if as_json:
            error = {"code": refusal.code, "message": refusal.message, "problems": problems}
            print_json({"error": error})
        raise typer.Exit(2) from None


@app.command(
    "late",
    help="迟交的音像资料：超过期限（活动结束后 24 小时）才导入的录像，按执法人员和单位统计（第十四条）。",
)
@command
def late(
    unit: Annotated[str | None, typer.Option("--unit", help="单位名称。")] = None,
    officer: Annotated[str | None, typer.Option("--officer", help="执法证号。")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="导入日期起（含）。")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="导入日期止（含）。")] = None,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.read() as session:
        where = queries.LateFilter(
            unit_id=queries.unit_named(session, unit) if unit else None,
            officer_id=queries.officers_by_badge(session, [officer])[0] if officer else None,
            date_from=parse_day(date_from, "起始日期", field="from") if date_from else None,
            date_to=parse_day(date_to, "截止日期", field="to") if date_to else None,
        )
        found = queries.late_uploads(session, actor(), where, settings.upload_deadline_hours)
        shown = late_uploads_out(session, found)
    if as_json:
        print_json(shown)
        return
    table(
        f"迟交的音像资料（共 {shown.total} 个）",
        ["录像", "单位", "执法人员", "执法活动", "期限", "导入", "超过（小时）"],
        [
            [
                i.recording_id,
                i.unit,
                i.officer or "",
                i.activity_id or "（不属于任何活动）",
                local(i.deadline),
                local(i.docked_at),
                i.hours_late,
            ]
            for i in shown.items
        ],
    )
    for count in shown.by_officer:
        say(f"  {count.name}：{count.count} 个")


@app.command(
    "amend", help="修改已登记的执法活动（原值和理由保存在审计日志中）；关联、覆盖率、期限随之更新。"
)
@command
def amend(
    activity_id: Annotated[int, typer.Argument(help="活动编号。")],
    reason: Annotated[str, typer.Option("--reason", help="修改理由（必填）。")],
    place: Annotated[str | None, typer.Option("--place", help="执法地点。")] = None,
    arrived: Annotated[str | None, typer.Option("--arrived", help="到达现场时间。")] = None,
    ended: Annotated[str | None, typer.Option("--ended", help="现场执法结束时间。")] = None,
    officer: Annotated[
        list[str] | None, typer.Option("--officer", help="在场执法人员（全部重新列出）。")
    ] = None,
    case: Annotated[str | None, typer.Option("--case", help="案件编号。")] = None,
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.unit_of_work() as session:
        who = _acting(session, by)
        activity = queries.get_activity(session=session, actor=who, activity_id=activity_id)
        data = service.current_data(activity)
        if place is not None:
            data = replace(data, place=place)
        if arrived is not None:
            data = replace(data, arrived_at=_moment(arrived, "arrived_at"))
        if ended is not None:
            data = replace(data, ended_at=_moment(ended, "ended_at"))
        if officer:
            data = replace(data, officer_ids=queries.officers_by_badge(session, officer))
        if case is not None:
            data = replace(data, case_number=case)
        service.amend_activity(
            session=session,
            actor=who,
            settings=settings,
            activity_id=activity_id,
            data=data,
            reason=reason,
        )
        session.expire_all()
        shown = activity_out(
            session, queries.get_activity(session=session, actor=who, activity_id=activity_id)
        )
    _print(shown, as_json)
