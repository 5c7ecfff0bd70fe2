"""Numbers as Chinese news writes them: Arabic digits, Chinese numerals (数词) and magnitude characters.

Pure functions, no regular expressions: the metric scanner finds the candidate strings, these turn
them into exact decimals (``Decimal``: ``2.3`` stays 2.3, so 2.3亿 is 230000000 and not 229999999.99999997)
and say ``None`` when a string is not a well-formed number (``十四五``, ``一一``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9,
}
# units inside a section (十 百 千) and section markers (万 亿); 拾佰仟 are the financial forms
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
MAGNITUDES = {**SMALL_UNITS, **BIG_UNITS}
MAGNITUDE_CHARS = "".join(MAGNITUDES)
LARGEST_MAGNITUDE = 10**16  # 亿亿: a longer run of magnitude characters (万万万…) is no number


def parse_arabic(text: str) -> Decimal | None:
    """``1,234.5`` -> 1234.5; separators and the decimal point may be ASCII or full-width (，．)."""
    plain = text.replace(",", "").replace("，", "").replace("．", ".")
    try:
        value = Decimal(plain)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_magnitude(text: str) -> Decimal | None:
    """A run of magnitude characters after a number: ``万`` 1e4, ``千万`` 1e7, ``万亿`` 1e12."""
    if not text:
        return None
    value = 1
    for char in text:
        factor = MAGNITUDES.get(char)
        if factor is None or value > LARGEST_MAGNITUDE:
            return None
        value *= factor
    return Decimal(value)


def _parse_section(text: str) -> int | None:
    """A numeral below 万 (``三千五百二十``, ``十五``, ``一百零五``, ``三千五`` as 3500), or None if malformed."""
    total = 0
    digit: int | None = None
    last_unit = 10_000
    zero_seen = False
    for char in text:
        if char in DIGITS:
            if DIGITS[char] == 0 and digit is None and last_unit < 10_000:
                zero_seen = True  # 一百零五: 零 only marks a skipped unit
                continue
            if digit is not None:
                return None  # two digits in a row: 十四五, 三四
            digit = DIGITS[char]
            continue
        unit = SMALL_UNITS.get(char)
        if unit is None or unit >= last_unit:
            return None  # units must fall: 十百 is not a number
        total += (1 if digit is None else digit) * unit
        digit = None
        last_unit = unit
        zero_seen = False
    if digit is not None:
        # a trailing digit right after 百 or 千 is shorthand for the next unit down: 三千五 = 3500
        shorthand = 10 < last_unit < 10_000 and not zero_seen
        total += digit * (last_unit // 10 if shorthand else 1)
    return total


def _digit_string(text: str) -> int | None:
    """``二〇二〇`` -> 2020: numerals written digit by digit, as in years (三四 and 一一 are not numbers)."""
    if len(text) >= 4 and all(char in DIGITS for char in text):
        return int("".join(str(DIGITS[char]) for char in text))
    return None


def _parse_big(text: str, markers: tuple[str, ...]) -> int | None:
    """Split at the largest section marker (亿, then 万) and parse each side."""
    if not markers:
        return _parse_section(text) if text else None
    marker, smaller = markers[0], markers[1:]
    head, found, tail = text.partition(marker)
    if not found:
        return _parse_big(text, smaller)
    if marker in tail:
        return None
    high = _parse_big(head, smaller) if head else 1
    if high is None:
        return None
    if not tail:
        return high * BIG_UNITS[marker]
    if len(tail) == 1 and tail in DIGITS and DIGITS[tail]:
        # 三万五 = 35000: a lone digit after 万 or 亿 stands for the next unit down
        return high * BIG_UNITS[marker] + DIGITS[tail] * BIG_UNITS[marker] // 10
    low = _parse_big(tail.lstrip("零〇") or "零", smaller)
    if low is None:
        return None
    return high * BIG_UNITS[marker] + low


def parse_chinese(text: str) -> Decimal | None:
    """``一百二十`` 120, ``两`` 2, ``千`` 1000, ``一亿二千万`` 1.2e8, ``三点五`` 3.5; None when malformed."""
    if not text:
        return None
    whole, _, fraction = text.partition("点")
    if fraction:
        if not whole or not all(char in DIGITS for char in fraction):
            return None
        base = parse_chinese(whole)
        if base is None:
            return None
        return base + Decimal("0." + "".join(str(DIGITS[char]) for char in fraction))
    if any(char not in DIGITS and char not in MAGNITUDES for char in text):
        return None
    as_digits = _digit_string(text)
    if as_digits is not None:
        return Decimal(as_digits)
    value = _parse_big(text, ("亿", "万"))
    return None if value is None else Decimal(value)


def parse_vague_range(text: str) -> tuple[Decimal, Decimal] | None:
    """``两三千`` -> (2000, 3000), ``五六`` -> (5, 6): two neighbouring digits, then magnitudes (概数)."""
    if len(text) < 2 or text[0] not in DIGITS or text[1] not in DIGITS:
        return None
    low, high = DIGITS[text[0]], DIGITS[text[1]]
    factor = parse_magnitude(text[2:]) if text[2:] else Decimal(1)
    if high != low + 1 or not low or factor is None:
        return None
    return low * factor, high * factor


def parse_number(text: str) -> Decimal | None:
    """Arabic or Chinese, whichever ``text`` is."""
    if text and text[0].isdigit():
        return parse_arabic(text)
    return parse_chinese(text)


def is_magnitude_only(text: str) -> bool:
    """``十``, ``百``, ``万``, ``十万``: magnitude characters with no digit."""
    return bool(text) and not text.strip(MAGNITUDE_CHARS)


def is_bare_magnitude(text: str) -> bool:
    """``千``, ``万``, ``亿``, ``百万``: magnitude characters with no digit (``十`` alone is an ordinary ten)."""
    return text != "十" and is_magnitude_only(text)
