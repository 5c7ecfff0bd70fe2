"""A character-bigram model of ordinary Chinese: how well a stretch of text reads (docs/text.md §2).

Built by etl/data/build_bigrams.py from the word list of jieba's dictionary: characters and the pairs inside
words, with log10 probabilities. Pairs across words are not in it and back off to the unigram, so ordinary
prose scores about -2.3 to -3.0 per pair and GBK mojibake about -5 to -7. The mojibake repair uses it to tell
garbled stretches from prose and to rank the characters a lost byte leaves open.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from etl.text.chars import is_han

DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "char_bigrams.txt.gz"
INTERPOLATION = 0.7  # weight of the in-word bigram estimate against the unigram back-off (as in build_bigrams.py)
UNSEEN_UNIGRAM = -7.5  # log10 probability of a character the dictionary never saw
BACKOFF = math.log10(1 - INTERPOLATION)


@dataclass(frozen=True)
class BigramModel:
    unigram: dict[str, float]  # char -> log10 P(char)
    bigram: dict[str, float]  # pair -> log10 P(second | first), interpolated with the unigram
    simplified: dict[str, str]  # Traditional char -> Simplified char (OpenCC t2s, one character at a time)

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
        return BACKOFF + self.unigram.get(second, UNSEEN_UNIGRAM)


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


@lru_cache(maxsize=1 << 17)
def pair_score(first: str, second: str) -> float:
    """`BigramModel.pair_score` of the shipped model, cached: the repair asks for the same pairs many times."""
    return bigram_model().pair_score(first, second)


def pair_scores(text: str) -> list[float]:
    """log10 P(second | first) of every pair of adjacent Han characters in ``text``."""
    return [pair_score(a, b) for a, b in pairwise(text) if is_han(a) and is_han(b)]


def mean_pair_score(text: str, empty: float = 0.0) -> float:
    """How well text reads as ordinary Chinese: the mean log10 bigram probability over adjacent Han pairs;
    ``empty`` when the text has no such pair."""
    scores = pair_scores(text)
    return sum(scores) / len(scores) if scores else empty
