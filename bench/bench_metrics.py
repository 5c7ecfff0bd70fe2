"""Measure the metric reader against two libraries on the gold: cn2an (numerals) and JioNLP (money).

    .venv/bin/pip install cn2an jionlp     # for the measurement only; each is skipped when absent
    .venv/bin/python bench/bench_metrics.py

Three measurements on every gold set (the seed article and the demo portal's corpus):
1. numeral parsing: the quantity at the head of each gold mention (``420余万元``, ``过亿``, ``千余名``) read by
   cn2an's ``cn2an(…, "smart")`` (unit cut off, its factor applied) and by ``etl.metrics.read_quantity``;
   right when the value equals the gold value;
2. extraction: JioNLP's ``ner.extract_money`` and ``etl.metrics.extract_metrics`` over the whole body, scored
   with ``etl.evaluation.score`` (precision and recall over all non-optional gold figures);
3. speed of both extractors on the same bodies.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from etl.evaluation import micro_average, score
from etl.metrics import UNITS, Metric, extract_metrics, read_quantity
from etl.metrics.subjects import segmenter
from etl.text.normalise import normalise

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seed"
CORPUS = REPO / "crawler" / "demo" / "corpus"
# the number at the head of a gold mention, with its qualifiers and range (the same string goes to every parser)
NUMBER_PART = re.compile(
    r"^(?:超过|至少|将近|接近|大约|过|上|近|约|超|逾|连续)?"
    r"[\d.,，．０-９零〇一二两三四五六七八九十百千万亿余多几]+"
    r"(?:[至到~～—\-][\d.,，．０-９零〇一二两三四五六七八九十百千万亿余多]+)?"
)
UNIT_AFTER = re.compile("|".join(sorted(map(re.escape, UNITS), key=len, reverse=True)))


def seed_set() -> tuple[str, str, list[dict]] | None:
    page = SEED / "aid-article.txt"
    if not page.exists():
        return None
    lines = page.read_text(encoding="utf-8").split("\n")
    last = next(index for index, line in enumerate(lines) if line.endswith("寶貴的記憶。"))
    body = normalise("\n".join(lines[1:last + 1])).text
    gold = [json.loads(line) for line in (SEED / "aid-article.metrics.jsonl").read_text().splitlines() if line]
    return "seed", body, gold


def corpus_sets() -> list[tuple[str, str, list[dict]]]:
    sets = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                record = json.loads(line)
                sets.append((f"{path.stem}:{number}", "\n".join(record["paragraphs"]), record.get("metrics", [])))
    return sets


def number_value(item: dict) -> tuple[str, float] | None:
    """The quantity at the head of a gold mention (number, qualifiers, unit) and its gold value in base units."""
    found = NUMBER_PART.match(item["text"])
    if not found:
        return None
    unit = UNIT_AFTER.match(item["text"], found.end())
    return item["text"][:found.end() + (len(unit.group()) if unit else 0)], item["value"]


def parse_with_cn2an() -> Callable[[str], float | None] | None:
    try:
        import cn2an
    except ImportError:
        return None

    def parse(text: str) -> float | None:
        """cn2an reads numerals only: the unit is cut off and its factor applied here, as our parser does."""
        number = NUMBER_PART.match(text)
        unit = UNIT_AFTER.match(text, number.end()) if number else None
        try:
            value = float(cn2an.cn2an(number.group() if number else text, "smart"))
        except (ValueError, KeyError, TypeError):
            return None
        return value * (float(UNITS[unit.group()].factor) if unit else 1.0)

    return parse


def parse_with_ours(text: str) -> float | None:
    reading = read_quantity(text)
    return float(reading.value) if reading else None


def money_with_jionlp() -> Callable[[str], list[Metric]] | None:
    try:
        import jionlp
    except ImportError:
        return None

    def extract(body: str) -> list[Metric]:
        found = []
        for entity in jionlp.ner.extract_money(body, with_parsing=True):
            number = entity["detail"]["num"]
            low = float(number[0] if isinstance(number, list) else number)
            start, end = entity["offset"]
            found.append(Metric(entity["text"], start, end, "", Decimal(str(low)), None, "CNY", "元", "exact",
                                "funding", None))
        return found

    return extract


def bench_parsers(sets: list[tuple[str, str, list[dict]]]) -> None:
    parsers = {"etl.metrics.read_quantity": parse_with_ours}
    cn2an_parse = parse_with_cn2an()
    if cn2an_parse:
        parsers["cn2an smart"] = cn2an_parse
    items = [pair for _, _, gold in sets for item in gold if (pair := number_value(item))]
    for name, parse in parsers.items():
        right = failed = 0
        for text, expected in items:
            value = parse(text)
            failed += value is None
            right += value is not None and abs(value - expected) <= 1e-6 * max(1.0, abs(expected))
        print(f"  {name:28} right {right}/{len(items)} ({right / len(items):.2f}), no answer {failed}")


def bench_extractors(sets: list[tuple[str, str, list[dict]]]) -> None:
    extractors: dict[str, Callable[[str], list[Metric]]] = {"etl.metrics.extract_metrics": extract_metrics}
    jionlp_extract = money_with_jionlp()
    if jionlp_extract:
        extractors["jionlp extract_money"] = jionlp_extract
    for name, extract in extractors.items():
        started = time.perf_counter()
        results = [score(extract(body), gold, body) for _, body, gold in sets]
        elapsed = time.perf_counter() - started
        pooled = micro_average(results)
        print(f"  {name:28} precision {pooled['precision']:.3f} recall {pooled['recall']:.3f} "
              f"category {pooled['category_accuracy']:.3f}  ({elapsed * 1000:.0f} ms for {len(sets)} bodies)")


def main() -> None:
    started = time.perf_counter()
    segmenter()  # loaded once per process on the first subject: timed apart, so the bodies' times compare
    print(f"word segmenter (jieba) loaded in {(time.perf_counter() - started) * 1000:.0f} ms")
    seed = seed_set()
    groups = {"seed": [seed] if seed else [], "corpus": corpus_sets()}
    for label, sets in groups.items():
        if not sets:
            print(f"{label}: absent")
            continue
        print(f"{label}: {len(sets)} bodies, {sum(len(gold) for _, _, gold in sets)} gold items")
        print(" numeral parsing of the gold mentions:")
        bench_parsers(sets)
        print(" extraction from the bodies (micro average):")
        bench_extractors(sets)


if __name__ == "__main__":
    main()
