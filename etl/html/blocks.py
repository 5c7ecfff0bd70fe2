"""The single walk over the tree: the page as a flat list of text blocks, and what the <head> says.

The tree is walked once, without recursion. Each paragraph-like element (or ``<br>``-separated line) becomes
a :class:`Block` carrying its length, link-text length, punctuation count and what its ancestors' tags and
class/id words say about it (boilerplate, content, heading, subtitle, caption, centred). Every block-level
element records the range of blocks it spans, so that the body chooser can name the smallest element around
the best run of text. Head tags (title, meta, canonical link, base, JSON-LD, ``<time>``) are read on the way.

A boilerplate-named element without prose (a menu, a share bar, a list of links) is collapsed into one block
with one pass over its strings instead of being walked: several times cheaper per node, and these lists are most of a
portal template's elements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from etl.html.parse import Element
from etl.html.vocabulary import BOILERPLATE_HINT, CAPTION_HINT, CONTENT_HINT, FIELD_HINT, SUBTITLE_HINT, WS

_SKIP_TAGS = frozenset(
    "script style noscript template svg math select option textarea button input object embed iframe "
    "canvas audio video map area head rp rt".split()
)
_BLOCK_TAGS = frozenset(
    "p div section article main aside header footer nav ul ol li dl dt dd table tbody thead tfoot tr td th "
    "h1 h2 h3 h4 h5 h6 blockquote pre figure figcaption form fieldset address center hr body html caption "
    "details summary menu dir legend frameset frame".split()
)
# block elements that hold one paragraph: never a body container themselves
_PARAGRAPH_TAGS = frozenset("p h1 h2 h3 h4 h5 h6 li dt dd pre figcaption caption th summary legend hr".split())
_FRAME_TAGS = _BLOCK_TAGS | {"a", "center"}
_HEAD_TAGS = frozenset({"meta", "link", "base", "time"})
_HEAD_READ = frozenset({"title", "meta", "link", "base", "script"})
_SPECIAL_TAGS = _SKIP_TAGS | _HEAD_TAGS | {"br", "img"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BOILERPLATE_TAGS = frozenset({"nav", "footer", "aside", "header"})
_COLLAPSIBLE_TAGS = frozenset({"nav", "footer", "aside"})  # <header> often holds the title and the date line
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_CENTER_STYLE = re.compile(r"text-align\s*:\s*center", re.I)
BODY_PUNCT = re.compile("[，。；！？、,;!]")  # ASCII too: re-published pages often carry half-width commas


@dataclass(slots=True, kw_only=True)
class Frame:
    """What an element passes down to the blocks inside it."""

    tag: Element
    depth: int
    block: bool
    start: int  # index of the first block inside
    junk_depth: int  # depth of the innermost boilerplate-hinted ancestor, 0 if none
    positive: bool  # inside a content-hinted element
    heading: int  # 1-6 inside <h1>…<h6>
    subtitle: bool
    caption: bool
    center: bool
    link: bool


@dataclass(slots=True, kw_only=True)
class Block:
    """One line of text on the page, with what its elements say about it."""

    text: str
    length: int  # characters, spaces between words not counted
    link_len: int  # characters inside links
    punct: int  # body punctuation marks
    tag: Element  # the block element it belongs to
    depth: int
    junk_depth: int  # depth of the innermost boilerplate-hinted ancestor, 0 if none
    positive: bool  # inside a content-hinted element
    heading: int  # 1-6 inside <h1>…<h6>, else 0
    subtitle: bool
    caption: bool
    center: bool
    collapsed: bool = False  # a boilerplate-named element without prose, kept as one block unwalked


def _block(frame: Frame, text: str, length: int, link_len: int, punct: int, collapsed: bool = False) -> Block:
    return Block(
        text=text,
        length=length,
        link_len=link_len,
        punct=punct,
        tag=frame.tag,
        depth=frame.depth,
        junk_depth=frame.junk_depth,
        positive=frame.positive,
        heading=frame.heading,
        subtitle=frame.subtitle,
        caption=frame.caption,
        center=frame.center,
        collapsed=collapsed,
    )


def is_link_list(block: Block) -> bool:
    return block.link_len > 0.5 * block.length


class Range(NamedTuple):
    """The blocks [start, end) that one block-level element spans."""

    start: int
    end: int
    depth: int
    tag: Element


class FieldHint(NamedTuple):
    """A small element whose class names the field it holds (<span class="author">)."""

    kind: str  # author, source or editor
    tag: Element
    at: int  # the block index where it starts (not `index`: that would hide tuple.index)


@dataclass(slots=True)
class RawImage:
    block_index: int
    src: str


@dataclass
class Walk:
    blocks: list[Block] = field(default_factory=list)
    ranges: list[Range] = field(default_factory=list)
    images: list[RawImage] = field(default_factory=list)
    title: str | None = None
    metas: dict[str, str] = field(default_factory=dict)
    canonical: str | None = None
    base: str | None = None
    json_ld: list[str] = field(default_factory=list)
    time_values: list[str] = field(default_factory=list)
    hinted: list[FieldHint] = field(default_factory=list)


def _hint_text(attrs: dict) -> str:
    """class, id and itemprop, lower-cased: the words a template uses to say what an element is."""
    words = [value for value in (attrs.get("class"), attrs.get("id"), attrs.get("itemprop")) if value]
    if not words:
        return ""
    return " ".join(value if isinstance(value, str) else " ".join(value) for value in words).lower()


def _is_hidden(attrs: dict) -> bool:
    if "hidden" in attrs:
        return True
    style = attrs.get("style")
    return isinstance(style, str) and _HIDDEN_STYLE.search(style) is not None


class Hints(NamedTuple):
    """What class/id words say about an element."""

    boilerplate: bool
    content: bool
    subtitle: bool
    caption: bool
    field: str  # author, source, editor, or "" when no field is named


@lru_cache(maxsize=4096)
def _hint_flags(hints: str) -> Hints:
    junk = BOILERPLATE_HINT.search(hints) is not None
    named = FIELD_HINT.search(hints)
    return Hints(
        boilerplate=junk,
        content=not junk and CONTENT_HINT.search(hints) is not None,
        subtitle=SUBTITLE_HINT.search(hints) is not None,
        caption=CAPTION_HINT.search(hints) is not None,
        field=(named.lastgroup or "") if named else "",
    )


def _child_frame(parent: Frame, tag: Element, name: str, start: int, hints: str, block: bool) -> Frame:
    junk_depth = parent.junk_depth
    positive = parent.positive
    subtitle = parent.subtitle
    caption = parent.caption or name == "figcaption" or name == "figure"
    center = parent.center or name == "center"
    if name in _BOILERPLATE_TAGS:
        junk_depth = parent.depth + 1
    if hints:
        flags = _hint_flags(hints)
        if flags.boilerplate:
            junk_depth = parent.depth + 1
        positive = positive or flags.content
        subtitle = subtitle or flags.subtitle
        caption = caption or flags.caption
    attrs = tag.attrs
    if attrs and not center:
        style = attrs.get("style")
        align = attrs.get("align")
        center = (isinstance(style, str) and _CENTER_STYLE.search(style) is not None) or (
            isinstance(align, str) and align.lower() == "center"
        )
    return Frame(
        tag=tag,
        depth=parent.depth + 1,
        block=block,
        start=start,
        junk_depth=junk_depth,
        positive=positive,
        heading=_HEADINGS.get(name, parent.heading),
        subtitle=subtitle,
        caption=caption,
        center=center,
        link=parent.link or name == "a",
    )


def _image_src(tag: Element) -> str | None:
    attrs = tag.attrs
    src = attrs.get("src")
    for lazy in ("data-original", "data-src", "data-lazy-src", "original", "data-url"):
        value = attrs.get(lazy)
        if isinstance(value, str) and value.strip():
            src = value  # lazy-loading pages keep a placeholder in src
            break
    if not isinstance(src, str):
        return None
    src = src.strip()
    if not src or src.startswith("data:"):
        return None
    return src


def _read_head_tag(tag: Element, name: str, out: Walk) -> None:
    attrs = tag.attrs
    if name == "head":
        for count, child in enumerate(tag.iter()):
            if count > 2000:
                break
            if type(child) is Element and child.name in _HEAD_READ:  # type: ignore[union-attr]
                _read_head_tag(child, child.name, out)  # type: ignore[arg-type,union-attr]
    elif name == "title":
        if out.title is None:
            out.title = WS.sub(" ", tag.text()).strip()
    elif name == "meta":
        key = attrs.get("name") or attrs.get("property") or attrs.get("itemprop") or attrs.get("http-equiv")
        content = attrs.get("content")
        if isinstance(key, str) and isinstance(content, str) and content.strip():
            out.metas.setdefault(key.strip().lower(), content.strip())
    elif name == "link":
        rel = attrs.get("rel")
        rels = rel.lower().split() if isinstance(rel, str) else []
        href = attrs.get("href")
        if "canonical" in rels and isinstance(href, str) and href.strip() and out.canonical is None:
            out.canonical = href.strip()
    elif name == "base":
        href = attrs.get("href")
        if isinstance(href, str) and href.strip() and out.base is None:
            out.base = href.strip()
    elif name == "script":
        kind = attrs.get("type")
        if isinstance(kind, str) and "ld+json" in kind.lower():
            script = tag.own_text()
            if script:
                out.json_ld.append(script)
    elif name == "time":
        value = attrs.get("datetime")
        if isinstance(value, str) and value.strip():
            out.time_values.append(value.strip())


def _text_unless_headline(tag: Element) -> str | None:
    """The element's text, like text(" "), or None when it holds an <h1> or <h2> (a headline, not furniture)."""
    parts: list[str] = []
    for node in tag.iter(text_only=True):
        if type(node) is str:
            parts.append(node)
        elif node.name in _HEADLINE_TAGS:  # type: ignore[union-attr]
            return None
    return " ".join(parts)


_HEADLINE_TAGS = frozenset({"h1", "h2"})


def _collapse(tag: Element, frame: Frame, blocks: list[Block]) -> bool:
    """A boilerplate-named element (nav, share bar, sidebar …) without prose becomes one block, unwalked.

    An element with prose in it (a misnamed wrapper around the article) or with a headline (a <header> or
    <aside> that holds the <h1> and the date line) is walked as usual.
    """
    if tag.name in ("html", "body"):
        return False
    text = _text_unless_headline(tag)
    if text is None:
        return False
    words = text.split()
    if not words:
        return True
    text = " ".join(words)
    punct = len(BODY_PUNCT.findall(text))
    if punct > 3:
        return False
    length = len(text) - len(words) + 1
    blocks.append(_block(frame, text, length, 0, punct, collapsed=True))
    return True


_MAX_FIELD_HINTS = 20


def _note_field_hint(tag: Element, hints: str, out: Walk) -> None:
    named = _hint_flags(hints).field
    if named and len(tag.children) <= 5:
        out.hinted.append(FieldHint(named, tag, len(out.blocks)))


def walk(root: Element, forced: Element | None) -> Walk:
    """The page's blocks, element ranges, images and head fields; ``forced`` is a body_selector's element."""
    out = Walk()
    blocks = out.blocks
    parts: list[str] = []
    link_len = 0
    top = Frame(
        tag=root,
        depth=0,
        block=True,
        start=0,
        junk_depth=0,
        positive=False,
        heading=0,
        subtitle=False,
        caption=False,
        center=False,
        link=False,
    )
    frames: list[Frame] = [top]
    block_frames: list[Frame] = [top]

    def flush() -> None:
        nonlocal link_len
        if not parts:
            return
        words = "".join(parts).split()
        parts.clear()
        if words:
            text = " ".join(words)
            length = len(text) - len(words) + 1
            blocks.append(_block(block_frames[-1], text, length, min(link_len, length), len(BODY_PUNCT.findall(text))))
        link_len = 0

    stack: list[tuple[Iterator, bool]] = [(iter(root.children), True)]  # False: a plain inline tag
    hinted = out.hinted
    while stack:
        node = next(stack[-1][0], None)
        if node is None:
            if not stack.pop()[1]:
                continue
            frame = frames.pop()
            if frame.block:
                flush()
                block_frames.pop()
                if frame.tag.name not in _PARAGRAPH_TAGS or frame.tag is forced:  # possible body containers
                    out.ranges.append(Range(frame.start, len(blocks), frame.depth, frame.tag))
            continue
        if type(node) is str:
            if not parts and node.isspace():
                continue  # whitespace between elements
            parts.append(node)
            if frames[-1].link:
                link_len += len(node.strip())
            continue
        name = node.name
        attrs = node.attrs
        if not attrs and name not in _FRAME_TAGS and name not in _SPECIAL_TAGS and node is not forced:
            stack.append((iter(node.children), False))
            continue
        if name in _SKIP_TAGS:
            _read_head_tag(node, name, out)
            continue
        if name == "br":
            flush()
            continue
        if name in _HEAD_TAGS:
            _read_head_tag(node, name, out)
        if name == "img":
            src = _image_src(node)
            if src:
                out.images.append(RawImage(len(blocks) + (1 if parts else 0), src))
            continue
        if attrs and ("style" in attrs or "hidden" in attrs) and _is_hidden(attrs):
            continue
        block = name in _BLOCK_TAGS or node is forced
        if block:
            flush()
        hints = _hint_text(attrs) if attrs else ""
        frame = _child_frame(frames[-1], node, name, len(blocks), hints, block)
        if (
            block
            and (hints or name in _COLLAPSIBLE_TAGS)
            and frame.junk_depth == frame.depth
            and forced is None
            and _collapse(node, frame, blocks)
        ):
            continue
        if hints and len(hinted) < _MAX_FIELD_HINTS:
            _note_field_hint(node, hints, out)
        frames.append(frame)
        if block:
            block_frames.append(frame)
        stack.append((iter(node.children), True))
    flush()
    return out
