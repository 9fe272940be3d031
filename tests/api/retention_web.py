"""The retention scene (tests/retention_scene.py) with accounts, for the API and page tests of
penalty cases and holds: 执法二处's device administrator (u_r_admin), head (u_r_head) and second
officer (u_r_officer2), beside the office's role accounts (u_<role>, 执法一处 and the office);
the scene's store is the app's own (the settings' storage URL)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import func, or_, select

from lawcam.audit.models import AuditEvent
from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.org import accounts
from lawcam.storage import open_store
from tests.api.conftest import login
from tests.factories import PASSWORD
from tests.retention_scene import Scene, build_scene

NUMBER = "京执罚〔2026〕1号"


def web_scene(database: Database, settings: Settings, console: Actor) -> Scene:
    store = open_store(settings.resolved_storage_url)
    scene = build_scene(database, settings, console, store, settings.home)
    with database.unit_of_work() as session:
        for key, person_id in scene.people.items():
            accounts.create_account(
                session=session, actor=console, settings=settings, person_id=person_id,
                username=f"u_r_{key}", password=PASSWORD, must_change=False,
            )  # fmt: skip
    return scene


def as_user(client: TestClient, username: str) -> None:
    client.cookies.clear()
    client.headers.pop("X-CSRF-Token", None)
    login(client, username)


def case_path(number: str = NUMBER, prefix: str = "/api/v1") -> str:
    return f"{prefix}/cases/{quote(number, safe='')}"


def audit_count(database: Database) -> int:
    """Audit entries of retention and evidence changes (logins are audited too: not counted)."""
    changes = or_(AuditEvent.tag.like("retention:%"), AuditEvent.tag.like("evidence:%"))
    with database.read() as session:
        stmt = select(func.count()).select_from(AuditEvent).where(changes)
        return int(session.scalar(stmt) or 0)
