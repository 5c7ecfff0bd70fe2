"""What a figure measures, read from the words around it: its category and, for money, its kind.

The scanner hands over a ``Context`` (the words before and after the mention, cut at clause and list
breaks); ``categorise`` decides the category with the closest words first (the decision tables are in
``docs/metrics.md``), and ``subjects.find_subject`` names the noun phrase. Every look is bounded by
``WINDOW`` characters, so the work per figure is constant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from etl.metrics.cues import (
    AID_SENT,
    AT_WORK,
    BUILD_VERBS,
    BUSINESS_INCOME,
    CLASSIFIER_KINDS,
    CONSTRUCTION,
    COUNT_DEFAULTS,
    CRIME,
    ELIDED_CHANGE,
    ENROL_WORDS,
    EVENTS,
    GOODS,
    HOUSEHOLD_KINDS,
    INCOME_AFTER_UNIT,
    LOCAL_PEOPLE,
    MONEY_KIND_CATEGORY,
    MONEY_KIND_OF_WORD,
    MONEY_SCAN,
    PEOPLE_ACTIONS,
    PEOPLE_CATEGORIES,
    PER_UNIT,
    PRICE_AFTER,
    PUPILS,
    RATE_OF,
    REACH_AFTER,
    REACH_BEFORE,
    THING_CATEGORIES,
)
from etl.metrics.keywords import KEYWORD_CATEGORY, KEYWORD_SCAN
from etl.metrics.units import TIME_UNITS

CLAUSE_BREAKS = re.compile(r"[，,。；;！!？?：:\n（）()]")
LIST_BREAKS = re.compile(r"[，,。；;！!？?：:\n（）()、]")
WINDOW = 24
PRICE_REACH = 12  # a per-unit word this close after a sum makes it a price: 15元甚至20元每小时


class Breaks:
    """Positions of break characters, read once; queried with ever-growing positions (amortised O(1))."""

    def __init__(self, body: str, pattern: re.Pattern[str]) -> None:
        self.positions = [found.start() for found in pattern.finditer(body)]
        self.index = 0

    def around(self, start: int, end: int) -> tuple[int, int]:
        """The last break before ``start`` (-1 if none) and the first at or after ``end`` (len if none)."""
        positions = self.positions
        while self.index < len(positions) and positions[self.index] < start:
            self.index += 1
        previous = positions[self.index - 1] if self.index else -1
        following = self.index
        while following < len(positions) and positions[following] < end:
            following += 1
        return previous, positions[following] if following < len(positions) else 1 << 62


def _keywords(text: str, categories: Sequence[str] | None = None, skip: Sequence[str] = ()) -> list[re.Match[str]]:
    return [
        found
        for found in KEYWORD_SCAN.finditer(text)
        if (category := KEYWORD_CATEGORY[found.group()])
        and (categories is None or category in categories)
        and found.group() not in skip
    ]


def _nearest_keyword(text: str, categories: Sequence[str] | None = None, skip: Sequence[str] = ()) -> str | None:
    """The category of the keyword ending closest to the end of ``text`` (but the words in ``skip``)."""
    found = _keywords(text, categories, skip)
    return KEYWORD_CATEGORY[found[-1].group()] if found else None


def _first_keyword(text: str, categories: Sequence[str] | None = None) -> re.Match[str] | None:
    found = _keywords(text, categories)
    return found[0] if found else None


def _first_category(text: str, categories: Sequence[str] | None = None) -> str | None:
    found = _first_keyword(text, categories)
    return KEYWORD_CATEGORY[found.group()] if found else None


def _action(text: str, skip: Sequence[str] = ()) -> str | None:
    """The category of the last verb about people in ``text`` (but the verbs in ``skip``): nearest to a figure
    that follows it, the predicate for the words after one (320余名学员通过…培训项目实现就业 is jobs)."""
    found = [match for match in _keywords(text, PEOPLE_CATEGORIES, skip) if match.group() in PEOPLE_ACTIONS]
    return KEYWORD_CATEGORY[found[-1].group()] if found else None


@dataclass
class Context:
    """The words around a mention: ``near`` back to the last break or 、, ``before`` back to the last clause
    break, ``wide`` back to the sentence start (at most 48 characters), ``after`` up to the next break or 、;
    ``previous`` is the category of the figure before it in the same sentence, ``listed`` says that figure
    ends right at the 、 before this one (出栏肉牛1800头、肉羊6500只)."""

    near: str
    before: str
    wide: str
    after: str
    rest: str = ""  # the words after it up to the next clause break (past any 、)
    previous: str | None = None
    listed: bool = False
    previous_kind: str | None = None  # the money kind of the figure before, when it was money
    near_cut: bool = False  # ``near`` was cut at WINDOW characters, not at a break


class Kind(NamedTuple):
    """What a figure measures: a category of docs/metrics.md and, for money, what kind of money it is."""

    category: str
    money_kind: str | None = None


def categorise(unit: str, classifier: str | None, context: Context) -> Kind:
    """The category (and money kind) from the unit and the words around the mention; closer words decide first."""
    if unit == "CNY":
        kind = money_kind(context)
        return Kind(MONEY_KIND_CATEGORY[kind], None if kind == "other" else kind)
    return Kind(_category(unit, classifier, context))


def _category(unit: str, classifier: str | None, context: Context) -> str:
    if unit in TIME_UNITS:
        return "duration"
    if unit in ("m2", "mu"):
        return "area"
    if unit in ("person", "person_time", "household"):
        return _people_category(unit, context)
    if unit == "count":
        return _count_category(classifier or "", context)
    if unit == "km":
        return "facilities" if CONSTRUCTION.search(context.before + context.after) else "other"
    if unit == "kg":
        # what a facility holds or handles is its capacity, not output: 冷库容量达3000吨
        return _nearest_keyword(context.near, ("output", "beneficiaries", "facilities", "other")) or "output"
    return _share_category(context)


def _share_category(context: Context) -> str:
    """A share or a rate says how much of something: its category is that thing's where the sentence ties it to
    one, else other; shares are never added up, whatever their category."""
    if ELIDED_CHANGE.search(context.near) and context.previous:
        return context.previous  # 销售额4.36亿元，同比增长35.8%: the change of the figure before
    rate = RATE_OF.search(context.near)
    if rate:
        return "jobs" if rate.group(1) == "就业" else "coverage"  # 就业率达58.3%, 自来水普及率87%
    return "other"


def _money_cue(text: str, nearest: bool) -> str | None:
    """The money kind named by the word closest to the figure in ``text`` (the last word before it, or the
    first after it)."""
    kinds = [kind for found in MONEY_SCAN.finditer(text) if (kind := MONEY_KIND_OF_WORD[found.group()])]
    return (kinds[-1] if nearest else kinds[0]) if kinds else None


PAID_PER_UNIT = ("aid_funding", "investment", "loan")  # money given or lent per unit is not what the unit costs


def money_kind(context: Context) -> str:
    """aid_funding, investment, income, price, sales_output, loan or other (docs/metrics.md, "Money")."""
    if PRICE_AFTER.search(context.after, 0, PRICE_REACH):
        return "price"  # 6元/斤, 30元一斤, 15元甚至20元每小时
    per_unit = max((found.end() for found in PER_UNIT.finditer(context.near)), default=-1)
    if (
        per_unit >= 0
        and not INCOME_AFTER_UNIT.search(context.near, per_unit)
        and _money_cue(context.near[per_unit:], True) not in PAID_PER_UNIT
    ):
        return "price"  # 每斤能卖到6元, 一台设备的成本是2000元; but 每个月能拿到4000元 is pay, 每个项目补助 aid
    found = _money_cue(context.near, True) or _money_cue(context.after, False) or _money_cue(context.before, True)
    if found == "income" and BUSINESS_INCOME.search(context.near):
        return "sales_output"
    if found:
        return found
    if context.near.startswith("其中") and context.previous_kind:
        return context.previous_kind  # 其中上海援青资金2,600万元: a part of the figure before
    if "资金" in context.before:
        return "aid_funding"  # 对口支援资金, 项目资金: money named as funds, with no word of another kind
    return _money_cue(context.wide, True) or "other"


def _people_category(unit: str, context: Context) -> str:
    """Staff are personnel only where the sentence sends them as aid (援疆教师, 选派医生); teachers who leave a
    school or a company's engineers are counted, not sent."""
    found = _people_kind(unit, context)
    if found == "personnel" and not AID_SENT.search(context.wide + context.near + context.after):
        return "other"
    return found


def _people_kind(unit: str, context: Context) -> str:
    """What was done for them decides first (培训农民 is training, 转移就业 jobs), then who they are."""
    if CRIME.search(context.before) or CRIME.search(context.rest):
        return "other"  # 抓获嫌疑人92名: counted by the police, not reached by aid
    if unit != "household" and (LOCAL_PEOPLE.match(context.after) or LOCAL_PEOPLE.search(context.near)):
        return "training"  # local staff counted in an aid report were trained or mentored: 培养本地医生
    skip = ENROL_WORDS if PUPILS.search(context.near) or PUPILS.match(context.after) else ()
    action = _action(context.near, skip) or _action(context.after, skip) or _action(context.before, skip)
    if action:
        return action
    if unit != "household" and AT_WORK.search(context.after):
        return "jobs"
    if context.near.startswith("其中") and context.previous in PEOPLE_CATEGORIES:
        return context.previous  # 其中脱贫人口1560人: a part of the figure before
    kinds = HOUSEHOLD_KINDS if unit == "household" else PEOPLE_CATEGORIES
    wide = _action(context.wide, skip) if unit != "household" else None
    # people reached by nothing the sentence names (exam takers, users, crowds) are counted, not helped
    return (
        _first_category(context.after[:12], kinds)
        or _nearest_keyword(context.near, PEOPLE_CATEGORIES, skip)
        or wide
        or ("beneficiaries" if unit == "household" else "other")
    )


def _count_category(classifier: str, context: Context) -> str:
    if CRIME.search(context.before) or CRIME.search(context.rest):
        return "other"  # 缴获设备17台, 捣毁窝点56个
    if classifier in EVENTS or classifier == "对":
        # events count training sessions or nothing in particular; pairs are mentoring pairs (师徒结对) or nothing
        trained = _nearest_keyword(context.before + context.after, ("training",)) or LOCAL_PEOPLE.search(context.near)
        return "training" if trained else "other"
    things = THING_CATEGORIES + ("output",) if classifier in GOODS else THING_CATEGORIES
    kinds = CLASSIFIER_KINDS.get(classifier, things)
    if "facilities" in kinds and (REACH_BEFORE.search(context.before) or REACH_AFTER.search(context.rest)):
        return "coverage"
    # before a number, 县 市 州 are parts of place names (在万州…8个); places counted follow it (15个乡镇)
    near_kinds = tuple(kind for kind in kinds if kind != "coverage")
    built = "facilities" if BUILD_VERBS.search(context.near) else None  # 配套建设智能分选线8条
    return (
        _first_category(context.after[:12], kinds)
        or _nearest_keyword(context.near, near_kinds)
        or built
        or (context.previous if context.listed else None)
        or COUNT_DEFAULTS.get(classifier)
        or "other"
    )
