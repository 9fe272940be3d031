"""Asset labels (item 8): an A4 PDF of labels, each with the unit, the asset number, the serial,
the model and a QR code opening the device's page. The text is read back with pdftotext and the
QR code is read back from a 300 dpi rendering (pdftoppm) module by module and compared with
the symbol segno makes for the expected address."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import segno
from PIL import Image
from sqlalchemy import select

from lawcam.authz import Actor, Role
from lawcam.db import Database
from lawcam.equipment import service
from lawcam.equipment.types import DeviceStatus
from lawcam.errors import InvalidInput, LawcamError, NotFound
from lawcam.org import service as org
from lawcam.org.models import Unit
from lawcam.org.types import UnitClass, UnitIn
from lawcam.reports import labels
from lawcam.reports.labels import render_labels
from tests.unit.equipment.conftest import GOOD_BODY_CAMERA, GOOD_TERMINAL, device

BASE = "http://lawcam.example.cn:8000/"
DPI = 300

# Debian's poppler-utils and fonts-wqy-zenhei are needed (scripts/test.sh installs them); a
# missing one fails here rather than skipping, so the labels are never silently untested.
assert shutil.which("pdftotext") and shutil.which("pdftoppm"), "apt-get install poppler-utils"


@pytest.fixture
def devices(database: Database, console: Actor) -> dict[str, int]:
    """Three devices of 城东执法大队, one of 城南所, one scrapped; serial → id."""
    with database.unit_of_work() as session:
        org.create_unit(
            session=session,
            actor=console,
            data=UnitIn(name="城东执法大队", unit_class=UnitClass.MANY),
        )
        org.create_unit(
            session=session, actor=console, data=UnitIn(name="城南所", unit_class=UnitClass.MORE)
        )
        service.create_model(session=session, actor=console, data=GOOD_BODY_CAMERA)
        service.create_model(session=session, actor=console, data=GOOD_TERMINAL)
        made = [
            service.create_device(session=session, actor=console, data=data)
            for data in (
                device("SN-A1", unit="城东执法大队", asset_no="ZC-2026-001"),
                device("SN-A2", unit="城东执法大队", asset_no="ZC-2026-002", model="HT-5"),
                device("SN-A3", unit="城东执法大队", asset_no="ZC-2026-003"),
                device("SN-B1", unit="城南所", asset_no="ZC-2026-101"),
                device("SN-X", unit="城东执法大队", asset_no="ZC-2026-999"),
            )
        ]
        service.set_device_status(
            session=session,
            actor=console,
            device_id=made[-1].id,
            status=DeviceStatus.SCRAPPED,
            reason="到期报废",
        )
        return {d.serial: d.id for d in made}


def unit_id(database: Database, name: str) -> int:
    with database.read() as session:
        return session.scalars(select(Unit.id).where(Unit.name == name)).one()


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def drawn_qr(pdf: Path, slot: int, tmp_path: Path) -> list[list[bool]]:
    """The QR modules of label ``slot`` on page 1, read from a rendering of the page."""
    prefix = tmp_path / "page"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(DPI),
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(prefix),
        ],
        check=True,
    )
    image = Image.open(f"{prefix}.png").convert("L")
    scale = DPI / 72
    x, y, size = labels.qr_box(slot)
    top = labels.PAGE_HEIGHT - (y + size)  # PDF y grows upwards, image y downwards
    # The width in modules, quiet zone included, is known from the symbol's version; try the
    # sizes a short URL can have and keep the one whose quiet zone is white all round.
    for version in range(1, 11):
        count = 17 + 4 * version
        module = size / (count + 2 * labels.QR_QUIET)

        def dark(r: int, c: int) -> bool:
            px = (x + (labels.QR_QUIET + c + 0.5) * module) * scale
            py = (top + (labels.QR_QUIET + r + 0.5) * module) * scale
            return bool(image.getpixel((round(px), round(py))) < 128)

        grid = [[dark(r, c) for c in range(count)] for r in range(count)]
        # Finder patterns: the three 7×7 corners have a dark outer ring.
        corners = [(0, 0), (0, count - 7), (count - 7, 0)]
        if all(grid[r0][c0 + i] and grid[r0 + 6][c0 + i] for r0, c0 in corners for i in range(7)):
            edge = range(-1, count + 1)
            ring = [dark(i, j) for i in (-1, count) for j in edge]
            ring += [dark(j, i) for i in (-1, count) for j in edge]
            if not any(ring):
                return grid
    raise AssertionError("no QR symbol found where the first label's QR code should be")


def expected_qr(url: str) -> list[list[bool]]:
    return [[bool(v) for v in row] for row in segno.make(url, error="m").matrix]


@pytest.mark.req("R2.1")
@pytest.mark.req("R5.1")
def test_labels_for_three_devices(
    database: Database, console: Actor, devices: dict[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "out" / "labels.pdf"
    with database.read() as session:
        written = render_labels(
            session=session,
            actor=console,
            path=path,
            base_url=BASE,
            unit_id=unit_id(database, "城东执法大队"),
        )
    assert written == 3, "the scrapped device gets no label"
    assert path.read_bytes().startswith(b"%PDF")
    text = pdf_text(path)
    for asset in ("ZC-2026-001", "ZC-2026-002", "ZC-2026-003"):
        assert asset in text
    assert "城东执法大队" in text and "资产编号" in text
    assert "SN-A2" in text and "HT-5" in text
    assert "ZC-2026-999" not in text and "ZC-2026-101" not in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "WenQuanYi" in fonts or "WQY" in fonts

    # Slot 0 is the first device by asset number; its QR code opens its page.
    drawn = drawn_qr(path, 0, tmp_path)
    assert drawn == expected_qr(f"http://lawcam.example.cn:8000/devices/{devices['SN-A1']}")
    assert drawn != expected_qr(f"http://lawcam.example.cn:8000/devices/{devices['SN-A2']}")
    assert drawn != expected_qr(f"http://lawcam.example.cn:8000//devices/{devices['SN-A1']}")


def test_labels_over_two_pages_and_scope(
    database: Database, console: Actor, devices: dict[str, int], tmp_path: Path
) -> None:
    with database.unit_of_work() as session:
        for i in range(30):
            service.create_device(
                session=session, actor=console, data=device(f"SN-M{i:02d}", unit="城南所")
            )
    south = unit_id(database, "城南所")
    admin = Actor(
        label="web:south", source="web", unit_id=south, roles=frozenset({Role.DEVICE_ADMIN})
    )
    path = tmp_path / "all.pdf"
    with database.read() as session:
        assert render_labels(session=session, actor=admin, path=path, base_url=BASE) == 31
        with pytest.raises(NotFound):
            render_labels(
                session=session,
                actor=admin,
                path=path,
                base_url=BASE,
                unit_id=unit_id(database, "城东执法大队"),
            )
    text = pdf_text(path)
    assert text.count("\f") == 2, "31 labels need two pages of 24"
    assert "ZC-SN-M29" in text and "城东执法大队" not in text


def test_no_devices_and_missing_font(
    database: Database,
    console: Actor,
    devices: dict[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with database.unit_of_work() as session:
        org.create_unit(
            session=session, actor=console, data=UnitIn(name="空所", unit_class=UnitClass.MORE)
        )
    with database.read() as session, pytest.raises(InvalidInput):
        render_labels(
            session=session,
            actor=console,
            path=tmp_path / "e.pdf",
            base_url=BASE,
            unit_id=unit_id(database, "空所"),
        )
    monkeypatch.setattr(labels, "FONT_NAME", "WQY-absent")
    monkeypatch.setattr(labels, "FONT_PATH", tmp_path / "missing.ttc")
    with database.read() as session, pytest.raises(LawcamError) as caught:
        render_labels(session=session, actor=console, path=tmp_path / "f.pdf", base_url=BASE)
    assert "fonts-wqy-zenhei" in caught.value.message and caught.value.code == "font_missing"
    assert not (tmp_path / "f.pdf").exists()
