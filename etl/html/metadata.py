"""The article's fields around its body: title, subtitle, JSON-LD, images and the canonical URL.

The title is the candidate (meta tags, JSON-LD headline, headings) that the page's ``<title>`` confirms, else
the longest segment of ``<title>`` once the site name is cut off; the block that shows it on the page marks
where the body may start. The byline and the publication time are chosen among candidates in
:mod:`etl.html.candidates`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

from etl.html.blocks import Block, Walk, is_link_list
from etl.html.body import is_furniture, is_icon
from etl.html.labels import make_key, read_meta_line, squash
from etl.html.vocabulary import TITLE_SEPARATORS, TITLE_SPLIT, WS
from etl.text.chars import has_han

# ---------------------------------------------------------------------------------------------------------
# Title and subtitle


_BADGE_LENGTH = 2  # 原创, 独家, 置顶 before a headline


class Title(NamedTuple):
    text: str | None
    origin: str | None  # meta:og:title, json-ld:headline, h1, <title> …


def pick_title(walk: Walk, headings: list[tuple[str, str]], ld_headline: str | None) -> Title:
    """The headline: the first candidate that <title> confirms, else <title>'s longest segment.

    ``headings`` are (text, tag name) pairs, <h1> before <h2>.
    """
    page_title = walk.title or ""
    segments = [s for s in TITLE_SPLIT.split(page_title) if s.strip()]
    main = max(segments, key=len) if segments else ""
    metas = walk.metas
    candidates = [
        (metas.get("articletitle"), "meta:articletitle"),
        (metas.get("og:title"), "meta:og:title"),
        (metas.get("twitter:title"), "meta:twitter:title"),
        (ld_headline, "json-ld:headline"),
        *headings,
    ]
    squashed_title = squash(page_title)
    later_segments = {squash(s) for s in segments[1:]} if len(segments) > 1 else set()
    for candidate, origin in candidates:
        if not candidate:
            continue
        text = WS.sub(" ", candidate).strip()
        squashed = squash(text)
        if len(squashed) < 2 or squashed in later_segments and squashed != squash(main):
            continue
        if not squashed_title:
            return Title(text, origin)
        if squashed == squashed_title and len(segments) > 1:
            continue
        if squashed in squashed_title:
            return Title(text, origin)
        if main and squash(main) in squashed:
            extra = len(squashed) - len(squash(main))
            if squashed.endswith(squash(main)) and extra <= _BADGE_LENGTH:
                return Title(main.strip(), "<title>")  # "原创" + headline: a badge printed in the heading
            return Title(text, origin)
    if main:
        return Title(main.strip(), "<title>")
    for candidate, origin in candidates:
        if candidate and candidate.strip():
            return Title(WS.sub(" ", candidate).strip(), origin)
    return Title(None, None)


def title_block(blocks: list[Block], title: str | None, near: int) -> int | None:
    """The block showing the title, the one nearest the body when the page repeats it."""
    if not title:
        return None
    target = squash(title)
    best: int | None = None
    for index, block in enumerate(blocks):
        if abs(block.length - len(target)) > _BADGE_LENGTH:
            continue
        shown = squash(block.text)
        if shown != target and not (shown.endswith(target) and len(shown) - len(target) <= _BADGE_LENGTH):
            continue
        if best is None or abs(index - near) < abs(best - near) or (block.heading and not blocks[best].heading):
            best = index
    return best


def title_prefix_block(blocks: list[Block], page_title: str | None, near: int) -> int | None:
    """A block whose text starts <title> and is followed there by a separator: "标题-某某县人民政府".

    A space counts as the separator for a block of headline length: "标题 某某医院".
    """
    if not page_title:
        return None
    target = squash(page_title)
    spaced = WS.sub(" ", page_title).strip()
    best: int | None = None
    for index, block in enumerate(blocks):
        if block.length < 4 or block.length >= len(target) or is_link_list(block):
            continue
        text = squash(block.text)
        separated = target.startswith(text) and target[len(text)] in TITLE_SEPARATORS
        if separated or (block.length >= _SPACED_TITLE and spaced.startswith(block.text + " ")):
            if best is None or abs(index - near) < abs(best - near):
                best = index
    return best


_SPACED_TITLE = 8
_LAYOUT_REACH = 7  # blocks above the body looked at for a headline


def layout_title(blocks: list[Block], start: int) -> int | None:
    """When the page's <title> is only the site name: the title-like line at the top of the body or above it."""
    for index in range(min(start, len(blocks) - 1), max(start - _LAYOUT_REACH, -1), -1):
        block = blocks[index]
        headline_like = bool(block.heading or block.center or block.subtitle)
        if is_link_list(block) or block.length > 80 or block.length < 5 or (index == start and not headline_like):
            continue
        if block.junk_depth and not block.heading:
            continue  # a menu or a share bar above the text
        key = make_key(block.text).text
        if read_meta_line(block.text).is_meta or is_furniture(block, key) or not has_han(key):
            continue
        if key.endswith("。") or (key.endswith(("！", "？")) and not headline_like):
            continue  # a sentence, unless set as a heading (成功举行！)
        if headline_like or block.length >= 8:
            return index
    return None


def is_subtitle(block: Block, title: Block) -> bool:
    """引题/副题: a short line beside the title, named so by its class or a heading in the title's element."""
    if block.length > 80 or block.link_len > 0.3 * block.length:
        return False
    if squash(block.text) == squash(title.text) or block.text.endswith(("。", "！", "？")):
        return False
    sibling_heading = block.heading and block.tag.parent is title.tag.parent
    if not (block.subtitle or sibling_heading):
        return False
    return not read_meta_line(block.text).is_meta


def meta_subtitle(walk: Walk) -> str | None:
    for name in ("subtitle", "articlesubtitle", "subheadline"):
        value = walk.metas.get(name)
        if value:
            return WS.sub(" ", value).strip()
    return None


# ---------------------------------------------------------------------------------------------------------
# JSON-LD

_JSON_LD_SCRIPTS = 5
_JSON_LD_ITEMS = 500


def _json_ld_names(author: object) -> str:
    items = author if isinstance(author, list) else [author]
    names = []
    for item in items[:10]:
        if isinstance(item, dict):
            item = item.get("name")
        if isinstance(item, str) and item.strip():
            names.append(item.strip())
    return " ".join(names)


def json_ld_fields(scripts: list[str]) -> dict[str, str]:
    """datePublished, dateCreated, headline and author names from the page's JSON-LD, first found wins."""
    found: dict[str, str] = {}
    for script in scripts[:_JSON_LD_SCRIPTS]:
        try:
            data = json.loads(script)
        except ValueError:
            continue
        pending = [data]
        seen = 0
        while pending and seen < _JSON_LD_ITEMS:
            item = pending.pop()
            seen += 1
            if isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, dict):
                for name in ("datePublished", "headline", "dateCreated"):
                    value = item.get(name)
                    if isinstance(value, str) and value.strip():
                        found.setdefault(name, value.strip())
                author = item.get("author")
                if author is not None:
                    names = _json_ld_names(author)
                    if names:
                        found.setdefault("author", names)
                pending.extend(v for v in item.values() if isinstance(v, (dict, list)))
    return found


# ---------------------------------------------------------------------------------------------------------
# Images and the canonical URL


@dataclass
class Image:
    src: str
    caption: str | None


def absolute_url(href: str | None, base: str | None) -> str | None:
    """``href`` resolved against ``base``; None unless the result is an http(s) URL."""
    if not href:
        return None
    href = href.strip()
    joined = urljoin(base, href) if base else href
    return joined if urlsplit(joined).scheme in ("http", "https") else None


def body_images(walk: Walk, start: int, end: int, captions: dict[int, str], base: str | None) -> list[Image]:
    """The photos inside the body's blocks [start, end], with their captions; icons and logos left out."""
    return [
        Image(src=absolute_url(raw.src, base) or raw.src, caption=captions.get(raw.block_index))
        for raw in walk.images
        if start <= raw.block_index <= end and not is_icon(raw.src)
    ]


def canonical(walk: Walk, base: str | None) -> str | None:
    """The page's declared canonical URL (link rel=canonical, else og:url), absolute."""
    return absolute_url(walk.canonical or walk.metas.get("og:url"), base)
