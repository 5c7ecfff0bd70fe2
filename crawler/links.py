"""Links on a fetched page, and which of them page through a list (下一页, numbered pages, TRS page scripts).

Pagination is not link depth: a column's archive is often hundreds of list pages deep, each one hop from
the last, while a link depth of 3 or 4 is right for everything else. So the spider asks this module which
links of a list page are its pager, and follows the pager one page at a time: the explicit next link
(下一页, 下一頁, next, », rel="next"), else the lowest-numbered page not yet requested, else the next page of a
TRS `createPageHTML(total, current, "index", "html")` call, the script government CMSs print instead of
links. One page at a time lets a later crawl stop as soon as a list page holds nothing new.

The scan is byte-level, like a browser's first pass over the tags: the spider needs hrefs and anchor texts,
not a parsed tree (cleaning stays out of Scrapy). A page is read as UTF-8 when it decodes as UTF-8, else as
GB18030, which covers the encodings Chinese list pages use for these few words.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from urllib.parse import urljoin

from etl.urls import canonical_url

ANCHOR_TEXT_BYTES = 400  # an anchor's text is looked for this far after its tag
RESOLVED_CACHE = 50_000  # furniture links remembered per crawl process (~10 MB at most; a portal repeats ~300-3,000)
_ANCHOR = re.compile(rb"<a\s([^>]*)>", re.IGNORECASE)
_HREF = re.compile(rb"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_REL = re.compile(rb"""\brel\s*=\s*["']?([\w\s-]+)""", re.IGNORECASE)
_CLOSE = re.compile(rb"</a\s*>|<a\s", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "#")
_PAGE_NUMBER = re.compile(r"^[\[【(（]?第?(\d{1,5})页?[\]】)）]?$")
_TRS_PAGER = re.compile(rb"""createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*["']([\w-]+)["']\s*,\s*["'](\w+)["']""")
_NEXT_WORDS = ("下一页", "下一頁", "下页", "下頁", "后一页", "後一頁", "后页", "後頁")
_OTHER_WORDS = (
    "上一页",
    "上一頁",
    "上页",
    "上頁",
    "前一页",
    "前页",
    "首页",
    "首頁",
    "尾页",
    "尾頁",
    "末页",
    "末頁",
    "最后一页",
    "最後一頁",
)
_NEXT_LATIN = ("next", "nextpage")
_OTHER_LATIN = ("prev", "previous", "first", "last", "prevpage", "firstpage", "lastpage")
_NEXT_ARROWS = set("»›>")
_OTHER_ARROWS = set("«‹<")


class PageRole(StrEnum):
    """What a link of a pager does."""

    NEXT = "next"  # 下一页, next, », rel="next"
    NUMBER = "number"  # a page number: 2, [3], 第4页
    OTHER = "other"  # 上一页, 首页, 尾页 …: pager links a crawl that pages forward does not need


@dataclass(frozen=True)
class Link:
    """One <a href> of a page: its absolute URL, its text, and its rel attribute."""

    url: str
    text: str
    rel: str = ""


@dataclass(frozen=True)
class PagerLink:
    """A link of a list page's pager."""

    url: str
    role: PageRole
    number: int | None = None


def scan_links(base: str, body: bytes) -> Iterator[Link]:
    """Every http(s) link of the page, resolved against `base`, in document order."""
    encoding = page_encoding(body)
    for match in _ANCHOR.finditer(body):
        attributes = match.group(1)
        href_match = _HREF.search(attributes)
        if href_match is None:
            continue
        raw = next(g for g in href_match.groups() if g is not None)
        href = raw.decode("latin-1").strip().replace("&amp;", "&")
        if not href or href.lower().startswith(_SKIP_SCHEMES):
            continue
        url = resolve(base, href)
        if not url.startswith(("http://", "https://")):
            continue
        rel = _REL.search(attributes)
        yield Link(url, anchor_text(body, match.end(), encoding), rel.group(1).decode("latin-1").lower() if rel else "")


def resolve(base: str, href: str) -> str:
    """`urljoin(base, href)`, remembered where the result does not depend on the page's own path.

    A portal repeats its furniture (mega menus, sidebars, friend links: 300+ anchors) on every page, and
    resolving them was two thirds of the crawl's link handling on 117 KB pages (bench/bench_crawl.py). An
    absolute href depends on the base only through its scheme, a root-relative one only through scheme and
    host, so those are cached on that much of the base; relative hrefs are resolved each time.
    """
    if href.startswith(("http://", "https://")):
        return _resolved(base[: base.find(":")].lower() + "://_/", href)
    if href.startswith("/") and not href.startswith("//"):
        host_end = base.find("/", base.find("//") + 2) if "//" in base else -1
        if host_end > 0 and "?" not in base[:host_end] and "#" not in base[:host_end]:
            return _resolved(base[:host_end] + "/", href)
    return urljoin(base, href)


@lru_cache(maxsize=RESOLVED_CACHE)
def _resolved(origin: str, href: str) -> str:
    return urljoin(origin, href)


def page_encoding(body: bytes) -> str:
    """UTF-8 when the whole page decodes as UTF-8, else GB18030 (a superset of GBK and GB2312).

    Decided per page, not per anchor: a few GBK bytes can pass for UTF-8 (尾页 reads as βҳ).
    """
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def anchor_text(body: bytes, start: int, encoding: str = "utf-8") -> str:
    """The visible text of the anchor whose tag ends at `start` (tags stripped, entities decoded)."""
    window = body[start : start + ANCHOR_TEXT_BYTES]
    end = _CLOSE.search(window)
    raw = window[: end.start()] if end else window[:0]
    text = raw.decode(encoding, "replace")
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", text))).strip()


def page_role(link: Link) -> PagerLink | None:
    """The link's part in a pager, or None when it is not a pager link."""
    words = link.rel.split()
    if "next" in words:
        return PagerLink(link.url, PageRole.NEXT)
    compact = _SPACE.sub("", link.text).lower()
    if not compact:
        return None
    if (
        any(word in compact for word in _NEXT_WORDS)
        or compact.strip("»›>") in _NEXT_LATIN
        or set(compact) <= _NEXT_ARROWS
    ):
        return PagerLink(link.url, PageRole.NEXT)
    if number := _PAGE_NUMBER.match(compact):
        return PagerLink(link.url, PageRole.NUMBER, int(number.group(1)))
    if (
        "prev" in words
        or any(word in compact for word in _OTHER_WORDS)
        or compact.strip("«‹<") in _OTHER_LATIN
        or set(compact) <= _OTHER_ARROWS
    ):
        return PagerLink(link.url, PageRole.OTHER)
    return None


def trs_next_page(base: str, body: bytes) -> str | None:
    """The next page of a TRS `createPageHTML(total, current, name, ext)` pager (current counts from 0)."""
    match = _TRS_PAGER.search(body)
    if match is None:
        return None
    total, current = int(match.group(1)), int(match.group(2))
    if current + 1 >= total:
        return None
    name, ext = match.group(3).decode("ascii"), match.group(4).decode("ascii")
    return urljoin(base, f"{name}_{current + 1}.{ext}")


def next_page(base: str, body: bytes, pager: Sequence[PagerLink], requested: Collection[str]) -> str | None:
    """The one list page to read after this one, or None at the end of the list.

    The explicit next link wins; without one, the lowest page number not yet requested (a pager that shows
    every number, or a window of them); without numbers, a TRS page script. `requested` holds canonical URLs.
    """
    explicit = [p.url for p in pager if p.role is PageRole.NEXT]
    if explicit:
        return next((url for url in explicit if canonical_url(url) not in requested), None)
    numbered = sorted((p.number, p.url) for p in pager if p.role is PageRole.NUMBER and p.number is not None)
    if numbered:
        return next((url for _, url in numbered if canonical_url(url) not in requested), None)
    following = trs_next_page(base, body)
    return following if following and canonical_url(following) not in requested else None
