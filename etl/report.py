"""`aidnews report`: one self-contained HTML file that shows what the database holds.

Someone who will never run SQL should see at a glance where the aid money went, from whom, when the news came,
what the articles count and how clean the data is. The file carries its CSS and its charts (inline SVG drawn by
etl/svgcharts.py): it opens offline, can be mailed, and asks nothing of the network.

The figures follow the rules of the queries: funding is added only in yuan and only over primary articles (a
syndicated copy is not counted twice); months and years are Beijing time. Counts of figures per category count
mentions, never add their values. The database is opened read-only on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from etl import regions
from etl.staleness import count_unclassified
from etl.store.engine import NoDatabase, reader
from etl.store.models import Article, Metric, Page
from etl.svgcharts import Bar, Scale, bar_chart, column_chart, number

SHANGHAI = ZoneInfo("Asia/Shanghai")
YUAN = "CNY"
# Aid money put in by the helping side: category funding and money kind aid_funding (docs/metrics.md), so a
# price, a wage or a sale is never added to it.
FUNDING_CATEGORY = "funding"
AID_FUNDING = "aid_funding"
TOP = 15  # bars in a ranking; the rest are summed into one grey bar
TOP_OUTLETS = 12  # outlets shown; the long tail of one-article outlets is only counted
YI, WAN = 1e8, 1e4  # 亿 and 万 yuan
UNKNOWN = "未识别"
NO_OUTLET = "未注明来源"

COLOURS = {
    "provider": "#2b6cb0",
    "recipient": "#c05621",
    "articles": "#2c7a7b",
    "funding": "#2b6cb0",
    "categories": "#6b46c1",
    "outlets": "#2f855a",
    "pages": "#4a5568",
}
CATEGORY_NAMES = {
    "funding": "帮扶资金",
    "investment": "投资",
    "output": "产值·销售",
    "income": "收入·分红",
    "projects": "项目",
    "personnel": "选派人员",
    "jobs": "就业",
    "training": "培训",
    "enterprises": "企业·合作社",
    "beneficiaries": "受益群众",
    "facilities": "设施",
    "area": "面积",
    "coverage": "覆盖范围",
    "duration": "时长",
    "other": "其他",
}
SOURCE_COLUMNS = ("采集源", "页面", "处理失败", "待处理", "原创文章", "转载", "含乱码")
PAGE_STATES = {"done": "已处理", "skipped": "跳过（非文章）", "error": "处理失败", "pending": "待处理"}


class ReportError(Exception):
    """An expected failure (no database, unreachable server), told in one line."""


@dataclass(frozen=True)
class Ranked:
    label: str
    value: float
    tooltip: str
    muted: bool = False


@dataclass(frozen=True)
class SourceRow:
    name: str
    pages: int
    failed: int
    pending: int
    articles: int
    copies: int
    garbled: int


@dataclass(frozen=True)
class Quality:
    garbled_found: int
    garbled_repaired: int
    garbled_articles: int
    copies: int
    pages: int
    pages_by_state: dict[str, int]
    undated_articles: int
    no_recipient_articles: int
    unclassified_money: int = 0  # yuan figures an older extractor stored without a kind: left out of the totals


@dataclass(frozen=True)
class Monthly:
    months: list[str]  # YYYY-MM, every month from the first to the last, gaps included
    articles: list[int]
    funding: list[float]
    undated_articles: int
    undated_funding: float


@dataclass(frozen=True)
class ReportData:
    generated_at: datetime
    database: str
    articles: int  # primary
    metrics: int  # figures of primary articles
    first: datetime | None
    last: datetime | None
    funding_total: float
    funding_mentions: int
    funding_articles: int
    by_provider: list[Ranked]
    by_recipient: list[Ranked]
    monthly: Monthly
    categories: list[Ranked]
    outlets: list[Ranked]
    outlets_total: int
    sources: list[SourceRow]
    quality: Quality


@dataclass(frozen=True)
class ReportSummary:
    articles: int
    metrics: int
    charts: int


# -- reading ------------------------------------------------------------------------------------------------------


def read_only_engine(url: str) -> sa.Engine:
    """An engine that cannot write and creates nothing (etl.store.engine.reader): SQLite read-only, PostgreSQL in
    read-only transactions. A missing database is reported, never created."""
    if make_url(url).get_backend_name() == "sqlite" and make_url(url).database in (None, "", ":memory:"):
        raise ReportError("aidnews report needs a database file, not an in-memory database")
    try:
        return reader(url)
    except NoDatabase as exc:
        raise ReportError(str(exc)) from None


def local(value: datetime) -> datetime:
    return value.astimezone(SHANGHAI)


def short_province(name: str | None) -> str | None:
    """新疆维吾尔自治区 -> 新疆, 山东省 -> 山东: the short name the gazetteer knows, else the name as stored."""
    if not name:
        return None
    for region in regions.gazetteer().by_full.get(name, []):
        if region.level == "province" and region.short_names:
            return region.short_names[0]
    return name


def recipient_label(province: str | None, prefecture: str | None, county: str | None) -> str:
    """Prefecture level: 新疆·喀什地区; a county straight under a province (重庆·万州区); else the province."""
    head = short_province(province)
    below = prefecture or county
    if head and below:
        return f"{head}·{below}"
    if head:
        return f"{head}（地市未识别）"
    return below or UNKNOWN


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


def _ranked(totals: dict[str, list], top: int, unit_text: str, rest_bar: bool = True) -> list[Ranked]:
    """Largest first; beyond `top` the rest become one grey bar (or are left to the caller to mention); the
    unknown bucket is grey too."""
    order = sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0]))
    if len(order) == top + 1:
        top += 1  # one bar of its own, rather than "the other one"
    out = [
        Ranked(
            label,
            float(value),
            unit_text.format(value=number(float(value)), n=n, articles=len(ids)),
            muted=label in (UNKNOWN, NO_OUTLET),
        )
        for label, (value, n, ids) in order[:top]
    ]
    rest = order[top:]
    if rest and rest_bar:
        value = sum(v[0] for _, v in rest)
        n = sum(v[1] for _, v in rest)
        ids = set().union(*(v[2] for _, v in rest))
        out.append(
            Ranked(
                f"其余 {len(rest)} 个",
                float(value),
                unit_text.format(value=number(float(value)), n=n, articles=len(ids)),
                muted=True,
            )
        )
    return out


def _months(first: datetime, last: datetime) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def collect(engine: sa.Engine, database: str) -> ReportData:
    """Everything the report shows, in a few queries that read the same on SQLite and PostgreSQL."""
    primary = Article.duplicate_of.is_(None)
    with engine.connect() as conn:
        articles = conn.execute(
            sa.select(Article.id, Article.published_at, Article.news_source, Article.recipient_province).where(primary)
        ).all()
        funding = conn.execute(
            sa.select(
                Metric.value,
                Article.id,
                Article.published_at,
                Article.provider_province,
                Article.recipient_province,
                Article.recipient_prefecture,
                Article.recipient_county,
            )
            .join(Article, Article.id == Metric.article_id)
            .where(primary, Metric.category == FUNDING_CATEGORY, Metric.money_kind == AID_FUNDING, Metric.unit == YUAN)
        ).all()
        categories = conn.execute(
            sa.select(Metric.category, sa.func.count(Metric.id), sa.func.count(sa.distinct(Metric.article_id)))
            .join(Article, Article.id == Metric.article_id)
            .where(primary)
            .group_by(Metric.category)
        ).all()
        garbled = conn.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(Article.garbled_found), 0),
                sa.func.coalesce(sa.func.sum(Article.garbled_repaired), 0),
                sa.func.count(Article.id).filter(Article.garbled_found > 0),
                sa.func.count(Article.id).filter(Article.duplicate_of.is_not(None)),
            )
        ).one()
        pages = conn.execute(
            sa.select(Page.source_name, Page.etl_status, sa.func.count(Page.id)).group_by(
                Page.source_name, Page.etl_status
            )
        ).all()
        unclassified = count_unclassified(conn)  # not added to the funding total until re-extracted
        per_source = conn.execute(
            sa.select(
                Article.source_name,
                sa.func.count(Article.id).filter(primary),
                sa.func.count(Article.id).filter(Article.duplicate_of.is_not(None)),
                sa.func.count(Article.id).filter(Article.garbled_found > 0),
            ).group_by(Article.source_name)
        ).all()

    dated = [local(a.published_at) for a in articles if a.published_at]
    first, last = (min(dated), max(dated)) if dated else (None, None)
    months = _months(first, last) if first and last else []
    per_month_articles = Counter(d.strftime("%Y-%m") for d in dated)
    per_month_funding: dict[str, Decimal | float] = defaultdict(int)  # int + Decimal stays exact
    by_provider: dict[str, list] = {}
    by_recipient: dict[str, list] = {}
    undated_funding: Decimal | float = 0
    for value, article_id, published, provider, r_province, r_prefecture, r_county in funding:
        if published:
            per_month_funding[local(published).strftime("%Y-%m")] += value
        else:
            undated_funding += value
        for totals, key in (
            (by_provider, short_province(provider) or UNKNOWN),
            (by_recipient, recipient_label(r_province, r_prefecture, r_county)),
        ):
            slot = totals.setdefault(key, [0, 0, set()])
            slot[0] += value
            slot[1] += 1
            slot[2].add(article_id)
    money_text = "{value} 元，{n} 处，{articles} 篇文章"
    outlets = Counter(a.news_source or NO_OUTLET for a in articles)
    states: Counter[str] = Counter()
    source_pages: dict[str, Counter[str]] = defaultdict(Counter)
    for source, state, count in pages:
        states[state] += count
        source_pages[source or UNKNOWN][state] += count
    source_articles = {(s or UNKNOWN): (p, c, g) for s, p, c, g in per_source}
    sources = [
        SourceRow(
            name,
            sum(source_pages[name].values()),
            source_pages[name]["error"],
            source_pages[name]["pending"],
            *source_articles.get(name, (0, 0, 0)),
        )
        for name in sorted(set(source_pages) | set(source_articles))
    ]
    return ReportData(
        generated_at=datetime.now(UTC),
        database=database,
        articles=len(articles),
        metrics=sum(n for _, n, _ in categories),
        first=first,
        last=last,
        funding_total=float(sum(v for v, *_ in funding)),
        funding_mentions=len(funding),
        funding_articles=len({aid for _, aid, *_ in funding}),
        by_provider=_ranked(by_provider, TOP, money_text),
        by_recipient=_ranked(by_recipient, TOP, money_text),
        monthly=Monthly(
            months,
            [per_month_articles[m] for m in months],
            [float(per_month_funding[m]) for m in months],
            len(articles) - len(dated),
            float(undated_funding),
        ),
        categories=[
            Ranked(f"{CATEGORY_NAMES.get(c, c)} {c}", n, f"{n} 处，{k} 篇文章")
            for c, n, k in sorted(categories, key=lambda r: (-r[1], r[0]))
        ],
        outlets=_ranked({name: [n, n, ()] for name, n in outlets.items()}, TOP_OUTLETS, "{n} 篇文章", rest_bar=False),
        outlets_total=len(outlets),
        sources=sources,
        quality=Quality(
            int(garbled[0]),
            int(garbled[1]),
            garbled[2],
            garbled[3],
            sum(states.values()),
            dict(states),
            len(articles) - len(dated),
            sum(1 for a in articles if not a.recipient_province),
            unclassified,
        ),
    )


# -- rendering ----------------------------------------------------------------------------------------------------

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
# never sees it; a headless browser dumping the DOM (tests/test_report.py) learns where to look in a screenshot.
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


def write_report(url: str, out: Path) -> ReportSummary:
    """Read the database (read-only), render the report, write it to `out`."""
    engine = read_only_engine(url)
    try:
        data = collect(engine, make_url(url).render_as_string(hide_password=True))
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        raise ReportError(
            f"cannot read the database {make_url(url).render_as_string(hide_password=True)}: {reason}"
        ) from None
    finally:
        engine.dispose()
    html = render(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return ReportSummary(data.articles, data.metrics, html.count('<figure data-chart="'))
