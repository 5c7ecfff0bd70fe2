"""The two sides of an aid relation: the provider (援助方) and the recipient (受援方), each a chain of units.

Mentions inside the program's receiving provinces speak for the recipient, the others for the provider (twice
as loudly when a cue like 援疆指挥部 or 选派 follows them). Each side is then read top-down, province first, a
level kept only when one unit clearly leads it (LEAD_RATIO, LEAD_SHARE, CHILD_SHARE), so that a place named in
passing does not stand for the side. The pairing map settles close calls and keeps providers a paired program
does not have out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from etl.entities.mentions import Mention, resolve
from etl.entities.programs import TITLE_WEIGHT
from etl.regions import Gazetteer, Region, gazetteer, pairings, recipient_provinces

LEAD_RATIO = 1.5  # a unit is chosen at its level only when it outweighs the runner-up by this factor,
LEAD_SHARE = 0.5  # holds this share of its level's weight,
CHILD_SHARE = 0.3  # and this share of its parent's
# Words after a provider's name that mark it as the helping side: 东营援疆指挥部, 东营市援疆干部, 山东省选派.
PROVIDER_CUE = re.compile(
    r"(?:省|市)?(?:第[一二三四五六七八九十\d]+批)?(?:援疆|援藏|援青|援建|前方指挥部|指挥部|"
    r"选派|派出|对口支援|帮扶|援助|挂职|工作队|医疗队)"
)
# Receiving provinces when the program does not say: the three regions of 对口支援 proper.
DEFAULT_RECIPIENTS = ("新疆维吾尔自治区", "西藏自治区", "青海省")
# Programs whose helper is a central body, not a province: every place named is on the receiving side.
CENTRAL_PROGRAMS = ("定点帮扶",)


@dataclass
class Place:
    province: str | None  # province-level unit: 山东省, 新疆维吾尔自治区, 北京市 …
    prefecture: str | None  # prefecture-level unit: 东营市, 喀什地区, 克孜勒苏柯尔克孜自治州 …
    county: str | None  # county-level unit: 疏勒县, 英吉沙县 …
    inferred: bool  # filled from the pairing map, not stated in the text


Weighted = list[tuple[Region, float]]  # units with the weight of the mentions that name them


def recipient_scope(program: str | None) -> frozenset[str]:
    """Codes of the provinces whose places speak for the recipient under `program`."""
    g = gazetteer()
    if program in CENTRAL_PROGRAMS:
        return frozenset(r.code for r in g.by_code.values() if r.level == "province")
    provinces = recipient_provinces()
    if program in provinces:
        return frozenset(r.code for r in provinces[program])
    return frozenset(g.by_full[name][0].code for name in DEFAULT_RECIPIENTS)


def split_sides(
    mentions: list[Mention], text_of: dict[bool, str], program: str | None, g: Gazetteer
) -> tuple[Weighted, Weighted]:
    """Weighted units for the provider side and the recipient side."""
    context = {r.code for m in mentions for r in m.regions if len(m.regions) == 1}
    receiving = recipient_scope(program)
    provider: Weighted = []
    recipient: Weighted = []
    for mention in mentions:
        region = resolve(mention, context, g)
        weight = float(TITLE_WEIGHT if mention.in_title else 1)
        province = g.parent_chain(region)[0]
        if province.code in receiving:
            recipient.append((region, weight))
        elif PROVIDER_CUE.match(text_of[mention.in_title], mention.end):
            provider.append((region, 2 * weight))
        else:
            provider.append((region, weight))
    return provider, recipient


@cache
def provider_provinces(program: str) -> frozenset[str]:
    return frozenset(p.provider.code for p in pairings() if p.program == program)


def keep_known_providers(units: Weighted, program: str | None, g: Gazetteer) -> Weighted:
    """Within a paired program, only provinces of its pairing map (and their cities) speak for the provider."""
    known = provider_provinces(program) if program else frozenset()
    if not known:
        return units
    return [(r, w) for r, w in units if g.parent_chain(r)[0].code in known]


def weigh(units: Weighted, g: Gazetteer) -> dict[str, float]:
    """Unit code -> weight of the mentions that name it or a unit inside it."""
    scores: dict[str, float] = {}
    for region, weight in units:
        for unit in g.parent_chain(region):
            scores[unit.code] = scores.get(unit.code, 0.0) + weight
    return scores


def leader(candidates: list[Region], scores: dict[str, float], parent_score: float | None) -> Region | None:
    """The unit that clearly leads its level: well ahead of the runner-up, holding at least half of the level's
    weight, and (below the province) a fair share of its parent's weight, so that a place named in passing
    (一家来自南京的医院) or one county among several (分赴江孜、亚东、萨迦…) does not stand for the side."""
    ranked = sorted(candidates, key=lambda r: scores[r.code], reverse=True)
    if not ranked or scores[ranked[0].code] <= 0:
        return None
    top = scores[ranked[0].code]
    if len(ranked) > 1 and top < LEAD_RATIO * scores[ranked[1].code]:
        return None
    if top < LEAD_SHARE * sum(scores[r.code] for r in ranked):
        return None
    if parent_score is not None and top < CHILD_SHARE * parent_score:
        return None
    return ranked[0]


def read_side(scores: dict[str, float], g: Gazetteer) -> list[Region]:
    """The chain of units the side's mentions agree on, province first."""
    chain: list[Region] = []
    candidates = [g.by_code[c] for c in scores if g.by_code[c].level == "province"]
    while True:
        best = leader(candidates, scores, scores[chain[-1].code] if chain else None)
        if best is None:
            return chain
        chain.append(best)
        candidates = [g.by_code[c] for c in scores if g.by_code[c].parent == best.code]


def split_by_provider(units: Weighted, g: Gazetteer) -> tuple[Weighted, Weighted]:
    """For 对口支援 outside the mapped programs (上海→万州 for the Three Gorges): the leading province is the
    provider and places outside it are the recipient side."""
    chain = read_side(weigh(units, g), g)
    if not chain:
        return units, []
    inside = [(r, w) for r, w in units if g.contains(chain[0], r)]
    return inside, [(r, w) for r, w in units if not g.contains(chain[0], r)]


def favour_partners(units: Weighted, recipient: list[Region], program: str | None, g: Gazetteer) -> Weighted:
    """Provider units whose province is paired with the recipient count double: the map settles close calls."""
    if not recipient:
        return units
    partners = {
        p.provider.code
        for p in pairings()
        if (program is None or p.program == program)
        and any(g.contains(t, recipient[-1]) or g.contains(recipient[-1], t) for t in p.recipients)
    }
    return [(r, 2 * w if g.parent_chain(r)[0].code in partners else w) for r, w in units]


def place_of(chain: list[Region], inferred: bool) -> Place | None:
    if not chain:
        return None
    names = {r.level: r.name for r in chain}
    return Place(names.get("province"), names.get("prefecture"), names.get("county"), inferred)
