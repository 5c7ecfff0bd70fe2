"""GBK mojibake read one byte out of step: find it, restore what the bytes determine, mark the rest
(docs/text.md §2, §5).

A page converted from GBK by a reader that slipped one byte shows runs of real-looking but wrong characters
(当地民生、 -> 钡孛裆?、). Encoding such a run back to GBK gives the original bytes shifted by one, so the run
can be read again in step (etl/text/gbk.py). Characters that lost a byte are not guessed: they stay
placeholders with the characters their known byte allows, ranked by a character-bigram model of ordinary
Chinese (etl/text/bigrams.py). The same model decides where a run starts and tells garbled stretches from
prose; a run it cannot read again is marked as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise

from etl.text.bigrams import bigram_model, mean_pair_score, pair_score
from etl.text.chars import is_han
from etl.text.gbk import PLACEHOLDER, Slot, byte_forms, gbk_table
from etl.text.pinyin import skip_dangling_reading
from etl.text.prose import (
    CJK_PUNCTUATION,
    QUESTION_ENDINGS,
    is_gbk_symbol,
    is_stray_symbol,
    known,
    log_probability,
    ranked,
    transitions,
)
from etl.text.readings import byte_readings, is_gbk_double, is_printed, may_start_run

SUSPECT_PAIR = -5.0  # a Han character fitting neither neighbour below this log10 probability is suspect
GARBLED_PAIR = -4.3  # a pair below this (log10) is a sign of garbled text nearby (prose: 1 pair in 12 or so)
# A re-reading replaces the garbled run when the stretch from its anchor to the character after it is this many
# times (log10) likelier as prose read again than as shown (see log_probability) ...
REPAIR_MIN_GAIN = 2.0
# A reading whose bytes determine no character marks the run unread only when it is this much likelier.
WEAK_MIN_GAIN = 4.0
REPAIR_MIN_PAIR = -8.0  # ... and no adjacent pair of characters it determines is unknown to the model (log10)
# Two re-readings of one run whose likelihoods differ by less than this (log10) are both possible: where they
# disagree, the run keeps placeholders (or, covering different characters, stays unread).
AMBIGUOUS_MARGIN = 1.0
# How much less likely (log10) a reading that supposes a pair dropped without a trace starts out: the seed
# shows the drop, but far less often than runs without one.
DROP_PENALTY = 1.0
GARBLED_MEAN = -4.0  # mean log10 pair probability below which a stretch reads as garbage (clean lines: -2.3 to -3.0)
MAX_RUN = 24
MAX_REREAD = 16  # printed characters a re-read run may have (the longest slips we met hold 13)
CANDIDATES_KEPT = 5  # ranked characters kept for a placeholder

ABSORBED_REACH = 4  # characters before a possible taken ASCII byte searched for a garbled pair
IN_STEP_REACH = 6  # characters after a run that must read in step before a taken ASCII character ends it
LOST_GAP = 3  # printed characters between two '?' that mark a short run lost at both ends
INSERTED_MAX_DENSITY = 0.01  # '?' per character above which lone '?'s are left alone
QUESTION_DENSE = 0.03  # '?' per character above which '?' a few characters apart are not taken for losses
JOIN_MIN = -3.0  # log10 P(right | left) for two characters that read as one word once the '?' is dropped
# What can close an out-of-step run: '?' (an invalid pair), or one ASCII character in the GBK trail-byte range
# standing between non-ASCII characters (a trail byte read as ASCII, as 業 = 98 49 gives "I").
_RUN_CLOSE = re.compile(r"\?|(?<=[^\x00-\x7f])[\x40-\x7e](?![\x21-\x7e])")


@dataclass(frozen=True)
class GarbledRun:
    """A garbled run and what replaces it: restored characters, and placeholders where bytes were lost."""

    start: int  # [start, end) in the text it was found in
    end: int
    slots: tuple[Slot, ...]  # what replaces text[start:end]
    reread: bool  # read again in step; otherwise every slot is a placeholder with no options
    confidence: float  # the model's probability that the first candidate of every placeholder is right
    candidates: tuple[tuple[str, ...], ...] = ()  # for each placeholder: its likeliest characters, best first
    shown: str = ""  # the run as it stood in the text (set by repair_garbled)

    @property
    def text(self) -> str:
        return "".join(slot.char for slot in self.slots)

    @property
    def restored(self) -> bool:
        """Every character determined by the bytes: nothing left to a placeholder."""
        return self.reread and PLACEHOLDER not in self.text


@dataclass(frozen=True)
class Reading:
    """One way of reading a run again in step."""

    start: int  # the first garbled character (the anchor is the one before)
    end: int  # after the closer (and a reading that lost its "(")
    slots: tuple[Slot, ...]
    filled: str  # the slots with each placeholder replaced by the option that fits best, for scoring
    score: float  # log_probability of the filled reading in its context
    gain: float  # how much likelier (log10) than the run as shown

    @property
    def weak(self) -> bool:
        """The bytes determine no character (only placeholders, or a taken ASCII character): a reading that
        casts doubt on others and may mark the run unread, never one to keep."""
        return all(slot.char == PLACEHOLDER or slot.char.isascii() for slot in self.slots)


# ---------------------------------------------------------------------------------------------------------
# What looks garbled


def _is_suspect(text: str, i: int) -> bool:
    """Han character i fits neither of its Han neighbours (a character between non-Han characters is
    suspect only beside a stray symbol). Stray GBK symbols are always suspect."""
    if not is_han(text[i]):
        return is_stray_symbol(text[i])
    left = pair_score(text[i - 1], text[i]) if i > 0 and is_han(text[i - 1]) else None
    right = pair_score(text[i], text[i + 1]) if i + 1 < len(text) and is_han(text[i + 1]) else None
    if left is None and right is None:
        # a lone character (an interjection between question marks) cannot be judged, unless it stands
        # beside a stray symbol
        return any(is_stray_symbol(text[j]) for j in (i - 1, i + 1) if 0 <= j < len(text))
    return max(s for s in (left, right) if s is not None) < SUSPECT_PAIR


def _is_run_end(char: str) -> bool:
    """What closes an out-of-step run: '?' for an invalid pair, or a GBK trail byte read as ASCII."""
    return char == "?" or "\x40" <= char < "\x7f"


def _question_run(text: str, q: int, dense: bool) -> tuple[int, int] | None:
    """The garbled run around the '?' at q, or None when the '?' reads as a real question mark.

    Evidence: a dangling annotation tail (?shù) or a second '?' at most LOST_GAP characters on (lost
    characters; not after a question particle, where '??' is emphasis), a stray GBK symbol, or at least two
    suspect characters beside it. On a page ``dense`` with '?', only '??' counts as lost characters.
    """
    after = skip_dangling_reading(text, q + 1)
    before = q
    while before > 0 and text[before - 1] == "?":
        before -= 1
    gap = after
    while gap < len(text) and gap - after < LOST_GAP and is_gbk_double(text[gap]) and \
            text[gap] not in CJK_PUNCTUATION:
        gap += 1
    # '??', or '?' a few printed characters before another: characters lost on both sides of a short run
    lost = text[gap:gap + 1] == "?" and (gap == after or not dense) and before > 0 and \
        is_han(text[before - 1]) and text[before - 1] not in QUESTION_ENDINGS
    strong = after > q + 1 or lost
    end = after
    if strong:
        # The '?' swallowed the first out-of-step pair: the run goes on to the next run end.
        probe = end
        while (probe < len(text) and probe - q < MAX_RUN and is_gbk_double(text[probe])
               and text[probe] not in CJK_PUNCTUATION):
            probe += 1
        if (probe < len(text) and probe - q < MAX_RUN and _is_run_end(text[probe])
                and (probe - end <= 2 or mean_pair_score(text[end:probe]) < GARBLED_MEAN)):
            end = skip_dangling_reading(text, probe + 1) if text[probe] == "?" else probe + 1
    suspects = 0
    while end < len(text) and end - q < MAX_RUN and (text[end] == "?" or _is_suspect(text, end)):
        suspects += text[end] != "?"
        strong = strong or is_stray_symbol(text[end])
        end = skip_dangling_reading(text, end + 1) if text[end] == "?" else end + 1
    start = q
    while start > 0 and q - start < MAX_RUN and (text[start - 1] == "?" or _is_suspect(text, start - 1)):
        suspects += text[start - 1] != "?"
        strong = strong or is_stray_symbol(text[start - 1])
        start -= 1
    return (start, end) if strong or suspects >= 2 else None


def _letter_run(text: str, p: int) -> tuple[int, int] | None:
    """The run closed by the lone ASCII character at p: at least two suspect characters right before it."""
    start = p
    suspects = 0
    while start > 0 and p - start < MAX_RUN and _is_suspect(text, start - 1):
        suspects += 1 + is_stray_symbol(text[start - 1])
        start -= 1
    return (start, p + 1) if suspects >= 2 else None


def is_inserted_question_mark(text: str, q: int) -> bool:
    """A '?' that an out-of-step reader inserted at once: the left character's trail byte and the right
    character's lead byte form no GBK pair, the '?' sits inside a word, and it follows no question word."""
    if q == 0 or q + 1 >= len(text):
        return False
    model = bigram_model()
    left, right = text[q - 1], text[q + 1]
    if not (is_han(left) and is_han(right)) or left in QUESTION_ENDINGS:
        return False
    if not model.in_word(left, right) or pair_score(left, right) < JOIN_MIN:
        return False
    table = gbk_table()
    return any((first & 0xFF) << 8 | (second >> 8) not in table
               for first in byte_forms(left, True) for second in byte_forms(right, True))


# ---------------------------------------------------------------------------------------------------------
# Reading a run again in step


def _after_closer(text: str, q: int) -> int:
    return skip_dangling_reading(text, q + 1) if text[q] == "?" else q + 1


@lru_cache(maxsize=1)
def _absorbing() -> re.Pattern[str]:
    """GBK characters whose second byte is an ASCII letter or sign: the last character a slipped reader prints
    when it takes an ASCII character of the text as the second byte of a pair (的A -> 腁)."""
    chars = sorted(re.escape(char) for code, char in gbk_table().items() if code & 0xFF < 0x7F)
    return re.compile("[" + "".join(chars) + "]")


def _closers(text: str) -> list[int]:
    """Every place where a run may close, in order."""
    found = {m.start() for m in _RUN_CLOSE.finditer(text)} | {m.start() for m in _absorbing().finditer(text)}
    return sorted(found)


def _later_ends(text: str, q: int) -> list[int]:
    """Where a run that opens with the '?' at q (its first printed pair lost) may end: after each later closer
    up to MAX_RUN characters on, across printed characters only."""
    ends: list[int] = []
    i = _after_closer(text, q)
    while i < len(text) and i - q < MAX_RUN:
        char = text[i]
        if char == "?":
            ends.append(_after_closer(text, i))
            i = ends[-1]
        elif 0x40 <= ord(char) < 0x7F and ord(text[i - 1]) >= 0x80:
            if not 0x21 <= ord(text[i + 1:i + 2] or " ") < 0x7F:
                ends.append(i + 1)  # a lone letter, as _RUN_CLOSE takes it
            break
        elif is_printed(char) or (char == " " and i > q + 1):
            if text[i + 1:i + 2].isascii() and text[i + 1:i + 2].isalpha() and _absorbing().match(char):
                ends.append(i + 1)  # it may have taken the ASCII letter before the one that follows
            i += 1
        else:
            break
    return ends


def _poor_pair_before(text: str, q: int) -> bool:
    """A GBK symbol, or a Han pair below GARBLED_PAIR, among the ABSORBED_REACH characters up to q: a cheap
    sign of garbled text, checked before a character that may have taken an ASCII byte is examined."""
    window = text[max(0, q - ABSORBED_REACH):q + 1]
    return any(is_gbk_symbol(c) for c in window) or any(
        is_han(a) and is_han(b) and pair_score(a, b) < GARBLED_PAIR for a, b in pairwise(window))


def _in_step_after(text: str, i: int) -> bool:
    """The text from i on reads as the reader back in step: the next IN_STEP_REACH characters read as prose
    (no GBK symbol such as a stray sign or a pinyin letter, no suspect character, mean transition above
    GARBLED_MEAN), and no '?' follows in the next MAX_REREAD characters of the line."""
    for j in range(i, min(len(text), i + MAX_REREAD)):
        char = text[j]
        if char == "\n":
            break
        if char == "?":
            return False
        if j < i + IN_STEP_REACH and ((is_han(char) and _is_suspect(text, j)) or is_gbk_symbol(char)):
            return False
    near = transitions(text[i:i + IN_STEP_REACH])
    return not near or sum(near) / len(near) >= GARBLED_MEAN


def _readings(text: str, earliest: int, q: int, ends: list[int]) -> list[Reading]:
    """Every acceptable re-reading of a run closed near q, best first.

    Neither the run start nor always its end is known: a run may close at q (starting anywhere from
    ``earliest`` to q) or, when q is a '?' that lost the first printed pair, at a later closer. All readings
    are scored on the same stretch of text, so one that leaves garbage behind loses to one that restores the
    whole run.
    """
    window = max(0, earliest - 2)
    far = max(ends) + 1
    baseline = log_probability(text[window:far])
    closed_at_q = _after_closer(text, q)
    found: list[Reading] = []
    for end in ends:
        following = text[end:end + 1]
        starts = range(q, earliest - 1, -1) if end <= closed_at_q else range(q, q + 1)
        for start in starts:
            if start < 1 or not may_start_run(text, start):
                continue
            for slots, dropped in byte_readings(text, start, end):
                filled = _fill(text[start - 1], slots, following)
                better = gain(slots, text[start - 1], filled, following, text[start - 1:end + 1])
                if better is None or better - DROP_PENALTY * dropped < REPAIR_MIN_GAIN:
                    continue
                score = log_probability(text[window:start] + filled + text[end:far]) - DROP_PENALTY * dropped
                if score > baseline:
                    found.append(Reading(start, end, tuple(slots), filled, score, better - DROP_PENALTY * dropped))
    return sorted(found, key=lambda r: -r.score)


def gain(slots: list[Slot], anchor: str, filled: str, following: str, shown: str) -> float | None:
    """How much likelier (log10) a reading is than the stretch as shown, from the anchor to the character
    after the run; None when the reading is not prose: a Han character the bytes determine unknown to the
    model or a pair of them far below its floor, or a character that is neither Han nor a mark."""
    chars = [anchor, *(slot.char for slot in slots), following]
    if any(is_han(c) and not known(c) for c in chars[1:-1]):
        return None  # a character the dictionary never saw is far likelier a chance decoding than the text
    if any(is_han(a) and is_han(b) and pair_score(a, b) < REPAIR_MIN_PAIR for a, b in pairwise(chars)):
        return None
    if any(not is_han(c) and c not in CJK_PUNCTUATION and not c.isascii() for c in filled):
        return None
    return log_probability(anchor + filled + following) - log_probability(shown)


def _fill(anchor: str, slots: list[Slot], following: str) -> str:
    """The slots with each placeholder replaced by the option that fits best (for scoring only)."""
    out = [anchor]
    for k, slot in enumerate(slots):
        if slot.char != PLACEHOLDER:
            out.append(slot.char)
            continue
        right = slots[k + 1].char if k + 1 < len(slots) else following
        out.append(ranked(out[-1], slot.options, "" if right == PLACEHOLDER else right)[0][0])
    return "".join(out[1:])


def _merge(best: Reading, rivals: list[Reading]) -> tuple[Slot, ...]:
    """The best reading with a placeholder wherever a close rival of the same run reads otherwise."""
    slots = list(best.slots)
    for rival in rivals:
        for k, (mine, theirs) in enumerate(zip(slots, rival.slots, strict=True)):
            if mine.char != theirs.char or mine.options != theirs.options:
                options = (mine.options or (mine.char,)) + (theirs.options or (theirs.char,))
                slots[k] = Slot(PLACEHOLDER, tuple(dict.fromkeys(options)))
    return tuple(slots)


def _choose(text: str, readings: list[Reading]) -> GarbledRun | tuple[int, int] | None:
    """The run the readings give: the best one, with placeholders where bytes were lost or a close rival
    disagrees. When a close rival covers other characters, where the run lies is in doubt: the span of them
    all is returned, to be marked unread. A weak best reading is marked unread too when what it replaces
    holds a character the model does not know or a stray symbol, opens with '?' and ends in a taken ASCII
    letter, holds only suspect Han characters, or reads far better (WEAK_MIN_GAIN); otherwise nothing is
    read."""
    best = readings[0]
    if best.weak:
        shown = text[best.start:best.end]
        unknown = any(is_stray_symbol(c) or (is_han(c) and not known(c)) for c in shown)
        # a first pair lost to '?' and a last one that took an ASCII letter: damage on both sides
        lost_and_taken = shown[0] == "?" and best.slots[-1].char.isascii()
        printed = [i for i in range(best.start, best.end) if is_han(text[i])]
        all_suspect = bool(printed) and all(_is_suspect(text, i) for i in printed)
        strong_gain = best.gain >= WEAK_MIN_GAIN
        return (best.start, best.end) if unknown or lost_and_taken or all_suspect or strong_gain else None
    rivals = [r for r in readings[1:] if best.score - r.score < AMBIGUOUS_MARGIN]
    if any((r.start, r.end, len(r.slots)) != (best.start, best.end, len(best.slots)) for r in rivals):
        return min(r.start for r in (best, *rivals)), max(r.end for r in (best, *rivals))
    slots = _merge(best, rivals)
    confidence = 1 / sum(10 ** (r.score - best.score) for r in readings)
    candidates: list[tuple[str, ...]] = []
    left = text[best.start - 1]
    for k, slot in enumerate(slots):
        if slot.char == PLACEHOLDER:
            right = best.filled[k + 1] if k + 1 < len(slots) else text[best.end:best.end + 1]
            likeliest = ranked(left, slot.options, right)
            confidence *= likeliest[0][1]
            candidates.append(tuple(c for c, _ in likeliest[:CANDIDATES_KEPT]))
        left = best.filled[k]
    return GarbledRun(best.start, best.end, slots, True, round(confidence, 3), tuple(candidates))


def _unread(text: str, start: int, end: int) -> GarbledRun:
    """A run the repair cannot read: a placeholder for each character shown (readings that lost their "("
    dropped)."""
    slots: list[Slot] = []
    i = start
    while i < end:
        slots.append(Slot(PLACEHOLDER))
        i = skip_dangling_reading(text, i + 1) if text[i] == "?" else i + 1
    return GarbledRun(start, end, tuple(slots), False, 0.0, tuple(() for _ in slots))


# ---------------------------------------------------------------------------------------------------------
# The whole text


def find_garbled(text: str) -> list[GarbledRun]:
    """GBK out-of-step runs, each read again in step where the bytes allow, or marked unreadable.

    Every '?' is examined: it closes a run when re-reading the characters before it in step gives plausible
    Chinese, and it is flagged as garbled when suspect characters, a dangling annotation tail or more lost
    characters surround it. A '?' between two plausible stretches is a real question mark. A lone ASCII letter
    after suspect characters is examined the same way, and so is a character whose second GBK byte is ASCII
    (where the reader may have taken an ASCII character of the text into its last pair).
    """
    runs: list[GarbledRun] = []
    position = 0
    # The weakest evidence, a lone '?' inside a word, is not used on a page dense with '?' (one that turned its
    # punctuation into '?' would lose it wholesale).
    inserted_allowed = text.count("?") <= INSERTED_MAX_DENSITY * len(text) + 2
    dense = text.count("?") > QUESTION_DENSE * len(text) + 2
    for q in _closers(text):
        if q < position:
            continue
        position = q + 1
        if text[q] == "?":
            region = _question_run(text, q, dense)
            end = region[1] if region else _after_closer(text, q)
        elif text[q].isascii():
            region = _letter_run(text, q)
            end = region[1] if region else q + 1
        elif is_han(text[q + 1:q + 2] or "?") or not _poor_pair_before(text, q) or \
                not _in_step_after(text, q + 1):
            continue  # a Han character follows (no taken Latin word), nothing garbled before, or not in step
        else:
            region, end = None, q + 1
        earliest = min(region[0] if region else q, q - MAX_REREAD)
        floor = runs[-1].end if runs else 0
        if region and region[0] < floor:
            region = None
        ends = sorted({end, _after_closer(text, q), *(_later_ends(text, q) if text[q] == "?" else ())})
        readings = _readings(text, max(1, earliest, floor + 1), q, ends)
        chosen = _choose(text, readings) if readings else None
        found = chosen if isinstance(chosen, GarbledRun) else None
        if isinstance(chosen, tuple):
            region = chosen
        if (not found and not region and inserted_allowed and q > floor and text[q] == "?"
                and is_inserted_question_mark(text, q)):
            found = GarbledRun(q, end, (), True, 1.0)
        if found:
            runs.append(found)
        elif region:
            if runs and region[0] <= runs[-1].end and not runs[-1].reread:
                runs[-1] = _unread(text, runs[-1].start, max(runs[-1].end, region[1]))
            elif not runs or region[0] >= runs[-1].end:
                runs.append(_unread(text, region[0], region[1]))
        if runs:
            position = max(position, runs[-1].end)
    return runs


def repair_garbled(text: str) -> tuple[str, list[GarbledRun]]:
    """Apply ``find_garbled``: restored characters in place, placeholders where they are not determined. The
    runs come back with offsets in the returned text."""
    runs: list[GarbledRun] = []
    pieces: list[str] = []
    last = 0
    length = 0
    for run in find_garbled(text):
        pieces.append(text[last:run.start])
        length += run.start - last
        replacement = run.text
        pieces.append(replacement)
        runs.append(replace(run, start=length, end=length + len(replacement), shown=text[run.start:run.end]))
        length += len(replacement)
        last = run.end
    pieces.append(text[last:])
    return "".join(pieces), runs
