"""The ingest progress bar on a terminal: files, bytes, rate and time left."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

if TYPE_CHECKING:
    from lawcam.evidence.ingest import FileResult


class RichProgress:
    def __init__(self) -> None:
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.files = self.bar.add_task("文件", total=0, visible=False)
        self.bytes = self.bar.add_task("导入", total=0)

    def start(self, files: int, total_bytes: int) -> None:
        self.bar.update(self.files, total=files)
        self.bar.update(self.bytes, total=total_bytes, description=f"导入 0/{files} 个文件")
        self.bar.start()

    def advance(self, nbytes: int) -> None:
        self.bar.advance(self.bytes, nbytes)

    def file_done(self, result: FileResult) -> None:
        self.bar.advance(self.files, 1)
        task = self.bar.tasks[self.files]
        self.bar.update(
            self.bytes, description=f"导入 {int(task.completed)}/{int(task.total or 0)} 个文件"
        )

    def stop(self) -> None:
        self.bar.stop()
