"""Build the character-bigram plausibility model that etl.text.bigrams loads for the GBK mojibake repair.

Source: the word list with frequencies in the dictionary of the PyPI package ``jieba`` (MIT licence,
https://github.com/fxsjy/jieba), plus a short list of aid-work terms of our own (DOMAIN_WORDS). Each
dictionary word ``w`` seen ``f`` times adds ``f`` to the count of each
of its characters and of each adjacent character pair inside it. Cross-word pairs are therefore absent; the
runtime model backs off to the unigram probability for them.

The package is fetched with ``pip download`` into a temporary folder (the source archive is only read, never
installed or imported), so jieba is a build-time input and not a runtime dependency. The output,
``char_bigrams.txt.gz``, holds a header line (H) and three record kinds, one a line, tab separated:

    U <char> <q>      unigram, q = round(-10 * log10 P(char))
    B <pair> <q>      bigram,  q = round(-10 * log10 P(second | first)), the in-word estimate interpolated
                      with the unigram back-off: P = 0.7 * C(pair) / C(first) + 0.3 * P(second)
    T <trad> <simp>   one-character Traditional -> Simplified map (OpenCC t2s) for scoring Traditional text

Run from the repository root:  .venv/bin/python etl/data/build_bigrams.py
"""

from __future__ import annotations

import gzip
import math
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from pathlib import Path

JIEBA_VERSION = "0.42.1"
INTERPOLATION = 0.7  # must match etl.text.bigrams.INTERPOLATION
MIN_PAIR_COUNT = 3
# Aid-work vocabulary newer than jieba's 2012-era dictionary (it lacks 援疆, 对口支援, 乡村振兴 …), added with a
# mid-range frequency so that repairs in this domain do not prefer a common look-alike (援疆 -> 在疆).
DOMAIN_FREQUENCY = 300
DOMAIN_WORDS = (
    "援疆 援藏 援青 援滇 援黔 援蒙 援助 对口支援 对口帮扶 对口援疆 对口援藏 东西部协作 东西部扶贫协作 定点帮扶 "
    "结对帮扶 "
    "乡村振兴 脱贫攻坚 精准扶贫 巩固拓展 组团式 援疆干部 援藏干部 援青干部 援疆资金 援藏资金 受援地 受援方 援派 "
    "消费帮扶 产业帮扶 就业帮扶 智力帮扶 教育帮扶 医疗帮扶 文化润疆 兴边富民 易地搬迁 高质量发展 共同富裕 "
    "劳务协作 闽宁协作 沪滇协作 前方指挥部 援疆指挥部 工作队 民族团结 铸牢 中华民族共同体意识 柔性引才"
).split()  # pairs seen fewer times are dropped; they carry little beyond the unigram back-off
OUTPUT = Path(__file__).resolve().parent / "char_bigrams.txt.gz"


def is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff"


def fetch_dictionary(workdir: Path) -> list[str]:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"jieba=={JIEBA_VERSION}", "--no-deps", "--no-binary",
         ":all:", "-d", str(workdir), "-q"],
        check=True,
    )
    archive = next(workdir.glob("jieba-*.tar.gz"))
    with tarfile.open(archive) as tar:
        member = tar.extractfile(f"jieba-{JIEBA_VERSION}/jieba/dict.txt")
        if member is None:
            raise RuntimeError("jieba archive has no dict.txt")
        return member.read().decode("utf-8").splitlines()


def count_characters(lines: list[str]) -> tuple[Counter[str], Counter[str]]:
    unigrams: Counter[str] = Counter()
    bigrams: Counter[str] = Counter()
    for line in [*lines, *(f"{word} {DOMAIN_FREQUENCY}" for word in DOMAIN_WORDS)]:
        parts = line.split()
        if len(parts) < 2:
            continue
        word, freq = parts[0], int(parts[1])
        if not all(is_han(c) for c in word):
            continue
        for char in word:
            unigrams[char] += freq
        for first, second in zip(word, word[1:], strict=False):
            bigrams[first + second] += freq
    return unigrams, bigrams


def quantise(probability: float) -> int:
    return round(-10 * math.log10(probability))


def traditional_map() -> dict[str, str]:
    import opencc

    converter = opencc.OpenCC("t2s")
    chars = [bytes([lead, trail]).decode("gbk", "ignore") for lead in range(0x81, 0xFF)
             for trail in range(0x40, 0xFF)]
    chars = [c for c in chars if len(c) == 1 and is_han(c)]
    converted = converter.convert("\n".join(chars)).split("\n")
    return {t: s for t, s in zip(chars, converted, strict=True) if len(s) == 1 and s != t}


def build(lines: list[str]) -> list[str]:
    unigrams, bigrams = count_characters(lines)
    total = sum(unigrams.values())
    records = [f"U\t{c}\t{quantise(n / total)}" for c, n in sorted(unigrams.items())]
    records += [
        f"B\t{p}\t{quantise(INTERPOLATION * n / unigrams[p[0]] + (1 - INTERPOLATION) * unigrams[p[1]] / total)}"
        for p, n in sorted(bigrams.items()) if n >= MIN_PAIR_COUNT
    ]
    records += [f"T\t{t}\t{s}" for t, s in sorted(traditional_map().items())]
    return records


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        records = build(fetch_dictionary(Path(tmp)))
    text = f"H\tsource\tcharacter bigrams from jieba {JIEBA_VERSION} dict.txt (MIT), see build_bigrams.py\n"
    text += "\n".join(records) + "\n"
    with open(OUTPUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as out:
        out.write(text.encode("utf-8"))  # mtime=0: the same input gives the same bytes
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, {len(records)} records)")


if __name__ == "__main__":
    main()
