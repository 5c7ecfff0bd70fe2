"""Behaviour of etl.clean: body boundaries, furniture removal and metadata on Chinese portal layouts."""

from __future__ import annotations

import html
import json
from datetime import datetime
from pathlib import Path

import pytest

from etl.clean import SHANGHAI, Cleaned, CleanError, clean, find_date, make_key, read_meta_line

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed"
PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"


def _seed_lines() -> list[str]:
    path = SEED / "aid-article.txt"
    if not path.exists():
        pytest.skip("the shared seed page is not beside the repository")
    return path.read_text(encoding="utf-8").splitlines()


def _portal_page(lines: list[str]) -> str:
    """The seed's lines in a typical portal template: the furniture partly in <p>s, partly in <div>/<ul>."""
    end = next(i for i, line in enumerate(lines) if line.rstrip().endswith("寶貴的記憶。"))
    title, body, furniture = lines[0], lines[1 : end + 1], [f for f in lines[end + 1 :] if f.strip()]
    esc = html.escape
    nav = "".join(f'<li><a href="/c{i}/">{name}</a></li>' for i, name in enumerate(
        ["首頁", "時政要聞", "援疆動態", "民生", "產業", "圖片新聞", "專題"]))
    paragraphs = "\n".join(f"<p>{esc(line)}</p>" for line in body)
    editor, next_link, browse = furniture[0], furniture[1], furniture[2]
    items = [f for f in furniture[3:] if f.startswith("- [")]
    related, comments, plugin = furniture[3 + len(items)], furniture[4 + len(items)], furniture[5 + len(items)]
    ads = [f for f in furniture[6 + len(items) :] if f.startswith("- ")]
    item_list = "".join(f'<li><a href="/a/{i}.html">{esc(t[2:])}</a></li>' for i, t in enumerate(items))
    ad_list = "".join(f'<li><a href="/ad/{i}.html">{esc(t[2:])}</a></li>' for i, t in enumerate(ads))
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{esc(title)}_中國東營網</title>
<meta name="keywords" content="援疆,東營"></head>
<body>
<div class="top"><a href="/">中國東營網</a> <a href="/login">登錄</a></div>
<ul class="nav">{nav}</ul>
<div class="position">當前位置：<a href="/">首頁</a> &gt; <a href="/c2/">援疆動態</a> &gt; 正文</div>
<div class="main">
  <h1>{esc(title)}</h1>
  <div class="info">發(fā)布時間：2023-07-20 10:30  來源：東營日報  作者：張(zhāng)明 李華</div>
  <div class="content">
{paragraphs}
<p>{esc(editor)}</p>
<p>{esc(next_link.split(":", 1)[0])}:<a href="/a/next.html">{esc(next_link.split(":", 1)[1])}</a></p>
  </div>
  <div class="browse"><div class="title">{esc(browse)}</div><ul>{item_list}</ul></div>
  <p>{esc(related)}</p>
  <p>{esc(comments)}</p>
  <p>{esc(plugin)}</p>
  <ul>{ad_list}</ul>
</div>
<div class="footer">版權所有 中國東營網 魯ICP備12345678號</div>
</body></html>"""


@pytest.fixture(scope="module")
def seed_cleaned() -> tuple[Cleaned, list[str]]:
    lines = _seed_lines()
    return clean(_portal_page(lines), url="https://www.example.cn/content/2023-07/20/12345.html"), lines


def test_seed_body_starts_at_line_two_and_ends_with_the_last_sentence(seed_cleaned):
    cleaned, lines = seed_cleaned
    assert cleaned.paragraphs[0] == lines[1]
    assert cleaned.paragraphs[-1].endswith("寶貴的記憶。")


def test_seed_editor_line_gives_the_editor_and_ends_the_body(seed_cleaned):
    cleaned, _ = seed_cleaned
    assert cleaned.editor == "admin"


def test_seed_furniture_never_reaches_the_body(seed_cleaned):
    cleaned, _ = seed_cleaned
    expected = json.loads((SEED / "aid-article.expected.json").read_text(encoding="utf-8"))
    body_key = make_key(cleaned.body).text
    for phrase in expected["must_not_be_in_body"]:
        if phrase.startswith("(") or phrase.startswith("</"):
            continue  # pinyin and tag remnants are the normaliser's job; the cleaner keeps page text
        assert phrase not in body_key, phrase


def test_seed_title_drops_the_site_suffix(seed_cleaned):
    cleaned, lines = seed_cleaned
    assert cleaned.title == lines[0]


def test_seed_date_source_and_authors_from_the_traditional_info_line(seed_cleaned):
    cleaned, _ = seed_cleaned
    assert cleaned.published_at == datetime(2023, 7, 20, 10, 30, tzinfo=SHANGHAI)
    assert cleaned.source == "東營日報"
    assert cleaned.author == "張(zhāng)明 李華"
