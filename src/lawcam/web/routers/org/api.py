"""JSON API for the organisation and accounts. Thin: parse → service → shape."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from lawcam.authz import Role
from lawcam.org import accounts, queries, service
from lawcam.org.types import PersonChanges, PersonIn, UnitChanges, UnitIn
from lawcam.schemas.common import Id
from lawcam.schemas.org import (
    AccountCreate,
    AccountOut,
    LoginIn,
    MeOut,
    PasswordChange,
    PasswordReset,
    PersonCreate,
    PersonOut,
    PersonUpdate,
    RoleIn,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UnitCreate,
    UnitOut,
    UnitUpdate,
    ZoneCreate,
    ZoneOut,
)
from lawcam.web.deps import (
    AuthDep,
    CommittingRoute,
    CurrentActor,
    DatabaseDep,
    OptionalAuth,
    SessionDep,
    SettingsDep,
)
from lawcam.web.errors import error_body
from lawcam.web.login import log_in, log_out, set_session_cookie
from lawcam.web.responses import errors
from lawcam.web.security import client_source

router = APIRouter(prefix="/api/v1", tags=["organisation"], route_class=CommittingRoute)


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/auth/login", response_model=MeOut, responses=errors(401, 429))
def api_login(
    request: Request,
    body: LoginIn,
    database: DatabaseDep,
    settings: SettingsDep,
    auth: OptionalAuth,
) -> Response:
    outcome = log_in(
        database=database,
        settings=settings,
        username=body.username,
        password=body.password,
        source=client_source(request),
    )
    if isinstance(outcome, str):
        return JSONResponse(error_body("login_failed", outcome), status_code=401)
    actor = outcome.actor
    me = MeOut(
        account_id=actor.account_id,
        person_id=actor.person_id,
        label=actor.label,
        unit_id=actor.unit_id,
        roles=sorted(actor.roles),
        csrf_token=outcome.csrf_token,
        must_change_password=outcome.must_change_password,
    )
    response = JSONResponse(me.model_dump(mode="json"))
    set_session_cookie(response, settings, outcome.cookie)
    return response


@router.post("/auth/logout", status_code=204)
def api_logout(auth: AuthDep, session: SessionDep, response: Response) -> None:
    log_out(session=session, login_id=auth.login_id, response=response)


@router.get("/me", response_model=MeOut)
def me(auth: AuthDep) -> MeOut:
    actor = auth.actor
    return MeOut(
        account_id=actor.account_id,
        person_id=actor.person_id,
        label=actor.label,
        unit_id=actor.unit_id,
        roles=sorted(actor.roles),
        csrf_token=auth.csrf_token,
        must_change_password=auth.must_change_password,
    )


@router.post("/me/password", status_code=204)
def change_password(
    body: PasswordChange, auth: AuthDep, session: SessionDep, settings: SettingsDep
) -> None:
    """Ends the account's other sessions; this one stays."""
    accounts.change_own_password(
        session=session,
        actor=auth.actor,
        settings=settings,
        old=body.old_password,
        new=body.new_password,
        keep_login_id=auth.login_id,
    )


# Units ---------------------------------------------------------------------------------------


@router.get("/units", response_model=list[UnitOut])
def list_units(
    actor: CurrentActor, session: SessionDep, include_inactive: bool = False
) -> list[UnitOut]:
    units = queries.list_units(session=session, actor=actor, include_inactive=include_inactive)
    return [UnitOut.of(u) for u in units]


@router.post("/units", response_model=UnitOut, status_code=201)
def create_unit(body: UnitCreate, actor: CurrentActor, session: SessionDep) -> UnitOut:
    unit = service.create_unit(
        session=session,
        actor=actor,
        data=UnitIn(
            name=body.name,
            unit_class=body.unit_class,
            target=body.target,
            parent=body.parent,
            zones=tuple(body.zones),
            note=body.note,
        ),
    )
    return UnitOut.of(unit)


@router.get("/units/{unit_id}", response_model=UnitOut)
def get_unit(unit_id: Id, actor: CurrentActor, session: SessionDep) -> UnitOut:
    return UnitOut.of(queries.get_unit(session=session, actor=actor, unit_id=unit_id))


@router.patch("/units/{unit_id}", response_model=UnitOut)
def update_unit(unit_id: Id, body: UnitUpdate, actor: CurrentActor, session: SessionDep) -> UnitOut:
    fields = body.model_fields_set
    changes = UnitChanges(
        name=body.name,
        unit_class=body.unit_class,
        target=body.target,
        parent=body.parent,
        note=body.note,
        clear_target="target" in fields and body.target is None,
    )
    return UnitOut.of(
        service.update_unit(session=session, actor=actor, unit_id=unit_id, changes=changes)
    )


@router.post("/units/{unit_id}/deactivate", response_model=UnitOut)
def deactivate_unit(unit_id: Id, actor: CurrentActor, session: SessionDep) -> UnitOut:
    return UnitOut.of(service.deactivate_unit(session=session, actor=actor, unit_id=unit_id))


@router.post("/units/{unit_id}/zones", response_model=ZoneOut, status_code=201)
def add_zone(unit_id: Id, body: ZoneCreate, actor: CurrentActor, session: SessionDep) -> ZoneOut:
    zone = service.add_zone(session=session, actor=actor, unit_id=unit_id, name=body.name)
    return ZoneOut(id=zone.id, name=zone.name)


# People --------------------------------------------------------------------------------------


@router.get("/people", response_model=list[PersonOut])
def list_people(
    actor: CurrentActor,
    session: SessionDep,
    unit_id: Id | None = None,
    q: str | None = Query(default=None, max_length=100),
    include_inactive: bool = False,
    officers_only: bool = False,
) -> list[PersonOut]:
    people = queries.list_people(
        session=session,
        actor=actor,
        unit_id=unit_id,
        query=q,
        include_inactive=include_inactive,
        officers_only=officers_only,
    )
    return [PersonOut.of(p) for p in people]


@router.post("/people", response_model=PersonOut, status_code=201)
def create_person(body: PersonCreate, actor: CurrentActor, session: SessionDep) -> PersonOut:
    person = service.create_person(
        session=session,
        actor=actor,
        data=PersonIn(
            name=body.name,
            unit=body.unit,
            badge=body.badge,
            is_officer=body.is_officer,
            phone=body.phone,
        ),
    )
    return PersonOut.of(person)


@router.get("/people/{person_id}", response_model=PersonOut)
def get_person(person_id: Id, actor: CurrentActor, session: SessionDep) -> PersonOut:
    return PersonOut.of(queries.get_person(session=session, actor=actor, person_id=person_id))


@router.patch("/people/{person_id}", response_model=PersonOut)
def update_person(
    person_id: Id, body: PersonUpdate, actor: CurrentActor, session: SessionDep
) -> PersonOut:
    changes = PersonChanges(
        name=body.name,
        unit=body.unit,
        badge=body.badge,
        is_officer=body.is_officer,
        phone=body.phone,
    )
    return PersonOut.of(
        service.update_person(session=session, actor=actor, person_id=person_id, changes=changes)
    )


@router.post("/people/{person_id}/deactivate", response_model=PersonOut)
def deactivate_person(person_id: Id, actor: CurrentActor, session: SessionDep) -> PersonOut:
    person = service.set_person_active(
        session=session, actor=actor, person_id=person_id, active=False
    )
    return PersonOut.of(person)


@router.post("/people/{person_id}/reactivate", response_model=PersonOut)
def reactivate_person(person_id: Id, actor: CurrentActor, session: SessionDep) -> PersonOut:
    person = service.set_person_active(
        session=session, actor=actor, person_id=person_id, active=True
    )
    return PersonOut.of(person)


@router.post("/people/{person_id}/roles", response_model=PersonOut, status_code=201)
def assign_role(person_id: Id, body: RoleIn, actor: CurrentActor, session: SessionDep) -> PersonOut:
    assignment = service.assign_role(
        session=session, actor=actor, person_id=person_id, role=body.role
    )
    return PersonOut.of(assignment.person)


@router.post("/people/{person_id}/roles/{role}/revoke", response_model=PersonOut)
def revoke_role(person_id: Id, role: Role, actor: CurrentActor, session: SessionDep) -> PersonOut:
    assignment = service.revoke_role(session=session, actor=actor, person_id=person_id, role=role)
    session.refresh(assignment.person)
    return PersonOut.of(assignment.person)


# Accounts and tokens -------------------------------------------------------------------------


@router.get("/accounts", response_model=list[AccountOut])
def list_accounts(actor: CurrentActor, session: SessionDep) -> list[AccountOut]:
    return [AccountOut.of(a) for a in queries.list_accounts(session=session, actor=actor)]


@router.post("/accounts", response_model=AccountOut, status_code=201)
def create_account(
    body: AccountCreate, actor: CurrentActor, session: SessionDep, settings: SettingsDep
) -> AccountOut:
    account = accounts.create_account(
        session=session,
        actor=actor,
        settings=settings,
        person_id=body.person_id,
        username=body.username,
        password=body.password,
    )
    return AccountOut.of(account)


@router.get("/accounts/{account_id}", response_model=AccountOut)
def get_account(account_id: Id, actor: CurrentActor, session: SessionDep) -> AccountOut:
    return AccountOut.of(queries.get_account(session=session, actor=actor, account_id=account_id))


@router.post("/accounts/{account_id}/password", response_model=AccountOut)
def reset_password(
    account_id: Id,
    body: PasswordReset,
    actor: CurrentActor,
    session: SessionDep,
    settings: SettingsDep,
) -> AccountOut:
    account = accounts.reset_password(
        session=session,
        actor=actor,
        settings=settings,
        account_id=account_id,
        password=body.password,
    )
    return AccountOut.of(account)


@router.post("/accounts/{account_id}/unlock", response_model=AccountOut)
def unlock_account(account_id: Id, actor: CurrentActor, session: SessionDep) -> AccountOut:
    return AccountOut.of(
        accounts.unlock_account(session=session, actor=actor, account_id=account_id)
    )


@router.post("/accounts/{account_id}/deactivate", response_model=AccountOut)
def deactivate_account(account_id: Id, actor: CurrentActor, session: SessionDep) -> AccountOut:
    return AccountOut.of(
        accounts.set_account_active(
            session=session, actor=actor, account_id=account_id, active=False
        )
    )


@router.post("/accounts/{account_id}/reactivate", response_model=AccountOut)
def reactivate_account(account_id: Id, actor: CurrentActor, session: SessionDep) -> AccountOut:
    return AccountOut.of(
        accounts.set_account_active(
            session=session, actor=actor, account_id=account_id, active=True
        )
    )


@router.get("/accounts/{account_id}/tokens", response_model=list[TokenOut])
def list_tokens(account_id: Id, actor: CurrentActor, session: SessionDep) -> list[TokenOut]:
    tokens = queries.list_tokens(session=session, actor=actor, account_id=account_id)
    return [TokenOut.model_validate(t) for t in tokens]


@router.post("/accounts/{account_id}/tokens", response_model=TokenCreated, status_code=201)
def create_token(
    account_id: Id, body: TokenCreate, actor: CurrentActor, session: SessionDep
) -> TokenCreated:
    token, plain = accounts.create_token(
        session=session, actor=actor, account_id=account_id, name=body.name
    )
    return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=plain)


@router.post("/tokens/{token_id}/revoke", response_model=TokenOut)
def revoke_token(token_id: Id, actor: CurrentActor, session: SessionDep) -> TokenOut:
    return TokenOut.model_validate(
        accounts.revoke_token(session=session, actor=actor, token_id=token_id)
    )
