"""``lawcam audit``: read the audit log (the local console may read it)."""

from pathlib import Path
from typing import Annotated, Any

import typer

from lawcam.audit import keys, log, queries
from lawcam.audit.keys import public_key_for
from lawcam.audit.service import record
from lawcam.audit.signing import load_signer
from lawcam.audit.types import AuditFilter, IntegrityEvent
from lawcam.authz import Action
from lawcam.cli.common import JsonOpt, actor, command, get_settings, open_database, print_json, say
from lawcam.cli.common import table as show_table
from lawcam.schemas.audit import (
    AuditEventOut,
    ConsistencyOut,
    InclusionOut,
    PublicKeyOut,
    SigningKeyOut,
    TreeHeadOut,
)
from lawcam.timeutil import local

app = typer.Typer(help="审计日志。", no_args_is_help=True)


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
        rows = [AuditEventOut.of(e) for e in events]  # GET /audit's items
    if as_json:
        print_json({"total": total, "events": rows})
        return
    show_table(
        f"审计记录（共 {total} 条，显示 {len(rows)} 条）",
        ["序号", "时间", "事件", "操作者", "对象"],
        [
            [e.seq, local(e.occurred_at), e.tag, e.actor, f"{e.subject_type}:{e.subject_id}"]
            for e in rows
        ],
    )


# The Merkle log (RFC 9162): tree heads, proofs, the paper anchor --------------------------


@app.command(
    "sth", help="当前签名树头（大小、根哈希、时间、签名、公钥）；日志有新记录时先签一个新树头。"
)
@command
def sth(as_json: JsonOpt = False) -> None:
    settings = get_settings()
    signer = load_signer(settings.home)
    with open_database(settings) as database, database.unit_of_work() as session:
        actor().require(Action.AUDIT_READ)
        made = log.make_head(session=session, signer=signer)  # or the newest: another node's
        head = TreeHeadOut(
            **log.head_document(made, public_key_for(session, made.key_id, signer.public_key))
        )
    if as_json:
        print_json(head)
        return
    for key, value in head.model_dump().items():
        say(f"{key}: {value}")


@app.command("proof", help="某条审计记录（叶）在给定大小的树中的包含证明（RFC 9162）。")
@command
def proof(
    leaf: Annotated[int, typer.Option("--leaf", help="叶序号（从 0 开始，即审计记录序号）。")],
    size: Annotated[
        int | None, typer.Option("--size", help="树大小（默认为当前日志大小）。")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        document = log.inclusion_proof(session=session, actor=actor(), leaf_index=leaf, size=size)
    _print_document(InclusionOut(**document).model_dump(mode="json"), as_json)


@app.command("consistency", help="两个树大小之间的一致性证明（RFC 9162）。")
@command
def consistency(
    first: Annotated[int, typer.Option("--from", help="较早的树大小。")],
    second: Annotated[int, typer.Option("--to", help="较晚的树大小。")],
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        document = log.consistency_proof(session=session, actor=actor(), first=first, second=second)
    proof = ConsistencyOut.model_validate(document)  # what GET /audit/consistency answers
    _print_document(proof.model_dump(mode="json", by_alias=True), as_json)


@app.command("public-key", help="导出签名树头的公钥（PEM），供离线核验。")
@command
def public_key(as_json: JsonOpt = False) -> None:
    signer = load_signer(get_settings().home)
    if as_json:
        print_json(
            PublicKeyOut(
                public_key=signer.public_key.hex(), pem=signer.public_key_pem, key_id=signer.key_id
            )
        )
        return
    typer.echo(signer.public_key_pem, nl=False)


@app.command("anchor", help="打印当日树头的纸质锚定页（PDF，含二维码），随纸质台账归档。")
@command
def anchor(
    out: Annotated[Path, typer.Option("--out", help="输出 PDF 文件。")],
    as_json: JsonOpt = False,
) -> None:
    from lawcam.reports.anchor import anchor_pdf  # reportlab loads only for this command

    settings = get_settings()
    signer = load_signer(settings.home)
    with open_database(settings) as database, database.unit_of_work() as session:
        actor().require(Action.AUDIT_READ)
        head = log.make_head(session=session, signer=signer)
        document = log.head_document(head, public_key_for(session, head.key_id, signer.public_key))
        out.write_bytes(anchor_pdf(document, head.key_id))
        record(
            session, actor(), IntegrityEvent.ANCHOR_PRINTED, ("tree_head", head.id), after=document
        )
    if as_json:
        print_json({"file": str(out), **document})
    else:
        say(f"已生成纸质锚定页：{out}（树大小 {document['size']}，根哈希 {document['root']}）")


def _print_document(document: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(document)
        return
    for key, value in document.items():
        if isinstance(value, list):
            say(f"{key}:")
            for item in value:
                say(f"  {item}")
        else:
            say(f"{key}: {value}")


key_app = typer.Typer(
    help="签名树头的密钥登记簿（多台服务器各用本机密钥；更换密钥）。", no_args_is_help=True
)
app.add_typer(key_app, name="key")


@key_app.command("list", help="列出已登记的签名密钥（所在服务器、登记与停用）。")
@command
def key_list(as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        actor().require(Action.AUDIT_READ)
        rows = [SigningKeyOut.of(row) for row in keys.registered(session)]
    if as_json:
        print_json({"total": len(rows), "items": rows})
        return
    show_table(
        f"签名密钥（共 {len(rows)} 个）",
        ["密钥编号", "服务器", "登记", "停用"],
        [[k.key_id, k.node, local(k.registered_at), local(k.retired_at)] for k in rows],
    )


@key_app.command(
    "register", help="登记本机（本数据目录）的签名密钥；多台服务器共用数据库时每台运行一次。"
)
@command
def key_register(as_json: JsonOpt = False) -> None:
    settings = get_settings()
    signer = load_signer(settings.home)
    with open_database(settings) as database, database.unit_of_work() as session:
        row, added = keys.register(
            session=session, actor=actor(), signer=signer, node=keys.node_name()
        )
        shown = SigningKeyOut.of(row)
    if as_json:
        print_json({"added": added, "key": shown})
        return
    say(f"{'已登记' if added else '早已登记'}签名密钥 {shown.key_id}（{shown.node}）。")


@key_app.command(
    "rotate", help="更换本机的签名密钥：旧密钥停用（此后不能再签树头），新密钥登记并启用。"
)
@command
def key_rotate(as_json: JsonOpt = False) -> None:
    settings = get_settings()
    with open_database(settings) as database:
        with database.unit_of_work() as session:
            old, new = keys.rotate(
                session=session, actor=actor(), home=settings.home, node=keys.node_name()
            )
            shown = {"retired": SigningKeyOut.of(old), "registered": SigningKeyOut.of(new)}
        # Once the registry says so, and before this command's closing head: the new key signs
        # it (a head of the old key covering its own retirement would be named by verify).
        keys.take_over(settings.home)
    if as_json:
        print_json(shown)
        return
    say(f"已停用签名密钥 {old.key_id}，启用新密钥 {new.key_id}；请重启本机的网页服务。")
