"""GBK mojibake read one byte out of step: detect it, repair it where the bytes allow, flag it (docs/text.md §2).

A page converted from GBK by a reader that slipped one byte shows runs of real-looking but wrong characters
(当地民生 -> 钡孛裆?). Encoding such a run back to GBK gives the original bytes shifted by one, so the run can
be re-read in step; the edge characters, each of which lost a byte, are chosen with a character-bigram model
of ordinary Chinese (built by etl/data/build_bigrams.py from jieba's dictionary). The same model tells garbled
stretches from prose.
"""

from __future__ import annotations

import gzip
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from etl.text.chars import is_han
from etl.text.pinyin import skip_dangling_reading

DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "char_bigrams.txt.gz"

# ---------------------------------------------------------------------------------------------------------
# Character-bigram model of ordinary Chinese

INTERPOLATION = 0.7  # weight of the in-word bigram estimate against the unigram back-off (as in build_bigrams.py)
UNSEEN_UNIGRAM = -7.5  # log10 probability of a character the dictionary never saw
_BACKOFF = math.log10(1 - INTERPOLATION)


@dataclass(frozen=True)
class BigramModel:
    unigram: dict[str, float]  # char -> log10 P(char)
    bigram: dict[str, float]  # pair -> log10 P(second | first), interpolated with the unigram
    simplified: dict[str, str]  # Traditional char -> Simplified char

    def in_word(self, first: str, second: str) -> bool:
        """The pair occurs inside a dictionary word."""
        return self.simplified.get(first, first) + self.simplified.get(second, second) in self.bigram

    def pair_score(self, first: str, second: str) -> float:
        """log10 P(second | first), on the Simplified forms of both characters."""
        first = self.simplified.get(first, first)
        second = self.simplified.get(second, second)
        score = self.bigram.get(first + second)
        if score is not None:
            return score
        return _BACKOFF + self.unigram.get(second, UNSEEN_UNIGRAM)


@lru_cache(maxsize=1)
def bigram_model() -> BigramModel:
    """Load the shipped model once, on first use."""
    unigram: dict[str, float] = {}
    bigram: dict[str, float] = {}
    simplified: dict[str, str] = {}
    tables = {"U": unigram, "B": bigram}
    with gzip.open(DATA_FILE, "rt", encoding="utf-8") as data:
        for line in data.read().splitlines():
            kind, key, value = line.split("\t")
            if kind == "T":
                simplified[key] = value
            elif kind in tables:
                tables[kind][key] = -int(value) / 10
    return BigramModel(unigram, bigram, simplified)


def mean_pair_score(text: str, empty: float = 0.0) -> float:
    """How well text reads as ordinary Chinese: the mean log10 bigram probability over adjacent Han pairs;
    ``empty`` when the text has no such pair."""
    model = bigram_model()
    scores = [model.pair_score(a, b) for a, b in pairwise(text) if is_han(a) and is_han(b)]
    return sum(scores) / len(scores) if scores else empty


# ---------------------------------------------------------------------------------------------------------
# GBK code table

@lru_cache(maxsize=1)
def gbk_table() -> dict[int, str]:
    """Every valid GBK double-byte code (lead << 8 | trail) -> its character."""
    table: dict[int, str] = {}
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            try:
                table[lead << 8 | trail] = bytes((lead, trail)).decode("gbk")
            except UnicodeDecodeError:
                continue
    return table


# ---------------------------------------------------------------------------------------------------------
# GBK out-of-step mojibake: detection and repair

SUSPECT_PAIR = -5.0  # a Han character fitting neither neighbour below this log10 probability is suspect
REPAIR_MIN_PLAUSIBILITY = -4.2  # a repair must read at least this well (mean log10 pair probability)
REPAIR_MIN_GAIN = 1.0  # ... and this much better than the garbled run
REPAIR_MIN_PAIR = -5.5  # ... with no adjacent pair less likely than this
UNREADABLE = -8.0  # mean pair score of a garbled run without two adjacent Han characters
GARBLED_MEAN = -4.0  # mean log10 pair probability below which a stretch reads as garbage (clean lines: -2.3 to -3.0)
MAX_RUN = 24

CJK_PUNCTUATION = "，。、；：？！“”‘’（）《》「」【】…—·"
# A lost trail byte after a lead byte of GBK's punctuation rows: the commonest mark of that row (，and 、).
PUNCTUATION_BY_LEAD = {0xA1: "、", 0xA3: "，"}
# Characters after which an ASCII '?' is a real question mark (sentence-final particles, question words).
QUESTION_ENDINGS = frozenset("吗吧呢么嘛啊呀哪谁何啥几样否的了麽嗎")
INSERTED_MAX_DENSITY = 0.01  # '?' per character above which lone '?'s are left alone
JOIN_MIN = -3.0  # log10 P(right | left) for two characters that read as one word once the '?' is dropped
# What can close an out-of-step run: '?' (an invalid pair), or one ASCII character in the GBK trail-byte range
# standing between non-ASCII characters (a trail byte read as ASCII, as 業 = 98 49 gives "I").
_RUN_CLOSE = re.compile(r"\?|(?<=[^\x00-\x7f])[\x40-\x7e](?![\x21-\x7e])")


@dataclass(frozen=True)
class GarbledRun:
    start: int  # [start, end) in the text it was found in
    end: int
    repair: str | None  # the restored characters replacing text[start:end], or None when unrepaired


@lru_cache(maxsize=1)
def gbk_candidates() -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Han characters known to the model (directly or by their Simplified form), indexed by their GBK lead
    byte and by their trail byte."""
    model = bigram_model()
    by_lead: dict[int, list[str]] = {}
    by_trail: dict[int, list[str]] = {}
    for code, char in gbk_table().items():
        if model.simplified.get(char, char) in model.unigram:
            by_lead.setdefault(code >> 8, []).append(char)
            by_trail.setdefault(code & 0xFF, []).append(char)
    return by_lead, by_trail


@lru_cache(maxsize=16384)
def _gbk_bytes(char: str, simplify: bool = False) -> bytes | None:
    """The GBK bytes of a character; with ``simplify``, of its Simplified form (for a run converted to
    Traditional after it was garbled)."""
    if simplify:
        char = bigram_model().simplified.get(char, char)
    try:
        data = char.encode("gbk")
    except UnicodeEncodeError:
        return None
    return data if len(data) == 2 else None


def _is_suspect(text: str, i: int, model: BigramModel) -> bool:
    """Han character i fits neither of its Han neighbours (a character standing alone between non-Han
    characters is not judged). Stray GBK symbols are always suspect."""
    if not is_han(text[i]):
        return is_stray_symbol(text[i])
    left = model.pair_score(text[i - 1], text[i]) if i > 0 and is_han(text[i - 1]) else None
    right = model.pair_score(text[i], text[i + 1]) if i + 1 < len(text) and is_han(text[i + 1]) else None
    if left is None and right is None:
        return False  # a lone character (an interjection between question marks) cannot be judged
    return max(s for s in (left, right) if s is not None) < SUSPECT_PAIR


def _is_gbk_double(char: str) -> bool:
    """A character an out-of-step GBK reader can emit from a byte pair (Han, or a GBK symbol such as Р ┚ 、)."""
    return is_han(char) or ("\u0080" <= char and char not in "\u3000\u00a0" and _gbk_bytes(char) is not None)


def _is_run_end(char: str) -> bool:
    """What closes an out-of-step run: '?' for an invalid pair, or a GBK trail byte read as ASCII."""
    return char == "?" or "\x40" <= char < "\x7f"


def _question_run(text: str, q: int, model: BigramModel) -> tuple[int, int] | None:
    """The garbled run around the '?' at q, or None when the '?' reads as a real question mark.

    Evidence: a dangling annotation tail (?shù) or a second '?' (lost characters; not after a question
    particle, where '??' is emphasis), a stray GBK symbol, or at least two suspect characters beside it.
    """
    after = skip_dangling_reading(text, q + 1)
    before = q
    while before > 0 and text[before - 1] == "?":
        before -= 1
    lost = text[q + 1:q + 2] == "?" and before > 0 and is_han(text[before - 1]) and \
        text[before - 1] not in QUESTION_ENDINGS
    strong = after > q + 1 or lost
    end = after
    if strong:
        # The '?' swallowed the first out-of-step pair: the run goes on to the next run end.
        probe = end
        while (probe < len(text) and probe - q < MAX_RUN and _is_gbk_double(text[probe])
               and text[probe] not in CJK_PUNCTUATION):
            probe += 1
        if (probe < len(text) and probe - q < MAX_RUN and _is_run_end(text[probe])
                and (probe - end <= 2 or mean_pair_score(text[end:probe]) < GARBLED_MEAN)):
            end = skip_dangling_reading(text, probe + 1) if text[probe] == "?" else probe + 1
    suspects = 0
    while end < len(text) and end - q < MAX_RUN and (text[end] == "?" or _is_suspect(text, end, model)):
        suspects += text[end] != "?"
        strong = strong or is_stray_symbol(text[end])
        end = skip_dangling_reading(text, end + 1) if text[end] == "?" else end + 1
    start = q
    while start > 0 and q - start < MAX_RUN and (text[start - 1] == "?" or _is_suspect(text, start - 1, model)):
        suspects += text[start - 1] != "?"
        strong = strong or is_stray_symbol(text[start - 1])
        start -= 1
    return (start, end) if strong or suspects >= 2 else None


def is_stray_symbol(char: str) -> bool:
    """A GBK symbol that ordinary Chinese prose does not use next to Han characters: kana, Cyrillic, Greek,
    box drawing, maths signs (an out-of-step reader emits them from byte pairs in GBK rows A1-A9)."""
    return (char > "\u00ff" and not is_han(char) and char not in CJK_PUNCTUATION
            and not "\uff01" <= char <= "\uff5e" and char != "\u3000" and _gbk_bytes(char) is not None)


def find_garbled(text: str) -> list[GarbledRun]:
    """GBK out-of-step runs, each with its in-step repair when one reads as ordinary Chinese.

    Every '?' is examined: it closes a run when re-reading the characters before it in step gives plausible
    Chinese (the repair), and it is flagged as garbled when suspect characters, a dangling annotation tail or
    more lost characters surround it. A '?' between two plausible stretches is a real question mark. A lone
    ASCII letter after suspect characters is examined the same way.
    """
    model = bigram_model()
    runs: list[GarbledRun] = []
    position = 0
    # The weakest evidence, a lone '?' inside a word, is not used on a page dense with '?' (one that turned its
    # punctuation into '?' would lose it wholesale).
    inserted_allowed = text.count("?") <= INSERTED_MAX_DENSITY * len(text) + 2
    while (close := _RUN_CLOSE.search(text, position)) is not None:
        q = close.start()
        position = q + 1
        if text[q] == "?":
            region = _question_run(text, q, model)
            end = region[1] if region else skip_dangling_reading(text, q + 1)
        else:
            region = _letter_run(text, q, model)
            if region is None:
                continue
            end = region[1]
        earliest = min(region[0] if region else q, q - MAX_RUN // 2)
        floor = runs[-1].end if runs else 0
        if region and region[0] < floor:
            region = None
        found = best_repair(text, max(1, earliest, floor + 1), q, end)
        if (not found and not region and inserted_allowed and q > floor and text[q] == "?"
                and is_inserted_question_mark(text, q, model)):
            found = (q, "")
        if found:
            runs.append(GarbledRun(found[0], end, found[1]))
        elif region:
            if runs and region[0] <= runs[-1].end and runs[-1].repair is None:
                runs[-1] = GarbledRun(runs[-1].start, max(runs[-1].end, region[1]), None)
            elif not runs or region[0] >= runs[-1].end:
                runs.append(GarbledRun(region[0], region[1], None))
        if runs:
            position = max(position, runs[-1].end)
    return runs


def _letter_run(text: str, p: int, model: BigramModel) -> tuple[int, int] | None:
    """The run closed by the lone ASCII character at p: at least two suspect characters right before it."""
    start = p
    suspects = 0
    while start > 0 and p - start < MAX_RUN and _is_suspect(text, start - 1, model):
        suspects += 1 + is_stray_symbol(text[start - 1])
        start -= 1
    return (start, p + 1) if suspects >= 2 else None


def is_inserted_question_mark(text: str, q: int, model: BigramModel) -> bool:
    """A '?' that an out-of-step reader inserted at once: the left character's trail byte and the right
    character's lead byte form no GBK pair, the '?' sits inside a word, and it follows no question word."""
    if q == 0 or q + 1 >= len(text):
        return False
    left, right = text[q - 1], text[q + 1]
    if not (is_han(left) and is_han(right)) or left in QUESTION_ENDINGS:
        return False
    if not model.in_word(left, right) or model.pair_score(left, right) < JOIN_MIN:
        return False
    table = gbk_table()
    for simplify in (False, True):
        left_bytes, right_bytes = _gbk_bytes(left, simplify), _gbk_bytes(right, simplify)
        if left_bytes and right_bytes and (left_bytes[1] << 8 | right_bytes[0]) not in table:
            return True
    return False


def _may_start_run(text: str, start: int) -> bool:
    """Cheap test before a repair: after a Han anchor, a run opens with a lost pair ('?') or with a character
    whose first byte is the anchor's second byte (as published or in Simplified form)."""
    if not is_han(text[start - 1]):
        return False
    if text[start] == "?":
        return True
    for simplify in (False, True):
        anchor, first = _gbk_bytes(text[start - 1], simplify), _gbk_bytes(text[start], simplify)
        if anchor and first and first[0] == anchor[1]:
            return True
    return False


def best_repair(text: str, earliest: int, q: int, end: int) -> tuple[int, str] | None:
    """The in-step repair, of a run ending at ``end`` and closed near the '?' at q, that reads best.

    The run start (the character after the anchor) is not known: each position from ``earliest`` on is tried
    and the candidates are compared on the same stretch of text, so a repair that leaves garbage behind loses
    to one that restores the whole run. Returns (run start, repaired characters) for text[run start:end].
    """
    window = max(0, earliest - 2)
    baseline = mean_pair_score(text[window:end + 1])
    best: tuple[float, int, str] | None = None
    for run_start in range(q, earliest - 1, -1):
        if run_start < 1 or not _may_start_run(text, run_start):
            continue
        repaired = repair_run(text, run_start, end)
        if repaired is None:
            continue
        score = mean_pair_score(text[window:run_start] + repaired + text[end:end + 1])
        if score > baseline and (best is None or score > best[0]):
            best = (score, run_start, repaired)
    return (best[1], best[2]) if best else None


def repair_run(text: str, start: int, end: int) -> str | None:
    """The better of the two readings of a run: as published, or with its characters mapped to Simplified."""
    found = [r for r in (_repair_run(text, start, end, False), _repair_run(text, start, end, True)) if r]
    return max(found, key=lambda r: mean_pair_score(text[start - 1] + r + text[end:end + 1])) if found else None


def _repair_run(text: str, start: int, end: int, simplify: bool) -> str | None:
    """Re-read a garbled run in step and restore its edge characters; None when that does not read better.

    Shape: anchor text[start-1] (the character after which the reader slipped), then an optional '?' that
    swallowed the first out-of-step pair, GBK characters (a '?' among them lost a pair), and a closing '?'
    (one lost byte) or ASCII byte.
    """
    if start == 0 or not is_han(text[start - 1]):
        return None
    anchor = _gbk_bytes(text[start - 1], simplify)
    if anchor is None:
        return None
    stream: list[int | None] = [anchor[0]]
    i = start
    if text[i] == "?":
        stream += [anchor[1], None]
        i = skip_dangling_reading(text, i + 1)
    garbled = 0
    while i < end:
        char = text[i]
        if char == "?":
            after = skip_dangling_reading(text, i + 1)
            # A closing '?' lost one byte; one inside the run lost a whole pair and the reader stayed out of step.
            stream += [None] if after >= end else [None, None]
            i = after
        elif _is_gbk_double(char):
            data = _gbk_bytes(char, simplify)
            if data is None or len(stream) == 1 and data[0] != anchor[1]:
                return None  # the first out-of-step pair must begin with the anchor's second byte
            stream += data
            garbled += 1
            i += 1
        elif 0x40 <= ord(char) < 0x7F and i + 1 == end:
            stream.append(ord(char))  # a trail byte read as ASCII closes the run
            i += 1
        else:
            return None
    if len(stream) % 2 or not garbled:
        return None  # a run with no surviving character leaves one byte to guess from: too weak
    restored = _decode_in_step(stream, text[end] if end < len(text) else "")
    if restored is None or _gbk_bytes(restored[0], simplify) != anchor:
        return None
    repaired = "".join(restored[1:])
    return repaired if reads_better(restored[0] + repaired + text[end:end + 1], text[start - 1:end + 1]) else None


def reads_better(repaired: str, garbled: str) -> bool:
    """The repair reads as ordinary Chinese (no pair far below the model's floor) and beats the garbled run."""
    model = bigram_model()
    scores = [model.pair_score(a, b) for a, b in pairwise(repaired) if is_han(a) and is_han(b)]
    if not scores or min(scores) < REPAIR_MIN_PAIR or any(
            not is_han(c) and c not in CJK_PUNCTUATION for c in repaired[:-1]):
        return False
    mean = sum(scores) / len(scores)
    return mean >= REPAIR_MIN_PLAUSIBILITY and mean >= mean_pair_score(garbled, UNREADABLE) + REPAIR_MIN_GAIN


@lru_cache(maxsize=4096)
def _simplified_pairs(left: str, right: str) -> tuple[str, str]:
    simplified = bigram_model().simplified
    return simplified.get(left, left), simplified.get(right, right)


@lru_cache(maxsize=65536)
def fill_lost_byte(left: str, lead: int | None, trail: int | None, right: str) -> str | None:
    """The character, among those with the known lead or trail byte, that best fits between its neighbours."""
    by_lead, by_trail = gbk_candidates()
    options = by_lead.get(lead, []) if trail is None else by_trail.get(trail, [])
    return best_fit(left, options, right) if options else None


def best_fit(left: str, options: list[str], right: str) -> str:
    """The option that best fits between ``left`` and ``right``: max log P(c | left) + log P(right | c)."""
    model = bigram_model()
    bigram, unigram = model.bigram, model.unigram
    left, right = _simplified_pairs(left, right)
    right_unigram = _BACKOFF + unigram.get(right, UNSEEN_UNIGRAM)
    simplified = model.simplified
    best, best_score = options[0], -1e9
    for option in options:
        char = simplified.get(option, option)
        score = bigram.get(left + char)
        if score is None:
            score = _BACKOFF + unigram.get(char, UNSEEN_UNIGRAM)
        if char != option:
            score -= 0.01  # on a tie, the form the page most likely used: Simplified
        if right:
            after = bigram.get(char + right)
            score += right_unigram if after is None else after
        if score > best_score:
            best, best_score = option, score
    return best


def _decode_in_step(stream: list[int | None], following: str) -> list[str] | None:
    """Decode byte pairs; a pair with one unknown byte becomes the candidate that best fits its neighbours."""
    table = gbk_table()
    pairs = [(stream[k], stream[k + 1]) for k in range(0, len(stream), 2)]
    known: list[str | None] = []
    for lead, trail in pairs:
        if lead is None or trail is None:
            known.append(None)
            continue
        char = table.get(lead << 8 | trail)
        if char is None:
            return None
        known.append(char)
    out: list[str] = []
    for k, (lead, trail) in enumerate(pairs):
        char = known[k]
        if char is None:
            if lead is None and trail is None or not out:
                return None
            right = (known[k + 1] if k + 1 < len(known) else following) or ""
            if lead == 0xA1 and right in ("", "\n"):
                char = "。"
            elif lead in PUNCTUATION_BY_LEAD:
                char = PUNCTUATION_BY_LEAD[lead]
            else:
                char = fill_lost_byte(out[-1], lead, trail, right)
                if char is None:
                    return None
        out.append(char)
    return out


def repair_garbled(text: str) -> tuple[str, list[GarbledRun]]:
    """Apply the repairs of ``find_garbled``; the runs come back with offsets in the returned text (a repaired
    run's span covers the restored characters)."""
    runs: list[GarbledRun] = []
    pieces: list[str] = []
    last = 0
    length = 0
    for run in find_garbled(text):
        pieces.append(text[last:run.start])
        length += run.start - last
        replacement = run.repair if run.repair is not None else text[run.start:run.end]
        pieces.append(replacement)
        runs.append(GarbledRun(length, length + len(replacement), run.repair))
        length += len(replacement)
        last = run.end
    pieces.append(text[last:])
    return "".join(pieces), runs

