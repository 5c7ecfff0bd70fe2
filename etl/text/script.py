"""Script conversion with OpenCC's own C++ binding: the one wrapper every stage uses.

OpenCC converts by phrase tables first and character tables second, so 著 stays 著 in 著名 and becomes 着 in
看著; a character-by-character table cannot make that choice. One converter per configuration is cached:
building one reads its dictionaries from disk (tens of milliseconds).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

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


def to_traditional(text: str) -> str:
    """Simplified -> Traditional (OpenCC s2t), as syndication portals re-publish articles."""
    return convert("s2t", text)
