"""``lawcam verify``: the audit log and the stored originals checked end to end (Art. 7 (4),
15, 18 (4)(5)); exit status 1 when anything is wrong."""

from __future__ import annotations

import re
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TransferSpeedColumn

from lawcam.audit.signing import load_signer
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
from lawcam.errors import InvalidInput
from lawcam.evidence import integrity
from lawcam.storage import open_store


def register(app: typer.Typer) -> None:
    app.command(
        "verify",
        help="完整性校验：重算审计日志的默克尔树并核对每个签名树头，重算每个原始文件的 SHA-256 与 SM3，"
        "双向核对记录与存储（默认两者都做）。发现问题时退出码为 1。",
    )(verify)


@command
def verify(
    log: Annotated[bool, typer.Option("--log", help="只校验审计日志。")] = False,
    objects: Annotated[bool, typer.Option("--objects", help="只校验原始文件。")] = False,
    anchor: Annotated[
        list[str] | None,
        typer.Option(
            "--anchor",
            help="纸质锚定页上的“大小:根哈希”，可重复；日志在该大小处的根哈希必须与之相同。",
        ),
    ] = None,
    public_key_hex: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            help="在系统之外保存的公钥（64 位十六进制）；给出时用它而不是数据目录中的密钥核验树头。",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    both = not (log or objects)
    settings = get_settings()
    store = open_store(settings.resolved_storage_url)
    anchors = parse_anchors(anchor or [])
    public_key = (
        parse_key(public_key_hex) if public_key_hex else load_signer(settings.home).public_key
    )
    with open_database(settings) as database:
        bar = _bar() if sys.stderr.isatty() and not as_json else None
        events = bar.add_task("审计记录", total=None) if bar else TaskID(0)
        objects_bytes = bar.add_task("原始文件字节", total=None) if bar else TaskID(0)
        if bar:
            bar.start()
        try:
            found = integrity.verify(
                database=database,
                store=store,
                public_key=public_key,
                actor=actor(),
                log=log or both,
                objects=objects or both,
                on_event=(lambda n: bar.advance(events, n)) if bar else None,
                on_bytes=(lambda n: bar.advance(objects_bytes, n)) if bar else None,
                anchors=anchors,
            )
        finally:
            if bar:
                bar.stop()
    document = {
        "ok": not found.problems,
        "events_checked": found.events_checked,
        "objects_checked": found.objects_checked,
        "bytes_checked": found.bytes_checked,
        "problems": [p.as_dict() for p in found.problems],
    }
    if as_json:
        print_json(document)
    else:
        _print(document)
    if found.problems:
        raise typer.Exit(1)


HEX64 = re.compile(r"^[0-9a-f]{64}$")


def parse_anchors(values: list[str]) -> dict[int, bytes]:
    anchors = {}
    for value in values:
        size, _, root = value.strip().lower().partition(":")
        if not size.isdigit() or not HEX64.match(root):
            raise InvalidInput(
                f"锚定值“{value}”格式不正确，应为“大小:根哈希”，如 150:c71ff865…（64 位十六进制）。",
                field="anchor",
            )
        anchors[int(size)] = bytes.fromhex(root)
    return anchors


def parse_key(value: str) -> bytes:
    if not HEX64.match(value.strip().lower()):
        raise InvalidInput(
            "公钥应为 64 位十六进制（lawcam audit public-key --json 的 public_key）。",
            field="public_key",
        )
    return bytes.fromhex(value.strip().lower())


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}"),
        TransferSpeedColumn(),
        console=Console(stderr=True),
    )


def _print(document: dict[str, object]) -> None:
    problems = document["problems"]
    assert isinstance(problems, list)
    if problems:
        table(
            "发现的问题",
            ["类型", "对象", "说明"],
            [[p["kind"], p["subject"], p["detail"]] for p in problems],
        )
    verdict = "校验通过，未发现问题。" if document["ok"] else f"发现 {len(problems)} 个问题。"
    say(
        f"{verdict}审计记录 {document['events_checked']} 条，原始文件 {document['objects_checked']} 个，"
        f"共 {document['bytes_checked']} 字节。"
    )
