"""Charts drawn on the server as inline SVG (no script, nothing fetched: R15.3): bars of one
rate month by month, lines of several rates, and bars of units side by side. Values are shares
(0–1) drawn as percentages; a missing value (None) is drawn as “—”, never as zero."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

COLOURS = ("#2f6fb0", "#d9822b", "#3c8d40", "#8e44ad")
FONT = 'font-family="sans-serif" font-size="11"'


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def bars(title: str, labels: Sequence[str], values: Sequence[float | None]) -> Markup:
    """One rate, one bar per month (labels like 2026-12 shown as 12月)."""
    width, height, left, bottom, top = 296, 150, 34, 22, 22
    plot_h = height - bottom - top
    step = (width - left - 20) / max(len(values), 1)  # a margin to the next chart
    parts = [_head(title, width, height), _axis(left, width, top, plot_h)]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * step + step * 0.15
        tip = escape(f"{label} {title} {percent(value)}")
        if value is None:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{top + plot_h - 3}" text-anchor="middle" '
                f'fill="#999"><title>{tip}</title>—</text>'
            )
        else:
            h = max(value, 0.0) * plot_h
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[0]}"><title>{tip}</title></rect>'
            )
        parts.append(
            f'<text x="{x + step * 0.35:.1f}" y="{height - 6}" text-anchor="middle" '
            f'font-size="9">{escape(_month(label, short=True))}</text>'
        )
    last = next((v for v in reversed(values) if v is not None), None)
    parts.append(f'<text x="{width - 16}" y="14" text-anchor="end">最近：{percent(last)}</text>')
    return _svg(parts)


def lines(title: str, labels: Sequence[str], named: dict[str, Sequence[float | None]]) -> Markup:
    """Several rates month by month, one line each, a legend above."""
    width, height, left, bottom, top = 560, 200, 34, 22, 40
    plot_h = height - bottom - top
    step = (width - left - 20) / max(len(labels) - 1, 1)
    parts = [_head(title, width, height), _axis(left, width, top, plot_h)]
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{left + i * step:.1f}" y="{height - 6}" text-anchor="middle">'
            f"{escape(_month(label))}</text>"
        )
    for n, (name, values) in enumerate(named.items()):
        colour = COLOURS[n % len(COLOURS)]
        lx = left + n * 130
        parts.append(
            f'<rect x="{lx}" y="22" width="12" height="4" fill="{colour}"/>'
            f'<text x="{lx + 16}" y="28">{escape(name)}</text>'
        )
        points = [
            (left + i * step, top + plot_h - v * plot_h)
            for i, v in enumerate(values)
            if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for (x, y), (label, v) in zip(
            points, [(lb, v) for lb, v in zip(labels, values, strict=True) if v is not None],
            strict=True,
        ):  # fmt: skip
            tip = escape(f"{label} {name} {percent(v)}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{tip}</title>'
                "</circle>"
            )
    return _svg(parts)


def unit_bars(title: str, units: Sequence[str], named: dict[str, Sequence[float | None]]) -> Markup:
    """Units side by side: for each unit a group of horizontal bars, one per rate."""
    label_w, bar_h, gap, top = 190, 9, 10, 44
    per_unit = bar_h * len(named) + gap
    width, height = 620, top + per_unit * len(units) + 6
    plot_w = width - label_w - 50
    parts = [_head(title, width, height)]
    for n, name in enumerate(named):
        colour = COLOURS[n % len(COLOURS)]
        lx = 2 + n * 120
        parts.append(
            f'<rect x="{lx}" y="24" width="12" height="8" fill="{colour}"/>'
            f'<text x="{lx + 16}" y="32">{escape(name)}</text>'
        )
    for u, unit in enumerate(units):
        y0 = top + u * per_unit
        parts.append(
            f'<text x="{label_w - 6}" y="{y0 + per_unit / 2:.1f}" text-anchor="end">'
            f"<title>{escape(unit)}</title>{escape(_cut(unit, 15))}</text>"
        )
        for n, (name, values) in enumerate(named.items()):
            value, y = values[u], y0 + n * bar_h
            tip = escape(f"{unit} {name} {percent(value)}")
            w = 0.0 if value is None else max(value, 0.0) * plot_w
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 1}" '
                f'fill="{COLOURS[n % len(COLOURS)]}"><title>{tip}</title></rect>'
                f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 1}" font-size="9">'
                f"{percent(value)}</text>"
            )
    return _svg(parts)


def _svg(parts: list[str]) -> Markup:
    # Every text that comes from data went through escape() above; the rest is our own markup.
    return Markup("".join(parts) + "</svg>")  # noqa: S704


def _head(title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT}>'
        f"<title>{escape(title)}</title>"
        f'<text x="2" y="14" font-weight="bold">{escape(title)}</text>'
    )


def _axis(left: int, width: int, top: int, plot_h: int) -> str:
    """Grid lines at 0, 50 % and 100 %."""
    out = []
    for share in (0.0, 0.5, 1.0):
        y = top + plot_h - share * plot_h
        out.append(
            f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#666">'
            f"{share * 100:.0f}%</text>"
        )
    return "".join(out)


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _month(label: str, *, short: bool = False) -> str:
    """2026-12 → 12月, or 12 where bars are narrow (the year shows in the tooltip)."""
    if len(label) != 7 or label[4] != "-":
        return label
    return f"{int(label[5:7])}" + ("" if short else "月")
