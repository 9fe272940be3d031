"""``lawcam account``: logins, passwords, lockout and workstation tokens."""

from typing import Annotated

import typer

from lawcam.cli.common import (
    JsonOpt,
    account_named,
    actor,
    command,
    get_settings,
    open_database,
    person_by,
    print_json,
    read_password,
    say,
    table,
)
from lawcam.org import accounts, queries
from lawcam.org.models import Account
from lawcam.schemas.org import AccountOut, TokenCreated, TokenOut
from lawcam.timeutil import local

app = typer.Typer(help="账号、密码、锁定和工作站令牌。", no_args_is_help=True)

UsernameOpt = Annotated[str, typer.Option("--username", help="用户名。")]
PasswordOpt = Annotated[
    str | None,
    typer.Option("--password", help="密码；省略时在终端中提示输入两次（不回显）。"),
]


def _row(account: Account) -> list[object]:
    return [
        account.id,
        account.username,
        account.person.name,
        account.person.unit.name,
        "启用" if account.is_active else "已停用",
        local(account.locked_until),
        local(account.last_login_at),
    ]


@app.command("add", help="为人员开设账号（每人一个）；初始密码是临时密码，本人首次登录时须修改。")
@command
def add(
    username: UsernameOpt,
    badge: Annotated[str | None, typer.Option("--badge", help="账号所属人员的执法证号。")] = None,
    person_id: Annotated[
        int | None, typer.Option("--person-id", help="人员编号（用于没有执法证号的人员）。")
    ] = None,
    password: PasswordOpt = None,
    as_json: JsonOpt = False,
) -> None:
    settings = get_settings()
    with open_database(settings) as database:
        with database.read() as session:
            person_by(session, badge=badge, person_id=person_id)  # fail before asking
        secret = read_password(password)
        with database.unit_of_work() as session:
            person = person_by(session, badge=badge, person_id=person_id)
            account = accounts.create_account(
                session=session,
                actor=actor(),
                settings=settings,
                person_id=person.id,
                username=username,
                password=secret,
            )
            result = AccountOut.of(account)
    if as_json:
        print_json(result)
        return
    say(f"已为 {result.person_name} 开设账号 {result.username}。")


@app.command("list", help="列出账号。")
@command
def list_(as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        found = queries.list_accounts(session=session, actor=actor())
        listed = [AccountOut.of(a) for a in found]
        rows = [_row(a) for a in found]
    if as_json:
        print_json({"accounts": listed})
        return
    table(
        f"账号（{len(rows)} 个）",
        ["编号", "用户名", "姓名", "单位", "状态", "锁定至", "最近登录"],
        rows,
    )


@app.command(
    "reset-password",
    help="重置账号密码（临时密码，本人下次登录时须修改；结束其所有登录会话并吊销其工作站令牌）。",
)
@command
def reset_password(
    username: UsernameOpt, password: PasswordOpt = None, as_json: JsonOpt = False
) -> None:
    settings = get_settings()
    with open_database(settings) as database:
        with database.read() as session:
            account_named(session, username)  # fail before asking
        secret = read_password(password)
        with database.unit_of_work() as session:
            found = account_named(session, username)
            account = accounts.reset_password(
                session=session,
                actor=actor(),
                settings=settings,
                account_id=found.id,
                password=secret,
            )
            result = AccountOut.of(account)
    if as_json:
        print_json(result)
        return
    say(f"已重置账号 {result.username} 的密码（临时密码，本人下次登录时须修改）。")


@app.command("unlock", help="解除账号锁定。")
@command
def unlock(username: UsernameOpt, as_json: JsonOpt = False) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        found = account_named(session, username)
        account = accounts.unlock_account(session=session, actor=actor(), account_id=found.id)
        result = AccountOut.of(account)
    if as_json:
        print_json(result)
        return
    say(f"已解除账号 {result.username} 的锁定。")


def _set_active(username: str, active: bool, as_json: bool) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        found = account_named(session, username)
        account = accounts.set_account_active(
            session=session, actor=actor(), account_id=found.id, active=active
        )
        result = AccountOut.of(account)
    if as_json:
        print_json(result)
        return
    say(f"已{'启用' if active else '停用'}账号 {result.username}。")


@app.command("deactivate", help="停用账号（并结束其所有登录会话）。")
@command
def deactivate(username: UsernameOpt, as_json: JsonOpt = False) -> None:
    _set_active(username, False, as_json)


@app.command("reactivate", help="重新启用已停用的账号。")
@command
def reactivate(username: UsernameOpt, as_json: JsonOpt = False) -> None:
    _set_active(username, True, as_json)


@app.command(
    "token",
    help="为工作站生成 API 令牌（令牌只显示这一次；只能开始采集和上传，不能查看资料）。",
)
@command
def token(
    username: UsernameOpt,
    name: Annotated[str, typer.Option("--name", help="令牌名称（工作站名称）。")],
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        found = account_named(session, username)
        created, plain = accounts.create_token(
            session=session, actor=actor(), account_id=found.id, name=name
        )
        # What POST /accounts/{id}/tokens answers.
        result = TokenCreated(**TokenOut.model_validate(created).model_dump(), token=plain)
        username = found.username
    if as_json:
        print_json(result)
        return
    say(f"已为账号 {username} 生成工作站令牌“{result.name}”：")
    say(plain)
    say("令牌只显示这一次，系统只保存其散列值，请妥善保管。")
