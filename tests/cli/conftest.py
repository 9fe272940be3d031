"""The CLI under test, in-process (Typer's CliRunner), on a fresh home. On PostgreSQL
(LAWCAM_TEST_DATABASE=postgresql) each test gets its own empty database, so ``init`` really
migrates it (``ready`` starts from a migrated copy instead); on SQLite the database lives in the
home, as in production."""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from lawcam.cli.main import build_app
from lawcam.config import Settings
from lawcam.db import Database
from tests.conftest import PgCopies, _worker, pg_create

app = build_app()

_counter = itertools.count()


@dataclass
class Cli:
    home: Path
    database_url: str | None
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def env(self) -> dict[str, str | None]:
        return {"LAWCAM_HOME": None, "LAWCAM_DATABASE_URL": self.database_url}

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(app, ["--home", str(self.home), *args], env=self.env, input=input)

    def ok(self, *args: str) -> Any:
        """Run with --json, expect exit 0, return the parsed document."""
        result = self(*args, "--json")
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return json.loads(result.stdout)

    def refused(self, *args: str) -> dict[str, str]:
        """Run with --json, expect exit 2; return the error object (also checked on stderr)."""
        result = self(*args, "--json")
        assert result.exit_code == 2, (result.stdout, result.stderr)
        error = json.loads(result.stdout)["error"]
        assert error["message"] in result.stderr
        return dict(error)

    def person(
        self, name: str, badge: str | None = None, *extra: str, unit: str = "执法一处"
    ) -> Any:
        """``person add`` in the given unit; ``extra`` are further flags (--officer, --role R)."""
        badge_args = ["--badge", badge] if badge else []
        return self.ok("person", "add", "--name", name, *badge_args, "--unit", unit, *extra)

    def settings(self) -> Settings:
        return Settings(home=self.home, database_url=self.database_url)

    def database(self) -> Database:
        return Database(self.settings().resolved_database_url)

    def audit_count(self) -> int:
        return int(self.ok("audit", "list", "--limit", "1")["total"])


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, pg_copies: PgCopies | None
) -> Iterator[str | None]:
    """Empty, or for ``ready`` a copy of the migrated template (see there)."""
    if pg_copies is None:
        yield None
        return
    if "ready" in request.fixturenames:
        name, url = pg_copies.take()
    else:
        name = f"lawcam_cli_{_worker()}_{next(_counter)}"
        url = pg_create(name)
    yield url
    pg_copies.drop_later(name)


@pytest.fixture
def cli(tmp_path: Path, database_url: str | None) -> Cli:
    """A home that has not been initialised yet."""
    return Cli(home=tmp_path / "home", database_url=database_url)


@pytest.fixture
def ready(cli: Cli, db_template: str) -> Cli:
    """An initialised home with one enforcing unit. Its database starts as a copy of the migrated
    template (database_url gives one on PostgreSQL), so init's upgrade has nothing left to do
    (seconds saved per test); init on an empty database is tests/cli/test_init.py's."""
    if cli.database_url is None:
        cli.home.mkdir()
        shutil.copy(db_template, cli.home / "lawcam.db")
    cli.ok("init")
    cli.ok("unit", "add", "--name", "执法一处", "--class", "many", "--zone", "询问室一")
    return cli
