"""Normalise the Chinese text of an article (docs/text.md §4).

Pipeline: stray tag remnants -> pinyin annotations -> GBK out-of-step mojibake (read again where the bytes
allow, placeholders elsewhere: §5) -> OpenCC t2s -> full-width digits/Latin -> whitespace. The mojibake step
runs on the text as published (Traditional on syndication portals), before t2s: a garbled character is a GBK
byte pair read one byte out of step, and t2s would replace some of those characters with others whose bytes
no longer line up.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from etl.text.mojibake import repair_garbled
from etl.text.pinyin import strip_pinyin
from etl.text.script import detect_script, simplify, to_simplified


@dataclass(frozen=True)
class GarbledSpan:
    """A garbled run in the normalised text, and what the repair made of it (docs/text.md §5)."""

    start: int  # [start, end) in Normalised.text
    end: int
    original: str  # the run as served (pinyin readings removed)
    candidates: tuple[tuple[str, ...], ...]  # per placeholder in text[start:end], in order: likeliest first
    confidence: float  # the model's probability that every placeholder's first candidate is right
    repaired: bool  # every character restored from the bytes; otherwise text[start:end] holds placeholders

    def as_dict(self) -> dict[str, Any]:
        """The JSON form stored with an article (garbled_spans) and printed by `aidnews extract`."""
        return {"start": self.start, "end": self.end, "original": self.original,
                "candidates": [list(c) for c in self.candidates], "confidence": self.confidence,
                "repaired": self.repaired}


@dataclass(frozen=True)
class Normalised:
    text: str  # pinyin stripped, mojibake restored or replaced by placeholders, OpenCC t2s, widths fixed, tidy
    original: str  # the input, untouched
    script: str  # "Hans" | "Hant" | "mixed"  (of the original)
    pinyin_stripped: int
    garbled_found: int
    garbled_repaired: int  # runs restored in full, with no placeholder left
    garbled_spans: list[GarbledSpan]  # every run that left characters in .text, restored or not

    @property
    def unreadable_spans(self) -> list[tuple[int, int]]:
        """[start, end) of the spans that hold placeholders: nothing is to be read from them."""
        return [(span.start, span.end) for span in self.garbled_spans if not span.repaired]


# ---------------------------------------------------------------------------------------------------------
# Tag remnants and entities left in text

_ENTITY = re.compile(r"&(?:nbsp|ensp|emsp|thinsp|amp|lt|gt|quot|apos|middot|ldquo|rdquo|lsquo|rsquo|hellip|mdash"
                     r"|#\d{1,7}|#x[0-9a-fA-F]{1,6});?")
# Whole tags (<br>, </p>, <p class="x">) and closing tags that lost their "<", often replaced by "?" (?/p>).
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]{0,9})(?:\s[^<>\n]{0,200})?/?>|\??/(p|a|div|span|br|li|td|tr|font|strong"
                  r"|b|i|em|section|table|ul|ol|h[1-6])>", re.IGNORECASE)
# Tags that end a line where they stood; the others (a, span, font …) are dropped without a trace.
_LINE_BREAKING = frozenset({"br", "p", "div", "li", "tr", "section", "table", "ul", "ol", "h1", "h2", "h3", "h4",
                            "h5", "h6"})


def _tag_replacement(match: re.Match[str]) -> str:
    name = (match.group(1) or match.group(2)).lower()
    return "\n" if name in _LINE_BREAKING else ""


def strip_tag_remnants(text: str) -> str:
    """Decode entities left as text (&nbsp;) and drop stray tags or tag tails (</p>, ?/p>, <br/>); block tags
    and <br> leave a line break."""
    text = _ENTITY.sub(lambda m: html.unescape(m.group(0) if m.group(0).endswith(";") else m.group(0) + ";"), text)
    return _TAG.sub(_tag_replacement, text)


# ---------------------------------------------------------------------------------------------------------
# Widths and whitespace

# A number or Latin word with at least one full-width character in it: １２．５％, ＥＩＣＵ, ３Ａ级.
_WIDE_TOKEN = re.compile(r"[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]*[０-９Ａ-Ｚａ-ｚ][0-9A-Za-z０-９Ａ-Ｚａ-ｚ]*"
                         r"(?:[.．][0-9０-９]+)*[%％]?")
_NUMBER_DOT = re.compile(r"(?<=[0-9０-９])[．％]|％")
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]+")


def _narrow(token: str) -> str:
    return unicodedata.normalize("NFKC", token)


def fix_width(text: str) -> str:
    """Half-width digits, Latin letters and ．％ inside numbers and Latin words; Chinese punctuation kept;
    stray tag remnants removed; spaces collapsed inside lines, line ends stripped, empty lines dropped."""
    text = strip_tag_remnants(text)
    text = _WIDE_TOKEN.sub(lambda m: _narrow(m.group(0)), text)
    text = _NUMBER_DOT.sub(lambda m: _narrow(m.group(0)), text)
    return tidy_whitespace(text)


def tidy_whitespace(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------------------------------------------------
# The whole pipeline

# Private-use marks that travel through t2s and width fixing around garbled runs, so their offsets can be
# read in the final text.
_OPEN, _CLOSE = "\ue000", "\ue001"


def normalise(text: str) -> Normalised:
    """The text search, subjects and figures read, and what the normaliser found on the way (docs/text.md §4)."""
    cleaned = strip_tag_remnants(text.replace(_OPEN, "").replace(_CLOSE, ""))
    stripped, annotations = strip_pinyin(cleaned)
    repaired, runs = repair_garbled(stripped)
    shown = [run for run in runs if run.end > run.start]
    marked = _mark_runs(repaired, [(run.start, run.end) for run in shown])
    final, spans = _read_marks(fix_width(simplify(marked)))
    return Normalised(
        text=final,
        original=text,
        script=detect_script(text),
        pinyin_stripped=annotations,
        garbled_found=len(runs),
        garbled_repaired=sum(1 for run in runs if run.restored),
        garbled_spans=[GarbledSpan(start, end, run.shown, tuple(tuple(to_simplified(c) for c in options)
                                                               for options in run.candidates),
                                   run.confidence, run.restored)
                       for (start, end), run in zip(spans, shown, strict=True) if end > start],
    )


def _mark_runs(text: str, spans: list[tuple[int, int]]) -> str:
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        pieces += [text[last:start], _OPEN, text[start:end], _CLOSE]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _read_marks(text: str) -> tuple[str, list[tuple[int, int]]]:
    spans: list[tuple[int, int]] = []
    out: list[str] = []
    length = 0
    start = 0
    for piece in re.split(f"([{_OPEN}{_CLOSE}])", text):
        if piece == _OPEN:
            start = length
        elif piece == _CLOSE:
            spans.append((start, length))
        else:
            out.append(piece)
            length += len(piece)
    return "".join(out), spans
