"""Dates as Chinese portals print them: in a line of text, a meta tag, JSON-LD, a script variable or the URL.

``2023年6月12日 10:30``, ``2023-06-12``, ``2023/6/2 8:05:09``, ``２０２３年０６月１２日`` (full width),
``二〇二三年六月十二日`` (Chinese numerals), ``2022年02月13日 星期日`` and ``2004年7月16日08:19`` all read the
same way; so does a day glued to its time by inline elements (``2019-09-3010:31``). A date without a zone is
Beijing time: every portal we crawl prints local time. A date before 1995 (the first Chinese news sites) or
more than two days ahead of the clock is no publication date (a founding year, an event announced for later)
and reads as none.

Some templates print the day without its year (``发布时间：10-08 12:00``) or with two digits
(``18-03-08 23:16``): :func:`find_yearless` reads those as month, day and time, and the caller completes the
year only from another date on the same page that agrees with them; the year is never guessed. Relative
times (``昨天``, ``3小时前``) are not read at all.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from etl.html.vocabulary import WIDTH
from etl.text.numerals import parse_chinese

SHANGHAI = ZoneInfo("Asia/Shanghai")

# the day may run straight into the time when inline elements join them: 2019-09-3010:31
_DAY = r"(?P<d>\d{1,2})(?:(?!\d)|(?=\d{1,2}[:：]\d{2}))"
DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:年|[-/.])\s*(?P<m>\d{1,2})\s*(?:月|[-/.])\s*" + _DAY + r"\s*日?"
    r"(?:\s*(?:星期.|周.)?\s*[T ]?\s*(?P<H>\d{1,2})\s*(?:[:：时])\s*(?P<M>\d{1,2})"
    r"(?:\s*(?:[:：分])\s*(?P<S>\d{1,2}))?(?:\.\d+)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2}|UTC|GMT)?)?"
)
# a line that holds nothing but a date (and the time, the weekday)
DATE_ONLY = re.compile(r"[\d\s年月日:：/.\-时分秒星期一二三四五六日天TZ+]+")

# 二〇二三年六月十二日: the year digit by digit (○ is a common stand-in for 〇), month and day as numbers
_HAN_NUMERAL = "[一二三四五六七八九十]"
_HAN_DATE = re.compile(rf"([〇零○一二三四五六七八九]{{4}})年({_HAN_NUMERAL}{{1,2}})月({_HAN_NUMERAL}{{1,3}})日")


def _arabic_date(match: re.Match[str]) -> str:
    year = parse_chinese(match.group(1).replace("○", "〇"))
    month = parse_chinese(match.group(2))
    day = parse_chinese(match.group(3))
    if year is None or month is None or day is None:
        return match.group(0)  # not a well-formed numeral (十十): leave it unread
    return f"{int(year)}年{int(month)}月{int(day)}日"


EARLIEST_YEAR = 1995
CLOCK_SLACK = timedelta(days=2)  # a portal's clock, or its time zone, may run ahead of ours


def _in_publication_window(stamp: datetime) -> datetime | None:
    """The stamp when it can date a page we crawl now: from 1995 up to two days ahead of the clock."""
    if stamp.year < EARLIEST_YEAR or stamp > datetime.now(UTC) + CLOCK_SLACK:
        return None
    return stamp


def _zone(text: str | None) -> timezone | ZoneInfo:
    if not text:
        return SHANGHAI
    if text in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


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
        return _in_publication_window(datetime(year, month, day, hour, minute, second, tzinfo=zone))
    except ValueError:
        return None


def find_date(text: str) -> datetime | None:
    """The first plausible date (with time, when given) in a short text; Asia/Shanghai unless a zone is given."""
    text = text.translate(WIDTH)
    if "年" in text and _HAN_DATE.search(text):
        text = _HAN_DATE.sub(_arabic_date, text)
    for match in DATE.finditer(text):
        stamp = _make_date(match)
        if stamp:
            return stamp
    return None


class Yearless(NamedTuple):
    """A printed day whose year the page does not print (or prints with two digits)."""

    month: int
    day: int
    hour: int | None
    minute: int | None
    year: int | None  # from a two-digit year, 2000 + yy

    def completed(self, stamp: datetime) -> datetime | None:
        """This day in the year of ``stamp``, when ``stamp`` falls on the same day (and minute, when both have one)."""
        local = stamp.astimezone(SHANGHAI)
        if (local.month, local.day) != (self.month, self.day) or (self.year and local.year != self.year):
            return None
        if self.hour is not None and (local.hour, local.minute) != (self.hour, self.minute):
            return None
        return datetime(local.year, self.month, self.day, self.hour or 0, self.minute or 0, tzinfo=SHANGHAI)


_YEARLESS = re.compile(
    r"(?<![\d\-/.年])(?:(?P<y>\d{2})[-/.])?(?P<m>\d{1,2})(?:[-/.]|月)" + _DAY + r"日?"
    r"(?:\s*(?P<H>\d{1,2})[:：](?P<M>\d{2}))?(?![\d\-/.])"
)


def find_yearless(text: str) -> Yearless | None:
    """``10-08 12:00``, ``10月8日``, ``18-03-08 23:16``: a day printed without a four-digit year."""
    match = _YEARLESS.search(text.translate(WIDTH))
    if match is None:
        return None
    month, day = int(match["m"]), int(match["d"])
    hour = int(match["H"]) if match["H"] else None
    minute = int(match["M"]) if match["M"] else None
    if not (1 <= month <= 12 and 1 <= day <= 31) or (hour is not None and (hour > 23 or (minute or 0) > 59)):
        return None
    return Yearless(month, day, hour, minute, 2000 + int(match["y"]) if match["y"] else None)


# a date split over elements, as a calendar badge prints it: "2019" "09/07" "19:02", read from joined lines
_SPLIT_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s+(?P<m>\d{1,2})[/\-.](?P<d>\d{1,2})(?!\d)"
    r"(?:\s+(?P<H>\d{1,2})[:：](?P<M>\d{2}))?(?!\d)"
)


def find_split_date(text: str) -> datetime | None:
    """A year followed, after a gap, by month/day (and a time): the pieces of a date printed in separate elements."""
    match = _SPLIT_DATE.search(text)
    if match is None:
        return None
    try:
        stamp = datetime(
            int(match["y"]),
            int(match["m"]),
            int(match["d"]),
            int(match["H"] or 0),
            int(match["M"] or 0),
            tzinfo=SHANGHAI,
        )
    except ValueError:
        return None
    return _in_publication_window(stamp)


# meta tags that carry the publication date, most specific first (Open Graph, Dublin Core, CMS names)
META_DATE_NAMES = (
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
# any other meta whose name speaks of a date: an update time, or a CMS's own name for the publication time
_META_UPDATE = re.compile(r"updat|modif|lastmod|last-mod|revis")
_META_DATED = re.compile(r"date|time|pub")


def meta_date_kind(name: str) -> str | None:
    """ "published" for the names above, "updated" for update times, "dated" for other date-like names."""
    if name in META_DATE_NAMES:
        return "published"
    if not _META_DATED.search(name):
        return None
    return "updated" if _META_UPDATE.search(name) else "dated"


_COMPACT_DATE = re.compile(r"^((?:19|20)\d{2})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$")


def meta_date(value: str) -> datetime | None:
    """A date in a meta tag or JSON-LD: ISO text, a Unix timestamp (s or ms), or 20230612[1030[00]]."""
    value = value.strip()
    if value.isdigit() and len(value) in (10, 13):
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        try:
            return _in_publication_window(datetime.fromtimestamp(seconds, UTC).astimezone(SHANGHAI))
        except (OverflowError, OSError, ValueError):
            return None
    compact = _COMPACT_DATE.match(value)
    if compact:
        year, month, day, hour, minute, second = (int(g) if g else 0 for g in compact.groups())
        try:
            return _in_publication_window(datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI))
        except ValueError:
            return None
    return find_date(value)


_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/_]?(0[1-9]|1[0-2])[-/_]?(0[1-9]|[12]\d|3[01])(?!\d)")


def url_date(url: str | None) -> datetime | None:
    """The day in a URL's path: /2023-06/12/, /202306/t20230612_1.html, /2023/06/12/."""
    if not url:
        return None
    path = urlsplit(url).path
    for match in _URL_DATE.finditer(path):
        try:
            stamp = datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)), tzinfo=SHANGHAI)
        except ValueError:
            continue
        kept = _in_publication_window(stamp)
        if kept:
            return kept
    return None


# script variables and attributes that hold the publication time in many CMS templates (TRS's __$pubtime,
# publish_time, data-publishtime …), and WeChat's ct, a Unix timestamp
_SCRIPT_KEYS = ("pubtime", "publish_time", "publishtime", "publishdate", "publish_date", "pubdate", "var ct")
_SCRIPT_VALUE = re.compile(
    r"""["']?\s*[:=]\s*["']?(\d{10}|(?:19|20)\d{2}[-/]\d{1,2}[-/]\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?)"""
)
_SCRIPT_HITS = 3


def script_dates(html: str) -> list[tuple[str, datetime]]:
    """(key, date) for each publication-time variable in the page's scripts and attributes."""
    lowered = html.lower()
    found: list[tuple[str, datetime]] = []
    for key in _SCRIPT_KEYS:
        start = lowered.find(key)
        hits = 0
        while start >= 0 and hits < _SCRIPT_HITS:
            hits += 1
            before = lowered[start - 1 : start]
            if not before.isalnum():
                match = _SCRIPT_VALUE.match(html, start + len(key))
                value = match.group(1) if match else ""
                stamp = meta_date(value) if value else None
                if stamp is not None and (key != "var ct" or value.isdigit()):
                    found.append((key.removeprefix("var "), stamp))
                    break
            start = lowered.find(key, start + len(key))
    return found
