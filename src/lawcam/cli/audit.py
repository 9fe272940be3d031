"""``lawcam audit``: read the audit log (the local console may read it)."""

import json
from typing import Annotated, Any

import typer

from lawcam.audit import queries
from lawcam.audit.models import AuditEvent
from lawcam.audit.types import AuditFilter
from lawcam.cli.common import JsonOpt, actor, command, get_settings, open_database, print_json
from lawcam.cli.common import table as show_table
from lawcam.timeutil import local

app = typer.Typer(help="审计日志。", no_args_is_help=True)


def event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "time": event.occurred_at.isoformat(),
        "tag": event.tag,
        "actor": event.actor_label,
        "source": event.actor_source,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "before": None if event.before is None else json.loads(event.before),
        "after": None if event.after is None else json.loads(event.after),
    }


@app.command("list", help="列出审计记录（最新的在前）。")
@command
def list_(
    tag: Annotated[
        str | None, typer.Option("--tag", help="只列出事件标签以此开头的记录，如 org:person。")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="最多列出条数。", min=1, max=10000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        events, total = queries.list_events(
            session=session, actor=actor(), flt=AuditFilter(tag_prefix=tag or None), limit=limit
        )
        rows = [event_json(e) for e in events]
        times = [local(e.occurred_at) for e in events]
    if as_json:
        print_json({"total": total, "events": rows})
        return
    show_table(
        f"审计记录（共 {total} 条，显示 {len(rows)} 条）",
        ["序号", "时间", "事件", "操作者", "对象"],
        [
            [e["seq"], when, e["tag"], e["actor"], f"{e['subject_type']}:{e['subject_id']}"]
            for e, when in zip(rows, times, strict=True)
        ],
    )
