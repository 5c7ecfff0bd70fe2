"""How likely a stretch of text is as Chinese prose: the character-bigram model (etl/text/bigrams.py)
extended to the marks, ASCII and GBK symbols that garbled runs print (docs/text.md §2).

The mojibake repair compares a run as shown with its readings in step on these figures, and ranks the
characters a lost byte leaves open. Every figure is a log10 probability.
"""

from __future__ import annotations

from functools import lru_cache

from etl.text.bigrams import BACKOFF, UNSEEN_UNIGRAM, bigram_model, pair_score
from etl.text.chars import is_han
from etl.text.gbk import gbk_code

CJK_PUNCTUATION = "，。、；：？！“”‘’（）《》「」【】…—·"
# log10 frequency of the commonest marks among all characters of news prose, for ranking a character that
# lost a byte in GBK's punctuation rows (A1, A3); the model itself holds Han characters only.
PUNCTUATION_PRIOR = {"，": -1.2, "。": -1.5, "、": -1.9, "“": -2.2, "”": -2.2, "：": -2.5, "；": -2.8,
                     "（": -2.8, "）": -2.8, "《": -2.9, "》": -2.9, "…": -3.0, "！": -3.2, "？": -3.2, "—": -3.2,
                     "‘": -3.5, "’": -3.5, "·": -3.5, "「": -3.5, "」": -3.5, "【": -3.5, "】": -3.5}
# Characters after which an ASCII '?' is a real question mark (sentence-final particles, question words,
# interjections).
QUESTION_ENDINGS = frozenset("吗吧呢么嘛啊呀哪谁何啥几样否的了麽嗎呃嗯哦噢哎唉咦嘿喂")
# log10 probability of an ASCII '?' after a Han character or mark: after a question word or particle, and
# elsewhere (portals that print ASCII question marks are few, and they follow questions).
QUESTION_AFTER_ENDING = -1.0
QUESTION_ELSEWHERE = -3.5
LATIN_AFTER_HAN = -3.0  # log10 probability of an ASCII letter or digit right after a Han character or mark
SIGN_AFTER_HAN = -4.5  # ... and of another ASCII sign (^ _ ~ } …), which Chinese prose writes full-width
OTHER_MARK = -3.5  # log10 probability of a non-Han character other than the common marks (…, —, Ａ, ３, ·)
UNREADABLE = -8.0  # log10 probability of a pair with a stray GBK symbol in prose


def is_stray_symbol(char: str) -> bool:
    """A GBK symbol that ordinary Chinese prose does not use next to Han characters: kana, Cyrillic, Greek,
    box drawing, maths signs (an out-of-step reader emits them from byte pairs in GBK rows A1-A9)."""
    return (char > "\u00ff" and not is_han(char) and char not in CJK_PUNCTUATION
            and not "\uff01" <= char <= "\uff5e" and char != "\u3000" and gbk_code(char) is not None)


def is_gbk_symbol(char: str) -> bool:
    """A GBK character that is neither Han nor a common mark nor a space: a stray symbol, a pinyin letter
    (ê ü), a full-width letter — what garbled runs print and prose seldom holds."""
    return not is_han(char) and char not in CJK_PUNCTUATION and char > "\u007f" and char != "\u3000" and \
        gbk_code(char) is not None


def transitions(text: str) -> list[float]:
    """log10 P(second | first) of the adjacent characters of prose: Han pairs from the model, a mark or other
    non-ASCII character by its frequency in prose, a Han character after a mark or ASCII by its unigram, an
    ASCII '?', letter or sign after a Han character by how often prose prints one there; a pair with a stray
    GBK symbol is unreadable. Pairs of ASCII characters are left out."""
    model = bigram_model()
    scores: list[float] = []
    for a, b in zip(text, text[1:], strict=False):
        if is_han(a) and is_han(b):
            scores.append(pair_score(a, b))
        elif is_stray_symbol(a) or is_stray_symbol(b):
            scores.append(UNREADABLE)
        elif b == "?":
            if not a.isascii():
                scores.append(QUESTION_AFTER_ENDING if a in QUESTION_ENDINGS else QUESTION_ELSEWHERE)
        elif not b.isascii() and not is_han(b):
            scores.append(PUNCTUATION_PRIOR.get(b, OTHER_MARK))
        elif is_han(b) and (not a.isascii() or "!" <= a <= "~"):
            scores.append(BACKOFF + model.unigram.get(model.simplified.get(b, b), UNSEEN_UNIGRAM))
        elif "!" <= b <= "~" and not a.isascii():
            scores.append(LATIN_AFTER_HAN if b.isalnum() else SIGN_AFTER_HAN)
    return scores


def known(char: str) -> bool:
    """A character the model's dictionary holds (itself or its Simplified form)."""
    model = bigram_model()
    return model.simplified.get(char, char) in model.unigram


def log_probability(text: str) -> float:
    """How likely a stretch is as prose: the sum of its `transitions` (log10)."""
    return sum(transitions(text))


@lru_cache(maxsize=65536)
def ranked(left: str, options: tuple[str, ...], right: str) -> list[tuple[str, float]]:
    """The options with the model's probability of each between ``left`` and ``right``, likeliest first:
    P(c | left) * P(right | c), normalised over the options."""
    model = bigram_model()
    bigram, unigram, simplified = model.bigram, model.unigram, model.simplified
    left = simplified.get(left, left)
    right = simplified.get(right, right)
    right_unigram = BACKOFF + unigram.get(right, UNSEEN_UNIGRAM)
    scored: list[tuple[str, float]] = []
    for option in options:
        char = simplified.get(option, option)
        score = bigram.get(left + char)
        if score is None:
            score = PUNCTUATION_PRIOR.get(char) or BACKOFF + unigram.get(char, UNSEEN_UNIGRAM)
        if char != option:
            score -= 0.01  # on a tie, the form the page most likely used: Simplified
        if right:
            after = bigram.get(char + right)
            score += right_unigram if after is None else after
        scored.append((option, score))
    top = max(score for _, score in scored)
    total = sum(10 ** (score - top) for _, score in scored)
    return sorted(((option, 10 ** (score - top) / total) for option, score in scored), key=lambda c: -c[1])
