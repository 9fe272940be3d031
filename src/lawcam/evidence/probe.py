"""Media facts from a file's headers (R14.1): kind, container, codecs, duration, picture size,
frame rate and the recording's start time, with where that time came from (R11.2).

Probing reads headers only: PyAV opens the container (for MP4 the moov box, wherever it is, plus
the first packets ffmpeg needs to identify the codecs) and Pillow reads a photo's markers and
EXIF; nothing is decoded. Nothing here raises for bad input: a file that is empty, cut short,
not media at all or merely odd comes back as facts with ``Problem``s saying why, in Chinese.

Start time, the first that is found:

1. the container's ``creation_time`` (MP4/MOV/MKV …; UTC, a naive value is taken as UTC);
2. a photo's EXIF ``DateTimeOriginal`` (local Asia/Shanghai time unless ``OffsetTimeOriginal``
   says otherwise);
3. a date and time in the file name (``FILENAME_PATTERNS``; Asia/Shanghai local time);
4. the file's modification time as read from the device.

A container or EXIF time before 2000 is a camera whose clock was never set: it is flagged
(``ancient_start``) and the next source is used, so that a retention period is never counted
from 1970. When the container or EXIF time and the file-name time differ by more than
``TOLERANCE`` the container or EXIF time is kept and the difference flagged.
"""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import av.logging
from av.container import InputContainer
from av.stream import Disposition
from PIL import ExifTags, Image

from lawcam.evidence.types import MediaFacts, MediaKind, Problem, StartSource
from lawcam.timeutil import SHANGHAI, local

# ffmpeg's own log goes nowhere (PyAV's default, made explicit): failures still arrive as
# exceptions, and nothing is printed on stderr for each odd file of a large ingest.
av.logging.set_level(None)

TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

_SEP = r"[-_ T.]"  # between the date and the time: "_", "-", " ", "T" or "."
_TAIL = r"(?!\d)"  # the seconds are not followed by another digit
_HEAD = r"(?<!\d)(?P<Y>20\d\d)"  # a year 2000–2099 not preceded by a digit

#: Body-camera file-name patterns, tried in this order; the first valid date and time wins.
#: Times in names are Asia/Shanghai wall-clock time. Matches that are not a real date or time
#: (month 13, 30 February, 25 o'clock) are skipped.
#:
#: 1. ``YYYYMMDD`` and ``HHMMSS``, joined or with one separator:
#:    ``VID_20261130_080102.mp4``, ``IMG_20261130_080102.jpg``,
#:    ``DSJ_A123_20261130080102_0001.MP4``, ``20261130-080102.mp4``
#: 2. ``YYYY_MMDD_HHMMSS``: ``2026_1130_080102_001.MOV``
#: 3. ``YYYY-MM-DD`` then ``HH-MM-SS`` (or ``HH.MM.SS``, ``HH:MM:SS``):
#:    ``2026-11-30_08-01-02.wav``, ``2026-11-30 08.01.02.jpg``
FILENAME_PATTERNS: list[re.Pattern[str]] = [
    re.compile(_HEAD + rf"(?P<m>\d\d)(?P<d>\d\d){_SEP}?(?P<H>\d\d)(?P<M>\d\d)(?P<S>\d\d){_TAIL}"),
    re.compile(_HEAD + r"_(?P<m>\d\d)(?P<d>\d\d)_(?P<H>\d\d)(?P<M>\d\d)(?P<S>\d\d)" + _TAIL),
    re.compile(
        _HEAD + rf"-(?P<m>\d\d)-(?P<d>\d\d){_SEP}(?P<H>\d\d)([-.:])(?P<M>\d\d)\5(?P<S>\d\d){_TAIL}"
    ),
]

# Pillow reads these as photos (a multi-picture JPEG comes back as "MPO"); the rest goes to PyAV.
_PHOTO_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP", "BMP", "GIF")
# Container keys holding the recording time: ffmpeg's own, then Apple's (local with offset).
_CONTAINER_TIME_KEYS = ("creation_time", "com.apple.quicktime.creationdate")
# Demuxers whose ffmpeg entry lists no file extensions.
_EXTRA_EXTENSIONS = {
    "wav": {"wav", "wave"},
    "mpegts": {"ts", "mts", "m2ts", "m2t", "tp", "trp"},
    "amr": {"amr"},
    "asf": {"asf", "wmv", "wma"},
    "mpeg": {"mpg", "mpeg", "vob"},
}
_BOX_LIMIT = 64  # top-level MP4 boxes walked when looking for a cut-off file


def probe(path: Path, *, name: str, mtime: datetime, now: datetime) -> MediaFacts:
    """What the file at ``path`` is. ``name`` is its name on the device (for the extension and
    the file-name time), ``mtime`` its modification time there, ``now`` the time of ingest."""
    facts = _probe_media(path, name)
    _settle_start(facts, name=name, mtime=mtime, now=now)
    return facts


def start_from_filename(name: str) -> datetime | None:
    """The start time written in a file name (see ``FILENAME_PATTERNS``), in UTC, or None."""
    base = re.split(r"[\\/]", name)[-1]
    for pattern in FILENAME_PATTERNS:
        for match in pattern.finditer(base):
            moment = _shanghai_moment(match)
            if moment is not None:
                return moment
    return None


# --- the media ---------------------------------------------------------------------------------


def _probe_media(path: Path, name: str) -> MediaFacts:
    try:
        with path.open("rb") as f:  # opened, not just stat'ed: a permission problem shows here
            size = f.seek(0, 2)
    except OSError as exc:
        return _unknown("unreadable", f"无法读取文件：{_os_reason(exc)}")
    if size == 0:
        return _unknown("empty_file", "文件为空（0 字节），不是有效的音视频或照片")
    return _probe_photo(path, name) or _probe_av(path, name)


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "文件不存在"
    if isinstance(exc, IsADirectoryError):
        return "这是一个文件夹"
    if isinstance(exc, PermissionError):
        return "没有读取权限"
    return exc.strerror or str(exc)


def _unknown(code: str, message: str) -> MediaFacts:
    return MediaFacts(kind=MediaKind.UNKNOWN, problems=[Problem(code, message)])


def _probe_photo(path: Path, name: str) -> MediaFacts | None:
    """A photo Pillow recognises, from its header and EXIF only (no pixel is decoded)."""
    Image.init()  # registers TIFF and WebP too; does nothing after the first call
    try:
        with Image.open(path, formats=_PHOTO_FORMATS) as image:
            fmt = "JPEG" if image.format == "MPO" else str(image.format)
            facts = MediaFacts(kind=MediaKind.PHOTO, container=fmt.lower())
            facts.width, facts.height = image.size
            _take_embedded_start(facts, _start_from_exif(image), StartSource.EXIF)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # not a photo Pillow can read (UnidentifiedImageError is an OSError)
    _check_extension(facts, name, _photo_extensions(fmt), fmt)
    return facts


def _photo_extensions(fmt: str) -> set[str]:
    return {ext.lstrip(".") for ext, f in Image.registered_extensions().items() if f == fmt}


def _start_from_exif(image: Image.Image) -> datetime | None:
    try:
        tags = image.getexif().get_ifd(ExifTags.IFD.Exif)
    except (OSError, ValueError, SyntaxError, struct.error):
        return None
    taken = tags.get(ExifTags.Base.DateTimeOriginal)
    offset = tags.get(ExifTags.Base.OffsetTimeOriginal)
    return _parse_exif_time(taken, offset) if taken else None


def _parse_exif_time(taken: object, offset: object) -> datetime | None:
    try:
        wall = datetime.strptime(str(taken).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        zone = datetime.strptime(str(offset).strip("\x00 "), "%z").tzinfo if offset else None
    except ValueError:
        return None
    return wall.replace(tzinfo=zone or SHANGHAI).astimezone(UTC)


def _probe_av(path: Path, name: str) -> MediaFacts:
    try:
        with _open_container(path) as container:
            facts = _facts_from_container(container, name)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        facts = _unknown("unparseable_media", f"无法解析为音视频或照片（{_reason(exc)}）")
    if _is_mp4(path) and _mp4_cut_off(path):
        message = "文件不完整：MP4 结构超出文件末尾，可能在录制或拷贝中被截断"
        facts.problems.append(Problem("truncated", message))
    return facts


def _open_container(path: Path) -> InputContainer:
    """Opening reads the headers and the first packets only; metadata in a wrong encoding is
    replaced rather than refused."""
    return av.open(str(path), mode="r", metadata_errors="replace")


def _reason(exc: Exception) -> str:
    if isinstance(exc, av.error.FFmpegError):
        return exc.strerror or type(exc).__name__
    return str(exc) or type(exc).__name__


def _facts_from_container(container: InputContainer, name: str) -> MediaFacts:
    video = next((s for s in container.streams.video if not _is_cover(s)), None)
    audio = next(iter(container.streams.audio), None)
    if video is None and audio is None:
        return _unknown("no_streams", "文件中没有视频或音频流")
    facts = MediaFacts(kind=_kind(container, video))
    facts.container = _container_name(container.format.name, name)
    if video is not None:
        _read_video(facts, video)
    if audio is not None:
        facts.audio_codec = _codec_name(audio)
    _read_duration(facts, container)
    _take_embedded_start(facts, _start_from_container(container), StartSource.CONTAINER)
    _check_extension(facts, name, _av_extensions(container.format), container.format.name)
    return facts


def _is_cover(stream: av.VideoStream) -> bool:
    """An attached picture (cover art in an audio file) is not video."""
    return bool(stream.disposition & Disposition.attached_pic)


def _kind(container: InputContainer, video: av.VideoStream | None) -> MediaKind:
    if video is None:
        return MediaKind.AUDIO
    fmt = container.format.name
    return MediaKind.PHOTO if fmt == "image2" or fmt.endswith("_pipe") else MediaKind.VIDEO


def _container_name(demuxer: str, name: str) -> str:
    """ffmpeg's demuxer names list siblings ("mov,mp4,m4a,…"): the one the extension names if
    it is among them, else the first."""
    names = demuxer.split(",")
    ext = _extension(name)
    return ext if ext in names else names[0]


def _codec_name(stream: av.VideoStream | av.AudioStream) -> str | None:
    """None for a codec this ffmpeg does not know (PyAV then gives no codec context)."""
    context = stream.codec_context
    return context.name if context is not None else None


def _read_video(facts: MediaFacts, stream: av.VideoStream) -> None:
    context = stream.codec_context
    if context is None:
        facts.problems.append(Problem("unknown_codec", "视频编码无法识别，只能保存原文件"))
        return
    facts.video_codec = context.name
    facts.width = context.width or None
    facts.height = context.height or None
    rate = stream.average_rate or stream.guessed_rate
    facts.frame_rate = round(float(rate), 3) if rate else None


def _read_duration(facts: MediaFacts, container: InputContainer) -> None:
    seconds = _duration(container)
    if seconds is None:
        facts.problems.append(Problem("no_duration", "无法从文件头读取时长"))
    facts.duration_s = seconds


def _duration(container: InputContainer) -> float | None:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    spans = [
        float(s.duration * s.time_base)
        for s in container.streams
        if s.duration is not None and s.duration > 0 and s.time_base is not None
    ]
    return max(spans) if spans else None


def _start_from_container(container: InputContainer) -> datetime | None:
    """``creation_time`` of the container, else of its first stream that has one."""
    for metadata in [container.metadata, *(s.metadata for s in container.streams)]:
        for key in _CONTAINER_TIME_KEYS:
            moment = _parse_container_time(metadata.get(key))
            if moment is not None:
                return moment
    return None


def _parse_container_time(text: str | None) -> datetime | None:
    """ISO 8601 as ffmpeg writes it (``2026-11-30T08:00:00.000000Z``), with a space for the
    ``T`` or an offset such as ``+0800``; naive means UTC."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset: held at the calendar's end, flagged
        return (
            datetime.min.replace(tzinfo=UTC)
            if moment.year == 1
            else datetime.max.replace(tzinfo=UTC)
        )


def _av_extensions(fmt: av.ContainerFormat) -> set[str]:
    names = set(fmt.name.split(","))
    return names | set(fmt.extensions) | _EXTRA_EXTENSIONS.get(fmt.name, set())


def _check_extension(facts: MediaFacts, name: str, allowed: set[str], actual: str) -> None:
    ext = _extension(name)
    if ext in allowed:
        return
    shown = f"“.{ext}”" if ext else "（无）"
    message = f"文件扩展名{shown}与实际格式（{actual}）不符，已按实际格式解析"
    facts.problems.append(Problem("extension_mismatch", message))


def _extension(name: str) -> str:
    base = re.split(r"[\\/]", name)[-1]
    return base.rpartition(".")[2].lower() if "." in base else ""


# --- MP4 cut short -----------------------------------------------------------------------------


def _is_mp4(path: Path) -> bool:
    """An ISO base media file starts with an ``ftyp`` box (cameras sometimes lead with others,
    which is why ffmpeg is asked first; this check is only for the cut-off test)."""
    try:
        with path.open("rb") as f:
            return f.read(8)[4:8] == b"ftyp"
    except OSError:
        return False


def _mp4_cut_off(path: Path) -> bool:
    """Whether the top-level boxes run past the end of the file: 16 bytes read per box."""
    try:
        with path.open("rb") as f:
            size = f.seek(0, 2)
            offset = 0
            for _ in range(_BOX_LIMIT):
                if offset >= size:
                    return offset > size
                f.seek(offset)
                box = _box_size(f.read(16))
                if box is None:
                    return True
                if box == 0:
                    return False  # "to the end of the file"
                offset += box
    except OSError:
        return False
    return False


def _box_size(header: bytes) -> int | None:
    """The size declared by a box header, 0 for "to the end of the file", None if the header is
    itself cut off or impossible."""
    if len(header) < 8:
        return None
    size = int.from_bytes(header[:4], "big")
    if size == 1:
        return int.from_bytes(header[8:16], "big") if len(header) == 16 else None
    return None if 0 < size < 8 else size


# --- the start time ----------------------------------------------------------------------------


def _take_embedded_start(facts: MediaFacts, moment: datetime | None, source: StartSource) -> None:
    """A container or EXIF time, unless the camera's clock was plainly never set."""
    if moment is None:
        return
    if moment < EARLIEST:
        message = (
            f"{source.label}为 {local(moment)}，早于 2000 年，设备时钟未设置，已改用其他时间来源"
        )
        facts.problems.append(Problem("ancient_start", message))
        return
    facts.start_at, facts.start_source = moment, source


def _settle_start(facts: MediaFacts, *, name: str, mtime: datetime, now: datetime) -> None:
    from_name = start_from_filename(name)
    if facts.start_at is not None:
        _compare_with_name(facts, from_name)
    elif from_name is not None:
        facts.start_at, facts.start_source = from_name, StartSource.FILENAME
    else:
        facts.start_at, facts.start_source = _from_mtime(facts, mtime)
    _check_future(facts, now)


def _compare_with_name(facts: MediaFacts, from_name: datetime | None) -> None:
    assert facts.start_at is not None and facts.start_source is not None
    if from_name is None or abs(facts.start_at - from_name) <= TOLERANCE:
        return
    message = (
        f"{facts.start_source.label}（{local(facts.start_at)}）与文件名中的时间"
        f"（{local(from_name)}）相差超过 {_minutes(TOLERANCE)} 分钟，已采用{facts.start_source.label}"
    )
    facts.problems.append(Problem("start_disagrees", message))


def _from_mtime(facts: MediaFacts, mtime: datetime) -> tuple[datetime, StartSource]:
    moment = mtime.replace(tzinfo=UTC) if mtime.tzinfo is None else mtime.astimezone(UTC)
    if moment < EARLIEST:
        message = f"文件修改时间为 {local(moment)}，早于 2000 年，设备时钟可能未设置"
        facts.problems.append(Problem("ancient_start", message))
    return moment, StartSource.MTIME


def _check_future(facts: MediaFacts, now: datetime) -> None:
    if facts.start_at is None or facts.start_at <= now + TOLERANCE:
        return
    message = f"开始时间 {local(facts.start_at)} 晚于当前时间，设备时钟可能偏快"
    facts.problems.append(Problem("future_start", message))


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


def _shanghai_moment(match: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second = (int(match.group(k)) for k in "YmdHMS")
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
    except ValueError:
        return None  # month 13, 30 February, hour 25 …
    return moment.astimezone(UTC)
