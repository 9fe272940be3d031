"""The command line in Chinese throughout, its help and its usage errors included (issue 14).

Typer marks its own words (Options, Commands, required, default, No such command …) for
gettext: ``use_catalog`` points gettext at ``locale/zh_CN/LC_MESSAGES/lawcam.mo``, Chinese
unless the environment's LANGUAGE asks for another language (then Typer's English stays).
The click that Typer 0.29 carries inside (``typer._click``) has no gettext: its words are
replaced through the extension points it offers, set on every command by ``localize``: the
context's help formatter class (Usage:, headings), the options and subcommand metavars, each
option's metavar, and the help option's text. Its usage errors (Error: …, Try … for help) are
shown by ``ChineseGroup.main`` in Chinese, by the kind of error.
"""

from __future__ import annotations

import gettext
import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from typer import _click as click
from typer._click.exceptions import (
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer.core import TyperArgument, TyperGroup

LOCALE = Path(__file__).parent / "locale"
DOMAIN = "lawcam"
HELP_TEXT = "显示本帮助并退出。"
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."

# What Typer writes for a value's type, and what the help shows instead.
TYPE_WORDS = {
    "<str>": "<文本>",
    "<int>": "<整数>",
    "<int range>": "<整数>",
    "<float>": "<数字>",
    "<float range>": "<数字>",
    "<path>": "<路径>",
    "<list[str]>": "<文本>",
    "<bool>": "<是|否>",
}
# Arguments by name (their usage line shows the metavar).
ARGUMENT_WORDS = {"serial": "序列号", "path": "路径", "file": "文件", "recording_id": "编号"}


def use_catalog() -> None:
    os.environ.setdefault("LANGUAGE", "zh_CN")
    gettext.bindtextdomain(DOMAIN, str(LOCALE))
    gettext.textdomain(DOMAIN)


class Formatter(click.HelpFormatter):
    """Usage line and headings in Chinese with a full-width colon; the option and command lists
    aligned and wrapped by the width a terminal gives each character (a Chinese one takes two
    columns, which click's own ``write_dl`` counts as one)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = [(_typed(first), second) for first, second in rows]
        width = min(max((cells(first) for first, _ in rows), default=0), col_max)
        indent = " " * self.current_indent
        for first, second in rows:
            lines = wrap(second, max(self.width - self.current_indent - width - col_spacing, 20))
            if cells(first) > width:
                self.write(f"{indent}{first}\n")
                first = ""
            pad = " " * (width - cells(first) + col_spacing)
            self.write(f"{indent}{first}{pad}{lines[0] if lines else ''}".rstrip() + "\n")
            for line in lines[1:]:
                self.write(f"{indent}{' ' * (width + col_spacing)}{line}\n")


def cells(text: str) -> int:
    """Terminal columns: two for a wide (Chinese) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


# Punctuation that never starts a line: it stays at the end of the line before.
CLOSING = frozenset("，。、；：！？）」』”’》")


def wrap(text: str, width: int) -> list[str]:
    """Lines of about ``width`` columns, broken between Chinese characters or at spaces; a run
    of Latin letters and digits (SM3, --home, 2026-11-30) is never cut."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in re.findall(r"[!-~]+|\s+|.", " ".join(paragraph.split())):
            fits = cells(line) + cells(token) <= width
            if fits or not line.strip() or token in CLOSING:
                line += token
            else:
                lines.append(line.rstrip())
                line = token.lstrip()
        lines.append(line.rstrip())
    return [line for line in lines if line] or [""]


def _typed(first: str) -> str:
    """An argument's row shows its type as Typer writes it (``<path>``): in Chinese."""
    for english, chinese in TYPE_WORDS.items():
        first = first.replace(english, chinese)
    return first


class Context(typer.Context):
    formatter_class = Formatter


def commands(root: click.Command) -> Iterator[click.Command]:
    yield root
    for sub in getattr(root, "commands", {}).values():
        yield from commands(sub)


def localize(root: click.Command) -> None:
    """Chinese metavars, formatter and help option text on ``root`` and every command under it."""
    for command in commands(root):
        command.context_class = Context
        command.options_metavar = OPTIONS_METAVAR
        if hasattr(command, "subcommand_metavar"):
            command.subcommand_metavar = SUBCOMMAND_METAVAR
        context = Context(command)
        for param in command.get_params(context):
            _name_value(param, context)
        help_option = command.get_help_option(context)
        if help_option is not None:
            help_option.help = HELP_TEXT


def _name_value(param: click.Parameter, context: click.Context) -> None:
    if isinstance(param, TyperArgument):
        param.metavar = ARGUMENT_WORDS.get(param.name or "", param.metavar)
        return
    if getattr(param, "is_flag", False) or param.metavar is not None:
        return
    shown = param.display_type(context) if hasattr(param, "display_type") else None
    if shown in TYPE_WORDS:
        param.metavar = TYPE_WORDS[shown]


class ChineseGroup(TyperGroup):
    """The root command: localizes the tree before it runs, and shows its usage errors (its
    own and its subcommands', all raised while it makes its context or invokes) in Chinese,
    ending as click's standalone mode would: exit status 2 for a usage error."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        use_catalog()
        localize(self)
        return super().main(*args, **kwargs)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with chinese_errors():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with chinese_errors():
            return super().invoke(ctx)


@contextmanager
def chinese_errors() -> Iterator[None]:
    try:
        yield
    except NoArgsIsHelpError as exc:  # a group named alone: its help, as click shows it
        exc.show()
        raise typer.Exit(exc.exit_code) from None
    except click.ClickException as exc:
        show_error(exc)
        raise typer.Exit(exc.exit_code) from None


def show_error(exc: click.ClickException) -> None:
    context = getattr(exc, "ctx", None)
    if isinstance(exc, UsageError) and context is not None:
        typer.echo(context.get_usage(), err=True)
        typer.echo(f"请运行“{context.command_path} --help”查看帮助。\n", err=True)
    typer.echo(f"错误：{in_chinese(exc)}", err=True)


def in_chinese(exc: click.ClickException) -> str:
    if isinstance(exc, MissingParameter):
        return f"缺少{_kind(exc.param)} {_hint(exc)}。"
    if isinstance(exc, BadParameter):
        return f"{_kind(exc.param)} {_hint(exc)} 的值无效{_expected(exc)}。"
    if isinstance(exc, NoSuchOption):
        close = "、".join(sorted(exc.possibilities or ()))
        return f"没有选项 {exc.option_name}。" + (f"您是否想用：{close}？" if close else "")
    extra = re.fullmatch(r"Got unexpected extra argument\(s\) \((.*)\)", exc.message)
    if extra:
        return f"多余的参数：{extra[1]}。"
    # Typer's suggestion for a misspelt command, appended to its (translated) message.
    suggested = re.fullmatch(r"(.*?)\.? ?Did you mean (.*)\?", exc.message, re.S)
    if suggested:
        return f"{suggested[1]}您是否想用 {suggested[2].replace(', ', '、')}？"
    return exc.format_message()


def _kind(param: click.Parameter | None) -> str:
    return "参数" if isinstance(param, TyperArgument) else "选项"


def _hint(exc: BadParameter) -> str:
    if exc.param_hint is not None:
        hints = [exc.param_hint] if isinstance(exc.param_hint, str) else exc.param_hint
        return " / ".join(hints)
    return exc.param.get_error_hint() if exc.param is not None else ""


def _expected(exc: BadParameter) -> str:
    param = exc.param
    metavar = param.metavar if param is not None else None
    if metavar is not None and metavar in TYPE_WORDS.values():
        return f"，应为{metavar.strip('<>')}"
    return f"：{exc.message}" if exc.message else ""
