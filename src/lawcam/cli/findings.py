"""``lawcam findings``: who broke which rule of 第十八条, with the evidence, and the review —
sweeps (the console), the list and one finding, the statement of the person concerned, the unit
head's decision, engineering supervision's review, and findings recorded by hand with their
documents. ``--by`` names the person acting at the desk (their own roles apply)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.cli.common import (
    JsonOpt,
    actor,
    command,
    get_settings,
    open_database,
    print_json,
    say,
    table,
)
from lawcam.compliance import queries, service
from lawcam.compliance.models import Finding
from lawcam.compliance.types import FindingStatus, Rule
from lawcam.config import Settings
from lawcam.custody.queries import desk_actor
from lawcam.errors import InvalidInput, NotFound
from lawcam.org.queries import person_by_badge
from lawcam.schemas.findings import FindingBrief, FindingOut, SweepOut, people_of
from lawcam.storage import open_store
from lawcam.timeutil import local

if TYPE_CHECKING:
    from rich.progress import Progress

app = typer.Typer(
    help="执法过错（第十八条）：巡检发现、列表与详情、当事人陈述申辩、单位负责人认定、工程监管处复核、人工登记。",
    no_args_is_help=True,
)
ByOpt = Annotated[str, typer.Option("--by", help="经办人的执法证号（本人）。")]
IdArg = Annotated[int, typer.Argument(help="执法过错编号。")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="理由。")]


def acting(session: Session, by: str) -> Actor:
    person = person_by_badge(session, by.strip())
    if person is None or not person.is_active:
        raise NotFound(f"执法证号为 {by.strip()} 的在职人员不存在。")
    return desk_actor(person)


def _person_id(session: Session, badge: str) -> int:
    person = person_by_badge(session, badge.strip())
    if person is None:
        raise NotFound(f"执法证号为 {badge.strip()} 的人员不存在。")
    return person.id


@app.command("sweep", help="巡检：运行全部规则，登记新发现的执法过错，原因已消除的标为已纠正。")
@command
def sweep_command(as_json: JsonOpt = False) -> None:
    settings = get_settings()
    with ExitStack() as stack:
        bar = _bar() if sys.stderr.isatty() and not as_json else None
        progress = None
        if bar is not None:
            stack.enter_context(bar)
            task = bar.add_task("巡检规则", total=None)
            progress = lambda done, total: bar.update(task, completed=done, total=total)  # noqa: E731
        database = stack.enter_context(open_database(settings))
        with database.unit_of_work() as session:
            report = service.run_sweep(
                session=session, actor=actor(), settings=settings, progress=progress
            )
            people = people_of(session, report.new)
            found = [FindingBrief.of(f, people) for f in report.new]
            cured = len(report.cured)
    if as_json:
        print_json(SweepOut(new=len(found), findings=found))
        return
    if found:
        _table("新发现的执法过错", found)
    say(f"巡检完成：新发现 {len(found)} 条执法过错，{cured} 条因原因消除标为已纠正。")


def _bar() -> Progress:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
    )


def _table(title: str, rows: list[FindingBrief] | list[FindingOut]) -> None:
    table(
        title,
        ["编号", "规则", "条款", "当事人", "对象", "状态"],
        [[r.id, r.rule.label, r.article, r.person or "—", r.subject, r.status.label] for r in rows],
    )


@app.command("list", help="列出执法过错（按规则、状态、当事人筛选）。")
@command
def list_command(
    rule: Annotated[Rule | None, typer.Option("--rule", help="规则代码。")] = None,
    status: Annotated[FindingStatus | None, typer.Option("--status", help="状态。")] = None,
    person: Annotated[str, typer.Option("--person", help="当事人的执法证号。")] = "",
    by: Annotated[str, typer.Option("--by", help="以该人员的身份查看（默认：控制台）。")] = "",
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.read() as session:
        who = acting(session, by) if by.strip() else actor()
        person_id = _person_id(session, person) if person.strip() else None
        where = queries.FindingFilter(rule=rule, status=status, person_id=person_id)
        rows = queries.list_findings(session=session, actor=who, where=where)
        people = people_of(session, rows)
        shown = [FindingOut.full(f, people) for f in rows]
    if as_json:
        print_json(shown)
        return
    _table("执法过错", shown)


def _reread(session: Session, who: Actor, finding_id: int) -> FindingOut:
    finding = queries.get_finding(session=session, actor=who, finding_id=finding_id)
    return FindingOut.full(
        finding, people_of(session, [finding]), queries.documents_of(session, finding.id)
    )


def _act(by: str, finding_id: int, change: Callable[[Session, Actor, Finding], None]) -> FindingOut:
    """One step of the review by the person at the desk (``--by``), in one transaction; the
    finding as it stands afterwards."""
    settings = get_settings()
    with open_database(settings) as database, database.unit_of_work() as session:
        who = acting(session, by)
        change(session, who, queries.get_finding(session=session, actor=who, finding_id=finding_id))
        return _reread(session, who, finding_id)


def _print(shown: FindingOut, as_json: bool, message: str = "") -> None:
    if as_json:
        print_json(shown)
        return
    lines = [
        f"执法过错 #{shown.id}：{shown.rule_label}（{shown.article}，{shown.severity_label}）",
        f"状态：{shown.status_label}",
        f"当事人：{shown.person_name}（{shown.person}）" if shown.person else "当事人：未指明",
        f"事实：{shown.summary}",
        f"对象：{shown.subject}",
    ]
    lines += [
        f"证据：{e.get('label', '')}（{e.get('kind')} {e.get('id')}）" for e in shown.evidence
    ]
    if shown.statement_due:
        lines.append(f"陈述申辩期限：{local(shown.statement_due)}")
    if shown.statement_at:
        lines.append(f"陈述申辩（{local(shown.statement_at)}）：{shown.statement}")
    if shown.decided_at:
        lines.append(
            f"决定：{shown.decided_by}，{local(shown.decided_at)}：{shown.decision_reason}"
        )
    if shown.measure:
        lines.append(f"问责措施：{shown.measure}")
    if shown.reviewed_at:
        lines.append(
            f"复核：{shown.reviewed_by}，{local(shown.reviewed_at)}：{shown.review_reason}"
        )
    lines += [f"附件：{d.name}（{d.role_label}，SHA-256 {d.sha256}）" for d in shown.documents]
    say("\n".join([message, *lines] if message else lines))


@app.command("show", help="一条执法过错的事实、证据、陈述申辩与决定。")
@command
def show(
    finding_id: IdArg,
    by: Annotated[str, typer.Option("--by", help="以该人员的身份查看（默认：控制台）。")] = "",
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.read() as session:
        who = acting(session, by) if by.strip() else actor()
        shown = _reread(session, who, finding_id)
    _print(shown, as_json)


@contextmanager
def _files(paths: list[Path], settings: Settings) -> Iterator[list[service.Attachment]]:
    with ExitStack() as stack:
        opened = []
        for path in paths:
            try:
                handle = stack.enter_context(path.open("rb"))
            except OSError:
                raise InvalidInput(
                    f"读不到附件 {path}：文件不存在或无权读取。", field="file"
                ) from None
            opened.append(service.Attachment(handle, path.name, settings))
        yield opened


FilesOpt = Annotated[
    list[Path] | None,
    typer.Option("--file", help="附件（PDF、JPEG 或 PNG），可重复。", metavar="<路径>"),
]


def _attach(
    session: Session, who: Actor, finding: Finding, files: list[service.Attachment], role: str
) -> None:
    if not files:
        return
    store = open_store(files[0].settings.resolved_storage_url)
    service.attach_all(session=session, actor=who, store=store, finding=finding,
                       attachments=files, role=role)  # fmt: skip


@app.command("statement", help="当事人本人陈述申辩（决定作出前、期限届满前）。")
@command
def statement(
    finding_id: IdArg,
    by: ByOpt,
    text: Annotated[str, typer.Option("--text", help="陈述申辩的内容。")],
    file: FilesOpt = None,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with (
        _files(file or [], settings) as files,
        open_database(settings) as database,
        database.unit_of_work() as session,
    ):
        who = acting(session, by)
        finding = queries.get_finding(session=session, actor=who, finding_id=finding_id)
        service.statement(session=session, actor=who, finding=finding, text=text)
        _attach(session, who, finding, files, "statement")
        shown = _reread(session, who, finding_id)
    _print(shown, as_json, f"已提交对执法过错 #{finding_id} 的陈述申辩。")


@app.command("decide", help="单位负责人认定（--confirm，须写 --measure）或不予认定（--dismiss）。")
@command
def decide(
    finding_id: IdArg,
    by: ByOpt,
    reason: ReasonOpt,
    confirm: Annotated[
        bool | None, typer.Option("--confirm/--dismiss", help="认定或不予认定。")
    ] = None,
    measure: Annotated[str, typer.Option("--measure", help="问责措施（认定时必填）。")] = "",
    as_json: JsonOpt = False,
) -> None:
    if confirm is None:
        raise InvalidInput("请选择 --confirm（认定）或 --dismiss（不予认定）。", field="confirm")
    decision = service.Decision(confirm=confirm, reason=reason, measure=measure)

    def decided(session: Session, who: Actor, finding: Finding) -> None:
        service.decide(session=session, actor=who, finding=finding, decision=decision)

    shown = _act(by, finding_id, decided)
    _print(shown, as_json, f"执法过错 #{finding_id}：{shown.status_label}。")


@app.command("review", help="工程监管处复核：维持（--uphold）或改变（--overturn）原决定。")
@command
def review(
    finding_id: IdArg,
    by: ByOpt,
    reason: ReasonOpt,
    overturn: Annotated[
        bool | None, typer.Option("--overturn/--uphold", help="改变或维持原决定。")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    if overturn is None:
        raise InvalidInput("请选择 --uphold（维持）或 --overturn（改变）。", field="overturn")

    def reviewed(session: Session, who: Actor, finding: Finding) -> None:
        service.review(session=session, actor=who, finding=finding, overturn=bool(overturn),
                       reason=reason)  # fmt: skip

    shown = _act(by, finding_id, reviewed)
    verdict = "改变原决定" if overturn else "维持原决定"
    _print(shown, as_json, f"执法过错 #{finding_id} 已复核：{verdict}。")


@app.command(
    "record", help="人工登记执法过错（第十八条第（二）项、第（六）项），可附投诉、信访等材料。"
)
@command
def record(
    by: ByOpt,
    person: Annotated[str, typer.Option("--person", help="当事人的执法证号。")],
    clause: Annotated[str, typer.Option("--clause", help="第十八条的项：二 或 六。")],
    summary: Annotated[str, typer.Option("--summary", help="过错事实。")],
    file: FilesOpt = None,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with (
        _files(file or [], settings) as files,
        open_database(settings) as database,
        database.unit_of_work() as session,
    ):
        who = acting(session, by)
        data = service.ManualFinding(_person_id(session, person), clause.strip(), summary)
        finding = service.record_manual(session=session, actor=who, data=data,
                                        statement_days=settings.findings_statement_days)  # fmt: skip
        _attach(session, who, finding, files, "evidence")
        shown = _reread(session, who, finding.id)
    _print(shown, as_json, f"已登记执法过错 #{shown.id}。")
