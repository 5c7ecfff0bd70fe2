"""The linear scan of a body for figures: numbers, their magnitudes, units and qualifiers (指标).

One compiled regular expression walks the body once; every match gets a fixed amount of further work (a
bounded look at the words around it, in ``context.py``), so the time is linear in the body's length. What
counts as a metric, the units and the qualifiers are described in ``docs/metrics.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from etl.metrics.context import (
    CLAUSE_BREAKS,
    LIST_BREAKS,
    WINDOW,
    Breaks,
    Context,
    categorise,
    find_subject,
)
from etl.metrics.lexicon import (
    HOUSEHOLDS_AFTER,
    IDIOM_HEADS,
    JUNK,
    LENGTH_CUES,
    MONEY_CUES,
    NOT_PREFIX_AFTER,
    PEOPLE_AFTER,
    PEOPLE_BEFORE,
    PHONE_AFTER,
    PHONE_BEFORE,
    QUALIFIERS,
    TIME_FRAME_AFTER,
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
    value: float
    value_max: float | None
    unit: str
    classifier: str | None
    qualifier: str  # "exact" | "over" | "about"
    category: str
    subject: str | None


# ---------------------------------------------------------------- the scanner

ARABIC = r"(?:\d{1,3}(?:[,，]\d{3})++(?!\d)(?:[.．]\d++)?|\d++(?:[.．]\d++)?)"  # ． if widths were not fixed
CHINESE = r"(?:[零〇一二两三四五六七八九十百千万亿]++(?:点[零〇一二三四五六七八九]++)?)"
NUMBER = rf"(?:{ARABIC}|{CHINESE})"
MAGNITUDE = r"[十百千万亿]++"
PREFIX = r"大约|将近|接近|超过|多达|不少于|不低于|至少|约|近|超|逾|过|上|数|几"  # 数 几: vague, see below
SEPARATOR = r"至|到|~|～|-|－|—|–"
SUFFIX = r"以上|左右|上下|之多|有余|多|余|半"
# every match starts with one of these: a cheap look-ahead that lets the engine skip ordinary text fast
FIRST_CHARS = "".join(sorted({word[0] for word in PREFIX.split("|")} | set("零〇一二两三四五六七八九十百千万亿")))
SCANNER = re.compile(
    rf"""
    (?=[\dA-Za-z{FIRST_CHARS}])
    (?:
    (?P<junk>{JUNK})
    |(?P<pre>{PREFIX})?
    (?:
        百分之(?P<pct>{NUMBER})
        |(?P<n1>{NUMBER})(?P<q1>余|多|几)?(?P<m1>{MAGNITUDE})?(?P<q1b>余|多)?
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
SENTENCE_ENDS = re.compile(r"[。！？；!?;\n]")
SENTENCE_REACH = 200


# ---------------------------------------------------------------- reading one match


@dataclass
class Reading:
    """What the scanner's groups say, before the context is consulted."""

    value: float
    value_max: float | None
    unit: str | None
    factor: float
    classifier: str | None
    qualifier: str
    chinese: bool
    bare: bool  # a bare magnitude with nothing before it: 千 in 千年


def _number_value(number: str, magnitude: str | None) -> float | None:
    value = parse_number(number)
    if value is None:
        return None
    if magnitude:
        factor = parse_magnitude(magnitude)
        if factor is None:
            return None
        value *= factor
    return value


def _qualifier(*words: str | None) -> str:
    found = "exact"
    for word in words:
        if word:
            meaning = QUALIFIERS.get(word, "exact")
            if meaning != "exact":
                found = meaning
    return found


def _read(match: re.Match[str], prefix: str | None) -> Reading | None:
    unit_text = match["unit"]
    unit, factor = UNITS.get(unit_text, (None, 1.0)) if unit_text else (None, 1.0)
    if match["pct"]:
        value = parse_number(match["pct"])
        if value is None:
            return None
        return Reading(value, None, "percent", 1.0, "百分之", _qualifier(prefix, match["post"]),
                       not match["pct"][0].isdigit(), False)
    n1, n2 = match["n1"], match["n2"]
    low = _number_value(n1, match["m1"])
    high = None
    vague = parse_vague_range(n1) if low is None and not n2 else None
    if vague:
        scale = parse_magnitude(match["m1"]) if match["m1"] else 1.0
        low, high = vague[0] * scale, vague[1] * scale  # 两三千元: 2000 to 3000
    if low is None:
        return None
    if n2:
        if match["u1"] and unit_text and UNITS.get(match["u1"], (None,))[0] != unit:
            return None
        high = _number_value(n2, match["m2"])
        if high is None:
            return None
        if not match["m1"] and match["m2"] and low < high / parse_magnitude(match["m2"]) * 10:
            low *= parse_magnitude(match["m2"])  # 3至5万元: the magnitude belongs to both ends
        if high <= low:
            return None
    qualifier = _qualifier(prefix, match["q1"], match["q1b"], match["post"], match["q2"], match["q2b"])
    if unit_text in ("个多月", "个多小时"):
        qualifier = "over"
    if match["post"] == "半" and unit in TIME_UNITS:
        low += 0.5  # 1年半
    bare = is_bare_magnitude(n1) and not prefix and not (match["q1"] or match["q1b"])
    classifier = unit_text
    return Reading(low, high, unit, factor, classifier, qualifier, not n1[0].isdigit(), bare)


def read_quantity(text: str) -> tuple[float, float | None, str | None, str] | None:
    """Parse one quantity on its own: ``420余万元`` -> (4200000.0, None, "CNY", "over").

    Returns (value, value_max, unit, qualifier) in base units, unit None when none is written (``过亿``),
    or None when ``text`` is not a single quantity.
    """
    match = SCANNER.fullmatch(text)
    if match is None or match["junk"]:
        return None
    reading = _read(match, match["pre"])
    if reading is None:
        return None
    value_max = reading.value_max * reading.factor if reading.value_max is not None else None
    return reading.value * reading.factor, value_max, reading.unit, reading.qualifier


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
    return (reading.unit == "year" and reading.qualifier == "exact" and 1900 <= reading.value <= 2100
            and len(number) == 4)


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
    return bool(PHONE_AFTER.match(body, number_end)) or bool(PHONE_BEFORE.search(body[max(0, start - 6):start]))


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
    for match in SCANNER.finditer(body):
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
        metric.sentence = body[max(sentence_start, metric.start - SENTENCE_REACH):
                               min(ends[sentence_index] + 1, metric.end + SENTENCE_REACH)].strip()
        metrics.append(metric)
    return metrics


@dataclass
class Window:
    """Where the scan stands: the sentence start, the category of the figure before in that sentence, and
    the break positions."""

    sentence_start: int
    previous: Metric | None
    clauses: Breaks
    lists: Breaks


def _metric(body: str, match: re.Match[str], window: Window) -> Metric | None:
    if not (match["unit"] or match["pct"] or match["m1"] or BIG_NUMERAL.search(match["n1"])):
        return None  # a number with no unit and no 万/亿 is never a figure (二十大, 12345热线, 52岁)
    start, end = match.start(), match.end()
    prefix = match["pre"]
    number_start = match.start("pct") if match["pct"] else match.start("n1")
    if prefix and (prefix in VAGUE_PREFIXES and not is_magnitude_only(match["n1"] or "")
                   or start and body[start - 1] in NOT_PREFIX_AFTER.get(prefix, "")):
        prefix, start = None, number_start  # 线上3场, 通过3个, 签约2个: the prefix belongs to a word
    number_end = match.end("pct") if match["pct"] else match.end("n2") if match["n2"] else match.end("n1")
    if _looks_like_a_code(body, start if prefix else number_start, number_end):
        return None
    if _inside_short_quote(body, start, end) or _inside_title(body, start, end):
        return None
    if prefix in ("数", "几"):
        return None  # 几千元到几十万元不等, 数十家: a guess, not a figure
    reading = _read(match, prefix)
    if reading is None or reading.bare or reading.unit == "foreign" or body[max(0, start - 2):start] in IDIOM_HEADS:
        return None
    clause_start, clause_end = window.clauses.around(start, end)
    list_start, list_end = window.lists.around(start, end)
    # the words before a figure stop at the figure before it: 37家企业的89个产品 is not counted as firms
    previous_end = window.previous.end if window.previous else 0
    context = Context(
        near=body[max(list_start + 1, start - WINDOW, previous_end):start],
        before=body[max(clause_start + 1, start - WINDOW):start],
        wide=body[max(window.sentence_start, start - 2 * WINDOW):start],
        after=body[end:min(list_end, end + WINDOW)],
        rest=body[end:min(clause_end, end + WINDOW)],
        previous=window.previous.category if window.previous else None,
        listed=bool(window.previous) and window.previous.end == list_start and body[list_start] == "、"
        and window.previous.unit == reading.unit,
    )
    unit = reading.unit or _implied_unit(match, context.before, context.after)
    if unit is None or not _is_a_quantity(body, match, reading, unit, context.before, end):
        return None
    category = categorise(unit, reading.classifier, context)
    if reading.chinese and unit == "count" and reading.value <= 10 and reading.qualifier == "exact" and (
            category == "other" and context.after or start and body[start - 1] in "”’》"):
        return None  # 四个汉代典型元素, “粤菜师傅”“南粤家政”四项工程: an enumeration, not a figure
    return Metric(
        text=body[start:end], start=start, end=end, sentence="",
        value=reading.value * reading.factor,
        value_max=reading.value_max * reading.factor if reading.value_max is not None else None,
        unit=unit, classifier=reading.classifier, qualifier=reading.qualifier,
        category=category, subject=find_subject(unit, reading.classifier, context.near, context.after),
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
    if reading.chinese and reading.value == 1 and not match["n2"] and (reading.qualifier == "exact"
                                                                       or unit not in TIME_UNITS):
        return False  # 一个个, 一名, 一家亲, 一块多钱: 一 is an article here (一年多 is a length)
    if unit in TIME_UNITS:
        if TIME_FRAME_AFTER.match(body, end) or before.endswith(("每", "前")):
            return False  # 每三天, 今年前5个月: a frequency or a part of the calendar
        if reading.qualifier == "exact" and reading.chinese and not LENGTH_CUES.search(before):
            return False  # 三年攻坚, 援疆三年: a period named in passing
    return True

