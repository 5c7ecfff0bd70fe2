"""Every article page of the portal, rendered once: bytes, Content-Type and ground truth."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from crawler.demo import county, hq, portal
from crawler.demo.catalogue import Entry, build_entries
from crawler.demo.corpus import ARTICLE_FIELDS, Stamp, apply_edits, corpus_stamp, load_corpus, read_edits

# Corpus fields copied into the ground truth of every page.
TRUTH_FIELDS = (*ARTICLE_FIELDS, "syndicated_to", "modified_at")


@dataclass
class RenderedPage:
    path: str
    body: bytes
    content_type: str  # the Content-Type header as served (it may lie, like real servers do)
    truth: dict[str, Any] | None


@dataclass(frozen=True)
class Content:
    """The corpus laid out on the three sites."""

    entries: dict[str, list[Entry]]  # site -> entries, newest first
    pages: dict[str, RenderedPage]  # article path -> page

    def flaky_path(self) -> str | None:
        """The article that answers 500 to its first request (a trap a retrying crawler survives)."""
        hq_entries = self.entries["hq"]
        return hq_entries[min(2, len(hq_entries) - 1)].path if hq_entries else None

    def calendar_month(self) -> str:
        """The month the calendar trap is first linked at: that of the newest hq article."""
        entries = self.entries["hq"]
        return f"{entries[0].published_at:%Y-%m}" if entries else "2023-07"

    def chain_target(self) -> str | None:
        """The article at the end of the redirect chain: an hq article, else any article."""
        entries = self.entries["hq"] or [e for site in self.entries.values() for e in site]
        return entries[min(3, len(entries) - 1)].path if entries else None


def truth_of(entry: Entry, **extra: Any) -> dict[str, Any]:
    a = entry.article
    truth: dict[str, Any] = {"url": entry.path, "id": a.id, "site": entry.site, "canonical_of": entry.original}
    for key in TRUTH_FIELDS:
        truth[key] = a.raw.get(key)
    truth["body"] = a.body
    truth.update(extra)
    return truth


def _neighbours(entries: list[Entry], index: int) -> tuple[Entry | None, Entry | None]:
    newer = entries[index - 1] if index > 0 else None
    older = entries[index + 1] if index + 1 < len(entries) else None
    return older, newer


def render_entry(entries: list[Entry], index: int) -> RenderedPage:
    entry = entries[index]
    previous, following = _neighbours(entries, index)
    hot = entries[:6]
    if entry.site == "hq":
        text = hq.article_page(entry, previous, following, hot)
        return RenderedPage(
            entry.path,
            text.encode("utf-8"),
            "text/html; charset=utf-8",
            truth_of(entry, encoding="utf-8", layout=hq.layout_of(entry), canonical_link=entry.is_copy),
        )
    if entry.site == "county":
        text = county.article_page(entry, previous, following)
        return RenderedPage(
            entry.path,
            text.encode("gb18030"),
            county.content_type(index),
            truth_of(entry, encoding="gb18030", canonical_link=entry.is_copy),
        )
    copies_before = sum(1 for e in entries[:index] if e.is_copy)
    canonical = entry.is_copy and copies_before % 2 == 0
    shown = portal.article_page(entry, following, hot, lying_meta=index % 5 == 2, canonical=canonical)
    truth = truth_of(
        entry,
        encoding="utf-8",
        editor="admin",
        original_editor=entry.article.editor,
        garbled=[run.as_dict() for run in shown.runs],
        layout=shown.layout,
        canonical_link=canonical,
        lying_meta=shown.lying_meta,
    )
    return RenderedPage(entry.path, shown.html.encode("utf-8"), shown.content_type, truth)


@lru_cache(maxsize=2)
def _content(stamp: Stamp, edits: Stamp | None = None) -> Content:
    articles = load_corpus(Path(stamp[0]))
    entries = build_entries(apply_edits(articles, read_edits(edits)) if edits else articles)
    pages: dict[str, RenderedPage] = {}
    for site_entries in entries.values():
        for index in range(len(site_entries)):
            page = render_entry(site_entries, index)
            pages[page.path] = page
    return Content(entries, pages)


def current_content(edits: Path | None = None) -> Content:
    """The portal's pages for the corpus as it is now, with the edits in `edits` (a directory) applied."""
    return _content(corpus_stamp(), corpus_stamp(edits) if edits is not None and edits.is_dir() else None)


def render_articles() -> list[RenderedPage]:
    """Every article page as served (bytes and Content-Type), without HTTP: for extraction benchmarks."""
    return list(current_content().pages.values())
