"""Values and tables as a person reads them at any terminal width, with crawled text kept inert.

Three rules shape every table the CLI prints:

- Crawled text is data, never instructions. Each cell is a rich `Text` (markup is not parsed, so a title with
  `[/]` or `[bold]` prints as written) and control characters are made visible (`\\x1b`, not an escape
  sequence the terminal would run: colours, screen clears, OSC 8 links, bidi overrides).
- One row is one line at the terminal's width. Short columns (ids, dates, units, categories) keep their
  natural width and never wrap, so no word is cut (`durati/on`); long text (titles, sentences, places) shares
  what is left and is cut with `…`; columns that do not fit are left out, most useful first, and named in a
  note. `wide=True` shows every column with its text in full; where that does not fit the terminal, each row
  becomes a block of `field  value` lines (psql's expanded display), long values wrapped.
- Values keep what they say: an amount shows every digit it was written with (Decimal or float alike,
  `0.125` never becomes `0.12`), and times show in the configured zone (etl.clock).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from rich import box
from rich.cells import cell_len, set_cell_size
from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from etl import clock

ELLIPSIS = "…"
FLEX_MIN = 12  # a long-text column narrower than this says too little to be worth its place
GAP = 2  # cells between two columns
FLOAT_DIGITS = 15  # significant digits a double keeps of a decimal figure
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 (bar tab, newline, carriage return), DEL, C1
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"  # bidi marks and overrides: text that reads other than it is
)
_LINE_BREAKS = re.compile(r"[\t\r\n]+")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)$")


# -- values --------------------------------------------------------------------------------------------------------

def inert(text: str, one_line: bool = False) -> str:
    """`text` with every control character shown as an escape (`\\x1b[2J` prints as those characters).

    Tabs and line breaks are kept, or with `one_line` become one space each run; nothing else that could
    steer a terminal (ESC, CSI, OSC, bell, backspace, C1, bidi overrides) reaches it.
    """
    if one_line:
        text = _LINE_BREAKS.sub(" ", text)
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                       text)


def plain(text: str, style: str = "") -> Text:
    """Untrusted text as a rich renderable: no markup parsed, control characters shown as escapes."""
    return Text(inert(text), style=style)


def number(value: int | float | Decimal) -> str:
    """A figure with thousands separators and the decimals it was written with: 465,000,000, 0.125, 2.5.

    A Decimal shows every digit it holds; a float its first 15 significant digits, which are those of the
    decimal it was read from."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    # A float holds 15 significant decimal digits reliably: past them are the binary rounding's, not the source's
    # (1.12亿 as a float is 112000000.00000001).
    exact = value if isinstance(value, Decimal) else Decimal(format(value, f".{FLOAT_DIGITS}g"))
    if not exact.is_finite():
        return str(value)
    if exact == exact.to_integral_value():
        return f"{int(exact):,}"
    return f"{exact:,f}"


def when(value: str | datetime, date_only: bool = False) -> str:
    """A time as `2025-06-10 08:15` in the configured zone (or just its day); with its seconds where the text
    gives them (a next run: `2025-06-10 08:15:30`); other text unchanged."""
    seconds = False
    if isinstance(value, str):
        if not _ISO_TIME.match(value):
            return value
        seconds = len(value) >= 19 and value[16] == ":"
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    shown = clock.local(value)
    return shown.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def display(value: Any, date_only: bool = False, grouped: bool = True) -> str:
    """One value as a table cell shows it (before it is made inert)."""
    if value is None:
        return ""
    if isinstance(value, str | datetime):
        return when(value, date_only)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return number(value) if grouped else str(value)
    if isinstance(value, list | tuple):
        parts = [display(v, date_only) for v in value]
        return ("; " if any(isinstance(v, str) for v in value) else " ").join(parts)
    return str(value)


def json_value(value: Any) -> Any:
    """`json.dumps(default=…)`: a Decimal as the number it is (an integer, or a float that reads back the same
    decimal; else its exact text), a time in ISO 8601 in the configured zone, anything else as text."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, datetime):
        return clock.iso(value, "seconds")
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def json_line(row: Any, indent: int | None = None) -> str:
    return json.dumps(row, ensure_ascii=False, default=json_value, indent=indent)


def fit(text: str, width: int, keep_end: bool = False) -> str:
    """`text` cut to `width` terminal cells with `…` where it was cut: at its end, or with `keep_end` at its
    start, dropping whole space-separated parts first (新疆维吾尔自治区 喀什地区 疏附县 -> …喀什地区 疏附县)."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    if keep_end:
        parts = text.split(" ")
        while len(parts) > 1:
            parts.pop(0)
            tail = " ".join(parts)
            if cell_len(tail) + 1 <= width:
                return ELLIPSIS + tail
        return ELLIPSIS + set_cell_size(text[::-1], width - 1)[::-1].lstrip()
    return set_cell_size(text, width - 1).rstrip() + ELLIPSIS


# -- columns -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """How a table shows one field: its header, whether it is long text, and how soon it is left out."""

    key: str
    label: str
    rank: int = 50  # lower: kept longer when the terminal is narrow
    flexible: bool = False  # long text: takes the spare width, cut with … (whole with wide=True)
    keep_end: bool = False  # when cut, keep the end (a place's most specific part) rather than the start
    right: bool = False  # numbers line up on the right
    date_only: bool = False  # a time shown as its day
    grouped: bool = True  # numbers with thousands separators (not ids)
    weight: int = 1  # long text: its share of the spare width against the other long-text columns
    least: int = FLEX_MIN  # long text: the fewest cells it is shown in (else it is left out)


def _col(key: str, label: str | None = None, **kw: Any) -> Column:
    return Column(key, label or key.replace("_", " "), **kw)


COLUMNS: dict[str, Column] = {c.key: c for c in (
    _col("id", rank=0, right=True, grouped=False),
    _col("article_id", "article", rank=0, right=True, grouped=False),
    _col("copy_of", "copy of", rank=1, right=True, grouped=False),
    _col("title", least=20, rank=2, flexible=True, weight=3),
    _col("published_at", "published", rank=3, date_only=True),
    _col("program", rank=5),
    _col("recipient", rank=6, flexible=True, keep_end=True),
    _col("provider", rank=7, flexible=True, keep_end=True),
    _col("metrics", "figures", rank=8, right=True),
    _col("source", rank=9),
    _col("score", rank=1, right=True),
    _col("snippet", least=20, rank=4, flexible=True, weight=3),
    # figures
    _col("text", "figure", rank=1),
    _col("value", rank=2, right=True),
    _col("unit", rank=3),
    _col("category", rank=4),
    _col("subject", rank=5, flexible=True),
    _col("qualifier", rank=9),
    _col("sentence", least=20, rank=6, flexible=True, weight=3),
    _col("total", rank=1, right=True),
    _col("mentions", rank=2, right=True),
    _col("articles", rank=3, right=True),
    # runs, jobs and sources
    _col("kind", rank=1),
    _col("status", rank=1),
    _col("started_at", "started", rank=2),
    _col("finished_at", "finished", rank=7),
    _col("error", rank=3, flexible=True, weight=2, least=20),
    _col("job", rank=0),
    _col("next_run", "next run", rank=1),
    _col("pages", rank=2, right=True),
    _col("failed", "ETL errors", rank=5, right=True),
    _col("garbled_share", "garbled", rank=6, right=True),
    _col("last_crawl", "last crawl", rank=3),
    _col("last_success", "last success", rank=4),
    _col("last_error", "last error", rank=2, flexible=True, weight=2, least=20),
    _col("new_pages_last_runs", "new pages (last runs)", rank=8),
    _col("usual_new_pages", "usual", rank=9, right=True),
    _col("warnings", rank=2, flexible=True),
    _col("name", rank=0),
    _col("enabled", rank=1),
    _col("schedule", rank=2),
    _col("start", rank=4, flexible=True),
    _col("feeds", rank=5, right=True),
    _col("sitemaps", rank=5, right=True),
)}


def column(key: str, position: int, ranks: dict[str, int] | None = None) -> Column:
    """The column for a field (`ranks` overrides how soon it is left out, for one table); a field with no entry
    is plain text ranked by its place in the list."""
    found = COLUMNS.get(key) or _col(key, rank=20 + position)
    return replace(found, rank=ranks[key]) if ranks and key in ranks else found


@dataclass(frozen=True)
class Layout:
    """The columns a table shows, each with its width, and the ones left out for want of width (by label)."""

    shown: tuple[Column, ...]
    widths: tuple[int, ...]
    hidden: tuple[str, ...]
    wide: bool

    @property
    def width(self) -> int:
        return sum(self.widths) + GAP * max(0, len(self.widths) - 1)


def cells(rows: Sequence[dict[str, Any]], columns: Sequence[Column], one_line: bool) -> list[list[str]]:
    """Every cell as inert text; a one-line (narrow) table shows some times as their day only."""
    return [[inert(display(row.get(c.key), c.date_only and one_line, c.grouped), one_line) for c in columns]
            for row in rows]


def plan(rows: Sequence[dict[str, Any]], keys: Sequence[str], width: int, wide: bool = False,
         ranks: dict[str, int] | None = None) -> Layout:
    """Which of `keys` to show, and how wide, so that a table fits `width` terminal cells.

    Short columns get their natural width (header or longest cell, whichever is wider) and never wrap. Long-text
    columns need at least their `least` cells (or their natural width when less) and share the rest: each gets its
    natural width where it fits, the widest split what remains by their weights. Columns are taken most useful first
    (lowest rank) while their minimum widths fit; with `wide`, every column is taken at its natural width, and a
    layout wider than `width` is for `records` to show instead.
    """
    columns = [column(k, i, ranks) for i, k in enumerate(keys)]
    grid = cells(rows, columns, one_line=not wide)
    natural = [max([cell_len(c.label)] + [max((cell_len(line) for line in row[i].split("\n")), default=0)
                                          for row in grid]) for i, c in enumerate(columns)]
    minimum = [min(natural[i], max(c.least, cell_len(c.label))) if c.flexible else natural[i]
               for i, c in enumerate(columns)]
    chosen: set[int] = set()
    used = -GAP
    for i in sorted(range(len(columns)), key=lambda i: (columns[i].rank, i)):
        if wide or used + GAP + minimum[i] <= width:
            chosen.add(i)
            used += GAP + minimum[i]
    order = [i for i in range(len(columns)) if i in chosen]
    widths = {i: natural[i] for i in order}
    flexible = [i for i in order if columns[i].flexible]
    if not wide:  # with wide every column keeps its natural width: the caller shows records when that is too wide
        room = width - sum(natural[i] for i in order if i not in flexible) - GAP * max(0, len(order) - 1)
        widths.update(_share({i: columns[i].weight for i in flexible}, natural, minimum, room))
    return Layout(tuple(columns[i] for i in order), tuple(widths[i] for i in order),
                  tuple(columns[i].label for i in range(len(columns)) if i not in chosen), wide)


def _share(weights: dict[int, int], natural: list[int], minimum: list[int], room: int) -> dict[int, int]:
    """Split `room` cells among the long-text columns by weight, none past its natural width (water-filling)."""
    widths = {i: minimum[i] for i in weights}
    room -= sum(widths.values())
    hungry = [i for i in weights if natural[i] > widths[i]]
    while room > 0 and hungry:
        total = sum(weights[i] for i in hungry)
        granted = 0
        for i in list(hungry):
            grant = min(max(1, room * weights[i] // total), natural[i] - widths[i], room - granted)
            widths[i] += grant
            granted += grant
            if widths[i] >= natural[i]:
                hungry.remove(i)
        room -= granted
        if not granted:
            break
    return widths


def table(rows: Sequence[dict[str, Any]], keys: Sequence[str], width: int, wide: bool = False,
          title: str | None = None, ranks: dict[str, int] | None = None) -> tuple[Table, Layout]:
    """The rows as a rich Table laid out by `plan`, every cell inert text."""
    layout = plan(rows, keys, width, wide, ranks)
    grid = cells(rows, layout.shown, one_line=not wide)
    out = Table(title=plain(title) if title else None, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                padding=(0, GAP - 1, 0, 0), expand=False, title_justify="left", title_style="bold")
    for c, w in zip(layout.shown, layout.widths, strict=True):
        out.add_column(Text(c.label), justify="right" if c.right else "left", width=w, min_width=w, max_width=w,
                       no_wrap=not (wide and c.flexible), overflow="fold" if wide else "ellipsis")
    for row in grid:
        out.add_row(*(Text(text if wide else fit(text, w, c.keep_end))
                      for c, w, text in zip(layout.shown, layout.widths, row, strict=True)))
    return out, layout


def records(rows: Sequence[dict[str, Any]], keys: Sequence[str], title: str | None = None) -> RenderableType:
    """Each row as a block of `field  value` lines, values in full and wrapped: every field at any width."""
    columns = [column(k, i) for i, k in enumerate(keys)]
    label_width = max((cell_len(c.label) for c in columns), default=0)
    blocks: list[RenderableType] = [plain(title, style="bold")] if title else []
    for n, row in enumerate(cells(rows, columns, one_line=False), start=1):
        blocks.append(Rule(f"{n}", align="left", style="dim"))
        grid = Table.grid(padding=(0, GAP, 0, 0))
        grid.add_column(no_wrap=True, width=label_width, style="dim")
        grid.add_column(overflow="fold")
        for c, text in zip(columns, row, strict=True):
            grid.add_row(Text(c.label), Text(text))
        blocks.append(grid)
    return Group(*blocks)


def notes(layout: Layout, shown_rows: int, total: int | None, width: int, limit_option: str = "--limit") -> list[str]:
    """What the table leaves out: rows past the limit, and columns that did not fit."""
    out = []
    if total is not None and total > shown_rows:
        out.append(f"showing {shown_rows:,} of {total:,} (use {limit_option})")
    if layout.hidden:
        out.append(f"hidden at {width} columns: {', '.join(layout.hidden)} (see --wide or --format json)")
    return out
