"""The Typer application: the global ``--home`` option and one command group per domain."""

from pathlib import Path
from typing import Annotated

import typer

from lawcam.cli import (
    accounts,
    audit,
    custody,
    devices,
    evidence,
    ledger,
    models,
    people,
    procurement,
    reports,
    roles,
    sheets,
    system,
    units,
    verify,
)
from lawcam.cli.common import STATE

app = typer.Typer(
    name="lawcam",
    help="lawcam 执法音像记录设备与资料管理系统（命令行）。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # never print passwords held in local variables
    rich_markup_mode=None,
)


@app.callback()
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


system.register(app)
app.add_typer(units.app, name="unit")
app.add_typer(people.app, name="person")
app.add_typer(accounts.app, name="account")
app.add_typer(roles.app, name="role")
app.add_typer(audit.app, name="audit")
app.add_typer(models.model_app, name="model")
app.add_typer(devices.app, name="device")
app.add_typer(models.need_app, name="need")
app.add_typer(models.thresholds_app, name="thresholds")
app.add_typer(procurement.budget_app, name="budget")
app.add_typer(procurement.procurement_app, name="procurement")
app.add_typer(reports.app, name="report")
custody.register(app)
ledger.register(reports.app)
sheets.register(app)
evidence.register(app)
verify.register(app)


def run() -> None:
    app()
