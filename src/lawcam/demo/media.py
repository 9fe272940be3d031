"""Real media made on the fly with PyAV and Pillow: the demo's camera cards and the tests'
corpus, so that no binary fixture is committed.

Every generator writes the file at ``path`` and returns ``path``. Frames are flat colours and the
audio is silence: encoding a one-second 320x240 clip takes a few milliseconds.
"""

from __future__ import annotations

import random
import struct
from datetime import UTC, datetime
from pathlib import Path

import av
from PIL import Image

from lawcam.timeutil import SHANGHAI

# libx264 is an encoder only, so its presence in codecs_available means H.264 can be written.
VIDEO_CODEC = "libx264" if "libx264" in av.codecs_available else "mpeg4"
VIDEO_CODEC_NAME = "h264" if VIDEO_CODEC == "libx264" else "mpeg4"  # what a probe reports
AUDIO_RATE = 44100


def container_time(dt: datetime) -> str:
    """The form ffmpeg itself writes and reads back for ``creation_time``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_mp4(
    path: Path,
    *,
    seconds: float = 1.0,
    width: int = 320,
    height: int = 240,
    fps: int = 15,
    creation_time: datetime | None = None,
    audio: bool = True,
    faststart: bool = False,
    comment: str | None = None,
) -> Path:
    """An MP4 with H.264 video (MPEG-4 Part 2 without libx264) and AAC audio. The moov box is
    at the end, as body cameras write it, unless ``faststart``. A ``comment`` tells apart two
    files made within one second (the container's times are whole seconds)."""
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", format="mp4", options=options) as out:
        if creation_time is not None:
            out.metadata["creation_time"] = container_time(creation_time)
        if comment is not None:
            out.metadata["comment"] = comment
        video = _video_stream(out, width=width, height=height, fps=fps)
        sound = _audio_stream(out, codec="aac", rate=AUDIO_RATE) if audio else None
        _write_video(out, video, frames=round(seconds * fps))
        if sound is not None:
            _write_audio(out, sound, seconds=seconds)
    return path


def make_wav(path: Path, *, seconds: float = 1.0, rate: int = 16000) -> Path:
    """16-bit mono PCM silence."""
    with av.open(str(path), "w", format="wav") as out:
        _write_audio(out, _audio_stream(out, codec="pcm_s16le", rate=rate), seconds=seconds)
    return path


def make_jpeg(
    path: Path,
    *,
    taken_at: datetime | None = None,
    offset: str | None = None,
    width: int = 64,
    height: int = 48,
) -> Path:
    """A JPEG; with ``taken_at`` its EXIF DateTimeOriginal is that time as a camera writes it:
    local wall-clock time (an aware ``taken_at`` is shown in Asia/Shanghai, or in ``offset``
    such as ``"+09:00"``, which is then written as OffsetTimeOriginal)."""
    image = Image.new("RGB", (width, height), (40, 90, 160))
    exif = Image.Exif()
    if taken_at is not None:
        exif_ifd = exif.get_ifd(0x8769)
        exif_ifd[0x9003] = _exif_wall_clock(taken_at, offset)  # DateTimeOriginal
        if offset is not None:
            exif_ifd[0x9011] = offset  # OffsetTimeOriginal
    image.save(path, "JPEG", exif=exif, quality=80)
    return path


def make_truncated_mp4(path: Path) -> Path:
    """A real MP4 cut in half, as a camera that lost power leaves it: the moov box (at the end)
    is gone."""
    make_mp4(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def make_random_bytes(path: Path, size: int, *, seed: int = 0) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))  # noqa: S311 (reproducible junk, not a secret)
    return path


def make_zero_bytes(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def pad_mdat(path: Path, extra: int) -> Path:
    """Grow the media data box of an MP4 by ``extra`` bytes of (sparse) zeros, keeping the file
    valid: a large file made in an instant, with the moov box wherever it was."""
    data = path.read_bytes()
    start, size = find_box(data, b"mdat")
    end = start + size
    with path.open("wb") as out:
        out.write(data[:start])
        out.write(struct.pack(">I", size + extra))
        out.write(data[start + 4 : end])
        out.seek(extra, 1)
        out.write(data[end:])
        out.truncate()
    return path


def _video_stream(
    out: av.container.OutputContainer, *, width: int, height: int, fps: int
) -> av.VideoStream:
    options = {"preset": "ultrafast"} if VIDEO_CODEC == "libx264" else {}
    stream = out.add_stream(VIDEO_CODEC, rate=fps, options=options)
    assert isinstance(stream, av.VideoStream)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    return stream


def _audio_stream(out: av.container.OutputContainer, *, codec: str, rate: int) -> av.AudioStream:
    stream = out.add_stream(codec, rate=rate, layout="mono")
    assert isinstance(stream, av.AudioStream)
    return stream


def _write_video(out: av.container.OutputContainer, stream: av.VideoStream, *, frames: int) -> None:
    for index in range(frames):
        frame = av.VideoFrame(stream.width, stream.height, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([(index * 16) % 256]) * plane.buffer_size)
        frame.pts = index
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def _write_audio(
    out: av.container.OutputContainer, stream: av.AudioStream, *, seconds: float
) -> None:
    rate = stream.rate
    fmt = stream.codec_context.format.name  # fltp for AAC, s16 for PCM
    total, chunk = round(seconds * rate), 1024
    for first in range(0, total, chunk):
        frame = av.AudioFrame(format=fmt, layout="mono", samples=min(chunk, total - first))
        frame.sample_rate, frame.pts = rate, first
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def _exif_wall_clock(taken_at: datetime, offset: str | None) -> str:
    if taken_at.tzinfo is not None:
        zone = SHANGHAI if offset is None else datetime.strptime(offset, "%z").tzinfo
        taken_at = taken_at.astimezone(zone)
    return taken_at.strftime("%Y:%m:%d %H:%M:%S")


def find_box(data: bytes, kind: bytes) -> tuple[int, int]:
    offset = 0
    while offset + 8 <= len(data):
        size, name = struct.unpack(">I4s", data[offset : offset + 8])
        if name == kind:
            return offset, size
        offset += size
    raise ValueError(f"no {kind!r} box")


def make_elementary_video(path: Path, *, seconds: float = 1.0, fps: int = 15) -> Path:
    """A bare video bitstream (raw H.264 or MPEG-4 Part 2) with no container: its duration is
    not written anywhere."""
    fmt = "h264" if VIDEO_CODEC == "libx264" else "m4v"
    with av.open(str(path), "w", format=fmt) as out:
        stream = _video_stream(out, width=320, height=240, fps=fps)
        _write_video(out, stream, frames=round(seconds * fps))
    return path
