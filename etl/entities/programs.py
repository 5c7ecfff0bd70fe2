"""Which aid program an article reports on: 援疆, 援藏, 援青, 东西部协作, 定点帮扶, or plain 对口支援.

Each program has its own words (援疆, 进疆, 润疆 …); the program whose words the title and body use most wins.
An article that only says 对口支援 or 援建 takes the program of the province it helps, when that province has
one (新疆 -> 援疆), else the generic 对口支援.

TITLE_WEIGHT lives here because the program is read first; every later step weighs title words the same way.
"""

from __future__ import annotations

import re
from collections import Counter

from etl.regions import recipient_provinces

TITLE_WEIGHT = 3  # a mention or keyword in the title counts this many times one in the body

PROGRAM_PATTERNS = {
    "援疆": re.compile(r"援疆|进疆|润疆|兴疆|对口支援新疆|援建新疆|兵团"),
    "援藏": re.compile(r"援藏|进藏|对口支援西藏|援建西藏"),
    "援青": re.compile(r"援青|对口支援青海|援建青海"),
    "东西部协作": re.compile(r"东西部(?:扶贫)?协作|东西协作|[京津沪苏浙闽鲁粤][蒙冀甘滇陕青川宁渝桂黔](?:扶贫)?协作"),
    "定点帮扶": re.compile(r"定点帮扶|定点扶贫"),
}
GENERIC_PROGRAM = "对口支援"
GENERIC_PATTERN = re.compile(r"对口支援|对口帮扶|援建")
# Programs whose receiving provinces name them when the text only says 对口支援.
REGIONAL_PROGRAMS = ("援疆", "援藏", "援青")


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
            if program in REGIONAL_PROGRAMS
        }
        return by_province.get(recipient_province or "", GENERIC_PROGRAM)
    return None
