"""Viewing copies (R15.2, 第十五条): for an original Debian's Chromium cannot play (HEVC,
MPEG-4 Part 2, AVI …) a copy it plays is made with PyAV, stored write-once under its own
digests beside the original, and held by verify like an original; the original's bytes and row
stay as they were. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from lawcam.audit.integrity import Collector
from lawcam.audit.models import AuditEvent
from lawcam.db.base import columns_of
from lawcam.errors import Conflict, InvalidInput
from lawcam.evidence import integrity, retention, viewing
from lawcam.evidence.models import Recording, ViewingCopy
from lawcam.evidence.queries import viewing_copy_of
from lawcam.evidence.types import EvidenceEvent
from lawcam.storage import StorageError, address
from lawcam.storage.local import LocalStore
from lawcam.timeutil import lock_until, utcnow
from tests import media
from tests.unit.audit.test_tamper import unguard
from tests.unit.evidence.test_ingest import OFFICER, Dock, dock

__all__ = ["dock"]

pytestmark = pytest.mark.req("R15.2")


# Files as enforcement cameras and recorders write them --------------------------------------


def _frames(stream: av.VideoStream, count: int) -> list[av.VideoFrame]:
    """A bar that grows frame by frame (frames differ, so the encoder has work to do)."""
    frames = []
    for i in range(count):
        image = Image.new("RGB", (stream.width, stream.height), (20, 20, 20))
        image.paste((200, 40, 40), (0, 0, 4 + (i * 8) % stream.width, stream.height))
        frame = av.VideoFrame.from_image(image)
        frame.pts = i
        frames.append(frame)
    return frames


def _sound(out: av.container.OutputContainer, stream: Any, seconds: float) -> None:
    rate, step = stream.codec_context.sample_rate, 160
    for start in range(0, round(seconds * rate), step):
        frame = av.AudioFrame(format="s16", layout="mono", samples=step)
        frame.planes[0].update(bytes(2 * step))
        frame.sample_rate, frame.pts = rate, start
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def make_avi(path: Path, *, seconds: float = 2.0, fps: int = 15) -> Path:
    """MPEG-4 Part 2 video with 16 kHz PCM sound in AVI, as older body cameras write it."""
    with av.open(str(path), "w", format="avi") as out:
        video = out.add_stream("mpeg4", rate=fps)
        video.width, video.height, video.pix_fmt = 322, 240, "yuv420p"  # an odd-ish width
        sound = out.add_stream("pcm_s16le", rate=16000, layout="mono")
        for frame in _frames(video, round(seconds * fps)):
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        _sound(out, sound, seconds)
    return path


def make_amr(path: Path, *, seconds: float = 2.0) -> Path:
    """AMR-NB speech, as an audio recorder writes it."""
    with av.open(str(path), "w", format="amr") as out:
        stream = out.add_stream("libopencore_amrnb", rate=8000, layout="mono")
        _sound(out, stream, seconds)
    return path


def ingested(dock: Dock, tmp_path: Path, make: Callable[[Path], Path], name: str) -> Recording:
    folder = tmp_path / f"card-{name}"
    folder.mkdir()
    make(folder / name)
    [result] = dock.ingest(folder, officer_badge=OFFICER).files
    return dock.recording(result.recording_id)


def copy_of(dock: Dock, recording_id: int, store: Any = None) -> ViewingCopy:
    with dock.database.unit_of_work() as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None
        made = viewing.make_viewing_copy(
            session=session, actor=dock.actor, store=store or dock.store, recording=recording
        )
        session.expunge(made)
        return made


def decoded(path: Path) -> tuple[str | None, str | None, float, int]:
    """What PyAV reads back: codecs, duration and how many pictures really decode."""
    with av.open(str(path)) as made:
        video = next(iter(made.streams.video), None)
        audio = next(iter(made.streams.audio), None)
        pictures = sum(1 for _ in made.decode(video=0)) if video is not None else 0
        assert made.duration is not None
        return (
            video.codec_context.name if video is not None else None,
            audio.codec_context.name if audio is not None else None,
            made.duration / av.time_base,
            pictures,
        )


def entries(dock: Dock, tag: str) -> list[dict[str, Any]]:
    with dock.database.read() as session:
        stmt = select(AuditEvent.entry).where(AuditEvent.tag == tag).order_by(AuditEvent.seq)
        return [json.loads(entry) for entry in session.scalars(stmt)]


def flip(stored: Path) -> None:
    """One byte of a stored object changed, by someone who made it writable first."""
    stored.chmod(0o644)
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))


def problems(dock: Dock) -> list[tuple[str, str]]:
    found = Collector()
    with dock.database.read() as session:
        integrity.check_objects(session=session, store=dock.store, found=found)
    return [(p.kind, p.subject) for p in found.problems]


# The rule --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "plays"),
    [
        (("mp4", "h264", "aac"), True),
        (("mov", "h264", "pcm_s16le"), True),
        (("3gp", "h264", "amrnb"), False),  # the picture plays, the sound is silently lost
        (("mp4", "hevc", "aac"), False),  # sound over a blank picture
        (("mp4", "mpeg4", "aac"), False),
        (("avi", "mpeg4", "pcm_s16le"), False),
        (("avi", "mjpeg", "pcm_s16le"), False),
        (("avi", "h264", "pcm_s16le"), False),  # Chromium does not open AVI at all
        (("mpegts", "h264", "aac"), False),
        (("wav", None, "pcm_s16le"), True),
        (("wav", None, "pcm_alaw"), True),
        (("wav", None, "adpcm_ima_wav"), False),
        (("amr", None, "amrnb"), False),
        (("mp3", None, "mp3float"), True),
        (("jpeg", None, None), True),
        (("tiff", None, None), False),
        (("mp4", None, None), False),
    ],
)
def test_playable_is_what_debians_chromium_played(
    facts: tuple[str, str | None, str | None], plays: bool
) -> None:
    assert viewing.playable(*facts) is plays


# Making a copy ---------------------------------------------------------------------------------


def test_an_mpeg4_avi_gets_an_h264_copy_of_about_its_duration(dock: Dock, tmp_path: Path) -> None:
    original = ingested(dock, tmp_path, make_avi, "VID_20261130_080102.avi")
    assert (original.container, original.video_codec, original.audio_codec) == (
        "avi",
        "mpeg4",
        "pcm_s16le",
    )
    assert viewing.needs_copy(original) and not viewing.plays_as_is(original)
    stored = dock.store.root / address(original.sha256)
    before = (stored.read_bytes(), original.snapshot())

    made = copy_of(dock, original.id)

    copy_path = dock.store.root / address(made.sha256)
    data = copy_path.read_bytes()
    assert (made.sha256, made.sm3, made.size) == (
        hashlib.sha256(data).hexdigest(),
        hashlib.new("sm3", data).hexdigest(),
        len(data),
    )
    assert made.sha256 != original.sha256
    video, audio, seconds, pictures = decoded(copy_path)
    assert (video, audio) == ("h264", "aac") == (made.video_codec, made.audio_codec)
    assert made.container == "mp4" and data[4:8] == b"ftyp"
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: plays before it has arrived
    assert original.duration_s is not None and abs(seconds - original.duration_s) < 0.2
    assert pictures >= 28  # 30 pictures in the original
    assert viewing.playable(made.container, made.video_codec, made.audio_codec)
    assert (stored.read_bytes(), dock.recording(original.id).snapshot()) == before
    assert not copy_path.stat().st_mode & 0o222  # write-once like an original
    [entry] = entries(dock, EvidenceEvent.VIEWING_COPY_MADE)
    assert entry["subject"] == {"type": "viewing_copy", "id": str(made.id)}
    assert entry["after"] == columns_of(made) and entry["after"]["recording_id"] == original.id


def test_a_copy_is_made_once(dock: Dock, tmp_path: Path) -> None:
    original = ingested(dock, tmp_path, make_avi, "clip.avi")
    first = copy_of(dock, original.id)
    objects = dock.objects()
    again = copy_of(dock, original.id)
    assert columns_of(again) == columns_of(first)
    assert len(entries(dock, EvidenceEvent.VIEWING_COPY_MADE)) == 1
    assert dock.objects() == objects
    with dock.database.read() as session:
        assert viewing_copy_of(session, original.id).id == first.id  # type: ignore[union-attr]


def test_a_playable_mp4_and_a_photo_need_none(dock: Dock, tmp_path: Path) -> None:
    mp4 = ingested(dock, tmp_path, lambda p: media.make_mp4(p, seconds=1.0), "clip.mp4")
    photo = ingested(dock, tmp_path, media.make_jpeg, "IMG_20261130_080102.jpg")
    assert viewing.plays_as_is(mp4) and not viewing.needs_copy(mp4)
    assert not viewing.needs_copy(photo)
    for recording in (mp4, photo):
        with pytest.raises(InvalidInput) as refused:
            copy_of(dock, recording.id)
        assert refused.value.code == "copy_not_needed" and "不" in refused.value.message
    assert entries(dock, EvidenceEvent.VIEWING_COPY_MADE) == []
    with dock.database.read() as session:
        assert session.scalars(select(ViewingCopy)).all() == []


def test_amr_speech_gets_an_aac_copy(dock: Dock, tmp_path: Path) -> None:
    original = ingested(dock, tmp_path, make_amr, "REC_20261130_080102.amr")
    assert viewing.needs_copy(original)
    made = copy_of(dock, original.id)
    video, audio, seconds, _ = decoded(dock.store.root / address(made.sha256))
    assert (made.container, video, audio) == ("m4a", None, "aac")
    assert original.duration_s is not None and abs(seconds - original.duration_s) < 0.2


class RemoteStore:
    """The local store seen as a remote one (S3): no file path to read, no file to take over;
    the locks asked for are remembered."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.extended: list[tuple[str, datetime]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def local_path(self, sha256: str) -> None:
        return None

    def adopt(self, path: Path) -> Any:
        raise StorageError("another file system")

    def extend_retention(self, sha256: str, until: datetime) -> bool:
        self.extended.append((sha256, until))
        return self.store.extend_retention(sha256, until)


def test_from_a_remote_store_and_locked_as_long_as_the_original(dock: Dock, tmp_path: Path) -> None:
    original = ingested(dock, tmp_path, make_avi, "clip.avi")
    remote = RemoteStore(dock.store)
    made = copy_of(dock, original.id, store=remote)
    assert decoded(dock.store.root / address(made.sha256))[:2] == ("h264", "aac")
    later = date(2040, 1, 1)
    with dock.database.unit_of_work() as session:
        recording = session.get(Recording, original.id)
        assert recording is not None
        retention.extend(
            session=session,
            actor=dock.actor,
            recording=recording,
            until=later,
            reason="案件",
            store=remote,  # type: ignore[arg-type]
        )
    assert remote.extended == [
        (original.sha256, lock_until(later)),
        (made.sha256, lock_until(later)),
    ]


def test_no_copy_of_altered_bytes(dock: Dock, tmp_path: Path) -> None:
    original = ingested(dock, tmp_path, make_avi, "clip.avi")
    stored = dock.store.root / address(original.sha256)
    flip(stored)
    with pytest.raises(Conflict) as refused:
        copy_of(dock, original.id)
    assert refused.value.code == "original_altered"
    assert entries(dock, EvidenceEvent.VIEWING_COPY_MADE) == []


# Verify ----------------------------------------------------------------------------------------


def test_verify_holds_a_copy_like_an_original(dock: Dock, tmp_path: Path) -> None:
    original = ingested(dock, tmp_path, make_avi, "clip.avi")
    made = copy_of(dock, original.id)
    assert problems(dock) == []  # its object is not one "without a row"
    subject = f"viewing_copy:{made.id}"
    stored = dock.store.root / address(made.sha256)
    flip(stored)
    found = problems(dock)
    assert ("object_altered", subject) in found and ("object_writable", subject) in found
    assert all(s == subject for _, s in found), found  # the original is untouched


def test_verify_names_an_altered_a_planted_and_a_deleted_copy_row(
    dock: Dock, tmp_path: Path
) -> None:
    first = copy_of(dock, ingested(dock, tmp_path, make_avi, "a.avi").id)
    second = copy_of(dock, ingested(dock, tmp_path, make_amr, "b.amr").id)
    planted_for = ingested(dock, tmp_path, lambda p: make_avi(p, seconds=1.0), "c.avi")
    with dock.database.engine.begin() as connection:
        unguard(connection, "viewing_copy")
        connection.execute(
            text("UPDATE viewing_copy SET made_by = '别人' WHERE id = :id"), {"id": first.id}
        )
        planted = connection.execute(
            text(
                "INSERT INTO viewing_copy (recording_id, sha256, sm3, size, container,"
                " video_codec, audio_codec, made_at, made_by)"
                " SELECT :rid, sha256, sm3, size, container, video_codec, audio_codec, made_at,"
                " made_by FROM viewing_copy WHERE id = :id RETURNING id"
            ),
            {"rid": planted_for.id, "id": first.id},
        ).scalar_one()
        connection.execute(text("DELETE FROM viewing_copy WHERE id = :id"), {"id": second.id})
    found = problems(dock)
    assert ("viewing_copy_row_altered", f"viewing_copy:{first.id}") in found
    assert ("viewing_copy_not_audited", f"viewing_copy:{planted}") in found
    assert ("viewing_copy_missing", f"viewing_copy:{second.id}") in found
    assert ("object_without_row", f"object:{second.sha256}") in found


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
