"""``lawcam verify``: the audit log and the stored originals checked end to end (Art. 7 (4),
15, 18 (4)(5)); exit status 1 when anything is wrong."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from lawcam.cli.common import (
    JsonOpt,
    actor,
    command,
    err,
    get_settings,
    open_database,
    print_json,
    require_initialised,
    say,
    sign_head,
    table,
)
from lawcam.config import Settings
from lawcam.errors import InvalidInput, LawcamError
from lawcam.evidence.rehash import Rehash
from lawcam.storage import BlobStore, open_store

if TYPE_CHECKING:
    from rich.progress import Progress

    from lawcam.audit.integrity import Collector
    from lawcam.db import Database


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
    require_initialised(settings)
    anchors = parse_anchors(anchor or [])
    public_key = parse_key(public_key_hex) if public_key_hex else None
    store = open_store(settings.resolved_storage_url)
    bar = _bar() if sys.stderr.isatty() and not as_json else None
    with contextlib.ExitStack() as stack:
        if bar:
            stack.enter_context(bar)
        on_event = _advance(bar, "审计记录")
        on_bytes = _advance(bar, "原始文件字节")
        rehash = stack.enter_context(Rehash(store, on_bytes)) if objects or both else None
        found = _check(
            settings,
            store,
            public_key,
            log=log or both,
            rehash=rehash,
            on_event=on_event,
            anchors=anchors,
        )
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


def _check(
    settings: Settings,
    store: BlobStore,
    public_key: bytes | None,
    *,
    log: bool,
    rehash: Rehash | None,
    on_event: Callable[[int], None] | None,
    anchors: dict[int, bytes],
) -> Collector:
    # Imported only now, while the store is already being re-hashed on the other cores: the
    # database layer takes a good part of a second to load.
    from lawcam.audit.signing import load_signer
    from lawcam.evidence import integrity
    from lawcam.retention.integrity import check_retention

    key = public_key if public_key is not None else load_signer(settings.home).public_key
    # Its own entry is signed only over a log found intact: a head never vouches for tampering.
    with open_database(settings, sign_heads=False) as database:
        found = integrity.verify(
            database=database,
            store=store,
            public_key=key,
            actor=actor(),
            log=log,
            objects=rehash is not None,
            on_event=on_event,
            anchors=anchors,
            rehash=rehash,
            also=(check_retention,) if rehash is not None else (),
        )
        if not found.problems:
            sign_head(settings, database)
        else:
            _record_findings(database, found)
        return found


def _record_findings(database: Database, found: Collector) -> None:
    """What was found, kept as findings (第十八条第（四）（五）项) in a transaction of its own after
    the run; a database too damaged to take them still gets the report printed."""
    from sqlalchemy.exc import SQLAlchemyError

    from lawcam.compliance.service import record_verified

    try:
        with database.unit_of_work() as session:
            record_verified(session=session, actor=actor(), problems=found.problems)
    except (SQLAlchemyError, LawcamError) as exc:
        err().print(f"警告：未能把发现的问题登记为执法过错：{exc}", markup=False, style="yellow")


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
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TransferSpeedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}"),
        TransferSpeedColumn(),
        console=Console(stderr=True),
    )


def _advance(bar: Progress | None, description: str) -> Callable[[int], None] | None:
    if bar is None:
        return None
    task = bar.add_task(description, total=None)
    return lambda n: bar.advance(task, n)


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
