"""Finding the files of a docked device folder, and what is wrong with their names.

Symbolic links and special files are refused, not followed: a body camera's card holds plain
files, a link is not an original, and following one could read outside the device (a loop, a
path out of the folder, a FIFO that blocks)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lawcam.errors import InvalidInput
from lawcam.evidence.types import Problem

MAX_NAME = 255


@dataclass
class Candidate:
    """A file found in the folder; ``refusal`` set when it will not be read at all."""

    path: Path
    display: str  # relative to the folder, printable whatever bytes the name holds
    name: str
    size: int = 0
    mtime_ns: int = 0
    refusal: Problem | None = None
    name_problems: list[Problem] = field(default_factory=list)


_OS_REASONS = {
    errno.EACCES: "权限不足",
    errno.EPERM: "不允许的操作",
    errno.ENOENT: "文件已不存在",
    errno.ELOOP: "符号链接过多或形成循环",
    errno.EIO: "设备读写错误（存储卡可能损坏或已拔出）",
    errno.ENXIO: "设备不存在或已断开",
    errno.ENAMETOOLONG: "路径过长",
    errno.EISDIR: "这是一个文件夹",
}


def os_reason(exc: OSError) -> str:
    """The operating system's reason, in Chinese where it is a common one."""
    if exc.errno in _OS_REASONS:
        return _OS_REASONS[exc.errno]
    return exc.strerror or type(exc).__name__


def printable(raw: str) -> str:
    """A file name as text people and databases can hold: undecodable bytes become \\xNN."""
    return os.fsencode(raw).decode("utf-8", "backslashreplace")


def find_files(root: Path) -> list[Candidate]:
    try:
        info = root.lstat()
    except OSError:
        raise InvalidInput(f"找不到要导入的路径“{printable(str(root))}”。", field="path") from None
    if stat.S_ISREG(info.st_mode):
        return [_candidate(root, root.name, info)]
    if not stat.S_ISDIR(info.st_mode):
        raise InvalidInput("导入路径必须是设备的文件夹或一个普通文件。", field="path")
    found = sorted(_walk(root), key=lambda c: c.display)
    return found


def _walk(root: Path) -> Iterator[Candidate]:
    errors: list[OSError] = []
    for folder, dirs, files in os.walk(root, followlinks=False, onerror=errors.append):
        for name in dirs:
            path = Path(folder, name)
            if path.is_symlink():  # os.walk lists it but does not enter it
                yield _refused(root, path, "symlink", "这是指向其他位置的符号链接目录，未进入。")
        for name in files:
            path = Path(folder, name)
            try:
                info = path.lstat()
            except OSError as exc:
                yield _refused(root, path, "unreadable", f"无法读取文件信息：{os_reason(exc)}。")
                continue
            yield _candidate(path, str(path.relative_to(root)), info)
    for error in errors:
        path = Path(error.filename or root)
        yield _refused(root, path, "unreadable_folder", f"无法读取文件夹：{os_reason(error)}。")


def _refused(root: Path, path: Path, code: str, message: str) -> Candidate:
    display = printable(str(path.relative_to(root)) if path != root else path.name)
    return Candidate(path, display, printable(path.name), refusal=Problem(code, message))


def _candidate(path: Path, relative: str, info: os.stat_result) -> Candidate:
    display = printable(relative)
    candidate = Candidate(path, display, printable(path.name), info.st_size, info.st_mtime_ns)
    if stat.S_ISLNK(info.st_mode):
        candidate.refusal = Problem("symlink", "这是符号链接，不是设备上的原始文件，未导入。")
    elif not stat.S_ISREG(info.st_mode):
        candidate.refusal = Problem("special_file", "这不是普通文件（管道、设备文件等），未导入。")
    candidate.name_problems = name_problems(path.name)
    return candidate


def name_problems(name: str) -> list[Problem]:
    problems = []
    if printable(name) != name:
        problems.append(
            Problem(
                "name_not_utf8", "文件名含有无法识别的字符编码；已按原字节保存并以 \\xNN 显示。"
            )
        )
    if len(os.fsencode(name)) > MAX_NAME or len(name) > MAX_NAME:
        problems.append(Problem("name_too_long", "文件名超过 255 字节，显示时已截断。"))
    return problems


def remote_name_problems(name: str) -> list[Problem]:
    """A name sent by a remote workstation is only a label: it never becomes a path here."""
    problems = name_problems(name)
    parts = name.replace("\\", "/").split("/")
    if any(part in ("..", "") for part in parts[:-1]) or name.startswith(("/", "\\")):
        problems.append(
            Problem("path_traversal", "文件名含有“..”或绝对路径；仅作为名称记录，不用作存储路径。")
        )
    return problems
