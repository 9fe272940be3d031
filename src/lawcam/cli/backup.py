"""``lawcam backup DEST`` and ``lawcam restore SRC`` (the logic is in ``lawcam.backup``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lawcam.cli.common import JsonOpt, command, get_settings, open_database, print_json, say


def register(app: typer.Typer) -> None:
    app.command(
        "backup",
        help="备份数据库（服务运行时也可以）、审计签名密钥和会话密钥到一个新的或空的文件夹，"
        "附带列出每个文件 SHA-256 的清单。原始资料不在其中：输出说明如何复制。",
    )(backup)
    app.command(
        "restore",
        help="把 lawcam backup 做的备份恢复到新的数据目录和配置的空数据库，必要时升级数据库结构；"
        "之后请运行 lawcam verify。",
    )(restore)


@command
def backup(
    dest: Annotated[
        Path,
        typer.Argument(help="备份文件夹（新的或空的）。", metavar="文件夹", show_default=False),
    ],
    as_json: JsonOpt = False,
) -> None:
    from lawcam.backup.service import backup as make_backup

    settings = get_settings()
    with open_database(settings) as database:
        document = make_backup(settings=settings, database=database, dest=dest)
    if as_json:
        print_json(document)
        return
    say(f"已备份到 {document['folder']}")
    say(f"数据库：{document['database']['kind']}（版本 {document['schema_revision']}）")
    say(_audit_line(document["audit"]))
    for entry in document["files"]:
        say(f"  {entry['name']}  {entry['size']} 字节  SHA-256 {entry['sha256']}")
    say(document["storage"]["how_to_copy"])
    for warning in document["warnings"]:
        say(f"警告：{warning}")


@command
def restore(
    src: Annotated[
        Path,
        typer.Argument(help="lawcam backup 做的备份文件夹。", metavar="文件夹", show_default=False),
    ],
    as_json: JsonOpt = False,
) -> None:
    from lawcam.backup.service import restore as restore_backup

    document = restore_backup(settings=get_settings(), src=src)
    if as_json:
        print_json(document)
        return
    say(f"已恢复到数据目录 {document['home']}，数据库 {document['database']}")
    upgraded = f"，已升级到 {document['revision']}" if document["upgraded"] else ""
    say(f"数据库版本：{document['restored_revision']}{upgraded}")
    if document["audit"]:
        say(_audit_line(document["audit"]))
    if document["storage"] != document["backup_storage"]:
        say(
            f"原始资料：备份时在 {document['backup_storage']}，现在配置的是 {document['storage']}："
            "请确认原始资料已复制到那里。"
        )
    say("请运行 lawcam verify 核对审计日志与原始资料，结果应与备份时相同。")


def _audit_line(audit: dict[str, Any]) -> str:
    head = audit.get("head")
    signed = (
        f"，最新签名树头：大小 {head['size']}，根哈希 {head['root']}，密钥 {head['key_id']}"
        if head
        else "，没有签名树头"
    )
    return f"审计日志：{audit['size']} 条{signed}"
