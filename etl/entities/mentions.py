"""Places named in an article: every full or short gazetteer name found in the title and body, and the unit each
one names.

The scan is longest-match, left to right, without overlaps. Short names that are far more often ordinary words
(长治久安, 合作, 比如) are not looked for at all, and a few patterns that start with a place name without naming
it (哈密瓜, 第一师范学院, 振兴县域) are passed over. A surface several units share (喀什: 喀什地区 and 喀什市) is
resolved from the other places the article names.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from etl.regions import LEVELS, Gazetteer, Region, gazetteer
from etl.text.chars import is_han as _is_han

# Short names that are far more often ordinary words than places (长治久安, 合作, 共和国, 富民, 比如, 友谊 …).
COMMON_WORDS = frozenset(
    (
        "长治 合作 共和 富民 延长 南部 通道 平和 和平 大方 乐业 兴业 安宁 康乐 武功 温泉 "
        "四平 白银 安康 东方 中山 白水 白沙 清水 凤凰 太和 民和 金沙 高台 永康 巫山 江口 "
        "石门 城口 永安 大名 新民 灯塔 天长 无为 方正 友谊 富裕 兴隆 和顺 安平 长顺 福安 "
        "惠安 大安 永和 进贤 开化 比如 互助 同仁 同德 白杨 新星 大通 龙里 正安 阿里 长乐 "
        "红旗 新华 东兴 明光 宁国 普安 兴仁 宜良 德安 安义 同心 资源 惠民 全州 新兴 会同 "
        "中方 公安 来宾 民权 长子 平定 洞口 威信 石棉 台前 天台 万年 光泽 莲花 博爱 清流 "
        "滨海 东海 上高 三门 定远 永福 永新 保康 河间 万安 太白 白玉 木兰 黑水 融水 钟山 "
        "镇远 灵台 紫金 宝应 营口 左权 孝义 正定 大化 平安 大同 日照"
    ).split()
)
# Words that begin with a place name without naming the place (哈密瓜 grows all over Xinjiang).
NOT_PLACES = ("哈密瓜",)
# After these, a 第N师 is not a 兵团 division (第一师范学院).
DIVISION_TAIL = re.compile(r"范|部|级|长")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    surface: str
    regions: tuple[Region, ...]  # every unit the surface may name
    in_title: bool


@cache
def name_index() -> tuple[dict[str, tuple[Region, ...]], dict[str, frozenset[int]]]:
    """Surface -> units, and first character -> the surface lengths starting with it."""
    g = gazetteer()
    index: dict[str, list[Region]] = defaultdict(list)
    for name, regions in g.by_full.items():
        index[name].extend(regions)
    for name, regions in g.by_short.items():
        if name not in COMMON_WORDS and name not in g.by_full:
            index[name].extend(regions)
    lengths: dict[str, set[int]] = defaultdict(set)
    for name in index:
        lengths[name[0]].add(len(name))
    return ({k: tuple(v) for k, v in index.items()}, {k: frozenset(v) for k, v in lengths.items()})


def _names_a_place_here(text: str, start: int, surface: str, after_mention: bool) -> bool:
    """Whether the gazetteer name ``surface`` at ``start`` is a place mention rather than part of another word."""
    if text.startswith(NOT_PLACES, start):
        return False
    if surface.startswith("第") and DIVISION_TAIL.match(text, start + len(surface)):
        return False
    # A two-character county name (兴县, 新县, 康县) inside a phrase (振兴县域) is no place.
    if len(surface) == 2 and surface.endswith("县") and start > 0 and _is_han(text[start - 1]):
        return after_mention
    return True


def find_mentions(text: str, in_title: bool = False) -> list[Mention]:
    """Longest-match scan of ``text`` for gazetteer names, left to right, without overlaps."""
    index, lengths = name_index()
    mentions: list[Mention] = []
    i = 0
    while i < len(text):
        found = None
        for size in sorted(lengths.get(text[i], ()), reverse=True):
            surface = text[i : i + size]
            after = bool(mentions) and mentions[-1].end == i
            if surface in index and _names_a_place_here(text, i, surface, after):
                found = Mention(i, i + size, surface, index[surface], in_title)
                break
        if found:
            mentions.append(found)
            i = found.end
        else:
            i += 1
    return mentions


def resolve(mention: Mention, context: set[str], g: Gazetteer) -> Region:
    """The unit a mention names. A unit and its own seat sharing a short name (喀什: 喀什地区, 喀什市) mean the
    higher one; otherwise a unit whose ancestor the text also names, else the highest level."""
    if len(mention.regions) == 1:
        return mention.regions[0]
    outer = [r for r in mention.regions if not any(o != r and g.contains(o, r) for o in mention.regions)]

    def rank(region: Region) -> tuple[int, int]:
        ancestors = {r.code for r in g.parent_chain(region)[:-1]}
        return (0 if ancestors & context else 1, LEVELS.index(region.level))

    return min(outer, key=rank)
