"""Dates as Chinese portals print them: in a line of text, a meta tag, JSON-LD or the URL.

``2023年6月12日 10:30``, ``2023-06-12``, ``2023/6/2 8:05:09``, ``２０２３年０６月１２日`` (full width) and
``二〇二三年六月十二日`` (Chinese numerals) all read the same way. A date without a zone is Beijing time: every
portal we crawl prints local time. A date before 1990 or more than two days ahead of the clock is no
publication date (a founding year, an event announced for later) and reads as none.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from etl.html.vocabulary import WIDTH
from etl.text.numerals import parse_chinese

SHANGHAI = ZoneInfo("Asia/Shanghai")

DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:年|[-/.])\s*(?P<m>\d{1,2})\s*(?:月|[-/.])\s*(?P<d>\d{1,2})(?!\d)\s*日?"
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


EARLIEST_YEAR = 1990
CLOCK_SLACK = timedelta(days=2)  # a portal's clock, or its time zone, may run ahead of ours


def _in_publication_window(stamp: datetime) -> datetime | None:
    """The stamp when it can date a page we crawl now: from 1990 up to two days ahead of the clock."""
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
        stamp = _in_publication_window(stamp)
        if stamp:
            return stamp
    return None


def pick_date(*groups: list[datetime | None]) -> datetime | None:
    """The first date in order of trust; a later source with the same day may add the time of day."""
    found = [stamp for group in groups for stamp in group if stamp is not None]
    if not found:
        return None
    chosen = found[0]
    if chosen.hour == 0 and chosen.minute == 0:
        for other in found[1:]:
            if other.date() == chosen.date() and (other.hour or other.minute):
                return other
    return chosen
