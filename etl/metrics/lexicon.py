"""The words the metric scanner knows: units and measure words (量词), qualifiers, the category vocabularies,
and the patterns of numbers that are not metrics (dates, codes, phone numbers, time frames).

Data only, plus the one function that turns the unit table into a regular-expression alternation; the scanner
(``scanner.py``) and the context reader (``context.py``) hold the logic. To add a unit, add its written form
to ``UNITS`` (and a guard to ``NOT_AFTER`` when it starts common words); ``docs/metrics.md`` lists the units.
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
    "元": ("CNY", 1), "人民币": ("CNY", 1), "元人民币": ("CNY", 1), "块钱": ("CNY", 1),
    "人次": ("person_time", 1), "名": ("person", 1), "人": ("person", 1), "位": ("person", 1),
    "户": ("household", 1),
    "平方公里": ("m2", 1_000_000), "平方千米": ("m2", 1_000_000), "平方米": ("m2", 1), "平米": ("m2", 1),
    "㎡": ("m2", 1), "亩": ("mu", 1), "公顷": ("m2", 10_000),
    "公里": ("km", 1), "千米": ("km", 1), "km": ("km", 1),
    "公斤": ("kg", 1), "千克": ("kg", 1), "kg": ("kg", 1), "斤": ("kg", "0.5"), "吨": ("kg", 1000),
    "%": ("percent", 1), "％": ("percent", 1), "成": ("percent", 10),  # 三成 = 30%
    "个百分点": ("percentage_point", 1),  # a difference of two percentages, not a share
    "年": ("year", 1), "个月": ("month", 1), "个多月": ("month", 1), "天": ("day", 1), "个工作日": ("day", 1),
    "小时": ("hour", 1), "个小时": ("hour", 1), "个多小时": ("hour", 1), "分钟": ("minute", 1),
    # currencies other than the yuan: read so that they are not mistaken for yuan, then dropped
    "美元": ("foreign", 1), "欧元": ("foreign", 1), "港元": ("foreign", 1), "港币": ("foreign", 1),
    "日元": ("foreign", 1), "英镑": ("foreign", 1), "卢布": ("foreign", 1),
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
    "人": "民", "位": "于置列次居数", "名": "单义称次额列", "户": "外籍口型", "家": "庭乡人长属", "所": "有以得在属",
    "场": "所地景馆", "期": "间限末初望待", "处": "理置于长室级", "次": "日年月序数要", "条": "件例款",
    "间": "隔断", "只": "有是要能", "头": "条号部", "口": "罩号岸径", "组": "织建成合团长", "节": "日点约能",
    "天": "然山津地空气下", "年": "代级度轻龄华会货", "台": "湾账阶风", "座": "谈椅位", "例": "如外子",
    "支": "持付出援部教撑柱队", "块": "钱", "套": "餐", "批": "次准复示发", "种": "植养类子", "篇": "章幅",
    "份": "额子", "个": "人体性", "类": "型别似", "架": "构子设", "轮": "流换", "笔": "记者", "宗": "教旨",
    "眼": "镜光睛", "首": "府都先次届批个位创页", "本": "地土科届次年月市县部身期", "部": "门分署队",
    "门": "诊户口", "项": "目", "起": "来步点草到始源因飞码诉身色床", "成": "为立功本果员长效绩交熟型都市就了",
    "对": "口接象于比外照待付标话应症", "单": "位独元一项品价车列纯据人身亲打个次调薄",
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
    "约": "about", "大约": "about", "近": "about", "将近": "about", "接近": "about", "左右": "about",
    "上下": "about", "余": "over", "多": "over", "几": "over", "超": "over", "超过": "over", "逾": "over",
    "过": "over", "上": "over", "以上": "over", "之多": "exact", "多达": "exact", "数": "over", "有余": "over",
    "不少于": "over", "不低于": "over", "至少": "over", "来": "about",
}
# a prefix is not a qualifier when it ends a word: 通过 经过 最近 签约 高超 线上
NOT_PREFIX_AFTER = {
    "过": "通经不超度越错路难", "近": "最附靠亲临邻贴", "约": "签节制邀预契相公条特履合", "超": "高赶",
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


# ---------------------------------------------------------------- category vocabularies

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
    "enterprises": ("企业", "公司", "合作社", "商户", "门店", "经营主体", "市场主体", "协会", "龙头",
                    "厂家", "商家", "茶企", "民宿"),
    # who aid reaches: the people an aid report serves, and the verbs of serving them; pupils, patients or the
    # elderly are beneficiaries only where such a verb says so (885名学生参加高考 counts exam takers)
    "beneficiaries": ("群众", "受益", "惠及", "农户", "牧户", "脱贫", "村民", "牧民", "农牧民", "困难", "低收入",
                      "贫困", "救助", "资助", "慰问", "农民", "孤儿", "义诊", "诊疗", "接诊", "会诊", "手术",
                      "服务", "果农", "茶农", "枣农", "菇农", "留守", "残疾", "结对", "住院", "上门", "入户",
                      "寄宿", "住宿", "就读", "门诊量", "就诊"),
    # visitors, users and suspects are counted, but they are not what aid work does; nor is a store's room
    "other": ("游客", "旅客", "用户", "嫌疑人", "库容"),
    "facilities": ("学校", "中学", "小学", "幼儿园", "院校", "高校", "学院", "职校", "医院", "卫生院", "卫生室",
                   "诊所", "大棚", "温室", "厂房", "车间", "住房", "房屋", "安居房", "楼", "馆", "活动室", "实训室",
                   "站", "中心", "设施", "基地", "园区", "产业园", "示范园", "道路", "桥", "水渠", "校舍", "教室",
                   "宿舍", "食堂", "广场", "设备", "床位", "门诊", "科室", "专科", "病房", "冷库", "变压器", "专柜",
                   "加工厂", "电站", "容量", "处理能力", "交易市场", "批发市场", "工位", "工厂", "生产线"),
    "area": ("面积", "土地", "耕地", "草场", "林地"),
    "coverage": ("乡镇", "乡", "镇", "村", "社区", "县", "地级市", "市", "州", "地区", "街道", "嘎查", "行政村",
                 "团场", "连队", "县市", "省份", "省区", "小区"),
}
# words that hold a keyword but say nothing about the category: 乡村 is not 村, 全县 is not a county count
# (学生 患者 老人 居民 家庭 name who people are: beneficiaries only where a word of serving them says so)
NEUTRAL_WORDS = ("学生", "儿童", "青少年", "老人", "患者", "病人", "居民", "家庭", "乡村", "全县", "全市",
                 "全区", "全州", "全镇", "全村", "县城", "县域", "县级", "城市", "市场", "本地", "当地", "两地", "地方")
KEYWORD_CATEGORY: dict[str, str | None] = {word: category for category, words in KEYWORDS.items() for word in words}
KEYWORD_CATEGORY.update(dict.fromkeys(NEUTRAL_WORDS))
KEYWORD_SCAN = re.compile("|".join(sorted(map(re.escape, KEYWORD_CATEGORY), key=len, reverse=True)))

# ---------------------------------------------------------------- money kinds (docs/metrics.md, "Money")

# the kind of a money figure says what may be added to it: only aid_funding makes up "funding" totals
MONEY_KIND_OF_CATEGORY = {"funding": "aid_funding", "investment": "investment", "output": "sales_output",
                          "income": "income"}
MONEY_KIND_CATEGORY = {"aid_funding": "funding", "investment": "investment", "sales_output": "output",
                       "income": "income", "price": "other", "loan": "other", "other": "other"}
# money words beyond the category vocabularies: what a unit sells for, borrowed money, pay taken home
MONEY_WORDS: dict[str, tuple[str, ...]] = {
    "price": ("价格", "单价", "售价", "收购价", "均价", "保底价", "市场价", "价钱", "批发价", "零售价", "地头价",
              "出厂价", "卖价", "报价", "定价", "票价", "房价", "菜价", "股价"),
    "loan": ("贷款", "信贷", "授信", "借款", "放贷", "债券", "发债", "国债"),
    "income": ("能拿到", "能拿", "拿到手", "到手", "寄回", "寄了", "往家里寄", "往家寄", "汇回", "月入", "月均",
               "纯收入", "可支配收入", "务工收入", "劳务收入", "工资性收入", "人均", "户均", "亩均", "报酬", "拿"),
    "investment": ("竞得", "拍得", "购得"),  # land or assets bought for a new site
    "aid_funding": ("贴息", "奖补", "扶持资金", "专项资金", "慰问金", "善款", "援助金", "救助金", "帮扶款", "发放",
                    "资助", "募集", "募捐", "筹集", "捐", "掏钱", "拿出"),
    "sales_output": ("营业额", "成交", "卖出", "售出", "销售收入", "产业收入", "中标", "拿下"),
    # a company's profit and costs, what a market is worth: money, but none of the kinds above
    "other": ("利润", "净利润", "溢利", "毛利", "支出", "成本", "费用", "开支", "亏损", "市值", "估值", "损失", "骗"),
}
MONEY_KIND_OF_WORD: dict[str, str | None] = {
    word: MONEY_KIND_OF_CATEGORY[category] for category, words in KEYWORDS.items() if category in MONEY_KIND_OF_CATEGORY
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
# verbs (and job words) that say what was done for or by the people counted; the other words name who they are
PEOPLE_ACTIONS = frozenset((
    "培训", "培养", "培育", "研修", "进修", "轮训", "带教", "授课", "跟岗", "参训", "学习",
    "就业", "岗位", "用工", "务工", "招聘", "招收", "吸纳", "上岗", "在岗", "输转", "输送", "转移就业", "从业",
    "选聘", "聘用",
    "援派", "选派", "派出", "派驻", "挂职", "选调", "支教", "引才", "柔性引进", "邀请", "常驻", "驻村",
    "受益", "惠及", "救助", "资助", "慰问", "义诊", "诊疗", "接诊", "会诊", "结对", "住院", "上门", "入户", "寄宿",
    "住宿", "就读", "门诊量", "就诊",
))
# the counts of police and courts: suspects, cases, devices seized are counted, but no aid work was done
CRIME = re.compile(r"嫌疑人|抓获|刑拘|逮捕|缴获|查获|扣押|收缴|破案|案件|涉案|诈骗|犯罪|捣毁|窝点|作案|被骗")
# staff sent or organised to help: the words that make teachers, doctors or cadres aid personnel
AID_SENT = re.compile(
    r"援|支教|选派|派出|派驻|挂职|选调|常驻|驻村|配备|邀请|引才|帮扶|对口|医疗队|工作队|专家团|志愿|交流|柔性|引进|轮换|团队"
)
# people at work are jobs (200余名搬迁群众正在加工服装); these verbs say nothing about counted things
AT_WORK = re.compile(r"加工|缝制|赶制|上班|流水线|生产线")
LOCAL_PEOPLE = re.compile(r"(?:本地|当地|本土)[^，,。；;、]{0,4}?(?:干部|人才|教师|老师|医生|医护|骨干|技术人员)")
HOUSEHOLD_KINDS = ("beneficiaries", "enterprises")  # 17户国有企业 counts firms
# a rate named after what it counts: 就业率 (jobs); 普及率 入户率 通达率 are shares of places or homes reached (覆盖率
# is not: a bank's 拨备覆盖率 is a ratio of money)
RATE_OF = re.compile(r"(就业|普及|入户|通达|通车|通水|通电)率")
# a change with no subject of its own (…销售4200万元，同比增长17.9%) is the change of the figure before it
ELIDED_CHANGE = re.compile(r"^(?:其中)?(?:同比|环比|较上年|比上年|较去年|比去年)?(?:增长|下降|提高|减少|增加|上升|降低)"
                           r"(?:了|到|至)?$")
# what a measure word for things can count: not people, not money (17个对口援助省市 is no funding); goods may
# be output (出栏肉牛1800头)
THING_CATEGORIES = ("projects", "jobs", "training", "enterprises", "facilities", "coverage")
GOODS = {"头", "只", "羽", "匹", "箱", "袋", "盒", "瓶", "株", "棵", "幅", "件"}  # orders (单) are sold, not produced
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
MONEY_CUES = re.compile(
    r"投资|资金|产值|收入|销售额|营业额|金额|资产|分红|收益|拨付|投入|营收|交易额|成交额|融资|预算|挣|赚"
)
PEOPLE = r"(?:群众|农民|村民|居民|牧民|农牧民|学生|游客|职工|患者|儿童|干部|市民|人口|劳动力)"
PEOPLE_AFTER = re.compile(rf"(?:名|人|[^\d，,。；;、的]{{0,4}}?{PEOPLE})")  # 上万群众, 400多万各族群众
# 个 before a word for people counts people (23个徒弟), unless the word names a group of them (3个志愿者服务队)
PERSONS_AFTER_GE = re.compile(r"(?:徒弟|学生|孩子|学员|工人|员工|老师|教师|医生|专家|志愿者|干部)"
                              r"(?!组|队|班|团|之家|宿舍|公寓|食堂|工作室|服务站)")
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
