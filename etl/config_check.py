"""The rule of every key of `sources.toml`, and the check of a whole file that reports every problem at once.

People edit this file by hand, often many sources at a time, so a check that stops at the first mistake
turns one edit into a dozen runs. Every key has a rule (its type, and its range or syntax: a cron
expression, a regex, a CSS selector, a time zone); all problems are collected, and each names the file,
the table (`[settings]`, or `[[source]]` by name, or by position when the name itself is wrong) and the key.

This module only checks: it turns raw TOML tables into checked values and `Problem`s. `etl.sources` builds the
records (`SourceConfig`, `Settings`) from the values and raises `ConfigError` with the problems.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import regex

NEVER = "never"  # a revisit interval that switches the revisit off
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HOST_FORBIDDEN = set("/:@ \t")  # a scheme, path, port or user in allowed_domains never matches a host
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_DURATION_PART = re.compile(r"(\d+)\s*([smhdw])")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


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
    if not isinstance(value, str) or not NAME_RE.match(value):
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
        CronTrigger.from_crontab(expr, timezone="UTC")  # a zone never changes which expressions are valid
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
SOURCE_DEFAULT_KEYS = (
    "max_list_pages",
    "stop_after_known_pages",
    "revisit_days",
    "revisit_every",
    "revisit_old_every",
    "revisit_max",
)
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
ENTRY_KEYS = ("start_urls", "sitemaps", "feeds")  # a source needs one of these to start from


# -- whole tables and the whole file --------------------------------------------------------------------------


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
    return f"{label} {name!r}" if isinstance(name, str) and NAME_RE.match(name) else label


def check_source(raw: Any, where: str, position: int | None, problems: list[Problem]) -> dict[str, Any] | None:
    """The checked values of one `[[source]]` table, or None after adding its problems to `problems`."""
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
    if not any(values.get(k) for k in ENTRY_KEYS) and not broken & set(ENTRY_KEYS):
        report("start_urls", "is missing (or give 'sitemaps' or 'feeds')")
    if not values.get("article_patterns") and "article_patterns" not in broken:
        report("article_patterns", "is missing: give at least one regex for article URLs")
    problems.extend(found)
    return None if found else values


def check_settings(raw: Any, where: str, problems: list[Problem]) -> dict[str, Any]:
    """The checked values of the `[settings]` table (none when it is no table); its problems go to `problems`."""
    table = "[settings]"
    if not isinstance(raw, dict):
        problems.append(Problem(where, table, None, f"must be a table of keys, not {raw!r}"))
        return {}
    found: list[Problem] = []
    values = _checked(raw, _SETTINGS_RULES, lambda key, message: found.append(Problem(where, table, key, message)))
    if values.get("crawl_workers", 1) > 1 and not (values.get("redis_url") or os.environ.get("AIDNEWS_REDIS_URL")):
        found.append(Problem(where, table, "crawl_workers", "above 1 needs 'redis_url' (or $AIDNEWS_REDIS_URL)"))
    problems.extend(found)
    return values


@dataclass
class CheckedFile:
    """A sources file's checked values: `[settings]`, each valid `[[source]]` in order, and every problem."""

    settings: dict[str, Any]
    sources: list[dict[str, Any]]
    problems: list[Problem] = field(default_factory=list)


def check_file(data: dict[str, Any], where: str) -> CheckedFile:
    """Every table of a parsed sources file checked, with every problem in it (unknown top-level keys, broken
    keys, missing keys, a name used twice)."""
    problems = [
        Problem(where, "", None, f"unknown top-level key {key!r} (use [[source]] and [settings])")
        for key in sorted(set(data) - {"source", "settings"})
    ]
    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list):
        problems.append(Problem(where, "", None, "'source' must be an array of tables ([[source]])"))
        raw_sources = []
    settings = check_settings(data.get("settings", {}), where, problems)
    sources: list[dict[str, Any]] = []
    first_of: dict[str, int] = {}
    for position, raw in enumerate(raw_sources, start=1):
        values = check_source(raw, where, position, problems)
        if values is not None:
            sources.append(values)
        name = raw.get("name") if isinstance(raw, dict) else None
        if isinstance(name, str) and name in first_of:
            problems.append(
                Problem(
                    where,
                    _source_table(raw, position),
                    "name",
                    f"is used twice (first by [[source]] #{first_of[name]})",
                )
            )
        elif isinstance(name, str):
            first_of[name] = position
    return CheckedFile(settings, sources, problems)
