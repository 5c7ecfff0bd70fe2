"""Labelled lines: ``来源：新疆日报  作者：张三  责任编辑：李四  发布时间：2023-06-12`` read into fields.

A line is matched on its comparison key (:func:`make_key`: pinyin annotations cut, Traditional made
Simplified, full-width digits halved), so ``責(zé)任編輯`` is recognised as ``责任编辑``, while every value is
cut from the line as it stands on the page. Both the key and the reading of a line are cached: a site repeats
its furniture on every page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from etl.html.dates import DATE, DATE_ONLY, Yearless, find_date, find_yearless
from etl.html.vocabulary import (
    EDGE,
    FIELD_OF,
    FULL_WIDTH,
    LABEL,
    LABEL_PREFIX_END,
    LEAD_PREFIX,
    LOOSE_LABELS,
    NAME_AFTER_ROLE,
    NAME_NOISE,
    NOBODY,
    OUTLET_SUFFIX,
    ROLE_PREFIX,
    SLASH_LABELS,
    STAFF_CODE,
    VALUE_TAIL,
    WIDTH,
    WS,
)
from etl.text.chars import HAN, HAN_CLASS, has_han
from etl.text.pinyin import ends_with_annotation, find_annotations
from etl.text.script import opencc_converter


def squash(text: str) -> str:
    """The text without any whitespace: how headlines are compared across <title>, meta tags and blocks."""
    return WS.sub("", text)


class Cut(NamedTuple):
    at: int  # offset in the key where the cut was
    removed: int  # characters removed from the original up to there


@dataclass(frozen=True, slots=True)
class Key:
    """A block's text prepared for label matching, with the way back to the original's offsets."""

    text: str
    source: str
    cuts: list[Cut]

    def _origin(self, index: int) -> int:
        removed = 0
        for at, total in self.cuts:
            if at > index:
                break
            removed = total
        return index + removed

    def original(self, start: int, end: int) -> str:
        """The original text behind key[start:end] (pinyin annotations inside it included)."""
        if start >= end:
            return ""
        return self.source[self._origin(start) : self._origin(end - 1) + 1]


@lru_cache(maxsize=8192)
def make_key(text: str) -> Key:
    """責(zé)任編輯 -> 责任编辑: pinyin annotations cut, Traditional made Simplified, full-width digits halved.

    Cached (a site repeats its furniture on every page); the result must be treated as read-only.
    """
    cuts: list[Cut] = []
    kept: list[str] = []
    pos = 0
    removed = 0
    for match in find_annotations(text):
        kept.append(text[pos : match.start()])
        at = match.start() - removed  # where the key continues after the cut
        removed += match.end() - match.start()
        cuts.append(Cut(at, removed))
        pos = match.end()
    stripped = "".join(kept) + text[pos:] if kept else text
    converted = opencc_converter("t2s").convert(stripped) if has_han(stripped) else stripped
    if len(converted) != len(stripped):
        converted = "".join(opencc_converter("t2s").convert(ch) or ch for ch in stripped)
        if len(converted) != len(stripped):
            converted = stripped
    if FULL_WIDTH.search(converted):
        converted = converted.translate(WIDTH)
    return Key(converted, text, cuts)


def trim_brackets(text: str) -> str:
    """Strip brackets and bars from both ends, but not the ")" closing a pinyin annotation (買買提(tí))."""
    text = text.lstrip(EDGE)
    while text and text[-1] in EDGE and not (text[-1] == ")" and ends_with_annotation(text)):
        text = text[:-1]
    return text


_VALUE_END = re.compile(r"\s{2,}|[|丨｜]|\d{4}\s*[-/.年]\s*\d{1,2}|[\]】](?=\s)")
_NAME_SPLIT = re.compile(r"[\s、，,;；&＆]+")


def _without_staff_codes(names: list[str]) -> list[str]:
    """杨倩_NF4425 -> 杨倩, [韩保林, PK155] -> [韩保林]; a code that is the only name stays (HN666)."""
    cut = [name.split("_")[0] if "_" in name and STAFF_CODE.match(name.split("_")[-1]) else name for name in names]
    kept = [name for name in cut if not STAFF_CODE.match(name)]
    return kept or cut


def cut_value(value: str, kind: str) -> str:
    """The value of one field, up to the next gap, bar or date; names split into a space-separated list."""
    value = _VALUE_END.split(value)[0].strip()
    value = trim_brackets(VALUE_TAIL.sub("", value))
    if kind in ("author", "editor", "photo"):
        names = []
        for token in _NAME_SPLIT.split(NAME_NOISE.sub(" ", value)):
            token = trim_brackets(ROLE_PREFIX.sub("", token))
            if token and len(token) <= 20 and token not in NOBODY:
                names.append(token)
        return " ".join(_without_staff_codes(names) if kind == "editor" else names)
    if len(value) > 40 or value in NOBODY:
        return ""
    return value


UNLABELLED_RANK = 3


def _date_rank(label: str) -> int:
    """Which labelled date is the publication date: 发布/发表 before 时间/日期 before 更新/成文."""
    if any(word in label for word in ("发布", "发表", "发稿", "刊发")):
        return 0
    if "更新" in label or "成文" in label:
        return 2
    return 1


class RankedDate(NamedTuple):
    rank: int  # 0 发布时间 … 2 更新时间/成文日期, 3 a date without a label
    stamp: datetime


@dataclass(frozen=True)
class MetaLine:
    fields: dict[str, str]
    dates: list[datetime]
    is_meta: bool  # the whole line is metadata (labels and their values), not prose
    date_rank: int = UNLABELLED_RANK
    labels: dict[str, str] = field(default_factory=dict)  # field -> the label that gave it (责任编辑, 编辑 …)
    yearless: list[Yearless] = field(default_factory=list)  # labelled dates printed without their year
    named_nobody: bool = False  # a label whose value names nobody: 来源：网络, 作者：未知


# in a line of bar-separated fields a label may stand right before its value: 发表于2014-08-24 | 来源CSDN | 作者魏星
_BAR = re.compile(r"[|丨｜]")
_BAR_SEGMENT_START = re.compile(r"(?:^|[|丨｜])\s*$")


def _label_counts(match: re.Match[str], ktext: str, after_label: bool) -> bool:
    """A label inside a word (时间 in 同时间) or without its separator is no label.

    After another label of the same line, a label with a colon counts even when glued to the previous value
    (``来源：证券时报网作者：李在山``): such lines are written without spaces.
    """
    label = match.group("label")
    sep = match.group("sep")
    start = match.start("label")
    before = ktext[start - 1] if start else ""
    colon = ":" in sep or "：" in sep or "︰" in sep
    if before and HAN.match(before) and not LABEL_PREFIX_END.search(ktext[:start]):
        return colon and after_label and len(label) >= 2
    if colon:
        return True
    if "/" in sep or "／" in sep:
        return label in SLASH_LABELS
    if not sep:
        if label in ("记者", "通讯员"):
            return NAME_AFTER_ROLE.match(ktext, match.end()) is not None  # 记者张三, not 记者注意到
        at_segment_start = _BAR_SEGMENT_START.search(ktext[:start]) is not None
        return len(label) >= 2 and at_segment_start and _BAR.search(ktext) is not None
    return label in LOOSE_LABELS


def _only_lead_in(text: str) -> bool:
    """Nothing but brackets, a byline prefix (本报, 新华社 …) or a date stands before the first label."""
    return not LEAD_PREFIX.sub("", DATE.sub("", text)).strip()


@lru_cache(maxsize=8192)
def read_meta_line(text: str) -> MetaLine:
    """Read labelled fields (来源, 作者, 责任编辑, 发布时间 …) out of one short line as it stands on the page.

    Cached, like make_key: the result must be treated as read-only.
    """
    key = make_key(text)
    ktext = key.text
    found: list[re.Match[str]] = []
    for match in LABEL.finditer(ktext):
        if _label_counts(match, ktext, bool(found)):
            found.append(match)
    fields: dict[str, str] = {}
    labels: dict[str, str] = {}
    ranked: list[RankedDate] = []
    yearless: list[Yearless] = []
    named_nobody = False
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(ktext)
        value_key = ktext[match.end() : end]
        value = trim_brackets(key.original(match.end(), end))
        label = match.group("label")
        kind = FIELD_OF[label]
        following = found[index + 1] if index + 1 < len(found) else None
        if kind == "author" and following is not None and FIELD_OF[following.group("label")] == "author" and (
            value_key and not value_key[-1].isspace() and following.start() < following.start("label")
        ):
            continue  # "采写：南都见习记者 林子沛": 南都 is the outlet of the role that follows, not a name
        if kind == "date":
            stamp = find_date(value_key)
            if stamp:
                ranked.append(RankedDate(_date_rank(label), stamp))
                labels.setdefault("date", label)
            elif (partial := find_yearless(value_key)) is not None:
                yearless.append(partial)
                labels.setdefault("date", label)
            continue
        cut = cut_value(value, kind)
        named_nobody = named_nobody or (not cut and value.strip() in NOBODY)
        value = cut
        if value and kind not in fields:
            fields[kind] = value
            labels[kind] = label
        elif value and kind == "author":
            fields[kind] = f"{fields[kind]} {value}"
    ranked.sort(key=lambda pair: pair.rank)
    dates = [pair.stamp for pair in ranked]
    rank = ranked[0].rank if ranked else UNLABELLED_RANK
    stamp = find_date(ktext)
    if stamp and not dates:
        dates.append(stamp)
    stripped = trim_brackets(ktext)
    prose = len(stripped) > 40 and any(mark in ktext for mark in "。！？")
    is_meta = bool(found) and not prose and len(stripped) <= 160
    is_meta = is_meta and (_only_lead_in(ktext[: found[0].start()]) or len(found) >= 2)
    if not found and stamp and len(stripped) <= 40:
        is_meta = DATE_ONLY.fullmatch(WS.sub(" ", stripped)) is not None
    return MetaLine(fields, dates, is_meta, rank, labels, yearless, named_nobody)


# a line that is only a byline, unlabelled: "澎湃新闻记者 段彦超 廖艳", "石佳/中国青年报"
_HAN_NAME = rf"[{HAN_CLASS}·]{{2,5}}"
_BYLINE = re.compile(rf"^.{{0,12}}?(?:记者|通讯员)\s*(?P<names>{_HAN_NAME}(?:[\s、，,]+{_HAN_NAME})*)$")
_NAME_SLASH_OUTLET = re.compile(rf"^(?P<name>[{HAN_CLASS}]{{2,4}})\s*/\s*(?P<outlet>[^\s/]{{2,15}})$")
_BYLINE_MAX = 40


@lru_cache(maxsize=4096)
def read_byline(text: str) -> MetaLine | None:
    """The authors (and outlet) of an unlabelled byline line, or None when the line is not one."""
    if len(text) > _BYLINE_MAX or any(mark in text for mark in "，。！？：:"):
        return None
    key = make_key(text).text
    match = _BYLINE.match(key)
    if match:
        names = cut_value(text[len(text) - len(match["names"]) :], "author")
        return MetaLine({"author": names}, [], True, labels={"author": "记者"}) if names else None
    match = _NAME_SLASH_OUTLET.match(key)
    if match and OUTLET_SUFFIX.search(match["outlet"]):
        return MetaLine({"author": match["name"], "source": text[len(text) - len(match["outlet"]) :]}, [], True)
    return None
