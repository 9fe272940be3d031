"""Viewing copies (R15.2, 第十五条): for an original Debian's Chromium cannot play (HEVC,
MPEG-4 Part 2, AVI …) a copy it plays is made with PyAV, stored write-once under its own
digests beside the original, and held by verify like an original; the original's bytes and row
stay as they were. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from lawcam.evidence.models import Recording, ViewingCopy
from lawcam.timeutil import utcnow
from tests import media
from tests.unit.evidence.test_ingest import OFFICER, Dock, dock

__all__ = ["dock"]

pytestmark = pytest.mark.req("R15.2")


def ingested(dock: Dock, tmp_path: Path, make: object, name: str) -> Recording:
    folder = tmp_path / f"card-{name}"
    folder.mkdir()
    make(folder / name)  # type: ignore[operator]
    [result] = dock.ingest(folder, officer_badge=OFFICER).files
    return dock.recording(result.recording_id)


def test_a_viewing_copy_row_is_written_once(dock: Dock, tmp_path: Path) -> None:
    recording = ingested(dock, tmp_path, media.make_mp4, "clip.mp4")
    with dock.database.unit_of_work() as session:
        session.add(
            ViewingCopy(
                recording_id=recording.id,
                sha256="a" * 64,
                sm3="b" * 64,
                size=1,
                container="mp4",
                video_codec="h264",
                audio_codec="aac",
                made_at=utcnow(),
                made_by="测试",
            )
        )
    for statement in (update(ViewingCopy).values(size=2), delete(ViewingCopy)):
        with pytest.raises(DBAPIError, match="write-once"), dock.database.engine.begin() as conn:
            conn.execute(statement)
