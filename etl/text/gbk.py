"""GBK bytes, and re-reading in step a run that a reader decoded one byte out of step (docs/text.md §2, §5).

Only what the bytes say is decided here. A re-read character is a `Slot`: either the one character its two
bytes give, or — where a byte was lost — a placeholder with every character the known byte (and what stood
around it) still allows. Choosing among those is not this module's job: the text keeps the placeholder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from etl.text.script import to_simplified, to_traditional

PLACEHOLDER = "\u25a1"  # □, shown where the bytes do not determine a character
LOWEST_LEAD = 0x81  # GBK lead bytes run 81-FE; a lost byte the reader skipped with a '?' was one of 80-FE
LOWEST_SKIPPED = 0x80
# The reader took an ASCII character of the text as the second byte of its last pair (的A -> 腁): the run ends
# with that character, and nothing was lost.
ABSORBED = -1


@lru_cache(maxsize=1)
def gbk_table() -> dict[int, str]:
    """Every valid GBK double-byte code (lead << 8 | trail) -> its character."""
    table: dict[int, str] = {}
    for lead in range(LOWEST_LEAD, 0xFF):
        for trail in range(0x40, 0xFF):
            try:
                table[lead << 8 | trail] = bytes((lead, trail)).decode("gbk")
            except UnicodeDecodeError:
                continue
    return table


@lru_cache(maxsize=32768)
def gbk_code(char: str) -> int | None:
    """The double-byte GBK code of a character (lead << 8 | trail), or None (ASCII, or not in GBK)."""
    try:
        data = char.encode("gbk")
    except UnicodeEncodeError:
        return None
    return data[0] << 8 | data[1] if len(data) == 2 else None


@lru_cache(maxsize=1)
def _by_lead() -> dict[int, list[tuple[int, str]]]:
    index: dict[int, list[tuple[int, str]]] = {}
    for code, char in gbk_table().items():
        index.setdefault(code >> 8, []).append((code & 0xFF, char))
    return index


@lru_cache(maxsize=1)
def _by_trail() -> dict[int, list[tuple[int, str]]]:
    index: dict[int, list[tuple[int, str]]] = {}
    for code, char in gbk_table().items():
        index.setdefault(code & 0xFF, []).append((code >> 8, char))
    return index


@lru_cache(maxsize=1)
def _conversion_sources() -> dict[str, tuple[str, ...]]:
    """Shown character -> the GBK characters it may have been before a Simplified -> Traditional conversion
    (OpenCC s2t, one character at a time), other than itself."""
    chars = sorted(set(gbk_table().values()))
    converted = to_traditional("\n".join(chars)).split("\n")
    sources: dict[str, list[str]] = {}
    if len(converted) == len(chars):
        for source, shown in zip(chars, converted, strict=True):
            if len(shown) == 1 and shown != source:
                sources.setdefault(shown, []).append(source)
    return {shown: tuple(found) for shown, found in sources.items()}


@lru_cache(maxsize=16384)
def byte_forms(char: str, converted: bool) -> tuple[int, ...]:
    """The GBK codes ``char`` may stand for: its own, and with ``converted`` (it may have been converted to
    Traditional after it was decoded) those of the characters the conversion turns into it."""
    forms = [char]
    if converted:
        forms += [*_conversion_sources().get(char, ()), to_simplified(char)]
    codes = (gbk_code(form) for form in dict.fromkeys(forms))
    return tuple(code for code in codes if code is not None)


@dataclass(frozen=True)
class Slot:
    """One character of a re-read run: determined by its bytes, or a placeholder with what they allow."""

    char: str  # the character, or PLACEHOLDER
    options: tuple[str, ...] = ()  # for a placeholder: every GBK character the known bytes allow


def reread(anchor: int, garbled: Sequence[int | None], closer: int | None, next_leads: Sequence[int]) -> \
        list[Slot] | None:
    """The characters after ``anchor`` as they were before the slip, or None when the bytes do not fit.

    ``anchor`` is the code of the character after which the reader slipped; ``garbled`` the codes of the
    characters it then printed (None for one lost to a '?' later); ``closer`` the byte that brought it back in
    step when it printed that byte as ASCII, None when it printed '?' and skipped one byte, or ABSORBED when
    the last printed pair ends in an ASCII character of the text; ``next_leads``
    the possible first bytes of the character after the '?' (empty at the end of the text or before ASCII).
    The first printed pair starts with the anchor's second byte; each later pair is the second byte of one
    original character and the first of the next.
    """
    if not garbled:
        return None
    first_byte = anchor & 0xFF
    stream: list[int | None] = [anchor >> 8, first_byte]
    if garbled[0] is None:
        stream.append(None)
    elif garbled[0] >> 8 != first_byte:
        return None
    else:
        stream.append(garbled[0] & 0xFF)
    for code in garbled[1:]:
        stream += [None, None] if code is None else [code >> 8, code & 0xFF]
    absorbed = stream.pop() if closer == ABSORBED else None
    if closer != ABSORBED:
        stream.append(closer)
    if len(stream) % 2 or (closer == ABSORBED and (absorbed is None or absorbed >= LOWEST_SKIPPED)):
        return None
    table = gbk_table()
    slots: list[Slot] = []
    last = len(stream) // 2 - 2
    for k in range(last + 1):
        lead, trail = stream[2 + 2 * k], stream[3 + 2 * k]
        if lead is not None and trail is not None:
            char = table.get(lead << 8 | trail)
            if char is None:
                return None
            slots.append(Slot(char))
            continue
        if lead is None and trail is None:
            return None
        if trail is None:
            skipped = k == last and closer is None
            options = _lead_options(lead or 0, tuple(next_leads) if skipped else None)
        else:
            lost_first = k == 0 and garbled[0] is None
            options = _trail_options(trail, first_byte if lost_first else None)
        if not options:
            return None
        slots.append(Slot(options[0]) if len(options) == 1 else Slot(PLACEHOLDER, options))
    if absorbed is not None:
        slots.append(Slot(chr(absorbed)))
    return slots


@lru_cache(maxsize=8192)
def _lead_options(lead: int, skipped_before: tuple[int, ...] | None) -> tuple[str, ...]:
    """The characters with this first byte; with ``skipped_before``, only those whose second byte the reader
    skipped with a '?' before one of those bytes."""
    table = gbk_table()
    return tuple(c for t, c in _by_lead().get(lead, ())
                 if skipped_before is None or _skippable(t, skipped_before, table))


@lru_cache(maxsize=8192)
def _trail_options(trail: int, printed_after: int | None) -> tuple[str, ...]:
    """The characters with this second byte; with ``printed_after``, only those whose first byte made a
    valid pair after that byte (the reader printed that pair, and it was lost later)."""
    table = gbk_table()
    return tuple(c for lead, c in _by_trail().get(trail, ())
                 if printed_after is None or (printed_after << 8 | lead) in table)


def _skippable(trail: int, next_leads: Sequence[int], table: dict[int, str]) -> bool:
    """A lost second byte the reader met as the first of a pair that is not GBK (so it printed '?' and skipped
    it): at least 80, and no valid pair with (one possible form of) the byte after it."""
    return trail >= LOWEST_SKIPPED and (not next_leads or any((trail << 8 | n) not in table for n in next_leads))
