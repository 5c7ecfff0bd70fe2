"""`aidnews extract` on the sample page: the shared seed text wrapped in a typical portal template.

The seed is the visible text of one real syndicated page (Traditional script, pinyin annotations, GBK
mojibake, furniture after the body); expected.json says what a correct pipeline yields for it.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aidnews.cli import app
from etl.evaluation import score

PINYIN = re.compile(r"\([a-zü\u00e0-\u01dc]+\)")


def render_portal_page(lines: list[str]) -> str:
    """Wrap the seed's lines the way a syndication portal lays them out (body as <p>, furniture around)."""
    title = lines[0]
    body_end = next(i for i, line in enumerate(lines) if PINYIN.sub("", line).startswith("責任編輯"))
    body = "\n".join(f"<p>{html.escape(line)}</p>" for line in lines[1:body_end])
    furniture = lines[body_end:]
    ads = "\n".join(f"<li><a href='/ad/{i}.html'>{html.escape(line[2:])}</a></li>"
                    for i, line in enumerate(furniture) if line.startswith("- ") and "[分析]" not in line)
    related = "\n".join(f"<li><a href='/fx/{i}.html'>{html.escape(line[2:])}</a></li>"
                        for i, line in enumerate(furniture) if line.startswith("- [分析]"))
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}_新闻中心_资讯网</title></head>
<body>
<div class="header"><a href="/">首頁</a> | <a href="/news/">新聞</a> | <a href="/fx/">分析</a>
 | <a href="/about">關於我們</a></div>
<div class="crumb">當前位置：<a href="/">首頁</a> &gt; <a href="/news/">新聞中心</a> &gt; 正文</div>
<div class="main">
  <h1>{html.escape(title)}</h1>
  <div class="info">2023-08-21 09:12　來源：資訊網　</div>
  <div class="content">
{body}
<p>{html.escape(furniture[0])}</p>
<p>{html.escape(furniture[1])}</p>
  </div>
  <div class="random"><h3>隨便看看:</h3><ul>{related}</ul></div>
  <div class="related"><h3>相關推薦:</h3></div>
  <div class="comment"><h3>網友評論:</h3><p>推薦使用友言、多說、暢言(需備案後使用)等社會化評論插件</p></div>
  <div class="ads"><ul>{ads}</ul></div>
</div>
<div class="footer">Copyright © 資訊網 版權所有 京ICP備12345678號</div>
</body></html>"""


@pytest.fixture(scope="module")
def seed_record(seed_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    lines = [line.strip() for line in (seed_dir / "aid-article.txt").read_text(encoding="utf-8").splitlines()]
    page = tmp_path_factory.mktemp("seed") / "aid-article.html"
    page.write_text(render_portal_page([line for line in lines if line]), encoding="utf-8")
    result = CliRunner().invoke(app, ["extract", str(page), "--url", "http://portal.example.cn/fx/2023/0821/1.html"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(records) == 1 and "error" not in records[0], records
    return records[0]


@pytest.fixture(scope="module")
def expected(seed_dir: Path) -> dict:
    return json.loads((seed_dir / "aid-article.expected.json").read_text(encoding="utf-8"))


def test_title_editor_and_body_boundaries(seed_record: dict, expected: dict) -> None:
    assert seed_record["title"] == expected["title"]
    assert seed_record["editor"] == expected["editor"]
    paragraphs = seed_record["body"].splitlines()
    assert paragraphs[0] == expected["body_first_line"]
    assert paragraphs[-1].endswith(expected["body_last_line_ends_with"])


def test_no_furniture_or_annotation_left_in_the_body(seed_record: dict, expected: dict) -> None:
    for needle in expected["must_not_be_in_body"]:
        assert needle not in seed_record["body"], needle


def test_garbled_spans_are_found_and_script_is_traditional(seed_record: dict, expected: dict) -> None:
    assert seed_record["quality"]["garbled_found"] >= expected["garbled_spans_at_least"]
    assert seed_record["quality"]["pinyin_stripped"] >= 500  # the body's share of the page's 643
    assert seed_record["script"] == "Hant"
    assert seed_record["body_original"].startswith("三載援疆")


def test_aid_entities(seed_record: dict, expected: dict) -> None:
    assert seed_record["program"] == expected["program"]
    assert seed_record["batch"] == expected["batch"]
    assert seed_record["provider"]["province"] == expected["provider"]["province"]
    assert seed_record["provider"]["prefecture"] == expected["provider"]["city"]
    assert seed_record["recipient"]["province"] == expected["recipient"]["region"]
    assert seed_record["recipient"]["prefecture"] == expected["recipient"]["prefecture"]
    assert seed_record["recipient"]["county"] == expected["recipient"]["county"]
    assert seed_record["period_start"] == expected["period_start"]
    assert sorted(seed_record["topics"]) == sorted(expected["topics"])


def test_metrics_meet_the_bars_end_to_end(seed_record: dict, seed_dir: Path) -> None:
    gold = [json.loads(line) for line in (seed_dir / "aid-article.metrics.jsonl").read_text("utf-8").splitlines()
            if line.strip()]
    from etl.metrics import Metric

    extracted = [Metric(**m) for m in seed_record["metrics"]]
    result = score(extracted, gold, seed_record["body"])
    assert result["precision"] >= 0.95 and result["recall"] >= 0.95, result
    assert result["category_accuracy"] >= 0.90, result


def test_a_broken_file_yields_an_error_record_and_the_next_file_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a_empty.html").write_bytes(b"")
    (tmp_path / "b_binary.html").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "c_ok.html").write_text(
        "<html><head><title>援疆干部人才助力疏勒县发展</title></head><body><h1>援疆干部人才助力疏勒县发展</h1>"
        "<p>发布时间：2023-06-12 10:30 来源：新疆日报</p><div class='content'><p>今年以来，山东省援疆指挥部投入援疆资金"
        "1200万元，新建温室大棚30座，带动当地群众就业500余人，培训技术人员120名。</p><p>援疆干部表示，将继续做好产业"
        "帮扶工作，让更多群众在家门口就业增收。</p></div></body></html>", encoding="utf-8")
    result = CliRunner().invoke(app, ["extract", str(tmp_path)])
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(r["file"]).name for r in records] == ["a_empty.html", "b_binary.html", "c_ok.html"]
    assert "empty" in records[0]["error"]
    assert "error" in records[1] and records[1]["error"]
    assert records[2]["title"] == "援疆干部人才助力疏勒县发展"
    assert records[2]["published_at"].startswith("2023-06-12T10:30:00+08:00")
    assert any(m["value"] == 12_000_000 and m["unit"] == "CNY" for m in records[2]["metrics"])
    for key in ("file", "title", "published_at", "author", "editor", "source", "body", "metrics"):
        assert key in records[2]
