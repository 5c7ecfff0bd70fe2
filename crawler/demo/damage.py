"""What a careless syndication portal does to an article (docs/text.md §1-2), simulated with known answers.

- `to_traditional`: OpenCC s2t, as the portal converts Simplified originals.
- `annotate_pinyin`: a reading in ASCII parentheses with tone marks after each character the portal
  considers polyphonic (多音字), e.g. 營(yíng), 動(dòng).
- `read_out_of_step`: GBK bytes read one byte out of step after an annotated character, until a pair
  fails to decode (emitted as `?`) and the reader is back in step; `garble_after` applies it to a text.
- `garble_paragraph`: picks places for such runs away from the figures an article reports and renders the
  paragraph as the portal shows it, recording each run with its original text.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from etl.text.script import to_traditional

# Characters the simulated portal annotates (Traditional form), with the one reading it always gives.
_READINGS = """
當dāng 為wèi 發fā 長zhǎng 行xíng 重zhòng 營yíng 動dòng 數shù 樂lè 還hái 會huì 得dé 種zhǒng 調diào
將jiāng 傳chuán 藏zàng 參cān 處chǔ 差chā 分fēn 教jiào 解jiě 覺jué 空kōng 量liàng 難nán 便biàn 和hé
間jiān 強qiáng 少shǎo 省shěng 相xiāng 要yào 應yīng 朝cháo 供gōng 好hǎo 幹gàn 給gěi 假jià 降jiàng
結jié 校xiào 看kàn 累lěi 率lǜ 曲qǔ 散sàn 盛shèng 屬shǔ 說shuō 提tí 興xīng 與yǔ 載zài 只zhǐ 中zhōng
轉zhuǎn 著zhe 都dōu 區qū 模mó 創chuàng 度dù 禁jìn 佔zhàn 更gèng 擔dān 薄bó 爭zhēng 觀guān 卷juǎn 冠guàn
系xì 樹shù 勞láo 劃huà 倒dǎo 廠chǎng 實shí 學xué 業yè 產chǎn 設shè 員yuán 農nóng 銷xiāo 術shù 濟jì
"""
PINYIN: dict[str, str] = {item[0]: item[1:] for item in _READINGS.split()}
_MAX_RUN = 12  # longest run (original characters) the simulation keeps
_MIN_RUN = 2


def annotate_pinyin(text: str) -> str:
    """Insert the reading after every character of the table: 東營援疆 -> 東營(yíng)援疆."""
    return "".join(f"{ch}({PINYIN[ch]})" if ch in PINYIN else ch for ch in text)


def portal_text(text: str) -> str:
    """Simplified text as the portal shows it: Traditional, with pinyin after polyphonic characters."""
    return annotate_pinyin(to_traditional(text))


def _gbk_width(ch: str) -> int:
    try:
        return len(ch.encode("gbk"))
    except UnicodeEncodeError:
        return 0


def read_out_of_step(text: str, start: int) -> tuple[str, int] | None:
    """Garbled reading of text after the character at `start`, and where the reader is back in step.

    The reader emits text[start] correctly, then restarts at that character's second GBK byte, decoding
    byte pairs until a pair is not valid GBK (`?`, one byte skipped) or it lands on a character boundary.
    Returns (garbled, end): text[start + 1:end] is replaced by garbled. None when text[start] is not a
    two-byte GBK character or a character the reader would meet cannot be GBK-encoded.
    """
    if _gbk_width(text[start]) != 2:
        return None
    data = bytearray()
    boundaries: dict[int, int] = {}  # byte offset -> character index
    index = start
    while index < len(text) and index - start <= _MAX_RUN + 2:
        width = _gbk_width(text[index])
        if width == 0:
            return None
        boundaries[len(data)] = index
        data += text[index].encode("gbk")
        index += 1
    boundaries[len(data)] = index
    out: list[str] = []
    pos = 1
    while pos not in boundaries:
        if data[pos] < 0x80:
            out.append(chr(data[pos]))
            pos += 1
            continue
        try:
            out.append(bytes(data[pos : pos + 2]).decode("gbk"))
            pos += 2
        except UnicodeDecodeError:
            out.append("?")
            pos += 1
    end = boundaries[pos]
    if end == index and index < len(text):
        return None  # still out of step at the edge of the window: longer than any run we keep
    return "".join(out), end


def garble_after(text: str, start: int) -> str | None:
    """``text`` with the reader slipping after character ``start`` (None where `read_out_of_step` gives none)."""
    read = read_out_of_step(text, start)
    if read is None:
        return None
    garbled, end = read
    return text[: start + 1] + garbled + text[end:]


@dataclass(frozen=True)
class GarbledRun:
    paragraph: int
    start: int  # offsets of the original characters in the Simplified paragraph
    end: int
    original: str  # what the run replaced (Simplified)
    garbled: str  # what the portal shows instead
    after: str  # the annotated character the reader stumbled after
    first_lost: bool  # the first out-of-step character was itself lost to `?`
    converted: bool  # the portal converted the run to Traditional (and annotated it) after garbling

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def protected_spans(paragraph: str, texts: Sequence[str]) -> list[tuple[int, int]]:
    """Every occurrence of every text (the gold metrics) in the paragraph."""
    spans: list[tuple[int, int]] = []
    for text in texts:
        spans.extend((m.start(), m.end()) for m in re.finditer(re.escape(text), paragraph))
    return spans


def candidate_runs(paragraph: str, protected: Sequence[tuple[int, int]]) -> list[tuple[int, str, int]]:
    """(start, garbled, end) for every annotated character where a run of a plausible length would start."""
    found: list[tuple[int, str, int]] = []
    for start, ch in enumerate(paragraph):
        if to_traditional(ch) not in PINYIN:
            continue
        result = read_out_of_step(paragraph, start)
        if result is None:
            continue
        garbled, end = result
        if not _MIN_RUN <= end - start - 1 <= _MAX_RUN:
            continue
        if any(start < p_end and p_start < end for p_start, p_end in protected):
            continue
        found.append((start, garbled, end))
    return found


def choose_runs(paragraphs: Sequence[str], protect: Sequence[str], seed: str) -> list[GarbledRun]:
    """2-6 non-overlapping runs across the paragraphs, the same for the same seed."""
    rng = random.Random(seed)
    wanted = rng.randint(2, 6)
    pool: list[tuple[int, int, str, int]] = []
    for number, paragraph in enumerate(paragraphs):
        protected = protected_spans(paragraph, protect)
        pool.extend((number, s, g, e) for s, g, e in candidate_runs(paragraph, protected))
    rng.shuffle(pool)
    chosen: list[GarbledRun] = []
    for number, start, garbled, end in pool:
        if len(chosen) == wanted:
            break
        if any(r.paragraph == number and start - 2 < r.end and r.start - 2 < end for r in chosen):
            continue
        first_lost = rng.random() < 0.3
        converted = rng.random() < 0.2
        shown = "?" + garbled[1:] if first_lost else garbled
        chosen.append(
            GarbledRun(
                number,
                start + 1,
                end,
                paragraphs[number][start + 1 : end],
                shown,
                paragraphs[number][start],
                first_lost,
                converted,
            )
        )
    return sorted(chosen, key=lambda r: (r.paragraph, r.start))


def render_paragraph(paragraph: str, runs: Sequence[GarbledRun]) -> str:
    """The paragraph as the portal shows it, with the given runs (all of this paragraph) in place."""
    pieces: list[str] = []
    cursor = 0
    for run in sorted(runs, key=lambda r: r.start):
        pieces.append(portal_text(paragraph[cursor : run.start]))
        pieces.append(portal_text(run.garbled) if run.converted else run.garbled)
        cursor = run.end
    pieces.append(portal_text(paragraph[cursor:]))
    return "".join(pieces)
