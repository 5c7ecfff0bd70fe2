"""The units and measure words (量词) the metric scanner reads, the qualifiers around a number, and the patterns of
numbers that are not metrics (dates, codes, phone numbers, time frames).

Data only, plus the one function that turns the unit table into a regular-expression alternation; the scanner
(``scanner.py``) holds the logic. Kept apart from the category words (``keywords.py``) and the context cues
(``cues.py``) because a unit is added for a different reason than a category word: to add a unit, add its written
form to ``UNITS`` (and a guard to ``NOT_AFTER`` when it starts common words); ``docs/metrics.md`` lists the units.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

# ---------------------------------------------------------------- units and measure words (量词)

TIME_UNITS = {"year", "month", "day", "hour", "minute"}
# shares are never added up: a total of percentages or of percentage points means nothing
SHARE_UNITS = {"percent", "percentage_point"}


class Unit(NamedTuple):
    """A written unit's meaning: the base unit and the exact factor that turns the written number into it."""

    name: str
    factor: Decimal


# written form -> (unit, factor to the base unit); factors are written as text or integers so they stay exact
_UNIT_TABLE: dict[str, tuple[str, int | str]] = {
    "元": ("CNY", 1),
    "人民币": ("CNY", 1),
    "元人民币": ("CNY", 1),
    "块钱": ("CNY", 1),
    "人次": ("person_time", 1),
    "名": ("person", 1),
    "人": ("person", 1),
    "位": ("person", 1),
    "户": ("household", 1),
    "平方公里": ("m2", 1_000_000),
    "平方千米": ("m2", 1_000_000),
    "平方米": ("m2", 1),
    "平米": ("m2", 1),
    "㎡": ("m2", 1),
    "亩": ("mu", 1),
    "公顷": ("m2", 10_000),
    "公里": ("km", 1),
    "千米": ("km", 1),
    "km": ("km", 1),
    "公斤": ("kg", 1),
    "千克": ("kg", 1),
    "kg": ("kg", 1),
    "斤": ("kg", "0.5"),
    "吨": ("kg", 1000),
    "%": ("percent", 1),
    "％": ("percent", 1),
    "成": ("percent", 10),  # 三成 = 30%
    "个百分点": ("percentage_point", 1),  # a difference of two percentages, not a share
    "年": ("year", 1),
    "个月": ("month", 1),
    "个多月": ("month", 1),
    "天": ("day", 1),
    "个工作日": ("day", 1),
    "小时": ("hour", 1),
    "个小时": ("hour", 1),
    "个多小时": ("hour", 1),
    "分钟": ("minute", 1),
    # currencies other than the yuan: read so that they are not mistaken for yuan, then dropped
    "美元": ("foreign", 1),
    "欧元": ("foreign", 1),
    "港元": ("foreign", 1),
    "港币": ("foreign", 1),
    "日元": ("foreign", 1),
    "英镑": ("foreign", 1),
    "卢布": ("foreign", 1),
}
UNITS: dict[str, Unit] = {word: Unit(name, Decimal(factor)) for word, (name, factor) in _UNIT_TABLE.items()}

# measure words for countable things (量词) -> unit "count"
COUNT_WORDS = (
    "个 项 大项 小项 家 所 座 件 次 场 条 例 支 块 台 套 栋 幢 间 批 批次 头 只 辆 张 本 份 篇 门 种 株 棵 期 处 "
    "类 部 架 艘 口 眼 组 册 幅 首 节 堂 轮 趟 笔 宗 匹 箱 袋 盒 瓶 枚 颗 粒 场次 家次 台套 对 羽 起 单"
).split()
UNITS.update({word: Unit("count", Decimal(1)) for word in COUNT_WORDS})

# a measure word is not one when these follow it (位于 is a verb, 户外 a word, 本地 a word …)
NOT_AFTER = {
    "人": "民",
    "位": "于置列次居数",
    "名": "单义称次额列",
    "户": "外籍口型",
    "家": "庭乡人长属",
    "所": "有以得在属",
    "场": "所地景馆",
    "期": "间限末初望待",
    "处": "理置于长室级",
    "次": "日年月序数要",
    "条": "件例款",
    "间": "隔断",
    "只": "有是要能",
    "头": "条号部",
    "口": "罩号岸径",
    "组": "织建成合团长",
    "节": "日点约能",
    "天": "然山津地空气下",
    "年": "代级度轻龄华会货",
    "台": "湾账阶风",
    "座": "谈椅位",
    "例": "如外子",
    "支": "持付出援部教撑柱队",
    "块": "钱",
    "套": "餐",
    "批": "次准复示发",
    "种": "植养类子",
    "篇": "章幅",
    "份": "额子",
    "个": "人体性",
    "类": "型别似",
    "架": "构子设",
    "轮": "流换",
    "笔": "记者",
    "宗": "教旨",
    "眼": "镜光睛",
    "首": "府都先次届批个位创页",
    "本": "地土科届次年月市县部身期",
    "部": "门分署队",
    "门": "诊户口",
    "项": "目",
    "起": "来步点草到始源因飞码诉身色床",
    "成": "为立功本果员长效绩交熟型都市就了",
    "对": "口接象于比外照待付标话应症",
    "单": "位独元一项品价车列纯据人身亲打个次调薄",
}
NOT_AFTER_WORDS = {"块": "多钱"}  # 一块多钱 is money, not a count of blocks


def unit_pattern() -> str:
    parts = []
    for word in sorted(UNITS, key=len, reverse=True):
        guards = [f"[{NOT_AFTER[word]}]"] if word in NOT_AFTER else []
        guards += [NOT_AFTER_WORDS[word]] if word in NOT_AFTER_WORDS else []
        parts.append(re.escape(word) + (f"(?!{'|'.join(guards)})" if guards else ""))
    return "|".join(parts)


# ---------------------------------------------------------------- qualifiers and numbers that are no figure

QUALIFIERS = {
    "约": "about",
    "大约": "about",
    "近": "about",
    "将近": "about",
    "接近": "about",
    "左右": "about",
    "上下": "about",
    "余": "over",
    "多": "over",
    "几": "over",
    "超": "over",
    "超过": "over",
    "逾": "over",
    "过": "over",
    "上": "over",
    "以上": "over",
    "之多": "exact",
    "多达": "exact",
    "数": "over",
    "有余": "over",
    "不少于": "over",
    "不低于": "over",
    "至少": "over",
    "来": "about",
}
# a prefix is not a qualifier when it ends a word: 通过 经过 最近 签约 高超 线上
NOT_PREFIX_AFTER = {
    "过": "通经不超度越错路难",
    "近": "最附靠亲临邻贴",
    "约": "签节制邀预契相公条特履合",
    "超": "高赶",
}
VAGUE_PREFIXES = {"上", "数", "几"}  # only before a bare magnitude: 上万 数十 几百
IDIOM_HEADS = {"成千", "千千", "万万", "亿万"}  # 成千上万, 千千万万

# dates, times, telephone numbers and codes: matched by the scanner so that no figure is read inside them
JUNK = (
    r"\d++(?:[-/.:：∶]\d++){2,}"  # dates and times: 2023-06-12, 2023.6.12, 10:30:00
    r"|\d++[:：∶]\d++"  # times and ratios: 10:30, 1:1
    r"|\d{3,4}-\d{7,8}"  # telephone numbers: 0991-1234567
    r"|(?<![A-Za-z])[A-Za-z]++[-‐]?\d[A-Za-z\d.]*+"  # codes: G315, CCTV-7, COVID-19
)

# a length named as a plan or a campaign, not measured: 三年行动计划, 五年规划, 三年攻坚
NAMED_PERIOD_AFTER = re.compile(r"行动|计划|规划|攻坚|工程|目标|任务|方案|战略|周期|之约|一届|一轮")
# "in the past three years", "within a year", "three years ago": the report's frame, not a quantity
TIME_FRAME_AFTER = re.compile(r"(?:来|以来|里|间|内|中|之内|之中|前|后|以前|以后|之前|之后|期间|一|累计)")
# the same before it, and frequencies and parts of the calendar: 在一年多的时间里, 过去四年, 每三天, 今年前5个月
TIME_FRAME_BEFORE = re.compile(r"(?:在|过去|这|近|最近|今后|未来|头|每|前)$")
UNIT_LETTERS = re.compile(r"(?:km|kg)(?![A-Za-z])")
PHONE_AFTER = re.compile(r"热线|电话|报警|急救|专线|号")
PHONE_BEFORE = re.compile(r"(?:电话|热线|拨打|号码|手机|致电)[：:]?$")
