"""The demo's camera cards (第十一条, 第十四条): the clips a recorder made in a day, written as
real media (PyAV) under ``<home>/demo-cards/<serial>/<day>`` and docked at the unit's
workstation through the real ingest path, so the store, the digests, the officer found from the
ledger and the audit log are all real. A newcomer can ingest a card again and see that nothing is
added.

Clips are small (160x120, one frame a second, no sound) but as long as real ones (45 s to 5 min),
so the ledger's 记录内容 shows real durations."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.demo.media import make_mp4, make_truncated_mp4
from lawcam.evidence.ingest import IngestReport, IngestRequest, ingest_folder
from lawcam.storage import BlobStore
from lawcam.timeutil import SHANGHAI

WORKSTATIONS = {"JY9": "工程监管处采集工作站", "HDA3210522": "工程监管处采集工作站"}
CENTER_WORKSTATION = "中心采集工作站-01"


@dataclass(frozen=True)
class Clip:
    start: datetime
    seconds: int


@dataclass
class Card:
    """A recorder's card for one day: the clips, then (once docked) the files written."""

    serial: str
    clips: list[Clip] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    report: IngestReport | None = None


def _stamp(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S")


def workstation_of(serial: str) -> str:
    for prefix, name in WORKSTATIONS.items():
        if serial.startswith(prefix):
            return name
    return CENTER_WORKSTATION


def write_card(card: Card, folder: Path, *, truncated: bool, duplicate_of: Card | None) -> None:
    """The files as the recorder names them (DSJ_<serial>_<start>_<n>.MP4, modified at the end
    of the clip). ``truncated``: the last clip lost its end when the battery died."""
    dcim = folder / "DCIM"
    dcim.mkdir(parents=True, exist_ok=True)
    for n, clip in enumerate(sorted(card.clips, key=lambda c: c.start), start=1):
        path = dcim / f"DSJ_{card.serial}_{_stamp(clip.start)}_{n:04d}.MP4"
        if truncated and n == len(card.clips):
            make_truncated_mp4(path)
        else:
            make_mp4(
                path,
                seconds=clip.seconds,
                width=160,
                height=120,
                fps=1,
                audio=False,
                creation_time=clip.start,
            )
        ended = clip.start.timestamp() + clip.seconds
        os.utime(path, (ended, ended))
        card.written.append(path)
    if duplicate_of is not None and duplicate_of.written:  # copied back onto the card
        shutil.copyfile(duplicate_of.written[0], dcim / "COPY_0001.MP4")


def dock(
    card: Card,
    *,
    when: datetime,
    database: Database,
    store: BlobStore,
    settings: Settings,
    actor: Actor,
    device_time: datetime | None = None,
    truncated: bool = False,
    duplicate_of: Card | None = None,
) -> IngestReport:
    """Write the card and ingest it at the unit's workstation (the caller sets the clock)."""
    folder = (
        settings.home
        / "demo-cards"
        / card.serial
        / when.astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
    )
    write_card(card, folder, truncated=truncated, duplicate_of=duplicate_of)
    request = IngestRequest(
        path=folder,
        device_serial=card.serial,
        workstation=workstation_of(card.serial),
        device_time=device_time,
    )
    return ingest_folder(
        database=database, store=store, settings=settings, actor=actor, request=request
    )
