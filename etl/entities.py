"""Article-level aid entities: program, provider, recipient, batch, period and topics.

Works on normalised Simplified text. Places come from the gazetteer (etl.regions): every full or short name of
a province, prefecture or county found in the title and body is a mention; mentions inside the program's
receiving provinces speak for the recipient (受援方), the others for the provider (援助方). Each side is then
read top-down (province, then prefecture, then county), a level kept only when one unit clearly leads it. A
side the text does not name is filled from the pairing map and marked inferred.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache

from etl.regions import LEVELS, Gazetteer, Region, gazetteer, pairings, recipient_provinces
from etl.text.chars import is_han as _is_han
from etl.text.numerals import parse_number

TITLE_WEIGHT = 3  # a mention or keyword in the title counts this many times one in the body
LEAD_RATIO = 1.5  # a unit is chosen at its level only when it outweighs the runner-up by this factor,
LEAD_SHARE = 0.5  # holds this share of its level's weight,
CHILD_SHARE = 0.3  # and this share of its parent's


@dataclass
class Place:
    province: str | None  # province-level unit: 山东省, 新疆维吾尔自治区, 北京市 …
    prefecture: str | None  # prefecture-level unit: 东营市, 喀什地区, 克孜勒苏柯尔克孜自治州 …
    county: str | None  # county-level unit: 疏勒县, 英吉沙县 …
    inferred: bool  # filled from the pairing map, not stated in the text


@dataclass
class Entities:
    program: str | None  # 援疆 援藏 援青 东西部协作 对口支援 定点帮扶
    provider: Place | None
    recipient: Place | None
    batch: int | None  # 第十批 -> 10
    period_start: str | None  # "YYYY-MM" or "YYYY"
    period_end: str | None
    topics: list[str] = field(default_factory=list)  # of TOPICS, in that order


# --- program -------------------------------------------------------------------------------------------------

# Province abbreviations (简称) as they appear in pairing compounds: 鲁疆同心, 粤桂协作, 沪滇合作, 闽宁协作.
ABBREVIATIONS = {
    "京": "北京市",
    "津": "天津市",
    "冀": "河北省",
    "晋": "山西省",
    "蒙": "内蒙古自治区",
    "辽": "辽宁省",
    "吉": "吉林省",
    "黑": "黑龙江省",
    "沪": "上海市",
    "苏": "江苏省",
    "浙": "浙江省",
    "皖": "安徽省",
    "闽": "福建省",
    "赣": "江西省",
    "鲁": "山东省",
    "豫": "河南省",
    "鄂": "湖北省",
    "湘": "湖南省",
    "粤": "广东省",
    "桂": "广西壮族自治区",
    "琼": "海南省",
    "渝": "重庆市",
    "川": "四川省",
    "黔": "贵州省",
    "滇": "云南省",
    "藏": "西藏自治区",
    "陕": "陕西省",
    "陇": "甘肃省",
    "甘": "甘肃省",
    "青": "青海省",
    "宁": "宁夏回族自治区",
    "疆": "新疆维吾尔自治区",
}
PROVIDER_ABBREVIATIONS = "京津冀晋辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤陕渝"
RECIPIENT_ABBREVIATIONS = "疆藏青滇桂黔陇甘宁蒙川陕渝冀吉"
# Only a pair followed by one of these words is read as a pairing compound (鲁疆同心, 鲁喀两地, 沪滇协作). The
# second character is a province abbreviation or the first character of a prefecture the provider is paired
# with (鲁喀: 山东 and 喀什, 浙阿: 浙江 and 阿克苏).
COMPOUND_TAIL = "两地|协作|合作|同心|一家|情|携手|共建|交流|友谊|扶贫|帮扶|对口"
COMPOUND = re.compile(f"([{PROVIDER_ABBREVIATIONS}])(\\w)(?={COMPOUND_TAIL})")

PROGRAM_PATTERNS = {
    "援疆": re.compile(r"援疆|进疆|润疆|兴疆|对口支援新疆|援建新疆|兵团"),
    "援藏": re.compile(r"援藏|进藏|对口支援西藏|援建西藏"),
    "援青": re.compile(r"援青|对口支援青海|援建青海"),
    "东西部协作": re.compile(r"东西部(?:扶贫)?协作|东西协作|[京津沪苏浙闽鲁粤][蒙冀甘滇陕青川宁渝桂黔](?:扶贫)?协作"),
    "定点帮扶": re.compile(r"定点帮扶|定点扶贫"),
}
GENERIC_PROGRAM = "对口支援"
GENERIC_PATTERN = re.compile(r"对口支援|对口帮扶|援建")


def program_scores(title: str, body: str) -> Counter[str]:
    scores: Counter[str] = Counter()
    for program, pattern in PROGRAM_PATTERNS.items():
        scores[program] = TITLE_WEIGHT * len(pattern.findall(title)) + len(pattern.findall(body))
    return +scores


def find_program(title: str, body: str, recipient_province: str | None) -> str | None:
    scores = program_scores(title, body)
    if scores:
        return scores.most_common(1)[0][0]
    if GENERIC_PATTERN.search(title) or GENERIC_PATTERN.search(body):
        by_province = {
            p.name: program
            for program, provinces in recipient_provinces().items()
            for p in provinces
            if program in ("援疆", "援藏", "援青")
        }
        return by_province.get(recipient_province or "", GENERIC_PROGRAM)
    return None


# --- place mentions --------------------------------------------------------------------------------------------

# Short names that are far more often ordinary words than places (长治久安, 合作, 共和国, 富民, 比如, 友谊 …).
COMMON_WORDS = frozenset(
    (
        "长治 合作 共和 富民 延长 南部 通道 平和 和平 大方 乐业 兴业 安宁 康乐 武功 温泉 "
        "四平 白银 安康 东方 中山 白水 白沙 清水 凤凰 太和 民和 金沙 高台 永康 巫山 江口 "
        "石门 城口 永安 大名 新民 灯塔 天长 无为 方正 友谊 富裕 兴隆 和顺 安平 长顺 福安 "
        "惠安 大安 永和 进贤 开化 比如 互助 同仁 同德 白杨 新星 大通 龙里 正安 阿里 长乐 "
        "红旗 新华 东兴 明光 宁国 普安 兴仁 宜良 德安 安义 同心 资源 惠民 全州 新兴 会同 "
        "中方 公安 来宾 民权 长子 平定 洞口 威信 石棉 台前 天台 万年 光泽 莲花 博爱 清流 "
        "滨海 东海 上高 三门 定远 永福 永新 保康 河间 万安 太白 白玉 木兰 黑水 融水 钟山 "
        "镇远 灵台 紫金 宝应 营口 左权 孝义 正定 大化 平安 大同 日照"
    ).split()
)
# Words that begin with a place name without naming the place (哈密瓜 grows all over Xinjiang).
NOT_PLACES = ("哈密瓜",)
# After these, a 第N师 is not a 兵团 division (第一师范学院).
DIVISION_TAIL = re.compile(r"范|部|级|长")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    surface: str
    regions: tuple[Region, ...]  # every unit the surface may name
    in_title: bool


@cache
def name_index() -> tuple[dict[str, tuple[Region, ...]], dict[str, frozenset[int]]]:
    """Surface -> units, and first character -> the surface lengths starting with it."""
    g = gazetteer()
    index: dict[str, list[Region]] = defaultdict(list)
    for name, regions in g.by_full.items():
        index[name].extend(regions)
    for name, regions in g.by_short.items():
        if name not in COMMON_WORDS and name not in g.by_full:
            index[name].extend(regions)
    lengths: dict[str, set[int]] = defaultdict(set)
    for name in index:
        lengths[name[0]].add(len(name))
    return ({k: tuple(v) for k, v in index.items()}, {k: frozenset(v) for k, v in lengths.items()})


def _names_a_place_here(text: str, start: int, surface: str, after_mention: bool) -> bool:
    """Whether the gazetteer name ``surface`` at ``start`` is a place mention rather than part of another word."""
    if text.startswith(NOT_PLACES, start):
        return False
    if surface.startswith("第") and DIVISION_TAIL.match(text, start + len(surface)):
        return False
    # A two-character county name (兴县, 新县, 康县) inside a phrase (振兴县域) is no place.
    if len(surface) == 2 and surface.endswith("县") and start > 0 and _is_han(text[start - 1]):
        return after_mention
    return True


def find_mentions(text: str, in_title: bool = False) -> list[Mention]:
    """Longest-match scan of ``text`` for gazetteer names, left to right, without overlaps."""
    index, lengths = name_index()
    mentions: list[Mention] = []
    i = 0
    while i < len(text):
        found = None
        for size in sorted(lengths.get(text[i], ()), reverse=True):
            surface = text[i : i + size]
            after = bool(mentions) and mentions[-1].end == i
            if surface in index and _names_a_place_here(text, i, surface, after):
                found = Mention(i, i + size, surface, index[surface], in_title)
                break
        if found:
            mentions.append(found)
            i = found.end
        else:
            i += 1
    return mentions


def resolve(mention: Mention, context: set[str], g: Gazetteer) -> Region:
    """The unit a mention names. A unit and its own seat sharing a short name (喀什: 喀什地区, 喀什市) mean the
    higher one; otherwise a unit whose ancestor the text also names, else the highest level."""
    if len(mention.regions) == 1:
        return mention.regions[0]
    outer = [r for r in mention.regions if not any(o != r and g.contains(o, r) for o in mention.regions)]

    def rank(region: Region) -> tuple[int, int]:
        ancestors = {r.code for r in g.parent_chain(region)[:-1]}
        return (0 if ancestors & context else 1, LEVELS.index(region.level))

    return min(outer, key=rank)


# --- sides -----------------------------------------------------------------------------------------------------

# Words after a provider's name that mark it as the helping side: 东营援疆指挥部, 东营市援疆干部, 山东省选派.
PROVIDER_CUE = re.compile(
    r"(?:省|市)?(?:第[一二三四五六七八九十\d]+批)?(?:援疆|援藏|援青|援建|前方指挥部|指挥部|"
    r"选派|派出|对口支援|帮扶|援助|挂职|工作队|医疗队)"
)


Weighted = list[tuple[Region, float]]  # units with the weight of the mentions that name them


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


def place_of(chain: list[Region], inferred: bool) -> Place | None:
    if not chain:
        return None
    names = {r.level: r.name for r in chain}
    return Place(names.get("province"), names.get("prefecture"), names.get("county"), inferred)


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


# Receiving provinces when the program does not say: the three regions of 对口支援 proper.
DEFAULT_RECIPIENTS = ("新疆维吾尔自治区", "西藏自治区", "青海省")
# Programs whose helper is a central body, not a province: every place named is on the receiving side.
CENTRAL_PROGRAMS = ("定点帮扶",)


def recipient_scope(program: str | None) -> frozenset[str]:
    g = gazetteer()
    if program in CENTRAL_PROGRAMS:
        return frozenset(r.code for r in g.by_code.values() if r.level == "province")
    provinces = recipient_provinces()
    if program in provinces:
        return frozenset(r.code for r in provinces[program])
    return frozenset(g.by_full[name][0].code for name in DEFAULT_RECIPIENTS)


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


def compound_units(title: str, body: str, g: Gazetteer) -> tuple[Weighted, Weighted]:
    provider: Weighted = []
    recipient: Weighted = []
    for text, weight in ((title, float(TITLE_WEIGHT)), (body, 1.0)):
        for match in COMPOUND.finditer(text):
            helper = g.by_full[ABBREVIATIONS[match.group(1)]][0]
            helped = compound_partner(helper, match.group(2), g)
            if helped is not None:
                provider.append((helper, weight))
                recipient.append((helped, weight))
    return provider, recipient


def compound_partner(helper: Region, char: str, g: Gazetteer) -> Region | None:
    """The unit the second character of a pairing compound stands for, given the helping province."""
    if char in RECIPIENT_ABBREVIATIONS:
        return g.by_full[ABBREVIATIONS[char]][0]
    prefectures = {
        chain[1]
        for p in pairings()
        if p.provider == helper
        for t in p.recipients
        if len(chain := g.parent_chain(t)) > 1 and chain[1].name.startswith(char)
    }
    return prefectures.pop() if len(prefectures) == 1 else None


def keep_known_providers(units: Weighted, program: str | None, g: Gazetteer) -> Weighted:
    """Within a paired program, only provinces of its pairing map (and their cities) speak for the provider."""
    known = provider_provinces(program) if program else frozenset()
    if not known:
        return units
    return [(r, w) for r, w in units if g.parent_chain(r)[0].code in known]


def split_by_provider(units: Weighted, g: Gazetteer) -> tuple[Weighted, Weighted]:
    """For 对口支援 outside the mapped programs (上海→万州 for the Three Gorges): the leading province is the
    provider and places outside it are the recipient side."""
    chain = read_side(weigh(units, g), g)
    if not chain:
        return units, []
    inside = [(r, w) for r, w in units if g.contains(chain[0], r)]
    return inside, [(r, w) for r, w in units if not g.contains(chain[0], r)]


# --- pairing-map inference -------------------------------------------------------------------------------------


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


# --- batch, period, topics -------------------------------------------------------------------------------------

BATCH = re.compile(r"第([0-9]{1,3}|[一二三四五六七八九十两]{1,4})批")
BATCH_CONTEXT = re.compile(r"援|干部|人才|支教|医疗队|挂职|专技|教师|医生|工作队")
BATCH_WINDOW = 12


def find_batch(title: str, body: str) -> int | None:
    """The aid batch number (第十批援疆干部人才 -> 10), title first, else the body's most frequent."""
    for text in (title, body):
        numbers: Counter[int] = Counter()
        for match in BATCH.finditer(text):
            window = re.split(r"[，,。；;：:！？!?\n]", text[match.end() : match.end() + BATCH_WINDOW])[0]
            value = parse_number(match.group(1))
            if value is not None and BATCH_CONTEXT.search(window) and 0 < value < 100:
                numbers[int(value)] += 1
        if numbers:
            return numbers.most_common(1)[0][0]
    return None


YEAR_MONTH = r"((?:19|20)\d{2})年(?:(\d{1,2})月(?:份)?)?"
SINCE = re.compile(f"自?{YEAR_MONTH}(?:[^。；;！？!?\n年]{{0,40}}?)以来")
SPAN = re.compile(f"{YEAR_MONTH}\\s*(?:至|到|—|－|-|~|～)\\s*{YEAR_MONTH}")
SHORT_SPAN = re.compile(r"((?:19|20)\d{2})\s*(?:—|－|-|~|～|至|到)\s*((?:19|20)\d{2})年")


def _stamp(year: str, month: str | None) -> str:
    if month and 1 <= int(month) <= 12:
        return f"{year}-{int(month):02d}"
    return year


def find_period(title: str, body: str) -> tuple[str | None, str | None]:
    """The period the report states it covers: 自2020年3月…以来, 2021年至2023年, 2021—2023年."""
    for text in (title, body):
        found: list[tuple[int, str | None, str | None]] = []
        for match in SINCE.finditer(text):
            found.append((match.start(), _stamp(match.group(1), match.group(2)), None))
        for match in SPAN.finditer(text):
            start, end = _stamp(match.group(1), match.group(2)), _stamp(match.group(3), match.group(4))
            if start < end:
                found.append((match.start(), start, end))
        for match in SHORT_SPAN.finditer(text):
            if match.group(1) < match.group(2):
                found.append((match.start(), match.group(1), match.group(2)))
        if found:
            _, since, until = min(found)
            return since, until
    return None, None


TOPICS = ("民生", "智力", "产业", "就业", "文化", "教育", "医疗", "消费")
TOPIC_WORDS = "民生|智力|人才|产业|就业|文化|教育|医疗|消费"
AID_WORDS = "援疆|援藏|援青|润疆|兴疆|帮扶|协作|支援|援助|扶贫|援建"
TOPIC = re.compile(f"({TOPIC_WORDS})(?:{AID_WORDS})")  # 民生援疆, 人才援藏, 消费协作, 文化润疆
# Words that speak for a topic in running text; 智力 is building local skills and talent (培训, 人才, 骨干,
# 带不走的队伍), tourism counts as an industry.
TOPIC_CUES = {
    "民生": "民生 惠及 惠民 免费 安居 住房 住上 饮水 供水 供暖 养老 兜底 基础设施 生活条件 义诊 上门 出行 人居环境 "
    "困难群众 困难学生 资助 捐赠 公共服务 获得感 幸福感 急难愁盼",
    "智力": "人才 培训 培养 骨干 带不走 师徒 传帮带 智力 农技 柔性引才 挂职",
    "产业": "产业 企业 招商 龙头 合作社 基地 种植 养殖 加工 投产 产值 园区 工厂 旅游",
    "就业": "就业 务工 岗位 用工 吸纳 稳岗 劳动力 上岗 工资 招聘",
    "文化": "文化 文艺 演出 非遗 民俗 歌舞 交往交流交融 润疆 文旅 书屋 体育",
    "教育": "教育 学校 教师 学生 支教 课堂 教学 办学 学位 中小学 幼儿园",
    "医疗": "医疗 医院 医生 义诊 诊疗 卫生院 患者 就诊 手术 门诊 健康",
    "消费": "消费 销售 销往 直营 展销 专柜 产销 电商 带货 采购",
}
CUE_PATTERNS = {topic: re.compile("|".join(words.split())) for topic, words in TOPIC_CUES.items()}
COMPOUND_WEIGHT = 3  # 产业援疆 says more than 产业
TOPIC_MIN_SCORE = 3  # cue hits (a title hit counts TITLE_WEIGHT) a topic needs
HEADING_MAX = 30


def is_heading(line: str) -> bool:
    """A short line that does not end a sentence: a section heading of the report."""
    line = line.strip()
    return 0 < len(line) <= HEADING_MAX and not line.endswith(("。", "！", "？", "!", "?", "”", '"', "…"))


def _topic(word: str) -> str:
    return "智力" if word == "人才" else word


def topic_scores(title: str, body: str) -> Counter[str]:
    body = body.replace("干部人才", "")  # 援疆干部人才 names the aid workers, not a topic
    scores: Counter[str] = Counter()
    for topic, pattern in CUE_PATTERNS.items():
        scores[topic] = TITLE_WEIGHT * len(pattern.findall(title)) + len(pattern.findall(body))
    for text, weight in ((title, TITLE_WEIGHT), (body, 1)):
        for match in TOPIC.finditer(text):
            scores[_topic(match.group(1))] += COMPOUND_WEIGHT * weight
    return scores


def find_topics(body: str, title: str = "") -> list[str]:
    """A report structured by topic headings (民生援疆…, 文化润疆…) has the topics of its headings; any other
    has the topics its title and body keep returning to (cue words and aid-topic compounds like 产业援疆)."""
    headed = {_topic(m.group(1)) for line in body.splitlines() if is_heading(line) for m in TOPIC.finditer(line)}
    if len(headed) >= 2:
        return [t for t in TOPICS if t in headed]
    scores = topic_scores(title, body)
    return [t for t in TOPICS if scores[t] >= TOPIC_MIN_SCORE]


# --- all together ----------------------------------------------------------------------------------------------


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
