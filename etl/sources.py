"""Sources: what a configured site is (`SourceConfig`), the service's `[settings]`, and reading `sources.toml`.

Reading checks the whole file first (etl.config_check: every key of every table, every problem at once) and
raises `ConfigError` with all of them; only a file without problems becomes a `SourcesFile`.

URL patterns are operators' regexes run on URLs that strangers write, so a pattern like `(a+)+$` must not
be able to hang a crawl or an ETL pass: they run on the `regex` engine with a time limit per URL
(PATTERN_TIMEOUT), a pattern that keeps timing out is dropped for the rest of the process, every timeout is
recorded (`pattern_timeouts`), and a URL longer than MAX_URL_LENGTH is never matched at all.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import regex

from etl.config_check import (
    ENTRY_KEYS,
    NEVER,
    SOURCE_DEFAULT_KEYS,
    Problem,
    check_file,
    check_source,
    duration_seconds,
)
from etl.urls import url_too_long

log = logging.getLogger("aidnews.sources")

# 援疆 援藏 援青 对口支援 东西部协作 定点帮扶 援助 帮扶, in Simplified and Traditional script.
DEFAULT_KEYWORDS: tuple[str, ...] = (
    "援疆",
    "援藏",
    "援青",
    "对口支援",
    "东西部协作",
    "定点帮扶",
    "援助",
    "帮扶",
    "對口支援",
    "東西部協作",
    "定點幫扶",
    "幫扶",
)
DEFAULT_TIMEZONE = "Asia/Shanghai"
PATTERN_TIMEOUT = 0.1  # seconds one URL pattern may spend on one URL (real patterns take microseconds)
PATTERN_STRIKES = 3  # timeouts after which a pattern is no longer tried in this process
KEPT_TIMEOUTS = 100  # timeouts remembered for the run's errors (all are counted)
_pattern_cache: dict[tuple[str, ...], list[Any]] = {}


@dataclass(frozen=True)
class PatternTimeout:
    """A URL pattern that ran out of time on a URL: the URL counts as not matching."""

    pattern: str
    url: str
    dropped: bool  # this was the pattern's last chance: it is no longer tried


_timeouts: list[PatternTimeout] = []
_strikes: dict[str, int] = {}


def _compiled(patterns: tuple[str, ...]) -> list[Any]:
    got = _pattern_cache.get(patterns)
    if got is None:
        got = _pattern_cache[patterns] = [regex.compile(p) for p in patterns]
    return got


def url_matches(patterns: tuple[str, ...], url: str) -> bool:
    """True when one of the patterns finds a match in url, each within PATTERN_TIMEOUT; never for an over-long URL."""
    if not patterns or url_too_long(url):
        return False
    for compiled in _compiled(patterns):
        if _strikes.get(compiled.pattern, 0) >= PATTERN_STRIKES:
            continue
        try:
            if compiled.search(url, timeout=PATTERN_TIMEOUT):
                return True
        except TimeoutError:
            strikes = _strikes[compiled.pattern] = _strikes.get(compiled.pattern, 0) + 1
            timeout = PatternTimeout(compiled.pattern, url, dropped=strikes >= PATTERN_STRIKES)
            if len(_timeouts) < KEPT_TIMEOUTS:
                _timeouts.append(timeout)
            log.warning(
                "URL pattern %r timed out on %s%s",
                compiled.pattern,
                url[:200],
                "; it is no longer tried" if timeout.dropped else "",
            )
    return False


def pattern_timeouts() -> list[PatternTimeout]:
    """The pattern timeouts since the last call (for a run's errors), oldest first."""
    taken = list(_timeouts)
    _timeouts.clear()
    return taken


class ConfigError(ValueError):
    """A sources file that cannot be used: every problem found, one per line."""

    def __init__(self, *problems: Problem | str) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


@dataclass(frozen=True)
class SourceConfig:
    name: str
    start_urls: tuple[str, ...] = ()  # or sitemaps, or feeds: one of the three is enough
    allowed_domains: tuple[str, ...] = ()  # parse_source fills it from the URLs when not given
    article_patterns: tuple[str, ...] = ()  # parse_source requires one
    list_patterns: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    keywords: tuple[str, ...] = DEFAULT_KEYWORDS
    max_depth: int = 3
    schedule: str = "0 */6 * * *"
    enabled: bool = True
    body_selector: str = ""
    local: bool = False
    # Pagination: a first crawl follows a list's 下一页 links to the end, up to max_list_pages list pages per
    # crawl; later crawls stop after stop_after_known_pages list pages in a row hold no article not yet stored
    # (0: never stop early). Pagination hops do not count towards max_depth.
    max_list_pages: int = 500
    stop_after_known_pages: int = 1
    # Revisits: stored articles published less than revisit_days ago are asked again (conditional GET) once
    # revisit_every has passed since they were last fetched or checked; older ones every revisit_old_every
    # ("never" by default); at most revisit_max of them per crawl.
    revisit_days: int = 7
    revisit_every: str = "6h"
    revisit_old_every: str = NEVER
    revisit_max: int = 100

    def as_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def is_article(self, url: str) -> bool:
        return url_matches(self.article_patterns, url)

    def is_list(self, url: str) -> bool:
        return url_matches(self.list_patterns, url)

    @property
    def revisit_young_seconds(self) -> int | None:
        """Seconds between two checks of an article younger than revisit_days (None: never)."""
        return duration_seconds(self.revisit_every)

    @property
    def revisit_old_seconds(self) -> int | None:
        """Seconds between two checks of an older article (None: never)."""
        return duration_seconds(self.revisit_old_every)


@dataclass(frozen=True)
class Settings:
    """The `[settings]` table: service-wide options."""

    timezone: str = DEFAULT_TIMEZONE
    etl_interval_minutes: int = 15
    crawl_time_limit_minutes: int = 60
    user_agent_contact: str = "https://github.com/aidnews/aidnews"
    page_retention_days: int = 180
    maintenance_schedule: str = "30 3 * * *"
    crawl_workers: int = 1  # more than 1: a distributed crawl over a shared Redis frontier (scrapy-redis)
    redis_url: str = ""  # the frontier's Redis, e.g. redis://127.0.0.1:6379/0 (or $AIDNEWS_REDIS_URL)
    run_retention_days: int = 30  # maintenance deletes older run records (the latest per kind and source stays)
    failed_run_retention_days: int = 90  # … and keeps those of failed, timed-out or crashed runs this long
    # Defaults for every source (SOURCE_DEFAULT_KEYS); a source's own key overrides them.
    max_list_pages: int = 500
    stop_after_known_pages: int = 1
    revisit_days: int = 7
    revisit_every: str = "6h"
    revisit_old_every: str = NEVER
    revisit_max: int = 100


@dataclass(frozen=True)
class Frontier:
    """Where a crawl keeps the URLs it has yet to fetch: in its one process, or in Redis for several workers."""

    workers: int
    redis_url: str | None


@dataclass
class SourcesFile:
    sources: list[SourceConfig]
    settings: Settings = field(default_factory=Settings)

    def frontier(self) -> Frontier:
        """How crawls run: one local worker unless a shared Redis frontier is configured."""
        url = os.environ.get("AIDNEWS_REDIS_URL") or self.settings.redis_url or None
        return Frontier(self.settings.crawl_workers if url else 1, url)

    def enabled(self) -> list[SourceConfig]:
        return [s for s in self.sources if s.enabled]

    def by_name(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        raise ConfigError(f"no source named {name!r}; known: {', '.join(s.name for s in self.sources)}")


def _source_config(values: dict[str, Any], defaults: dict[str, Any] | None = None) -> SourceConfig:
    """A SourceConfig from one table's checked values, over `defaults` (the SOURCE_DEFAULT_KEYS of [settings]).

    Without allowed_domains, the hosts of the entry URLs are allowed; an empty keywords list means the defaults.
    """
    values = dict(values)
    if not values.get("allowed_domains"):
        hosts = {urlsplit(u).hostname for k in ENTRY_KEYS for u in values.get(k, ())}
        values["allowed_domains"] = tuple(sorted(h for h in hosts if h))
    if "keywords" in values and not values["keywords"]:
        del values["keywords"]
    return SourceConfig(**{**(defaults or {}), **values})


def parse_source(raw: Any, where: str, position: int | None = None) -> SourceConfig:
    """One source table, checked whole: raises ConfigError with every problem it has."""
    problems: list[Problem] = []
    values = check_source(raw, where, position, problems)
    if values is None:
        raise ConfigError(*problems)
    return _source_config(values)


def parse_sources(data: dict[str, Any], where: str = "sources") -> SourcesFile:
    """A whole sources file's tables, checked whole: raises ConfigError with every problem in it."""
    checked = check_file(data, where)
    if checked.problems:
        raise ConfigError(*checked.problems)
    settings = Settings(**checked.settings)
    defaults = {key: getattr(settings, key) for key in SOURCE_DEFAULT_KEYS}
    return SourcesFile(sources=[_source_config(values, defaults) for values in checked.sources], settings=settings)


def load_sources(path: str | Path) -> SourcesFile:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such sources file (copy sources.toml from the project)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_sources(data, str(path))
