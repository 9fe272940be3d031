"""``lawcam access``: requests to view, download or provide recordings, decided by the rule,
and packages for outside parties (第十五条). ``--by`` names the person acting (the requester or
the approver at the desk); the console itself neither requests nor approves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from lawcam.access import queries, service
from lawcam.access.types import AccessAction, RequestStatus
from lawcam.audit import log
from lawcam.audit.keys import public_key_for
from lawcam.audit.signing import load_signer
from lawcam.authz import Actor
from lawcam.cli.common import JsonOpt, command, get_settings, open_database, print_json, say, table
from lawcam.custody.queries import desk_actor
from lawcam.errors import InvalidInput, NotFound
from lawcam.org.queries import person_by_badge
from lawcam.reports.package import PackageStream, provision
from lawcam.schemas.access import AccessRequestOut
from lawcam.storage import open_store
from lawcam.timeutil import local

app = typer.Typer(
    help="调阅审批：申请查看、下载或向外部提供音像资料，按规则审批，授权到期失效（第十五条）。",
    no_args_is_help=True,
)
ByOpt = Annotated[str, typer.Option("--by", help="经办人的执法证号（申请人或审批人本人）。")]


def acting(session: Session, by: str) -> Actor:
    person = person_by_badge(session, by.strip())
    if person is None or not person.is_active:
        raise NotFound(f"执法证号为 {by.strip()} 的在职人员不存在。")
    return desk_actor(person)


def _show(rows: list[AccessRequestOut], as_json: bool) -> None:
    if as_json:
        print_json([row.model_dump(mode="json") for row in rows])
        return
    table(
        "调阅申请",
        ["编号", "范围", "方式", "申请人", "审批", "状态", "有效至"],
        [
            [
                r.id,
                r.scope,
                r.action_label,
                r.requested_by,
                r.approver_label,
                r.status_label,
                local(r.expires_at) if r.expires_at else "",
            ]
            for r in rows
        ],
    )


@app.command("list", help="列出本人的申请，或（--to-decide）由本人审批的申请。")
@command
def list_requests(
    by: ByOpt,
    to_decide: Annotated[bool, typer.Option("--to-decide", help="只列由我审批的。")] = False,
    status: Annotated[RequestStatus | None, typer.Option("--status", help="状态。")] = None,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.read() as session:
        who = acting(session, by)
        rows = queries.list_requests(session=session, actor=who, to_decide=to_decide, status=status)
        shown = [AccessRequestOut.of(row) for row in rows]
    _show(shown, as_json)


@app.command("request", help="申请调阅：指定资料、某次执法活动或某个案件的全部资料，三选一。")
@command
def request(
    by: ByOpt,
    action: Annotated[
        AccessAction,
        typer.Option("--action", help="view（查看）、download（下载）或 provide（向外部提供）。"),
    ],
    purpose: Annotated[str, typer.Option("--purpose", help="事由。")],
    recording: Annotated[
        list[int] | None, typer.Option("--recording", help="资料编号（可多次）。", metavar="<整数>")
    ] = None,
    activity: Annotated[int | None, typer.Option("--activity", help="执法活动编号。")] = None,
    case: Annotated[str, typer.Option("--case", help="案件编号。")] = "",
    days: Annotated[int, typer.Option("--days", help="使用期限（天）。")] = 7,
    recipient: Annotated[str, typer.Option("--recipient", help="接收人（向外部提供时）。")] = "",
    recipient_org: Annotated[
        str, typer.Option("--recipient-org", help="接收单位（向外部提供时）。")
    ] = "",
    as_json: JsonOpt = False,
) -> None:
    data = service.RequestData(action=action, purpose=purpose, days=days,
                               recording_ids=tuple(recording or ()), activity_id=activity,
                               case_number=case, recipient=recipient, recipient_org=recipient_org)  # fmt: skip
    settings = get_settings()
    with open_database(settings) as database, database.unit_of_work() as session:
        row = service.request_access(session=session, actor=acting(session, by), data=data)
        shown = AccessRequestOut.of(row)
    if as_json:
        print_json(shown.model_dump(mode="json"))
        return
    say(
        f"已提交调阅申请 #{shown.id}（{shown.scope}，{len(shown.recording_ids)} 条资料），待{shown.approver_label}审批。"
    )


@app.command("decide", help="审批一份调阅申请：--approve 批准，--reject 驳回（须写 --reason）。")
@command
def decide(
    request_id: Annotated[int, typer.Argument(help="申请编号。")],
    by: ByOpt,
    approve: Annotated[bool, typer.Option("--approve/--reject", help="批准或驳回。")],
    reason: Annotated[str, typer.Option("--reason", help="意见（驳回时必填）。")] = "",
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database, database.unit_of_work() as session:
        row = service.decide(session=session, actor=acting(session, by), request_id=request_id,
                             approve=approve, reason=reason)  # fmt: skip
        shown = AccessRequestOut.of(row)
    if as_json:
        print_json(shown.model_dump(mode="json"))
        return
    until = f"，授权有效至 {local(shown.expires_at)}" if shown.expires_at else ""
    say(f"调阅申请 #{shown.id} {shown.status_label}{until}。")


@app.command(
    "package", help="为经批准的“向外部提供”生成提供包（ZIP，内含离线校验程序 verify_package.py）。"
)
@command
def package(
    request_id: Annotated[int, typer.Argument(help="申请编号。")],
    by: ByOpt,
    to: Annotated[Path, typer.Option("--to", help="保存到的 ZIP 文件路径（不得已存在）。")],
    as_json: JsonOpt = False,
) -> None:
    if to.exists():
        raise InvalidInput(f"{to} 已存在，不会覆盖；请换一个文件名。", field="to")
    settings = get_settings()
    signer = load_signer(settings.home)
    store = open_store(settings.resolved_storage_url)
    with open_database(settings) as database:
        with database.read() as session:
            who = acting(session, by)
            row = service.for_package(session=session, actor=who, request_id=request_id)
            seq = queries.decision_seq(session, row.id)
            head = log.head_covering(database, signer, seq)
            key = public_key_for(session, head.key_id, signer.public_key)  # the head's signer's
            built, ids = provision(
                session, row=row, seq=seq, head=head, public_key=key, store=store
            )
            _write(built, to)
        with database.unit_of_work() as session:
            service.packaged(
                session=session,
                actor=who,
                request_id=request_id,
                recording_ids=ids,
                size=built.size,
            )
    shown = {"request_id": request_id, "path": str(to), "size": built.size, "recordings": ids}
    if as_json:
        print_json(shown)
        return
    say(
        f"已生成提供包 {to}（{len(ids)} 条资料，{built.size} 字节）；接收方解压后运行 python3 verify_package.py 目录 核验。"
    )


def _write(built: PackageStream, to: Path) -> None:
    """Written whole or not at all: a stream cut by a changed original leaves no file."""
    try:
        with to.open("xb") as target:
            for block in built:
                target.write(block)
    except BaseException:
        to.unlink(missing_ok=True)
        raise
