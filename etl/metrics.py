"""Figures stated in an aid report (指标): money, people, jobs, projects, area … read from the normalised body.

One compiled regular expression scans the body once; every match gets a fixed amount of further work (a
bounded look at the words around it), so the time is linear in the body's length. The rules are in
``metrics.md``: what counts, the units and base units, qualifiers, categories, and what is not a metric.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from etl.text.numerals import is_bare_magnitude, is_magnitude_only, parse_magnitude, parse_number, parse_vague_range


@dataclass
class Metric:
    text: str
    start: int
    end: int
    sentence: str
    value: float
    value_max: float | None
    unit: str
    classifier: str | None
    qualifier: str  # "exact" | "over" | "about"
    category: str
    subject: str | None


# ---------------------------------------------------------------- units and measure words (量词)

TIME_UNITS = {"year", "month", "day", "hour", "minute"}

# written form -> (unit, factor to the base unit)
UNITS: dict[str, tuple[str, float]] = {
    "元": ("CNY", 1), "人民币": ("CNY", 1), "元人民币": ("CNY", 1),
    "人次": ("person_time", 1), "名": ("person", 1), "人": ("person", 1), "位": ("person", 1),
    "户": ("household", 1),
    "平方公里": ("m2", 1e6), "平方千米": ("m2", 1e6), "平方米": ("m2", 1), "平米": ("m2", 1), "㎡": ("m2", 1),
    "亩": ("mu", 1), "公顷": ("m2", 1e4),
    "公里": ("km", 1), "千米": ("km", 1), "km": ("km", 1),
    "公斤": ("kg", 1), "千克": ("kg", 1), "kg": ("kg", 1), "斤": ("kg", 0.5), "吨": ("kg", 1000),
    "%": ("percent", 1), "％": ("percent", 1), "个百分点": ("percent", 1), "成": ("percent", 10),  # 三成 = 30%
    "年": ("year", 1), "个月": ("month", 1), "个多月": ("month", 1), "天": ("day", 1), "个工作日": ("day", 1),
    "小时": ("hour", 1), "个小时": ("hour", 1), "个多小时": ("hour", 1), "分钟": ("minute", 1),
    # currencies other than the yuan: read so that they are not mistaken for yuan, then dropped
    "美元": ("foreign", 1), "欧元": ("foreign", 1), "港元": ("foreign", 1), "港币": ("foreign", 1),
    "日元": ("foreign", 1), "英镑": ("foreign", 1), "卢布": ("foreign", 1),
}

# measure words for countable things (量词) -> unit "count"
COUNT_WORDS = (
    "个 项 大项 小项 家 所 座 件 次 场 条 例 支 块 台 套 栋 幢 间 批 批次 头 只 辆 张 本 份 篇 门 种 株 棵 期 处 "
    "类 部 架 艘 口 眼 组 册 幅 首 节 堂 轮 趟 笔 宗 匹 箱 袋 盒 瓶 枚 颗 粒 场次 家次 台套 对 羽 起"
).split()
UNITS.update({word: ("count", 1) for word in COUNT_WORDS})

# a measure word is not one when these follow it (位于 is a verb, 户外 a word, 本地 a word …)
NOT_AFTER = {
    "人": "民", "位": "于置列次居数", "名": "单义称次额列", "户": "外籍口型", "家": "庭乡人长属", "所": "有以得在属",
    "场": "所地景馆", "期": "间限末初望待", "处": "理置于长室级", "次": "日年月序数要", "条": "件例款",
    "间": "隔断", "只": "有是要能", "头": "条号部", "口": "罩号岸径", "组": "织建成合团长", "节": "日点约能",
    "天": "然山津地空气下", "年": "代级度轻龄华会货", "台": "湾账阶风", "座": "谈椅位", "例": "如外子",
    "支": "持付出援部教撑柱队", "块": "钱", "套": "餐", "批": "次准复示发", "种": "植养类子", "篇": "章幅",
    "份": "额子", "个": "人体性", "类": "型别似", "架": "构子设", "轮": "流换", "笔": "记者", "宗": "教旨",
    "眼": "镜光睛", "首": "府都先次届批个位创页", "本": "地土科届次年月市县部身期", "部": "门分署队",
    "门": "诊户口", "项": "目", "起": "来步点草到始源因飞码诉身色床", "成": "为立功本果员长效绩交熟型都市就了",
    "对": "口接象于比外照待付标话应症",
}
NOT_AFTER_WORDS = {"块": "多钱"}  # 一块多钱 is money, not a count of blocks


def _unit_pattern() -> str:
    parts = []
    for word in sorted(UNITS, key=len, reverse=True):
        guards = [f"[{NOT_AFTER[word]}]"] if word in NOT_AFTER else []
        guards += [NOT_AFTER_WORDS[word]] if word in NOT_AFTER_WORDS else []
        parts.append(re.escape(word) + (f"(?!{'|'.join(guards)})" if guards else ""))
    return "|".join(parts)


# ---------------------------------------------------------------- the scanner

ARABIC = r"(?:\d{1,3}(?:[,，]\d{3})++(?!\d)(?:[.．]\d++)?|\d++(?:[.．]\d++)?)"  # ． if widths were not fixed
CHINESE = r"(?:[零〇一二两三四五六七八九十百千万亿]++(?:点[零〇一二三四五六七八九]++)?)"
NUMBER = rf"(?:{ARABIC}|{CHINESE})"
MAGNITUDE = r"[十百千万亿]++"
PREFIX = r"大约|将近|接近|超过|多达|不少于|不低于|至少|约|近|超|逾|过|上|数|几"  # 数 几: vague, see below
SEPARATOR = r"至|到|~|～|-|－|—|–"
SUFFIX = r"以上|左右|上下|之多|有余|多|余|半"
JUNK = (
    r"\d++(?:[-/.:：∶]\d++){2,}"  # dates and times: 2023-06-12, 2023.6.12, 10:30:00
    r"|\d++[:：∶]\d++"  # times and ratios: 10:30, 1:1
    r"|\d{3,4}-\d{7,8}"  # telephone numbers: 0991-1234567
    r"|(?<![A-Za-z])[A-Za-z]++[-‐]?\d[A-Za-z\d.]*+"  # codes: G315, CCTV-7, COVID-19
)

# every match starts with one of these: a cheap look-ahead that lets the engine skip ordinary text fast
FIRST_CHARS = "".join(sorted({word[0] for word in PREFIX.split("|")} | set("零〇一二两三四五六七八九十百千万亿")))
SCANNER = re.compile(
    rf"""
    (?=[\dA-Za-z{FIRST_CHARS}])
    (?:
    (?P<junk>{JUNK})
    |(?P<pre>{PREFIX})?
    (?:
        百分之(?P<pct>{NUMBER})
        |(?P<n1>{NUMBER})(?P<q1>余|多|几)?(?P<m1>{MAGNITUDE})?(?P<q1b>余|多)?
        (?:(?P<u1>{_unit_pattern()})?(?P<sep>{SEPARATOR})
           (?![百千万亿])(?P<n2>{NUMBER})(?P<q2>余|多|几)?(?P<m2>{MAGNITUDE})?(?P<q2b>余|多)?)?
    )
    (?P<unit>{_unit_pattern()})?
    (?P<post>{SUFFIX})?
    )
    """,
    re.VERBOSE,
)

QUALIFIERS = {
    "约": "about", "大约": "about", "近": "about", "将近": "about", "接近": "about", "左右": "about",
    "上下": "about", "余": "over", "多": "over", "几": "over", "超": "over", "超过": "over", "逾": "over",
    "过": "over", "上": "over", "以上": "over", "之多": "exact", "多达": "exact", "数": "over", "有余": "over",
    "不少于": "over", "不低于": "over", "至少": "over",
}
# a prefix is not a qualifier when it ends a word: 通过 经过 最近 签约 高超 线上
NOT_PREFIX_AFTER = {
    "过": "通经不超度越错路难", "近": "最附靠亲临邻贴", "约": "签节制邀预契相公条特履合", "超": "高赶",
}
BIG_NUMERAL = re.compile(r"[万亿]")
VAGUE_PREFIXES = {"上", "数", "几"}  # only before a bare magnitude: 上万 数十 几百
IDIOM_HEADS = {"成千", "千千", "万万", "亿万"}  # 成千上万, 千千万万

# ---------------------------------------------------------------- context words

CLAUSE_BREAKS = re.compile(r"[，,。；;！!？?：:\n（）()]")
LIST_BREAKS = re.compile(r"[，,。；;！!？?：:\n（）()、]")
SENTENCE_ENDS = re.compile(r"[。！？；!?;\n]")
WINDOW = 24
SENTENCE_REACH = 200

# Words that say what a figure measures. Each maps to one category; the scanner takes the longest word at
# a position, so 村民 (beneficiaries) wins over 村 (coverage) and 旅游收入 (output) over 收入 (income).
KEYWORDS: dict[str, tuple[str, ...]] = {
    "funding": ("援疆资金", "援藏资金", "援青资金", "帮扶资金", "援助资金", "援建资金", "协作资金", "财政资金",
                "投入", "拨付", "援助", "捐赠", "捐款", "捐资", "捐助", "捐物", "下达", "筹措", "补助", "补贴", "援建"),
    "investment": ("投资", "招商", "引资", "签约", "融资", "到位"),
    "output": ("产值", "销售额", "销售", "营业收入", "销售收入", "旅游收入", "经营收入", "营收", "交易额", "成交额",
               "产量", "出口", "生产总值", "采购", "销量", "营业额", "带货", "消费帮扶", "产出", "出栏", "收购",
               "订单", "加工能力", "年产", "年加工", "屠宰", "销往"),
    "income": ("分红", "增收", "收入", "工资", "薪酬", "收益", "租金", "劳务报酬", "年薪", "月薪", "奖励",
               "多收", "多卖", "挣", "赚"),
    "projects": ("项目", "工程", "大项", "小项", "课题", "示范点"),
    "personnel": ("干部", "人才", "教师", "老师", "医生", "医护", "专家", "医疗队", "技术人员", "工作队", "队员",
                  "志愿者", "骨干", "书记", "讲师", "工作人员", "援派", "选派", "派出", "派驻", "挂职", "选调", "支教",
                  "引才", "柔性引进", "邀请", "常驻", "驻村"),
    "jobs": ("就业", "岗位", "用工", "务工", "招聘", "招收", "吸纳", "上岗", "在岗", "输转", "输送", "转移就业",
             "劳动力", "工人", "员工", "女工", "从业", "选聘", "聘用"),
    "training": ("培训", "培养", "培育", "研修", "进修", "轮训", "带教", "学员", "授课", "跟岗", "师徒", "参训",
                 "公开课", "示范课", "课程", "讲课", "课堂", "学术讲座", "学习"),
    # visitors are counted, but they are not what aid work does; a store's room is neither output nor a building
    "other": ("游客", "旅客", "库容"),
    "enterprises": ("企业", "公司", "合作社", "商户", "门店", "经营主体", "市场主体", "协会", "龙头",
                    "厂家", "商家", "茶企", "民宿"),
    "beneficiaries": ("群众", "受益", "惠及", "农户", "牧户", "脱贫", "村民", "居民", "牧民", "农牧民", "患者", "学生",
                      "儿童", "青少年", "困难", "低收入", "贫困", "家庭", "救助", "资助", "慰问", "农民", "病人",
                      "孤儿", "老人", "义诊", "诊疗", "接诊", "会诊", "手术", "服务", "果农", "茶农"),
    "facilities": ("学校", "中学", "小学", "幼儿园", "院校", "高校", "学院", "职校", "医院", "卫生院", "卫生室",
                   "诊所", "大棚", "温室", "厂房", "车间", "住房", "房屋", "安居房", "楼", "馆", "活动室", "实训室",
                   "站", "中心", "设施", "基地", "园区", "产业园", "示范园", "道路", "桥", "水渠", "校舍", "教室",
                   "宿舍", "食堂", "广场", "设备", "床位", "门诊", "科室", "专科", "病房", "冷库", "变压器", "专柜",
                   "加工厂", "电站", "容量", "处理能力", "交易市场", "批发市场", "工位", "工厂", "学位", "生产线"),
    "area": ("面积", "土地", "耕地", "草场", "林地"),
    "coverage": ("乡镇", "乡", "镇", "村", "社区", "县", "地级市", "市", "州", "地区", "街道", "嘎查", "行政村",
                 "团场", "连队", "县市", "省份", "省区", "小区"),
}
# words that hold a keyword but say nothing about the category: 乡村 is not 村, 全县 is not a county count
NEUTRAL_WORDS = ("乡村", "全县", "全市", "全区", "全州", "全镇", "全村", "县城", "县域", "县级", "城市", "市场", "本地",
                 "当地", "两地", "地方")
KEYWORD_CATEGORY: dict[str, str | None] = {word: category for category, words in KEYWORDS.items() for word in words}
KEYWORD_CATEGORY.update(dict.fromkeys(NEUTRAL_WORDS))
KEYWORD_SCAN = re.compile("|".join(sorted(map(re.escape, KEYWORD_CATEGORY), key=len, reverse=True)))

MONEY_CATEGORIES = ("output", "income", "investment", "funding")
PEOPLE_CATEGORIES = ("training", "jobs", "personnel", "beneficiaries", "other")
# verbs (and job words) that say what was done for or by the people counted; the other words name who they are
PEOPLE_ACTIONS = frozenset((
    "培训", "培养", "培育", "研修", "进修", "轮训", "带教", "授课", "跟岗", "参训", "学习",
    "就业", "岗位", "用工", "务工", "招聘", "招收", "吸纳", "上岗", "在岗", "输转", "输送", "转移就业", "从业",
    "选聘", "聘用",
    "援派", "选派", "派出", "派驻", "挂职", "选调", "支教", "引才", "柔性引进", "邀请", "常驻", "驻村",
    "受益", "惠及", "救助", "资助", "慰问", "义诊", "诊疗", "接诊", "会诊",
))
# people at work are jobs (200余名搬迁群众正在加工服装); these verbs say nothing about counted things
AT_WORK = re.compile(r"加工|缝制|赶制|上班|流水线|生产线")
LOCAL_PEOPLE = re.compile(r"(?:本地|当地|本土)[^，,。；;、]{0,4}?(?:干部|人才|教师|老师|医生|医护|骨干|技术人员)")
HOUSEHOLD_KINDS = ("beneficiaries", "enterprises")  # 17户国有企业 counts firms
PERCENT_CATEGORIES = ("output", "income", "investment", "jobs")
COVERAGE_RATE = re.compile(r"普及率|覆盖率|覆盖面|通达率")  # a rate of places reached; 县 or 州 in a name is not
# a change with no subject of its own (…销售4200万元，同比增长17.9%) is the change of the figure before it
ELIDED_CHANGE = re.compile(r"^(?:其中)?(?:同比|环比|较上年|比上年|较去年|比去年)?(?:增长|下降|提高|减少|增加|上升|降低)"
                           r"(?:了|到|至)?$")
# what a measure word for things can count: not people, not money (17个对口援助省市 is no funding); goods may
# be output (出栏肉牛1800头)
THING_CATEGORIES = ("projects", "jobs", "training", "enterprises", "beneficiaries", "facilities", "area", "coverage")
GOODS = {"头", "只", "羽", "匹", "单", "箱", "袋", "盒", "瓶", "株", "棵", "幅", "件"}
# events count training sessions or nothing in particular
EVENTS = {"次", "场", "期", "轮", "趟", "场次", "批次", "节", "堂"}
BUILDINGS = ("facilities",)
CLASSIFIER_KINDS = {
    "家": ("enterprises", "facilities"), "家次": ("enterprises", "facilities"), "所": BUILDINGS, "座": BUILDINGS,
    "栋": BUILDINGS, "幢": BUILDINGS, "项": ("projects",), "例": ("beneficiaries",),
}
COUNT_DEFAULTS = {
    "家": "enterprises", "家次": "enterprises", "项": "projects", "大项": "projects", "小项": "projects",
    "所": "facilities", "座": "facilities", "栋": "facilities", "幢": "facilities", "例": "beneficiaries",
}
BUILD_VERBS = re.compile(r"新建|建成|建设|改扩建|扩建|改造|援建|修建|建有|配备|配套|安装|购置")
# schools or hospitals reached rather than built: 覆盖全州5个县的18所中小学, 分布在8家医疗机构, 100所中小学与…结对
REACH_BEFORE = re.compile(r"覆盖|分布在|分布于")
REACH_AFTER = re.compile(r"结对|结成|建立.{0,4}关系")
MONEY_CUES = re.compile(r"投资|资金|产值|收入|销售额|营业额|金额|资产|分红|收益|拨付|投入|营收|交易额|成交额|融资|预算")
PEOPLE = r"(?:群众|农民|村民|居民|牧民|农牧民|学生|游客|职工|患者|儿童|干部|市民|人口|劳动力)"
PEOPLE_AFTER = re.compile(rf"(?:名|人|[^\d，,。；;、的]{{0,4}}?{PEOPLE})")  # 上万群众, 400多万各族群众
HOUSEHOLDS_AFTER = re.compile(r"[^\d，,。；;、的]{0,4}?(?:农户|牧户|贫困户|脱贫户|家庭)")  # 上万农户
PEOPLE_BEFORE = re.compile(rf"{PEOPLE}(?:达到|达|超过|共|约|近|逾)?$")
# a length of time, not a date or a period frame: 历时三年, 连续30余年
LENGTH_CUES = re.compile(r"(?:历时|为期|连续|长达|用时|耗时|持续|累计|坚持|共计|共|达|近|超过)$")
# "in the past three years", "within a year", "three years ago": the report's frame, not a quantity
TIME_FRAME_AFTER = re.compile(r"(?:来|以来|里|间|内|中|之内|之中|前|后|以前|以后|之前|之后|期间|的时间|时间里|一)")
CONSTRUCTION = re.compile(r"修建|新建|建设|改造|硬化|铺设|修复|建成|改建|道路|公路|管网|管道|渠|全长|步道|线路|栈道")
# words a subject phrase does not reach back over: verbs and 的/了 (single-character prepositions are left
# out on purpose, they sit inside too many words: 对口, 为期, 有效)
SUBJECT_STOPS = re.compile(
    r"(?:投入|实施|引进|提供|带动|吸收|实现|使用|建成|建设|完成|培训|选派|开展|新建|计划|累计|共计|安排|拨付|"
    r"吸纳|惠及|落实|争取|帮助|组织|发放|达到|其中|包括|以及|通过|的|了)"
)
UNIT_LETTERS = re.compile(r"(?:km|kg)(?![A-Za-z])")
PHONE_AFTER = re.compile(r"热线|电话|报警|急救|专线|号")
PHONE_BEFORE = re.compile(r"(?:电话|热线|拨打|号码|手机|致电)[：:]?$")
LINKERS = re.compile(r"(?:达到|达|为|共计|共|累计|合计|总计|超过|约|近|有|了|是|到|至|逾|超|和|与|及)+$")
LEADING_TEXT = re.compile(r"[^\d]*")  # a subject phrase never reaches over another number
TRAILING_TEXT = re.compile(r"[^\d]*$")


# ---------------------------------------------------------------- reading one match


@dataclass
class Reading:
    """What the scanner's groups say, before the context is consulted."""

    value: float
    value_max: float | None
    unit: str | None
    factor: float
    classifier: str | None
    qualifier: str
    chinese: bool
    bare: bool  # a bare magnitude with nothing before it: 千 in 千年


def _number_value(number: str, magnitude: str | None) -> float | None:
    value = parse_number(number)
    if value is None:
        return None
    if magnitude:
        factor = parse_magnitude(magnitude)
        if factor is None:
            return None
        value *= factor
    return value


def _qualifier(*words: str | None) -> str:
    found = "exact"
    for word in words:
        if word:
            meaning = QUALIFIERS.get(word, "exact")
            if meaning != "exact":
                found = meaning
    return found


def _read(match: re.Match[str], prefix: str | None) -> Reading | None:
    unit_text = match["unit"]
    unit, factor = UNITS.get(unit_text, (None, 1.0)) if unit_text else (None, 1.0)
    if match["pct"]:
        value = parse_number(match["pct"])
        if value is None:
            return None
        return Reading(value, None, "percent", 1.0, "百分之", _qualifier(prefix, match["post"]),
                       not match["pct"][0].isdigit(), False)
    n1, n2 = match["n1"], match["n2"]
    low = _number_value(n1, match["m1"])
    high = None
    vague = parse_vague_range(n1) if low is None and not n2 else None
    if vague:
        scale = parse_magnitude(match["m1"]) if match["m1"] else 1.0
        low, high = vague[0] * scale, vague[1] * scale  # 两三千元: 2000 to 3000
    if low is None:
        return None
    if n2:
        if match["u1"] and unit_text and UNITS.get(match["u1"], (None,))[0] != unit:
            return None
        high = _number_value(n2, match["m2"])
        if high is None:
            return None
        if not match["m1"] and match["m2"] and low < high / parse_magnitude(match["m2"]) * 10:
            low *= parse_magnitude(match["m2"])  # 3至5万元: the magnitude belongs to both ends
        if high <= low:
            return None
    qualifier = _qualifier(prefix, match["q1"], match["q1b"], match["post"], match["q2"], match["q2b"])
    if unit_text in ("个多月", "个多小时"):
        qualifier = "over"
    if match["post"] == "半" and unit in TIME_UNITS:
        low += 0.5  # 1年半
    bare = is_bare_magnitude(n1) and not prefix and not (match["q1"] or match["q1b"])
    classifier = unit_text
    return Reading(low, high, unit, factor, classifier, qualifier, not n1[0].isdigit(), bare)


def read_quantity(text: str) -> tuple[float, float | None, str | None, str] | None:
    """Parse one quantity on its own: ``420余万元`` -> (4200000.0, None, "CNY", "over").

    Returns (value, value_max, unit, qualifier) in base units, unit None when none is written (``过亿``),
    or None when ``text`` is not a single quantity.
    """
    match = SCANNER.fullmatch(text)
    if match is None or match["junk"]:
        return None
    reading = _read(match, match["pre"])
    if reading is None:
        return None
    value_max = reading.value_max * reading.factor if reading.value_max is not None else None
    return reading.value * reading.factor, value_max, reading.unit, reading.qualifier


# ---------------------------------------------------------------- context


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


def _keywords(text: str, categories: Sequence[str] | None = None) -> list[re.Match[str]]:
    return [found for found in KEYWORD_SCAN.finditer(text)
            if (category := KEYWORD_CATEGORY[found.group()]) and (categories is None or category in categories)]


def _nearest_keyword(text: str, categories: Sequence[str] | None = None) -> str | None:
    """The category of the keyword ending closest to the end of ``text``."""
    found = _keywords(text, categories)
    return KEYWORD_CATEGORY[found[-1].group()] if found else None


def _first_keyword(text: str, categories: Sequence[str] | None = None) -> re.Match[str] | None:
    found = _keywords(text, categories)
    return found[0] if found else None


def _first_category(text: str, categories: Sequence[str] | None = None) -> str | None:
    found = _first_keyword(text, categories)
    return KEYWORD_CATEGORY[found.group()] if found else None


def _action(text: str) -> str | None:
    """The category of the last verb about people in ``text``: nearest to a figure that follows it, the
    predicate for the words after one (320余名学员通过…培训项目实现就业 is jobs)."""
    found = [match for match in _keywords(text, PEOPLE_CATEGORIES) if match.group() in PEOPLE_ACTIONS]
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


def categorise(unit: str, classifier: str | None, context: Context) -> str:
    """A category of metrics.md from the unit and the words around the mention; closer words decide first."""
    if unit in TIME_UNITS:
        return "duration"
    if unit in ("m2", "mu"):
        return "area"
    if unit == "CNY":
        return _money_category(context)
    if unit in ("person", "person_time", "household"):
        return _people_category(unit, context)
    if unit == "count":
        return _count_category(classifier or "", context)
    if unit == "km":
        return "facilities" if CONSTRUCTION.search(context.before + context.after) else "other"
    if unit == "kg":
        # what a facility holds or handles is its capacity, not output: 冷库容量达3000吨
        return _nearest_keyword(context.near, ("output", "beneficiaries", "facilities", "other")) or "output"
    if ELIDED_CHANGE.search(context.near) and context.previous:
        return context.previous
    if COVERAGE_RATE.search(context.near):
        return "coverage"
    return _nearest_keyword(context.near, PERCENT_CATEGORIES) or "other"


def _money_category(context: Context) -> str:
    for text in (context.near, context.after, context.before):
        found = _nearest_keyword(text, MONEY_CATEGORIES) if text is not context.after \
            else _first_category(text, MONEY_CATEGORIES)
        if found:
            return found
    if context.near.startswith("其中") and context.previous in MONEY_CATEGORIES:
        return context.previous
    if "资金" in context.before:
        return "funding"  # 对口支援资金, 项目资金: money named as funds, with no word of another kind
    return _nearest_keyword(context.wide, MONEY_CATEGORIES) or "funding"


def _people_category(unit: str, context: Context) -> str:
    """What was done for them decides first (培训农民 is training, 转移就业 jobs), then who they are."""
    if unit != "household" and (LOCAL_PEOPLE.match(context.after) or LOCAL_PEOPLE.search(context.near)):
        return "training"  # local staff counted in an aid report were trained or mentored: 培养本地医生
    action = _action(context.near) or _action(context.after) or _action(context.before)
    if action:
        return action
    if unit != "household" and AT_WORK.search(context.after):
        return "jobs"
    if context.near.startswith("其中") and context.previous in PEOPLE_CATEGORIES:
        return context.previous  # 其中脱贫人口1560人: a part of the figure before
    kinds = HOUSEHOLD_KINDS if unit == "household" else PEOPLE_CATEGORIES
    wide = _action(context.wide) if unit != "household" else None
    return (_first_category(context.after[:12], kinds) or _nearest_keyword(context.near, PEOPLE_CATEGORIES)
            or wide or "beneficiaries")


def _count_category(classifier: str, context: Context) -> str:
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
    return (_first_category(context.after[:12], kinds) or _nearest_keyword(context.near, near_kinds) or built
            or (context.previous if context.listed else None) or COUNT_DEFAULTS.get(classifier) or "other")


def find_subject(unit: str, classifier: str | None, near: str, after: str) -> str | None:
    """The noun phrase the figure measures: 40名教师 -> 教师, 投入援疆资金420余万元 -> 援疆资金."""
    if after.startswith("的") or unit in ("count", "person", "person_time", "household"):
        phrase = LEADING_TEXT.match(after.removeprefix("的")[:12]).group()
        kinds = THING_CATEGORIES if unit == "count" else None
        found = _first_keyword(phrase, CLASSIFIER_KINDS.get(classifier or "", kinds))
        if found:
            end = found.end()
            category = KEYWORD_CATEGORY[found.group()]
            for following in KEYWORD_SCAN.finditer(phrase, end):
                if following.start() != end or KEYWORD_CATEGORY[following.group()] != category:
                    break
                end = following.end()
            return phrase[:end]
    if unit in TIME_UNITS:
        return None
    trimmed = TRAILING_TEXT.search(near).group()
    if len(trimmed) < len(near):
        trimmed = trimmed.lstrip("年月日的")  # 2010年达到507.46亿元: the 年 of a date is no subject
    trimmed = LINKERS.sub("", trimmed)
    cut = 0
    for stop in SUBJECT_STOPS.finditer(trimmed):
        if len(trimmed) - stop.end() >= 2:  # 培训班: a stop that leaves one character is part of the noun
            cut = stop.end()
    phrase = trimmed[cut:][-8:]
    return None if len(phrase) < 2 or SUBJECT_STOPS.fullmatch(phrase) else phrase


# ---------------------------------------------------------------- rejections


def _inside_short_quote(body: str, start: int, end: int) -> bool:
    """Inside “…” of at most 16 characters: a slogan or a name, not a figure (“1+1+7”, “5+2”工作法)."""
    opening = body.rfind("“", max(0, start - 16), start)
    if opening < 0 or "”" in body[opening:start]:
        return False
    closing = body.find("”", end, opening + 17)
    return closing >= 0 and "“" not in body[end:closing]


def _inside_title(body: str, start: int, end: int) -> bool:
    """Inside 《…》: a title, not a figure."""
    opening = body.rfind("《", max(0, start - 40), start)
    if opening < 0 or "》" in body[opening:start]:
        return False
    return body.find("》", end, start + 40) >= 0


def _is_year(reading: Reading, number: str) -> bool:
    return (reading.unit == "year" and reading.qualifier == "exact" and 1900 <= reading.value <= 2100
            and len(number) == 4)


def _looks_like_a_code(body: str, start: int, number_end: int) -> bool:
    """Phone numbers, ordinals, formulas, numbers glued to letters or in （3）."""
    before = body[start - 1] if start else " "
    after = body[number_end] if number_end < len(body) else " "
    if before in "第+＋×*/／·.-－#№" or before.isascii() and before.isalnum():
        return True
    if after in "+＋×*/／" or (before in "（(" and after in "）)"):
        return True
    if after.isascii() and after.isalpha() and not UNIT_LETTERS.match(body, number_end):
        return True  # 5G, 4A级, 10kV
    return bool(PHONE_AFTER.match(body, number_end)) or bool(PHONE_BEFORE.search(body[max(0, start - 6):start]))


# ---------------------------------------------------------------- the public functions


def _sentence_bounds(body: str) -> list[int]:
    return [found.start() for found in SENTENCE_ENDS.finditer(body)] + [len(body)]


def _skip(skip_spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    return sorted((start, end) for start, end in skip_spans if end > start)


def extract_metrics(body: str, skip_spans: Sequence[tuple[int, int]] = ()) -> list[Metric]:
    """Every figure in ``body`` (normalised, Simplified) that says how much aid work was done.

    ``skip_spans`` are [start, end) ranges (garbled text) from which nothing is read.
    """
    ends = _sentence_bounds(body)
    clauses = Breaks(body, CLAUSE_BREAKS)
    lists = Breaks(body, LIST_BREAKS)
    spans = _skip(skip_spans)
    sentence_index = 0
    span_index = 0
    metrics: list[Metric] = []
    for match in SCANNER.finditer(body):
        if match["junk"]:
            continue
        start, end = match.start(), match.end()
        while span_index < len(spans) and spans[span_index][1] <= start:
            span_index += 1
        if span_index < len(spans) and spans[span_index][0] < end:
            continue
        while ends[sentence_index] < start:
            sentence_index += 1
        sentence_start = ends[sentence_index - 1] + 1 if sentence_index else 0
        previous = metrics[-1] if metrics and metrics[-1].start >= sentence_start else None
        metric = _metric(body, match, Window(sentence_start, previous, clauses, lists))
        if metric is None:
            continue
        # a sentence is capped around the mention, so a body without full stops stays linear
        metric.sentence = body[max(sentence_start, metric.start - SENTENCE_REACH):
                               min(ends[sentence_index] + 1, metric.end + SENTENCE_REACH)].strip()
        metrics.append(metric)
    return metrics


@dataclass
class Window:
    """Where the scan stands: the sentence start, the category of the figure before in that sentence, and
    the break positions."""

    sentence_start: int
    previous: Metric | None
    clauses: Breaks
    lists: Breaks


def _metric(body: str, match: re.Match[str], window: Window) -> Metric | None:
    if not (match["unit"] or match["pct"] or match["m1"] or BIG_NUMERAL.search(match["n1"])):
        return None  # a number with no unit and no 万/亿 is never a figure (二十大, 12345热线, 52岁)
    start, end = match.start(), match.end()
    prefix = match["pre"]
    number_start = match.start("pct") if match["pct"] else match.start("n1")
    if prefix and (prefix in VAGUE_PREFIXES and not is_magnitude_only(match["n1"] or "")
                   or start and body[start - 1] in NOT_PREFIX_AFTER.get(prefix, "")):
        prefix, start = None, number_start  # 线上3场, 通过3个, 签约2个: the prefix belongs to a word
    number_end = match.end("pct") if match["pct"] else match.end("n2") if match["n2"] else match.end("n1")
    if _looks_like_a_code(body, start if prefix else number_start, number_end):
        return None
    if _inside_short_quote(body, start, end) or _inside_title(body, start, end):
        return None
    if prefix in ("数", "几"):
        return None  # 几千元到几十万元不等, 数十家: a guess, not a figure
    reading = _read(match, prefix)
    if reading is None or reading.bare or reading.unit == "foreign" or body[max(0, start - 2):start] in IDIOM_HEADS:
        return None
    clause_start, clause_end = window.clauses.around(start, end)
    list_start, list_end = window.lists.around(start, end)
    # the words before a figure stop at the figure before it: 37家企业的89个产品 is not counted as firms
    previous_end = window.previous.end if window.previous else 0
    context = Context(
        near=body[max(list_start + 1, start - WINDOW, previous_end):start],
        before=body[max(clause_start + 1, start - WINDOW):start],
        wide=body[max(window.sentence_start, start - 2 * WINDOW):start],
        after=body[end:min(list_end, end + WINDOW)],
        rest=body[end:min(clause_end, end + WINDOW)],
        previous=window.previous.category if window.previous else None,
        listed=bool(window.previous) and window.previous.end == list_start and body[list_start] == "、"
        and window.previous.unit == reading.unit,
    )
    unit = reading.unit or _implied_unit(match, context.before, context.after)
    if unit is None or not _plausible(body, match, reading, unit, context.before, end):
        return None
    category = categorise(unit, reading.classifier, context)
    if reading.chinese and unit == "count" and reading.value <= 10 and reading.qualifier == "exact" and (
            category == "other" and context.after or start and body[start - 1] in "”’》"):
        return None  # 四个汉代典型元素, “粤菜师傅”“南粤家政”四项工程: an enumeration, not a figure
    return Metric(
        text=body[start:end], start=start, end=end, sentence="",
        value=reading.value * reading.factor,
        value_max=reading.value_max * reading.factor if reading.value_max is not None else None,
        unit=unit, classifier=reading.classifier, qualifier=reading.qualifier,
        category=category, subject=find_subject(unit, reading.classifier, context.near, context.after),
    )


def _implied_unit(match: re.Match[str], before: str, after: str) -> str | None:
    """过亿 after 总投资 is yuan, 上万 before 群众 is people; a bare small number is nothing."""
    number = match["n1"] or ""
    large = any(char in "万亿" for char in (match["m1"] or "") + number)
    if not large or match["n2"]:
        return None
    if HOUSEHOLDS_AFTER.match(after):
        return "household"
    if PEOPLE_AFTER.match(after) or PEOPLE_BEFORE.search(before):
        return "person"
    if MONEY_CUES.search(before[-10:]) and (not after or after[0] in "的，,。；;、）)"):
        return "CNY"
    return None


def _plausible(body: str, match: re.Match[str], reading: Reading, unit: str, before: str, end: int) -> bool:
    """Dates, ages, single 一, time frames and frequencies are not figures."""
    number = match["n1"] or match["pct"] or ""
    if _is_year(reading, number):
        return False
    if match["n2"] and unit == "year" and len(match["n2"]) == 4 and reading.value_max and reading.value_max >= 1900:
        return False  # 2018年至2019年
    if reading.chinese and reading.value == 1 and not match["n2"] and (reading.qualifier == "exact"
                                                                       or unit not in TIME_UNITS):
        return False  # 一个个, 一名, 一家亲, 一块多钱: 一 is an article here (一年多 is a length)
    if unit in TIME_UNITS:
        if TIME_FRAME_AFTER.match(body, end) or before.endswith(("每", "前")):
            return False  # 每三天, 今年前5个月: a frequency or a part of the calendar
        if reading.qualifier == "exact" and reading.chinese and not LENGTH_CUES.search(before):
            return False  # 三年攻坚, 援疆三年: a period named in passing
    return True


# ---------------------------------------------------------------- scoring against gold


CHINESE_DIGITS = set("零〇一二两三四五六七八九十百千万亿")


def locate(gold_text: str, body: str, occurrence: int = 1) -> int:
    """Offset of the ``occurrence``-th (1-based) appearance of ``gold_text`` in ``body``, or -1.

    An appearance inside a longer number does not count: ``3个`` is not found in ``173个``.
    """
    seen = 0
    index = body.find(gold_text)
    while index >= 0:
        before = body[max(0, index - 2):index]
        inside = (gold_text[:1].isdigit() and before[-1:].isdigit() or before[-1:] in (".", ",", "，", "．")
                  and before[:1].isdigit() or gold_text[-1:].isdigit() and body[index + len(gold_text):][:1].isdigit()
                  or gold_text[:1] in CHINESE_DIGITS and before[-1:] in CHINESE_DIGITS)  # 千余名 in 三千余名
        if not inside:
            seen += 1
            if seen == max(1, occurrence):
                return index
        index = body.find(gold_text, index + 1)
    return -1


def _same_value(left: float, right: float) -> bool:
    scale = max(abs(left), abs(right))
    return scale == 0 or abs(left - right) / scale < 1e-6


def score(extracted: Sequence[Metric], gold: Sequence[dict], body: str) -> dict:
    """Precision, recall and category accuracy of ``extracted`` against ``gold`` items (metrics.md).

    A gold item is ``{"text", "value", "unit", "category", "optional"?, "occurrence"?}``. An extracted metric
    matches one when the values differ by less than 1e-6 relatively, the units are equal and the mention
    overlaps the gold text's place in ``body``. Matches to optional items neither reward nor punish.
    """
    used: set[int] = set()
    matched: list[tuple[dict, Metric]] = []
    missed: list[dict] = []
    ordered = sorted(gold, key=lambda item: bool(item.get("optional")))
    for item in ordered:
        begin = locate(item["text"], body, int(item.get("occurrence", 1)))
        finish = begin + len(item["text"])
        hit = None
        if begin >= 0:
            for index, metric in enumerate(extracted):
                if index in used or metric.unit != item["unit"] or not _same_value(metric.value, item["value"]):
                    continue
                if metric.start < finish and begin < metric.end:
                    hit = index
                    break
        if hit is None:
            if not item.get("optional"):
                missed.append(item)
            continue
        used.add(hit)
        if not item.get("optional"):
            matched.append((item, extracted[hit]))
    optional_hits = len(used) - len(matched)
    false_positives = [metric for index, metric in enumerate(extracted) if index not in used]
    true_positives = len(matched)
    category_right = sum(1 for item, metric in matched if item.get("category") == metric.category)
    found = true_positives + len(false_positives)
    wanted = true_positives + len(missed)
    return {
        "precision": true_positives / found if found else 1.0,
        "recall": true_positives / wanted if wanted else 1.0,
        "category_accuracy": category_right / true_positives if true_positives else 1.0,
        "true_positives": true_positives,
        "false_positives": len(false_positives),
        "false_negatives": len(missed),
        "category_right": category_right,
        "optional_matched": optional_hits,
        "extra": false_positives,
        "missed": missed,
        "wrong_category": [(item, metric) for item, metric in matched if item.get("category") != metric.category],
    }


def micro_average(scores: Sequence[dict]) -> dict:
    """Pool the counts of several ``score`` results (micro average)."""
    tp = sum(result["true_positives"] for result in scores)
    fp = sum(result["false_positives"] for result in scores)
    fn = sum(result["false_negatives"] for result in scores)
    right = sum(result["category_right"] for result in scores)
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "category_accuracy": right / tp if tp else 1.0,
        "true_positives": tp, "false_positives": fp, "false_negatives": fn, "category_right": right,
    }
