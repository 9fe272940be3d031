"""``lawcam ingest`` (R14.1, R15) and ``lawcam recording``: docking a device's folder into the
write-once store, locally or to a remote server, and reading the recordings' facts."""

from __future__ import annotations

import socket
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy.orm import Session

# Imported for what it registers: a recording leaving an activity linked to a penalty case
# stays in the case (``activities.hooks``, R14.3), whichever command here moves it.
import lawcam.retention.service  # noqa: F401
from lawcam.access import queries as access_queries
from lawcam.access import service as access_service
from lawcam.access.types import AccessAction
from lawcam.activities.service import relink_recordings
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
from lawcam.cli.ingest_progress import RichProgress
from lawcam.equipment.queries import device_by_serial
from lawcam.errors import InvalidInput, NotFound
from lawcam.evidence import queries, retention, service, viewing
from lawcam.evidence.models import columns_of
from lawcam.evidence.problems import problem_label
from lawcam.evidence.types import CorrectableField, FileStatus
from lawcam.org.queries import person_by_badge
from lawcam.retention.effective import derive
from lawcam.schemas.evidence import CorrectionOut, FileResultOut, RecordingDetail, RecordingOut
from lawcam.storage import open_store
from lawcam.timeutil import SHANGHAI, check_day_range, local, parse_day, utcnow

if TYPE_CHECKING:
    from lawcam.config import Settings
    from lawcam.db import Database
    from lawcam.evidence.ingest import IngestReport

recording_app = typer.Typer(
    help="执法音像资料（记录）的查询与更正（第十四条）。", no_args_is_help=True
)


def parse_time(text: str | None, field: str) -> datetime | None:
    """ISO 8601; a time without a zone is Beijing time, as the device's screen shows it."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"时间“{text}”格式无效，应为 ISO 8601，例如 2026-11-30T08:00:00+08:00。", field=field
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)


def _print_report(report: IngestReport, as_json: bool) -> None:
    document = report.as_dict()
    if as_json:
        # Each file as POST /uploads/{id}/complete answers it for a remote workstation.
        files = [FileResultOut.model_validate(f) for f in document["files"]]
        print_json({**document, "files": files})
        return
    rows = [
        [r.path, r.status.label, r.recording_id, "；".join(p.message for p in r.problems)]
        for r in report.files
        if r.status is not FileStatus.DUPLICATE or r.problems
    ]
    if rows:
        table("导入结果", ["文件", "结果", "记录编号", "问题"], rows)
    say(
        f"新导入 {document['ingested']} 个（其中有问题标记 {document['flagged']} 个），"
        f"重复 {document['duplicates']} 个，未导入 {document['refused']} 个，"
        f"共 {document['bytes']} 字节。"
    )


def register(app: typer.Typer) -> None:
    app.command(
        "ingest",
        help="从工作站导入设备文件夹中的全部文件（第十四条；只接受已登记设备，第十五条）。",
    )(ingest)
    app.add_typer(recording_app, name="recording")


@command
def ingest(
    path: Annotated[Path, typer.Argument(help="设备挂载的文件夹（或单个文件）。")],
    device: Annotated[str, typer.Option("--device", help="设备序列号（必须已登记）。")],
    device_time: Annotated[
        str | None,
        typer.Option(
            "--device-time", help="对接时读到的设备时钟（ISO 8601），用于计算时钟偏差（第十一条）。"
        ),
    ] = None,
    workstation: Annotated[
        str | None, typer.Option("--workstation", help="工作站名称（默认为本机名）。")
    ] = None,
    officer: Annotated[
        str | None,
        typer.Option("--officer", help="执法证号；录制时没有领用记录时，以此确定执法人员。"),
    ] = None,
    server: Annotated[
        str | None, typer.Option("--server", help="远程服务器地址（远程工作站上传时使用）。")
    ] = None,
    token: Annotated[
        str | None, typer.Option("--token", help="工作站 API 令牌（与 --server 一起使用）。")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    # PyAV and Pillow load with the ingest path, only when a folder is ingested: every other
    # command (verify on a large store above all) starts that much sooner.
    from lawcam.evidence.ingest import IngestRequest, ingest_folder

    request = IngestRequest(
        path=path,
        device_serial=device,
        workstation=workstation or socket.gethostname(),
        device_time=parse_time(device_time, "device_time"),
        officer_badge=officer,
    )
    progress = RichProgress() if sys.stderr.isatty() and not as_json else None
    if server is not None or token is not None:
        if not (server and token):
            raise InvalidInput("远程上传须同时指定 --server 和 --token。", field="server")
        from lawcam.evidence import remote  # httpx loads only for remote workstations

        report = remote.upload_folder(
            server=server, token=token, request=request, progress=progress
        )
    else:
        settings = get_settings()
        with open_database(settings) as database:
            report = ingest_folder(
                database=database,
                store=open_store(settings.resolved_storage_url),
                settings=settings,
                actor=actor(),
                request=request,
                progress=progress,
            )
            _link_to_activities(database, settings, report)
    if progress:
        progress.stop()
    _print_report(report, as_json)
    if report.count(FileStatus.REFUSED):
        raise typer.Exit(1)


def _link_to_activities(database: Database, settings: Settings, report: IngestReport) -> None:
    """The activities the new recordings were made in (第十条、第十四条), as the server does after
    each upload."""
    ids = [r.recording_id for r in report.files if r.recording_id is not None]
    with database.unit_of_work() as session:
        relink_recordings(session=session, actor=actor(), settings=settings, recording_ids=ids)


def _day(text: str | None, field: str) -> date | None:
    return None if text is None else parse_day(text, f"日期“{text.strip()}”", field=field)


@recording_app.command("list", help="列出资料（按单位、执法人员、设备、日期、标记、迟交筛选）。")
@command
def list_recordings(
    unit: Annotated[str | None, typer.Option("--unit", help="单位名称。")] = None,
    officer: Annotated[str | None, typer.Option("--officer", help="执法证号。")] = None,
    device: Annotated[str | None, typer.Option("--device", help="设备序列号。")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="开始日期（含）。")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="结束日期（含）。")] = None,
    flagged: Annotated[bool, typer.Option("--flagged", help="只列有问题标记的。")] = False,
    late: Annotated[
        bool, typer.Option("--late", help="只列超过24小时才上传的（第十四条）。")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="最多列出条数。")] = 200,
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        where = queries.RecordingFilter(
            unit_id=_unit_id(session, unit),
            officer_id=_officer_id(session, officer),
            device_id=_device_id(session, device),
            date_from=_day(date_from, "from"),
            date_to=_day(date_to, "to"),
            flagged=True if flagged else None,
            late=True if late else None,
        )
        check_day_range(where.date_from, where.date_to)  # says why, rather than nothing found
        rows, total = queries.list_recordings(
            session=session, actor=actor(), where=where, limit=limit
        )
        kept = derive(session, [r.id for r in rows])  # effective: cases and holds too
        found = [RecordingOut.of(r, kept[r.id].retain_until) for r in rows]  # GET /recordings'
        documents = [queries.recording_row(r, kept[r.id].until) for r in rows]  # the table's
    if as_json:
        print_json({"total": total, "recordings": found})
        return
    table(
        f"资料（共 {total} 条）",
        ["编号", "开始时间", "时长(秒)", "设备", "执法人员", "单位", "迟交", "问题"],
        [
            [
                d["id"],
                d["start_at"],
                d["duration_s"],
                d["device"],
                d["officer"],
                d["unit"],
                "是" if d["uploaded_late"] else "",
                "；".join(problem_label(p["code"]) for p in d["problems"]),  # type: ignore[attr-defined]
            ]
            for d in documents
        ],
    )


def _unit_id(session: Session, name: str | None) -> int | None:
    return unit_named(session, name).id if name else None


def _officer_id(session: Session, badge: str | None) -> int | None:
    if not badge:
        return None
    person = person_by_badge(session, badge)
    if person is None:
        raise NotFound(f"执法证号为 {badge.strip()} 的人员不存在。")
    return person.id


def _device_id(session: Session, serial: str | None) -> int | None:
    if not serial:
        return None
    return device_by_serial(session=session, actor=actor(), serial=serial).id


@recording_app.command("late", help="迟交清单：结束后超过24小时才上传的资料（第十四条）。")
@command
def late(as_json: JsonOpt = False) -> None:
    list_recordings(late=True, as_json=as_json)


@recording_app.command("show", help="显示一条资料的全部事实（不含播放，第十五条）。")
@command
def show(
    recording_id: Annotated[int, typer.Argument(help="资料编号。")], as_json: JsonOpt = False
) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        recording = queries.get_recording(session=session, actor=actor(), recording_id=recording_id)
        kept = derive(session, [recording.id])[recording.id]  # cases and holds too
        detail = RecordingDetail.of_recording(  # what GET /recordings/{id} answers
            recording,
            kept.retain_until,  # None: kept without end (an open or 永久 case, a hold)
            queries.sightings_of(session, recording.id),
            queries.corrections_of(session, recording.id),
        )
        document = queries.recording_row(recording, kept.until)  # names and Beijing times
        if kept.retain_until is None:
            document["retain_until"] = f"无期限（{'；'.join(kept.reasons)}）"
    if as_json:
        print_json(detail)
        return
    for key, value in document.items():
        say(f"{key}: {value}")
    for sighting in detail.sightings:
        say(f"sighting: {sighting.source_path}（{local(sighting.seen_at)}）")
    for fixed in detail.corrections:
        say(f"correction: {fixed.field} → {fixed.value}（{fixed.reason}，{fixed.corrected_by}）")


@recording_app.command(
    "download", help="下载原始文件（须有已批准、未过期的下载或提供授权，第十五条）。"
)
@command
def download(
    recording_id: Annotated[int, typer.Argument(help="资料编号。")],
    to: Annotated[Path, typer.Option("--to", help="保存到的文件路径（不得已存在）。")],
    by: Annotated[str, typer.Option("--by", help="获授权人的执法证号。")],
    as_json: JsonOpt = False,
) -> None:
    """The original under a grant, its digests checked while copied; a refusal is recorded in a
    transaction of its own and the partly written file removed."""
    if to.exists():
        raise InvalidInput(f"{to} 已存在，不会覆盖；请换一个文件名。", field="to")
    settings = get_settings()
    with open_database(settings) as database:
        try:
            recording = _download(database, settings, recording_id, to, by)
        except NotFound:
            to.unlink(missing_ok=True)
            _refused(database, recording_id, by)
            raise
    shown = {"id": recording.id, "path": str(to), "size": recording.size,
             "sha256": recording.sha256, "sm3": recording.sm3}  # fmt: skip
    if as_json:
        print_json(shown)
        return
    say(
        f"已下载资料 #{recording.id} 到 {to}（{recording.size} 字节，SHA-256 {recording.sha256}）。"
    )


def _download(database: Database, settings: Settings, recording_id: int, to: Path, by: str) -> Any:
    store = open_store(settings.resolved_storage_url)
    with database.unit_of_work() as session, to.open("xb") as target:
        who = access_cli.acting(session, by)
        return access_service.download(
            session=session, actor=who, store=store, recording_id=recording_id, target=target
        )


def _refused(database: Database, recording_id: int, by: str) -> None:
    with database.unit_of_work() as session:
        who = access_cli.acting(session, by)
        why = access_queries.refusal(session, who, recording_id, utcnow())
        access_service.refused(
            session=session,
            actor=who,
            recording_id=recording_id,
            action=AccessAction.DOWNLOAD,
            why=why,
        )


@recording_app.command(
    "copy",
    help="为浏览器无法播放的资料制作播放副本（H.264/AAC，派生文件，不替代原始文件，第十五条）。",
)
@command
def make_copy(
    recording_id: Annotated[int, typer.Argument(help="资料编号。")], as_json: JsonOpt = False
) -> None:
    """The viewing copy made at the console (or the one made before): its own digests, marked
    derived. Downloads and packages keep carrying the original."""
    settings = get_settings()
    store = open_store(settings.resolved_storage_url)
    with open_database(settings) as database, database.unit_of_work() as session:
        recording = queries.get_recording(session=session, actor=actor(), recording_id=recording_id)
        made_before = queries.viewing_copy_of(session, recording.id) is not None
        made = viewing.make_viewing_copy(
            session=session, actor=actor(), store=store, recording=recording
        )
        shown = {**columns_of(made), "derived": True, "made_now": not made_before}
    if as_json:
        print_json(shown)
        return
    done = "已有" if made_before else "已制作"
    say(
        f"{done}资料 #{recording_id} 的播放副本（派生文件，不替代原始文件）："
        f"{made.container}，{made.video_codec or '无视频'}/{made.audio_codec or '无音频'}，"
        f"{made.size} 字节，SHA-256 {made.sha256}。"
    )


@recording_app.command("correct", help="更正资料的元数据（作为新的记录保存，原始值不变）。")
@command
def correct(
    recording_id: Annotated[int, typer.Argument(help="资料编号。")],
    field: Annotated[str, typer.Option("--field", help="officer、start_at 或 note。")],
    value: Annotated[str, typer.Option("--value", help="更正后的值。")],
    reason: Annotated[str, typer.Option("--reason", help="更正理由（必填）。")],
    as_json: JsonOpt = False,
) -> None:
    try:
        chosen = CorrectableField(field.strip())
    except ValueError:
        raise InvalidInput("--field 应为 officer、start_at 或 note。", field="field") from None
    settings = get_settings()
    store = open_store(settings.resolved_storage_url)
    with open_database(settings) as database, database.unit_of_work() as session:
        recording = queries.get_recording(session=session, actor=actor(), recording_id=recording_id)
        kept_before = retention.effective_retention(session, recording)
        correction = service.correct(
            session=session,
            actor=actor(),
            recording=recording,
            field=chosen,
            value=value,
            reason=reason,
            settings=settings,
            store=store,
        )
        ids = [recording.id]  # a corrected time or officer moves it between activities
        relink_recordings(session=session, actor=actor(), settings=settings, recording_ids=ids)
        result = CorrectionOut.model_validate(correction)  # what POST …/corrections answers
        kept_after = retention.effective_retention(session, recording)
    if as_json:
        print_json(result)
        return
    say(f"已记录更正：{chosen.label} → {result.value}（原始值保持不变）。")
    if kept_after != kept_before:
        say(f"保存期限随之延长至 {kept_after.isoformat()}（第十四条）。")
