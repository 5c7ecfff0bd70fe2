"""The subject of a figure: the noun phrase it measures, cut on word boundaries (40名教师 -> 教师).

The phrase is found in the words next to the mention (a keyword after a measure word, or the noun phrase that
ends right before the number); its two ends are then moved onto word boundaries of the segmenter, so a
subject never starts or ends inside a word (``网改造等民生项目`` was the old, character-counted cut).

The segmenter is jieba with its own dictionary plus a few aid words it lacks (援疆 is two words to it). It
takes about a second to load (1.0–1.2 s measured), so it is loaded on first use, once per process (the ETL's
worker processes each load it when their first figure needs a subject), then costs about 0.1 ms per phrase.
Only dictionary words are used (``HMM=False``): the hidden-Markov guesses for unknown words would make the
boundaries depend on them.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from etl.metrics.cues import CLASSIFIER_KINDS, LINKERS, SUBJECT_STOPS, THING_CATEGORIES
from etl.metrics.keywords import KEYWORD_CATEGORY, KEYWORD_SCAN
from etl.metrics.units import TIME_UNITS
from etl.text.gbk import PLACEHOLDER

if TYPE_CHECKING:
    from jieba import Tokenizer

# words of aid reports the segmenter's dictionary splits (援疆 -> 援/疆); added to our own tokenizer only
AID_WORDS = (
    "援疆",
    "援藏",
    "援青",
    "援派",
    "援建",
    "援助",
    "对口支援",
    "东西部协作",
    "援疆干部",
    "援藏干部",
    "援青干部",
    "援疆资金",
    "援藏资金",
    "援青资金",
    "帮扶资金",
    "协作资金",
    "财政援助资金",
)
COUNTED_UNITS = ("count", "person", "person_time", "household")
SUBJECT_MAX = 10  # characters: longer phrases are cut back to their last whole words within this length
AFTER_REACH = 12  # characters after a measure word searched for what it counts (40名援疆教师)
BOUNDS_CACHE = 4096  # phrases segmented recently: reports repeat them (投入援疆资金, 带动当地群众)
# a subject phrase never reaches over another number, nor over a code written with one (5G手机 -> 手机)
LEADING_TEXT = re.compile(r"[^\dA-Za-z]*")
TRAILING_TEXT = re.compile(r"[^\dA-Za-z]*$")
# what separates items of an enumeration from the head noun: 供排水管网改造等民生项目 -> 民生项目
ENUMERATION_END = re.compile(r"等等|等")
# words that end a clause before its number without naming anything: changes, modals, selling and earning verbs,
# and when or per what (人均可支配收入提高2.5个百分点 -> 人均可支配收入, 鲜菇每斤能卖到6元 -> 鲜菇)
TRAILING_WORDS = frozenset(
    (
        "提高 提高了 增长 增长了 增加 增加了 减少 下降 上升 降低 提升 突破 超过 "
        "达到 达 为 有 是 能 可 可以 将 会 要 已 已经 才 只能 就 还 共 约 "
        "卖 卖到 卖出 售 挣 赚 拿 拿到 领 领到 寄回 寄 收 收到 花 花费 每年 "
        "每月 每个月 每天 一天 一年 一个月 今年 去年 全年 当年 年均 月均 每斤 "
        "每公斤 每吨 每亩 每头 每只 每人 每户 比 比去年 比上年 较 较上年 多 少 "
        "多卖 多收 的"
    ).split()
)
# words that start a phrase without being part of the noun: prepositions and adverbs (到红河州 -> 红河州)
FUNCTION_HEADS = (
    "对于",
    "关于",
    "其中",
    "向",
    "在",
    "到",
    "对",
    "为",
    "从",
    "给",
    "把",
    "被",
    "将",
    "由",
    "与",
    "和",
    "及",
    "并",
    "还",
    "也",
    "又",
    "再",
    "已",
    "共",
    "均",
    "全",
    "使",
    "让",
    "就",
)


@cache
def segmenter() -> Tokenizer:
    """jieba's tokenizer with its dictionary and the aid words, loaded once per process."""
    import jieba

    jieba.setLogLevel(logging.WARNING)  # its loading messages are not ours to print
    tokenizer = jieba.Tokenizer()
    # jieba caches its parsed dictionary (about 1 s to build) in the system's temporary folder by default; a
    # service keeps it with its other caches instead, so no file of ours is left among the temporary ones.
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "aidnews"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tokenizer.tmp_dir = str(cache)
    except OSError:  # no writable home (a locked-down container): jieba falls back to the temporary folder
        tokenizer.tmp_dir = None
    tokenizer.initialize()
    for word in AID_WORDS:
        if not tokenizer.FREQ.get(word):
            tokenizer.add_word(word)
    return tokenizer


@lru_cache(maxsize=BOUNDS_CACHE)
def word_bounds(text: str) -> tuple[int, ...]:
    """Offsets in ``text`` where a word of the segmenter starts or ends (0 and len(text) included)."""
    bounds = [0]
    for word in segmenter().cut(text, HMM=False):
        bounds.append(bounds[-1] + len(word))
    return tuple(bounds)


def _ceil(bounds: Sequence[int], position: int) -> int:
    return next(bound for bound in bounds if bound >= position)


def _floor(bounds: Sequence[int], position: int) -> int:
    return next(bound for bound in reversed(bounds) if bound <= position)


def find_subject(unit: str, classifier: str | None, near: str, after: str, near_cut: bool) -> str | None:
    """The noun phrase the figure measures: 40名教师 -> 教师, 投入援疆资金420余万元 -> 援疆资金.

    ``near`` is the text right before the mention (back to a break or the figure before it), ``after`` the text
    right after it; ``near_cut`` says that ``near`` was cut at a length limit, so its first word may be partial.
    """
    found = None
    if after.startswith("的") or unit in COUNTED_UNITS:
        found = _subject_after(unit, classifier, after)
    if not found and unit not in TIME_UNITS:
        found = _subject_before(near, near_cut)
    return _without_placeholders(found)


def _without_placeholders(phrase: str | None) -> str | None:
    """A subject never holds a character the page's bytes did not determine (□, docs/text.md): only the words
    after the last one stay, and none when that leaves less than a word (援疆资金□ says nothing sure)."""
    if phrase is None or PLACEHOLDER not in phrase:
        return phrase
    rest = phrase.rpartition(PLACEHOLDER)[2]
    return rest if len(rest) >= 2 else None


def _subject_after(unit: str, classifier: str | None, after: str) -> str | None:
    """What a measure word counts: the first keyword after it, with the words up to it (120名援疆教师)."""
    offset = 1 if after.startswith("的") else 0
    found = LEADING_TEXT.match(after, offset, offset + AFTER_REACH)
    assert found is not None  # the pattern matches the empty string
    phrase = found.group()
    kinds = CLASSIFIER_KINDS.get(classifier or "", THING_CATEGORIES if unit == "count" else None)
    found = next(
        (
            match
            for match in KEYWORD_SCAN.finditer(phrase)
            if (category := KEYWORD_CATEGORY[match.group()]) and (kinds is None or category in kinds)
        ),
        None,
    )
    if not found:
        return None
    end = found.end()
    category = KEYWORD_CATEGORY[found.group()]
    for following in KEYWORD_SCAN.finditer(phrase, end):
        if following.start() != end or KEYWORD_CATEGORY[following.group()] != category:
            break
        end = following.end()
    bounds = word_bounds(after[offset:])
    end = _ceil(bounds, end) if _ceil(bounds, end) <= len(phrase) else _floor(bounds, end)
    return phrase[:end] or None


def _subject_before(near: str, near_cut: bool) -> str | None:
    """The noun phrase that ends right before the number: 投入援疆资金420余万元 -> 援疆资金."""
    tail = TRAILING_TEXT.search(near)
    assert tail is not None  # the pattern matches the empty string at the end
    trimmed = tail.group()
    offset = len(near) - len(trimmed)
    if offset:
        stripped = trimmed.lstrip("年月日的")  # 2010年达到507.46亿元: the 年 of a date is no subject
        cut = len(trimmed) - len(stripped)
        offset, trimmed = offset + cut, stripped
        if cut and offset not in word_bounds(near):
            # the 年 began a word (2007年末, 6月底): that whole time word is no subject either
            moved = _ceil(word_bounds(near), offset)
            offset, trimmed = moved, near[moved:]
    bounds = [bound - offset for bound in word_bounds(near) if bound >= offset]
    if not bounds or bounds[0] != 0:
        bounds.insert(0, 0)  # the text after a number starts a word (jieba keeps 2010年 in one block)
    end = _floor(bounds, len(LINKERS.sub("", trimmed)))
    while end > 0 and trimmed[(previous := bounds[bounds.index(end) - 1]) : end] in TRAILING_WORDS:
        end = previous
    start = 1 if near_cut and not offset and len(bounds) > 1 else 0
    start = bounds[start]  # a word cut by the window's edge is not a word
    for stop in SUBJECT_STOPS.finditer(trimmed, start, end):
        if end - stop.end() >= 2:  # 培训班: a stop that leaves one character is part of the noun
            start = max(start, _ceil(bounds, stop.end()))
    for enumeration in ENUMERATION_END.finditer(trimmed, start, end):
        if end - enumeration.end() >= 2 and enumeration.end() in bounds:
            start = enumeration.end()
    while start < end and trimmed.startswith(FUNCTION_HEADS, start):
        head = next(word for word in FUNCTION_HEADS if trimmed.startswith(word, start))
        if start + len(head) not in bounds:
            break
        start += len(head)
    while end - start > SUBJECT_MAX:
        start = _ceil(bounds, start + 1)
    phrase = trimmed[start:end]
    return None if len(phrase) < 2 or SUBJECT_STOPS.fullmatch(phrase) else phrase
