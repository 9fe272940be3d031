"""The test corpus uses the same generators as the demo's camera cards."""

from lawcam.demo.media import (
    AUDIO_RATE,
    VIDEO_CODEC,
    VIDEO_CODEC_NAME,
    container_time,
    make_elementary_video,
    make_jpeg,
    make_mp4,
    make_random_bytes,
    make_truncated_mp4,
    make_wav,
    make_zero_bytes,
    pad_mdat,
)

__all__ = [
    "AUDIO_RATE",
    "VIDEO_CODEC",
    "VIDEO_CODEC_NAME",
    "container_time",
    "make_elementary_video",
    "make_jpeg",
    "make_mp4",
    "make_random_bytes",
    "make_truncated_mp4",
    "make_wav",
    "make_zero_bytes",
    "pad_mdat",
]
