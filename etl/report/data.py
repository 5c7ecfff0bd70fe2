"""What `aidnews report` shows, read from the database: the records the page is drawn from, and `collect`.

The figures follow the rules of the queries: funding is added only in yuan and only over primary articles (a
syndicated copy is not counted twice); months and years are Beijing time. Counts of figures per category count
mentions, never add their values. The database is opened read-only on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import col

from etl import regions
from etl.staleness import count_unclassified
from etl.store.engine import NoDatabase, reader
from etl.store.models import Article, Metric, Page
from etl.svgcharts import number

SHANGHAI = ZoneInfo("Asia/Shanghai")
YUAN = "CNY"
# Aid money put in by the helping side: category funding and money kind aid_funding (docs/metrics.md), so a
# price, a wage or a sale is never added to it.
FUNDING_CATEGORY = "funding"
AID_FUNDING = "aid_funding"
TOP = 15  # bars in a ranking; the rest are summed into one grey bar
TOP_OUTLETS = 12  # outlets shown; the long tail of one-article outlets is only counted
UNKNOWN = "未识别"
NO_OUTLET = "未注明来源"
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
    primary = col(Article.duplicate_of).is_(None)
    with engine.connect() as conn:
        articles = conn.execute(
            sa.select(
                col(Article.id), col(Article.published_at), col(Article.news_source), col(Article.recipient_province)
            ).where(primary)
        ).all()
        funding = conn.execute(
            sa.select(
                col(Metric.value),
                col(Article.id),
                col(Article.published_at),
                col(Article.provider_province),
                col(Article.recipient_province),
                col(Article.recipient_prefecture),
                col(Article.recipient_county),
            )
            .join(Article, col(Article.id) == col(Metric.article_id))
            .where(
                primary,
                col(Metric.category) == FUNDING_CATEGORY,
                col(Metric.money_kind) == AID_FUNDING,
                col(Metric.unit) == YUAN,
            )
        ).all()
        categories = conn.execute(
            sa.select(
                col(Metric.category), sa.func.count(col(Metric.id)), sa.func.count(sa.distinct(col(Metric.article_id)))
            )
            .join(Article, col(Article.id) == col(Metric.article_id))
            .where(primary)
            .group_by(col(Metric.category))
        ).all()
        garbled = conn.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(col(Article.garbled_found)), 0),
                sa.func.coalesce(sa.func.sum(col(Article.garbled_repaired)), 0),
                sa.func.count(col(Article.id)).filter(col(Article.garbled_found) > 0),
                sa.func.count(col(Article.id)).filter(col(Article.duplicate_of).is_not(None)),
            )
        ).one()
        pages = conn.execute(
            sa.select(col(Page.source_name), col(Page.etl_status), sa.func.count(col(Page.id))).group_by(
                col(Page.source_name), col(Page.etl_status)
            )
        ).all()
        unclassified = count_unclassified(conn)  # not added to the funding total until re-extracted
        per_source = conn.execute(
            sa.select(
                col(Article.source_name),
                sa.func.count(col(Article.id)).filter(primary),
                sa.func.count(col(Article.id)).filter(col(Article.duplicate_of).is_not(None)),
                sa.func.count(col(Article.id)).filter(col(Article.garbled_found) > 0),
            ).group_by(col(Article.source_name))
        ).all()

    dated = [local(a.published_at) for a in articles if a.published_at]
    first, last = (min(dated), max(dated)) if dated else (None, None)
    months = _months(first, last) if first and last else []
    per_month_articles = Counter(d.strftime("%Y-%m") for d in dated)
    per_month_funding: dict[str, Decimal] = defaultdict(Decimal)
    by_provider: dict[str, list] = {}
    by_recipient: dict[str, list] = {}
    undated_funding = Decimal(0)
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
