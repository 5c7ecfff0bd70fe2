"""Filling a side the text does not name from the pairing map (etl/data), marked as inferred.

A recipient alone gives the one province paired with it (and the city, where the pairing that covers it names a
single one: 疏勒县 -> 山东省 东营市); a provider alone gives the units its pairings share; a recipient named only as
a province is narrowed by the provider's pairing inside it. Where the map offers more than one provider
province, none is inferred; an inferred recipient goes only as deep as all the provider's pairings agree.
"""

from __future__ import annotations

from etl.regions import Gazetteer, Region, pairings


def _common_chain(regions: list[Region], g: Gazetteer) -> list[Region]:
    chains = [g.parent_chain(r) for r in regions]
    common: list[Region] = []
    for units in zip(*chains, strict=False):
        if any(u != units[0] for u in units):
            break
        common.append(units[0])
    return common


def infer_provider(recipient: list[Region], program: str | None, g: Gazetteer) -> list[Region]:
    """The one province paired with the recipient (or with units inside it), and its city where the pairing
    that covers the recipient itself names a single city (疏勒县 -> 山东省 东营市)."""
    target = recipient[-1]
    matches = [
        p
        for p in pairings()
        if (program is None or p.program == program)
        and any(g.contains(t, target) or g.contains(target, t) for t in p.recipients)
    ]
    provinces = {p.provider for p in matches}
    if len(provinces) != 1:
        return []
    chain = [provinces.pop()]
    cities = {p.provider_city for p in matches if p.provider_city and any(g.contains(t, target) for t in p.recipients)}
    if len(cities) == 1:
        chain.append(cities.pop())
    return chain


def infer_recipient(provider: list[Region], program: str | None, g: Gazetteer) -> list[Region]:
    source = provider[-1]
    chosen = [
        p
        for p in pairings()
        if (program is None or p.program == program)
        and (p.provider_city == source or (p.provider == source and p.provider_city is None))
    ]
    if not chosen and source.level != "province":
        chosen = [
            p
            for p in pairings()
            if (program is None or p.program == program) and p.provider == provider[0] and p.provider_city is None
        ]
    targets = [t for p in chosen for t in p.recipients]
    return _common_chain(targets, g) if targets else []


def narrow(recipient: list[Region], provider: list[Region], program: str | None, g: Gazetteer) -> list[Region]:
    """A recipient named only as a province, narrowed by the provider's pairing inside it."""
    inferred = infer_recipient(provider, program, g)
    if len(inferred) > len(recipient) and inferred[: len(recipient)] == recipient:
        return inferred
    return recipient
