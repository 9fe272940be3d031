"""``lawcam role``: assign and revoke roles (R9.1 one device administrator per unit; 三员分立)."""

from typing import Annotated

import typer

from lawcam.authz import ROLE_LABELS, SEPARATED_ROLES, Role
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
)
from lawcam.org import service
from lawcam.schemas.org import PersonOut

app = typer.Typer(help="角色的分配与撤销。", no_args_is_help=True)

BadgeOpt = Annotated[str | None, typer.Option("--badge", help="人员的执法证号。")]
PersonIdOpt = Annotated[
    int | None, typer.Option("--person-id", help="人员编号（用于没有执法证号的人员）。")
]
RoleOpt = Annotated[str, typer.Option("--role", help="角色代码（如 device_admin）或中文名称。")]


def _change(
    badge: str | None, person_id: int | None, role: str, *, assign: bool, as_json: bool
) -> None:
    wanted = role_from(role)
    with open_database(get_settings()) as database, database.unit_of_work() as session:
        person = person_by(session, badge=badge, person_id=person_id)
        change = service.assign_role if assign else service.revoke_role
        change(session=session, actor=actor(), person_id=person.id, role=wanted)
        session.refresh(person, ["role_assignments"])
        result = PersonOut.of(person)  # what POST /people/{id}/roles answers
    if as_json:
        print_json(result)
        return
    verb = "任命" if assign else "撤销"
    say(f"已{verb}：{result.name}（{result.unit}）{wanted.label}")


@app.command("assign", help="为人员分配角色。")
@command
def assign(
    role: RoleOpt, badge: BadgeOpt = None, person_id: PersonIdOpt = None, as_json: JsonOpt = False
) -> None:
    _change(badge, person_id, role, assign=True, as_json=as_json)


@app.command("revoke", help="撤销人员的角色。")
@command
def revoke(
    role: RoleOpt, badge: BadgeOpt = None, person_id: PersonIdOpt = None, as_json: JsonOpt = False
) -> None:
    _change(badge, person_id, role, assign=False, as_json=as_json)


@app.command("list", help="列出可用的角色代码。")
@command
def list_(as_json: JsonOpt = False) -> None:
    rows = [
        {"role": r.value, "label": ROLE_LABELS[r], "separated": r in SEPARATED_ROLES} for r in Role
    ]
    if as_json:
        print_json({"roles": rows})
        return
    table(
        "角色",
        ["代码", "名称", "说明"],
        [
            [
                r["role"],
                r["label"],
                "三员分立，不得兼任"
                if r["separated"]
                else ("用 --officer 设置" if r["role"] == Role.OFFICER else ""),
            ]
            for r in rows
        ],
    )
