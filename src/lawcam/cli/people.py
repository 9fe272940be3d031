"""``lawcam person``: people of the office, named by their badge (执法证号)."""

from typing import Annotated

import typer

from lawcam.authz import Role
from lawcam.cli.common import (
    JsonOpt,
    actor,
    command,
    get_settings,
    open_database,
    person_by,
    print_json,
    role_from,
    say,
    table,
    unit_named,
)
from lawcam.org import queries, service
from lawcam.org.types import PersonIn
from lawcam.schemas.org import PersonOut

app = typer.Typer(help="人员（执法人员及其他工作人员）。", no_args_is_help=True)

BadgeOpt = Annotated[str | None, typer.Option("--badge", help="执法证号。")]
PersonIdOpt = Annotated[
    int | None, typer.Option("--person-id", help="人员编号（用于没有执法证号的人员）。")
]


def roles_text(person: PersonOut) -> str:
    labels = [r.label for r in person.roles]
    if person.is_officer:
        labels.insert(0, Role.OFFICER.label)
    return "、".join(labels)


@app.command("add", help="新增人员；--role 可重复（如 device_admin、unit_head）。")
@command
def add(
    name: Annotated[str, typer.Option("--name", help="姓名。")],
    unit: Annotated[str, typer.Option("--unit", help="所在单位名称。")],
    badge: BadgeOpt = None,
    officer: Annotated[bool, typer.Option("--officer", help="执法人员（须有执法证号）。")] = False,
    role: Annotated[
        list[str] | None,
        typer.Option("--role", help="角色代码或中文名称（可重复）；officer 即 --officer。"),
    ] = None,
    phone: Annotated[str, typer.Option("--phone", help="联系电话。")] = "",
    as_json: JsonOpt = False,
) -> None:
    roles = tuple(role_from(r) for r in role or ())
    data = PersonIn(
        name=name,
        unit=unit,
        badge=badge,
        is_officer=officer or Role.OFFICER in roles,
        phone=phone,
        roles=tuple(r for r in roles if r is not Role.OFFICER),
    )
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        result = PersonOut.of(service.create_person(session=session, actor=actor(), data=data))
    if as_json:
        print_json(result)
        return
    say(f"已新增人员：{result.name}（编号 {result.id}，{result.unit}）")


@app.command("list", help="列出人员。")
@command
def list_(
    unit: Annotated[str | None, typer.Option("--unit", help="只列出该单位的人员。")] = None,
    officers_only: Annotated[bool, typer.Option("--officers", help="只列出执法人员。")] = False,
    include_inactive: Annotated[bool, typer.Option("--all", help="包括已停用的人员。")] = False,
    as_json: JsonOpt = False,
) -> None:
    with open_database(get_settings()) as database, database.read() as session:
        unit_id = unit_named(session, unit).id if unit is not None else None
        people = queries.list_people(
            session=session,
            actor=actor(),
            unit_id=unit_id,
            include_inactive=include_inactive,
            officers_only=officers_only,
        )
        rows = [PersonOut.of(p) for p in people]
    if as_json:
        print_json({"people": rows})
        return
    table(
        f"人员（{len(rows)} 人）",
        ["编号", "姓名", "执法证号", "单位", "身份与角色", "联系电话", "状态"],
        [
            [
                p.id,
                p.name,
                p.badge,
                p.unit,
                roles_text(p),
                p.phone,
                "在职" if p.is_active else "已停用",
            ]
            for p in rows
        ],
    )


def _set_active(badge: str | None, person_id: int | None, active: bool, as_json: bool) -> None:
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        found = person_by(session, badge=badge, person_id=person_id)
        person = service.set_person_active(
            session=session, actor=actor(), person_id=found.id, active=active
        )
        result = PersonOut.of(person)
    if as_json:
        print_json(result)
        return
    say(f"已{'启用' if active else '停用'}人员：{result.name}")


@app.command("deactivate", help="停用人员（有记录的人员不删除，只停用）。")
@command
def deactivate(
    badge: BadgeOpt = None, person_id: PersonIdOpt = None, as_json: JsonOpt = False
) -> None:
    _set_active(badge, person_id, False, as_json)


@app.command("reactivate", help="重新启用已停用的人员。")
@command
def reactivate(
    badge: BadgeOpt = None, person_id: PersonIdOpt = None, as_json: JsonOpt = False
) -> None:
    _set_active(badge, person_id, True, as_json)
