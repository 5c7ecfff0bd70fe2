"""Every way the bytes allow to read a garbled run again in step (docs/text.md §2).

A run is what a slipped reader printed after an anchor character: GBK characters, '?' for pairs it lost,
and what brought it back in step. Each printed character may stand for more than one code — the portal may
have converted the run to Traditional after it was garbled — and the reader may have dropped a pair without a
trace; every combination whose pairs decode to characters a reading may hold is tried (etl/text/gbk.py reads
each one).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from etl.text.chars import is_han
from etl.text.gbk import ABSORBED, Slot, byte_forms, gbk_code, gbk_table, reread
from etl.text.pinyin import skip_dangling_reading
from etl.text.prose import CJK_PUNCTUATION, known

MAX_FORMS = 256  # byte readings kept for one run converted to Traditional after it was garbled


def is_gbk_double(char: str) -> bool:
    """A character an out-of-step GBK reader can emit from a byte pair (Han, or a GBK symbol such as Р ┚ 、)."""
    return is_han(char) or ("\u0080" <= char and char not in "\u3000\u00a0" and gbk_code(char) is not None)


def is_printed(char: str) -> bool:
    """A character an out-of-step reader prints from a byte pair (the ideographic space is GBK A1A1)."""
    return char == "\u3000" or is_gbk_double(char)


def may_start_run(text: str, start: int) -> bool:
    """Cheap test before a re-reading: after a Han anchor, a run opens with a lost pair ('?') or with a
    character whose first byte is the anchor's second byte (as published or before a conversion)."""
    if not is_han(text[start - 1]):
        return False
    if text[start] == "?":
        return True
    trails = {code & 0xFF for code in byte_forms(text[start - 1], True)}
    return any(code >> 8 in trails for code in byte_forms(text[start], True))


def _printed(text: str, start: int, end: int) -> tuple[list[str | None], int | None] | None:
    """What the reader printed in text[start:end]: the characters (None for one lost to '?') and the closing
    byte (None for a closing '?', the byte of an ASCII closer, ABSORBED when the run ends in a printed
    character); dangling readings are skipped."""
    units: list[str | None] = []
    i = start
    while i < end:
        char = text[i]
        if char == "?":
            units.append(None)
            i = skip_dangling_reading(text, i + 1)
        elif is_printed(char):
            units.append(char)
            i += 1
        elif char == " " and units and i + 1 < end:
            units.append("\u3000")  # GBK A1A1, which the HTML stage collapses to a space
            i += 1
        elif 0x40 <= ord(char) < 0x7F and i + 1 == end:
            return units, ord(char)
        else:
            return None
    if not units:
        return None
    if units[-1] is not None:
        return units, ABSORBED
    return units[:-1], None


def next_leads(text: str, end: int) -> tuple[int, ...]:
    """The possible first bytes of what follows a run (empty at the end of the text)."""
    if end >= len(text):
        return ()
    if ord(text[end]) < 0x80:
        return (ord(text[end]),)
    return tuple({code >> 8 for code in byte_forms(text[end], True)})


def byte_readings(text: str, start: int, end: int) -> Iterator[tuple[list[Slot], bool]]:
    """Every in-step reading of text[start:end] the bytes allow: each form of the anchor, the run as printed
    or converted to Traditional after it was garbled (each character standing for any of its sources), and
    with one pair the reader dropped without a trace between two printed characters (the seed shows such
    runs: 當?匚幕蝗? for 当地文化交融, where 化's second byte and 交's first are missing); each reading comes
    with whether it supposes such a drop."""
    printed = _printed(text, start, end)
    if printed is None:
        return
    units, closer = printed
    if not any(units):
        return  # nothing printed survives: a single known byte is too weak to read from
    following = next_leads(text, end)
    variants = [units]
    if units[0] is None:  # a reader that lost the first pair: the seed's runs with a silent drop start so
        variants += [units[:k] + [None] + units[k:] for k in range(2, len(units))
                     if units[k - 1] is not None and units[k] is not None]
    seen: set[tuple[Slot, ...]] = set()
    for anchor in byte_forms(text[start - 1], True):
        for converted in (False, True):
            for variant in variants:
                forms = [(None,) if unit is None else byte_forms(unit, converted) for unit in variant]
                for codes in _code_sequences(anchor, forms):
                    slots = reread(anchor, codes, closer, following)
                    if slots is None or (closer == ABSORBED and not slots[-1].char.isalpha()):
                        continue
                    if tuple(slots) not in seen:
                        seen.add(tuple(slots))
                        yield slots, variant is not units


def _code_sequences(anchor: int, forms: Sequence[tuple[int | None, ...]]) -> list[tuple[int | None, ...]]:
    """The choices of one code per printed character (at most MAX_FORMS) whose re-read pairs all give a
    character a reading may hold: the first pair starts with the anchor's second byte, and each pair of a
    character's second byte and the next one's first is a Han character the model knows or a mark."""
    table = gbk_table()
    found: list[tuple[int | None, ...]] = []

    def acceptable(trail: int, lead: int) -> bool:
        char = table.get(trail << 8 | lead)
        return char is not None and (char in CJK_PUNCTUATION or known(char))

    def walk(chosen: list[int | None]) -> None:
        if len(found) >= MAX_FORMS:
            return
        if len(chosen) == len(forms):
            found.append(tuple(chosen))
            return
        before = chosen[-1] if chosen else None
        for code in forms[len(chosen)]:
            if code is not None:
                if not chosen and code >> 8 != anchor & 0xFF:
                    continue
                if before is not None and not acceptable(before & 0xFF, code >> 8):
                    continue
            walk([*chosen, code])

    walk([])
    return found
