"""Browser tests: the real app served by uvicorn on 127.0.0.1, driven by Playwright in Debian's
Chromium. Nothing here skips: without Chromium or a CJK font the tests fail and say what to
install (``scripts/test.sh`` installs both with apt-get). Never ``playwright install``: it
downloads a browser, and this system works offline."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from lawcam.authz import Actor
from lawcam.config import Settings
from lawcam.db import Database
from lawcam.web.app import create_app
from tests.factories import Office, build_office
from tests.live import served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
LOCAL_HOSTS = {"127.0.0.1"}
FONT_DIRS = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts")]


def _cjk_font_installed() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list:
        found = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
        )
        if found.stdout.strip():
            return True
    return any(any(d.rglob("*CJK*")) or any(d.rglob("wqy*")) for d in FONT_DIRS if d.is_dir())


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's Chromium. Install it with "
            "`apt-get install chromium` (./scripts/test.sh does this as root or with sudo). "
            "Do not run `playwright install`: it downloads a browser.",
            pytrace=False,
        )
    if not _cjk_font_installed():
        pytest.fail(
            "no CJK font installed: Chinese text would render as empty boxes. Install one with "
            "`apt-get install fonts-noto-cjk` (./scripts/test.sh does this as root or with sudo).",
            pytrace=False,
        )
    browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def office(database: Database, settings: Settings, console: Actor) -> Office:
    return build_office(database, settings, console)


@pytest.fixture
def live_server(settings: Settings, database: Database) -> Iterator[str]:
    """The real app on 127.0.0.1:<free port>, in a background thread; yields its base URL."""
    with served(create_app(settings, database)) as url:
        yield url


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context and page. Records every request's URL in ``page.requested_urls``
    (checked by ``assert_offline``) and saves a screenshot when the test fails."""
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(30_000)  # CI runs two workers on two cores
    page = context.new_page()
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.requested_urls = urls  # type: ignore[attr-defined]
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{request.node.name}-failure.png", full_page=True)
    context.close()


def via_menu(page: Page, menu: str, entry: str) -> None:
    """The navigation's two clicks (web/navigation.py): open the menu, then its entry."""
    nav = page.locator("nav.mainnav")
    nav.locator("summary", has_text=menu).click()
    nav.get_by_role("link", name=entry, exact=True).click()


def assert_offline(page: Page) -> None:
    """R15.3: the page fetched nothing from any host but the local server."""
    urls: list[str] = page.requested_urls  # type: ignore[attr-defined]
    assert urls, "no request was recorded"
    foreign = sorted(
        url
        for url in urls
        if urlsplit(url).scheme not in {"data", "blob", "about"}
        and urlsplit(url).hostname not in LOCAL_HOSTS
    )
    assert not foreign, f"the page made requests to other hosts: {foreign}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
