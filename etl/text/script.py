"""Script conversion with OpenCC's own C++ binding: the one wrapper every stage uses, and script detection.

OpenCC converts by phrase tables first and character tables second, so 乾 becomes 干 in 乾淨 and stays in
乾隆; a character-by-character table cannot make that choice (docs/text.md §1). `simplify` adds OpenCC's
Taiwan tables for 著 in Traditional text. One converter per configuration is cached: building one reads its
dictionaries from disk (tens of milliseconds).
"""

from __future__ import annotations

import re
from functools import lru_cache
from operator import ne
from typing import Any

from etl.text.chars import is_han

_SURROGATE = re.compile(r"[\ud800-\udfff]")


@lru_cache(maxsize=4)
def opencc_converter(config: str) -> Any:  # opencc ships no type stubs
    import opencc

    return opencc.OpenCC(config)


def convert(config: str, text: str) -> str:
    """OpenCC conversion; lone surrogates (which OpenCC cannot take) become U+FFFD first."""
    return opencc_converter(config).convert(_SURROGATE.sub("\ufffd", text)) if text else text


def to_simplified(text: str) -> str:
    """Traditional -> Simplified with OpenCC's phrase-aware t2s conversion."""
    return convert("t2s", text)


# Characters that Traditional text written to Taiwan's standard uses where OpenCC's own Traditional uses another
# (看著 for 看着): only OpenCC's Taiwan tables (tw2s) turn them into the Simplified of the word they stand in.
TAIWAN_FORMS = "著"
CONTEXT_REACH = 8  # characters either side that decide whether a character stands in Traditional text


def simplify(text: str) -> str:
    """Traditional -> Simplified for article text: OpenCC t2s, except that a character of ``TAIWAN_FORMS``
    standing in Traditional text takes what OpenCC's Taiwan phrase tables (tw2s) make of it there.

    t2s leaves 著 alone, since OpenCC's Traditional writes 着 where Simplified has 着; pages converted to
    Taiwan's standard write 著 for both, so 隨著 must become 随着 while 顯著 and 著名 keep 著. Simplified text
    keeps its 著 (显著), whatever the tables say.
    """
    simplified = to_simplified(text)
    if not any(char in text for char in TAIWAN_FORMS):
        return simplified
    taiwan = convert("tw2s", text)
    if not len(text) == len(simplified) == len(taiwan):
        return simplified
    out = list(simplified)
    whole: list[bool] = []  # whether the text as a whole is Traditional, worked out once if needed
    for i, char in enumerate(text):
        if char in TAIWAN_FORMS and taiwan[i] != simplified[i]:
            around = _script_around(text, simplified, i)
            if around is None:
                whole = whole or [detect_script(text) == "Hant"]
                around = whole[0]
            if around:
                out[i] = taiwan[i]
    return "".join(out)


def _script_around(text: str, simplified: str, i: int) -> bool | None:
    """Whether more Traditional-only than Simplified-only characters stand near i (on its line); None when
    the stretch holds as many of each."""
    start = max(text.rfind("\n", 0, i) + 1, i - CONTEXT_REACH)
    end = min(len(text) if (stop := text.find("\n", i)) < 0 else stop, i + CONTEXT_REACH + 1)
    window = text[start:end]
    traditional = _changed_chars(window, simplified[start:end])
    simplified_only = _changed_chars(window, convert("s2t", window))
    return None if traditional == simplified_only else traditional > simplified_only


def to_traditional(text: str) -> str:
    """Simplified -> Traditional (OpenCC s2t), as syndication portals re-publish articles."""
    return convert("s2t", text)


# Share of script-specific characters (those a conversion changes) that must be Traditional for "Hant" or
# Simplified for "Hans"; below it the text is "mixed". Measured: our Simplified prose has 0 characters that
# t2s changes (316 that s2t changes), our Traditional prose 0 that s2t changes; the seed, Traditional with
# Simplified mojibake runs and ads, is 94 % Traditional (1315 of 1395); one Traditional line in Simplified
# prose is 8.5 % (stays Hans), Simplified and Traditional halves are 27 % (mixed).
SCRIPT_MAJORITY = 0.9
SCRIPT_SAMPLE = 4000  # characters taken from each of up to five places in a long text


def _changed_chars(text: str, converted: str) -> int:
    if len(text) == len(converted):
        return sum(map(ne, text, converted))
    return sum(1 for a in set(text) - set(converted) if is_han(a))


def _script_sample(text: str) -> str:
    if len(text) <= 5 * SCRIPT_SAMPLE:
        return text
    step = (len(text) - SCRIPT_SAMPLE) // 4
    return "\n".join(text[i * step:i * step + SCRIPT_SAMPLE] for i in range(5))


def detect_script(text: str) -> str:
    """"Hans", "Hant" or "mixed": compare the text (a spread sample of a long one) with its t2s and s2t
    conversions."""
    text = _SURROGATE.sub("\ufffd", _script_sample(text))
    traditional = _changed_chars(text, convert("t2s", text))
    simplified = _changed_chars(text, convert("s2t", text))
    specific = traditional + simplified
    if specific == 0 or simplified >= SCRIPT_MAJORITY * specific:
        return "Hans"
    if traditional >= SCRIPT_MAJORITY * specific:
        return "Hant"
    return "mixed"
