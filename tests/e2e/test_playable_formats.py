"""``evidence.viewing.playable`` is what Debian's Chromium really does (R15.2): files made with
PyAV in the formats an enforcement camera writes are played in the browser for a moment, and a
format counts as playing only when time advances, a picture is decoded and, where the file has
sound, sound is decoded (Chromium plays HEVC in MP4 as sound over a blank picture, and turns
AMR away). Each viewing copy made of a format it does not play then plays whole. The table in
docs/operations.md (播放副本) is this test's record; a Chromium upgrade that changes it fails
here."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import av
import pytest
from playwright.sync_api import Browser, Page

from lawcam.evidence import viewing
from tests.media import make_mp4
from tests.unit.evidence.test_viewing import _frames, _sound, make_amr, make_avi

# What the browser reports after a moment of play: time, pictures, sound.
PLAY = """async (url) => {
  const media = document.createElement('video');
  media.muted = true;
  document.body.appendChild(media);
  let pictures = 0;
  const count = () => { pictures++; media.requestVideoFrameCallback(count); };
  media.requestVideoFrameCallback(count);
  const loaded = await new Promise(done => {
    media.onloadeddata = () => done(true);
    media.onerror = () => done(false);
    media.src = url;
    setTimeout(() => done(false), 10000);
  });
  if (loaded) { await media.play().catch(() => {}); }
  const started = performance.now();
  while (loaded && performance.now() - started < 1200 && !media.ended) {
    await new Promise(r => setTimeout(r, 100));
  }
  const out = {time: media.currentTime, pictures, width: media.videoWidth,
               sound: media.webkitAudioDecodedByteCount || 0};
  media.remove();
  return out;
}"""


def make_hevc(path: Path) -> Path:
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        video = out.add_stream("libx265", rate=15, options={"x265-params": "log-level=none"})
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        sound = out.add_stream("aac", rate=44100, layout="mono")
        for frame in _frames(video, 30):
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        _sound(out, sound, 2.0)
    return path


# name, maker, whether the file has a picture and sound
SAMPLES: list[tuple[str, Callable[[Path], Path], bool, bool]] = [
    ("h264_aac.mp4", lambda p: make_mp4(p, seconds=2.0, faststart=True), True, True),
    ("hevc_aac.mp4", make_hevc, True, True),
    ("mpeg4_pcm.avi", make_avi, True, True),
    ("speech.amr", make_amr, False, True),
]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1 (the browser plays nothing from file://)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def played(page: Page, url: str, picture: bool, sound: bool) -> bool:
    seen = page.evaluate(PLAY, url)
    whole = seen["time"] > 0.3
    if picture:
        whole = whole and seen["width"] > 0 and seen["pictures"] > 0
    if sound:
        whole = whole and seen["sound"] > 0
    return bool(whole)


def facts(path: Path) -> tuple[str, str | None, str | None]:
    """The three facts as the probe records them (container by the file's extension)."""
    with av.open(str(path)) as media:
        video = next(iter(media.streams.video), None)
        audio = next(iter(media.streams.audio), None)
        names = media.format.name.split(",")
        ext = path.suffix.lstrip(".")
        return (
            ext if ext in names else names[0],
            video.codec_context.name if video else None,
            audio.codec_context.name if audio else None,
        )


@pytest.mark.e2e
@pytest.mark.req("R15.2")
def test_playable_matches_chromium_and_every_copy_plays(
    browser: Browser, served: tuple[Path, str]
) -> None:
    folder, base = served
    page = browser.new_page()
    page.goto(base)  # a page of the same origin
    for name, make, picture, sound in SAMPLES:
        path = make(folder / name)
        plays = played(page, f"{base}/{name}", picture, sound)
        assert plays is viewing.playable(*facts(path)), (name, facts(path), plays)
        if plays:
            continue
        copy = viewing.encode(path, folder, 0)
        target = folder / f"copy-{name}{copy.path.suffix}"
        copy.path.rename(target)
        assert played(page, f"{base}/{target.name}", picture, sound), (name, "copy")
    page.close()
