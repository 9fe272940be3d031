"""Settings: the home directory, the database and the rule thresholds.

Everything is read from the environment (prefix ``LAWCAM_``) so that a test, the CLI's
``--home`` and a deployment all configure the same object. A value that cannot be used is
refused in Chinese, naming its variable (docs/operations.md lists them all).
"""

from __future__ import annotations

import os
import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lawcam.errors import InvalidInput

SECRET_KEY_FILE = "secret_key"


class PasswordPolicy(BaseSettings):
    """Password rules; defaults follow common graded-protection (等保) practice."""

    model_config = SettingsConfigDict(env_prefix="LAWCAM_PASSWORD_", env_ignore_empty=True)

    min_length: int = Field(default=8, ge=6, le=128)
    min_classes: int = Field(default=3, ge=1, le=4)
    # zxcvbn's guess score (0–4) a password must reach, with the user's own words as hints.
    min_score: int = Field(default=3, ge=0, le=4)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAWCAM_", env_ignore_empty=True)

    home: Path = Path("./lawcam-data")
    database_url: str | None = None
    # The key that signs session cookies, the same on every app node (several nodes share the
    # sessions of one database: a login on one is valid on another). Required on PostgreSQL;
    # on SQLite, unset, a key made once in the home is used (one machine, one home).
    session_secret: SecretStr | None = None
    session_idle_minutes: int = Field(default=30, ge=1)
    # Failed logins are counted per source (client address): this many for one user name from
    # one source within lockout_minutes, or login_source_failures for any names from one source
    # within login_source_minutes, and that source is refused (answered as a wrong password).
    lockout_failures: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    login_source_failures: int = Field(default=30, ge=1)
    login_source_minutes: int = Field(default=15, ge=1)
    secure_cookies: bool = False  # set true to mark cookies Secure even on plain HTTP requests
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated
    # addresses, "*" for any): the client address and HTTPS scheme then come from them.
    trusted_proxies: str = ""
    # The address staff use to reach the server: printed into the QR codes of asset labels.
    base_url: str = "http://127.0.0.1:8000"
    # R11.1: the pre-use check at checkout; a failed check needs the administrator's reason.
    checkout_min_battery_pct: int = Field(default=80, ge=0, le=100)
    checkout_min_free_hours: float = Field(default=8.0, ge=0)
    checkout_max_clock_offset_s: float = Field(default=30.0, ge=0)
    # A device out longer than this is an overdue return on the device administrator's home
    # (a duty is a working day; Art. 14 wants its recordings on the server within 24 hours).
    custody_return_hours: int = Field(default=24, ge=1, le=24 * 365)
    # R6.1: a device under repair still counts toward the ratio for this many days.
    repair_count_days: int = Field(default=30, ge=0, le=3650)
    # Where originals are kept: file:///path (default: <home>/objects) or
    # s3://bucket?endpoint=http://host:8333 (Object Lock COMPLIANCE).
    storage_url: str | None = None
    # A file:// store on PostgreSQL: declared mounted at the same path on every app node (NFS,
    # a cluster file system). Undeclared, each node would keep its own originals: refused.
    storage_shared: bool = False
    # R11.2: at upload, a device clock further than this from the workstation's is flagged.
    ingest_max_clock_offset_s: float = Field(default=30.0, ge=0)
    # Files of one docking ingested at once (0: one per core). Each file's pass holds about
    # 100 MiB of blocks in flight, so memory stays bounded at that times this number.
    ingest_workers: int = Field(default=0, ge=0, le=64)
    # R14.1: recordings must reach the workstation within this many hours of their end.
    upload_deadline_hours: int = Field(default=24, ge=1)
    # R14.2: originals are kept at least this many calendar years from recording.
    retention_years: int = Field(default=2, ge=2, le=100)
    # Signed tree heads of the audit log at this interval while the server runs (0: only on
    # demand: ``lawcam audit sth``, the auditor's page, ``lawcam verify``).
    tree_head_minutes: int = Field(default=60, ge=0)
    # Largest request bodies, in bytes (413 beyond): JSON, urlencoded forms, and multipart
    # (spreadsheet imports). Upload pieces have their own limit.
    max_json_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_form_bytes: int = Field(default=256 * 1024, ge=1024)
    max_multipart_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    # The largest file a workstation may announce for upload (bytes).
    max_file_bytes: int = Field(default=64 * 1024**3, ge=1024, le=2**62)
    # The largest piece of a resumable upload in one request (streamed to disk, never held in
    # memory), and how long an unfinished upload may sit idle before its bytes are removed.
    upload_piece_bytes: int = Field(default=64 * 1024 * 1024, ge=64 * 1024, le=2**40)
    upload_abandon_hours: int = Field(default=72, ge=1)
    # Where unfinished uploads collect their pieces (default: <home>/uploads). A folder every
    # app node mounts at the same path (NFSv4: its locks hold across machines) lets an upload
    # started on one node continue and complete on any other.
    upload_spool_dir: Path | None = None
    # 第十条: a pause between recordings up to this long is not an interruption (a device cuts
    # long recordings into files seconds apart); whose recordings must cover an activity (any
    # officer's together, or each officer's); and the longest activity one may enter.
    activity_tolerance_s: int = Field(default=30, ge=0, le=3600)
    activity_policy: Literal["any", "each"] = "any"
    activity_max_hours: int = Field(default=24, ge=1, le=24 * 7)
    # The largest document one may file (a written report's scan): within a multipart body.
    document_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=1024**3)
    password: PasswordPolicy = Field(default_factory=PasswordPolicy)
    # R14.3: the retention terms a case file may have, by name, in years from the archive
    # date (0: 永久). JSON in LAWCAM_CASE_TERMS, e.g. {"permanent": 0, "30y": 30, "10y": 10}.
    case_terms: dict[str, int] = Field(
        default_factory=lambda: {"permanent": 0, "30y": 30, "10y": 10}
    )
    # 第十八条 (R18.1): an interruption still unexplained this many days after its activity is a
    # finding; the person concerned has this many days to make a statement; this many refused
    # attempts at recordings within findings_denied_hours are one finding.
    findings_explain_days: int = Field(default=3, ge=0, le=365)
    findings_statement_days: int = Field(default=7, ge=1, le=90)
    findings_denied_repeats: int = Field(default=3, ge=1, le=1000)
    findings_denied_hours: int = Field(default=24, ge=1, le=24 * 30)
    # A sweep for findings every this many minutes while serving (0: only by hand).
    findings_sweep_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    # A recomputation of every effective retention every this many hours while serving (0: only
    # by hand, ``lawcam retention recompute``): brings up recordings that joined linked activities.
    retention_recompute_hours: int = Field(default=24, ge=0, le=24 * 30)
    # Days a disposal report looks ahead (what expires soon, by unit).
    retention_report_days: tuple[int, ...] = (30, 90, 365)

    @field_validator("session_secret")
    @classmethod
    def _secret_long_enough(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and len(secret.get_secret_value().strip()) < 32:
            raise ValueError("会话密钥至少 32 个字符（可用 openssl rand -base64 48 生成）")
        return secret

    @field_validator("case_terms")
    @classmethod
    def _terms_sane(cls, terms: dict[str, int]) -> dict[str, int]:
        if not terms:
            raise ValueError("至少需要一个案卷保存期限")
        for name, years in terms.items():
            if not re.fullmatch(r"[a-z0-9_]{1,20}", name) or not (years == 0 or 2 <= years <= 100):
                raise ValueError(
                    f"案卷保存期限 {name}={years} 不正确（名称为小写字母数字，年限 0 表示永久或 2–100）"
                )
        return terms

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'lawcam.db').resolve()}"

    @property
    def ingest_parallel(self) -> int:
        """How many files of a docking are read at once: SM3 holds one core per file."""
        return self.ingest_workers or max(os.cpu_count() or 1, 1)

    @property
    def resolved_storage_url(self) -> str:
        url = self.storage_url or (self.home / "objects").resolve().as_uri()
        if url.startswith("file:") and self.on_postgresql and not self.storage_shared:
            raise InvalidInput(
                "使用 PostgreSQL 数据库时，资料须存放在各服务节点共用的存储中：设置 LAWCAM_STORAGE_URL 为"
                " S3 存储（s3://…，对象锁定），或把本地目录挂载到每个节点的同一路径并设置"
                " LAWCAM_STORAGE_SHARED=true；否则每个节点各存一份原始资料。见 docs/operations.md。",
                field="LAWCAM_STORAGE_URL",
            )
        return url

    @property
    def upload_spool(self) -> Path:
        """Where remote uploads collect their bytes before they are verified and stored."""
        return self.upload_spool_dir or self.home / "uploads"

    def check_node(self) -> None:
        """What an app node refuses to start without, in Chinese, before it serves anyone: on
        PostgreSQL (several nodes may share it) the one session key and a shared store."""
        _ = self.secret_key
        _ = self.resolved_storage_url

    @property
    def on_postgresql(self) -> bool:
        return self.resolved_database_url.startswith("postgresql")

    @cached_property
    def secret_key(self) -> str:
        """The key that signs session cookies: the configured one; on SQLite without one, a key
        of this home, created on first use, mode 0600. On PostgreSQL a key of each node's own
        home would log users out whenever a load balancer switched nodes: refused."""
        if self.session_secret is not None:
            return self.session_secret.get_secret_value().strip()
        if self.on_postgresql:
            raise InvalidInput(
                "使用 PostgreSQL 数据库时须配置会话密钥 LAWCAM_SESSION_SECRET（至少 32 个字符，"
                "各服务节点相同），否则用户在节点之间切换时会被注销。见 docs/operations.md。",
                field="LAWCAM_SESSION_SECRET",
            )
        path = self.home / SECRET_KEY_FILE
        if not path.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


def load_settings(home: Path | None = None) -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        raise in_chinese(exc) from None
    if home is not None:
        settings.home = home
    return settings


_EXPECTED = {
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
}


def in_chinese(exc: ValidationError) -> InvalidInput:
    """Pydantic's report of bad environment values, as one Chinese message naming each
    variable (its own text is English and links to a website)."""
    models: dict[str, type[BaseSettings]] = {"Settings": Settings, "PasswordPolicy": PasswordPolicy}
    prefix = models.get(exc.title, Settings).model_config.get("env_prefix", "LAWCAM_")
    problems = []
    for error in exc.errors():
        name = prefix + "_".join(str(part) for part in error["loc"]).upper()
        if error["type"] == "value_error":  # our validators' own Chinese words
            problems.append(f"{name}：{error['ctx']['error']}")
            continue
        expected = _EXPECTED.get(error["type"], "无效").format(**error.get("ctx", {}))
        problems.append(f"{name} 的值“{error['input']}”{expected}")
    return InvalidInput(f"设置有误：{'；'.join(problems)}。请按运维手册的设置表修改。")
