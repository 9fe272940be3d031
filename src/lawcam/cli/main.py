"""The Typer application: the global ``--home`` option and one command group per domain.

Each domain's command module is imported only when one of its commands runs (or for help,
which lists them all): start-up is a fixed cost of every command, and ``lawcam verify`` over a
store pays it on top of hashing, so it loads what it needs and nothing else.
"""

import gc
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer

from lawcam.cli.chinese import OPTIONS_METAVAR, ChineseGroup
from lawcam.cli.common import STATE

Registrar = Callable[[typer.Typer], None]


def _groups(module: str, *groups: tuple[str, str]) -> Registrar:
    """``lawcam NAME …`` for each (attribute, NAME): a Typer group defined in ``module``."""

    def register(app: typer.Typer) -> None:
        loaded = importlib.import_module(f"lawcam.cli.{module}")
        for attribute, name in groups:
            app.add_typer(getattr(loaded, attribute), name=name)

    return register


def _registered(module: str) -> Registrar:
    """Commands that ``module.register(app)`` adds itself."""

    def register(app: typer.Typer) -> None:
        importlib.import_module(f"lawcam.cli.{module}").register(app)

    return register


# Top-level command names → what registers them, in the order help lists them.
COMMANDS: list[tuple[tuple[str, ...], Registrar]] = [
    (("init", "serve", "demo"), _registered("system")),
    (("unit",), _groups("units", ("app", "unit"))),
    (("person",), _groups("people", ("app", "person"))),
    (("account",), _groups("accounts", ("app", "account"))),
    (("role",), _groups("roles", ("app", "role"))),
    (("audit",), _groups("audit", ("app", "audit"))),
    (("model",), _groups("models", ("model_app", "model"))),
    (("device",), _groups("devices", ("app", "device"))),
    (
        ("need", "thresholds"),
        _groups("models", ("need_app", "need"), ("thresholds_app", "thresholds")),
    ),
    (
        ("budget", "procurement"),
        _groups("procurement", ("budget_app", "budget"), ("procurement_app", "procurement")),
    ),
    (("report",), _groups("reports", ("app", "report"))),
    (("custody", "fault", "loss"), _registered("custody")),
    (("template", "import"), _registered("sheets")),
    (("ingest", "recording"), _registered("evidence")),
    (("activity",), _groups("activities", ("app", "activity"))),
    (("access",), _groups("access", ("app", "access"))),
    (("sample",), _groups("samples", ("app", "sample"))),
    (("case",), _groups("cases", ("app", "case"))),
    (("hold", "disposal", "retention"), _registered("retention")),
    (("findings",), _groups("findings", ("app", "findings"))),
    (("verify",), _registered("verify")),
    (("backup", "restore"), _registered("backup")),
]


def main(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="数据目录（默认取环境变量 LAWCAM_HOME，否则为 ./lawcam-data）。",
            show_default=False,
        ),
    ] = None,
) -> None:
    """lawcam 执法音像记录设备与资料管理系统。"""
    STATE.home = home


def build_app(command: str | None = None) -> typer.Typer:
    """The whole application, or (``command``) only the group that holds that command."""
    app = typer.Typer(
        name="lawcam",
        help="lawcam 执法音像记录设备与资料管理系统（命令行）。",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_show_locals=False,  # never print passwords held in local variables
        rich_markup_mode=None,
        cls=ChineseGroup,  # help and usage errors in Chinese (cli/chinese.py)
        options_metavar=OPTIONS_METAVAR,
    )
    app.callback()(main)
    for names, register in COMMANDS:
        if command is None or command in names:
            register(app)
    return app


def command_named(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, if it is one of ours; None means load them all (help, a
    misspelt name: Click then lists every command)."""
    args = iter(argv)
    for arg in args:
        if arg == "--home":
            next(args, None)
        elif not arg.startswith("-"):
            return arg if any(arg in names for names, _ in COMMANDS) else None
    return None


def run() -> None:
    try:
        build_app(command_named(sys.argv[1:]))()
    finally:
        # Interpreter shutdown runs full collections over every object the imports made
        # (about 0.2-0.4 s with SQLAlchemy loaded); a command that is done has nothing left
        # for them to find, so they are moved out of the collector's reach first. Everything
        # the commands open (database, files) is closed explicitly before this.
        gc.freeze()
