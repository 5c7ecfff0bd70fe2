"""Character classes shared by every stage: one definition of "a Han character" and of pinyin letters.

The Han range covers the basic block, extension A and the compatibility ideographs; rarer extensions (B and
later, outside the BMP) do not occur in the portal text we measured, and treating them as Han would let
GBK mojibake (which only ever yields BMP characters) look like prose.
"""

from __future__ import annotations

import re

HAN_CLASS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN = re.compile(f"[{HAN_CLASS}]")

TONED_VOWELS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
PINYIN_LETTERS = "a-z" + TONED_VOWELS + "ü"


def is_han(char: str) -> bool:
    """A CJK ideograph (basic block, extension A, compatibility ideographs)."""
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" or "\uf900" <= char <= "\ufaff"


def has_han(text: str) -> bool:
    """True when the text holds at least one Han character."""
    return HAN.search(text) is not None
