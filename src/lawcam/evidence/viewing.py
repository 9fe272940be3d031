"""Viewing copies (R15.2, 第十五条): what Debian's Chromium plays, and a copy it plays of an
original it does not.

Which formats play was found by playing files made with PyAV in Chromium 156 (Debian 12):
a frame had to be decoded (``requestVideoFrameCallback``, ``videoWidth``) and, for sound,
audio bytes decoded (``webkitAudioDecodedByteCount``); the table is in docs/operations.md
(播放副本). Chromium plays HEVC and MPEG-4 Part 2 in MP4 as sound over a blank picture and
refuses AVI, MPEG-TS and raw AMR outright, so a player cannot rely on ``canPlayType``.

The copy is derived, never evidence: H.264 (libx264, preset fast) with AAC in MP4 with the
index at the front (audio only: AAC in M4A), decoded and encoded frame by frame (bounded
memory), stored write-once under its own SHA-256 and SM3, locked as long as the original must
be kept, its row written once and audited. It is made only from the original's bytes as
re-hashed on the way, and it never replaces the original: downloads and packages carry the
original, and everything that shows the copy says that it is a copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import av
from av.container import InputContainer, OutputContainer
from av.stream import Disposition
from sqlalchemy.orm import Session

from lawcam.audit.service import record
from lawcam.authz import Actor
from lawcam.db.base import columns_of
from lawcam.errors import Conflict, InvalidInput
from lawcam.evidence.models import Recording, ViewingCopy
from lawcam.evidence.queries import viewing_copy_of
from lawcam.evidence.retention import effective_retention
from lawcam.evidence.stream import BLOCK, Digests, read_digests, stream
from lawcam.evidence.types import EvidenceEvent, MediaKind
from lawcam.storage import BlobStore, BlobWriter, StorageError
from lawcam.timeutil import lock_until, utcnow

# What Chromium 156 on Debian played, by the names the probe records (probe.py): containers
# as ``Recording.container``, codecs as ffmpeg's decoders name them ("mp3float" for MP3).
PLAYABLE_CONTAINERS = frozenset(
    {"mp4", "mov", "m4a", "3gp", "matroska", "webm", "ogg", "wav", "mp3", "flac"}
)
PLAYABLE_VIDEO = frozenset({"h264", "vp9"})
PLAYABLE_AUDIO = frozenset(
    {"aac", "mp3", "mp3float", "opus", "flac", "pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_u8",
     "pcm_alaw", "pcm_mulaw"}
)  # fmt: skip
# Photos are shown by <img>; Chromium does not show TIFF.
SHOWN_PHOTOS = frozenset({"jpeg", "mpo", "png", "gif", "webp", "bmp"})

VIDEO_OPTIONS = {"preset": "fast", "crf": "23"}
# AAC's sampling rates; any other is resampled to 48 kHz.
AAC_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 96000})
AAC_FRAME = 1024


def playable(container: str | None, video_codec: str | None, audio_codec: str | None) -> bool:
    """Whether Debian's Chromium plays (or, for a photo, shows) a file with these probed facts:
    its container opens and every stream it has decodes. A file with no known stream does not."""
    if container in SHOWN_PHOTOS:
        return video_codec is None and audio_codec is None
    if container not in PLAYABLE_CONTAINERS or (video_codec is None and audio_codec is None):
        return False
    video_ok = video_codec is None or video_codec in PLAYABLE_VIDEO
    return video_ok and (audio_codec is None or audio_codec in PLAYABLE_AUDIO)


def plays_as_is(recording: Recording) -> bool:
    """``playable`` for a recording: a video whose picture codec is unknown does not play."""
    if recording.kind == MediaKind.VIDEO and recording.video_codec is None:
        return False
    return playable(recording.container, recording.video_codec, recording.audio_codec)


def needs_copy(recording: Recording) -> bool:
    """Whether the player should play a viewing copy instead of the original: a video or audio
    recording Chromium cannot play. Photos never (``<img>``), unparsed files never (nothing
    could decode them)."""
    audiovisual = recording.kind in (MediaKind.VIDEO, MediaKind.AUDIO)
    return audiovisual and not plays_as_is(recording)


def make_viewing_copy(
    *, session: Session, actor: Actor, store: BlobStore, recording: Recording
) -> ViewingCopy:
    """The recording's viewing copy, made now unless it exists (then returned as it is). The
    caller has established that ``actor`` may view the recording (a live grant, the console).
    The encoding runs before anything is written; the row and its audit entry go into the
    caller's transaction."""
    existing = viewing_copy_of(session, recording.id)
    if existing is not None:
        return existing
    _check_needed(recording)
    until = lock_until(effective_retention(session, recording))
    with tempfile.TemporaryDirectory(prefix="lawcam-copy-") as folder:
        with _original(store, recording, Path(folder)) as source:
            made = encode(source, Path(folder), recording.id)
        digests = _publish(store, made.path, until)
    copy = ViewingCopy(
        recording_id=recording.id,
        sha256=digests.sha256,
        sm3=digests.sm3,
        size=digests.size,
        container=made.container,
        video_codec=made.video_codec,
        audio_codec=made.audio_codec,
        made_at=utcnow(),
        made_by=actor.label,
    )
    session.add(copy)
    session.flush()
    subject = ("viewing_copy", copy.id)
    record(session, actor, EvidenceEvent.VIEWING_COPY_MADE, subject, after=columns_of(copy))
    return copy


def _check_needed(recording: Recording) -> None:
    if recording.kind == MediaKind.PHOTO:
        raise InvalidInput(
            f"资料 #{recording.id} 是照片，浏览器直接显示，不制作播放副本。", code="copy_not_needed"
        )
    if recording.kind == MediaKind.UNKNOWN:
        raise InvalidInput(
            f"资料 #{recording.id} 无法识别为音视频，无法制作播放副本；原文件照常保存。",
            code="copy_impossible",
        )
    if plays_as_is(recording):
        raise InvalidInput(
            f"资料 #{recording.id} 的格式浏览器可以直接播放，不需要播放副本。",
            code="copy_not_needed",
        )


# The original's bytes, re-hashed ------------------------------------------------------------


@contextlib.contextmanager
def _original(store: BlobStore, recording: Recording, folder: Path) -> Iterator[Path]:
    """A file holding the original's bytes, checked against its digests before anything is
    decoded: a copy is never made of altered bytes. The local store's own file is read in
    place; a remote object is copied to ``folder`` (PyAV needs to seek: the index of an MP4
    from a camera is at its end)."""
    path = store.local_path(recording.sha256)
    if path is not None:
        with path.open("rb") as handle:
            digests = read_digests(handle)
    else:
        path = folder / "original"
        digests = _download(store, recording.sha256, path)
    if (digests.sha256, digests.sm3) != (recording.sha256, recording.sm3):
        raise Conflict(
            f"资料 #{recording.id} 的原文件与登记的 SHA-256/SM3 不符，未制作播放副本；"
            "请立即运行 lawcam verify 并报告。",
            code="original_altered",
        )
    yield path


def _download(store: BlobStore, sha256: str, target: Path) -> Digests:
    sha, sm3, size = hashlib.sha256(), hashlib.new("sm3"), 0
    with store.open(sha256) as source, target.open("xb") as out:
        while block := source.read(BLOCK):
            sha.update(block)
            sm3.update(block)
            out.write(block)
            size += len(block)
    return Digests(sha.hexdigest(), sm3.hexdigest(), size)


# Encoding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Made:
    """A copy written, not yet stored: its file and what it holds, as read back."""

    path: Path
    container: str
    video_codec: str | None
    audio_codec: str | None


def encode(source: Path, folder: Path, recording_id: int) -> Made:
    """The copy of the media file ``source``, written in ``folder`` (nothing stored); its
    errors name ``recording_id``."""
    try:
        with av.open(str(source)) as original:
            video, audio = _streams(original)
            if video is None and audio is None:
                raise InvalidInput(
                    f"资料 #{recording_id} 中没有可解码的音视频流，无法制作播放副本。",
                    code="copy_impossible",
                )
            container = "mp4" if video is not None else "m4a"
            target = folder / f"copy.{container}"
            _transcode(original, target, video, audio)
        return _described(target, container)
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise InvalidInput(
            f"资料 #{recording_id} 解码或转码失败，未制作播放副本（{exc}）；原文件不受影响。",
            code="copy_failed",
        ) from exc


def _streams(
    original: InputContainer,
) -> tuple[av.VideoStream | None, av.AudioStream | None]:
    """The first picture stream (not a cover image) and the first sound stream that this
    ffmpeg can decode."""
    video = next(
        (
            s
            for s in original.streams.video
            if s.codec_context is not None and not s.disposition & Disposition.attached_pic
        ),
        None,
    )
    audio = next((s for s in original.streams.audio if s.codec_context is not None), None)
    return video, audio


def _origin(original: InputContainer) -> float:
    """The instant (seconds) both streams are counted from, so that sound stays with picture."""
    start = original.start_time
    return start / av.time_base if start is not None else 0.0


def _transcode(
    original: InputContainer,
    target: Path,
    video: av.VideoStream | None,
    audio: av.AudioStream | None,
) -> None:
    """Packet by packet: only the frames in flight are in memory, whatever the file's size."""
    fmt = "mp4" if video is not None else "ipod"  # ipod: ffmpeg's M4A muxer
    origin = _origin(original)
    with av.open(str(target), "w", format=fmt, options={"movflags": "+faststart"}) as out:
        encoders: dict[int, _VideoEncoder | _AudioEncoder] = {}
        if video is not None:
            encoders[video.index] = _VideoEncoder(out, video, origin)
        if audio is not None:
            encoders[audio.index] = _AudioEncoder(out, audio, origin)
        for packet in original.demux([s for s in (video, audio) if s is not None]):
            encoder = encoders[packet.stream.index]
            for frame in packet.decode():
                encoder.push(frame)  # type: ignore[arg-type]
        for encoder in encoders.values():
            encoder.finish()


def _even(size: int) -> int:
    """H.264 in 4:2:0 needs an even width and height."""
    return max(2, size - size % 2)


class _VideoEncoder:
    """H.264 frames with the original's timestamps (variable frame rates kept); a frame whose
    time does not move forward is dropped, as ffmpeg's own muxer would refuse it."""

    def __init__(self, out: OutputContainer, source: av.VideoStream, origin: float) -> None:
        context = source.codec_context
        rate = source.average_rate or source.guessed_rate or Fraction(25)
        self.out = out
        self.stream = out.add_stream("libx264", rate=rate, options=VIDEO_OPTIONS)
        self.stream.width, self.stream.height = _even(context.width), _even(context.height)
        self.stream.pix_fmt = "yuv420p"
        self.time_base = source.time_base or Fraction(1, 90000)
        self.stream.codec_context.time_base = self.time_base
        self.origin = round(origin / self.time_base)
        self.step = max(1, round(1 / (rate * self.time_base)))
        self.last = -1

    def push(self, frame: av.VideoFrame) -> None:
        pts = self.last + self.step if frame.pts is None else frame.pts - self.origin
        if pts <= self.last:
            return
        self.last = pts
        picture = frame.reformat(self.stream.width, self.stream.height, "yuv420p")
        picture.pts, picture.time_base = pts, self.time_base
        self.out.mux(self.stream.encode(picture))

    def finish(self) -> None:
        self.out.mux(self.stream.encode(None))


class _AudioEncoder:
    """AAC in frames of 1024 samples, counted from the first sound's offset to the picture."""

    def __init__(self, out: OutputContainer, source: av.AudioStream, origin: float) -> None:
        context = source.codec_context
        rate = context.sample_rate if context.sample_rate in AAC_RATES else 48000
        layout = "mono" if context.channels == 1 else "stereo"
        self.out = out
        self.stream = out.add_stream("aac", rate=rate, layout=layout)
        self.resampler = av.AudioResampler(
            format="fltp", layout=layout, rate=rate, frame_size=AAC_FRAME
        )
        self.rate, self.origin = rate, origin
        self.samples: int | None = None  # the next frame's pts, once the first sound is known

    def push(self, frame: av.AudioFrame | None) -> None:
        if self.samples is None:
            start = frame.time if frame is not None and frame.time is not None else self.origin
            self.samples = max(0, round((start - self.origin) * self.rate))
        for sound in self.resampler.resample(frame):
            sound.pts, sound.time_base = self.samples, Fraction(1, self.rate)
            self.samples += sound.samples
            self.out.mux(self.stream.encode(sound))

    def finish(self) -> None:
        self.push(None)
        self.out.mux(self.stream.encode(None))


def _described(target: Path, container: str) -> Made:
    """What was written, as a probe reads it back."""
    with av.open(str(target)) as made:
        video = next(iter(made.streams.video), None)
        audio = next(iter(made.streams.audio), None)
        return Made(
            target,
            container,
            video.codec_context.name if video is not None else None,
            audio.codec_context.name if audio is not None else None,
        )


# Storing ------------------------------------------------------------------------------------


def _publish(store: BlobStore, path: Path, until: datetime) -> Digests:
    """Under its own digests, locked as long as the original must be kept; published before
    the row is written (a row never names bytes that are not there). The file is moved into
    the store when it can be, else copied."""
    with path.open("rb") as handle:
        digests = read_digests(handle)
    writer = _writer(store, path)
    try:
        if not writer.publish(digests.sha256, until):
            store.extend_retention(digests.sha256, until)
    finally:
        writer.abort()
    return digests


def _writer(store: BlobStore, path: Path) -> BlobWriter:
    try:
        return store.adopt(path)
    except StorageError:
        writer = store.writer()
        fd = os.open(path, os.O_RDONLY)
        try:
            stream(fd, writer)
        finally:
            os.close(fd)
        return writer
