"""What every command shares: the home and its settings, the database, the console actor,
one way to print (a Rich table or exactly one JSON document) and one way to fail (exit 2).

SQLAlchemy and the models are imported inside the functions that use them: this module is
loaded by every command before it runs, and ``lawcam verify`` starts hashing the store before
they load (see ``lawcam.cli.verify``).
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec

import typer
from rich.console import Console
from rich.table import Table

from lawcam.authz import Actor, Role, console_actor
from lawcam.config import Settings, load_settings
from lawcam.errors import InvalidInput, LawcamError, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from lawcam.db import Database
    from lawcam.org.models import Account, Person, Unit

JsonOpt = Annotated[bool, typer.Option("--json", help="输出一个 JSON 文档（便于脚本处理）。")]

NOT_INITIALISED = "尚未初始化，请先运行 lawcam init"


@dataclass
class State:
    """The global options, set by the application's callback before each command runs."""

    home: Path | None = None


STATE = State()


def get_settings() -> Settings:
    return load_settings(STATE.home)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no passwd entry (containers)
        return f"uid{os.getuid()}"


def actor() -> Actor:
    """CLI changes are made by the operating-system user who holds the database."""
    return console_actor(os_user())


def display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


_SQLITE_URL = re.compile(r"^sqlite(\+\w+)?:///(?P<path>[^?]*)")


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory ones), read without
    SQLAlchemy so that ``verify`` can check a home before the database layer loads."""
    match = _SQLITE_URL.match(url)
    if match is None or match["path"] in ("", ":memory:"):
        return None
    return Path(match["path"])


@contextmanager
def open_database(
    settings: Settings, *, require_init: bool = True, sign_heads: bool = True
) -> Iterator[Database]:
    """The home's database; refuses (exit 2) a home that ``lawcam init`` has not prepared.
    When the command wrote to the audit log, a tree head is signed at its end (R18.1)."""
    from lawcam.db import Database
    from lawcam.db.migrate import current_revision, head_revision

    url = settings.resolved_database_url
    if require_init:
        require_initialised(settings)
    database = Database(url)
    audited = _watch_audit(database)
    try:
        if require_init:
            revision = current_revision(database.engine)
            if revision is None:
                raise LawcamError(NOT_INITIALISED, code="not_initialised")
            head = head_revision()
            if revision != head:
                raise LawcamError(
                    f"数据库版本（{revision}）与程序版本（{head}）不一致，"
                    "请先运行 lawcam init 升级数据库。",
                    code="not_initialised",
                )
        yield database
    finally:
        if audited and sign_heads:
            sign_head(settings, database)
        database.dispose()


def _watch_audit(database: Database) -> list[bool]:
    """Fills (with True) when a transaction that wrote an audit entry commits."""
    from sqlalchemy import event

    from lawcam.audit.service import AUDITED

    committed: list[bool] = []

    def after_commit(session: Session) -> None:
        if session.info.pop(AUDITED, False):
            committed.append(True)

    def after_rollback(session: Session) -> None:
        session.info.pop(AUDITED, None)

    event.listen(database.sessions, "after_commit", after_commit)
    event.listen(database.sessions, "after_rollback", after_rollback)
    return committed


def sign_head(settings: Settings, database: Database) -> None:
    """A signed head over the log as the command left it: deleting its last entries later is
    then named by verify even in a home used only from the command line (R18.1)."""
    from sqlalchemy.exc import SQLAlchemyError

    from lawcam.audit.log import make_head
    from lawcam.audit.signing import load_signer

    try:
        with database.unit_of_work() as session:
            make_head(session=session, signer=load_signer(settings.home))
    except (LookupError, LawcamError, SQLAlchemyError) as exc:  # verify names a damaged log
        err().print(f"警告：未能签署审计日志树头：{exc}", markup=False, style="yellow")


def require_initialised(settings: Settings) -> None:
    """The cheap part of the check: the home exists and so does its SQLite file, if any."""
    sqlite_file = _sqlite_file(settings.resolved_database_url)
    if not settings.home.is_dir() or (sqlite_file is not None and not sqlite_file.exists()):
        raise LawcamError(NOT_INITIALISED, code="not_initialised")


# Output --------------------------------------------------------------------------------------


def out() -> Console:
    return Console(highlight=False)


def err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(document: Any) -> None:
    """One JSON document on stdout. An Out schema (``lawcam.schemas``) in it is written as the
    API writes it (``model_dump(mode="json")``, aliases included): one vocabulary for both."""
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2, default=_as_api))


def _as_api(value: Any) -> Any:
    if hasattr(value, "model_dump"):  # a pydantic model, without importing pydantic here
        return value.model_dump(mode="json", by_alias=True)
    return str(value)


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    if not out().is_terminal:
        plain_table(title, columns, rows)
        return
    grid = Table(title=title, title_justify="left")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*["" if cell is None else str(cell) for cell in row])
    out().print(grid)


def plain_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A table for a file or a pipe: the title, then tab-separated lines. No box drawing, no
    colour codes, no cell folded over lines: a file, grep and Excel read it as it is."""

    def cell(value: Any) -> str:
        return "" if value is None else " ".join(str(value).split())

    lines = [title, "\t".join(columns), *("\t".join(cell(c) for c in row) for row in rows)]
    typer.echo("\n".join(lines))


def say(message: str) -> None:
    out().print(message, markup=False, soft_wrap=True)


def fail(code: str, message: str, *, as_json: bool, exit_code: int = 2) -> NoReturn:
    """The message on stderr (and, with ``--json``, the error document on stdout); then exit."""
    err().print(f"错误：{message}", markup=False, style="red")
    if as_json:
        print_json({"error": {"code": code, "message": message}})
    raise typer.Exit(exit_code)


P = ParamSpec("P")


def command(func: Callable[P, None]) -> Callable[P, None]:
    """Turns domain and database errors into a Chinese message and exit status 2. The wrapped
    function keeps its signature (and its module's annotations) for Typer."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        as_json = bool(kwargs.get("as_json", False))
        try:
            func(*args, **kwargs)
        except LawcamError as exc:
            fail(exc.code, exc.message, as_json=as_json)
        except Exception as exc:
            failure = _database_failure(exc)
            if failure is None:
                raise
            fail(*failure, as_json=as_json)

    return wrapper


def _database_failure(exc: Exception) -> tuple[str, str] | None:
    """(code, message) for a database error; None for anything else."""
    if "sqlalchemy" not in sys.modules:  # nothing has touched a database
        return None
    from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

    if isinstance(exc, IntegrityError):
        return "conflict", "数据与已有记录冲突，未作任何更改。"
    if isinstance(exc, OperationalError):
        reason = str(exc.orig) if exc.orig is not None else str(exc)
        first = (reason.strip().splitlines() or [""])[0]
        return "database_unavailable", f"无法访问数据库：{first}"
    if isinstance(exc, SQLAlchemyError):
        return "database_error", f"数据库错误：{type(exc).__name__}"
    return None


# Naming things on the command line -----------------------------------------------------------


def role_from(text: str) -> Role:
    """A role by its code (device_admin) or its Chinese label (执法记录仪管理员)."""
    value = text.strip()
    for role in Role:
        if value in (role.value, role.label):
            return role
    codes = "、".join(f"{r.value}（{r.label}）" for r in Role)
    raise InvalidInput(f"未知角色“{value}”。可用角色：{codes}。", field="role")


def unit_named(session: Session, name: str) -> Unit:
    from lawcam.org import queries

    unit = queries.unit_by_name(session, name)
    if unit is None:
        raise NotFound(f"单位“{name.strip()}”不存在。")
    return unit


def person_by(session: Session, *, badge: str | None, person_id: int | None) -> Person:
    if (badge is None) == (person_id is None):
        raise InvalidInput("请用 --badge（执法证号）或 --person-id 指定一名人员。", field="badge")
    from lawcam.org import queries

    if person_id is not None:
        return queries.get_person(session=session, actor=actor(), person_id=person_id)
    assert badge is not None
    person = queries.person_by_badge(session, badge)
    if person is None:
        raise NotFound(f"执法证号为 {badge.strip()} 的人员不存在。")
    return person


def account_named(session: Session, username: str) -> Account:
    from sqlalchemy import select

    from lawcam.authz import Action
    from lawcam.org import queries
    from lawcam.org.models import Account

    name = username.strip().lower()
    stmt = select(Account).where(Account.username == name)
    stmt = queries.permitted(session, stmt, actor(), Action.ACCOUNT_VIEW)
    account: Account | None = session.scalars(stmt).one_or_none()
    if account is None:
        raise NotFound(f"账号 {name} 不存在。")
    return account


def interactive() -> bool:
    return sys.stdin.isatty()


def read_password(password: str | None) -> str:
    """``--password`` if given; otherwise asked twice, hidden, on a terminal."""
    if password is not None:
        return password
    if not interactive():
        raise InvalidInput("请用 --password 指定密码（非交互方式运行时无法提示输入）。")
    value: str = typer.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码", err=True)
    return value
