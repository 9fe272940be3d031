"""The paper anchor (Art. 7 (4), R15.1): one A4 page with a signed tree head of the audit log —
size, root hash, time, signature, key — in print and as a QR code of the whole signed head.
Filed with the unit's paper ledger, it makes a later rewrite of the whole database detectable:
the rewritten log cannot give this root at this size, and nobody without the key can sign
another one."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import segno
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from lawcam.reports.labels import cjk_font, draw_qr
from lawcam.timeutil import local

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
QR_SIZE = 90 * mm
_GREY = Color(0.35, 0.35, 0.35)


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def anchor_pdf(head: dict[str, Any], key_id: str) -> bytes:
    """``head`` as ``audit.log.head_document`` gives it."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle("审计日志树头锚定页")
    font = cjk_font()
    y = PAGE_HEIGHT - MARGIN
    canvas.setFont(font, 18)
    canvas.drawString(MARGIN, y - 18, "审计日志签名树头 · 纸质锚定页")
    y -= 34
    canvas.setFont(font, 9)
    canvas.setFillColor(_GREY)
    canvas.drawString(
        MARGIN,
        y,
        "请与本单位纸质台账一并归档。日后核对时，系统在该大小处的根哈希必须与本页一致（RFC 9162）。",
    )
    canvas.setFillColor(black)
    y -= 24
    when = local(datetime.fromisoformat(str(head["timestamp"])))
    lines = [
        ("日期（北京时间）", when),
        ("日志大小（条）", str(head["size"])),
        ("根哈希 SHA-256", str(head["root"])),
        ("签名 Ed25519", str(head["signature"])),
        ("公钥", str(head["public_key"])),
        ("公钥标识", key_id),
    ]
    for label, value in lines:
        canvas.setFont(font, 10)
        canvas.drawString(MARGIN, y, label)
        canvas.setFont("Courier", 9)
        for part in _chunks(value, 64):
            canvas.drawString(MARGIN + 35 * mm, y, part)
            y -= 13
        y -= 5
    signed = json.dumps(head, sort_keys=True, separators=(",", ":"))
    draw_qr(canvas, segno.make(signed, error="m").matrix, MARGIN, y - QR_SIZE - 5 * mm, QR_SIZE)
    canvas.setFont(font, 8)
    canvas.setFillColor(_GREY)
    canvas.drawString(
        MARGIN,
        y - QR_SIZE - 10 * mm,
        "二维码内容：上述签名树头的 JSON（size、root、timestamp、signature、public_key）。",
    )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
