"""Demo recordings (R11.2, R14.1, R14.2): two camera cards docked at the center's workstation
through the real ingest path, so the store, the digests and the audit log are all real.

- The old recorder, still issued to an officer, docked with its clock 40 s slow: two clips, a
  voice memo and a photo, all attributed to the officer from the ledger and flagged for the
  clock (R11.2), with corrected times beside the originals.
- The first recorder, docked three days late: a clip from three days ago (late, R14.1), a clip
  cut short when the battery died (stored and flagged, nothing dropped), and a copy of a clip
  already stored (a duplicate sighting, not stored again).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.demo.custody import FIRST, OFFICER1, OLD
from lawcam.demo.media import make_jpeg, make_mp4, make_truncated_mp4, make_wav
from lawcam.evidence.ingest import IngestReport, IngestRequest, ingest_folder
from lawcam.storage import BlobStore
from lawcam.timeutil import SHANGHAI

WORKSTATION = "中心采集工作站-01"


def _names(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S")


def _old_recorder_card(folder: Path, now: datetime) -> Path:
    card = folder / OLD / "DCIM"
    card.mkdir(parents=True, exist_ok=True)
    for n, start in enumerate((now + timedelta(seconds=2), now + timedelta(seconds=5)), 1):
        make_mp4(
            card / f"DSJ_{OLD}_{_names(start)}_{n:04d}.MP4",
            seconds=3.0,
            width=640,
            height=360,
            creation_time=start,
        )
    audio = card.parent / "AUDIO"
    audio.mkdir(exist_ok=True)
    make_wav(audio / f"REC_{_names(now)}.wav", seconds=2.0)
    make_jpeg(card / f"IMG_{_names(now)}.jpg", taken_at=now + timedelta(seconds=3))
    return card.parent


def _late_card(folder: Path, now: datetime, duplicate_of: Path) -> Path:
    card = folder / FIRST / "DCIM"
    card.mkdir(parents=True, exist_ok=True)
    three_days = now - timedelta(days=3)
    make_mp4(
        card / f"DSJ_{FIRST}_{_names(three_days)}_0001.MP4", seconds=4.0, creation_time=three_days
    )
    make_truncated_mp4(card / f"DSJ_{FIRST}_{_names(three_days + timedelta(hours=1))}_0002.MP4")
    shutil.copyfile(duplicate_of, card / "COPY_0001.MP4")
    return card.parent


def seed_evidence(
    *, database: Database, store: BlobStore, settings: Settings, actor: Actor
) -> list[IngestReport]:
    """Ingest the two demo cards (kept in ``<home>/demo-cards`` so a newcomer can ingest them
    again and see that nothing is added)."""
    now = datetime.now(UTC).replace(microsecond=0)
    folder = settings.home / "demo-cards"
    old = _old_recorder_card(folder, now)
    first_clip = sorted((old / "DCIM").glob("*.MP4"))[0]
    late = _late_card(folder, now, first_clip)
    reports = []
    for path, serial, device_time, officer in (
        (old, OLD, now - timedelta(seconds=40), None),
        (late, FIRST, None, OFFICER1),
    ):
        request = IngestRequest(
            path=path,
            device_serial=serial,
            workstation=WORKSTATION,
            device_time=device_time,
            officer_badge=officer,
        )
        reports.append(
            ingest_folder(
                database=database, store=store, settings=settings, actor=actor, request=request
            )
        )
    return reports


def evidence_summary(reports: list[IngestReport]) -> dict[str, Any]:
    documents = [report.as_dict() for report in reports]
    return {
        key: sum(d[key] for d in documents)
        for key in ("ingested", "duplicates", "flagged", "refused", "bytes")
    }
