from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawcam.db.base import Base, UTCDateTime


class Unit(Base):
    """A division of the office or the enforcement center (Art. 4, 6)."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    unit_class: Mapped[str | None] = mapped_column(String(10))
    target: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])
    zones: Mapped[list[Zone]] = relationship(back_populates="unit", order_by="Zone.name")

    def snapshot(self) -> dict[str, object]:
        return {
            "name": self.name,
            "parent_id": self.parent_id,
            "class": self.unit_class,
            "target": self.target,
            "note": self.note,
            "active": self.is_active,
        }


class Zone(Base):
    """A case-handling zone (办案专区) of a unit (R5.2)."""

    __tablename__ = "zone"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship(back_populates="zones")


class Person(Base):
    """Someone in the office. People with history are deactivated, never deleted."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    badge: Mapped[str | None] = mapped_column(String(40), unique=True)  # 执法证号
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    is_officer: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str] = mapped_column(String(40), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="person", order_by="RoleAssignment.id"
    )

    @property
    def active_roles(self) -> list[str]:
        return [a.role for a in self.role_assignments if a.revoked_at is None]

    def snapshot(self) -> dict[str, object]:
        return {
            "name": self.name,
            "badge": self.badge,
            "unit_id": self.unit_id,
            "officer": self.is_officer,
            "phone": self.phone,
            "active": self.is_active,
        }


class RoleAssignment(Base):
    """A role held by a person; revoked rows stay as history."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        # R9.1: one device administrator per unit, enforced by the database even under races.
        Index(
            "uq_role_assignment_one_device_admin",
            "unit_id",
            unique=True,
            sqlite_where=text("role = 'device_admin' AND revoked_at IS NULL"),
            postgresql_where=text("role = 'device_admin' AND revoked_at IS NULL"),
        ),
        Index(
            "uq_role_assignment_active",
            "person_id",
            "role",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(200))

    person: Mapped[Person] = relationship(back_populates="role_assignments")


class Account(Base):
    """A login for a person (one each)."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A password an administrator set (initial or reset) is temporary: only its holder knows
    # the next one, so the administrator cannot go on using it.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()

    def snapshot(self) -> dict[str, object]:
        return {
            "username": self.username,
            "person_id": self.person_id,
            "active": self.is_active,
            "locked_until": self.locked_until.isoformat() if self.locked_until else None,
            "must_change_password": self.must_change_password,
        }


class ApiToken(Base):
    """A workstation's API token; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()


class LoginSession(Base):
    """A browser session; the cookie carries a signed random key whose hash is stored here."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()


class LoginFailure(Base):
    """A failed login, counted per source and per (source, user name) to throttle guessing.
    In the database so that every app node counts the same attempts."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_source_at", "source", "at"),
        Index("ix_login_failure_username_source_at", "username", "source", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    username: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
