"""The filters of `aidnews articles`, `metrics` and `export`: checked against what exists, then turned into SQL.

A value is checked before any query runs, so that a typo is told apart from an empty result: a program,
category or unit must be one the extractor produces (or one stored), a source one the database knows, a place
a province, prefecture or county of the gazetteer (full or short name: 新疆, 喀什地区, 疏勒) or a name stored as
such, and a date `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (days in Beijing time, `until` inclusive). A wrong value
raises `InvalidFilter`, whose message lists the valid ones. Text values are converted to Simplified characters
first, as the stored text is. Every value reaches SQL as a bound parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from etl.entities.programs import GENERIC_PROGRAM, PROGRAM_PATTERNS
from etl.metrics.keywords import KEYWORDS
from etl.metrics.units import TIME_UNITS, UNITS
from etl.regions import Region, lookup, parent_chain
from etl.store import search
from etl.store.models import Article, Metric, Source
from etl.text.script import to_simplified

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROGRAMS = (*PROGRAM_PATTERNS, GENERIC_PROGRAM)
# every category etl.metrics.context.categorise returns: the keyword categories and the one set by unit alone
CATEGORIES = (*KEYWORDS, "duration")
DROPPED_UNITS = ("foreign",)  # read by the scanner so as not to be mistaken for yuan, never stored
UNITS_KNOWN = tuple(dict.fromkeys(u for u, _ in UNITS.values() if u not in DROPPED_UNITS)) + tuple(sorted(TIME_UNITS))
SIDES = ("provider", "recipient")
LEVEL_COLUMNS = {
    side: {level: getattr(Article, f"{side}_{level}") for level in ("province", "prefecture", "county")}
    for side in SIDES
}
LISTED_AT_MOST = 40  # valid values an error message lists before "and N more"
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


class InvalidFilter(ValueError):
    """A filter value that names nothing that exists; the message lists the valid values."""


@dataclass(frozen=True)
class Filters:
    """The filters as given on the command line (None: not given)."""

    program: str | None = None
    provider: str | None = None
    recipient: str | None = None
    source: str | None = None
    since: str | None = None
    until: str | None = None
    category: str | None = None
    unit: str | None = None
    q: str | None = None
    duplicates: bool = False  # include syndicated copies

    def given(self) -> dict[str, str]:
        """The filters that were given, by name."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "duplicates"}
        return {k: v for k, v in out.items() if v is not None}

    def describe(self) -> str:
        """`program 援疆, since 2023` — or `no filters`."""
        given = self.given()
        return ", ".join(f"{'search' if k == 'q' else k} {v}" for k, v in given.items()) or "no filters"


class Unit(NamedTuple):
    level: str
    name: str


@dataclass(frozen=True)
class Place:
    """A place a filter names: a unit of the gazetteer, or a name stored as it is (outside the gazetteer)."""

    name: str
    level: str | None  # None: any level
    ancestors: tuple[Unit, ...] = ()  # province first


@dataclass(frozen=True)
class Criteria:
    """Filters checked and resolved, ready to become SQL."""

    filters: Filters
    program: str | None
    source: str | None
    category: str | None
    unit: str | None
    provider: tuple[Place, ...]
    recipient: tuple[Place, ...]
    since: datetime | None  # inclusive
    until: datetime | None  # exclusive
    query: search.SearchQuery | None


def _text(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if "\x00" in value:
        raise InvalidFilter(f"--{name}: the value holds a NUL character")
    value = to_simplified(value.strip())
    if not value:
        raise InvalidFilter(f"--{name}: the value is empty")
    return value


def _listing(values: list[str]) -> str:
    shown = ", ".join(values[:LISTED_AT_MOST])
    return shown + (f" and {len(values) - LISTED_AT_MOST} more" if len(values) > LISTED_AT_MOST else "")


def _one_of(name: str, value: str | None, known: tuple[str, ...], stored: list[str]) -> str | None:
    if value is None:
        return None
    valid = list(dict.fromkeys([*known, *sorted(s for s in stored if s)]))
    if value not in valid:
        choices = _listing(valid) if valid else "none: the database holds none yet"
        raise InvalidFilter(f"unknown {name} {value!r}; valid: {choices}")
    return value


def _distinct(session: Session, *columns: Mapped[str | None]) -> list[str]:
    found: set[str] = set()
    for column in columns:
        found.update(v for (v,) in session.execute(sa.select(column).distinct()) if v)
    return sorted(found)


def _places(session: Session, side: str, value: str | None) -> tuple[Place, ...]:
    if value is None:
        return ()
    columns = LEVEL_COLUMNS[side]
    units: list[Region] = lookup(value)
    if units:
        return tuple(Place(r.name, r.level, tuple(Unit(a.level, a.name) for a in parent_chain(r)[:-1])) for r in units)
    stored = _distinct(session, *columns.values())
    if value in stored:
        return (Place(value, None),)
    raise InvalidFilter(
        f"unknown {side} {value!r}: not a province, prefecture or county name; "
        f"{side}s in the database: {_listing(stored) if stored else 'none yet'}"
    )


def day_range(name: str, value: str | None) -> tuple[date, date] | None:
    """The first and last day a date filter covers."""
    if value is None:
        return None
    match = _DATE.match(value.strip())
    try:
        if not match:
            raise ValueError("not a date")
        year, month, day = int(match[1]), match[2], match[3]
        if day is not None:
            first = last = date(year, int(month), int(day))
        elif month is not None:
            first = date(year, int(month), 1)
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        else:
            first, last = date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        raise InvalidFilter(f"--{name} {value!r}: give a date as YYYY, YYYY-MM or YYYY-MM-DD") from None
    return first, last


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def resolve(session: Session, filters: Filters) -> Criteria:
    """Check every filter against what exists and resolve it; raises InvalidFilter with the valid values."""
    program = _one_of(
        "program",
        _text("program", filters.program),
        PROGRAMS,
        _distinct(session, col(Article.program)) if filters.program else [],
    )
    category = _one_of(
        "category",
        _text("category", filters.category),
        CATEGORIES,
        _distinct(session, col(Metric.category)) if filters.category else [],
    )
    unit = _one_of(
        "unit", _text("unit", filters.unit), UNITS_KNOWN, _distinct(session, col(Metric.unit)) if filters.unit else []
    )
    source = _one_of(
        "source",
        _text("source", filters.source),
        (),
        _distinct(session, col(Source.name), col(Article.source_name)) if filters.source else [],
    )
    since, until = day_range("since", filters.since), day_range("until", filters.until)
    if since and until and since[0] > until[1]:
        raise InvalidFilter(f"--since {filters.since} is after --until {filters.until}")
    try:
        query = search.parse_query(filters.q) if filters.q is not None else None
    except search.SearchError as exc:
        raise InvalidFilter(f"--q: {exc}") from None
    return Criteria(
        filters=filters,
        program=program,
        source=source,
        category=category,
        unit=unit,
        provider=_places(session, "provider", _text("provider", filters.provider)),
        recipient=_places(session, "recipient", _text("recipient", filters.recipient)),
        since=_start_of(since[0]) if since else None,
        until=_start_of(until[1] + timedelta(days=1)) if until else None,
        query=query,
    )


def _place_condition(side: str, place: Place) -> ColumnElement[bool]:
    columns = LEVEL_COLUMNS[side]
    if place.level is None:
        return sa.or_(*(column == place.name for column in columns.values()))
    parts = [columns[place.level] == place.name]
    for ancestor in place.ancestors:  # the same one, or not recorded
        column = columns[ancestor.level]
        parts.append(sa.or_(column == ancestor.name, column.is_(None)))
    return sa.and_(*parts)


def article_conditions(criteria: Criteria, dialect: str, *, with_search: bool = True) -> list[ColumnElement[bool]]:
    """Where-clauses on `article` for every filter but the metric ones (category is an EXISTS on `metric`)."""
    out: list[ColumnElement[bool]] = []
    if criteria.program:
        out.append(col(Article.program) == criteria.program)
    if criteria.source:
        out.append(col(Article.source_name) == criteria.source)
    for side in SIDES:
        places: tuple[Place, ...] = getattr(criteria, side)
        if places:
            out.append(sa.or_(*(_place_condition(side, p) for p in places)))
    if criteria.since:
        out.append(col(Article.published_at) >= criteria.since)
    if criteria.until:
        out.append(col(Article.published_at) < criteria.until)
    if not criteria.filters.duplicates:
        out.append(col(Article.duplicate_of).is_(None))
    if criteria.query and with_search:
        out.append(search.condition(criteria.query, dialect))
    return out


def metric_conditions(criteria: Criteria) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if criteria.category:
        out.append(col(Metric.category) == criteria.category)
    if criteria.category == "funding":  # aid money only: never a price, a wage or a loan a sentence put near it
        out.append(sa.or_(col(Metric.unit) != "CNY", col(Metric.money_kind) == "aid_funding"))
    if criteria.unit:
        out.append(col(Metric.unit) == criteria.unit)
    return out


def has_metrics(criteria: Criteria) -> list[ColumnElement[bool]]:
    """For article listings: the article states a figure of the category (and unit) asked for."""
    wanted = metric_conditions(criteria)
    if not wanted:
        return []
    return [sa.exists(sa.select(col(Metric.id)).where(col(Metric.article_id) == col(Article.id), *wanted))]
