"""Article-level aid entities: program, provider, recipient, batch, period and topics.

Works on normalised Simplified text. Places come from the gazetteer (etl.regions): every full or short name of
a province, prefecture or county found in the title and body is a mention; mentions inside the program's
receiving provinces speak for the recipient (受援方), the others for the provider (援助方). Each side is then
read top-down (province, then prefecture, then county), a level kept only when one unit clearly leads it. A
side the text does not name is filled from the pairing map and marked inferred.

The steps, one module each, in the order :func:`extract_entities` runs them:

- :mod:`~etl.entities.programs` reads the program from its words;
- :mod:`~etl.entities.mentions` finds the places named and the unit each names;
- :mod:`~etl.entities.sides` splits them into provider and recipient and reads each side's chain of units,
  with :mod:`~etl.entities.compounds` adding the sides that pairing compounds (鲁疆同心) name;
- :mod:`~etl.entities.inference` fills a side the text leaves out from the pairing map;
- :mod:`~etl.entities.timing` reads the batch and the period, :mod:`~etl.entities.topics` the topics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from etl.entities.compounds import compound_units
from etl.entities.inference import infer_provider, infer_recipient, narrow
from etl.entities.mentions import find_mentions
from etl.entities.programs import GENERIC_PROGRAM, find_program, program_scores
from etl.entities.sides import (
    Place,
    favour_partners,
    keep_known_providers,
    place_of,
    read_side,
    recipient_scope,
    split_by_provider,
    split_sides,
    weigh,
)
from etl.entities.timing import find_batch, find_period
from etl.entities.topics import find_topics
from etl.regions import gazetteer


@dataclass
class Entities:
    program: str | None  # 援疆 援藏 援青 东西部协作 对口支援 定点帮扶
    provider: Place | None
    recipient: Place | None
    batch: int | None  # 第十批 -> 10
    period_start: str | None  # "YYYY-MM" or "YYYY"
    period_end: str | None
    topics: list[str] = field(default_factory=list)  # of TOPICS, in that order


def extract_entities(title: str, body: str) -> Entities:
    g = gazetteer()
    mentions = find_mentions(title, in_title=True) + find_mentions(body)
    initial = program_scores(title, body)
    program = initial.most_common(1)[0][0] if initial else None
    provider_units, recipient_units = split_sides(mentions, {True: title, False: body}, program, g)
    compound_provider, compound_recipient = compound_units(title, body, g)
    scope = recipient_scope(program)
    recipient_units += [(r, w) for r, w in compound_recipient if g.parent_chain(r)[0].code in scope]
    provider_units += compound_provider
    provider_units = keep_known_providers(provider_units, program, g)

    recipient = read_side(weigh(recipient_units, g), g)
    if program is None:
        program = find_program(title, body, recipient[0].name if recipient else None)
    if program == GENERIC_PROGRAM and not recipient:
        provider_units, recipient_units = split_by_provider(provider_units, g)
        recipient = read_side(weigh(recipient_units, g), g)
    provider = read_side(weigh(favour_partners(provider_units, recipient, program, g), g), g)

    provider_inferred = recipient_inferred = False
    if recipient and not provider:
        provider = infer_provider(recipient, program, g)
        provider_inferred = bool(provider)
    elif provider and not recipient:
        recipient = infer_recipient(provider, program, g)
        recipient_inferred = bool(recipient)
    elif provider and len(recipient) == 1:
        narrowed = narrow(recipient, provider, program, g)
        recipient_inferred = narrowed != recipient
        recipient = narrowed

    start, end = find_period(title, body)
    return Entities(
        program=program,
        provider=place_of(provider, provider_inferred),
        recipient=place_of(recipient, recipient_inferred),
        batch=find_batch(title, body),
        period_start=start,
        period_end=end,
        topics=find_topics(body, title),
    )
