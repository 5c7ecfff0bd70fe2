"""Decoded HTML -> article fields: a generic boilerplate remover for Chinese news and government portals.

The steps, one module each, in the order :func:`clean` runs them:

- :mod:`~etl.html.parse` builds the tree (lxml's parser events into light elements, unseen text cut out first);
- :mod:`~etl.html.blocks` walks it once into a flat list of text blocks and reads the ``<head>``;
- :mod:`~etl.html.body` chooses the body container and drops the furniture inside it (and, where the
  container holds no prose, reads the densest run of text instead);
- :mod:`~etl.html.metadata` reads the title, subtitle, images and canonical URL around it;
- :mod:`~etl.html.candidates` gathers every statement of the publication time, author, editor and source and
  picks by place, label and agreement, reading dates with :mod:`~etl.html.dates` and labelled lines
  (来源, 作者 …) with :mod:`~etl.html.labels`;
- :mod:`~etl.html.vocabulary` holds the words all of them match.

Text is returned as it stands on the page; normalising it (pinyin, script, mojibake) is ``etl.text.normalise``'s job.
:func:`clean` never lets another exception escape: anything it cannot handle becomes :class:`CleanError`
(a ``ValueError``) with a readable message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from etl.html.blocks import Walk, walk
from etl.html.body import Body, Choice, container, densest_run, read_body, why_no_text
from etl.html.candidates import (
    TRAILER_BLOCKS,
    Candidates,
    Pick,
    choose,
    gather_above,
    gather_body,
    gather_dateline,
    gather_header,
    gather_hinted,
    gather_page,
    gather_trailer,
)
from etl.html.dates import SHANGHAI, find_date
from etl.html.labels import make_key, read_meta_line, squash
from etl.html.metadata import (
    Image,
    absolute_url,
    body_images,
    canonical,
    is_subtitle,
    json_ld_fields,
    layout_title,
    meta_subtitle,
    pick_title,
    title_block,
    title_prefix_block,
)
from etl.html.parse import CleanError, parse, select_body

__all__ = ["SHANGHAI", "CleanError", "Cleaned", "Image", "clean", "find_date", "make_key", "read_meta_line"]


@dataclass
class Cleaned:
    title: str | None
    subtitle: str | None
    published_at: datetime | None
    source: str | None  # 来源
    author: str | None  # 作者/记者/通讯员
    editor: str | None  # 责任编辑/编辑
    paragraphs: list[str]
    images: list[Image]
    canonical_url: str | None
    # where each field was read (header:发布时间, meta:article:published_time, class:author …), None if not found
    title_source: str | None = None
    date_source: str | None = None
    author_source: str | None = None
    editor_source: str | None = None
    source_source: str | None = None
    # why a page gave no paragraphs: "an empty template …", "a list page …"; None when it has text
    no_text: str | None = None

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)


def clean(html: str, url: str | None = None, body_selector: str | None = None) -> Cleaned:
    """Article fields of one decoded page; text is returned as it stands on the page (not normalised).

    ``body_selector`` (a CSS selector) overrides the choice of the body container.
    Raises :class:`CleanError` for input that is not text or a page that cannot be processed.
    """
    if not isinstance(html, str):
        raise CleanError(f"clean() needs decoded text, got {type(html).__name__}")
    try:
        return _clean(html, url, body_selector)
    except CleanError:
        raise
    except Exception as exc:  # the one documented failure type, with the cause chained
        where = f" {url}" if url else ""
        raise CleanError(f"could not clean page{where}: {type(exc).__name__}: {exc}") from exc


_TITLE_REACH = 8  # blocks above the body where a headline shown from <title> may stand


class Headline(NamedTuple):
    text: str | None
    origin: str | None
    at: int | None  # the index of the block showing it (not `index`: that would hide tuple.index)


def _headline(page: Walk, ld: dict[str, str], choice: Choice) -> Headline:
    """The title and the block that shows it: the candidate <title> confirms, else the line above the text."""
    blocks = page.blocks
    headings = [(b.text, "h1") for b in blocks if b.heading == 1][:5]
    headings += [(b.text, "h2") for b in blocks if b.heading == 2][:5]
    title, origin = pick_title(page, headings, ld.get("headline"))
    index = title_block(blocks, title, choice.start)
    if origin == "<title>" and index is not None and not choice.start - _TITLE_REACH <= index < choice.end:
        index = None  # <title> named the site, shown in its logo or footer, not above the text
    if index is not None:
        return Headline(title, origin, index)
    index = title_prefix_block(blocks, page.title, choice.start)
    if index is not None:
        return Headline(blocks[index].text, "<title> start shown on the page", index)
    index = layout_title(blocks, choice.start)
    if index is not None:
        return Headline(blocks[index].text, "line above the text", index)
    return Headline(title, origin, None)


def _subtitle(page: Walk, title_index: int | None) -> tuple[str | None, set[int]]:
    """The subtitle, and the blocks beside the headline that are not text (the headline, 副题, 引题)."""
    blocks = page.blocks
    subtitle = meta_subtitle(page)
    skip: set[int] = set()
    if title_index is None:
        return subtitle, skip
    skip.add(title_index)
    # 副题 under the title first, then 引题 above it
    for neighbour in (title_index + 1, title_index + 2, title_index - 1):
        if 0 <= neighbour < len(blocks) and is_subtitle(blocks[neighbour], blocks[title_index]):
            if subtitle is None or squash(blocks[neighbour].text) == squash(subtitle):
                subtitle = subtitle or blocks[neighbour].text
                skip.add(neighbour)
                break
    for neighbour in (title_index - 1, title_index + 1):
        if 0 <= neighbour < len(blocks) and is_subtitle(blocks[neighbour], blocks[title_index]):
            skip.add(neighbour)
    return subtitle, skip


def _first_block(choice: Choice, title_index: int | None) -> int:
    """Where the text may start: after the headline when the container holds it."""
    if title_index is not None and choice.start <= title_index < choice.end:
        return title_index + 1
    return choice.start


def _metadata(
    page: Walk, ld: dict[str, str], html: str, url: str | None, body: Body, title_index: int | None, end: int
) -> dict[str, Pick]:
    """Every candidate for date, author, editor and source, around the headline and the text; the winners."""
    blocks = page.blocks
    header_lo = title_index + 1 if title_index is not None and title_index < body.first else body.first - 8
    found = Candidates()
    gather_header(found, blocks, header_lo, body.first)
    if title_index is not None:
        gather_above(found, blocks, title_index)
    gather_body(found, body, blocks)
    gather_trailer(found, blocks, end)
    if body.stop < end:
        gather_trailer(found, blocks, body.stop)
    gather_hinted(found, page, max(header_lo, 0), end + TRAILER_BLOCKS)
    gather_dateline(found, body.paragraphs)
    header_text = " ".join(block.text for block in blocks[max(header_lo, 0) : body.first])
    gather_page(found, page, ld, html, url, header_text)
    return choose(found)


def _clean(html: str, url: str | None, body_selector: str | None) -> Cleaned:
    if not html or html.isspace():
        return Cleaned(None, None, None, None, None, None, [], [], None)
    root = parse(html)
    forced = select_body(html, root, body_selector) if body_selector else None
    page = walk(root, forced)
    base = absolute_url(page.base, url) or url
    ld = json_ld_fields(page.json_ld)

    choice = container(page, forced)
    headline = _headline(page, ld, choice)
    subtitle, skip = _subtitle(page, headline.at)
    body = read_body(page, choice, _first_block(choice, headline.at), skip, headline.text)
    if not body.has_text and forced is None:
        # no prose where the scorer looked: read the densest run of text, whatever its elements are called
        fallback_choice = densest_run(page)
        start = _first_block(fallback_choice, headline.at)
        fallback = read_body(page, fallback_choice, start, skip, headline.text, trust_hints=False)
        if fallback.has_text:
            choice, body = fallback_choice, fallback
    picks = _metadata(page, ld, html, url, body, headline.at, choice.end)
    has_text = body.has_text or forced is not None
    return Cleaned(
        title=headline.text,
        subtitle=subtitle,
        published_at=picks["date"].value,  # type: ignore[arg-type]
        source=picks["source"].value,  # type: ignore[arg-type]
        author=picks["author"].value,  # type: ignore[arg-type]
        editor=picks["editor"].value,  # type: ignore[arg-type]
        paragraphs=body.paragraphs if has_text else [],
        images=body_images(page, _first_block(choice, headline.at), choice.end, body.captions, base),
        canonical_url=canonical(page, base),
        title_source=headline.origin,
        date_source=picks["date"].origin,
        author_source=picks["author"].origin,
        editor_source=picks["editor"].origin,
        source_source=picks["source"].origin,
        no_text=None if has_text else why_no_text(page),
    )
