"""The linear scan of a body for figures: numbers, their magnitudes, units and qualifiers (指标).

One compiled regular expression walks the body once; every match gets a fixed amount of further work (a
bounded look at the words around it, in ``context.py``), so the time is linear in the body's length. What
counts as a metric, the units and the qualifiers are described in ``docs/metrics.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from etl.metrics.context import (
    CLAUSE_BREAKS,
    LIST_BREAKS,
    WINDOW,
    Breaks,
    Context,
    categorise,
)
from etl.metrics.cues import HOUSEHOLDS_AFTER, MONEY_CUES, PEOPLE_AFTER, PEOPLE_BEFORE, PERSONS_AFTER_GE
from etl.metrics.subjects import find_subject
from etl.metrics.units import (
    IDIOM_HEADS,
    JUNK,
    NAMED_PERIOD_AFTER,
    NOT_PREFIX_AFTER,
    PHONE_AFTER,
    PHONE_BEFORE,
    QUALIFIERS,
    TIME_FRAME_AFTER,
    TIME_FRAME_BEFORE,
    TIME_UNITS,
    UNIT_LETTERS,
    UNITS,
    VAGUE_PREFIXES,
    unit_pattern,
)
from etl.text.numerals import is_bare_magnitude, is_magnitude_only, parse_magnitude, parse_number, parse_vague_range


@dataclass
class Metric:
    """One figure of a body: its mention, where it stands, its value in the base unit and what it measures."""

    text: str
    start: int
    end: int
    sentence: str
    value: Decimal  # exact: 2.3亿元 is 230000000, never 229999999.99999997
    value_max: Decimal | None
    unit: str
    classifier: str | None
    qualifier: str  # "exact" | "over" | "about"
    category: str
    subject: str | None
    # money only: aid_funding, investment, income, price, sales_output or loan; None for money of no such kind
    money_kind: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The metric as a JSON object: values are JSON numbers with exactly the decimal digits of the value."""
        record = asdict(self)
        record["value"] = json_number(self.value)
        record["value_max"] = None if self.value_max is None else json_number(self.value_max)
        return record


def json_number(value: Decimal) -> int | float | str:
    """``value`` as JSON carries it exactly: an integer; a float whose shortest text is that same decimal (0.05);
    else the decimal's text (more digits than a float holds)."""
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else str(value)


# ---------------------------------------------------------------- the scanner

ARABIC = r"(?:\d{1,3}(?:[,，]\d{3})++(?!\d)(?:[.．]\d++)?|\d++(?:[.．]\d++)?)"  # ． if widths were not fixed
CHINESE = r"(?:[零〇一二两三四五六七八九十百千万亿]++(?:点[零〇一二三四五六七八九]++)?)"
NUMBER = rf"(?:{ARABIC}|{CHINESE})"
MAGNITUDE = r"[十百千万亿]++"
PREFIX = r"大约|将近|接近|超过|多达|不少于|不低于|至少|约|近|超|逾|过|上|数|几"  # 数 几: vague, see below
SEPARATOR = r"至|到|~|～|-|－|—|–"
SUFFIX = r"以上|左右|上下|之多|有余|多|余|半"
# every match starts with one of these: a cheap look-ahead that lets the engine skip ordinary text fast
FIRST_CHARS = "".join(sorted({word[0] for word in PREFIX.split("|")} | set("零〇一二两三四五六七八九十百千万亿半")))
SCANNER = re.compile(
    rf"""
    (?=[\dA-Za-z{FIRST_CHARS}])
    (?:
    (?P<junk>{JUNK})
    |(?P<pre>{PREFIX})?
    (?:
        百分之(?P<pct>{NUMBER})
        |(?P<den>{NUMBER})分之(?P<num>{NUMBER})
        |(?P<half>一半|半数)
        |(?P<n1>{NUMBER})(?P<q1>余|多|几|来)?(?P<m1>{MAGNITUDE})?(?P<q1b>余|多)?
        (?:(?P<u1>{unit_pattern()})?(?P<sep>{SEPARATOR})
           (?![百千万亿])(?P<n2>{NUMBER})(?P<q2>余|多|几)?(?P<m2>{MAGNITUDE})?(?P<q2b>余|多)?)?
    )
    (?P<unit>{unit_pattern()})?
    (?P<post>{SUFFIX})?
    )
    """,
    re.VERBOSE,
)
BIG_NUMERAL = re.compile(r"[万亿]")
ROUND_ENDS = ("十", "百", "千", "万", "0")  # 来 is "about" only after a round number: 十来块钱, 二十来个, 百来人
HUNDRED = Decimal(100)
LARGEST = Decimal(10) ** 15  # 千万亿: beyond any figure a report states; below it, a double holds every whole number
SHARE_PLACES = Decimal("0.01")  # 三分之一 has no exact decimal: it is kept to 0.01 percent and marked "about"
SENTENCE_ENDS = re.compile(r"[。！？；!?;\n]")
SENTENCE_REACH = 200


# ---------------------------------------------------------------- reading one match


@dataclass
class Reading:
    """What the scanner's groups say, before the context is consulted."""

    value: Decimal
    value_max: Decimal | None
    unit: str | None
    factor: Decimal
    classifier: str | None
    qualifier: str
    chinese: bool
    bare: bool  # a bare magnitude with nothing before it: 千 in 千年


def exact(value: Decimal) -> Decimal:
    """``value`` without the fractional zeros that scaling leaves (2.3 × 1亿 is 230000000, not 230000000.0);
    never in exponent form."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def scaled(number: Decimal, factor: Decimal) -> Decimal:
    """A written number in the base unit: scaled numbers lose the zeros of the scaling, unscaled ones are kept
    as written (``0.50元`` stays 0.50)."""
    return number if factor == 1 else exact(number * factor)


def _number_value(number: str, magnitude: str | None) -> Decimal | None:
    value = parse_number(number)
    if value is None or value >= LARGEST:
        return None
    if magnitude:
        factor = parse_magnitude(magnitude)
        if factor is None or value * factor >= LARGEST:
            return None
        value = scaled(value, factor)
    return value


def _qualifier(*words: str | None) -> str:
    found = "exact"
    for word in words:
        if word:
            meaning = QUALIFIERS.get(word, "exact")
            if meaning != "exact":
                found = meaning
    return found


def _share(match: re.Match[str], prefix: str | None) -> Reading | None:
    """百分之五 5, 四分之一 25, 一半 50: shares written in words, in percent."""
    qualifier = _qualifier(prefix, match["post"])
    if match["pct"]:
        value = parse_number(match["pct"])
        classifier, chinese = "百分之", not match["pct"][0].isdigit()
    elif match["half"]:
        value, classifier, chinese = Decimal(50), match["half"], True
    else:
        numerator, denominator = parse_number(match["num"]), parse_number(match["den"])
        if numerator is None or not denominator or numerator >= denominator:
            return None
        value = numerator * HUNDRED / denominator
        if value != value.quantize(SHARE_PLACES):
            value = value.quantize(SHARE_PLACES)
            qualifier = "about" if qualifier == "exact" else qualifier
        classifier, chinese = "分之", not match["den"][0].isdigit()
    if value is None:
        return None
    return Reading(value, None, "percent", Decimal(1), classifier, qualifier, chinese, False)


def _read(match: re.Match[str], prefix: str | None) -> Reading | None:
    if match["pct"] or match["num"] or match["half"]:
        return _share(match, prefix)
    unit_text = match["unit"]
    unit, factor = UNITS[unit_text] if unit_text else (None, Decimal(1))
    n1, n2 = match["n1"], match["n2"]
    if match["q1"] == "来" and not n1.endswith(ROUND_ENDS):
        return None
    low = _number_value(n1, match["m1"])
    high = None
    vague = parse_vague_range(n1) if low is None and not n2 else None
    if vague:
        scale = parse_magnitude(match["m1"]) if match["m1"] else Decimal(1)
        if scale is None or scale >= LARGEST:
            return None
        if vague[1] * scale >= LARGEST:
            return None
        low, high = scaled(vague[0], scale), scaled(vague[1], scale)  # 两三千元: 2000 to 3000
    if low is None:
        return None
    if n2:
        if match["u1"] and unit_text and UNITS[match["u1"]].name != unit:
            return None
        high = _number_value(n2, match["m2"])
        if high is None:
            return None
        scale = parse_magnitude(match["m2"]) if match["m2"] else None
        if not match["m1"] and scale and low < high / scale * 10:
            low = scaled(low, scale)  # 3至5万元: the magnitude belongs to both ends
        if high <= low:
            return None
    qualifier = _qualifier(prefix, match["q1"], match["q1b"], match["post"], match["q2"], match["q2b"])
    if unit_text in ("个多月", "个多小时"):
        qualifier = "over"
    if match["post"] == "半" and unit in TIME_UNITS:
        low += Decimal("0.5")  # 1年半
    bare = is_bare_magnitude(n1) and not prefix and not (match["q1"] or match["q1b"])
    classifier = unit_text
    return Reading(low, high, unit, factor, classifier, qualifier, not n1[0].isdigit(), bare)


class Quantity(NamedTuple):
    """One quantity read on its own, in base units; ``unit`` is None when none is written (``过亿``)."""

    value: Decimal
    value_max: Decimal | None
    unit: str | None
    qualifier: str


def read_quantity(text: str) -> Quantity | None:
    """Parse one quantity on its own: ``420余万元`` -> (4200000, None, "CNY", "over"); None when ``text`` is
    not a single quantity."""
    match = SCANNER.fullmatch(text)
    if match is None or match["junk"]:
        return None
    reading = _read(match, match["pre"])
    if reading is None:
        return None
    value_max = scaled(reading.value_max, reading.factor) if reading.value_max is not None else None
    return Quantity(scaled(reading.value, reading.factor), value_max, reading.unit, reading.qualifier)


# ---------------------------------------------------------------- rejections


def _inside_short_quote(body: str, start: int, end: int) -> bool:
    """Inside “…” of at most 16 characters: a slogan or a name, not a figure (“1+1+7”, “5+2”工作法)."""
    opening = body.rfind("“", max(0, start - 16), start)
    if opening < 0 or "”" in body[opening:start]:
        return False
    closing = body.find("”", end, opening + 17)
    return closing >= 0 and "“" not in body[end:closing]


def _inside_title(body: str, start: int, end: int) -> bool:
    """Inside 《…》: a title, not a figure."""
    opening = body.rfind("《", max(0, start - 40), start)
    if opening < 0 or "》" in body[opening:start]:
        return False
    return body.find("》", end, start + 40) >= 0


def _is_year(reading: Reading, number: str) -> bool:
    return (
        reading.unit == "year" and reading.qualifier == "exact" and 1900 <= reading.value <= 2100 and len(number) == 4
    )


def _looks_like_a_code(body: str, start: int, number_end: int) -> bool:
    """Phone numbers, ordinals, formulas, numbers glued to letters or in （3）."""
    before = body[start - 1] if start else " "
    after = body[number_end] if number_end < len(body) else " "
    if before in "第+＋×*/／·.-－#№" or before.isascii() and before.isalnum():
        return True
    if after in "+＋×*/／" or (before in "（(" and after in "）)"):
        return True
    if after.isascii() and after.isalpha() and not UNIT_LETTERS.match(body, number_end):
        return True  # 5G, 4A级, 10kV
    return bool(PHONE_AFTER.match(body, number_end)) or bool(PHONE_BEFORE.search(body[max(0, start - 6) : start]))


# ---------------------------------------------------------------- the public functions


def _sentence_bounds(body: str) -> list[int]:
    return [found.start() for found in SENTENCE_ENDS.finditer(body)] + [len(body)]


def _skip(skip_spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    return sorted((start, end) for start, end in skip_spans if end > start)


def extract_metrics(body: str, skip_spans: Sequence[tuple[int, int]] = ()) -> list[Metric]:
    """Every figure in ``body`` (normalised, Simplified) that says how much aid work was done.

    ``skip_spans`` are [start, end) ranges (garbled text) from which nothing is read.
    """
    ends = _sentence_bounds(body)
    clauses = Breaks(body, CLAUSE_BREAKS)
    lists = Breaks(body, LIST_BREAKS)
    spans = _skip(skip_spans)
    sentence_index = 0
    span_index = 0
    metrics: list[Metric] = []
    for match in _candidates(body):
        if match["junk"]:
            continue
        start, end = match.start(), match.end()
        while span_index < len(spans) and spans[span_index][1] <= start:
            span_index += 1
        if span_index < len(spans) and spans[span_index][0] < end:
            continue
        while ends[sentence_index] < start:
            sentence_index += 1
        sentence_start = ends[sentence_index - 1] + 1 if sentence_index else 0
        previous = metrics[-1] if metrics and metrics[-1].start >= sentence_start else None
        metric = _metric(body, match, Window(sentence_start, previous, clauses, lists))
        if metric is None:
            continue
        # a sentence is capped around the mention, so a body without full stops stays linear
        metric.sentence = body[
            max(sentence_start, metric.start - SENTENCE_REACH) : min(
                ends[sentence_index] + 1, metric.end + SENTENCE_REACH
            )
        ].strip()
        metrics.append(metric)
    return metrics


def _candidates(body: str) -> Iterator[re.Match[str]]:
    """The scanner's matches, with a range of two different units read as two figures (3个月到1年半)."""
    for match in SCANNER.finditer(body):
        if match["u1"] and match["unit"] and UNITS[match["u1"]].name != UNITS[match["unit"]].name:
            first = SCANNER.match(body, match.start(), match.end("u1"))
            second = SCANNER.match(body, match.start("n2"), match.end())
            yield from (part for part in (first, second) if part)
        else:
            yield match


@dataclass
class Window:
    """Where the scan stands: the sentence start, the category of the figure before in that sentence, and
    the break positions."""

    sentence_start: int
    previous: Metric | None
    clauses: Breaks
    lists: Breaks


def _metric(body: str, match: re.Match[str], window: Window) -> Metric | None:
    share = match["pct"] or match["num"] or match["half"]
    if not (share or match["unit"] or match["m1"] or BIG_NUMERAL.search(match["n1"])):
        return None  # a number with no unit and no 万/亿 is never a figure (二十大, 12345热线, 52岁)
    start, end = match.start(), match.end()
    prefix = match["pre"]
    number_start = match.start("n1") if match["n1"] else match.start(0) + len(prefix or "")
    if prefix and (
        prefix in VAGUE_PREFIXES
        and not is_magnitude_only(match["n1"] or "")
        or start
        and body[start - 1] in NOT_PREFIX_AFTER.get(prefix, "")
    ):
        prefix, start = None, number_start  # 线上3场, 通过3个, 签约2个: the prefix belongs to a word
    number_end = match.end("n2") if match["n2"] else match.end("n1") if match["n1"] else end - len(match["post"] or "")
    if _looks_like_a_code(body, start if prefix else number_start, number_end):
        return None
    if _inside_short_quote(body, start, end) or _inside_title(body, start, end):
        return None
    if prefix in ("数", "几"):
        return None  # 几千元到几十万元不等, 数十家: a guess, not a figure
    reading = _read(match, prefix)
    if reading is None or reading.bare or reading.unit == "foreign" or body[max(0, start - 2) : start] in IDIOM_HEADS:
        return None
    clause_start, clause_end = window.clauses.around(start, end)
    list_start, list_end = window.lists.around(start, end)
    # the words before a figure stop at the figure before it: 37家企业的89个产品 is not counted as firms
    previous_end = window.previous.end if window.previous else 0
    near_start = max(list_start + 1, start - WINDOW, previous_end)
    context = Context(
        near=body[near_start:start],
        before=body[max(clause_start + 1, start - WINDOW) : start],
        wide=body[max(window.sentence_start, start - 2 * WINDOW) : start],
        after=body[end : min(list_end, end + WINDOW)],
        rest=body[end : min(clause_end, end + WINDOW)],
        previous=window.previous.category if window.previous else None,
        listed=window.previous is not None
        and window.previous.end == list_start
        and body[list_start] == "、"
        and window.previous.unit == reading.unit,
        previous_kind=window.previous.money_kind if window.previous else None,
        near_cut=near_start == start - WINDOW and near_start not in (list_start + 1, previous_end),
    )
    unit = reading.unit or _implied_unit(match, context.before, context.after)
    if (
        reading.classifier == "个"
        and PERSONS_AFTER_GE.match(context.after)
        and not (reading.chinese and reading.value <= 10)
    ):
        unit = "person"  # 23个徒弟; but 照顾两个孩子 is no figure of aid work (dropped below as a count)
    if unit is None or not _is_a_quantity(body, match, reading, unit, context.before, end):
        return None
    category, money_kind = categorise(unit, reading.classifier, context)
    if (
        reading.chinese
        and unit == "count"
        and reading.value <= 10
        and reading.qualifier == "exact"
        and (category == "other" and context.after or start and body[start - 1] in "”’》")
    ):
        return None  # 四个汉代典型元素, “粤菜师傅”“南粤家政”四项工程: an enumeration, not a figure
    return Metric(
        text=body[start:end],
        start=start,
        end=end,
        sentence="",
        value=scaled(reading.value, reading.factor),
        value_max=scaled(reading.value_max, reading.factor) if reading.value_max is not None else None,
        unit=unit,
        classifier=reading.classifier,
        qualifier=reading.qualifier,
        category=category,
        subject=find_subject(unit, reading.classifier, context.near, context.after, context.near_cut),
        money_kind=money_kind,
    )


def _implied_unit(match: re.Match[str], before: str, after: str) -> str | None:
    """过亿 after 总投资 is yuan, 上万 before 群众 is people; a bare small number is nothing."""
    number = match["n1"] or ""
    large = any(char in "万亿" for char in (match["m1"] or "") + number)
    if not large or match["n2"]:
        return None
    if HOUSEHOLDS_AFTER.match(after):
        return "household"
    if PEOPLE_AFTER.match(after) or PEOPLE_BEFORE.search(before):
        return "person"
    if MONEY_CUES.search(before[-10:]) and (not after or after[0] in "的，,。；;、）)"):
        return "CNY"
    return None


def _is_a_quantity(body: str, match: re.Match[str], reading: Reading, unit: str, before: str, end: int) -> bool:
    """Dates, ages, single 一, time frames and frequencies are not figures."""
    number = match["n1"] or match["pct"] or ""
    if _is_year(reading, number):
        return False
    if match["n2"] and unit == "year" and len(match["n2"]) == 4 and reading.value_max and reading.value_max >= 1900:
        return False  # 2018年至2019年
    if (
        reading.chinese
        and reading.value == 1
        and not match["n2"]
        and (reading.qualifier == "exact" or unit not in TIME_UNITS)
    ):
        return False  # 一个个, 一名, 一家亲, 一块多钱: 一 is an article here (一年多 is a length)
    if unit in TIME_UNITS:
        if TIME_FRAME_AFTER.match(body, end) or TIME_FRAME_BEFORE.search(before):
            return False  # 三年来, 过去四年, 每三天, 今年前5个月: a frame, a frequency or a part of the calendar
        if NAMED_PERIOD_AFTER.match(body, end):
            return False  # 三年行动计划: the name of a plan, not a length
    return True
