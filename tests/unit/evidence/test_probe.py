"""Probing real media made on the fly (tests/media.py): what each kind reports, where the start
time comes from, and what broken files say."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lawcam.evidence.probe import _parse_container_time, probe, start_from_filename
from lawcam.evidence.types import MediaFacts, MediaKind, StartSource
from lawcam.timeutil import SHANGHAI
from tests import media

pytestmark = pytest.mark.req("R14.1")
time_source = pytest.mark.req("R11.2")

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MTIME = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
TAKEN = datetime(2026, 11, 30, 0, 1, 2, tzinfo=UTC)  # 2026-11-30 08:01:02 in Shanghai
NAMED = "VID_20261130_080102.mp4"  # the same moment, written in the name


def _probe(path: Path, name: str | None = None, *, mtime: datetime = MTIME) -> MediaFacts:
    return probe(path, name=name or path.name, mtime=mtime, now=NOW)


def _codes(facts: MediaFacts) -> list[str]:
    return [p.code for p in facts.problems]


# --- each kind ---------------------------------------------------------------------------------


def test_mp4_video_with_audio(tmp_path: Path) -> None:
    path = media.make_mp4(tmp_path / "a.mp4", seconds=2.0, width=352, height=288, fps=25)
    facts = _probe(path)
    assert facts.kind is MediaKind.VIDEO
    assert facts.container == "mp4"
    assert facts.video_codec == media.VIDEO_CODEC_NAME
    assert facts.audio_codec == "aac"
    assert facts.duration_s == pytest.approx(2.0, abs=0.1)
    assert (facts.width, facts.height, facts.frame_rate) == (352, 288, 25.0)
    assert facts.problems == []


def test_mp4_video_without_audio(tmp_path: Path) -> None:
    facts = _probe(media.make_mp4(tmp_path / "a.MP4", seconds=1.0, fps=15, audio=False))
    assert facts.kind is MediaKind.VIDEO and facts.container == "mp4"
    assert facts.audio_codec is None
    assert facts.duration_s == pytest.approx(1.0, abs=0.1)
    assert (facts.width, facts.height, facts.frame_rate) == (320, 240, 15.0)


def test_wav_audio(tmp_path: Path) -> None:
    facts = _probe(media.make_wav(tmp_path / "a.wav", seconds=1.5))
    assert facts.kind is MediaKind.AUDIO
    assert (facts.container, facts.audio_codec, facts.video_codec) == ("wav", "pcm_s16le", None)
    assert facts.duration_s == pytest.approx(1.5, abs=0.05)
    assert (facts.width, facts.height, facts.frame_rate) == (None, None, None)
    assert facts.problems == []


@time_source
def test_jpeg_photo_with_exif_time(tmp_path: Path) -> None:
    facts = _probe(media.make_jpeg(tmp_path / "a.jpg", taken_at=TAKEN, width=80, height=60))
    assert facts.kind is MediaKind.PHOTO and facts.container == "jpeg"
    assert (facts.width, facts.height, facts.duration_s) == (80, 60, None)
    assert (facts.start_at, facts.start_source) == (TAKEN, StartSource.EXIF)
    assert facts.problems == []


@time_source
def test_exif_offset_is_honoured(tmp_path: Path) -> None:
    facts = _probe(media.make_jpeg(tmp_path / "a.jpg", taken_at=TAKEN, offset="+09:00"))
    assert (facts.start_at, facts.start_source) == (TAKEN, StartSource.EXIF)


def test_mp4_with_moov_at_the_front(tmp_path: Path) -> None:
    facts = _probe(media.make_mp4(tmp_path / "a.mov", faststart=True))
    assert facts.kind is MediaKind.VIDEO and facts.container == "mov"
    assert facts.problems == []


# --- start time: container, EXIF, file name, modification time ---------------------------------


@time_source
def test_container_time_beats_file_name_and_mtime(tmp_path: Path) -> None:
    close = TAKEN + timedelta(minutes=4)  # within the tolerance of the name's time
    facts = _probe(media.make_mp4(tmp_path / NAMED, creation_time=close))
    assert (facts.start_at, facts.start_source) == (close, StartSource.CONTAINER)
    assert facts.problems == []


@time_source
def test_file_name_beats_mtime(tmp_path: Path) -> None:
    facts = _probe(media.make_mp4(tmp_path / NAMED))
    assert (facts.start_at, facts.start_source) == (TAKEN, StartSource.FILENAME)


@time_source
def test_photo_without_exif_takes_the_file_name(tmp_path: Path) -> None:
    facts = _probe(media.make_jpeg(tmp_path / "IMG_20261130_080102.jpg"))
    assert (facts.start_at, facts.start_source) == (TAKEN, StartSource.FILENAME)


@time_source
def test_mtime_is_the_last_resort(tmp_path: Path) -> None:
    facts = _probe(media.make_wav(tmp_path / "REC0001.wav"))
    assert (facts.start_at, facts.start_source) == (MTIME, StartSource.MTIME)
    naive = _probe(tmp_path / "REC0001.wav", mtime=MTIME.replace(tzinfo=None))
    assert naive.start_at == MTIME


@time_source
def test_disagreeing_container_and_name_keep_the_container(tmp_path: Path) -> None:
    wrong = TAKEN + timedelta(hours=8)  # a camera that wrote local time as UTC
    facts = _probe(media.make_mp4(tmp_path / NAMED, creation_time=wrong))
    assert (facts.start_at, facts.start_source) == (wrong, StartSource.CONTAINER)
    assert _codes(facts) == ["start_disagrees"]
    assert "2026-11-30 08:01:02" in facts.problems[0].message  # the name's time, Shanghai


@time_source
def test_disagreeing_exif_and_name_keep_exif(tmp_path: Path) -> None:
    wrong = TAKEN - timedelta(minutes=6)
    facts = _probe(media.make_jpeg(tmp_path / "IMG_20261130_080102.jpg", taken_at=wrong))
    assert (facts.start_at, facts.start_source) == (wrong, StartSource.EXIF)
    assert _codes(facts) == ["start_disagrees"]


@time_source
def test_future_start_is_flagged(tmp_path: Path) -> None:
    ahead = NOW + timedelta(hours=1)
    facts = _probe(media.make_mp4(tmp_path / "a.mp4", creation_time=ahead, audio=False))
    assert (facts.start_at, facts.start_source) == (ahead, StartSource.CONTAINER)
    assert _codes(facts) == ["future_start"]
    slightly = _probe(media.make_mp4(tmp_path / "b.mp4", creation_time=NOW + timedelta(minutes=4)))
    assert slightly.problems == []


@time_source
def test_future_file_name_is_flagged(tmp_path: Path) -> None:
    facts = _probe(media.make_wav(tmp_path / "2027-01-01_08-00-00.wav"))
    assert facts.start_source is StartSource.FILENAME
    assert _codes(facts) == ["future_start"]


@time_source
def test_ancient_container_time_is_flagged_and_passed_over(tmp_path: Path) -> None:
    unset = datetime(1990, 1, 1, tzinfo=UTC)
    facts = _probe(media.make_mp4(tmp_path / NAMED, creation_time=unset, audio=False))
    assert (facts.start_at, facts.start_source) == (TAKEN, StartSource.FILENAME)
    assert _codes(facts) == ["ancient_start"]


@time_source
def test_ancient_mtime_is_flagged_but_used(tmp_path: Path) -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    facts = _probe(media.make_wav(tmp_path / "REC0001.wav"), mtime=epoch)
    assert (facts.start_at, facts.start_source) == (epoch, StartSource.MTIME)
    assert _codes(facts) == ["ancient_start"]


def _shanghai(wall_clock: str) -> datetime:
    moment = datetime.strptime(wall_clock, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)


@time_source
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("20261130_080102.mp4", "2026-11-30 08:01:02"),
        ("DSJ_A123_20261130080102_0001.MP4", "2026-11-30 08:01:02"),
        ("VID_20261130_080102.mp4", "2026-11-30 08:01:02"),
        ("IMG_20261130_080102.jpg", "2026-11-30 08:01:02"),
        ("20261130-235959.mp4", "2026-11-30 23:59:59"),
        ("2026_1130_080102_001.MOV", "2026-11-30 08:01:02"),
        ("2026-11-30_08-01-02.wav", "2026-11-30 08:01:02"),
        ("2026-11-30 08.01.02.jpg", "2026-11-30 08:01:02"),
        ("2026-01-01_00-00-00.wav", "2026-01-01 00:00:00"),  # still 2025 in UTC
        (r"E:\DCIM\100MEDIA\VID_20261130_080102.mp4", "2026-11-30 08:01:02"),
        ("20261330080102_20261130080102.mp4", "2026-11-30 08:01:02"),  # first one impossible
    ],
)
def test_file_name_patterns(name: str, expected: str) -> None:
    assert start_from_filename(name) == _shanghai(expected)


@time_source
@pytest.mark.parametrize(
    "name",
    [
        "DSJ_20261330080102.mp4",  # month 13
        "VID_20260230_080102.mp4",  # 30 February
        "VID_20261130_240000.mp4",  # hour 24
        "VID_20261130_086000.mp4",  # minute 60
        "2026-11-30_08-01-62.wav",  # second 62
        "VID_19991130_080102.mp4",  # not a 20xx year
        "DSJ_202611300801021.mp4",  # fifteen digits: a counter, not a time
        "2026-11-30_08-01.02.wav",  # mixed time separators
        "20261130/REC0001.mp4",  # a date in the folder, no time in the name
        "REC0001.mp4",
    ],
)
def test_impossible_or_absent_file_name_times(name: str) -> None:
    assert start_from_filename(name) is None


@time_source
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-30T08:00:00.000000Z", datetime(2026, 11, 30, 8, tzinfo=UTC)),
        ("2026-11-30T08:00:00Z", datetime(2026, 11, 30, 8, tzinfo=UTC)),
        ("2026-11-30 08:00:00", datetime(2026, 11, 30, 8, tzinfo=UTC)),  # naive: UTC
        ("2026-11-30T16:00:00+0800", datetime(2026, 11, 30, 8, tzinfo=UTC)),
        ("not a time", None),
        ("", None),
        (None, None),
    ],
)
def test_container_time_forms(text: str | None, expected: datetime | None) -> None:
    assert _parse_container_time(text) == expected


# --- broken and odd files ----------------------------------------------------------------------


def _text(path: Path) -> Path:
    path.write_text("执法记录仪导出说明\n" * 50, encoding="utf-8")
    return path


def _subtitles(path: Path) -> Path:
    path.write_text("WEBVTT\n\n00:00.000 --> 00:01.000\n你好\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("make", "name", "codes"),
    [
        (media.make_zero_bytes, "empty.mp4", ["empty_file"]),
        (media.make_truncated_mp4, "cut.mp4", ["unparseable_media", "truncated"]),
        (lambda p: media.make_random_bytes(p, 200_000), "noise.mp4", ["unparseable_media"]),
        (lambda p: media.make_random_bytes(p, 5_000, seed=7), "noise.xyz", ["unparseable_media"]),
        (_text, "readme.txt", ["unparseable_media"]),
        (_text, "readme.mp4", ["unparseable_media"]),
        (_subtitles, "clip.vtt", ["no_streams"]),
    ],
)
def test_broken_files_are_unknown_with_a_reason(
    make: Callable[[Path], Path], name: str, codes: list[str], tmp_path: Path
) -> None:
    facts = _probe(make(tmp_path / name))
    assert facts.kind is MediaKind.UNKNOWN
    assert _codes(facts) == codes
    assert all(p.message and not p.message.isascii() for p in facts.problems)  # Chinese
    assert (facts.start_at, facts.start_source) == (MTIME, StartSource.MTIME)


@pytest.mark.parametrize("name", ["gone.mp4", "folder.mp4"])
def test_missing_or_unreadable_file_is_unknown(tmp_path: Path, name: str) -> None:
    (tmp_path / "folder.mp4").mkdir()
    facts = _probe(tmp_path / name)
    assert facts.kind is MediaKind.UNKNOWN and _codes(facts) == ["unreadable"]
    assert facts.problems[0].message.startswith("无法读取文件：")


def test_wav_named_mp4_is_parsed_and_flagged(tmp_path: Path) -> None:
    facts = _probe(media.make_wav(tmp_path / "a.mp4"))
    assert facts.kind is MediaKind.AUDIO and facts.container == "wav"
    assert _codes(facts) == ["extension_mismatch"]
    assert "“.mp4”" in facts.problems[0].message


@pytest.mark.parametrize("name", ["clip.xyz", "CLIP"])
def test_video_with_unknown_or_no_extension_is_parsed_and_flagged(
    tmp_path: Path, name: str
) -> None:
    facts = _probe(media.make_mp4(tmp_path / name, audio=False))
    assert facts.kind is MediaKind.VIDEO and facts.video_codec == media.VIDEO_CODEC_NAME
    assert _codes(facts) == ["extension_mismatch"]


def test_jpeg_named_mp4_is_a_flagged_photo(tmp_path: Path) -> None:
    facts = _probe(media.make_jpeg(tmp_path / "a.mp4"))
    assert facts.kind is MediaKind.PHOTO
    assert _codes(facts) == ["extension_mismatch"]


def test_video_cut_after_a_front_moov_is_flagged(tmp_path: Path) -> None:
    path = media.make_mp4(tmp_path / "a.mp4", faststart=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    facts = _probe(path)
    assert facts.kind is MediaKind.VIDEO  # what the header says is still reported
    assert _codes(facts) == ["truncated"]


def test_video_without_a_readable_duration_is_still_probed(tmp_path: Path) -> None:
    fmt = "h264" if media.VIDEO_CODEC == "libx264" else "m4v"
    facts = _probe(media.make_elementary_video(tmp_path / f"a.{fmt}"))
    assert facts.kind is MediaKind.VIDEO
    assert (facts.video_codec, facts.width, facts.height) == (media.VIDEO_CODEC_NAME, 320, 240)
    assert facts.duration_s is None
    assert _codes(facts) == ["no_duration"]


def test_probing_is_quiet(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    for make, name in [
        (media.make_truncated_mp4, "cut.mp4"),
        (lambda p: media.make_random_bytes(p, 50_000), "noise.mp4"),
    ]:
        _probe(make(tmp_path / name))
    assert capfd.readouterr().err == ""


# --- headers only ------------------------------------------------------------------------------


def _bytes_read() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc/self/io")
@pytest.mark.parametrize("faststart", [True, False], ids=["moov-first", "moov-last"])
def test_a_100_mb_video_is_probed_from_its_headers(tmp_path: Path, faststart: bool) -> None:
    path = media.pad_mdat(media.make_mp4(tmp_path / "big.mp4", faststart=faststart), 100 << 20)
    assert path.stat().st_size > 100 << 20
    before = _bytes_read()
    facts = _probe(path)
    read = _bytes_read() - before
    assert facts.kind is MediaKind.VIDEO and facts.problems == []
    assert facts.duration_s == pytest.approx(1.0, abs=0.1)
    assert read < 2 << 20, f"read {read} bytes of a {path.stat().st_size}-byte file"
