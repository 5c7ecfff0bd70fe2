"""China's administrative divisions and the pairing-assistance map, as shipped data (etl/data/).

``regions.json`` (built by etl/data/build_regions.py) holds every province-, prefecture- and county-level unit
with its parent and short names; ``pairing.json`` (written by hand) holds which province or city helps which
region under 援疆, 援藏, 援青 and 东西部协作. Both are loaded once and validated: every name in the pairing map
must resolve to exactly one unit of the gazetteer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
LEVELS = ("province", "prefecture", "county")


@dataclass(frozen=True)
class Region:
    code: str  # adcode (12 digits); 兵团 and its 师 carry a made-up code under 6590
    name: str  # full name: 新疆维吾尔自治区, 喀什地区, 疏勒县
    level: str  # "province" | "prefecture" | "county"
    parent: str | None  # parent's code; None for a province
    short_names: tuple[str, ...]  # 新疆, 喀什, 疏勒, 克州 …


@dataclass(frozen=True)
class Pairing:
    program: str  # 援疆 援藏 援青 东西部协作
    provider: Region  # province-level unit
    provider_city: Region | None  # a city of it, where the pairing is made by that city (深圳市)
    recipients: tuple[Region, ...]
    note: str | None  # why the entry is uncertain, where it is


class Gazetteer:
    def __init__(self, regions: list[Region]) -> None:
        self.by_code = {r.code: r for r in regions}
        self.by_full: dict[str, list[Region]] = defaultdict(list)
        self.by_short: dict[str, list[Region]] = defaultdict(list)
        for region in regions:
            self.by_full[region.name].append(region)
            for short in region.short_names:
                self.by_short[short].append(region)

    def lookup(self, name: str) -> list[Region]:
        """Units called ``name``: full-name matches, else short-name matches, highest level first."""
        found = self.by_full.get(name) or self.by_short.get(name) or []
        return sorted(found, key=lambda r: (LEVELS.index(r.level), r.code))

    def parent_chain(self, region: Region) -> list[Region]:
        """The unit and its ancestors, province first: [新疆维吾尔自治区, 喀什地区, 疏勒县]."""
        chain = [region]
        while chain[0].parent is not None:
            chain.insert(0, self.by_code[chain[0].parent])
        return chain

    def contains(self, outer: Region, inner: Region) -> bool:
        return outer in self.parent_chain(inner)


def _read_json(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@cache
def gazetteer() -> Gazetteer:
    rows = _read_json("regions.json")["regions"]
    return Gazetteer([Region(code, name, level, parent, tuple(shorts)) for code, name, level, parent, shorts in rows])


def _resolve(name: str, within: list[Region]) -> Region:
    """The single unit called ``name`` inside one of ``within`` (anywhere when ``within`` is empty)."""
    g = gazetteer()
    found = [r for r in g.by_full.get(name, []) if not within or any(g.contains(w, r) for w in within)]
    if len(found) != 1:
        raise ValueError(f"pairing map: {name!r} matches {len(found)} units of the gazetteer")
    return found[0]


@cache
def recipient_provinces() -> dict[str, tuple[Region, ...]]:
    """Program -> the provinces that receive it (援疆 -> 新疆维吾尔自治区)."""
    raw = _read_json("pairing.json")["recipient_provinces"]
    return {program: tuple(_resolve(name, []) for name in names) for program, names in raw.items()}


@cache
def pairings() -> tuple[Pairing, ...]:
    entries = []
    for entry in _read_json("pairing.json")["pairings"]:
        program = entry["program"]
        provider = _resolve(entry["provider"], [])
        city = _resolve(entry["provider_city"], [provider]) if entry.get("provider_city") else None
        scope = list(recipient_provinces()[program])
        recipients = tuple(_resolve(name, scope) for name in entry["recipients"])
        entries.append(Pairing(program, provider, city, recipients, entry.get("note")))
    return tuple(entries)


def lookup(name: str) -> list[Region]:
    return gazetteer().lookup(name)


def parent_chain(region: Region) -> list[Region]:
    return gazetteer().parent_chain(region)


def pairings_for(provider_name: str, program: str | None = None) -> list[Pairing]:
    """Pairings made by a province or city (山东省, 山东, 深圳市): a province's include those of its cities."""
    wanted = set(lookup(provider_name))
    return [
        p
        for p in pairings()
        if (program is None or p.program == program) and (p.provider in wanted or p.provider_city in wanted)
    ]


def providers_for(recipient_name: str, program: str | None = None) -> list[Pairing]:
    """Pairings that help a unit, a unit inside it, or a unit holding it (疏勒县 -> 山东省 and 东营市)."""
    g = gazetteer()
    found = lookup(recipient_name)
    return [
        p
        for p in pairings()
        if (program is None or p.program == program)
        and any(g.contains(r, t) or g.contains(t, r) for r in found for t in p.recipients)
    ]
