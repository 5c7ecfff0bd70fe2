"""Small HTML helpers shared by the three simulated sites."""

from __future__ import annotations

import html
from collections.abc import Iterable


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def link(href: str, text: str, attrs: str = "") -> str:
    extra = f" {attrs}" if attrs else ""
    return f'<a href="{esc(href)}"{extra}>{esc(text)}</a>'


def link_list(items: Iterable[tuple[str, str]], css: str = "") -> str:
    """<ul> of links; items are (href, text)."""
    cls = f' class="{css}"' if css else ""
    rows = "".join(f"<li>{link(href, text)}</li>" for href, text in items)
    return f"<ul{cls}>{rows}</ul>"


def short(text: str, size: int = 24) -> str:
    return text if len(text) <= size else text[:size] + "…"
