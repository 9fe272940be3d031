"""API shapes for the organisation: separate In and Out models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from lawcam.authz import Role
from lawcam.org.models import Account, Person, Unit
from lawcam.org.types import UnitClass
from lawcam.schemas.common import Count, Id, In


class UnitCreate(In):
    name: str = Field(max_length=200)
    unit_class: UnitClass | None = None
    target: Count | None = None
    parent: str | None = Field(default=None, max_length=200)
    zones: list[str] = Field(default_factory=list, max_length=100)
    note: str = Field(default="", max_length=500)


class UnitUpdate(In):
    name: str | None = Field(default=None, max_length=200)
    unit_class: UnitClass | None = None
    target: Count | None = None
    parent: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=500)


class ZoneCreate(In):
    name: str = Field(max_length=200)


class ZoneOut(BaseModel):
    id: int
    name: str


class UnitOut(BaseModel):
    id: int
    name: str
    parent_id: int | None
    unit_class: UnitClass | None
    target: int | None
    note: str
    is_active: bool
    zones: list[ZoneOut]

    @classmethod
    def of(cls, unit: Unit) -> UnitOut:
        return cls(
            id=unit.id,
            name=unit.name,
            parent_id=unit.parent_id,
            unit_class=UnitClass(unit.unit_class) if unit.unit_class else None,
            target=unit.target,
            note=unit.note,
            is_active=unit.is_active,
            zones=[ZoneOut(id=z.id, name=z.name) for z in unit.zones],
        )


class PersonCreate(In):
    name: str = Field(max_length=200)
    unit: str = Field(max_length=200)
    badge: str | None = Field(default=None, max_length=100)
    is_officer: bool = False
    phone: str = Field(default="", max_length=100)


class PersonUpdate(In):
    name: str | None = Field(default=None, max_length=200)
    unit: str | None = Field(default=None, max_length=200)
    badge: str | None = Field(default=None, max_length=100)
    is_officer: bool | None = None
    phone: str | None = Field(default=None, max_length=100)


class PersonOut(BaseModel):
    id: int
    name: str
    badge: str | None
    unit_id: int
    unit: str
    is_officer: bool
    phone: str
    is_active: bool
    roles: list[Role]

    @classmethod
    def of(cls, person: Person) -> PersonOut:
        return cls(
            id=person.id,
            name=person.name,
            badge=person.badge,
            unit_id=person.unit_id,
            unit=person.unit.name,
            is_officer=person.is_officer,
            phone=person.phone,
            is_active=person.is_active,
            roles=[Role(r) for r in person.active_roles],
        )


class RoleIn(In):
    role: Role


class AccountCreate(In):
    person_id: Id
    username: str = Field(max_length=100)
    password: str = Field(max_length=300)


class PasswordReset(In):
    password: str = Field(max_length=300)


class PasswordChange(In):
    old_password: str = Field(max_length=300)
    new_password: str = Field(max_length=300)


class AccountOut(BaseModel):
    id: int
    username: str
    person_id: int
    person_name: str
    is_active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    # A temporary password (set by an administrator) not yet changed by its holder.
    must_change_password: bool

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls(
            id=account.id,
            username=account.username,
            person_id=account.person_id,
            person_name=account.person.name,
            is_active=account.is_active,
            locked_until=account.locked_until,
            last_login_at=account.last_login_at,
            must_change_password=account.must_change_password,
        )


class TokenCreate(In):
    name: str = Field(max_length=200)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="只显示这一次；系统只保存其散列值。")


class LoginIn(In):
    username: str = Field(max_length=100)
    password: str = Field(max_length=300)


class MeOut(BaseModel):
    account_id: int | None
    person_id: int | None
    label: str
    unit_id: int | None
    roles: list[Role]
    csrf_token: str
    # A temporary password: nothing but /me, /me/password and logout until it is changed.
    must_change_password: bool = False
