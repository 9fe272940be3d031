"""The command line speaks Chinese throughout (issue 14): every command's help, and the usage
errors click would print in English (Usage:, Error:, Try … for help, Missing option …)."""

from __future__ import annotations

import gettext
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import typer
from typer.testing import CliRunner

from lawcam.cli.chinese import LOCALE, wrap
from lawcam.cli.main import build_app
from tests.cli.conftest import Cli

# What click and Typer write in English when nothing translates them.
ENGLISH = re.compile(
    r"Usage|Options|Commands|Arguments|Show this message|Error|Try '|for help|required\]"
    r"|default:|env var|\[OPTIONS\]|COMMAND|ARGS|<str>|<int>|<float>|<path>|<list|Missing"
    r"|No such|Got unexpected|Invalid value|Aborted"
)


def lawcam(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "lawcam"), *args],  # the installed command
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},  # a server's usual locale
    )


def test_top_level_and_subcommand_help_are_chinese() -> None:
    top = lawcam("--help")
    assert top.returncode == 0, top.stderr
    assert "用法：lawcam [选项] 命令 [参数]..." in top.stdout
    assert "选项：" in top.stdout and "命令：" in top.stdout and "显示本帮助并退出。" in top.stdout
    sub = lawcam("custody", "checkout", "--help")
    assert sub.returncode == 0, sub.stderr
    assert "--battery <整数>" in sub.stdout and "[必填]" in sub.stdout
    for shown in (top.stdout, sub.stdout):
        assert not ENGLISH.search(shown), ENGLISH.search(shown)


def test_usage_errors_are_chinese() -> None:
    missing = lawcam("custody", "checkout", "--device", "X")
    assert missing.returncode == 2
    assert "错误：缺少选项 '--officer'。" in missing.stderr
    assert "请运行“lawcam custody checkout --help”查看帮助。" in missing.stderr
    typed = lawcam("custody", "checkout", "--device", "X", "--officer", "Y", "--battery", "满")
    assert typed.returncode == 2
    assert "错误：选项 '--battery' 的值无效，应为整数。" in typed.stderr
    unknown = lawcam("nosuch")
    assert unknown.returncode == 2 and "没有名为 'nosuch' 的命令。" in unknown.stderr
    typo = lawcam("verfy")
    assert typo.returncode == 2 and "没有名为 'verfy' 的命令。您是否想用 'verify'？" in typo.stderr
    extra = lawcam("unit", "list", "extra")
    assert extra.returncode == 2 and "错误：多余的参数：extra。" in extra.stderr
    for shown in (missing.stderr, typed.stderr, unknown.stderr, typo.stderr, extra.stderr):
        assert not ENGLISH.search(shown.replace("DeprecationWarning", "")), shown


def _paths(group: typer.core.TyperGroup, prefix: list[str]) -> Iterator[list[str]]:
    for name, command in group.commands.items():
        yield [*prefix, name]
        if isinstance(command, typer.core.TyperGroup):
            yield from _paths(command, [*prefix, name])


def test_every_command_help_is_chinese() -> None:
    runner = CliRunner()
    paths = list(_paths(typer.main.get_group(build_app()), []))
    assert len(paths) > 60
    for path in paths:
        result = runner.invoke(build_app(path[0]), [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "显示本帮助并退出。" in result.output, path
        found = ENGLISH.search(result.output)
        assert found is None, (path, found, result.output)


def test_the_compiled_catalog_matches_its_source() -> None:
    """lawcam.mo is compiled from lawcam.po (msgfmt): each message of the source translates."""
    folder = LOCALE / "zh_CN" / "LC_MESSAGES"
    source = (folder / "lawcam.po").read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', source, re.M)
    with (folder / "lawcam.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    assert len(pairs) >= 10
    for english, chinese in pairs:
        assert catalog.gettext(english) == chinese


def test_wrapping_counts_a_chinese_character_as_two_columns() -> None:
    lines = wrap("数据目录（默认取环境变量 LAWCAM_HOME，否则为当前目录）。", 20)
    assert all(len(line.encode("gbk")) <= 22 for line in lines)  # GBK: two bytes a character
    assert not any(line.startswith(("，", "。")) for line in lines)


def test_a_reversed_range_is_refused_in_chinese(ready: Cli) -> None:
    error = ready.refused("recording", "list", "--from", "2026-03-02", "--to", "2026-03-01")
    assert (
        error["message"] == "起始日期 2026-03-02 晚于截止日期 2026-03-01：请调换两个日期后再查询。"
    )
