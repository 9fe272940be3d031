"""Chinese pages for accounts, workstation tokens (系统管理员) and role assignment (安全管理员).

Thin: parse the form → call the service or query (they check permission) → render.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawcam.authz import ONE_PER_UNIT_ROLES, ROLE_LABELS, SEPARATED_ROLES, Action, Role
from lawcam.config import Settings
from lawcam.errors import InvalidInput, LawcamError, NotFound
from lawcam.org import accounts, queries, service
from lawcam.org.models import Account, Person
from lawcam.org.types import ASSIGNABLE_ROLES, AccountState
from lawcam.schemas.common import Id
from lawcam.timeutil import utcnow
from lawcam.web.deps import Auth, AuthDep, SessionDep, SettingsDep
from lawcam.web.forms import discard, flash_redirect, parse_int, render, role_tags, unit_names

router = APIRouter(include_in_schema=False)

Password = Annotated[str, Form(max_length=300)]


def is_locked(account: Account) -> bool:
    return queries.is_locked(account, utcnow())


def _people_without_account(session: Session, auth: Auth) -> Sequence[Person]:
    taken = {a.person_id for a in queries.list_accounts(session=session, actor=auth.actor)}
    people = queries.list_people(session=session, actor=auth.actor)
    return [p for p in people if p.id not in taken]


# Accounts ------------------------------------------------------------------------------------


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    auth.actor.require(Action.ACCOUNT_VIEW)
    state = AccountState(status) if status in set(AccountState) else None
    rows = queries.search_accounts(
        session=session, actor=auth.actor, text=q, state=state, now=utcnow()
    )
    return render(
        request,
        "accounts.html",
        auth,
        accounts=rows,
        names=unit_names(session, auth),
        filters={"q": q, "status": status},
        is_locked=is_locked,
        role_tags=role_tags,
    )


def _account_form_page(
    request: Request,
    session: Session,
    auth: Auth,
    form: dict[str, Any],
    *,
    status_code: int = 200,
    error: str | None = None,
    error_field: str | None = None,
) -> Response:
    return render(
        request,
        "account_form.html",
        auth,
        status_code=status_code,
        form=form,
        people=_people_without_account(session, auth),
        names=unit_names(session, auth),
        error=error,
        error_field=error_field,
    )


@router.get("/accounts/new", response_class=HTMLResponse)
def account_new_form(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    person_id: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    auth.actor.require(Action.ACCOUNT_MANAGE)
    form = {"person_id": person_id.strip(), "username": ""}
    return _account_form_page(request, session, auth, form)


@router.post("/accounts/new", response_class=HTMLResponse)
def account_new_submit(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    person_id: Annotated[str, Form(max_length=20)] = "",
    username: Annotated[str, Form(max_length=100)] = "",
    password: Password = "",
) -> Response:
    auth.actor.require(Action.ACCOUNT_MANAGE)
    form = {"person_id": person_id.strip(), "username": username}
    try:
        pid = parse_int(person_id, "人员", field="person_id", message="请选择人员。")
        if pid is None:
            raise InvalidInput("请选择人员。", field="person_id")
        account = accounts.create_account(
            session=session,
            actor=auth.actor,
            settings=settings,
            person_id=pid,
            username=username,
            password=password,
        )
    except LawcamError as exc:
        discard(session)
        return _account_form_page(
            request,
            session,
            auth,
            form,
            status_code=exc.http_status,
            error=exc.message,
            error_field=exc.details.get("field"),
        )
    return flash_redirect(request, f"/accounts/{account.id}", f"账号 {account.username} 已开设。")


def _account_page(
    request: Request,
    session: Session,
    auth: Auth,
    account_id: int,
    *,
    status_code: int = 200,
    error: str | None = None,
    error_field: str | None = None,
) -> Response:
    account = queries.get_account(session=session, actor=auth.actor, account_id=account_id)
    tokens = queries.list_tokens(session=session, actor=auth.actor, account_id=account.id)
    response = render(
        request,
        "account.html",
        auth,
        status_code=status_code,
        account=account,
        tokens=tokens,
        locked=is_locked(account),
        names=unit_names(session, auth),
        role_tags=role_tags,
        error=error,
        error_field=error_field,
        manage=accounts.may_manage(auth.actor, account),
    )
    return response


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(request: Request, account_id: Id, auth: AuthDep, session: SessionDep) -> Response:
    return _account_page(request, session, auth, account_id)


@router.post("/accounts/{account_id}/password", response_class=HTMLResponse)
def account_password_submit(
    request: Request,
    account_id: Id,
    auth: AuthDep,
    session: SessionDep,
    settings: SettingsDep,
    password: Password = "",
) -> Response:
    try:
        account = accounts.reset_password(
            session=session,
            actor=auth.actor,
            settings=settings,
            account_id=account_id,
            password=password,
        )
    except LawcamError as exc:
        discard(session)
        return _account_page(
            request,
            session,
            auth,
            account_id,
            status_code=exc.http_status,
            error=exc.message,
            error_field="password",
        )
    notice = (
        f"账号 {account.username} 的密码已重置（临时密码，本人下次登录时须修改），"
        "原有登录会话和工作站令牌已失效。"
    )
    return flash_redirect(request, f"/accounts/{account.id}", notice)


def _account_action(
    request: Request,
    session: Session,
    auth: Auth,
    settings: Settings,
    account_id: int,
    action: str,
) -> Response:
    try:
        if action == "unlock":
            account = accounts.unlock_account(
                session=session, actor=auth.actor, account_id=account_id
            )
            done = "已解锁"
        else:
            active = action == "reactivate"
            account = accounts.set_account_active(
                session=session, actor=auth.actor, account_id=account_id, active=active
            )
            done = "已启用" if active else "已停用"
    except LawcamError as exc:
        discard(session)
        return _account_page(
            request, session, auth, account_id, status_code=exc.http_status, error=exc.message
        )
    return flash_redirect(request, f"/accounts/{account.id}", f"账号 {account.username} {done}。")


@router.post("/accounts/{account_id}/unlock", response_class=HTMLResponse)
def account_unlock_submit(
    request: Request, account_id: Id, auth: AuthDep, session: SessionDep, settings: SettingsDep
) -> Response:
    return _account_action(request, session, auth, settings, account_id, "unlock")


@router.post("/accounts/{account_id}/deactivate", response_class=HTMLResponse)
def account_deactivate_submit(
    request: Request, account_id: Id, auth: AuthDep, session: SessionDep, settings: SettingsDep
) -> Response:
    return _account_action(request, session, auth, settings, account_id, "deactivate")


@router.post("/accounts/{account_id}/reactivate", response_class=HTMLResponse)
def account_reactivate_submit(
    request: Request, account_id: Id, auth: AuthDep, session: SessionDep, settings: SettingsDep
) -> Response:
    return _account_action(request, session, auth, settings, account_id, "reactivate")


@router.post("/accounts/{account_id}/tokens/{token_id}/revoke", response_class=HTMLResponse)
def token_revoke_submit(
    request: Request, account_id: Id, token_id: Id, auth: AuthDep, session: SessionDep
) -> Response:
    tokens = queries.list_tokens(session=session, actor=auth.actor, account_id=account_id)
    if not any(t.id == token_id for t in tokens):
        raise NotFound("未找到该令牌。")
    try:
        token = accounts.revoke_token(session=session, actor=auth.actor, token_id=token_id)
    except LawcamError as exc:
        discard(session)
        return _account_page(
            request, session, auth, account_id, status_code=exc.http_status, error=exc.message
        )
    return flash_redirect(request, f"/accounts/{account_id}", f"令牌“{token.name}”已吊销。")


# Roles ---------------------------------------------------------------------------------------

ROLE_HINTS = {
    Role.DEVICE_ADMIN: "每个单位只设一名（第九条）",
    Role.UNIT_HEAD: "审批本单位的调阅申请",
    Role.SYSADMIN: "三员之一，不得兼任其他角色",
    Role.SECADMIN: "三员之一，不得兼任其他角色",
    Role.AUDITOR: "三员之一，不得兼任其他角色",
}


def _parse_role(value: str) -> Role:
    try:
        return Role(value.strip())
    except ValueError:
        raise InvalidInput("请选择要分配的角色。", field="role") from None


@router.get("/roles", response_class=HTMLResponse)
def roles_page(
    request: Request,
    auth: AuthDep,
    session: SessionDep,
    unit_id: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    role: Annotated[str, Query(max_length=30)] = "",
) -> Response:
    auth.actor.require(Action.ROLE_ASSIGN)
    error = None
    try:
        unit_filter = parse_int(unit_id, "单位参数", field="unit_id", message="单位参数不正确。")
    except LawcamError as exc:
        unit_filter, error = None, exc.message
    people = queries.list_people(
        session=session, actor=auth.actor, unit_id=unit_filter, query=q.strip() or None
    )
    if role == "none":
        people = [p for p in people if not p.active_roles]
    elif role:
        people = [p for p in people if role in p.active_roles]
    # R9.1: which units have no device administrator yet.
    everyone = queries.list_people(session=session, actor=auth.actor)
    with_admin = {p.unit_id for p in everyone if Role.DEVICE_ADMIN.value in p.active_roles}
    units = queries.list_units(session=session, actor=auth.actor)
    return render(
        request,
        "roles.html",
        auth,
        people=people,
        units=units,
        names=unit_names(session, auth),
        units_without_admin=[u for u in units if u.id not in with_admin],
        roles=[(r.value, ROLE_LABELS[r]) for r in ASSIGNABLE_ROLES],
        filters={"unit_id": unit_filter, "q": q, "role": role},
        error=error,
        role_tags=role_tags,
    )


def _role_person_page(
    request: Request,
    session: Session,
    auth: Auth,
    person_id: int,
    *,
    status_code: int = 200,
    error: str | None = None,
    chosen: str = "",
) -> Response:
    auth.actor.require(Action.ROLE_ASSIGN)
    person = queries.get_person(session=session, actor=auth.actor, person_id=person_id)
    held = set(person.active_roles)
    return render(
        request,
        "role_person.html",
        auth,
        status_code=status_code,
        person=person,
        held=[Role(r) for r in person.active_roles],
        offered=[r for r in ASSIGNABLE_ROLES if r.value not in held],
        role_hints=ROLE_HINTS,
        separated=SEPARATED_ROLES,
        one_per_unit=ONE_PER_UNIT_ROLES,
        names=unit_names(session, auth),
        role_label=lambda r: Role(r).label,
        error=error,
        chosen=chosen,
    )


@router.get("/roles/{person_id}", response_class=HTMLResponse)
def role_person_page(
    request: Request, person_id: Id, auth: AuthDep, session: SessionDep
) -> Response:
    return _role_person_page(request, session, auth, person_id)


@router.post("/roles/{person_id}/assign", response_class=HTMLResponse)
def role_assign_submit(
    request: Request,
    person_id: Id,
    auth: AuthDep,
    session: SessionDep,
    role: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    auth.actor.require(Action.ROLE_ASSIGN)
    try:
        parsed = _parse_role(role)
        assignment = service.assign_role(
            session=session, actor=auth.actor, person_id=person_id, role=parsed
        )
    except LawcamError as exc:
        discard(session)
        return _role_person_page(
            request,
            session,
            auth,
            person_id,
            status_code=exc.http_status,
            error=exc.message,
            chosen=role,
        )
    notice = f"已为“{assignment.person.name}”分配{parsed.label}。"
    return flash_redirect(request, f"/roles/{person_id}", notice)


@router.post("/roles/{person_id}/revoke", response_class=HTMLResponse)
def role_revoke_submit(
    request: Request,
    person_id: Id,
    auth: AuthDep,
    session: SessionDep,
    role: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    auth.actor.require(Action.ROLE_ASSIGN)
    try:
        parsed = _parse_role(role)
        assignment = service.revoke_role(
            session=session, actor=auth.actor, person_id=person_id, role=parsed
        )
    except LawcamError as exc:
        discard(session)
        return _role_person_page(
            request, session, auth, person_id, status_code=exc.http_status, error=exc.message
        )
    notice = f"已撤销“{assignment.person.name}”的{parsed.label}角色。"
    return flash_redirect(request, f"/roles/{person_id}", notice)
