"""Sources: read `sources.toml`, check every key, and fail early with the source and key named."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# 援疆 援藏 援青 对口支援 东西部协作 定点帮扶 援助 帮扶, in Simplified and Traditional script.
DEFAULT_KEYWORDS: tuple[str, ...] = (
    "援疆", "援藏", "援青", "对口支援", "东西部协作", "定点帮扶", "援助", "帮扶",
    "對口支援", "東西部協作", "定點幫扶", "幫扶",
)
DEFAULT_TIMEZONE = "Asia/Shanghai"


class ConfigError(ValueError):
    """A sources file that cannot be used; the message names the source and the key."""


@dataclass(frozen=True)
class SourceConfig:
    name: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    article_patterns: tuple[str, ...]
    list_patterns: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    keywords: tuple[str, ...] = DEFAULT_KEYWORDS
    max_depth: int = 3
    schedule: str = "0 */6 * * *"
    enabled: bool = True
    body_selector: str = ""
    local: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def is_article(self, url: str) -> bool:
        return any(p.search(url) for p in _compiled(self.article_patterns))

    def is_list(self, url: str) -> bool:
        return any(p.search(url) for p in _compiled(self.list_patterns))


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


_LIST_KEYS = {"start_urls", "allowed_domains", "article_patterns", "list_patterns", "sitemaps", "feeds", "keywords"}
_SOURCE_KEYS = set(SourceConfig.__dataclass_fields__)
_SETTINGS_KEYS = set(Settings.__dataclass_fields__)
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_pattern_cache: dict[tuple[str, ...], list[re.Pattern[str]]] = {}


def _compiled(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    got = _pattern_cache.get(patterns)
    if got is None:
        got = _pattern_cache[patterns] = [re.compile(p) for p in patterns]
    return got


def validate_cron(expr: str, timezone: str = DEFAULT_TIMEZONE) -> None:
    """Raise ValueError unless the scheduler accepts `expr` (APScheduler is imported here: the ETL never needs it)."""
    from apscheduler.triggers.cron import CronTrigger

    CronTrigger.from_crontab(expr, timezone=timezone)


def parse_source(raw: dict[str, Any], where: str) -> SourceConfig:
    name = raw.get("name")
    label = f"{where} source {name!r}" if name else f"{where} source without a name"
    unknown = sorted(set(raw) - _SOURCE_KEYS)
    if unknown:
        raise ConfigError(f"{label}: unknown key {unknown[0]!r} (known keys: {', '.join(sorted(_SOURCE_KEYS))})")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigError(f"{label}: key 'name' must be a short slug of letters, digits, '-', '_' or '.'")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _LIST_KEYS:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{label}: key {key!r} must be a list of strings")
            values[key] = tuple(v.strip() for v in value if v.strip())
        else:
            values[key] = value
    if not values.get("start_urls") and not values.get("sitemaps") and not values.get("feeds"):
        raise ConfigError(f"{label}: key 'start_urls' is missing (or give 'sitemaps' or 'feeds')")
    for key in ("start_urls", "sitemaps", "feeds"):
        for url in values.get(key, ()):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(f"{label}: key {key!r} holds {url!r}, which is not an http(s) URL")
    if not values.get("article_patterns"):
        raise ConfigError(f"{label}: key 'article_patterns' is missing: give at least one regex for article URLs")
    for key in ("article_patterns", "list_patterns"):
        for pattern in values.get(key, ()):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"{label}: key {key!r} has a bad regex {pattern!r}: {exc}") from None
    if not values.get("allowed_domains"):
        hosts = {urlsplit(u).hostname for k in ("start_urls", "sitemaps", "feeds") for u in values.get(k, ())}
        values["allowed_domains"] = tuple(sorted(h for h in hosts if h))
    if "keywords" in values and not values["keywords"]:
        del values["keywords"]
    for key, kind in (("max_depth", int), ("enabled", bool), ("local", bool), ("body_selector", str),
                      ("schedule", str)):
        if key in values and (not isinstance(values[key], kind) or (kind is int and isinstance(values[key], bool))):
            raise ConfigError(f"{label}: key {key!r} must be of type {kind.__name__}")
    if values.get("body_selector"):
        import soupsieve

        try:
            soupsieve.compile(values["body_selector"])
        except (soupsieve.SelectorSyntaxError, TypeError) as exc:
            raise ConfigError(f"{label}: key 'body_selector' is not a valid CSS selector: {exc}") from None
    if values.get("max_depth", 1) < 0:
        raise ConfigError(f"{label}: key 'max_depth' must be 0 or more")
    try:
        validate_cron(values.get("schedule", SourceConfig.schedule))
    except ValueError as exc:
        raise ConfigError(f"{label}: key 'schedule' is not a valid cron expression: {exc}") from None
    return SourceConfig(**values)


def parse_settings(raw: dict[str, Any], where: str) -> Settings:
    unknown = sorted(set(raw) - _SETTINGS_KEYS)
    if unknown:
        raise ConfigError(f"{where} [settings]: unknown key {unknown[0]!r}")
    settings = Settings(**raw)
    if settings.crawl_workers > 1 and not (settings.redis_url or os.environ.get("AIDNEWS_REDIS_URL")):
        raise ConfigError(f"{where} [settings]: 'crawl_workers' above 1 needs 'redis_url' (or $AIDNEWS_REDIS_URL)")
    try:
        validate_cron(settings.maintenance_schedule, settings.timezone)
    except Exception as exc:  # a bad time zone raises its own error types
        raise ConfigError(f"{where} [settings]: bad 'maintenance_schedule' or 'timezone': {exc}") from None
    return settings


def parse_sources(data: dict[str, Any], where: str = "sources") -> SourcesFile:
    unknown = sorted(set(data) - {"source", "settings"})
    if unknown:
        raise ConfigError(f"{where}: unknown top-level key {unknown[0]!r} (use [[source]] and [settings])")
    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list):
        raise ConfigError(f"{where}: 'source' must be an array of tables ([[source]])")
    sources = [parse_source(raw, where) for raw in raw_sources]
    seen: set[str] = set()
    for s in sources:
        if s.name in seen:
            raise ConfigError(f"{where} source {s.name!r}: key 'name' is used twice")
        seen.add(s.name)
    return SourcesFile(sources=sources, settings=parse_settings(data.get("settings", {}), where))


def load_sources(path: str | Path) -> SourcesFile:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such sources file (copy sources.toml from the project)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_sources(data, str(path))
