"""``lawcam case …``: administrative penalty cases (行政处罚案件) and the material that serves them
(第十四条第（三）项, R14.3) — register a case, link recordings and activities with a reason, record
its dates, change its term, archive it; unlinking only before archiving, asked with a reason
and approved by the unit head. ``--by`` names the person acting; without it the console acts
(it registers cases, links material and records dates, but approves nothing). ``--json``
prints the API's shapes (``lawcam.schemas.retention``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from pydantic import BaseModel
from sqlalchemy.orm import Session

from lawcam.authz import Actor
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
from lawcam.errors import InvalidInput
from lawcam.retention import queries, service, views
from lawcam.retention.models import PenaltyCase
from lawcam.retention.types import CaseStatus
from lawcam.schemas.retention import CaseDetailOut, CaseOut, LinkOut
from lawcam.storage import open_store
from lawcam.timeutil import parse_day, today_shanghai

app = typer.Typer(
    help="行政处罚案件：登记案件，关联音像资料和执法活动，记录决定、结案、归档日期；"
    "作为证据的资料随案卷保存期限保存（第十四条第（三）项）。",
    no_args_is_help=True,
)

NumberArg = Annotated[str, typer.Argument(help="案件编号。")]
ByOpt = Annotated[
    str | None,
    typer.Option("--by", help="经办人的执法证号（不填则以本机控制台身份办理）。"),
]
HeadOpt = Annotated[str, typer.Option("--by", help="审批人（单位负责人）的执法证号。")]
LinkOpt = Annotated[int, typer.Option("--link", help="关联编号（见 case show）。")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="理由（必填）。")]
FOREVER = "无期限（持续保存）"


def _acting(session: Session, by: str | None) -> Actor:
    return actor() if by is None else access_cli.acting(session, by)


def _day(text: str, field: str) -> date:
    return parse_day(text, f"日期“{text.strip()}”", field=field)


def _longest(terms: dict[str, int]) -> str:
    """The term kept longest (永久 first): a case registered without one keeps the most."""
    return max(terms, key=lambda name: (terms[name] == 0, terms[name]))


def _detail(session: Session, who: Actor, case: PenaltyCase) -> CaseDetailOut:
    """The case as GET /cases/{number} gives it (every change answers it too): its links, the
    recordings they cover with their effective retention, the holds on them."""
    return CaseDetailOut.view(views.case_view(session, who, case))


def _print(shown: BaseModel, as_json: bool, message: str) -> None:
    if as_json:
        print_json(shown)
        return
    say(message)


@app.command("add", help="登记一个行政处罚案件（案件编号全局唯一）。")
@command
def add(
    number: Annotated[str, typer.Option("--number", help="案件编号（唯一）。")],
    unit: Annotated[str, typer.Option("--unit", help="承办单位名称。")],
    title: Annotated[str, typer.Option("--title", help="案件名称。")],
    term: Annotated[
        str | None,
        typer.Option(
            "--term",
            help="案卷保存期限：permanent（永久）、30y（30 年）、10y（10 年），以配置为准；"
            "不填取最长的一项。",
        ),
    ] = None,
    parties: Annotated[str, typer.Option("--parties", help="当事人。")] = "",
    opened: Annotated[str | None, typer.Option("--opened", help="立案日期（默认今天）。")] = None,
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    terms = settings.case_terms
    with open_database(settings) as database, database.unit_of_work() as session:
        new = service.NewCase(
            number=number, unit_id=unit_named(session, unit).id, title=title,
            opened_on=_day(opened, "opened_on") if opened else today_shanghai(),
            term=term.strip() if term is not None else _longest(terms), parties=parties,
        )  # fmt: skip
        who = _acting(session, by)
        case = service.create_case(session=session, actor=who, terms=terms, new=new)
        shown = _detail(session, who, case)
    _print(
        shown,
        as_json,
        f"已登记案件 {shown.number}（{shown.unit}，案卷保存期限{shown.term_label}）。",
    )


@app.command("list", help="列出案件（按单位、状态、关键字筛选）。")
@command
def list_cases(
    unit: Annotated[str | None, typer.Option("--unit", help="单位名称。")] = None,
    status: Annotated[
        CaseStatus | None,
        typer.Option("--status", help="状态：open、decided、closed、archived。"),
    ] = None,
    text: Annotated[str, typer.Option("--search", help="编号、名称或当事人中的文字。")] = "",
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        where = queries.CaseFilter(
            unit_id=unit_named(session, unit).id if unit else None, status=status, text=text.strip()
        )
        rows = queries.list_cases(session=session, actor=_acting(session, by), where=where)
        shown = [CaseOut.of(case) for case in rows]
    if as_json:
        print_json({"cases": shown})
        return
    table(
        f"案件（共 {len(shown)} 件）",
        ["编号", "名称", "单位", "立案", "归档", "保存期限", "状态"],
        [[c.number, c.title, c.unit, c.opened_on, c.archived_on, c.term_label, c.status_label]
         for c in shown],
    )  # fmt: skip


@app.command("show", help="显示案件：日期、保存期限、关联的资料和执法活动、各资料的保存期限。")
@command
def show(number: NumberArg, by: ByOpt = None, as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        who = _acting(session, by)
        shown = _detail(session, who, queries.get_case(session=session, actor=who, number=number))
    if as_json:
        print_json(shown)
        return
    say(f"{shown.number} {shown.title}（{shown.unit}，{shown.status_label}）")
    say(f"当事人：{shown.parties or '—'}；立案 {shown.opened_on}，决定 {shown.decided_on or '—'}，"
        f"结案 {shown.closed_on or '—'}，归档 {shown.archived_on or '—'}；"
        f"案卷保存期限{shown.term_label}")  # fmt: skip
    table(
        "关联",
        ["编号", "资料", "执法活动", "涵盖资料", "理由", "关联人", "状态"],
        [[k.id, k.recording_id, k.activity_id, "、".join(map(str, k.recording_ids)), k.reason,
          k.linked_by, _link_state(k)] for k in shown.links],
    )  # fmt: skip
    table(
        "资料的保存期限",
        ["资料", "保存至", "依据"],
        [[r.recording_id, r.retain_until or FOREVER, "；".join(r.reasons)]
         for r in shown.recordings],
    )  # fmt: skip
    if shown.holds:
        say(
            "保全："
            + "；".join(f"#{h.id} 资料 #{h.recording_id}（{h.reason}）" for h in shown.holds)
        )


def _link_state(made: LinkOut) -> str:
    if not made.live:
        return f"已解除（{made.unlinked_by}）"
    return "待审批解除" if made.unlink_requested_at else "有效"


@app.command("link", help="将一条资料或一次执法活动（其全部资料）关联到案件，须写明理由。")
@command
def link(
    number: NumberArg,
    reason: ReasonOpt,
    recording: Annotated[int | None, typer.Option("--recording", help="资料编号。")] = None,
    activity: Annotated[int | None, typer.Option("--activity", help="执法活动编号。")] = None,
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    if (recording is None) == (activity is None):
        raise InvalidInput("请用 --recording 或 --activity 指定一项（二选一）。", field="recording")
    settings = get_settings()
    store = open_store(settings.resolved_storage_url)
    with open_database(settings) as database, database.unit_of_work() as session:
        who = _acting(session, by)
        case = queries.get_case(session=session, actor=who, number=number)
        made = service.link(session=session, actor=who, store=store, case=case, reason=reason,
                            recording_id=recording, activity_id=activity)  # fmt: skip
        shown = _detail(session, who, case)
    what = f"资料 #{recording}" if recording is not None else f"执法活动 #{activity}"
    _print(
        shown,
        as_json,
        f"已将{what}关联到案件 {number.strip()}（关联编号 {made.id}），在案期间持续保存。",
    )


@app.command(
    "unlink-request", help="申请解除一项关联（仅限归档前），须写明理由，由单位负责人审批。"
)
@command
def unlink_request(
    number: NumberArg,
    link_id: LinkOpt,
    reason: ReasonOpt,
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        who = _acting(session, by)
        case = queries.get_case(session=session, actor=who, number=number)
        made = queries.get_link(session, case, link_id)
        service.ask_unlink(session=session, actor=who, case=case, link=made, reason=reason)
        shown = _detail(session, who, case)
    _print(shown, as_json, f"已申请解除关联 #{link_id}，待单位负责人审批。")


@app.command("unlink-approve", help="单位负责人批准解除一项关联（不能批准本人的申请）。")
@command
def unlink_approve(
    number: NumberArg, link_id: LinkOpt, by: HeadOpt, as_json: JsonOpt = False
) -> None:
    settings = get_settings()
    store = open_store(settings.resolved_storage_url)
    with open_database(settings) as database, database.unit_of_work() as session:
        who = access_cli.acting(session, by)
        case = queries.get_case(session=session, actor=who, number=number)
        made = queries.get_link(session, case, link_id)
        service.approve_unlink(session=session, actor=who, store=store, case=case, link=made)
        shown = _detail(session, who, case)
    _print(shown, as_json, f"已解除关联 #{link_id}；已延长的保存期限不会缩短（第十四条）。")


@app.command("dates", help="记录处罚决定日期和结案日期（不早于立案日期，不晚于今天）。")
@command
def dates(
    number: NumberArg,
    decided: Annotated[str | None, typer.Option("--decided", help="处罚决定日期。")] = None,
    closed: Annotated[str | None, typer.Option("--closed", help="结案日期。")] = None,
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    if decided is None and closed is None:
        raise InvalidInput("请用 --decided 或 --closed 指定至少一个日期。", field="dates")
    given = service.CaseDates(
        decided_on=_day(decided, "decided_on") if decided else None,
        closed_on=_day(closed, "closed_on") if closed else None,
    )
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        who = _acting(session, by)
        case = queries.get_case(session=session, actor=who, number=number)
        service.record_dates(session=session, actor=who, case=case, dates=given)
        shown = _detail(session, who, case)
    _print(shown, as_json, f"已记录案件 {shown.number} 的日期，状态：{shown.status_label}。")


@app.command("term", help="变更案卷保存期限（须写明理由；归档后只能延长）。")
@command
def term(
    number: NumberArg,
    new_term: Annotated[
        str, typer.Option("--term", help="新的保存期限（permanent、30y、10y 等）。")
    ],
    reason: ReasonOpt,
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    store = open_store(settings.resolved_storage_url)
    with open_database(settings) as database, database.unit_of_work() as session:
        who = _acting(session, by)
        case = queries.get_case(session=session, actor=who, number=number)
        service.change_term(session=session, actor=who, store=store, terms=settings.case_terms,
                            case=case, term=new_term.strip(), reason=reason)  # fmt: skip
        shown = _detail(session, who, case)
    _print(shown, as_json, f"案件 {shown.number} 的案卷保存期限改为{shown.term_label}。")


@app.command(
    "archive", help="记录案件归档日期：关联资料自该日起按案卷保存期限保存（永久：持续保存）。"
)
@command
def archive(
    number: NumberArg,
    archived: Annotated[str, typer.Option("--archived", help="归档日期（YYYY-MM-DD）。")],
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    day = _day(archived, "archived_on")
    settings = get_settings()
    store = open_store(settings.resolved_storage_url)
    with open_database(settings) as database, database.unit_of_work() as session:
        who = _acting(session, by)
        case = queries.get_case(session=session, actor=who, number=number)
        service.archive_case(session=session, actor=who, store=store, case=case, archived_on=day)
        shown = _detail(session, who, case)
    kept = "；".join(f"#{r.recording_id} 至 {r.retain_until or FOREVER}" for r in shown.recordings)
    _print(
        shown, as_json,
        f"案件 {shown.number} 已于 {shown.archived_on} 归档（案卷保存期限{shown.term_label}），"
        f"{len(shown.recordings)} 条资料随之保存：{kept or '无'}。",
    )  # fmt: skip
