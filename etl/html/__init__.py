"""Decoded HTML -> article fields: a generic boilerplate remover for Chinese news and government portals.

The steps, one module each, in the order :func:`clean` runs them:

- :mod:`~etl.html.parse` builds the tree (lxml through BeautifulSoup, unseen text cut out first);
- :mod:`~etl.html.blocks` walks it once into a flat list of text blocks and reads the ``<head>``;
- :mod:`~etl.html.body` chooses the body container and drops the furniture inside it;
- :mod:`~etl.html.metadata` reads the title, subtitle, byline, images and canonical URL around it,
  :mod:`~etl.html.dates` the publication date, :mod:`~etl.html.labels` the labelled lines (来源, 作者 …);
- :mod:`~etl.html.vocabulary` holds the words all of them match.

Text is returned as it stands on the page; normalising it (pinyin, script, mojibake) is ``etl.text.normalise``'s job.
:func:`clean` never lets another exception escape: anything it cannot handle becomes :class:`CleanError`
(a ``ValueError``) with a readable message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from etl.html.blocks import walk
from etl.html.body import container, read_body
from etl.html.dates import META_DATE_NAMES, SHANGHAI, find_date, meta_date, pick_date, url_date
from etl.html.labels import make_key, read_meta_line, squash
from etl.html.metadata import (
    TRAILER_BLOCKS,
    Image,
    absolute_url,
    body_images,
    canonical,
    header_fields,
    hinted_fields,
    is_subtitle,
    json_ld_fields,
    layout_title,
    lead_author,
    meta_subtitle,
    pick_title,
    title_block,
    title_prefix_block,
    trailer_fields,
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


def _clean(html: str, url: str | None, body_selector: str | None) -> Cleaned:
    if not html or html.isspace():
        return Cleaned(None, None, None, None, None, None, [], [], None)
    soup = parse(html)
    forced = select_body(soup, body_selector) if body_selector else None
    page = walk(soup, forced)
    base = absolute_url(page.base, url) or url
    blocks = page.blocks
    ld = json_ld_fields(page.json_ld)

    choice = container(page, forced)
    start, end = choice.start, choice.end
    headings = [b.text for b in blocks if b.heading == 1][:5] + [b.text for b in blocks if b.heading == 2][:5]
    title = pick_title(page, headings, ld.get("headline"))
    title_index = title_block(blocks, title, start)
    if title_index is None:
        title_index = title_prefix_block(blocks, page.title, start)
        if title_index is None:
            title_index = layout_title(blocks, start)
        if title_index is not None:
            title = blocks[title_index].text

    skip: set[int] = set()
    subtitle = meta_subtitle(page)
    if title_index is not None:
        skip.add(title_index)
        # 副题 under the title first, then 引题 above it
        for neighbour in (title_index + 1, title_index + 2, title_index - 1):
            if 0 <= neighbour < len(blocks) and is_subtitle(blocks[neighbour], blocks[title_index]):
                if subtitle is None or squash(blocks[neighbour].text) == squash(subtitle):
                    subtitle = subtitle or blocks[neighbour].text
                    skip.add(neighbour)
                    break
        if start <= title_index < end:
            start = title_index + 1
        for neighbour in (title_index - 1, title_index + 1):
            if 0 <= neighbour < len(blocks) and is_subtitle(blocks[neighbour], blocks[title_index]):
                skip.add(neighbour)

    body = read_body(page, choice, start, skip, title)
    header_lo = title_index + 1 if title_index is not None and title_index < body.first else body.first - 8
    header = header_fields(page, header_lo, body.first)
    fields = body.fields
    trailer = trailer_fields(page, end)
    hinted = hinted_fields(page, max(header_lo, 0), end + TRAILER_BLOCKS)

    published = pick_date(
        header.fields.dates,
        [meta_date(page.metas[name]) for name in META_DATE_NAMES if name in page.metas],
        [meta_date(ld[name]) for name in ("datePublished", "dateCreated") if name in ld],
        header.loose_dates,
        fields.dates,
        trailer.dates,
        [meta_date(value) for value in page.time_values[:3]],
        [url_date(url)],
    )
    byline = header.fields
    author = (byline.author or fields.author or trailer.author or hinted.get("author") or ld.get("author")
              or lead_author(body.paragraphs) or page.metas.get("author"))
    source = (byline.source or fields.source or trailer.source or hinted.get("source")
              or page.metas.get("source") or page.metas.get("contentsource"))
    return Cleaned(
        title=title,
        subtitle=subtitle,
        published_at=published,
        source=source,
        author=author,
        editor=byline.editor or fields.editor or trailer.editor or hinted.get("editor"),
        paragraphs=body.paragraphs,
        images=body_images(page, start, end, body.captions, base),
        canonical_url=canonical(page, base),
    )
