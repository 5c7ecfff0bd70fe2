"""Pinyin readings that syndication portals insert after polyphonic characters (docs/text.md §1).

東營(yíng)援疆 is 東營援疆 with a reading the portal added. One pattern, `ANNOTATION`, says where such a
reading may stand; `is_annotation` says whether what stands there is one (a single pinyin syllable, with a tone
mark when it could be a list label or an English word). Every stage that meets page text uses these two.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from etl.text.chars import HAN_CLASS, PINYIN_LETTERS, TONED_VOWELS, is_han

_TONE_STRIP = str.maketrans({**{v: b for vs, b in (("āáǎà", "a"), ("ēéěè", "e"), ("īíǐì", "i"), ("ōóǒò", "o"),
                                                   ("ūúǔù", "u"), ("ǖǘǚǜü", "v")) for v in vs}})
_INITIALS = "(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
_FINALS = ("(?:iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|van|ai|ei|ao|ou|an|en|er|ia|ie|iu|in|ua|uo|ui"
           "|un|ve|ue|vn|a|o|e|i|u|v)")
_SYLLABLE = re.compile(f"{_INITIALS}{_FINALS}r?")
# What the parentheses of a reading hold: one syllable, at most six letters (zhuàng).
_READING = f"[{PINYIN_LETTERS}]{{1,6}}"
# "(pinyin)" after a CJK character, or after a single Latin letter that follows a CJK character (a GBK trail
# byte read as ASCII inside a garbled run, as in 蒯t(yī)). Group 1 is the reading.
ANNOTATION = re.compile(rf"(?:(?<=[{HAN_CLASS}])|(?<=[{HAN_CLASS}][A-Za-z]))\(({_READING})\)")
# A reading that lost its "(" to a garbled run (當?shù)): the letters and the ")".
_DANGLING = re.compile(rf"({_READING})\)")


def is_pinyin_syllable(word: str) -> bool:
    """One pinyin syllable, tone marks allowed (dāng, lüè, yíng)."""
    return bool(_SYLLABLE.fullmatch(word.translate(_TONE_STRIP)))


def has_tone_mark(word: str) -> bool:
    return any(c in TONED_VOWELS for c in word)


def is_annotation(match: re.Match[str]) -> bool:
    """A match of `ANNOTATION` that is an inserted reading, not an author's parenthesis ((a), (km), (yes))."""
    return _reading_fits(match.group(1), not is_han(match.string[match.start() - 1]))


@lru_cache(maxsize=4096)
def _reading_fits(syllable: str, after_latin: bool) -> bool:
    if not is_pinyin_syllable(syllable):
        return False
    # Toneless single letters ((a), (e)) and toneless words after Latin letters are list labels or English.
    return has_tone_mark(syllable) or (not after_latin and len(syllable) > 1)


_ANNOTATION_AT_END = re.compile(ANNOTATION.pattern + "$")


def ends_with_annotation(text: str) -> bool:
    """True when ``text`` ends with an inserted reading (買買提(tí)): its ")" is not a bracket to trim."""
    match = _ANNOTATION_AT_END.search(text)
    return match is not None and is_annotation(match)


def find_annotations(text: str) -> Iterator[re.Match[str]]:
    """Every inserted reading in ``text``, in order."""
    return (match for match in ANNOTATION.finditer(text) if is_annotation(match))


def strip_pinyin(text: str) -> tuple[str, int]:
    """Remove pinyin readings that portals insert after polyphonic characters: 東營(yíng) -> 東營.

    Only ASCII parentheses holding one pinyin syllable, directly after a CJK character, count. Full-width
    （…） is left alone: the inserting converters write ASCII, while full-width glosses are the author's own.
    """
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        if is_annotation(match):
            count += 1
            return ""
        return match.group(0)

    return ANNOTATION.sub(replace, text), count


def skip_dangling_reading(text: str, i: int) -> int:
    """Where text continues after a reading that lost its "(" at i (?shù) -> after the ')'), or i when there
    is none. A tone mark is required, so that "?ok)" in ordinary text is not taken for one."""
    tail = _DANGLING.match(text, i)
    if tail and has_tone_mark(tail.group(1)) and is_pinyin_syllable(tail.group(1)):
        return tail.end()
    return i
