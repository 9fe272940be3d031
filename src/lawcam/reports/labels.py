"""Asset labels (R2.1, R5.1; item 8): an A4 sheet of 3 × 8 labels of 70 × 37 mm, the common
self-adhesive label sheet. Each label shows the unit, the asset number in large type, the
serial and the model, and a QR code that opens the device's page on the office's server.

The QR code is drawn as vector squares straight from segno's matrix (sharp at any printer
resolution, no image library involved). The Chinese text needs a CJK TrueType font, embedded
in the PDF: Debian's fonts-wqy-zenhei. Nothing is fetched from the network (R15.3)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import segno
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.orm import Session

from lawcam.authz import Actor
from lawcam.equipment import queries
from lawcam.equipment.models import Device
from lawcam.equipment.types import DeviceStatus
from lawcam.errors import InvalidInput, LawcamError
from lawcam.reports.exports import check_unit_visible

FONT_NAME = "WQY"
FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

PAGE_WIDTH, PAGE_HEIGHT = A4
COLUMNS, ROWS = 3, 8
PER_PAGE = COLUMNS * ROWS
LABEL_WIDTH, LABEL_HEIGHT = 70 * mm, 37 * mm
MARGIN_X = (PAGE_WIDTH - COLUMNS * LABEL_WIDTH) / 2
MARGIN_Y = (PAGE_HEIGHT - ROWS * LABEL_HEIGHT) / 2
PADDING = 4 * mm  # printers do not reach the sheet's edge
QR_SIZE = LABEL_HEIGHT - 2 * PADDING  # the QR square, quiet zone included
QR_QUIET = 2  # modules of white around the symbol, inside QR_SIZE
QR_ERROR = "m"
TEXT_GAP = 2 * mm
# Devices that are gone get no label.
UNLABELLED = frozenset({DeviceStatus.LOST.value, DeviceStatus.SCRAPPED.value})

_CUT_LINE = Color(0.8, 0.8, 0.8)
_GREY_TEXT = Color(0.35, 0.35, 0.35)


def device_url(base_url: str, device_id: int) -> str:
    return f"{base_url.rstrip('/')}/devices/{device_id}"


def label_origin(slot: int) -> tuple[float, float]:
    """Bottom-left corner (points, PDF coordinates) of label ``slot`` (0-23) on its page,
    filled row by row from the top left."""
    row, column = divmod(slot % PER_PAGE, COLUMNS)
    x = MARGIN_X + column * LABEL_WIDTH
    y = PAGE_HEIGHT - MARGIN_Y - (row + 1) * LABEL_HEIGHT
    return x, y


def qr_box(slot: int) -> tuple[float, float, float]:
    """Bottom-left corner and side (points) of the QR square, quiet zone included."""
    x, y = label_origin(slot)
    return x + PADDING, y + PADDING, QR_SIZE


def render_labels(
    *,
    session: Session,
    actor: Actor,
    path: Path,
    base_url: str,
    unit_id: int | None = None,
    device_ids: Collection[int] | None = None,
) -> int:
    """Write the labels of the devices the actor may see (one unit, or all; or the chosen
    ``device_ids``) to a PDF. Returns the number of labels. Lost and scrapped devices get none."""
    check_unit_visible(session, actor, unit_id)
    devices = [
        d
        for d in queries.list_devices(session=session, actor=actor, unit_id=unit_id)
        if d.status not in UNLABELLED and (device_ids is None or d.id in device_ids)
    ]
    if device_ids is not None and len(devices) < len(set(device_ids)):
        raise InvalidInput(
            f"所选的 {len(set(device_ids)) - len(devices)} 台设备不存在、不在您管理的范围内，"
            "或已丢失、报废（不打印标签），请重新选择。",
            field="device_id",
        )
    if not devices:
        raise InvalidInput("没有可打印标签的设备（丢失和报废的设备不打印标签）。")
    font = cjk_font()
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas = Canvas(str(path), pagesize=A4, pageCompression=1)
    canvas.setTitle("执法记录设备资产标签")
    canvas.setCreator("lawcam")
    for index, device in enumerate(devices):
        if index and index % PER_PAGE == 0:
            canvas.showPage()
        _draw_label(canvas, font, index % PER_PAGE, device, device_url(base_url, device.id))
    canvas.showPage()
    canvas.save()
    return len(devices)


def cjk_font() -> str:
    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    if not FONT_PATH.is_file():
        raise LawcamError(
            f"找不到中文字体文件 {FONT_PATH}，无法生成标签 PDF。"
            "请由系统管理员安装 Debian 软件包 fonts-wqy-zenhei"
            "（apt-get install fonts-wqy-zenhei）后重试。",
            code="font_missing",
        )
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH), subfontIndex=0))
    return FONT_NAME


def _draw_label(canvas: Canvas, font: str, slot: int, device: Device, url: str) -> None:
    x, y = label_origin(slot)
    canvas.setStrokeColor(_CUT_LINE)
    canvas.setLineWidth(0.3)
    canvas.rect(x, y, LABEL_WIDTH, LABEL_HEIGHT, stroke=1, fill=0)

    qx, qy, size = qr_box(slot)
    draw_qr(canvas, segno.make(url, error=QR_ERROR).matrix, qx, qy, size)

    left = qx + size + TEXT_GAP
    width = x + LABEL_WIDTH - PADDING - left
    top = y + LABEL_HEIGHT - PADDING
    lines: Sequence[tuple[str, float, Color]] = (
        (device.unit.name, 8, black),
        ("资产编号", 6, _GREY_TEXT),
        (device.asset_no, 15, black),
        (f"序列号 {device.serial}", 7, black),
        (f"型号 {device.model.model}", 7, black),
    )
    fitted = [(*_fit(text, font, size_pt, width), color) for text, size_pt, color in lines]
    height = sum(size_pt * 1.55 for _, size_pt, _ in fitted) - fitted[-1][1] * 0.6
    baseline = top - max((QR_SIZE - height) / 2, 0)  # the text block centred beside the QR
    for text, size_pt, color in fitted:
        baseline -= size_pt * 0.95
        canvas.setFillColor(color)
        canvas.setFont(font, size_pt)
        canvas.drawString(left, baseline, text)
        baseline -= size_pt * 0.6
    canvas.setFillColor(black)


def _fit(text: str, font: str, size: float, width: float) -> tuple[str, float]:
    """Shrink to fit down to 60 % of the size; beyond that, cut the end with “…”."""
    smallest = max(size * 0.6, 5)
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text, size
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…", size


def draw_qr(canvas: Canvas, matrix: Sequence[bytearray], x: float, y: float, size: float) -> None:
    """Each row's runs of dark modules as one filled rectangle, on a white square."""
    count = len(matrix)
    module = size / (count + 2 * QR_QUIET)
    canvas.setFillColor(Color(1, 1, 1))
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(black)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        top = y + size - (QR_QUIET + r) * module
        c = 0
        while c < count:
            if row[c]:
                start = c
                while c < count and row[c]:
                    c += 1
                path.rect(
                    x + (QR_QUIET + start) * module, top - module, (c - start) * module, module
                )
            else:
                c += 1
    canvas.drawPath(path, stroke=0, fill=1)
