"""When the aid happened, as the report states it: the batch of aid workers (第十批援疆干部人才 -> 10) and the
period the report covers (自2020年3月…以来, 2021年至2023年, 2021—2023年).

Both are read from the title first, then the body. A 第N批 counts as a batch only when aid words follow it
closely (BATCH_CONTEXT within BATCH_WINDOW characters), so 第三批项目 or 第二批名单 are not batches.
"""

from __future__ import annotations

import re
from collections import Counter

from etl.text.numerals import parse_number

BATCH = re.compile(r"第([0-9]{1,3}|[一二三四五六七八九十两]{1,4})批")
BATCH_CONTEXT = re.compile(r"援|干部|人才|支教|医疗队|挂职|专技|教师|医生|工作队")
BATCH_WINDOW = 12
YEAR_MONTH = r"((?:19|20)\d{2})年(?:(\d{1,2})月(?:份)?)?"
SINCE = re.compile(f"自?{YEAR_MONTH}(?:[^。；;！？!?\n年]{{0,40}}?)以来")
SPAN = re.compile(f"{YEAR_MONTH}\\s*(?:至|到|—|－|-|~|～)\\s*{YEAR_MONTH}")
SHORT_SPAN = re.compile(r"((?:19|20)\d{2})\s*(?:—|－|-|~|～|至|到)\s*((?:19|20)\d{2})年")


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
