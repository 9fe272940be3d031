"""A device administrator uploads a docked device's folder from the browser (第十四条, R14.1):
real PyAV recordings, a file that is not media, two identical files; the network is cut
mid-way, the page is reloaded and the same folder chosen again, and the upload continues from
the offset the server holds. The recordings then appear under 音像资料 (R15.1, R15.3)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import func, select

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.equipment import service as equipment
from lawcam.equipment.types import DeviceIn, DeviceStatus
from lawcam.evidence.models import Recording
from lawcam.web.app import create_app
from tests.e2e.conftest import assert_offline
from tests.e2e.test_login_create_unit import visit
from tests.factories import PASSWORD, Office
from tests.live import served
from tests.media import make_mp4, make_random_bytes, pad_mdat

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PIECE = 64 * 1024  # the smallest piece the server allows: many pieces, so a cut falls mid-file
SERIAL = "T1-WEB-0001"


def add_device(database: Database, console: Actor, serial: str, asset_no: str) -> int:
    with database.unit_of_work() as session:
        device = equipment.create_device(
            session=session,
            actor=console,
            data=DeviceIn(
                serial=serial,
                asset_no=asset_no,
                model="TEST-BC1",
                unit="执法一处",
                price=Decimal("3280.00"),
                need="现场执法全过程记录",
                status=DeviceStatus.IN_SERVICE,
            ),
        )
        return device.id


@pytest.fixture
def small_pieces(settings: Settings, database: Database) -> Iterator[str]:
    """The app with 64 KiB pieces (so the browser sends many), served on 127.0.0.1."""
    tuned = settings.model_copy(update={"upload_piece_bytes": PIECE})
    with served(create_app(tuned, database)) as url:
        yield url


def card(folder: Path) -> dict[str, int]:
    """A camera card: three real recordings (about 300 KB each), a copy of one of them, and a
    file no player can open, an empty file. Sizes by relative name."""
    folder.mkdir()
    (folder / "DCIM").mkdir()
    for index in range(3):
        clip = make_mp4(folder / "DCIM" / f"REC_000{index + 1}.MP4", seconds=1.0 + index)
        pad_mdat(clip, 300_000)
    (folder / "DCIM" / "REC_0004.MP4").write_bytes((folder / "DCIM" / "REC_0001.MP4").read_bytes())
    make_random_bytes(folder / "DCIM" / "SYS.BIN", 5_000, seed=7)
    (folder / "DCIM" / "ZERO.MP4").write_bytes(b"")  # a camera that lost power at once
    return {
        p.relative_to(folder.parent).as_posix(): p.stat().st_size
        for p in folder.rglob("*")
        if p.is_file()
    }


def log_in(page: Page, base: str, username: str) -> None:
    visit(page, f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def open_from_navigation(page: Page, base: str, path: str) -> None:
    """The navigation links the page (inside one of its menus); follow that link."""
    link = page.locator(f'nav.mainnav a[href="{path}"]')
    expect(link).to_have_count(1)
    visit(page, base + (link.get_attribute("href") or ""))


@pytest.mark.e2e
@pytest.mark.req("R14.1", "R15.1", "R15.3")
def test_upload_a_folder_cut_and_resumed(
    page: Page,
    small_pieces: str,
    office: Office,
    database: Database,
    console: Actor,
    tmp_path: Path,
) -> None:
    base = small_pieces
    add_device(database, console, SERIAL, "ZC-T1-WEB-0001")
    folder = tmp_path / "CARD"
    sizes = card(folder)
    log_in(page, base, "u_device_admin")

    open_from_navigation(page, base, "/ingest")
    expect(page.locator("h1")).to_contain_text("上传音像资料")

    # Another unit's device: the server's own refusal, and nothing is sent.
    page.fill("input[name=device]", "T2-0001")
    page.set_input_files("input[name=folder]", folder)
    page.get_by_role("button", name="开始上传").click()
    expect(page.locator("#form-error")).to_contain_text("不是本单位登记的设备")
    expect(page.locator("#progress-card")).to_be_hidden()

    # The network goes down after six pieces.
    pieces: list[str] = []

    def cut_after_six(route: Route) -> None:
        if route.request.method == "PUT" and len(pieces) >= 6:
            route.abort("internetdisconnected")
            return
        pieces.append(route.request.url)
        route.continue_()

    page.route(re.compile(r".*/api/v1/uploads/[0-9a-f]+\?offset=\d+$"), cut_after_six)
    page.fill("input[name=device]", SERIAL)
    expect(page.locator("#holder")).to_contain_text("未被领用")
    page.select_option("select[name=officer]", "T0000")
    page.get_by_role("button", name="开始上传").click()
    expect(page.locator("#ingest-form")).to_have_attribute("data-done", "cut", timeout=60_000)
    expect(page.locator("#form-error")).to_contain_text("网络中断")
    rows = page.locator("#files tbody tr")
    expect(rows).to_have_count(len(sizes))
    first = page.locator('#files tr[data-file="CARD/DCIM/REC_0001.MP4"]')
    expect(first).to_have_attribute("data-state", "ingested")
    cut = page.locator('#files tr[data-file="CARD/DCIM/REC_0002.MP4"]')
    expect(cut).to_have_attribute("data-state", "error")
    expect(cut).to_contain_text("网络中断")
    expect(page.locator('#files tr[data-file="CARD/DCIM/SYS.BIN"]')).to_contain_text("未开始")
    expect(page.locator("#total-text")).to_contain_text(f"已完成 1 / {len(sizes)}")
    assert len(pieces) == 6
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "web-upload-cut.png", full_page=True)
    page.unroute(re.compile(r".*/api/v1/uploads/[0-9a-f]+\?offset=\d+$"))

    # Reload: the page remembers the docking and asks for the same folder again.
    page.reload()
    expect(page.locator("#resume-hint")).to_contain_text(SERIAL)
    unfinished = page.locator("#unfinished tbody tr")  # the server's own record
    expect(unfinished).to_have_count(1)
    expect(unfinished).to_contain_text("CARD/DCIM/REC_0002.MP4")
    expect(unfinished).to_contain_text(f"{PIECE:,} / ")
    page.screenshot(path=SCREENSHOTS / "web-upload-resume.png", full_page=True)
    expect(page.locator("input[name=device]")).to_have_value(SERIAL)
    resumed: list[str] = []
    page.on("request", lambda r: resumed.append(r.url) if r.method == "PUT" else None)
    page.set_input_files("input[name=folder]", folder)
    page.get_by_role("button", name="开始上传").click()
    expect(page.locator("#ingest-form")).to_have_attribute("data-done", "done", timeout=60_000)

    # REC_0001 was complete: already stored. REC_0002 continued where the server stood.
    expect(first).to_have_attribute("data-state", "duplicate")
    expect(cut).to_have_attribute("data-state", "ingested")
    offset = int(cut.get_attribute("data-resumed-at") or 0)
    assert 0 < offset < sizes["CARD/DCIM/REC_0002.MP4"]
    assert offset % PIECE == 0
    assert f"offset={offset}" in resumed[0]
    expect(page.locator('#files tr[data-file="CARD/DCIM/REC_0003.MP4"]')).to_have_attribute(
        "data-state", "ingested"
    )
    copy = page.locator('#files tr[data-file="CARD/DCIM/REC_0004.MP4"]')
    expect(copy).to_have_attribute("data-state", "duplicate")
    junk = page.locator('#files tr[data-file="CARD/DCIM/SYS.BIN"]')
    expect(junk).to_have_attribute("data-state", "ingested")  # kept, and flagged (原则一)
    expect(junk).to_contain_text("有问题标记")
    expect(junk.locator(".problem").first).not_to_be_empty()
    empty = page.locator('#files tr[data-file="CARD/DCIM/ZERO.MP4"]')
    expect(empty).to_have_attribute("data-state", "ingested")
    expect(empty).to_contain_text("文件为空")
    expect(page.locator("#total-text")).to_contain_text(f"已完成 {len(sizes)} / {len(sizes)}")
    expect(page.locator("#resume-hint")).to_be_hidden()  # nothing left to resume
    page.screenshot(path=SCREENSHOTS / "web-upload.png", full_page=True)

    with database.read() as session:
        stored = session.scalar(select(func.count()).select_from(Recording))
    assert stored == 5  # three clips, the unreadable and the empty file; the copy is the same bytes

    # The recordings, as the administrator sees them.
    open_from_navigation(page, base, "/recordings")
    page.fill("input[name=device]", SERIAL)
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("table.recordings tbody tr[data-recording]")).to_have_count(5)
    expect(page.locator("table.recordings")).to_contain_text("测试执法人员")
    assert_offline(page)


# The worker the upload page uses, fed blobs of known bytes in Chromium.
DIGESTS_IN_WORKER = """async ([sizes, block]) => {
  const results = [];
  for (const size of sizes) {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 255;
    const worker = new Worker("/static/digests.js");
    const done = new Promise((resolve) => {
      worker.onmessage = (event) => { if (event.data.type !== "progress") resolve(event.data); };
    });
    worker.postMessage({ file: new Blob([bytes]), block });
    results.push(await done);
    worker.terminate();
  }
  return results;
}"""


@pytest.mark.e2e
@pytest.mark.req("R14.1")
def test_browser_digests_equal_hashlib(page: Page, live_server: str, office: Office) -> None:
    """SHA-256 and SM3 written for the browser agree with Python's (OpenSSL's) on lengths
    around the 64-byte block and the padding boundary, and across read blocks of odd size."""
    log_in(page, live_server, "u_device_admin")
    visit(page, f"{live_server}/ingest")
    sizes = [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 300_001]
    found = page.evaluate(DIGESTS_IN_WORKER, [sizes, 4099])
    for size, result in zip(sizes, found, strict=True):
        data = bytes((i * 31 + 7) & 255 for i in range(size))
        assert result["type"] == "done", result
        assert result["sha256"] == hashlib.sha256(data).hexdigest(), size
        assert result["sm3"] == hashlib.new("sm3", data).hexdigest(), size
        assert result["size"] == size


@pytest.mark.e2e
@pytest.mark.req("R14.1")
def test_a_lapsed_login_pauses_the_upload(
    page: Page, live_server: str, office: Office, database: Database, console: Actor, tmp_path: Path
) -> None:
    """The session ends while files are sent (logged out in another tab): the first refusal
    is the server's own, the other files are not tried, and the page says how to go on."""
    add_device(database, console, SERIAL, "ZC-T1-WEB-0001")
    folder = tmp_path / "CARD"
    sizes = card(folder)
    log_in(page, live_server, "u_device_admin")
    visit(page, f"{live_server}/ingest")
    page.fill("input[name=device]", SERIAL)
    page.set_input_files("input[name=folder]", folder)
    page.context.clear_cookies()  # as a logout elsewhere, or the session's expiry, leaves it
    page.get_by_role("button", name="开始上传").click()
    # The run itself needs the login: refused before any file.
    expect(page.locator("#form-error")).to_contain_text("请先登录")

    log_in(page, live_server, "u_device_admin")
    visit(page, f"{live_server}/ingest")
    page.fill("input[name=device]", SERIAL)
    page.set_input_files("input[name=folder]", folder)
    page.route(
        re.compile(r".*/api/v1/uploads$"),
        lambda route: (page.context.clear_cookies(), route.continue_()),
    )
    page.get_by_role("button", name="开始上传").click()
    expect(page.locator("#ingest-form")).to_have_attribute("data-done", "cut")
    expect(page.locator("#form-error")).to_contain_text("登录已失效")
    rows = page.locator("#files tbody tr")
    expect(rows.first).to_contain_text("请先登录")
    expect(rows.nth(1)).to_contain_text("未开始（需要重新登录）")
    expect(rows).to_have_count(len(sizes))


@pytest.mark.e2e
@pytest.mark.req("R14.1")
def test_a_file_over_the_limit_is_refused_and_the_rest_go_on(
    page: Page,
    settings: Settings,
    database: Database,
    office: Office,
    console: Actor,
    tmp_path: Path,
) -> None:
    add_device(database, console, SERIAL, "ZC-T1-WEB-0001")
    folder = tmp_path / "CARD"
    folder.mkdir()
    make_random_bytes(folder / "BIG.MP4", 300_000, seed=3)
    make_mp4(folder / "SMALL.MP4")
    limited = settings.model_copy(update={"max_file_bytes": 200_000})
    with served(create_app(limited, database)) as base:
        log_in(page, base, "u_device_admin")
        visit(page, f"{base}/ingest")
        page.fill("input[name=device]", SERIAL)
        page.set_input_files("input[name=folder]", folder)
        page.get_by_role("button", name="开始上传").click()
        expect(page.locator("#ingest-form")).to_have_attribute("data-done", "done")
    big = page.locator('#files tr[data-file="CARD/BIG.MP4"]')
    expect(big).to_have_attribute("data-state", "error")
    expect(big).to_contain_text("超过了允许的上限 200000 字节")
    small = page.locator('#files tr[data-file="CARD/SMALL.MP4"]')
    expect(small).to_have_attribute("data-state", "ingested")
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Recording)) == 1
