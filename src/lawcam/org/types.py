from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from lawcam.authz import Role


class UnitClass(StrEnum):
    """Art. 6: units with many / more / fewer officers, tasks and recorded steps."""

    MANY = "many"
    MORE = "more"
    FEWER = "fewer"

    @property
    def label(self) -> str:
        return {"many": "多", "more": "较多", "fewer": "较少"}[self.value]


class AccountState(StrEnum):
    """What the accounts page filters on."""

    ACTIVE = "active"
    LOCKED = "locked"
    INACTIVE = "inactive"


class OrgEvent(StrEnum):
    UNIT_CREATED = "org:unit:create"
    UNIT_UPDATED = "org:unit:update"
    UNIT_DEACTIVATED = "org:unit:deactivate"
    ZONE_CREATED = "org:zone:create"
    PERSON_CREATED = "org:person:create"
    PERSON_UPDATED = "org:person:update"
    PERSON_DEACTIVATED = "org:person:deactivate"
    PERSON_REACTIVATED = "org:person:reactivate"
    ROLE_ASSIGNED = "org:role:assign"
    ROLE_REVOKED = "org:role:revoke"
    ACCOUNT_CREATED = "org:account:create"
    ACCOUNT_PASSWORD_RESET = "org:account:reset_password"
    ACCOUNT_PASSWORD_CHANGED = "org:account:change_password"
    ACCOUNT_UNLOCKED = "org:account:unlock"
    ACCOUNT_DEACTIVATED = "org:account:deactivate"
    ACCOUNT_REACTIVATED = "org:account:reactivate"
    TOKEN_CREATED = "org:token:create"
    TOKEN_REVOKED = "org:token:revoke"
    IMPORT_DONE = "org:import:complete"


ASSIGNABLE_ROLES = tuple(r for r in Role if r is not Role.OFFICER)


@dataclass(frozen=True)
class UnitIn:
    name: str
    unit_class: UnitClass | None = None
    target: int | None = None
    parent: str | None = None  # the parent unit's name
    zones: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class UnitChanges:
    name: str | None = None
    unit_class: UnitClass | None = None
    target: int | None = None
    parent: str | None = None
    note: str | None = None
    clear_target: bool = False


@dataclass(frozen=True)
class PersonIn:
    name: str
    unit: str  # the unit's name
    badge: str | None = None
    is_officer: bool = False
    phone: str = ""
    roles: tuple[Role, ...] = field(default=())


@dataclass(frozen=True)
class PersonChanges:
    name: str | None = None
    unit: str | None = None
    badge: str | None = None
    is_officer: bool | None = None
    phone: str | None = None
