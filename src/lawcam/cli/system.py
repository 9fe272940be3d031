"""Setting up and running: ``init``, ``serve`` and ``demo``."""

import copy
import os
from typing import Annotated, Any

import typer

from lawcam.audit.log import make_head
from lawcam.audit.signing import load_signer
from lawcam.cli.common import (
    JsonOpt,
    actor,
    command,
    display_url,
    get_settings,
    open_database,
    print_json,
    say,
    sign_head,
    table,
)
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.db.migrate import current_revision, upgrade
from lawcam.errors import InvalidInput
from lawcam.storage import BlobStore, LocalStore, StorageError, open_store

HostOpt = Annotated[str, typer.Option("--host", help="监听地址。")]
WEB_APP_FACTORY = "lawcam.web.app:app_from_env"

PortOpt = Annotated[int, typer.Option("--port", help="监听端口。", min=1, max=65535)]
WorkersOpt = Annotated[
    int,
    typer.Option(
        "--workers",
        help="服务进程数（建议等于服务器的 CPU 核数；每个进程各用一个核运行 Python）。",
        min=1,
        max=64,
    ),
]


def register(app: typer.Typer) -> None:
    app.command("init", help="创建数据目录和密钥，建立或升级数据库（可重复运行）。")(init)
    app.command("serve", help="启动网页服务。")(serve)
    app.command("demo", help="生成演示数据（仅在空数据目录中）、列出演示账号并启动网页服务。")(demo)


def initialise(settings: Settings) -> dict[str, Any]:
    """Idempotent: the home directory, its secret key, the database at the newest revision."""
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"无法创建数据目录 {settings.home}：{exc.strerror}。") from exc
    if settings.session_secret is None and not settings.on_postgresql:
        _ = settings.secret_key  # this home's key, created on first use, mode 0600
    signer = load_signer(settings.home)  # the audit log's Ed25519 key, mode 0600
    database = Database(settings.resolved_database_url)
    try:
        upgrade(database.engine)
        revision = current_revision(database.engine)
        sign_head(settings, database)  # the log's first head (or a newer one) from the start
    finally:
        database.dispose()
    prepare_store(settings.resolved_storage_url)
    return {
        "home": str(settings.home.resolve()),
        "database": display_url(settings.resolved_database_url),
        "revision": revision,
        "storage": settings.resolved_storage_url,
        "audit_public_key": signer.public_key.hex(),
    }


def prepare_store(url: str) -> BlobStore:
    """The local folder made, or the S3 bucket created with Object Lock (a bucket without it is
    refused: originals must be write-once, R15.1)."""
    store = open_store(url)
    if isinstance(store, LocalStore):
        store.root.mkdir(parents=True, exist_ok=True)
    else:
        ensure = getattr(store, "ensure_bucket")  # noqa: B009 (S3Store only; boto3 loads lazily)
        try:
            ensure()
        except StorageError as exc:
            raise InvalidInput(f"无法准备存储 {url}：{exc}") from exc
    return store


@command
def init(as_json: JsonOpt = False) -> None:
    info = initialise(get_settings())
    if as_json:
        print_json(info)
        return
    say(f"已初始化数据目录：{info['home']}")
    say(f"数据库：{info['database']}（版本 {info['revision']}）")


def _serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Run the web application. The CLI does not import the web layer: uvicorn builds the app
    with ``lawcam.web.app:app_from_env``, which reads the same settings from the environment."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    os.environ["LAWCAM_HOME"] = str(settings.home.resolve())
    if settings.database_url:
        os.environ["LAWCAM_DATABASE_URL"] = settings.database_url
    # Server and access logs go to stderr: stdout carries the command's one document.
    logging_config = copy.deepcopy(LOGGING_CONFIG)
    for handler in logging_config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"
    uvicorn.run(
        WEB_APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        log_level="info",
        log_config=logging_config,
        # The client's address and scheme come from X-Forwarded-* only from trusted proxies
        # (login throttling per source, Secure cookies over HTTPS); none by default.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        # SIGTERM stops the server within this many seconds even while requests run (a long
        # upload piece is cut and truncated away; the workstation resumes it later).
        timeout_graceful_shutdown=10,
        # Longer than a person's pause between clicks or a workstation's between pieces: a
        # connection closed at the instant a request is sent on it fails that request.
        timeout_keep_alive=75,
        # Python runs one thread at a time per process: several processes use several cores
        # (each its own pool; uploads hold nothing between requests that another would need).
        workers=workers,
        # A worker busy on a loaded machine answers the supervisor's ping late; only one that
        # stays silent this long is hung and replaced (5 s killed busy workers mid-upload).
        timeout_worker_healthcheck=30,
    )


@command
def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    workers: WorkersOpt = 1,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    settings.check_node()  # on PostgreSQL: one session key, a shared store, or refused here
    with open_database(settings) as database:
        url = display_url(database.url)
    if as_json:
        print_json(
            {"url": f"http://{host}:{port}/", "home": str(settings.home.resolve()), "database": url}
        )
    else:
        say(f"网页服务：http://{host}:{port}/  （按 Ctrl+C 停止）")
    _serve(settings, host, port, workers)


@command
def demo(
    port: PortOpt = 8000,
    host: HostOpt = "127.0.0.1",
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="只生成数据，不启动网页服务。")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    from lawcam.demo import demo_logins, equipment_summary, is_seeded, seed, summary_lines
    from lawcam.demo.custody import seed_history
    from lawcam.demo.web_upload import seed_web_uploads
    from lawcam.timeutil import utcnow

    settings = get_settings()
    if not no_serve:
        settings.check_node()  # refused before seeding, not after
    info = initialise(settings)
    console = actor()
    with open_database(settings) as database:
        with database.unit_of_work() as session:
            seeded = not is_seeded(session=session, actor=console)
            if seeded:
                logins = seed(session=session, actor=console, settings=settings)
            else:
                logins = demo_logins(session=session, actor=console)
        evidence = activities = access = kept = faults = None
        if seeded:  # after the seed commits: ingest runs one transaction per file
            store = open_store(settings.resolved_storage_url)
            history = seed_history(
                database=database, store=store, settings=settings, workstation=console
            )
            evidence = history["evidence"]
            activities = history["activities"]  # evening inspections: each state of 第十条
            access = history["access"]  # requests in each state of 第十五条
            kept = history["retention"]  # cases, holds and disposal (第十四条)
            faults = history["findings"]  # findings of every rule, in each review state
            # The web workstation, now: one browser upload done, one left half sent (上传资料).
            seed_web_uploads(database=database, store=store, settings=settings)
            with database.unit_of_work() as session:  # the auditor's page opens on a signed head
                make_head(session=session, signer=load_signer(settings.home))
        with database.read() as session:
            summary = equipment_summary(
                session=session,
                actor=console,
                now=utcnow(),
                repair_days=settings.repair_count_days,
            )
        url = f"http://{host}:{port}/"
        if as_json:
            print_json(
                {
                    **info,
                    "seeded": seeded,
                    "url": None if no_serve else url,
                    "equipment": summary,
                    "evidence": evidence,
                    "activities": activities,
                    "access": access,
                    "retention": kept,
                    "findings": faults,
                    "logins": [
                        {
                            "username": x.username,
                            "password": x.password,
                            "name": x.name,
                            "role": x.role,
                            "unit": x.unit,
                        }
                        for x in logins
                    ],
                }
            )
        else:
            say("已生成演示数据。" if seeded else "数据目录中已有数据，未重复生成演示数据。")
            for line in summary_lines(summary):
                say(f"  {line}")
            if evidence:
                say(
                    f"  领用台账：{history['first_day']} 起 {history['days']} 个工作日的领用、"
                    f"归还、交接、故障维修和丢失损坏（第九条、第十六条、第十七条）"
                )
                say(
                    f"  音像资料：导入 {evidence['ingested']} 个（有问题标记 {evidence['flagged']} 个），"
                    f"重复 {evidence['duplicates']} 个；设备卡片在 {settings.home / 'demo-cards'}"
                )
            if activities:
                say(
                    f"  执法活动：{activities['activities']} 次（全程覆盖 {activities['fully_covered']}，"
                    f"有未说明的中断 {activities['unexplained']}，无录像 {activities['no_recording']}，"
                    f"迟交 {activities['late']}；第十条、第十四条）"
                )
            if access:
                say(
                    f"  调阅审批：申请 {access['requests']} 份（待审批 {access['pending']}，"
                    f"有效授权 {access['approved']}，已过期 {access['expired']}，"
                    f"已驳回 {access['rejected']}，已撤销 {access['revoked']}；第十五条）"
                )
                say(
                    f"  执法规范抽查：{access['samples']} 次，抽取 {access['sampled']} 条，"
                    f"已评查 {access['reviewed']} 条（第十三条）"
                )
            if kept:
                say(
                    f"  案件与保存期限：案件 {kept['cases']} 件（已归档 {kept['archived']}），"
                    f"保全 {kept['holds']} 项（待批准解除 {kept['release_asked']}），"
                    f"销毁批次 {kept['batches']} 个（已执行 {kept['batches_done']}，"
                    f"待执行 {kept['batches_approved']}；第十四条第（二）项、第（三）项）"
                )
            if faults:
                statuses = faults["statuses"]
                say(
                    f"  执法过错：{sum(statuses.values())} 项，涵盖 "
                    f"{sum(1 for n in faults['rules'].values() if n)} 种规则（待核实 "
                    f"{statuses['pending']}，已认定 {statuses['confirmed']}，不予认定 "
                    f"{statuses['dismissed']}，复核改变 {statuses['overturned']}，已纠正 "
                    f"{statuses['cured']}；第十八条）"
                )
            table(
                "演示账号",
                ["用户名", "初始密码", "姓名", "角色", "单位"],
                [[x.username, x.password, x.name, x.role, x.unit] for x in logins],
            )
            if not no_serve:
                say(f"网页服务：{url}  （按 Ctrl+C 停止）")
    if not no_serve:
        _serve(settings, host, port)
