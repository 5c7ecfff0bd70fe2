"""Publication time, author, editor and source as scored candidates, each choice with where it came from.

A page states its metadata in many places, and they disagree: the line under the headline, labelled lines
before and after the text, meta tags, JSON-LD, ``<time>``, script variables, class-named elements, the
dateline of the first paragraph, the URL. Every statement found becomes a :class:`Candidate` whose weight says
how far its place is trusted; candidates from different places that agree (the same day, the same names) add
to each other, and the highest total wins. The winner's ``origin`` is kept (``header:发布时间``,
``meta:article:published_time``, ``script:pubtime`` …) so that a user can see why a value was chosen.

Where a place sits is decided by the headline and the body: *header* is between them, *lead* a labelled line
inside the container before the first paragraph, *end* one after the text, *trailer* the few blocks after the
container. Dates inside the text are never candidates (only labelled or date-only lines are read), and lines
inside boilerplate-named elements (related lists, comments) count half. Weights were set on the hand-labelled
real portal pages (``bench/real_pages.py``) and checked against the demo portal.

htmldate (the date finder trafilatura uses) was measured on the same 61 dated pages as a further candidate
source and is not one: it is right to the day on 54 of them and this module on 61, and there is no page where
htmldate is right and this module wrong (``bench/real_pages.py --htmldate``), so it could only add noise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, NamedTuple, TypeVar

from etl.html.blocks import Block, Walk, is_link_list
from etl.html.body import Body
from etl.html.dates import (
    SHANGHAI,
    Yearless,
    find_date,
    find_split_date,
    find_yearless,
    meta_date,
    meta_date_kind,
    script_dates,
    url_date,
)
from etl.html.labels import UNLABELLED_RANK, MetaLine, cut_value, make_key, read_byline, read_meta_line
from etl.html.vocabulary import (
    CLOSING_NOTE,
    DATE_LINE_NOISE,
    EDITOR_RANK,
    END_MARKER,
    NOBODY,
    OPENERS,
    OUTLET_SUFFIX,
    PLATFORMS,
    WS,
)
from etl.text.chars import HAN_CLASS

FIELDS = ("date", "author", "editor", "source")
NAME_FIELDS = FIELDS[1:]
V = TypeVar("V", datetime, str)


@dataclass(frozen=True, slots=True)
class Candidate(Generic[V]):
    value: V  # a date (datetime) or a name (str)
    origin: str  # where it was read: "header:来源", "meta:pubdate", "class:author" …
    weight: float


class Pick(NamedTuple):
    """The chosen value of one field and where it came from."""

    value: datetime | str | None = None
    origin: str | None = None


# ---------------------------------------------------------------------------------------------------------
# Weights: how far each place is trusted

# dates: the line under the headline first, then the publication meta tags and JSON-LD; an update time only
# breaks ties; the URL is the last resort
DATE_WEIGHT = {
    "header": 10.0,
    "lead": 9.0,
    "meta": 8.0,
    "json-ld": 8.0,
    "end": 6.0,
    "trailer": 6.0,
    "script": 5.0,
    "meta-dated": 5.0,
    "above": 4.0,
    "time": 4.0,
    "url": 3.0,
    "meta-updated": 2.0,
}
# label ranks (0 发布时间, 1 时间/日期, 2 更新时间/成文日期, 3 none) move a line's weight
RANK_SHIFT = {0: 1.0, 1: 0.0, 2: -6.0, UNLABELLED_RANK: -1.0}
# an unlabelled date far from the headline is more often a list's or a widget's than the article's
UNLABELLED_FAR = -3.0
# bylines: labelled lines first, then class-named elements, structured data and the dateline; meta tags last
NAME_WEIGHT = {
    "header": 10.0,
    "lead": 9.0,
    "end": 8.0,
    "trailer": 8.0,
    "byline": 8.0,  # an unlabelled line that is only a byline: 澎湃新闻记者 段彦超 廖艳
    "class": 7.0,
    "json-ld": 7.0,
    "dateline": 7.0,
    "closing": 6.0,  # a bracketed byline closing the text: …举行。（张三）
    "date-line": 6.0,
    "outlet-line": 5.0,
    "meta": 5.0,
}
JUNK_FACTOR = 0.5  # a line inside a boilerplate-named element
AGREEMENT = 2.0  # added for each other place that states the same value
MAX_AGREEING = 3


# ---------------------------------------------------------------------------------------------------------
# Collecting


class Partial(NamedTuple):
    """A date printed without its year, waiting for a full date of the page that agrees with it."""

    day: Yearless
    origin: str
    weight: float


@dataclass
class Candidates:
    dates: list[Candidate[datetime]] = field(default_factory=list)
    names: dict[str, list[Candidate[str]]] = field(default_factory=lambda: {name: [] for name in NAME_FIELDS})
    yearless: list[Partial] = field(default_factory=list)

    def add_date(self, value: datetime | None, origin: str, weight: float) -> None:
        if value:
            self.dates.append(Candidate(value, origin, weight))

    def add(self, name: str, value: str | None, origin: str, weight: float) -> None:
        """A name: author, editor or source."""
        if value:
            self.names[name].append(Candidate(value, origin, weight))

    def add_line(self, meta: MetaLine, region: str, junk: bool, far: bool = False) -> None:
        """Every field of one labelled line, weighted by where it stands and by its labels."""
        factor = JUNK_FACTOR if junk else 1.0
        for kind in ("author", "editor", "source"):
            value = meta.fields.get(kind)
            if not value:
                continue
            label = meta.labels.get(kind, "")
            weight = NAME_WEIGHT[region] - (EDITOR_RANK.get(label, 2) if kind == "editor" else 0.0)
            self.add(kind, value, _origin(region, label), weight * factor)
        if not meta.dates and not meta.yearless:
            return
        origin = _origin(region, meta.labels.get("date", ""))
        shift = RANK_SHIFT[meta.date_rank] + (UNLABELLED_FAR if far and meta.date_rank == UNLABELLED_RANK else 0.0)
        for stamp in meta.dates[:1]:
            self.add_date(stamp, origin, (DATE_WEIGHT[region] + shift) * factor)
        for partial in meta.yearless[:1]:
            self.yearless.append(Partial(partial, origin, DATE_WEIGHT[region] * factor))


def _origin(region: str, label: str) -> str:
    return f"{region}:{label}" if label else region


_NAME_TOKEN = re.compile(rf"^[{HAN_CLASS}]{{2,4}}$")
_TOKEN_SPLIT = re.compile(r"[\s·|丨｜/]+")
_TRAILING_NOTE = re.compile(r"[\[【(（].*?[\]】)）]$")  # 游民星空[整理]


def _date_line_names(text: str) -> tuple[list[str], str | None]:
    """What an unlabelled date line holds beside the date: (authors, source).

    "2019-09-26 10:56:28 证券时报网" names an outlet; "2020-06-05 20:35 叨叨姐 胡一刀" names people: several
    short Han tokens, none shaped like an outlet, are authors; otherwise the first token is the source.
    """
    rest = DATE_LINE_NOISE.sub(" ", text)
    tokens = [t for t in _TOKEN_SPLIT.split(rest) if t and not PLATFORMS.fullmatch(t)]
    tokens = [_TRAILING_NOTE.sub("", t) for t in tokens if not t.isdigit() and t not in NOBODY]
    tokens = [t for t in tokens if 2 <= len(t) <= 20]
    if not tokens:
        return [], None
    if len(tokens) >= 2 and all(_NAME_TOKEN.match(t) and not OUTLET_SUFFIX.search(t) for t in tokens):
        return tokens, None
    return [], tokens[0]


def _is_date_line(text: str) -> bool:
    return find_date(text) is not None or find_split_date(text) is not None


def _label_only(meta: MetaLine) -> bool:
    return meta.is_meta and not meta.fields and not meta.dates and not meta.yearless


def gather_header(found: Candidates, blocks: list[Block], lo: int, hi: int) -> None:
    """Lines between the headline and the text: labelled fields, dates alone or split over elements, bylines."""
    lines = [
        block
        for block in blocks[max(lo, 0) : hi]
        if block.length <= 160 and (not is_link_list(block) or _is_date_line(block.text))
    ]
    label_text: str | None = None
    for block in lines:
        meta = read_meta_line(block.text)
        if label_text is not None and not meta.labels and meta.date_rank == UNLABELLED_RANK:
            # a label in one element, its value in the next: "发布时间：" | "2023-06-12"
            meta = read_meta_line(f"{label_text} {block.text}")
        label_text = block.text if _label_only(meta) else None
        if meta.is_meta or meta.fields:
            found.add_line(meta, "header", junk=False)
        elif meta.dates and block.length <= 60:
            found.add_line(MetaLine({}, meta.dates, True), "header", junk=False)
        elif block.length <= 20 and (partial := find_yearless(block.text)) is not None and not block.punct:
            found.yearless.append(Partial(partial, "header", DATE_WEIGHT["header"] - 1.0))
        if not meta.labels and block.length <= 60 and _is_date_line(block.text):
            authors, source = _date_line_names(block.text)
            found.add("author", " ".join(authors), "date-line", NAME_WEIGHT["date-line"])
            found.add("source", source, "date-line", NAME_WEIGHT["date-line"])
        elif not meta.fields and not meta.dates:
            byline = read_byline(block.text)
            if byline is not None:
                found.add_line(byline, "byline", junk=False)
            elif block.length <= 12 and OUTLET_SUFFIX.search(block.text):
                found.add("source", block.text, "outlet-line", NAME_WEIGHT["outlet-line"])
    joined = " ".join(block.text for block in lines if block.length <= 20 and not block.junk_depth)
    stamp = find_split_date(joined) if joined else None
    if stamp is not None:
        found.add_date(stamp, "header", DATE_WEIGHT["header"] - 1.0)
        _authors, source = _date_line_names(joined)
        found.add("source", source, "date-line", NAME_WEIGHT["date-line"])


_ABOVE_BLOCKS = 2


def gather_above(found: Candidates, blocks: list[Block], title_index: int) -> None:
    """A date line just above the headline (some templates put it there), outside any boilerplate element."""
    for block in blocks[max(title_index - _ABOVE_BLOCKS, 0) : title_index]:
        if block.junk_depth or block.link_len or block.length > 60:
            continue
        meta = read_meta_line(block.text)
        if meta.dates and (meta.is_meta or meta.date_rank < UNLABELLED_RANK):
            found.add_line(MetaLine({}, meta.dates, True, meta.date_rank), "above", junk=False)


def gather_body(found: Candidates, body: Body, blocks: list[Block]) -> None:
    """Labelled lines the body reader took out of the container (those above the text are the header's)."""
    for line in body.lines:
        if line.at < body.first:
            continue
        found.add_line(
            line.meta, "end" if line.after_text else "lead", bool(blocks[line.at].junk_depth), far=line.after_text
        )
    if body.closing_byline is not None:
        found.add_line(body.closing_byline, "closing", junk=False)


TRAILER_BLOCKS = 8
_TRAILER_LENGTH = 160


def gather_trailer(found: Candidates, blocks: list[Block], end: int) -> None:
    """Lines just after the text (责任编辑 in its own element), up to the furniture."""
    for block in blocks[end : end + TRAILER_BLOCKS]:
        if block.length > _TRAILER_LENGTH or is_link_list(block):
            continue
        key = make_key(block.text).text.lstrip(OPENERS)
        if END_MARKER.match(key):
            break
        if CLOSING_NOTE.match(key):
            continue
        meta = read_meta_line(block.text)
        if meta.is_meta or block.length <= 60:
            found.add_line(meta, "trailer", bool(block.junk_depth), far=True)


_HINT_NOISE = re.compile(r"[：:，。！？]|\d{4}")  # a sentence or a date, not a name
_SOURCE_LENGTH = 20


def gather_hinted(found: Candidates, walk: Walk, lo: int, hi: int) -> None:
    """Small elements whose class names their field (作者/来源/编辑 without a printed label)."""
    seen: set[str] = set()
    for kind, tag, index in walk.hinted:
        if not lo <= index < hi or kind in seen:
            continue
        text = WS.sub(" ", tag.text(" ")).strip()
        if not text or len(text) > 40:
            continue
        meta = read_meta_line(text)
        value = meta.fields.get(kind) if meta.labels else cut_value(text, kind)
        if value and not _HINT_NOISE.search(value) and (kind != "source" or len(value) <= _SOURCE_LENGTH):
            seen.add(kind)
            found.add(kind, value, f"class:{kind}", NAME_WEIGHT["class"])


_LEAD_BRACKETS = re.compile(r"[（(【〔]([^）)】〕]{2,40})[）)】〕]")


def gather_dateline(found: Candidates, paragraphs: list[str]) -> None:
    """新疆日报讯（记者 张三 通讯员 李四）… at the start of the first paragraphs."""
    for text in paragraphs[:2]:
        match = _LEAD_BRACKETS.search(text[:80])
        if match:
            meta = read_meta_line(match.group(1))
            if "author" in meta.fields:
                found.add("author", meta.fields["author"], "dateline", NAME_WEIGHT["dateline"])
                return


def gather_page(
    found: Candidates, walk: Walk, ld: dict[str, str], html: str, url: str | None, header_text: str
) -> None:
    """Meta tags, JSON-LD, <time>, script variables and the URL."""
    for name, value in walk.metas.items():
        kind = meta_date_kind(name)
        if kind is not None:
            place = "meta" if kind == "published" else f"meta-{kind}"
            found.add_date(meta_date(value), f"meta:{name}", DATE_WEIGHT[place])
    for name in ("source", "contentsource"):
        stated = walk.metas.get(name)
        if stated:
            found.add("source", cut_value(stated.removeprefix("来源："), "source"), f"meta:{name}", NAME_WEIGHT["meta"])
    author = walk.metas.get("author")
    if author and author in header_text:  # a CMS fills meta author with the site or a user id: trust it when shown
        found.add("author", cut_value(author, "author"), "meta:author", NAME_WEIGHT["meta"])
    for name, lower in (("datePublished", 0.0), ("dateCreated", 1.0)):
        if name in ld:
            found.add_date(meta_date(ld[name]), f"json-ld:{name}", DATE_WEIGHT["json-ld"] - lower)
    if "author" in ld:
        found.add("author", ld["author"], "json-ld:author", NAME_WEIGHT["json-ld"])
    for value in walk.time_values[:3]:
        found.add_date(meta_date(value), "time", DATE_WEIGHT["time"])
    for key, stamp in script_dates(html):
        found.add_date(stamp, f"script:{key}", DATE_WEIGHT["script"])
    found.add_date(url_date(url), "url", DATE_WEIGHT["url"])


# ---------------------------------------------------------------------------------------------------------
# Choosing


def _place(origin: str) -> str:
    """Candidates from one place vote once: meta:pubdate and meta:publishdate are one voice."""
    return origin.split(":", 1)[0]


def _day(stamp: datetime) -> tuple[int, int, int]:
    local = stamp.astimezone(SHANGHAI)
    return local.year, local.month, local.day


def _complete_years(found: Candidates) -> None:
    """Yearless dates take their year from a full date of the page that agrees with them, else are dropped."""
    full = sorted(found.dates, key=lambda c: -c.weight)
    for partial in found.yearless:
        for other in full:
            stamp = partial.day.completed(other.value)
            if stamp is not None:
                found.add_date(stamp, f"{partial.origin} (year from {other.origin})", partial.weight)
                break


def _best(candidates: list[Candidate[V]], key: Callable[[V], Hashable]) -> Candidate[V] | None:
    """The candidate with the highest weight plus agreement from other places (first found wins ties)."""
    if not candidates:
        return None
    places_by_key: dict[object, set[str]] = {}
    for candidate in candidates:
        places_by_key.setdefault(key(candidate.value), set()).add(_place(candidate.origin))

    def score(candidate: Candidate[V]) -> float:
        others = len(places_by_key[key(candidate.value)]) - 1
        return candidate.weight + AGREEMENT * min(others, MAX_AGREEING)

    return max(candidates, key=score)


def _names_key(value: object) -> tuple[str, ...]:
    return tuple(sorted(str(value).split()))


def choose(found: Candidates) -> dict[str, Pick]:
    """The winning value and its origin for every field."""
    _complete_years(found)
    picks = {name: Pick() for name in FIELDS}
    dates = found.dates
    best_date = _best(dates, _day)
    if best_date is not None:
        stamp = best_date.value
        if stamp.hour == 0 and stamp.minute == 0:
            # the day's winner printed no time: another place stating the same day may give it
            same_day = [c for c in dates if _day(c.value) == _day(stamp) and (c.value.hour or c.value.minute)]
            if same_day:
                stamp = max(same_day, key=lambda c: c.weight).value
        picks["date"] = Pick(stamp, best_date.origin)
    for name in NAME_FIELDS:
        best_name = _best(found.names[name], _names_key)
        if best_name is not None:
            picks[name] = Pick(best_name.value, best_name.origin)
    return picks
