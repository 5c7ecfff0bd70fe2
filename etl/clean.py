"""Decoded HTML -> article fields: a generic boilerplate remover for Chinese news and government portals.

The page is parsed once with BeautifulSoup (lxml parser) and walked once, without recursion, into a flat
list of text blocks (one per paragraph-like element or ``<br>``-separated line), each carrying its length,
link-text length, punctuation count and class/id hints, while every block-level element records the block
range it spans. The body container is the smallest element spanning the best-scoring run of blocks (a
maximum-sum run where punctuated, link-poor text scores positive and link lists, boilerplate-hinted blocks and
bare labels score negative). Inside it, page furniture is dropped: metadata lines (date, 来源, 作者, 责任编辑)
are read into fields, and next-article links, related lists, comment notices, share bars, font-size switchers
and copyright lines are removed, whether they sit in their own elements or in plain ``<p>`` s.

Labels are matched on a comparison key of each short block (pinyin annotations stripped, OpenCC t2s), so
Traditional and annotated forms (責(zé)任編輯) are recognised, while the returned text stays as on the page.

Errors: :func:`clean` never lets another exception escape; anything it cannot handle becomes
:class:`CleanError` (a ``ValueError``) with a readable message.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, Tag, XMLParsedAsHTMLWarning
from bs4.builder import LXMLTreeBuilder

from etl.text.chars import HAN, has_han
from etl.text.script import opencc_converter

SHANGHAI = ZoneInfo("Asia/Shanghai")


class CleanError(ValueError):
    """The page could not be cleaned; the message says why."""


@dataclass
class Image:
    src: str
    caption: str | None


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


# ---------------------------------------------------------------------------------------------------------
# Comparison keys: pinyin stripped, Traditional -> Simplified, with a map back to the original offsets

_PINYIN = re.compile(r"(?<=[\u3400-\u9fff])\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
_WIDTH = str.maketrans("０１２３４５６７８９：／－．　", "0123456789:/-. ")


@dataclass(slots=True)
class Key:
    """A block's text prepared for label matching, with the way back to the original's offsets."""

    text: str
    source: str
    cuts: list[tuple[int, int]]  # (offset in text, characters removed from the original up to there)

    def _origin(self, index: int) -> int:
        removed = 0
        for at, total in self.cuts:
            if at > index:
                break
            removed = total
        return index + removed

    def original(self, start: int, end: int) -> str:
        """The original text behind key[start:end] (pinyin annotations inside it included)."""
        if start >= end:
            return ""
        return self.source[self._origin(start) : self._origin(end - 1) + 1]


_FULL_WIDTH = re.compile("[０-９：／－．　]")


@lru_cache(maxsize=8192)
def make_key(text: str) -> Key:
    """責(zé)任編輯 -> 责任编辑: pinyin annotations cut, Traditional made Simplified, full-width digits halved.

    Cached (a site repeats its furniture on every page); the result must be treated as read-only.
    """
    cuts: list[tuple[int, int]] = []
    kept: list[str] = []
    pos = 0
    removed = 0
    for match in _PINYIN.finditer(text):
        kept.append(text[pos : match.start()])
        at = match.start() - removed  # where the key continues after the cut
        removed += match.end() - match.start()
        cuts.append((at, removed))
        pos = match.end()
    stripped = "".join(kept) + text[pos:] if kept else text
    converted = opencc_converter("t2s").convert(stripped) if has_han(stripped) else stripped
    if len(converted) != len(stripped):
        converted = "".join(opencc_converter("t2s").convert(ch) or ch for ch in stripped)
        if len(converted) != len(stripped):
            converted = stripped
    if _FULL_WIDTH.search(converted):
        converted = converted.translate(_WIDTH)
    return Key(converted, text, cuts)


# ---------------------------------------------------------------------------------------------------------
# The single walk over the tree

_SKIP_TAGS = frozenset(
    "script style noscript template svg math select option textarea button input object embed iframe "
    "canvas audio video map area head rp rt".split()
)
_BLOCK_TAGS = frozenset(
    "p div section article main aside header footer nav ul ol li dl dt dd table tbody thead tfoot tr td th "
    "h1 h2 h3 h4 h5 h6 blockquote pre figure figcaption form fieldset address center hr body html caption "
    "details summary menu dir legend frameset frame".split()
)
_FRAME_TAGS = _BLOCK_TAGS | {"a", "center"}
_HEAD_TAGS = frozenset({"meta", "link", "base", "time"})
_HEAD_READ = frozenset({"title", "meta", "link", "base", "script"})
_SPECIAL_TAGS = _SKIP_TAGS | _HEAD_TAGS | {"br", "img"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BOILERPLATE_TAGS = frozenset({"nav", "footer", "aside", "header"})
_COLLAPSIBLE_TAGS = frozenset({"nav", "footer", "aside"})  # <header> often holds the title and the date line
# class/id words that mark page furniture (导航, 分享, 评论, 相关, 推荐, 广告, 版权, 打印, 字号 …)
_BOILERPLATE_HINT = re.compile(
    r"share|comment|footer|sidebar|breadcrumb|crumb|copyright|recommend|related|relate|advert|pinglun|"
    r"tuijian|banquan|jiathis|bdshare|bshare|qrcode|erweima|fontsize|toolbar|pagination|guanggao|navbar|"
    r"friendlink|youqing|dayin|weizhi|dqwz|xgxw|xgwz|xgyd|yqlj|hotnews|paihang|rank|prenext|prevnext|"
    r"(?:^|[^a-z])(?:nav|menu|ad|ads|foot|bottom|side|tool|tools|print|close|hot|links?|login|search|"
    r"pager|pages|prev|next|location|position|hidden|modal|popup|dialog|zihao|fenxiang|"
    r"social|tags?|keywords?)(?:$|[^a-z])"
)
_CONTENT_HINT = re.compile(
    r"content|article|artical|zoom|trs_editor|unionstyle|zhengwen|detail|story|entry|post|text|"
    r"(?:^|[^a-z])(?:main|body|con|cont|zw|nr|wz)(?:$|[^a-z])"
)
_SUBTITLE_HINT = re.compile(
    r"sub[-_]?tit|subhead|vice[-_]?tit|fu[-_]?tit|fbt|yin[-_]?tit|pre[-_]?tit|lead[-_]?tit|ytitle|deck|"
    r"(?:^|[^a-z])(?:yt|ft|sub)(?:$|[^a-z])"
)
# class/id/itemprop words of elements that hold one field: <span class="author">, <span class="source"> …
_FIELD_HINT = re.compile(
    r"(?:^|[\s_-])(?:(?P<author>author|writer|zuozhe|reporter|jizhe)|(?P<source>source|laiyuan|from|origin)|"
    r"(?P<editor>editor|bianji|zrbj))(?:$|[\s_-])"
)
_CAPTION_HINT = re.compile(r"caption|pic|img|image|photo|(?:^|[^a-z])(?:tu|tp|note|desc)(?:$|[^a-z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_CENTER_STYLE = re.compile(r"text-align\s*:\s*center", re.I)
_WS = re.compile(r"\s+")
_BODY_PUNCT = re.compile("[，。；！？、,;!]")  # ASCII too: re-published pages often carry half-width commas


@dataclass(slots=True)
class _Frame:
    """What an element passes down to the blocks inside it."""

    tag: Tag
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


@dataclass(slots=True)
class Block:
    text: str
    length: int
    link_len: int
    punct: int
    tag: Tag
    depth: int
    junk_depth: int
    positive: bool
    heading: int
    subtitle: bool
    caption: bool
    center: bool


@dataclass
class _RawImage:
    block_index: int
    src: str


@dataclass
class _Walk:
    blocks: list[Block] = field(default_factory=list)
    ranges: list[tuple[int, int, int, Tag]] = field(default_factory=list)  # (start, end, depth, tag)
    images: list[_RawImage] = field(default_factory=list)
    title: str | None = None
    metas: dict[str, str] = field(default_factory=dict)
    canonical: str | None = None
    base: str | None = None
    json_ld: list[str] = field(default_factory=list)
    time_values: list[str] = field(default_factory=list)
    hinted: list[tuple[str, Tag, int]] = field(default_factory=list)  # (field, element, block index)


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


@lru_cache(maxsize=4096)
def _hint_flags(hints: str) -> tuple[bool, bool, bool, bool, str]:
    """What class/id words say: (boilerplate, content, subtitle, caption, field named)."""
    junk = _BOILERPLATE_HINT.search(hints) is not None
    named = _FIELD_HINT.search(hints)
    return (
        junk,
        not junk and _CONTENT_HINT.search(hints) is not None,
        _SUBTITLE_HINT.search(hints) is not None,
        _CAPTION_HINT.search(hints) is not None,
        (named.lastgroup or "") if named else "",
    )


def _child_frame(parent: _Frame, tag: Tag, name: str, start: int, hints: str, block: bool) -> _Frame:
    junk_depth = parent.junk_depth
    positive = parent.positive
    subtitle = parent.subtitle
    caption = parent.caption or name == "figcaption" or name == "figure"
    center = parent.center or name == "center"
    if name in _BOILERPLATE_TAGS:
        junk_depth = parent.depth + 1
    if hints:
        is_junk, is_content, is_subtitle, is_caption, _named = _hint_flags(hints)
        if is_junk:
            junk_depth = parent.depth + 1
        positive = positive or is_content
        subtitle = subtitle or is_subtitle
        caption = caption or is_caption
    attrs = tag.attrs
    if attrs and not center:
        style = attrs.get("style")
        align = attrs.get("align")
        center = (isinstance(style, str) and _CENTER_STYLE.search(style) is not None) or (
            isinstance(align, str) and align.lower() == "center"
        )
    return _Frame(tag, parent.depth + 1, block, start, junk_depth, positive, _HEADINGS.get(name, parent.heading),
                  subtitle, caption, center, parent.link or name == "a")


def _image_src(tag: Tag) -> str | None:
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


def _walk(soup: BeautifulSoup, forced: Tag | None) -> _Walk:
    out = _Walk()
    blocks = out.blocks
    parts: list[str] = []
    link_len = 0
    root = _Frame(soup, 0, True, 0, 0, False, 0, False, False, False, False)
    frames: list[_Frame] = [root]
    block_frames: list[_Frame] = [root]

    def flush() -> None:
        nonlocal link_len
        if not parts:
            return
        words = "".join(parts).split()
        parts.clear()
        if words:
            text = " ".join(words)
            frame = block_frames[-1]
            length = len(text) - len(words) + 1
            blocks.append(
                Block(text, length, min(link_len, length), len(_BODY_PUNCT.findall(text)), frame.tag, frame.depth,
                      frame.junk_depth, frame.positive, frame.heading, frame.subtitle, frame.caption, frame.center)
            )
        link_len = 0

    stack: list[tuple[Iterator, bool]] = [(iter(soup.contents), True)]  # False: a plain inline tag
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
                    out.ranges.append((frame.start, len(blocks), frame.depth, frame.tag))
            continue
        if type(node) is NavigableString:
            if not parts and node.isspace():
                continue  # whitespace between elements
            parts.append(node)
            if frames[-1].link:
                link_len += len(node.strip())
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name
        attrs = node.attrs
        if not attrs and name not in _FRAME_TAGS and name not in _SPECIAL_TAGS and node is not forced:
            stack.append((iter(node.contents), False))
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
                out.images.append(_RawImage(len(blocks) + (1 if parts else 0), src))
            continue
        if attrs and ("style" in attrs or "hidden" in attrs) and _is_hidden(attrs):
            continue
        block = name in _BLOCK_TAGS or node is forced
        if block:
            flush()
        hints = _hint_text(attrs) if attrs else ""
        frame = _child_frame(frames[-1], node, name, len(blocks), hints, block)
        if (block and (hints or name in _COLLAPSIBLE_TAGS) and frame.junk_depth == frame.depth and forced is None
                and _collapse(node, frame, blocks)):
            continue
        if hints and len(hinted) < 20:
            _note_field_hint(node, hints, out)
        frames.append(frame)
        if block:
            block_frames.append(frame)
        stack.append((iter(node.contents), True))
    flush()
    return out


def _collapse(tag: Tag, frame: _Frame, blocks: list[Block]) -> bool:
    """A boilerplate-named element (nav, share bar, sidebar …) without prose becomes one block, unwalked.

    get_text is several times cheaper per node than the walk, and these lists are most of a template's
    elements. An element with prose in it (a misnamed wrapper around the article) is walked as usual.
    """
    if tag.name in ("html", "body"):
        return False
    words = tag.get_text(" ").split()
    if not words:
        return True
    text = " ".join(words)
    punct = len(_BODY_PUNCT.findall(text))
    if punct > 3:
        return False
    length = len(text) - len(words) + 1
    blocks.append(Block(text, length, 0, punct, tag, frame.depth, frame.junk_depth, frame.positive, frame.heading,
                        frame.subtitle, frame.caption, frame.center))
    return True


def _note_field_hint(tag: Tag, hints: str, out: _Walk) -> None:
    named = _hint_flags(hints)[4]
    if named and len(tag.contents) <= 5:
        out.hinted.append((named, tag, len(out.blocks)))


def _hinted_fields(walk: _Walk, lo: int, hi: int) -> dict[str, str]:
    """Fields from small elements whose class names them (作者/来源/编辑 without a printed label)."""
    found: dict[str, str] = {}
    for kind, tag, index in walk.hinted:
        if not lo <= index < hi:
            continue
        text = _WS.sub(" ", tag.get_text(" ")).strip()
        if not text or len(text) > 40 or kind in found:
            continue
        meta = read_meta_line(text)
        value = meta.fields.get(kind) if meta.fields else _cut_value(text, kind)
        if value:
            found[kind] = value
    return found


def _read_head_tag(tag: Tag, name: str, out: _Walk) -> None:
    attrs = tag.attrs
    if name == "head":
        for count, child in enumerate(tag.descendants):
            if count > 2000:
                break
            if isinstance(child, Tag) and child.name in _HEAD_READ:
                _read_head_tag(child, child.name, out)
    elif name == "title":
        if out.title is None:
            out.title = _WS.sub(" ", tag.get_text()).strip()
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
        if isinstance(kind, str) and "ld+json" in kind.lower() and tag.string:
            out.json_ld.append(str(tag.string))
    elif name == "time":
        value = attrs.get("datetime")
        if isinstance(value, str) and value.strip():
            out.time_values.append(value.strip())


# ---------------------------------------------------------------------------------------------------------
# Choosing the body container

def _block_value(block: Block, use_hints: bool) -> float:
    """What a block adds to a run of article text: punctuated plain text counts for, links count twice against."""
    length = block.length
    if use_hints and block.junk_depth:
        return -float(length)
    if block.link_len > 0.35 * length:
        return -2.0 * length
    plain = length - block.link_len
    if block.punct == 0 or plain < 8:
        return -0.5 * min(plain, 30)
    return plain * (1.5 if use_hints and block.positive else 1.0)


def _best_run(blocks: list[Block], use_hints: bool) -> tuple[int, int, float]:
    """The run of blocks [start, end) with the largest summed value (Kadane)."""
    best = (0, 0, 0.0)
    start = 0
    total = 0.0
    for index, block in enumerate(blocks):
        if total <= 0:
            start = index
            total = 0.0
        total += _block_value(block, use_hints)
        if total > best[2]:
            best = (start, index + 1, total)
    return best


_PARAGRAPH_TAGS = frozenset("p h1 h2 h3 h4 h5 h6 li dt dd pre figcaption caption th summary legend hr".split())


def _covering_range(walk: _Walk, start: int, end: int) -> tuple[int, int, int]:
    """The smallest element spanning blocks [start, end) that can hold paragraphs: its (start, end, depth)."""
    best = (0, len(walk.blocks), 0)
    for r_start, r_end, depth, _tag in walk.ranges:
        if r_start <= start and r_end >= end:
            size = r_end - r_start
            best_size = best[1] - best[0]
            if size < best_size or (size == best_size and depth > best[2]):
                best = (r_start, r_end, depth)
    return best


@dataclass
class _Choice:
    start: int  # the container's blocks [start, end)
    end: int
    depth: int
    run_end: int  # end of the best run; past it, the first boilerplate block ends the article


def _container(walk: _Walk, forced: Tag | None) -> _Choice:
    if forced is not None:
        for r_start, r_end, depth, tag in walk.ranges:
            if tag is forced:
                return _Choice(r_start, r_end, depth, r_end)
    blocks = walk.blocks
    hinted = _best_run(blocks, use_hints=True)
    plain = _best_run(blocks, use_hints=False)
    use_hints = hinted[2] >= 0.3 * plain[2]
    run = hinted if use_hints else plain
    if run[1] <= run[0]:
        return _Choice(0, 0, 0, 0)
    start, end, depth = _covering_range(walk, run[0], run[1])
    return _Choice(start, end, depth, run[1])


# ---------------------------------------------------------------------------------------------------------
# Labels: metadata lines and furniture

# field labels (longer ones before their prefixes) and the field each one fills
_FIELD_LABELS: list[tuple[str, str]] = [
    ("责任编辑", "editor"),
    ("责编", "editor"),
    ("值班编辑", "editor"),
    ("网络编辑", "editor"),
    ("编辑", "editor"),
    ("审核", "other"),
    ("审校", "other"),
    ("校对", "other"),
    ("终审", "other"),
    ("初审", "other"),
    ("复审", "other"),
    ("监制", "other"),
    ("发布者", "other"),
    ("发布人", "other"),
    ("发布机构", "other"),
    ("发布单位", "other"),
    ("发布时间", "date"),
    ("发布日期", "date"),
    ("发表时间", "date"),
    ("发表日期", "date"),
    ("发稿时间", "date"),
    ("刊发时间", "date"),
    ("更新时间", "date"),
    ("成文日期", "date"),
    ("时间", "date"),
    ("日期", "date"),
    ("文章来源", "source"),
    ("信息来源", "source"),
    ("新闻来源", "source"),
    ("稿件来源", "source"),
    ("来源", "source"),
    ("稿源", "source"),
    ("出处", "source"),
    ("作者", "author"),
    ("记者", "author"),
    ("通讯员", "author"),
    ("撰稿人", "author"),
    ("撰稿", "author"),
    ("撰文", "author"),
    ("供稿", "author"),
    ("文字", "author"),
    ("文/图", "author"),
    ("图/文", "author"),
    ("文", "author"),
    ("摄影", "photo"),
    ("图", "photo"),
    ("浏览次数", "other"),
    ("阅读次数", "other"),
    ("点击数", "other"),
    ("点击量", "other"),
    ("浏览量", "other"),
    ("阅读量", "other"),
    ("访问量", "other"),
    ("点击", "other"),
    ("字号", "other"),
    ("字体", "other"),
]
_FIELD_OF = dict(_FIELD_LABELS)
# a label counts when a separator follows it; 记者/通讯员/编辑 may also be followed by a space
# who a byline belongs to: 本报记者, 新华社记者 …
_BYLINE_PREFIX = "本报|本台|本刊|本网|本站|特约|见习|实习|首席|新华社|中新社|中新网|人民网"
_LABEL = re.compile(
    rf"(?:{_BYLINE_PREFIX})?"
    r"(?P<label>"
    + "|".join(re.escape(label) for label, _ in _FIELD_LABELS)
    + r")(?P<sep>\s*[:：︰]\s*|\s*[/／]\s*|\s+(?=\S)|(?<=记者|讯员)(?=[\u3400-\u9fff]{2,4}(?:\s|$|[）)】])))"
)
_LOOSE_LABELS = frozenset({"记者", "通讯员", "编辑", "责任编辑", "责编", "撰稿", "摄影", "作者", "文/图", "图/文"})
_SLASH_LABELS = frozenset({"文", "图", "文/图", "图/文", "摄影", "记者", "作者"})

_OPENERS = "【[（(〔<《「『 "
_CLOSERS = "】]）)〕>》」』 "

# lines after which nothing belongs to the article (上一篇/下一篇, 相关推荐, 网友评论 …)
_END_MARKER = re.compile(
    r"^(?:上一篇|下一篇|上一条|下一条|上篇|下篇|随便看看|相关推荐|相关阅读|相关新闻|相关文章|相关链接|相关报道|"
    r"延伸阅读|推荐阅读|热门推荐|热点推荐|精彩推荐|猜你喜欢|热门文章|热点新闻|最新新闻|热门新闻|网友评论|"
    r"我要评论|发表评论|评论|已有\d+人|打印本页|关闭窗口|【打印】|【关闭】|返回顶部|返回首页)"
    r"(?:\s*[:：︰>》]|\s|$|】)"
)
# lines to drop wherever they sit (分享, 字号, 打印, 扫码, 当前位置, 版权 …)
_FURNITURE = re.compile(
    r"^(?:(?:分享到|分享至|分享|字号|字体|打印|关闭|收藏|标签|关键词|关键字|纠错|我要纠错|位置|当前位置|您的位置|所在位置|"
    r"现在位置|您现在的位置|您当前的位置|浏览次数|阅读次数|点击数|访问量)(?:\s*[:：︰】]|\s|$)"
    r"|扫一扫|扫码|微信扫|用手机扫|首页\s*[>＞»›]|【?\s*大\s*中\s*小)"
)
_COPYRIGHT = re.compile(r"版权所有|copyright|©|\(c\)\s*\d{4}|icp备|icp证|公网安备|网安备", re.I)
# site-footer words: one alone can be prose (专家建议使用…), two in a short line are a footer
_FOOTER_WORDS = re.compile(
    r"主办单位|承办单位|技术支持|建议使用|分辨率|未经授权|禁止转载|不得转载|本站声明|联系我们|网站地图|关于我们"
)
_CONTACT = re.compile(r"(?:地址|电话|邮编|传真|邮箱|e-mail|主办|承办|协办|备案号?)\s*[:：]", re.I)
_CAPTION_TEXT = re.compile(r"^(?:图为|图：|图:|上图|下图|左图|右图|▲)|摄[)）]?$|摄影[)）]?$|供图[)）]?$")
_NAME_NOISE = re.compile(
    r"[(（〔\[【](?![a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\))[^)）〕\]】]*(?:[)）〕\]】]|$)"  # (单位), not (pīn)
    r"|报道$|摄影?$|供图$|整理$|图文$|/文$|/图$|文/图$"
)


_EDGE = _OPENERS + _CLOSERS + "|丨｜"
_PINYIN_AT_END = re.compile(_PINYIN.pattern + "$")


def _trim_brackets(text: str) -> str:
    """Strip brackets and bars from both ends, but not the ")" closing a pinyin annotation (買買提(tí))."""
    text = text.lstrip(_EDGE)
    while text and text[-1] in _EDGE and not (text[-1] == ")" and _PINYIN_AT_END.search(text)):
        text = text[:-1]
    return text


@dataclass
class MetaLine:
    fields: dict[str, str]
    dates: list[datetime]
    is_meta: bool  # the whole line is metadata (labels and their values), not prose
    date_rank: int = 3  # 0 发布时间 … 2 更新时间/成文日期, 3 a date without a label


_UNLABELLED_RANK = 3


def _date_rank(label: str) -> int:
    """Which labelled date is the publication date: 发布/发表 before 时间/日期 before 更新/成文."""
    if any(word in label for word in ("发布", "发表", "发稿", "刊发")):
        return 0
    if "更新" in label or "成文" in label:
        return 2
    return 1


@lru_cache(maxsize=8192)
def read_meta_line(text: str) -> MetaLine:
    """Read labelled fields (来源, 作者, 责任编辑, 发布时间 …) out of one short line as it stands on the page.

    Cached, like make_key: the result must be treated as read-only.
    """
    key = make_key(text)
    ktext = key.text
    found = [m for m in _LABEL.finditer(ktext) if _label_counts(m, ktext)]
    fields: dict[str, str] = {}
    ranked: list[tuple[int, datetime]] = []
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(ktext)
        value_key = ktext[match.end() : end]
        value = _trim_brackets(key.original(match.end(), end))
        kind = _FIELD_OF[match.group("label")]
        if kind == "date":
            stamp = find_date(value_key)
            if stamp:
                ranked.append((_date_rank(match.group("label")), stamp))
            continue
        value = _cut_value(value, kind)
        if value and kind not in fields:
            fields[kind] = value
        elif value and kind == "author":
            fields[kind] = f"{fields[kind]} {value}"
    ranked.sort(key=lambda pair: pair[0])
    dates = [stamp for _, stamp in ranked]
    rank = ranked[0][0] if ranked else _UNLABELLED_RANK
    stamp = find_date(ktext)
    if stamp and not dates:
        dates.append(stamp)
    stripped = _trim_brackets(ktext)
    prose = len(stripped) > 40 and any(mark in ktext for mark in "。！？")
    is_meta = bool(found) and not prose and len(stripped) <= 160
    is_meta = is_meta and (_only_lead_in(ktext[: found[0].start()]) or len(found) >= 2)
    if not found and stamp and len(stripped) <= 40:
        is_meta = _DATE_ONLY.fullmatch(_WS.sub(" ", stripped)) is not None
    return MetaLine(fields, dates, is_meta, rank)


_DATE_ONLY = re.compile(r"[\d\s年月日:：/.\-时分秒星期一二三四五六日天TZ+]+")


def _only_lead_in(text: str) -> bool:
    """Nothing but brackets, a byline prefix (本报, 新华社 …) or a date stands before the first label."""
    return not _LEAD_PREFIX.sub("", _DATE.sub("", text)).strip()


_LEAD_PREFIX = re.compile(rf"[\s【\[（(〔|丨｜]|{_BYLINE_PREFIX}")


def _label_counts(match: re.Match[str], ktext: str) -> bool:
    label = match.group("label")
    sep = match.group("sep")
    start = match.start("label")
    before = ktext[start - 1] if start else ""
    if before and HAN.match(before) and not _LABEL_PREFIX_END.search(ktext[: start]):
        return False
    if ":" in sep or "：" in sep or "︰" in sep:
        return True
    if "/" in sep or "／" in sep:
        return label in _SLASH_LABELS
    if not sep:
        return label in ("记者", "通讯员")
    return label in _LOOSE_LABELS


_LABEL_PREFIX_END = re.compile(rf"(?:{_BYLINE_PREFIX})$")


# "新疆日报记者张三" inside a 作者 value: keep the name after the role
_ROLE_PREFIX = re.compile(r"^.{0,12}?(?:记者|記者|通讯员|通訊員|特约撰稿|特約撰稿)")


def _cut_value(value: str, kind: str) -> str:
    value = re.split(r"\s{2,}|[|丨｜]|\d{4}\s*[-/.年]\s*\d{1,2}", value)[0].strip()
    value = _trim_brackets(value)
    if kind in ("author", "editor", "photo"):
        names = []
        for token in re.split(r"[\s、，,;；]+", _NAME_NOISE.sub(" ", value)):
            token = _trim_brackets(_ROLE_PREFIX.sub("", token))
            if token and len(token) <= 20:
                names.append(token)
        return " ".join(names)
    if len(value) > 40:
        return ""
    return value


# ---------------------------------------------------------------------------------------------------------
# Dates

_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:年|[-/.])\s*(?P<m>\d{1,2})\s*(?:月|[-/.])\s*(?P<d>\d{1,2})(?!\d)\s*日?"
    r"(?:\s*(?:星期.|周.)?\s*[T ]?\s*(?P<H>\d{1,2})\s*(?:[:：时])\s*(?P<M>\d{1,2})"
    r"(?:\s*(?:[:：分])\s*(?P<S>\d{1,2}))?(?:\.\d+)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2}|UTC|GMT)?)?"
)
_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/_]?(0[1-9]|1[0-2])[-/_]?(0[1-9]|[12]\d|3[01])(?!\d)")
_COMPACT_DATE = re.compile(r"^((?:19|20)\d{2})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$")


_HAN_DIGITS = str.maketrans("〇零○一二三四五六七八九", "000123456789")
_HAN_NUMERAL = "[一二三四五六七八九十]"
_HAN_DATE = re.compile(rf"([〇零○一二三四五六七八九]{{4}})年({_HAN_NUMERAL}{{1,2}})月({_HAN_NUMERAL}{{1,3}})日")


def _han_number(text: str) -> int:
    """一 .. 三十一, the way months and days are written in 二〇二三年六月十二日."""
    if "十" not in text:
        return int(text.translate(_HAN_DIGITS))
    tens, _, units = text.partition("十")
    return int(tens.translate(_HAN_DIGITS) or 1) * 10 + int(units.translate(_HAN_DIGITS) or 0)


def _arabic_dates(text: str) -> str:
    return _HAN_DATE.sub(
        lambda m: f"{m.group(1).translate(_HAN_DIGITS)}年{_han_number(m.group(2))}月{_han_number(m.group(3))}日", text
    )


def find_date(text: str) -> datetime | None:
    """The first plausible date (with time, when given) in a short text; Asia/Shanghai unless a zone is given."""
    text = text.translate(_WIDTH)
    if "年" in text and _HAN_DATE.search(text):
        text = _arabic_dates(text)
    for match in _DATE.finditer(text):
        stamp = _make_date(match)
        if stamp:
            return stamp
    return None


def _make_date(match: re.Match[str]) -> datetime | None:
    groups = match.groupdict()
    try:
        year, month, day = int(groups["y"]), int(groups["m"]), int(groups["d"])
        hour = int(groups["H"]) if groups["H"] else 0
        minute = int(groups["M"]) if groups["M"] else 0
        second = int(groups["S"]) if groups["S"] else 0
        if hour > 23 or minute > 59 or second > 59:
            hour = minute = second = 0
        zone = _zone(groups["tz"])
        return _plausible(datetime(year, month, day, hour, minute, second, tzinfo=zone))
    except ValueError:
        return None


def _zone(text: str | None) -> timezone | ZoneInfo:
    if not text:
        return SHANGHAI
    if text in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _plausible(stamp: datetime) -> datetime | None:
    now = datetime.now(UTC)
    if stamp.year < 1990 or stamp > now + timedelta(days=2):
        return None
    return stamp


def _meta_date(value: str) -> datetime | None:
    value = value.strip()
    if value.isdigit() and len(value) in (10, 13):
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        try:
            return _plausible(datetime.fromtimestamp(seconds, UTC).astimezone(SHANGHAI))
        except (OverflowError, OSError, ValueError):
            return None
    compact = _COMPACT_DATE.match(value)
    if compact:
        year, month, day, hour, minute, second = (int(g) if g else 0 for g in compact.groups())
        try:
            return _plausible(datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI))
        except ValueError:
            return None
    return find_date(value)


def _url_date(url: str | None) -> datetime | None:
    if not url:
        return None
    path = urlsplit(url).path
    for match in _URL_DATE.finditer(path):
        try:
            stamp = datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)), tzinfo=SHANGHAI)
        except ValueError:
            continue
        stamp = _plausible(stamp)
        if stamp:
            return stamp
    return None


_META_DATE_NAMES = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "pubdate",
    "publishdate",
    "publish_date",
    "publish-date",
    "publishtime",
    "published_time",
    "datepublished",
    "dc.date.issued",
    "dc.date",
    "dcterms.issued",
    "firstpublishedtime",
    "originalpublicationdate",
    "sailthru.date",
    "parsely-pub-date",
    "weibo:article:create_at",
    "releasedate",
    "createdate",
    "date",
)


# ---------------------------------------------------------------------------------------------------------
# Title and subtitle

_TITLE_SPLIT = re.compile(r"\s*(?:_|\||｜|--|——|—|–| - | :: |(?<=[\u3400-\u9fff，。,！？”）])-(?=[\u3400-\u9fff]))\s*")


def _squash(text: str) -> str:
    return _WS.sub("", text)


def _pick_title(walk: _Walk, headings: list[str], ld_headline: str | None) -> str | None:
    page_title = walk.title or ""
    segments = [s for s in _TITLE_SPLIT.split(page_title) if s.strip()]
    main = max(segments, key=len) if segments else ""
    metas = walk.metas
    candidates = [
        metas.get("articletitle"),
        metas.get("og:title"),
        metas.get("twitter:title"),
        ld_headline,
        *headings,
    ]
    squashed_title = _squash(page_title)
    later_segments = {_squash(s) for s in segments[1:]} if len(segments) > 1 else set()
    for candidate in candidates:
        if not candidate:
            continue
        text = _WS.sub(" ", candidate).strip()
        squashed = _squash(text)
        if len(squashed) < 2 or squashed in later_segments and squashed != _squash(main):
            continue
        if not squashed_title:
            return text
        if squashed == squashed_title and len(segments) > 1:
            continue
        if squashed in squashed_title or (main and _squash(main) in squashed):
            return text
    if main:
        return main.strip()
    for candidate in candidates:
        if candidate and candidate.strip():
            return _WS.sub(" ", candidate).strip()
    return None


def _title_block(blocks: list[Block], title: str | None, near: int) -> int | None:
    """The block showing the title, the one nearest the body when the page repeats it."""
    if not title:
        return None
    target = _squash(title)
    best: int | None = None
    for index, block in enumerate(blocks):
        if abs(block.length - len(target)) > 2 or _squash(block.text) != target:
            continue
        if best is None or abs(index - near) < abs(best - near) or (block.heading and not blocks[best].heading):
            best = index
    return best


def _title_prefix_block(blocks: list[Block], page_title: str | None, near: int) -> int | None:
    """A block whose text starts <title> and is followed there by a separator: "标题-某某县人民政府"."""
    if not page_title:
        return None
    target = _squash(page_title)
    best: int | None = None
    for index, block in enumerate(blocks):
        if block.length < 4 or block.length >= len(target) or _is_link_list(block):
            continue
        text = _squash(block.text)
        if target.startswith(text) and target[len(text)] in _TITLE_SEPARATORS:
            if best is None or abs(index - near) < abs(best - near):
                best = index
    return best


_TITLE_SEPARATORS = "-_|｜—–:：·•»>"


def _layout_title(blocks: list[Block], start: int) -> int | None:
    """When the page's <title> is only the site name: the title-like line just above the body."""
    for index in range(start - 1, max(start - 7, -1), -1):
        block = blocks[index]
        if _is_link_list(block) or block.length > 80 or block.length < 5:
            continue
        key = make_key(block.text).text
        if read_meta_line(block.text).is_meta or _is_furniture(block, key) or key.endswith(("。", "！", "？")):
            continue
        if block.heading or block.center or block.subtitle or block.length >= 8:
            return index
    return None


def _is_subtitle(block: Block, title_block: Block) -> bool:
    """引题/副题: a short line beside the title, named so by its class or a heading in the title's element."""
    if block.length > 80 or block.link_len > 0.3 * block.length:
        return False
    if _squash(block.text) == _squash(title_block.text) or block.text.endswith(("。", "！", "？")):
        return False
    sibling_heading = block.heading and block.tag.parent is title_block.tag.parent
    if not (block.subtitle or sibling_heading):
        return False
    return not read_meta_line(block.text).is_meta


# ---------------------------------------------------------------------------------------------------------
# JSON-LD

def _json_ld_fields(scripts: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for script in scripts[:5]:
        try:
            data = json.loads(script)
        except ValueError:
            continue
        pending = [data]
        seen = 0
        while pending and seen < 500:
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


def _json_ld_names(author: object) -> str:
    items = author if isinstance(author, list) else [author]
    names = []
    for item in items[:10]:
        if isinstance(item, dict):
            item = item.get("name")
        if isinstance(item, str) and item.strip():
            names.append(item.strip())
    return " ".join(names)


# ---------------------------------------------------------------------------------------------------------
# The body: filter the container's blocks

@dataclass
class _Fields:
    source: str | None = None
    author: str | None = None
    editor: str | None = None
    ranked: list[tuple[int, datetime]] = field(default_factory=list)

    def take(self, meta: MetaLine) -> None:
        self.source = self.source or meta.fields.get("source")
        self.author = self.author or meta.fields.get("author")
        self.editor = self.editor or meta.fields.get("editor")
        self.ranked.extend((meta.date_rank, stamp) for stamp in meta.dates)

    @property
    def dates(self) -> list[datetime]:
        """Dates of the lines taken, 发布时间 first (stable within a rank)."""
        return [stamp for _, stamp in sorted(self.ranked, key=lambda pair: pair[0])]


def _is_link_list(block: Block) -> bool:
    return block.link_len > 0.5 * block.length


def _is_furniture(block: Block, key: str) -> bool:
    """Share bars, font-size switchers, 当前位置 breadcrumbs, copyright/ICP and contact lines."""
    stripped = key.lstrip(_OPENERS + "|丨｜")
    if block.length <= 60 and _FURNITURE.match(stripped):
        return True
    if block.length <= 200 and block.punct <= 3 and _COPYRIGHT.search(key):
        return True
    if block.length <= 120 and len(_FOOTER_WORDS.findall(key)) >= 2:
        return True
    return block.length <= 120 and len(_CONTACT.findall(key)) >= 2


def _is_caption(block: Block, key: str) -> bool:
    """The line under a photo: named so by its element, worded like one (图为…, …摄), or short and centred."""
    if block.length > 150 or _is_link_list(block):
        return False
    if block.caption or _CAPTION_TEXT.search(key):
        return True
    return block.center and block.length <= 100 and not key.endswith(("。", "！", "？"))


_ICON_SRC = re.compile(r"logo|icon|share|qrcode|erweima|ewm|weixin|wechat|blank|spacer|pixel|loading|arrow|btn", re.I)


def _is_icon(src: str) -> bool:
    return _ICON_SRC.search(src.rsplit("/", 1)[-1]) is not None


@dataclass
class _Body:
    paragraphs: list[str]
    captions: dict[int, str]  # image block index -> caption
    fields: _Fields
    first: int  # index of the first block kept, or of the end when none


def _body(walk: _Walk, choice: _Choice, start: int, skip: set[int], title: str | None) -> _Body:
    blocks = walk.blocks
    end, depth = choice.end, choice.depth
    image_blocks = {raw.block_index: raw for raw in walk.images if not _is_icon(raw.src)}
    fields = _Fields()
    paragraphs: list[str] = []
    captions: dict[int, str] = {}
    squashed_title = _squash(title) if title else None
    content_seen = False
    first = end
    for index in range(start, end):
        block = blocks[index]
        if index in skip:
            continue
        if index >= choice.run_end and content_seen and _block_value(block, True) <= -10:
            break  # link lists or boilerplate after the text: what follows in the container is not the article
        # labels and furniture sit in short lines; long punctuated prose is never looked up
        keyed = make_key(block.text) if block.length <= 80 or (block.length <= 200 and block.punct < 3) else None
        key = keyed.text if keyed else ""
        bare = key.lstrip(_OPENERS + "|丨｜")
        if key and _END_MARKER.match(bare):
            if content_seen:
                break
            continue
        if block.junk_depth > depth:
            if keyed and block.length <= 80:
                meta = read_meta_line(block.text)
                if meta.is_meta:
                    fields.take(meta)
            continue
        if block.heading and squashed_title and _squash(block.text) == squashed_title:
            continue
        owner = image_blocks.get(index) or image_blocks.get(index - 1)
        if owner is not None and owner.block_index not in captions and _is_caption(block, key or block.text):
            captions[owner.block_index] = block.text  # before labels: "图：…" under a photo is its caption
            continue
        if keyed and block.length <= 160:
            meta = read_meta_line(block.text)
            # inside the text, a labelled line must give something ("时间：6月12日 地点：…" is prose)
            if meta.is_meta and (not content_seen or meta.fields or meta.dates):
                fields.take(meta)
                if content_seen and "editor" in meta.fields:
                    break  # 责任编辑 after the text: the article ends here
                continue
            if not content_seen and meta.dates and block.length <= 60 and not block.punct:
                continue  # a bare date line above the text ("2023-10-08 09:12 宁夏日报")
        if key and _is_furniture(block, key):
            if block.length <= 60:
                fields.take(read_meta_line(block.text))  # "【我要纠错】 责任编辑：张三"
            continue
        if _is_link_list(block):
            continue
        paragraphs.append(block.text)
        first = min(first, index)
        if block.punct and block.length >= 10:
            content_seen = True
    return _Body(paragraphs, captions, fields, first)


def _header_fields(walk: _Walk, lo: int, hi: int) -> tuple[_Fields, list[datetime]]:
    """Metadata lines between the title and the body: labelled fields, and dates that stand alone."""
    fields = _Fields()
    loose_dates: list[datetime] = []
    for block in walk.blocks[max(lo, 0) : hi]:
        if block.length > 160 or _is_link_list(block):
            continue
        meta = read_meta_line(block.text)
        if meta.is_meta:
            fields.take(meta)
        elif meta.dates and block.length <= 60:
            loose_dates.extend(meta.dates)
    return fields, loose_dates


_TRAILER_BLOCKS = 8


def _trailer_fields(walk: _Walk, end: int) -> _Fields:
    """Metadata lines just after the body container (责任编辑 in its own element), up to the furniture."""
    fields = _Fields()
    for block in walk.blocks[end : end + _TRAILER_BLOCKS]:
        if block.length > 80 or _is_link_list(block):
            continue
        key = make_key(block.text).text
        if _END_MARKER.match(key.lstrip(_OPENERS)):
            break
        meta = read_meta_line(block.text)
        if meta.is_meta or block.length <= 60:
            fields.take(meta)
    return fields


def _lead_author(paragraphs: list[str]) -> str | None:
    """新疆日报讯（记者 张三 通讯员 李四）… at the start of the first paragraph."""
    for text in paragraphs[:2]:
        match = re.search(r"[（(【〔]([^）)】〕]{2,40})[）)】〕]", text[:80])
        if match:
            meta = read_meta_line(match.group(1))
            if "author" in meta.fields:
                return meta.fields["author"]
    return None


def _pick_date(*groups: list[datetime | None]) -> datetime | None:
    """The first date in order of trust; a later source with the same day may add the time of day."""
    found = [stamp for group in groups for stamp in group if stamp is not None]
    if not found:
        return None
    chosen = found[0]
    if chosen.hour == 0 and chosen.minute == 0:
        for other in found[1:]:
            if other.date() == chosen.date() and (other.hour or other.minute):
                return other
    return chosen


def _absolute(href: str | None, base: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    joined = urljoin(base, href) if base else href
    return joined if urlsplit(joined).scheme in ("http", "https") else None


# ---------------------------------------------------------------------------------------------------------
# The entry point

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


def _empty() -> Cleaned:
    return Cleaned(None, None, None, None, None, None, [], [], None)


def _sanitise(html: str) -> str:
    if "\x00" in html:
        html = html.replace("\x00", "")
    try:
        html.encode("utf-8")
    except UnicodeEncodeError:
        html = html.encode("utf-8", "replace").decode("utf-8")
    return html


class HTMLTreeBuilder(LXMLTreeBuilder):
    """BeautifulSoup's lxml HTML builder without the namespace bookkeeping that HTML never needs.

    The stock builder copies every attribute dict twice, key by key, to map XML namespaces; lxml's HTML parser
    reports none, so a start tag goes straight to the soup. Anything namespaced takes the stock path.
    """

    def start(self, tag: str, attrib: dict, nsmap: dict | None = None) -> None:  # lxml's parser-target method
        prefixes = getattr(self, "active_namespace_prefixes", None)
        if nsmap or not prefixes or len(self.nsmaps) > 1 or tag[:1] == "{" or any(k[:1] == "{" for k in attrib):
            super().start(tag, attrib, nsmap or {})
            return
        self.soup.handle_starttag(tag, None, None, self.attribute_dict_class(attrib), namespaces=prefixes[-1])

    def end(self, tag: str) -> None:  # lxml's parser-target method
        if len(self.nsmaps) > 1 or tag[:1] == "{":
            super().end(tag)
            return
        self.soup.endData()
        self.soup.handle_endtag(tag, None)


_INERT_NAMES = ("script", "style", "select", "svg", "noscript", "textarea", "template")
_INERT_OPEN = re.compile(rf"<({'|'.join(_INERT_NAMES)})\b[^>]{{0,2000}}>|<!--", re.I)
_INERT_CLOSE = {name: re.compile(rf"</{name}\s*>", re.I) for name in _INERT_NAMES}


def _drop_inert(html: str) -> str:
    """Cut scripts (except JSON-LD), styles, comments and other unseen text before parsing: fewer nodes to build.

    Linear: each opener is matched with the first closer after it, and the first opener without a closer
    leaves the rest of the page to the parser.
    """
    kept: list[str] = []
    pos = 0
    while True:
        opener = _INERT_OPEN.search(html, pos)
        if opener is None:
            break
        name = (opener.group(1) or "").lower()
        if name:
            closer = _INERT_CLOSE[name].search(html, opener.end())
            if closer is None:
                break
            stop = closer.end()
            if name == "script" and "ld+json" in opener.group(0).lower():
                kept.append(html[pos:stop])
                pos = stop
                continue
        else:
            found = html.find("-->", opener.end())
            if found < 0:
                break
            stop = found + 3
        kept.append(html[pos : opener.start()])
        pos = stop
    if not kept:
        return html
    kept.append(html[pos:])
    return "".join(kept)


def _clean(html: str, url: str | None, body_selector: str | None) -> Cleaned:
    if not html or html.isspace():
        return _empty()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        # class and rel stay plain strings: splitting every multi-valued attribute costs more than it gives
        soup = BeautifulSoup(_drop_inert(_sanitise(html)), builder=HTMLTreeBuilder(multi_valued_attributes=None))
    forced = None
    if body_selector:
        try:
            forced = soup.select_one(body_selector)
        except Exception as exc:
            raise CleanError(f"body_selector {body_selector!r} is not a valid CSS selector: {exc}") from exc
    walk = _walk(soup, forced)
    base = _absolute(walk.base, url) or url
    blocks = walk.blocks
    ld = _json_ld_fields(walk.json_ld)

    choice = _container(walk, forced)
    start, end = choice.start, choice.end
    headings = [b.text for b in blocks if b.heading == 1][:5] + [b.text for b in blocks if b.heading == 2][:5]
    title = _pick_title(walk, headings, ld.get("headline"))
    title_index = _title_block(blocks, title, start)
    if title_index is None:
        title_index = _title_prefix_block(blocks, walk.title, start)
        if title_index is None:
            title_index = _layout_title(blocks, start)
        if title_index is not None:
            title = blocks[title_index].text

    skip: set[int] = set()
    subtitle = _meta_subtitle(walk)
    if title_index is not None:
        skip.add(title_index)
        # 副题 under the title first, then 引题 above it
        for neighbour in (title_index + 1, title_index + 2, title_index - 1):
            if 0 <= neighbour < len(blocks) and _is_subtitle(blocks[neighbour], blocks[title_index]):
                if subtitle is None or _squash(blocks[neighbour].text) == _squash(subtitle):
                    subtitle = subtitle or blocks[neighbour].text
                    skip.add(neighbour)
                    break
        if start <= title_index < end:
            start = title_index + 1
        for neighbour in (title_index - 1, title_index + 1):
            if 0 <= neighbour < len(blocks) and _is_subtitle(blocks[neighbour], blocks[title_index]):
                skip.add(neighbour)

    body = _body(walk, choice, start, skip, title)
    header_lo = title_index + 1 if title_index is not None and title_index < body.first else body.first - 8
    header, loose_dates = _header_fields(walk, header_lo, body.first)
    fields = body.fields
    trailer = _trailer_fields(walk, end)
    hinted = _hinted_fields(walk, max(header_lo, 0), end + _TRAILER_BLOCKS)

    published = _pick_date(
        header.dates,
        [_meta_date(walk.metas[name]) for name in _META_DATE_NAMES if name in walk.metas],
        [_meta_date(ld[name]) for name in ("datePublished", "dateCreated") if name in ld],
        loose_dates,
        fields.dates,
        trailer.dates,
        [_meta_date(value) for value in walk.time_values[:3]],
        [_url_date(url)],
    )
    author = (header.author or fields.author or trailer.author or hinted.get("author") or ld.get("author")
              or _lead_author(body.paragraphs) or walk.metas.get("author"))
    source = (header.source or fields.source or trailer.source or hinted.get("source")
              or walk.metas.get("source") or walk.metas.get("contentsource"))
    images = [
        Image(src=_absolute(raw.src, base) or raw.src, caption=body.captions.get(raw.block_index))
        for raw in walk.images
        if start <= raw.block_index <= end and not _is_icon(raw.src)
    ]
    canonical = _absolute(walk.canonical or walk.metas.get("og:url"), base)
    return Cleaned(
        title=title,
        subtitle=subtitle,
        published_at=published,
        source=source,
        author=author,
        editor=header.editor or fields.editor or trailer.editor or hinted.get("editor"),
        paragraphs=body.paragraphs,
        images=images,
        canonical_url=canonical,
    )


def _meta_subtitle(walk: _Walk) -> str | None:
    for name in ("subtitle", "articlesubtitle", "subheadline"):
        value = walk.metas.get(name)
        if value:
            return _WS.sub(" ", value).strip()
    return None
