"""Where every article lives on the three simulated sites, and the page each URL serves."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from crawler.demo.corpus import Article

HQ_LIST = "/hq/gzdt/list_{n}.html"  # 工作动态 column, newest first
COUNTY_LIST_FIRST = "/county/dwzy/index.html"  # 对口援疆 column (TRS-style pagination)
COUNTY_LIST = "/county/dwzy/index_{n}.html"  # n = 1, 2, … for the second, third … page
PORTAL_LIST = "/portal/zixun/list_{n}.html"  # 资讯 column
PER_PAGE = 10


@dataclass(frozen=True)
class Entry:
    """One article as one site shows it."""

    article: Article
    site: str
    path: str
    original: str | None = None  # path of the original when this is a syndicated copy

    @property
    def published_at(self) -> datetime:
        return self.article.published_at

    @property
    def is_copy(self) -> bool:
        return self.original is not None


def pick(article_id: str, salt: str, choices: int) -> int:
    """A stable choice among `choices` for an article (layout variants, damage, header lies …)."""
    return zlib.crc32(f"{salt}:{article_id}".encode()) % choices


def _numbered(articles: list[Article], low: int, span: int, salt: str) -> dict[str, int]:
    """A distinct number in [low, low + span) per article id, stable across runs."""
    taken: set[int] = set()
    numbers: dict[str, int] = {}
    for article in sorted(articles, key=lambda a: a.id):
        number = low + zlib.crc32(f"{salt}:{article.id}".encode()) % span
        while number in taken:
            number = low + (number - low + 1) % span
        taken.add(number)
        numbers[article.id] = number
    return numbers


def hq_path(article: Article, number: int) -> str:
    d = article.published_at
    return f"/hq/content/{d:%Y-%m}/{d:%d}/c_{number}.html"


def county_path(article: Article, number: int) -> str:
    d = article.published_at
    return f"/county/dwzy/{d:%Y%m}/t{d:%Y%m%d}_{number}.html"


def portal_path(article: Article, number: int) -> str:
    d = article.published_at
    return f"/portal/html/{d:%Y%m}/{d:%d}/{number}.html"


_PATHS: dict[str, tuple[Callable[[Article, int], str], int, int]] = {
    "hq": (hq_path, 1001, 7000),  # c_1001 … c_7999; the traps use c_9xxx
    "county": (county_path, 120000, 800000),
    "portal": (portal_path, 30000, 60000),
}


def build_entries(articles: tuple[Article, ...]) -> dict[str, list[Entry]]:
    """Entries per site, newest first."""
    numbers = {
        site: _numbered([a for a in articles if site in a.sites()], low, span, site)
        for site, (_, low, span) in _PATHS.items()
    }
    by_site: dict[str, list[Entry]] = {site: [] for site in _PATHS}
    for article in articles:
        original_site = article.site
        original = _PATHS[original_site][0](article, numbers[original_site][article.id])
        by_site[original_site].append(Entry(article, original_site, original))
        for site in article.sites()[1:]:
            path = _PATHS[site][0](article, numbers[site][article.id])
            by_site[site].append(Entry(article, site, path, original=original))
    for entries in by_site.values():
        entries.sort(key=lambda e: (e.published_at, e.article.id), reverse=True)
    return by_site


def pages_of(entries: list[Entry]) -> list[list[Entry]]:
    """The column split into list pages of PER_PAGE (at least one page, even when empty)."""
    return [entries[i : i + PER_PAGE] for i in range(0, len(entries), PER_PAGE)] or [[]]


def list_path(site: str, page: int) -> str:
    """Path of the page-th list page (1-based) of a site's column."""
    if site == "hq":
        return HQ_LIST.format(n=page)
    if site == "county":
        return COUNTY_LIST_FIRST if page == 1 else COUNTY_LIST.format(n=page - 1)
    return PORTAL_LIST.format(n=page)
