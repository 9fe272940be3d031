"""``lawcam recording copy ID`` (R15.2): the viewing copy made at the console for an original
the browser cannot play, marked derived, made once; a playable original is refused (exit 2).
On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from lawcam.storage import address
from tests.cli.conftest import Cli
from tests.cli.test_evidence_cli import ingested, office
from tests.media import make_mp4
from tests.unit.evidence.test_viewing import make_avi

__all__ = ["office"]

COLUMNS = {"id", "recording_id", "sha256", "sm3", "size", "container", "video_codec",
           "audio_codec", "made_at", "made_by"}  # fmt: skip


@pytest.mark.req("R15.2")
def test_recording_copy_makes_a_derived_h264_copy_once(office: Cli, tmp_path: Path) -> None:
    cli = office
    folder = tmp_path / "card"
    folder.mkdir()
    make_avi(folder / "clip.avi")
    make_mp4(folder / "clip.mp4")
    avi, mp4 = (f["recording_id"] for f in ingested(cli, folder)["files"])
    doc = cli.ok("recording", "copy", str(avi))
    assert set(doc) == COLUMNS | {"derived", "made_now"}
    assert doc["recording_id"] == avi and doc["derived"] is True and doc["made_now"] is True
    assert (doc["container"], doc["video_codec"], doc["audio_codec"]) == ("mp4", "h264", "aac")
    stored = cli.home / "objects" / address(doc["sha256"])
    with av.open(str(stored)) as copy:
        assert copy.streams.video[0].codec_context.name == "h264"
    assert cli.ok("recording", "copy", str(avi)) == {**doc, "made_now": False}
    shown = cli("recording", "copy", str(avi))
    assert shown.exit_code == 0 and "派生文件，不替代原始文件" in shown.stdout
    error = cli.refused("recording", "copy", str(mp4))
    assert error["code"] == "copy_not_needed" and "直接播放" in error["message"]
    assert cli.refused("recording", "copy", "999")["code"] == "not_found"
