"""How `aidnews report` looks: one self-contained HTML document drawn from a ReportData.

The page carries its CSS and its charts (inline SVG drawn by etl/svgcharts.py): it opens offline, can be
mailed, and asks nothing of the network. Labels are Chinese, with an English line under each heading.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from etl.report.data import Ranked, ReportData, SourceRow, local
from etl.svgcharts import Bar, Scale, bar_chart, column_chart, number

YI, WAN = 1e8, 1e4  # 亿 and 万 yuan
COLOURS = {
    "provider": "#2b6cb0",
    "recipient": "#c05621",
    "articles": "#2c7a7b",
    "funding": "#2b6cb0",
    "categories": "#6b46c1",
    "outlets": "#2f855a",
    "pages": "#4a5568",
}
SOURCE_COLUMNS = ("采集源", "页面", "处理失败", "待处理", "原创文章", "转载", "含乱码")
PAGE_STATES = {"done": "已处理", "skipped": "跳过（非文章）", "error": "处理失败", "pending": "待处理"}


def money_scale(largest: float) -> Scale:
    if largest >= YI:
        return Scale(YI, "亿元")
    if largest >= WAN:
        return Scale(WAN, "万元")
    return Scale(1, "元")


def yuan(value: float) -> str:
    """An amount for a sentence: 13.56 亿元, 420 万元, 800 元."""
    scale = money_scale(value)
    return f"{number(value / scale.divisor)} {scale.unit}"


CSS = """
:root { --ink: #1a202c; --muted: #718096; --line: #e2e8f0; --card: #fff; --bg: #f4f6f9; --accent: #2b6cb0; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); line-height: 1.55;
  font-family: 'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','WenQuanYi Micro Hei',
  system-ui, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 32px 24px 48px; }
header h1 { margin: 0 0 4px; font-size: 28px; letter-spacing: .02em; }
header p { margin: 0; color: var(--muted); font-size: 14px; }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin: 24px 0 8px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.tile b { display: block; font-size: 26px; font-weight: 650; color: var(--accent); }
.tile span { color: var(--muted); font-size: 13px; }
.tile.warn b { color: #c53030; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 20px 24px;
  margin-top: 20px; }
section h2 { margin: 0; font-size: 19px; }
section h2 small { color: var(--muted); font-weight: 400; font-size: 13px; margin-left: 8px; }
.note { color: var(--muted); font-size: 13px; margin: 4px 0 12px; }
figure { margin: 8px 0 0; }
figure svg { display: block; max-width: 100%; height: auto; }
.empty { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin-top: 8px; }
th, td { text-align: right; padding: 6px 10px; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child { text-align: left; }
th { color: var(--muted); font-weight: 500; }
td.bad { color: #c53030; font-weight: 600; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; text-align: center; }
@media (max-width: 720px) { .tiles { grid-template-columns: repeat(2, 1fr); } main { padding: 20px 12px; } }
"""

# Marks each chart with its box and the page with its height and the number of charts that drew marks: a reader
# never sees it; a headless browser dumping the DOM (tests/integration/test_report.py) learns where to look in a
# screenshot.
LAYOUT_SCRIPT = """
(function () {
  var drawn = 0;
  document.querySelectorAll('figure[data-chart]').forEach(function (fig) {
    var r = fig.querySelector('svg').getBoundingClientRect();
    fig.dataset.box = [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]
      .map(Math.round).join(',');
    if (fig.querySelectorAll('[data-mark]').length > 0) drawn += 1;
  });
  document.body.dataset.chartsDrawn = drawn;
  document.body.dataset.pageHeight = document.documentElement.scrollHeight;
})();
"""


def _figure(name: str, colour: str, svg: str) -> str:
    return f'<figure data-chart="{name}" data-colour="{colour}">{svg}</figure>'


def _bars(name: str, rows: list[Ranked], scale: Scale, label: str, empty: str) -> str:
    if not rows:
        return f'<p class="empty">{escape(empty)}</p>'
    bars = [Bar(r.label, r.value, r.tooltip, r.muted) for r in rows]
    return _figure(name, COLOURS[name], bar_chart(bars, scale, COLOURS[name], label))


def _section(title: str, english: str, note: str, body: str) -> str:
    return (
        f'<section><h2>{escape(title)}<small>{escape(english)}</small></h2><p class="note">{note}</p>{body}</section>'
    )


def _tile(value: str, label: str, warn: bool = False) -> str:
    return f'<div class="tile{" warn" if warn else ""}"><b>{escape(value)}</b><span>{escape(label)}</span></div>'


def _day(value: datetime | None) -> str:
    return local(value).strftime("%Y-%m-%d") if value else "—"


def _funding_sections(data: ReportData) -> list[str]:
    scale = money_scale(max((r.value for r in data.by_provider + data.by_recipient), default=0))
    rule = (
        "帮扶资金（类别 funding，单位元）之和，仅计原创文章，转载不重复计算；“余”“约”按所述数字计。"
        "悬停条形可见精确金额与出处篇数。"
    )
    return [
        _section(
            "帮扶资金 · 按援助方",
            "Aid funding by provider (province)",
            escape(rule),
            _bars("provider", data.by_provider, scale, "帮扶资金按援助方", "尚无帮扶资金数据。"),
        ),
        _section(
            "帮扶资金 · 按受援地",
            "Aid funding by recipient (prefecture)",
            escape(rule),
            _bars("recipient", data.by_recipient, scale, "帮扶资金按受援地", "尚无帮扶资金数据。"),
        ),
    ]


def _monthly_sections(data: ReportData) -> list[str]:
    m = data.monthly
    if not m.months:
        return [_section("按月动态", "Monthly series", "", '<p class="empty">尚无带发布日期的文章。</p>')]
    undated = f"另有 {m.undated_articles} 篇无发布日期的文章未计入。" if m.undated_articles else ""
    articles_chart = _figure(
        "articles",
        COLOURS["articles"],
        column_chart(
            m.months,
            m.articles,
            [f"{n} 篇" for n in m.articles],
            Scale(1, "篇", whole=True),
            COLOURS["articles"],
            "每月文章数",
        ),
    )
    parts = [
        _section(
            "每月文章数", "Articles per month", escape(f"原创文章按发布月份（北京时间）计。{undated}"), articles_chart
        )
    ]
    if any(m.funding):
        scale = money_scale(max(m.funding))
        undated_money = f"另有 {yuan(m.undated_funding)} 出自无日期文章，未计入。" if m.undated_funding else ""
        funding_chart = _figure(
            "funding",
            COLOURS["funding"],
            column_chart(
                m.months, m.funding, [f"{number(v)} 元" for v in m.funding], scale, COLOURS["funding"], "每月帮扶资金"
            ),
        )
        parts.append(
            _section(
                "每月帮扶资金",
                "Aid funding per month",
                escape(f"按文章发布月份计，单位{scale.unit}。{undated_money}"),
                funding_chart,
            )
        )
    return parts


def _sources_table(rows: list[SourceRow]) -> str:
    if not rows:
        return ""
    head = "<tr>" + "".join(f"<th>{h}</th>" for h in SOURCE_COLUMNS) + "</tr>"
    body = "".join(
        f"<tr><td>{escape(r.name)}</td><td>{r.pages}</td><td{' class=bad' if r.failed else ''}>{r.failed}</td>"
        f"<td>{r.pending}</td><td>{r.articles}</td><td>{r.copies}</td>"
        f"<td{' class=bad' if r.garbled else ''}>{r.garbled}</td></tr>"
        for r in rows
    )
    return f"<table>{head}{body}</table>"


def _quality_section(data: ReportData) -> str:
    q = data.quality
    tiles = "".join(
        [
            _tile(number(q.garbled_found), "乱码字符（发现）", warn=q.garbled_found > q.garbled_repaired),
            _tile(number(q.garbled_repaired), "乱码字符（已修复）"),
            _tile(number(q.garbled_articles), "含乱码的文章"),
            _tile(number(q.copies), "转载副本（已去重）"),
            _tile(
                number(q.pages_by_state.get("error", 0)), "处理失败的页面", warn=q.pages_by_state.get("error", 0) > 0
            ),
            _tile(number(q.pages_by_state.get("pending", 0)), "待处理的页面"),
            _tile(number(q.undated_articles), "无发布日期的文章"),
            _tile(number(q.no_recipient_articles), "未识别受援地的文章"),
        ]
    )
    states = [
        Ranked(PAGE_STATES.get(s, s), n, f"{n} 个页面", muted=s == "skipped")
        for s, n in sorted(q.pages_by_state.items(), key=lambda kv: -kv[1])
    ]
    chart = _bars("pages", states, Scale(1, "个页面", whole=True), "页面处理状态", "尚无页面。")
    return _section(
        "数据质量",
        "Data quality",
        escape(f"共 {q.pages} 个已抓取页面。乱码字符指解码后无法辨认或被替换的字符。"),
        f'<div class="tiles">{tiles}</div>{chart}{_sources_table(data.sources)}',
    )


def _outlets_note(data: ReportData) -> str:
    note = "原创文章按页面所注“来源”计。"
    hidden = data.outlets_total - len(data.outlets)
    if hidden > 0:
        shown = sum(int(r.value) for r in data.outlets)
        note += f"另有 {hidden} 个来源共 {number(data.articles - shown)} 篇文章未列出。"
    return note


def render(data: ReportData) -> str:
    """The whole HTML document."""
    period = f"{_day(data.first)} 至 {_day(data.last)}" if data.first else "无日期"
    tiles = "".join(
        [
            _tile(number(data.articles), "原创文章"),
            _tile(number(data.metrics), "提取的数字"),
            _tile(yuan(data.funding_total) if data.funding_mentions else "—", "帮扶资金合计（所述）"),
            _tile(number(data.funding_articles), "提及帮扶资金的文章"),
            *(
                [_tile(number(data.quality.unclassified_money), "尚未分类的金额（未计入合计，待重新提取）", warn=True)]
                if data.quality.unclassified_money
                else []
            ),
        ]
    )
    sections = [
        *_funding_sections(data),
        *_monthly_sections(data),
        _section(
            "各类数字",
            "Figures per category",
            escape("每类提到的数字个数（只计个数，不同单位从不相加）。"),
            _bars("categories", data.categories, Scale(1, "处", whole=True), "各类数字个数", "尚无提取的数字。"),
        ),
        _section(
            "主要来源",
            "Top outlets (来源)",
            escape(_outlets_note(data)),
            _bars("outlets", data.outlets, Scale(1, "篇", whole=True), "主要来源", "尚无文章。"),
        ),
        _quality_section(data),
    ]
    generated = local(data.generated_at).strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>aidnews 报告 · {escape(period)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
<h1>对口支援新闻 · 数据报告</h1>
<p>文章发布时间 {escape(period)} · 生成于 {generated}（北京时间） · 数据库 {escape(data.database)}</p>
</header>
<div class="tiles">{tiles}</div>
{"".join(sections)}
<footer>aidnews report · 所有金额均为文章所述数字，非审计数据；每个数字可在数据库中追溯到原句。</footer>
</main>
<script>{LAYOUT_SCRIPT}</script>
</body>
</html>
"""
