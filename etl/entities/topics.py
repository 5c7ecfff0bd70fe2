"""What aid an article reports: 民生, 智力, 产业, 就业, 文化, 教育, 医疗, 消费 (TOPICS, in that order).

A report structured by topic headings (民生援疆…, 文化润疆…) has the topics of its headings. Any other has the
topics its title and body keep returning to: cue words (TOPIC_CUES) and aid-topic compounds like 产业援疆, which
count COMPOUND_WEIGHT times a cue, until a topic reaches TOPIC_MIN_SCORE.
"""

from __future__ import annotations

import re
from collections import Counter

from etl.entities.programs import TITLE_WEIGHT

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
