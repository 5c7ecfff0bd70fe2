"""The spider's handling of a fetched list or article page's links: which to request, and how far to page.

A page's links are sorted into articles, list pages and its pager (``crawler.links`` says which links page
through a list); list and article links go one level deeper, the pager is followed one page at a time and
keeps the page's depth, and paging stops early once `stop_after_known_pages` pages in a row held nothing new.
Kept out of ``crawler/spiders/aid.py`` so the spider reads as the Scrapy template (seeds, requests, parse,
errors); what these functions need of the crawl is spelled out by ``Crawl``, which the spider satisfies.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

import scrapy

from crawler.items import KnownPage
from crawler.links import PagerLink, next_page, page_role, scan_links
from etl.sources import SourceConfig
from etl.urls import canonical_url, url_too_long


class Crawl(Protocol):
    """What link following reads and calls on the spider: its stored and seen URLs, and its request factory."""

    known: dict[str, KnownPage]
    seen: set[str]
    fully_crawled: set[str]

    def request_for(
        self,
        source: SourceConfig,
        url: str,
        kind: str,
        depth: int,
        lastmod: datetime | None = None,
        meta: dict[str, Any] | None = None,
    ) -> scrapy.Request | None: ...

    def skip_long_url(self, source: SourceConfig, url: str) -> None: ...

    def count(self, source: str, key: str, n: int = 1) -> None: ...


def follow_links(
    crawl: Crawl, source: SourceConfig, base: str, body: bytes, depth: int, on_list: bool = False, streak: int = 0
) -> Iterator[scrapy.Request]:
    """Requests for the page's article and list links; on a list page, its pager is followed one page on.

    Pager links keep the page's depth (pagination is not link depth) and are left to `paginate`; other
    list links, and any link of a page that is not a list, go one level deeper.
    """
    articles: list[str] = []
    pager: list[PagerLink] = []
    others: list[tuple[str, str]] = []
    for link in scan_links(base, body):
        if url_too_long(link.url):  # no pattern is tried on it (etl.sources.url_matches): recorded, skipped
            crawl.skip_long_url(source, link.url)
        elif source.is_article(link.url):
            articles.append(link.url)
            others.append((link.url, "article"))
        elif source.is_list(link.url):
            if on_list and (role := page_role(link)) is not None:
                pager.append(role)
            else:
                others.append((link.url, "list"))
    paged = {p.url for p in pager}  # a pager page linked again elsewhere on the page is still the pager's
    for url, kind in others:
        if url not in paged and (request := crawl.request_for(source, url, kind, depth + 1)) is not None:
            yield request
    if on_list:
        yield from paginate(crawl, source, base, body, depth, pager, articles, streak)


def paginate(
    crawl: Crawl,
    source: SourceConfig,
    base: str,
    body: bytes,
    depth: int,
    pager: list[PagerLink],
    articles: list[str],
    streak: int,
) -> Iterator[scrapy.Request]:
    """The next list page, unless this is the last, or the `stop_after_known_pages`-th with nothing new.

    Stopping early needs a full crawl of the source before (an interrupted first crawl must not leave its
    last pages unread for good). `streak` counts the list pages in a row, up to this one's predecessor,
    whose article links were all stored before this crawl began; a page with no article link leaves it
    as it is.
    """
    if articles:
        streak = 0 if any(canonical_url(url) not in crawl.known for url in articles) else streak + 1
    following = next_page(base, body, pager, crawl.seen)
    if following is None:
        return
    if source.stop_after_known_pages and streak >= source.stop_after_known_pages and source.name in crawl.fully_crawled:
        crawl.count(source.name, "pagination_stopped")
        return
    request = crawl.request_for(source, following, "list", depth, meta={"known_streak": streak})
    if request is not None:
        crawl.count(source.name, "pages_followed")
        yield request
