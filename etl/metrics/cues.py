"""The cues around a figure that the context reader weighs: what kind of money it is (docs/metrics.md, "Money"),
whether people counted were served, employed or sent, what a measure word for things can count, and where a
subject phrase stops.

Data only; ``context.py`` and ``subjects.py`` hold the logic. The money kinds extend the category vocabularies of
``keywords.py``, which is why this module imports them rather than repeating the words.
"""

from __future__ import annotations

import re

from etl.metrics.keywords import ACTION_WORDS, KEYWORDS, NEUTRAL_WORDS

# ---------------------------------------------------------------- money kinds (docs/metrics.md, "Money")

# the kind of a money figure says what may be added to it: only aid_funding makes up "funding" totals
MONEY_KIND_OF_CATEGORY = {
    "funding": "aid_funding",
    "investment": "investment",
    "output": "sales_output",
    "income": "income",
}
MONEY_KIND_CATEGORY = {
    "aid_funding": "funding",
    "investment": "investment",
    "sales_output": "output",
    "income": "income",
    "price": "other",
    "loan": "other",
    "other": "other",
}
# money words beyond the category vocabularies: what a unit sells for, borrowed money, pay taken home
MONEY_WORDS: dict[str, tuple[str, ...]] = {
    "price": (
        "价格",
        "单价",
        "售价",
        "收购价",
        "均价",
        "保底价",
        "市场价",
        "价钱",
        "批发价",
        "零售价",
        "地头价",
        "出厂价",
        "卖价",
        "报价",
        "定价",
        "票价",
        "房价",
        "菜价",
        "股价",
    ),
    "loan": ("贷款", "信贷", "授信", "借款", "放贷", "债券", "发债", "国债"),
    "income": (
        "能拿到",
        "能拿",
        "拿到手",
        "到手",
        "寄回",
        "寄了",
        "往家里寄",
        "往家寄",
        "汇回",
        "月入",
        "月均",
        "纯收入",
        "可支配收入",
        "务工收入",
        "劳务收入",
        "工资性收入",
        "人均",
        "户均",
        "亩均",
        "报酬",
        "拿",
    ),
    "investment": ("竞得", "拍得", "购得"),  # land or assets bought for a new site
    "aid_funding": (
        "贴息",
        "奖补",
        "扶持资金",
        "专项资金",
        "慰问金",
        "善款",
        "援助金",
        "救助金",
        "帮扶款",
        "发放",
        "资助",
        "募集",
        "募捐",
        "筹集",
        "捐",
        "掏钱",
        "拿出",
    ),
    "sales_output": ("营业额", "成交", "卖出", "售出", "销售收入", "产业收入", "中标", "拿下"),
    # a company's profit and costs, what a market is worth: money, but none of the kinds above
    "other": ("利润", "净利润", "溢利", "毛利", "支出", "成本", "费用", "开支", "亏损", "市值", "估值", "损失", "骗"),
}
MONEY_KIND_OF_WORD: dict[str, str | None] = {
    word: MONEY_KIND_OF_CATEGORY[category]
    for category, words in KEYWORDS.items()
    if category in MONEY_KIND_OF_CATEGORY
    for word in words
}
MONEY_KIND_OF_WORD.update({word: kind for kind, words in MONEY_WORDS.items() for word in words})
MONEY_KIND_OF_WORD.update({word: None for word in NEUTRAL_WORDS if word not in MONEY_KIND_OF_WORD})
MONEY_SCAN = re.compile("|".join(sorted(map(re.escape, MONEY_KIND_OF_WORD), key=len, reverse=True)))
# a price is money per unit of goods: 每斤能卖到6元, 一公斤才卖十几元 (before), 6元/斤, 30元一斤 (after)
GOODS_UNIT = r"(?:斤|公斤|千克|克|吨|件|个(?![月人村乡镇县家户])|只|头|箱|袋|盒|瓶|株|棵|枝|套|台|张|份|升|方)"
PER_UNIT = re.compile(rf"每{GOODS_UNIT}|(?<![\d零〇一二两三四五六七八九十百千万])一{GOODS_UNIT}")
PRICE_AFTER = re.compile(rf"(?:/|／|每|一){GOODS_UNIT}|(?:/|／|每|一)(?:小时|次|晚|人次)|(?:/|／)亩")
# after a per-unit marker these still say pay or income (每亩能多收300元 is not a price; 每斤多卖0.5元 is)
INCOME_AFTER_UNIT = re.compile(r"收入|增收|多收|工资|分红|纯收|挣|赚|拿|领")
# the income of a business is its revenue (企业增加收入300万元, 蔬菜产业年收入2亿元), not a household's pay
BUSINESS_INCOME = re.compile(r"(?:企业|公司|产业|合作社|园区|工厂|车间|基地|景区)[^，,。；;、\d人户员民工]{0,6}收入")

PEOPLE_CATEGORIES = ("training", "jobs", "personnel", "beneficiaries", "other")
# the words of those categories that say what was done for or by the people counted, not who they are
PEOPLE_ACTIONS = frozenset(word for words in ACTION_WORDS.values() for word in words)
# the counts of police and courts: suspects, cases, devices seized are counted, but no aid work was done
CRIME = re.compile(r"嫌疑人|抓获|刑拘|逮捕|缴获|查获|扣押|收缴|破案|案件|涉案|诈骗|犯罪|捣毁|窝点|作案|被骗")
# staff sent or organised to help: the words that make teachers, doctors or cadres aid personnel
AID_SENT = re.compile(
    r"援|支教|选派|派出|派驻|挂职|选调|常驻|驻村|配备|邀请|引才|帮扶|对口|医疗队|工作队|专家团|志愿|交流|柔性|引进|轮换|团队"
)
# people at work are jobs (200余名搬迁群众正在加工服装); these verbs say nothing about counted things
AT_WORK = re.compile(r"加工|缝制|赶制|上班|流水线|生产线")
# 招收 hires workers (招收员工300人) but enrols pupils (招收新生450名, 招收的951名学生): with a word for pupils
# beside the figure it says nothing about jobs, and what else the sentence says decides
ENROL_WORDS = ("招收",)
PUPILS = re.compile(r"学生|新生|学员|学子|生源|中职生|高职生|本科生|研究生|幼儿|儿童|孩子")
LOCAL_PEOPLE = re.compile(r"(?:本地|当地|本土)[^，,。；;、]{0,4}?(?:干部|人才|教师|老师|医生|医护|骨干|技术人员)")
HOUSEHOLD_KINDS = ("beneficiaries", "enterprises")  # 17户国有企业 counts firms
# a rate named after what it counts: 就业率 (jobs); 普及率 入户率 通达率 are shares of places or homes reached (覆盖率
# is not: a bank's 拨备覆盖率 is a ratio of money)
RATE_OF = re.compile(r"(就业|普及|入户|通达|通车|通水|通电)率")
# a change with no subject of its own (…销售4200万元，同比增长17.9%) is the change of the figure before it
ELIDED_CHANGE = re.compile(
    r"^(?:其中)?(?:同比|环比|较上年|比上年|较去年|比去年)?(?:增长|下降|提高|减少|增加|上升|降低)"
    r"(?:了|到|至)?$"
)
# what a measure word for things can count: not people, not money (17个对口援助省市 is no funding); goods may
# be output (出栏肉牛1800头)
THING_CATEGORIES = ("projects", "jobs", "training", "enterprises", "facilities", "coverage")
GOODS = {"头", "只", "羽", "匹", "箱", "袋", "盒", "瓶", "株", "棵", "幅", "件"}  # orders (单) are sold, not produced
# events count training sessions or nothing in particular
EVENTS = {"次", "场", "期", "轮", "趟", "场次", "批次", "节", "堂"}
BUILDINGS = ("facilities",)
CLASSIFIER_KINDS = {
    "家": ("enterprises", "facilities"),
    "家次": ("enterprises", "facilities"),
    "所": BUILDINGS,
    "座": BUILDINGS,
    "栋": BUILDINGS,
    "幢": BUILDINGS,
    "项": ("projects",),
    "例": ("beneficiaries",),
}
COUNT_DEFAULTS = {
    "家": "enterprises",
    "家次": "enterprises",
    "项": "projects",
    "大项": "projects",
    "小项": "projects",
    "所": "facilities",
    "座": "facilities",
    "栋": "facilities",
    "幢": "facilities",
    "例": "beneficiaries",
}
BUILD_VERBS = re.compile(r"新建|建成|建设|改扩建|扩建|改造|援建|修建|建有|配备|配套|安装|购置")
# schools or hospitals reached rather than built: 覆盖全州5个县的18所中小学, 分布在8家医疗机构, 100所中小学与…结对
REACH_BEFORE = re.compile(r"覆盖|分布在|分布于")
REACH_AFTER = re.compile(r"结对|结成|建立.{0,4}关系")
MONEY_CUES = re.compile(
    r"投资|资金|产值|收入|销售额|营业额|金额|资产|分红|收益|拨付|投入|营收|交易额|成交额|融资|预算|挣|赚"
)
PEOPLE = r"(?:群众|农民|村民|居民|牧民|农牧民|学生|游客|职工|患者|儿童|干部|市民|人口|劳动力)"
PEOPLE_AFTER = re.compile(rf"(?:名|人|[^\d，,。；;、的]{{0,4}}?{PEOPLE})")  # 上万群众, 400多万各族群众
# 个 before a word for people counts people (23个徒弟), unless the word names a group of them (3个志愿者服务队)
PERSONS_AFTER_GE = re.compile(
    r"(?:徒弟|学生|孩子|学员|工人|员工|老师|教师|医生|专家|志愿者|干部)"
    r"(?!组|队|班|团|之家|宿舍|公寓|食堂|工作室|服务站)"
)
HOUSEHOLDS_AFTER = re.compile(r"[^\d，,。；;、的]{0,4}?(?:农户|牧户|贫困户|脱贫户|家庭)")  # 上万农户
PEOPLE_BEFORE = re.compile(rf"{PEOPLE}(?:达到|达|超过|共|约|近|逾)?$")
CONSTRUCTION = re.compile(r"修建|新建|建设|改造|硬化|铺设|修复|建成|改建|道路|公路|管网|管道|渠|全长|步道|线路|栈道")
# words a subject phrase does not reach back over: verbs and 的/了 (single-character prepositions are left
# out on purpose, they sit inside too many words: 对口, 为期, 有效)
SUBJECT_STOPS = re.compile(
    r"(?:投入|实施|引进|提供|带动|吸收|实现|使用|建成|建设|完成|培训|选派|开展|新建|计划|累计|共计|安排|拨付|"
    r"吸纳|惠及|落实|争取|帮助|组织|发放|达到|其中|包括|以及|通过|的|了)"
)
LINKERS = re.compile(r"(?:达到|达|为|共计|共|累计|合计|总计|超过|约|近|有|了|是|到|至|逾|超|和|与|及)+$")
