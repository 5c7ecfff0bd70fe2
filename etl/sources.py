"""Sources: read `sources.toml`, check every key of every table, and report every problem at once.

People edit this file by hand, often many sources at a time, so a check that stops at the first mistake
turns one edit into a dozen runs. Every key has a rule (its type, and its range or syntax: a cron
expression, a regex, a CSS selector, a time zone); all problems are collected, and each names the file,
the table (`[settings]`, or `[[source]]` by name, or by position when the name itself is wrong) and the key.

URL patterns are operators' regexes run on URLs that strangers write, so a pattern like `(a+)+$` must not
be able to hang a crawl or an ETL pass: they run on the `regex` engine with a time limit per URL
(PATTERN_TIMEOUT), a pattern that keeps timing out is dropped for the rest of the process, every timeout is
recorded (`pattern_timeouts`), and a URL longer than MAX_URL_LENGTH is never matched at all.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import regex

from etl.urls import url_too_long

log = logging.getLogger("aidnews.sources")

# 援疆 援藏 援青 对口支援 东西部协作 定点帮扶 援助 帮扶, in Simplified and Traditional script.
DEFAULT_KEYWORDS: tuple[str, ...] = (
    "援疆", "援藏", "援青", "对口支援", "东西部协作", "定点帮扶", "援助", "帮扶",
    "對口支援", "東西部協作", "定點幫扶", "幫扶",
)
DEFAULT_TIMEZONE = "Asia/Shanghai"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HOST_FORBIDDEN = set("/:@ \t")  # a scheme, path, port or user in allowed_domains never matches a host
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
NEVER = "never"  # a revisit interval that switches the revisit off
_DURATION_PART = re.compile(r"(\d+)\s*([smhdw])")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
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
            log.warning("URL pattern %r timed out on %s%s", compiled.pattern, url[:200],
                        "; it is no longer tried" if timeout.dropped else "")
    return False


def pattern_timeouts() -> list[PatternTimeout]:
    """The pattern timeouts since the last call (for a run's errors), oldest first."""
    taken = list(_timeouts)
    _timeouts.clear()
    return taken


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a sources file."""

    where: str  # the file, or what stands for one ("demo portal", "stored source")
    table: str  # "[settings]", "[[source]] 'hq'", "[[source]] #3", or "" for the top level of the file
    key: str | None
    message: str  # completes "key 'x' …", or a whole sentence when no single key is at fault

    def __str__(self) -> str:
        place = f"{self.where} {self.table}" if self.table else self.where
        return f"{place}: key {self.key!r} {self.message}" if self.key else f"{place}: {self.message}"


class ConfigError(ValueError):
    """A sources file that cannot be used: every problem found, one per line."""

    def __init__(self, *problems: Problem | str) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def duration_seconds(text: str) -> int | None:
    """Seconds of a duration like "6h", "1d12h", "90s" or "30m"; None for "never" (or an empty string).

    Raises ValueError for anything else, so a typo is reported rather than read as "never".
    """
    compact = text.strip().lower()
    if compact in ("", NEVER):
        return None
    parts = _DURATION_PART.findall(compact)
    if not parts or _DURATION_PART.sub("", compact).strip():
        raise ValueError(f"{text!r} is not a duration like 30m, 6h, 1d or 1d12h (or {NEVER!r})")
    seconds = sum(int(number) * _DURATION_UNITS[unit] for number, unit in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} is no time at all: give a positive duration or {NEVER!r}")
    return seconds


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


# -- the rule of each key: a check returns the value to use, or raises _Invalid ----------------------------------

class _Invalid(ValueError):
    """A value that breaks its key's rule; the message completes "key 'x' …"."""


Check = Callable[[Any], Any]


def _whole_number(minimum: int) -> Check:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"must be a whole number, not {value!r}")
        if value < minimum:
            raise _Invalid(f"must be {minimum} or more, not {value}")
        return value
    return check


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, not {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"must be a string, not {value!r}")
    return value


def _strings(value: Any) -> tuple[str, ...]:
    """A list of strings (one string counts as a list of one); blank entries are dropped."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"must be a list of strings, not {value!r}")
    return tuple(v.strip() for v in value if v.strip())


def _slug(value: Any) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        raise _Invalid(f"must be a short slug of letters, digits, '-', '_' or '.', not {value!r}")
    return value


def _urls(value: Any) -> tuple[str, ...]:
    urls = _strings(value)
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Invalid(f"holds {url!r}, which is not an http(s) URL")
    return urls


def _hosts(value: Any) -> tuple[str, ...]:
    hosts = _strings(value)
    for host in hosts:
        if _HOST_FORBIDDEN & set(host):
            raise _Invalid(f"holds {host!r}, which is not a host name (write it like example.gov.cn)")
    return hosts


def _regexes(value: Any) -> tuple[str, ...]:
    patterns = _strings(value)
    for pattern in patterns:
        try:
            regex.compile(pattern)
        except regex.error as exc:
            raise _Invalid(f"has a bad regex {pattern!r}: {exc}") from None
    return patterns


def _cron(value: Any) -> str:
    """A cron expression the scheduler accepts (APScheduler is imported here: the ETL never needs it)."""
    from apscheduler.triggers.cron import CronTrigger

    expr = _text(value)
    try:
        CronTrigger.from_crontab(expr, timezone=DEFAULT_TIMEZONE)
    except (ValueError, TypeError) as exc:
        raise _Invalid(f"is not a valid cron expression (minute hour day month weekday): {exc}") from None
    return expr


def _css(value: Any) -> str:
    selector = _text(value)
    if selector:
        import soupsieve

        try:
            soupsieve.compile(selector)
        except (soupsieve.SelectorSyntaxError, TypeError) as exc:
            reason = str(exc).splitlines()[0]  # soupsieve adds lines that point at the column
            raise _Invalid(f"is not a valid CSS selector: {reason}") from None
    return selector


def _zone(value: Any) -> str:
    name = _text(value)
    try:
        ZoneInfo(name)
    except (ValueError, KeyError):  # an unknown name raises ZoneInfoNotFoundError, a KeyError
        raise _Invalid(f"is not a time zone name like Asia/Shanghai: {name!r}") from None
    return name


def _duration(value: Any) -> str:
    text = _text(value)
    try:
        duration_seconds(text)
    except ValueError as exc:
        raise _Invalid(f"must be a duration: {exc}") from None
    return text.strip().lower()


def _redis(value: Any) -> str:
    url = _text(value)
    if url and not url.startswith(_REDIS_SCHEMES):
        raise _Invalid(f"must be a redis://, rediss:// or unix:// URL, not {url!r}")
    return url


_SOURCE_RULES: dict[str, Check] = {
    "name": _slug,
    "start_urls": _urls,
    "allowed_domains": _hosts,
    "article_patterns": _regexes,
    "list_patterns": _regexes,
    "sitemaps": _urls,
    "feeds": _urls,
    "keywords": _strings,
    "max_depth": _whole_number(0),
    "schedule": _cron,
    "enabled": _flag,
    "body_selector": _css,
    "local": _flag,
    "max_list_pages": _whole_number(1),
    "stop_after_known_pages": _whole_number(0),
    "revisit_days": _whole_number(0),
    "revisit_every": _duration,
    "revisit_old_every": _duration,
    "revisit_max": _whole_number(0),
}
# Source keys that [settings] may also hold, as the default of every source that does not set them.
SOURCE_DEFAULT_KEYS = ("max_list_pages", "stop_after_known_pages", "revisit_days", "revisit_every",
                       "revisit_old_every", "revisit_max")
_SETTINGS_RULES: dict[str, Check] = {
    "timezone": _zone,
    "etl_interval_minutes": _whole_number(1),
    "crawl_time_limit_minutes": _whole_number(1),
    "user_agent_contact": _text,
    "page_retention_days": _whole_number(1),
    "maintenance_schedule": _cron,
    "crawl_workers": _whole_number(1),
    "redis_url": _redis,
    "run_retention_days": _whole_number(1),
    "failed_run_retention_days": _whole_number(1),
    **{key: _SOURCE_RULES[key] for key in SOURCE_DEFAULT_KEYS},
}
_ENTRY_KEYS = ("start_urls", "sitemaps", "feeds")  # a source needs one of these to start from


def _checked(raw: dict[str, Any], rules: dict[str, Check], report: Callable[[str, str], None]) -> dict[str, Any]:
    """The keys of one table that pass their rules; every unknown key and broken rule goes to `report`."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        rule = rules.get(key)
        if rule is None:
            report(key, f"is unknown (known keys: {', '.join(rules)})")
            continue
        try:
            values[key] = rule(value)
        except _Invalid as exc:
            report(key, str(exc))
    return values


def _source_table(raw: dict[str, Any], position: int | None) -> str:
    """How messages name a source table: by position in the file (when known) and by name (when valid)."""
    name = raw.get("name")
    label = f"[[source]] #{position}" if position else "[[source]]"
    return f"{label} {name!r}" if isinstance(name, str) and _NAME_RE.match(name) else label


def _source(raw: Any, where: str, position: int | None, problems: list[Problem],
            defaults: dict[str, Any] | None = None) -> SourceConfig | None:
    """One `[[source]]` table as a SourceConfig, or None after adding its problems to `problems`.

    `defaults` are the checked values of SOURCE_DEFAULT_KEYS in [settings], for the keys the table leaves out.
    """
    if not isinstance(raw, dict):
        problems.append(Problem(where, f"[[source]] #{position}", None, f"must be a table of keys, not {raw!r}"))
        return None
    table = _source_table(raw, position)
    found: list[Problem] = []

    def report(key: str, message: str) -> None:
        found.append(Problem(where, table, key, message))

    values = _checked(raw, _SOURCE_RULES, report)
    broken = {p.key for p in found}
    if "name" not in raw:
        report("name", "is missing: every source needs a short, unique slug")
    if not any(values.get(k) for k in _ENTRY_KEYS) and not broken & set(_ENTRY_KEYS):
        report("start_urls", "is missing (or give 'sitemaps' or 'feeds')")
    if not values.get("article_patterns") and "article_patterns" not in broken:
        report("article_patterns", "is missing: give at least one regex for article URLs")
    problems.extend(found)
    if found:
        return None
    if not values.get("allowed_domains"):
        hosts = {urlsplit(u).hostname for k in _ENTRY_KEYS for u in values.get(k, ())}
        values["allowed_domains"] = tuple(sorted(h for h in hosts if h))
    if "keywords" in values and not values["keywords"]:
        del values["keywords"]  # an empty list means the defaults
    return SourceConfig(**{**(defaults or {}), **values})


def _settings(raw: Any, where: str, problems: list[Problem]) -> Settings:
    table = "[settings]"
    if not isinstance(raw, dict):
        problems.append(Problem(where, table, None, f"must be a table of keys, not {raw!r}"))
        return Settings()
    found: list[Problem] = []
    values = _checked(raw, _SETTINGS_RULES, lambda key, message: found.append(Problem(where, table, key, message)))
    if values.get("crawl_workers", 1) > 1 and not (values.get("redis_url") or os.environ.get("AIDNEWS_REDIS_URL")):
        found.append(Problem(where, table, "crawl_workers", "above 1 needs 'redis_url' (or $AIDNEWS_REDIS_URL)"))
    problems.extend(found)
    return Settings(**values)


def parse_source(raw: Any, where: str, position: int | None = None) -> SourceConfig:
    """One source table, checked whole: raises ConfigError with every problem it has."""
    problems: list[Problem] = []
    source = _source(raw, where, position, problems)
    if source is None:
        raise ConfigError(*problems)
    return source


def parse_sources(data: dict[str, Any], where: str = "sources") -> SourcesFile:
    """A whole sources file's tables, checked whole: raises ConfigError with every problem in it."""
    problems = [Problem(where, "", None, f"unknown top-level key {key!r} (use [[source]] and [settings])")
                for key in sorted(set(data) - {"source", "settings"})]
    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list):
        problems.append(Problem(where, "", None, "'source' must be an array of tables ([[source]])"))
        raw_sources = []
    settings = _settings(data.get("settings", {}), where, problems)
    defaults = {key: getattr(settings, key) for key in SOURCE_DEFAULT_KEYS}
    sources: list[SourceConfig] = []
    first_of: dict[str, int] = {}
    for position, raw in enumerate(raw_sources, start=1):
        source = _source(raw, where, position, problems, defaults)
        if source is not None:
            sources.append(source)
        name = raw.get("name") if isinstance(raw, dict) else None
        if isinstance(name, str) and name in first_of:
            problems.append(Problem(where, _source_table(raw, position), "name",
                                    f"is used twice (first by [[source]] #{first_of[name]})"))
        elif isinstance(name, str):
            first_of[name] = position
    if problems:
        raise ConfigError(*problems)
    return SourcesFile(sources=sources, settings=settings)


def load_sources(path: str | Path) -> SourcesFile:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such sources file (copy sources.toml from the project)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_sources(data, str(path))
