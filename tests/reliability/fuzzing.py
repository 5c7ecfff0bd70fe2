"""The fuzz campaign's generator and check: bytes a hostile or broken site could send, through the whole extractor.

`pages()` builds HTML documents from aid-news vocabulary, figures and units, HTML oddities (entities, scripts,
comments, unclosed and deeply nested tags) and arbitrary Unicode, encodes them in one of the encodings Chinese
sites use (or one they lie about), and may then damage the bytes (flips, cuts, insertions). `check_page` runs
decode → clean → normalise → metrics (etl.extract.extract) under a limit of CPU time: an ExtractError is an
answer ("no article here"); any other exception is a crash and running past the limit is a hang. CPU time, not
wall time: on a loaded machine a process waits seconds for a core, and a page that takes 0.03 s alone was once
caught "hanging" for 12 s of wall time.

Used by tests/reliability/test_fuzz.py (a sample in CI) and bench/fuzz.py (the 100,000-case campaign).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from etl.extract import ExtractError, extract

CASE_SECONDS = 10.0  # CPU seconds one page may take, whatever it holds (real pages take milliseconds)
ENCODINGS = ("utf-8", "gbk", "gb18030", "big5", "utf-16", "utf-32", "utf-16-be", "latin-1", "shift_jis")
WORDS = tuple(
    """
援疆 援藏 援青 对口支援 东西部协作 定点帮扶 资金 项目 万元 亿元 元 名 所 个 平方米 公里 % 余 多 近
约 第 批 年 月 日 ， 。 、 ； ： “ ” （ ） 新疆 西藏 喀什 和田 北京市
上海 广东省 援建 学校 医院 兆瓦 吨 亩 人次 户 万 亿 千 百 十 零 两 三 五 九
點 億 萬
""".split()
)
MARKUP = (
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<br>",
    "<span>",
    "</span>",
    "<table><tr><td>",
    "</td></tr></table>",
    "<script>var a='援疆';</script>",
    "<style>p{}</style>",
    "<!-- 注释 -->",
    "<![CDATA[x]]>",
    "&amp;",
    "&#25588;",
    "&#x7586;",
    "&nbsp;",
    "&lt;p&gt;",
    "<article>",
    "</article>",
    "<h1>",
    "</h1>",
    "<a href='x'>",
    "</a>",
    "<img src='a.jpg'>",
    "<meta charset='gbk'>",
    "<meta charset='utf-8'>",
    "<title>",
    "</title>",
    "\x00",
    "\ufeff",
    "\u200b",
    "\u3000",
    "\r\n",
    "\t",
    "<",
    ">",
    "&",
    "<<",
    "]]>",
    "<?xml?>",
)


def _figure() -> st.SearchStrategy[str]:
    number = st.one_of(
        st.integers(-(10**12), 10**15).map(str),
        st.floats(0, 1e9, allow_nan=False).map(lambda f: f"{f:.2f}"),
        st.integers(0, 10**6).map(lambda n: f"{n:,}"),
        st.text(alphabet="零一二三四五六七八九十百千万亿两点", min_size=1, max_size=8),
    )
    units = st.sampled_from(("万元", "亿元", "元", "名", "所", "个", "%", "平方米", "余万元", ""))
    return st.tuples(st.sampled_from(("", "约", "近", "超过", "共计")), number, units).map("".join)


_piece = st.one_of(st.sampled_from(WORDS), _figure(), st.sampled_from(MARKUP), st.text(max_size=12))


@st.composite
def _document(draw: Any) -> str:
    title = "".join(draw(st.lists(st.one_of(st.sampled_from(WORDS), _figure()), max_size=6)))
    paragraphs = ["".join(draw(st.lists(_piece, max_size=30))) for _ in range(draw(st.integers(0, 8)))]
    depth = draw(st.sampled_from((0, 0, 0, 0, 0, 0, 50, 50, 500, 3000)))
    body = "<div>" * depth + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div>" * draw(st.integers(0, depth))
    head = draw(
        st.sampled_from(
            ("", "<meta charset='{enc}'>", "<meta http-equiv='Content-Type' content='text/html; charset={enc}'>")
        )
    )
    return f"<html><head>{head}<title>{title}</title></head><body>{body}</body></html>"


@dataclass(frozen=True)
class FuzzPage:
    body: bytes
    content_type: str | None

    def __repr__(self) -> str:  # what Hypothesis prints for a failing case
        return f"FuzzPage(content_type={self.content_type!r}, body={self.body[:400]!r}… ({len(self.body)} bytes))"


@st.composite
def pages(draw: Any) -> FuzzPage:
    encoding = draw(st.sampled_from(ENCODINGS))
    declared = draw(st.sampled_from((encoding, encoding, "utf-8", "gbk", "big5", "bogus-charset", "")))
    text = draw(_document()).replace("{enc}", declared)
    data = bytearray(text.encode(encoding, "replace"))
    for _ in range(draw(st.integers(0, 3))):  # damage: flip, cut or insert bytes
        if not data:
            break
        where = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(("flip", "cut", "insert")))
        if action == "flip":
            data[where] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[where : where + draw(st.integers(1, 64))]
        else:
            data[where:where] = draw(st.binary(max_size=32))
    content_type = draw(st.sampled_from((None, "text/html", f"text/html; charset={declared}", "application/xhtml+xml")))
    return FuzzPage(bytes(data), content_type)


class Hang(Exception):
    """A page ran past CASE_SECONDS."""

    def __init__(self, message: str, page: FuzzPage | None = None) -> None:
        super().__init__(message)  # the message alone, so the exception pickles (bench/fuzz.py's worker processes)
        self.page = page


@contextmanager
def time_limit(seconds: float = CASE_SECONDS) -> Iterator[None]:
    def expire(_signum: int, _frame: Any) -> None:
        raise Hang(f"one page took more than {seconds:.0f} s")

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)  # the process's CPU time (user and system)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def check_page(page: FuzzPage) -> str:
    """Run the extractor on one page within the time limit: 'article' or 'no article'; raises on a crash or hang.

    The CPU-time alarm breaks a loop that never ends; the clock after the case catches one that the alarm could
    not interrupt (an alarm that goes off inside a garbage-collector callback is swallowed by the interpreter).
    """
    started = time.process_time()
    outcome = "article"
    with time_limit():
        try:
            extract(page.body, url="http://fuzz.example.cn/a/1.html", content_type=page.content_type)
        except ExtractError:
            outcome = "no article"
    if time.process_time() - started > CASE_SECONDS:
        raise Hang(f"one page took more than {CASE_SECONDS:.0f} s", page)
    return outcome
