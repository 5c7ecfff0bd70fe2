"""Bar and column charts as inline SVG strings, for a report that must open anywhere without a network.

A chart library would have to be vendored and kept; the report needs two shapes only (labelled horizontal bars
for rankings, columns for a monthly series), drawn here with round axis ticks and a unit on the axis. Every mark
carries `data-mark` and a `<title>` with its exact figure, so a reader can hover for it and a test can count it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

FONT = "'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif"
FONT_SIZE = 13
AXIS_COLOUR = "#8a94a6"
GRID_COLOUR = "#e6e9ef"
TEXT_COLOUR = "#2d3748"
MUTED_COLOUR = "#a0aec0"
WIDTH = 960
BAR_HEIGHT = 22
BAR_GAP = 8
MAX_LABEL_WIDTH = 250  # px of a bar's label before it is cut with … (the full label is in its tooltip)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    tooltip: str  # the exact figure, shown on hover
    muted: bool = False  # drawn grey: a bucket such as "not identified"


@dataclass(frozen=True)
class Scale:
    """How figures are shown on an axis: divided by `divisor`, named `unit` (亿元, 万元, 篇 …)."""

    divisor: float
    unit: str
    whole: bool = False  # counts: ticks at whole numbers only


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Rendered width, estimated: a CJK character is one em, Latin letters and digits about 0.6 em."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.6 for ch in text)


def _fit(text: str, width: float) -> str:
    if text_width(text) <= width:
        return text
    while text and text_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def nice_ticks(maximum: float, count: int = 5, whole: bool = False) -> list[float]:
    """Round ticks from 0 to at least `maximum`: steps of 1, 2 or 5 times a power of ten (whole numbers for
    counts: half an article is not a tick)."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if whole:
        step = max(step, 1)
    top = math.ceil(maximum / step - 1e-9) * step
    return [i * step for i in range(round(top / step) + 1)]


def number(value: float) -> str:
    """A figure for a label: thousands separated, at most two decimals, no trailing zeros."""
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _svg(width: float, height: float, body: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-label="{escape(label)}" font-family="{escape(FONT)}" '
        f'font-size="{FONT_SIZE}">' + "".join(body) + "</svg>"
    )


def bar_chart(bars: Sequence[Bar], scale: Scale, colour: str, label: str) -> str:
    """Horizontal bars, largest first as given, labels on the left, the value at each bar's end."""
    label_width = min(MAX_LABEL_WIDTH, max(text_width(b.label) for b in bars) + 12)
    left, right, top = label_width, 110, 8
    plot = WIDTH - left - right
    ticks = nice_ticks(max(b.value for b in bars) / scale.divisor, whole=scale.whole)
    span = ticks[-1] or 1.0
    height = top + len(bars) * (BAR_HEIGHT + BAR_GAP) + 44
    axis_y = top + len(bars) * (BAR_HEIGHT + BAR_GAP)
    body = []
    for tick in ticks:
        x = left + plot * tick / span
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y}" stroke="{GRID_COLOUR}"/>')
        body.append(
            f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle" fill="{AXIS_COLOUR}">{number(tick)}</text>'
        )
    body.append(
        f'<text x="{left + plot:.1f}" y="{axis_y + 36}" text-anchor="end" fill="{AXIS_COLOUR}">'
        f"单位：{escape(scale.unit)}</text>"
    )
    for i, bar in enumerate(bars):
        y = top + i * (BAR_HEIGHT + BAR_GAP)
        shown = bar.value / scale.divisor
        w = max(plot * shown / span, 1.5)
        fill = MUTED_COLOUR if bar.muted else colour
        body.append(
            f'<text x="{left - 8}" y="{y + BAR_HEIGHT / 2 + 4.5:.1f}" text-anchor="end" '
            f'fill="{TEXT_COLOUR}"><title>{escape(bar.label)}</title>{escape(_fit(bar.label, left - 12))}'
            "</text>"
        )
        body.append(
            f'<rect data-mark="" x="{left}" y="{y}" width="{w:.1f}" height="{BAR_HEIGHT}" rx="3" '
            f'fill="{fill}"><title>{escape(bar.label)}：{escape(bar.tooltip)}</title></rect>'
        )
        body.append(
            f'<text x="{left + w + 6:.1f}" y="{y + BAR_HEIGHT / 2 + 4.5:.1f}" fill="{TEXT_COLOUR}">'
            f"{number(shown)}</text>"
        )
    body.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{axis_y}" stroke="{AXIS_COLOUR}"/>')
    return _svg(WIDTH, height, body, label)


def column_chart(
    labels: Sequence[str],
    values: Sequence[float],
    tooltips: Sequence[str],
    scale: Scale,
    colour: str,
    label: str,
    tick_label: Callable[[str], str] = str,
) -> str:
    """Columns over time (one per label, in order), a y axis of round ticks and a label every few columns."""
    left, right, top, bottom, height = 64, 16, 30, 30, 250
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    ticks = nice_ticks(max(values, default=0) / scale.divisor, whole=scale.whole)
    span = ticks[-1] or 1.0
    slot = plot_w / max(len(values), 1)
    gap = min(slot * 0.2, 6)
    every = max(1, math.ceil(len(labels) * 62 / plot_w))  # a label needs about 62 px
    base = top + plot_h
    body = []
    for tick in ticks:
        y = base - plot_h * tick / span
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID_COLOUR}"/>')
        body.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="{AXIS_COLOUR}">{number(tick)}</text>'
        )
    body.append(
        f'<text x="{left - 8}" y="{top - 14}" text-anchor="end" fill="{AXIS_COLOUR}">{escape(scale.unit)}</text>'
    )
    for i, (name, value, tip) in enumerate(zip(labels, values, tooltips, strict=True)):
        x = left + i * slot + gap / 2
        h = plot_h * (value / scale.divisor) / span
        if value > 0:
            body.append(
                f'<rect data-mark="" x="{x:.1f}" y="{base - max(h, 1.5):.1f}" width="{slot - gap:.1f}" '
                f'height="{max(h, 1.5):.1f}" fill="{colour}"><title>{escape(name)}：{escape(tip)}</title>'
                "</rect>"
            )
        if i % every == 0:
            cx = x + (slot - gap) / 2
            body.append(f'<line x1="{cx:.1f}" y1="{base}" x2="{cx:.1f}" y2="{base + 4}" stroke="{AXIS_COLOUR}"/>')
            body.append(
                f'<text x="{cx:.1f}" y="{base + 18}" text-anchor="middle" fill="{AXIS_COLOUR}">'
                f"{escape(tick_label(name))}</text>"
            )
    body.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="{AXIS_COLOUR}"/>')
    return _svg(WIDTH, height, body, label)
