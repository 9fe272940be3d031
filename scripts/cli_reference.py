"""Writes the CLI reference (docs/cli.md) from the commands' own help texts.

.venv/bin/python scripts/cli_reference.py > docs/cli.md
"""

from __future__ import annotations

from typing import Any

import typer

from lawcam.cli.chinese import Context, localize, use_catalog
from lawcam.cli.main import build_app


def walk(command: Any, ctx: Any, path: list[str]) -> None:
    print(f"\n## `lawcam {' '.join(path)}`\n" if path else "# lawcam 命令行参考\n")
    print("```\n" + command.get_help(ctx) + "\n```")
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                walk(sub, type(ctx)(sub, info_name=name, parent=ctx), [*path, name])


def main() -> None:
    use_catalog()  # the help as ``lawcam … --help`` prints it: in Chinese (cli/chinese.py)
    root = typer.main.get_command(build_app())
    localize(root)
    context = Context(root, info_name="lawcam", terminal_width=100)
    walk(root, context, [])


if __name__ == "__main__":
    main()
