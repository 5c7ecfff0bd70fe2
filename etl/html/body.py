"""Which blocks are the article: the container, then the furniture inside it.

The body container is the smallest element spanning the best-scoring run of blocks: a maximum-sum run where
punctuated, link-poor text scores positive and link lists, boilerplate-hinted blocks and bare labels score
negative. Class/id hints are trusted unless they cost most of the text (a template that names its article
wrapper like a sidebar or a share widget); then the misnamed wrapper is accepted, and a 相关新闻 list standing
above the densest text does not end the article before it begins. Inside the container, page furniture is
dropped: metadata lines (date, 来源, 作者, 责任编辑) are read into fields, and next-article links, related lists,
comment notices, share bars, font-size switchers and copyright lines are removed, whether they sit in their
own elements or in plain ``<p>`` s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from etl.html.blocks import Block, Walk, is_link_list
from etl.html.labels import UNLABELLED_RANK, MetaLine, make_key, read_byline, read_meta_line, squash
from etl.html.parse import Element
from etl.html.vocabulary import (
    CAPTION_TEXT,
    CLOSING_NOTE,
    CONTACT,
    COPYRIGHT,
    DATE_FRAGMENT,
    DISCLAIMER_WORDS,
    END_MARKER,
    FOOTER_WORDS,
    FURNITURE,
    ICON_SRC,
    LONG_CLOSING_NOTE,
    OPENERS,
    OUTLET_SUFFIX,
    REPOST_TITLE,
    SUMMARY,
)
from etl.text.chars import HAN_CLASS, has_han


def block_value(block: Block, use_hints: bool) -> float:
    """What a block adds to a run of article text: punctuated plain text counts for, links count twice against."""
    length = block.length
    if use_hints and block.junk_depth:
        return -float(length)
    if block.link_len > 0.35 * length:
        return -2.0 * length
    plain = length - block.link_len
    if block.punct == 0 or plain < 8 or block.collapsed:
        # a collapsed block is a boilerplate-named element with at most three punctuation marks in all its
        # lines (a menu, a comment list): never prose, even when hints are set aside
        return -0.5 * min(plain, 30)
    return plain * (1.5 if use_hints and block.positive else 1.0)


class Run(NamedTuple):
    """Blocks [start, end) and their summed value."""

    start: int
    end: int
    value: float


def _best_run(blocks: list[Block], use_hints: bool) -> Run:
    """The run of blocks with the largest summed value (Kadane)."""
    best = Run(0, 0, 0.0)
    start = 0
    total = 0.0
    for index, block in enumerate(blocks):
        if total <= 0:
            start = index
            total = 0.0
        total += block_value(block, use_hints)
        if total > best.value:
            best = Run(start, index + 1, total)
    return best


# hints are trusted while the run they allow keeps this share of the run found without them
_HINTED_SHARE = 0.3


@dataclass
class Choice:
    start: int  # the container's blocks [start, end)
    end: int
    depth: int
    run_end: int  # end of the best run; past it, the first boilerplate block ends the article
    run_start: int = 0  # start of the best run; before it, an end marker cannot end the article


def _covering(walk: Walk, run: Run) -> Choice:
    """The smallest element spanning the run that can hold paragraphs (the deepest of equal ones)."""
    start, end, depth = 0, len(walk.blocks), 0
    for r_start, r_end, r_depth, _tag in walk.ranges:
        if r_start <= run.start and r_end >= run.end:
            size = r_end - r_start
            best_size = end - start
            if size < best_size or (size == best_size and r_depth > depth):
                start, end, depth = r_start, r_end, r_depth
    return Choice(start, end, depth, run.end, run.start)


def container(walk: Walk, forced: Element | None) -> Choice:
    """The body container: the element a body_selector names, or the one around the best run of text."""
    if forced is not None:
        for r_start, r_end, depth, tag in walk.ranges:
            if tag is forced:
                return Choice(r_start, r_end, depth, r_end, r_start)
    blocks = walk.blocks
    hinted = _best_run(blocks, use_hints=True)
    plain = _best_run(blocks, use_hints=False)
    if hinted.value >= _HINTED_SHARE * plain.value:
        return _covering(walk, hinted) if hinted.end > hinted.start else Choice(0, 0, 0, 0)
    # the hints would cost most of the text: they misname the article's wrapper, which is then accepted
    # (otherwise the text inside it is read as furniture and a stray line beside it becomes the body)
    return _unhinted(walk, plain)


def densest_run(walk: Walk) -> Choice:
    """The fallback when the container holds no prose: the best run of text with every class/id hint ignored.

    A template may name its article wrapper like furniture (a <footer> around the text, a "side" column
    holding it); the text is still the page's densest run of punctuated, link-poor lines.
    """
    return _unhinted(walk, _best_run(walk.blocks, use_hints=False))


def _unhinted(walk: Walk, run: Run) -> Choice:
    """The element around a run found without hints, with the misnamed wrappers around its prose accepted."""
    if run.end <= run.start:
        return Choice(0, 0, 0, 0)
    choice = _covering(walk, run)
    # the misnamed wrappers around the text are accepted; furniture nested deeper inside them is still left out
    prose = [block.junk_depth for block in walk.blocks[run.start : run.end] if block_value(block, False) > 0]
    choice.depth = max(choice.depth, *prose)
    return choice


def _said(bare: str, block: Block) -> bool:
    """A line opening with a bare 声明 that says none of a disclaimer's words: a statement the article quotes or
    makes, not a portal's closing note. Cutting the text there would lose whatever follows it."""
    return bare.startswith("声明") and not DISCLAIMER_WORDS.search(block.text)


def is_furniture(block: Block, key: str) -> bool:
    """Share bars, font-size switchers, 当前位置 breadcrumbs, copyright/ICP and contact lines."""
    stripped = key.lstrip(OPENERS + "|丨｜")
    if block.length <= 60 and FURNITURE.match(stripped):
        return True
    if block.length <= 200 and block.punct <= 3 and COPYRIGHT.search(key):
        return True
    if block.length <= 120 and len(FOOTER_WORDS.findall(key)) >= 2:
        return True
    return block.length <= 120 and len(CONTACT.findall(key)) >= 2


def _is_caption(block: Block, key: str) -> bool:
    """The line under a photo: named so by its element, worded like one (图为…, …摄), or short and centred."""
    if block.length > 150 or is_link_list(block):
        return False
    if block.caption or CAPTION_TEXT.search(key):
        return True
    return block.center and block.length <= 100 and not key.endswith(("。", "！", "？"))


def is_icon(src: str) -> bool:
    """A logo, share button, QR code or spacer, by its file name."""
    return ICON_SRC.search(src.rsplit("/", 1)[-1]) is not None


class LineAt(NamedTuple):
    """A labelled line met inside the container, where it stood: before the text, or after text was seen."""

    at: int  # its block index (not `index`: that would hide tuple.index)
    meta: MetaLine
    after_text: bool


@dataclass
class Body:
    paragraphs: list[str]
    captions: dict[int, str]  # image block index -> caption
    lines: list[LineAt]  # metadata lines dropped from the text
    first: int  # index of the first block kept, or of the end when none
    last: int  # index of the last block kept, or of the start when none
    stop: int  # where reading stopped: the container's end, or the furniture that ended the article
    has_text: bool  # at least one punctuated paragraph of prose
    closing_byline: MetaLine | None = None  # a bracketed byline cut from the end of the last paragraph


_META_LENGTH = 160
_HEAD = 12  # characters of a long line looked at for a 原标题 or 摘要 label
_WIDGET_LENGTH = 4
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")  # icon-font glyphs
_WORD = re.compile("[A-Za-z]{2,}")
_REPOST_LENGTH = 120
_FRAGMENT_LENGTH = 12
_BYLINE_LENGTH = 40


def is_widget(text: str) -> bool:
    """A button or counter, not a line of text: no Han character and no word once icon glyphs are out (+1, 4)."""
    visible = _PRIVATE_USE.sub("", text).strip()
    return len(visible) <= _WIDGET_LENGTH and not has_han(visible) and not _WORD.search(visible)


def _not_text(block: Block, bare: str, content_seen: bool) -> bool:
    """Lines a portal prints around an article that are not part of it, told by their words."""
    if block.length <= _REPOST_LENGTH and REPOST_TITLE.match(bare):
        return True  # （原标题：…）, 原题为《…》
    if content_seen:
        return False
    if SUMMARY.match(bare) or is_widget(block.text):
        return True  # 摘要：… repeats the opening; a like counter or an icon glyph
    if block.length <= _FRAGMENT_LENGTH and not block.punct and OUTLET_SUFFIX.search(bare):
        return True  # the outlet alone on a line above the text (新华社): the source, read with the header
    return block.length <= _FRAGMENT_LENGTH and DATE_FRAGMENT.fullmatch(bare) is not None


def read_body(
    walk: Walk, choice: Choice, start: int, skip: set[int], title: str | None, trust_hints: bool = True
) -> Body:
    """The container's blocks from ``start``, furniture and labelled lines out, ``skip`` (title, subtitle) out.

    Blocks inside boilerplate-named elements deeper than ``choice.depth`` are left out; ``trust_hints=False``
    (the densest-run fallback) also ends the article at link lists and bare lines only, not at named ones.
    """
    blocks = walk.blocks
    end, depth = choice.end, choice.depth
    image_blocks = {raw.block_index: raw for raw in walk.images if not is_icon(raw.src)}
    lines: list[LineAt] = []
    paragraphs: list[str] = []
    captions: dict[int, str] = {}
    squashed_title = squash(title) if title else None
    content_seen = False
    first = end
    last = start
    stop = end
    for index in range(start, end):
        block = blocks[index]
        if index in skip:
            continue
        if index >= choice.run_end and content_seen and block_value(block, trust_hints) <= -10:
            stop = index
            break  # link lists or boilerplate after the text: what follows in the container is not the article
        # labels and furniture sit in short lines; long punctuated prose is never looked up
        keyed = make_key(block.text) if block.length <= 80 or (block.length <= 200 and block.punct < 3) else None
        key = keyed.text if keyed else ""
        bare = key.lstrip(OPENERS + "|丨｜")
        closing = bool(key and (END_MARKER.match(bare) or (CLOSING_NOTE.match(bare) and not _said(bare, block))))
        if not key and content_seen and LONG_CLOSING_NOTE.match(block.text[:_HEAD].lstrip(OPENERS + "|丨｜")):
            closing = True  # a long disclaimer after the text: 免责声明：…不代表本站立场…
        if closing:
            if content_seen and index < choice.run_start:
                # 相关新闻 above the densest text: the article is still to come, and what was read before the
                # marker (a promotion box, a video's title) is a box above it, not its opening
                paragraphs.clear()
                first, last, content_seen = end, start, False
            elif content_seen:
                stop = index
                break
            continue
        if block.junk_depth > depth:
            if keyed and block.length <= _META_LENGTH:
                meta = read_meta_line(block.text)
                if meta.is_meta or meta.fields or meta.date_rank < UNLABELLED_RANK:
                    lines.append(LineAt(index, meta, content_seen))  # "【纠错】 责任编辑：张三" in a share bar
            continue
        if squashed_title and (block.heading or not content_seen) and squash(block.text) == squashed_title:
            continue  # the headline again (a template that prints it twice)
        head = bare or block.text[:_HEAD].lstrip(OPENERS + "|丨｜")  # long lines: their first words, as printed
        if _not_text(block, head, content_seen):
            continue
        owner = image_blocks.get(index) or image_blocks.get(index - 1)
        if owner is not None and owner.block_index not in captions and _is_caption(block, key or block.text):
            captions[owner.block_index] = block.text  # before labels: "图：…" under a photo is its caption
            continue
        if keyed and block.length <= 160:
            meta = read_meta_line(block.text)
            # inside the text, a labelled line must give something ("时间：6月12日 地点：…" is prose)
            if meta.is_meta and (not content_seen or meta.fields or meta.dates or meta.named_nobody):
                lines.append(LineAt(index, meta, content_seen))
                if content_seen and "editor" in meta.fields:
                    stop = index + 1
                    break  # 责任编辑 after the text: the article ends here
                continue
            if not content_seen and meta.dates and block.length <= 60 and not block.punct:
                continue  # a bare date line above the text ("2023-10-08 09:12 宁夏日报")
        if keyed and block.length <= _BYLINE_LENGTH and (byline := read_byline(block.text)) is not None:
            lines.append(LineAt(index, byline, content_seen))  # "澎湃新闻记者 段彦超 廖艳" above or below the text
            continue
        if key and is_furniture(block, key):
            if block.length <= 60:
                lines.append(LineAt(index, read_meta_line(block.text), content_seen))  # "【我要纠错】 责任编辑：张三"
            continue
        if is_link_list(block):
            continue
        paragraphs.append(block.text)
        first = min(first, index)
        last = index
        if block.punct and block.length >= 10:
            content_seen = True
    while paragraphs and is_widget(paragraphs[-1]):  # a like counter or share glyph after the last paragraph
        paragraphs.pop()
    byline = None
    if paragraphs and content_seen:
        text, byline = _closing_byline(paragraphs[-1])
        paragraphs[-1] = text
    return Body(paragraphs, captions, lines, first, last, stop, content_seen, byline)


# a byline in brackets closing the text: …需要。（文/图 刘玺东 易赛楠）, …举行。（张巨峰）
_CLOSING_BRACKETS = re.compile(r"(?<=[。！？”」』])\s*[（(]([^（()）]{2,30})[）)]\s*$")
_BARE_NAMES = re.compile(rf"^[{HAN_CLASS}]{{2,3}}(?:[\s、][{HAN_CLASS}]{{2,3}}){{0,3}}$")


def _closing_byline(text: str) -> tuple[str, MetaLine | None]:
    """The last paragraph without its closing bracketed byline, and that byline read as a line."""
    match = _CLOSING_BRACKETS.search(text)
    if match is None:
        return text, None
    inside = match.group(1).strip()
    meta = read_meta_line(inside)
    if "author" not in meta.fields:
        if not _BARE_NAMES.match(inside) or OUTLET_SUFFIX.search(inside):
            return text, None
        meta = MetaLine({"author": inside.replace("、", " ")}, [], True)
    return text[: match.start()].rstrip(), meta


_EMPTY_TEXT = 40  # characters: below this, a page is a template without content
_LIST_SHARE = 0.5  # link text of all text: above this, a page is a list of links


def why_no_text(walk: Walk) -> str:
    """What a page without prose is, in words for the user: an empty template, a list page, or neither."""
    blocks = walk.blocks
    total = sum(block.length for block in blocks)
    if total < _EMPTY_TEXT:
        return f"an empty template ({total} characters of text)"
    links = sum(block.link_len for block in blocks)
    if links > _LIST_SHARE * total:
        return f"a list page ({links} of its {total} characters are link text, and no paragraph is prose)"
    return f"a page without prose ({len(blocks)} lines of text, none a punctuated paragraph)"
