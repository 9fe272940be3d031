"""How the command line starts: each command loads only its own group, every top-level
command is in the table that says where it lives, and ``lawcam verify`` starts hashing the
store before the database layer is imported (the start-up is then hidden behind the hashing;
bench/verify.py measures it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lawcam.cli.main import COMMANDS, build_app, command_named
from tests.cli.conftest import Cli


def _top_level(app: typer.Typer) -> set[str]:
    group = typer.main.get_group(app)
    return set(group.commands)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["verify", "--objects"], "verify"),
        (["--home", "/tmp/h", "unit", "list", "--json"], "unit"),
        (["--home", "verify", "audit", "sth"], "audit"),  # a home named like a command
        (["--home=/tmp/h", "report", "ratio"], "report"),
        (["--help"], None),
        ([], None),
        (["--home", "/tmp/h"], None),
        (["verfy"], None),  # misspelt: every command is loaded, so Click can list them
    ],
)
def test_the_command_is_found_in_argv(argv: list[str], expected: str | None) -> None:
    assert command_named(argv) == expected


def test_every_command_is_in_the_table_and_loads_alone() -> None:
    listed = {name for names, _ in COMMANDS for name in names}
    assert _top_level(build_app()) == listed
    runner = CliRunner()
    for names, _ in COMMANDS:
        for name in names:
            assert _top_level(build_app(name)) == set(names)
            result = runner.invoke(build_app(name), [name, "--help"])
            assert result.exit_code == 0, (name, result.output)


def test_building_the_app_twice_lists_each_report_once() -> None:
    build_app("report")
    reports = typer.main.get_group(build_app("report")).commands["report"]
    assert isinstance(reports, typer.core.TyperGroup)
    assert {"ratio", "faults", "losses"} <= set(reports.commands)
    assert len(reports.list_commands(typer.Context(reports))) == len(set(reports.commands))


def test_a_misspelt_command_lists_the_real_ones() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lawcam.cli", "verfy"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "verfy" in result.stderr


@pytest.mark.req("R15.1")
def test_verify_hashes_before_the_database_layer_loads(cli: Cli) -> None:
    cli.ok("init")
    spy = textwrap.dedent(
        """
        import sys
        import lawcam.evidence.rehash as rehash

        started = rehash.Rehash.__init__

        def spy(self, *args, **kwargs):
            loaded = sorted(m for m in ("sqlalchemy", "cryptography") if m in sys.modules)
            print("loaded when hashing started:", loaded, file=sys.stderr)
            started(self, *args, **kwargs)

        rehash.Rehash.__init__ = spy
        from lawcam.cli.main import run

        sys.argv = ["lawcam", *sys.argv[1:]]
        run()
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("LAWCAM_HOME", "LAWCAM_DATABASE_URL")}
    if cli.database_url:
        env["LAWCAM_DATABASE_URL"] = cli.database_url
    result = subprocess.run(
        [sys.executable, "-c", spy, "--home", str(cli.home), "verify", "--objects", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "loaded when hashing started: []" in result.stderr
    document = json.loads(result.stdout)
    assert document["ok"] is True and document["objects_checked"] == 0


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////srv/lawcam/lawcam.db",
        "sqlite:///relative/lawcam.db",
        "sqlite+pysqlite:////srv/a.db?timeout=5",
        "sqlite://",
        "sqlite:///:memory:",
        "postgresql+psycopg://lawcam@127.0.0.1/lawcam",
    ],
)
def test_the_sqlite_file_is_read_as_sqlalchemy_reads_it(url: str) -> None:
    from sqlalchemy.engine import make_url

    from lawcam.cli.common import _sqlite_file

    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
    assert _sqlite_file(url) == (Path(str(parsed.database)) if sqlite else None)
