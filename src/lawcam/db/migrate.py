"""Programmatic Alembic: ``lawcam init`` and the tests upgrade the same way.

Every command checks that the database is at the head revision; that check reads the version
table and the migration files' headers directly, so that commands other than ``init`` start
without loading Alembic (a good part of the CLI's start-up time)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*(?:"([^"]*)"|None)', re.MULTILINE)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    before = current_revision(engine)
    command.upgrade(alembic_config(engine), revision)
    if current_revision(engine) != before:
        analyze(engine)


def analyze(engine: Engine) -> None:
    """Fresh planner statistics after a migration changed tables or indexes: SQLite keeps none
    until ANALYZE (without them it may read a whole table for a page of a list), PostgreSQL's
    autovacuum gathers them only later."""
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@cache
def head_revision() -> str | None:
    """The revision no other migration names as its predecessor (the chain is linear)."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((key, value) for key, value in _REVISION.findall(path.read_text("utf-8")))
        if found.get("revision"):
            revisions.add(found["revision"])
        if found.get("down_revision"):
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None
