"""Read-side queries behind `aidnews articles`, `article`, `metrics`, `export` and `status`.

Filters arrive checked and resolved (etl.filters.Criteria); searching is etl.store.search. Listings return the
rows up to their limit and how many match in all, so that a table can say how many it leaves out.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col

from etl import clock
from etl.filters import Criteria, article_conditions, has_metrics, metric_conditions
from etl.metrics import SHARE_UNITS
from etl.store import search
from etl.store.models import Article, Metric, Page, Run, Service, Source
from etl.store.pages import PageState
from etl.store.runs import RunKind, RunStatus

GARBLED_WARNING_SHARE = 0.2  # a source whose articles come garbled more often than this is read wrongly
SHOWN_ERRORS = 5  # failed URLs of a source's last erring crawl, in `status --format json`
NEVER_CRAWLED = "never crawled"
UNNAMED_SOURCE = "(no source)"  # the row of pages stored without a source name
GROUPS = {
    "provider": (Article.provider_province, Article.provider_prefecture),
    "recipient": (Article.recipient_province, Article.recipient_prefecture),
    "program": (Article.program,),
    "category": (Metric.category,),
    "year": (),
    "source": (Article.source_name,),
}


def local_time(value: datetime | None, timespec: str = "minutes") -> str | None:
    return clock.iso(value, timespec)


@dataclass(frozen=True)
class Listing:
    """The rows a listing shows and how many match in all (the rows stop at the limit)."""

    rows: list[dict[str, Any]]
    total: int
    more: bool = False  # more than `total` match: counting stopped there (a search ranks a bounded number)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _place(*parts: str | None) -> str | None:
    named = [p for p in parts if p]
    return " ".join(named) or None


def _article_row(article: Article, metrics: int) -> dict[str, Any]:
    return {
        "id": article.id,
        "published_at": local_time(article.published_at),
        "title": article.title,
        "source": article.source_name,
        "news_source": article.news_source,
        "author": article.author,
        "editor": article.editor,
        "program": article.program,
        "provider": _place(article.provider_province, article.provider_prefecture, article.provider_county),
        "recipient": _place(article.recipient_province, article.recipient_prefecture, article.recipient_county),
        "batch": article.batch,
        "topics": article.topics,
        "metrics": metrics,
        "duplicate_of": article.duplicate_of,
        "script": article.script,
        "garbled_found": article.garbled_found,
        "url": article.url,
        "canonical_url": article.canonical_url,
    }


def stored_articles(session: Session) -> int:
    return session.execute(sa.select(sa.func.count(Article.id))).scalar_one()


def articles(session: Session, criteria: Criteria, *, limit: int = 50) -> Listing:
    """Articles matching the criteria: by relevance when searching (with a snippet), else newest first.

    The matching is done once: an inner query ranks the ids and counts the matches (a window count), and only
    the rows shown are then read whole. A search ranks at most `search.ranked_at_most` matches, the most recently
    stored, and counts no further (`Listing.more`): ranking costs work per match, and a term held by most
    articles (援, 新疆) would otherwise cost a pass over nearly the whole database.
    """
    dialect = _dialect(session)
    where = [*article_conditions(criteria, dialect, with_search=False), *has_metrics(criteria)]
    source: sa.FromClause = Article.__table__  # type: ignore[assignment]
    searching = criteria.query is not None
    bound = search.ranked_at_most(dialect)
    if criteria.query is not None:
        ranking = search.ranking(criteria.query, dialect)
        for join in ranking.joins:
            source = sa.join(source, join.target, join.on)
        where.append(ranking.where)
        score: sa.ColumnElement = ranking.score
    else:
        score = sa.null()
    # SQLite evaluates a window query's columns where FTS5's bm25() no longer has its match: score in a subquery
    matched_query = (
        sa.select(col(Article.id).label("id"), col(Article.published_at).label("published_at"), score.label("score"))
        .select_from(source)
        .where(*where)
    )
    if criteria.query is not None:  # the most recent matches, read in the index's id order, and one more
        matched_query = matched_query.order_by(ranking.recency.desc()).limit(bound + 1)
    matched = matched_query.subquery("matched")
    if searching:  # counted up to one past the bound, which says that there are more and is not ranked
        numbered = sa.select(
            matched,
            sa.func.row_number().over(order_by=matched.c.id.desc()).label("recent"),
            sa.func.count().over().label("total"),
        ).subquery("numbered")
        ranked = (
            sa.select(numbered.c.id, numbered.c.published_at, numbered.c.score, numbered.c.total)
            .where(numbered.c.recent <= bound)
            .order_by(numbered.c.score.desc(), numbered.c.id.desc())
            .limit(limit)
            .subquery("ranked")
        )
    else:
        ranked = (
            sa.select(matched, sa.func.count().over().label("total"))
            .order_by(matched.c.published_at.desc().nulls_last(), matched.c.id.desc())
            .limit(limit)
            .subquery("ranked")
        )
    metric_count = sa.select(sa.func.count(Metric.id)).where(Metric.article_id == Article.id).scalar_subquery()
    query = (
        sa.select(Article, metric_count.label("metrics"), ranked.c.score, ranked.c.total)
        .join(ranked, ranked.c.id == Article.id)
        .order_by(
            ranked.c.score.desc() if searching else ranked.c.published_at.desc().nulls_last(),
            ranked.c.id.desc(),
        )
    )
    rows, totals = [], [0]
    with search.index_lookups(session) if searching else nullcontext():
        found_rows = session.execute(query).all()
    for found, metrics, score_, total in found_rows:
        totals.append(total)
        row = _article_row(found, metrics)
        if criteria.query is not None:
            row["score"] = float(score_)
            row["snippet"] = search.make_snippet(criteria.query, found.title, found.body)
        rows.append(row)
    total = max(totals)
    if searching and total > bound:
        return Listing(rows, bound, more=True)
    return Listing(rows, total)


def _metric_query(criteria: Criteria, dialect: str) -> sa.Select:
    return (
        sa.select(Metric, Article.title, Article.url, Article.published_at, Article.duplicate_of)
        .join(Article, Article.id == Metric.article_id)
        .where(*article_conditions(criteria, dialect), *metric_conditions(criteria))
    )


def metrics(session: Session, criteria: Criteria, *, limit: int = 100, article_id: int | None = None) -> Listing:
    """Figures matching the criteria, newest articles first, in the order each article states them."""
    query = _metric_query(criteria, _dialect(session))
    if article_id is not None:
        query = query.where(Metric.article_id == article_id)
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    query = query.order_by(Article.published_at.desc().nulls_last(), Metric.article_id, Metric.start)
    rows = []
    for metric, title, url, published, duplicate_of in session.execute(query.limit(limit)).all():
        rows.append(
            {
                "article_id": metric.article_id,
                "title": title,
                "published_at": local_time(published),
                "text": metric.text,
                "value": metric.value,
                "value_max": metric.value_max,
                "unit": metric.unit,
                "qualifier": metric.qualifier,
                "category": metric.category,
                "money_kind": metric.money_kind,
                "subject": metric.subject,
                "sentence": metric.sentence,
                "duplicate": duplicate_of is not None,
                "duplicate_of": duplicate_of,
                "url": url,
            }
        )
    return Listing(rows, total)


def grouped_metrics(
    session: Session, group_by: str, criteria: Criteria, *, with_evidence: int = 0
) -> list[dict[str, Any]]:
    """Totals per group, unit and money kind (CNY is never added to persons, wages never to aid funding), over
    primary articles only. Shares (percent, percentage points) and prices are never added up: their rows carry
    no total but the range and the list of the values stated."""
    if group_by not in GROUPS:
        raise ValueError(f"cannot group by {group_by!r}; choose one of {', '.join(GROUPS)}")
    if criteria.filters.duplicates:
        raise ValueError("totals count each article once: --duplicates cannot be combined with --group-by")
    columns = GROUPS[group_by]
    query = (
        sa.select(
            Metric.value,
            Metric.unit,
            Metric.money_kind,
            Metric.text,
            Metric.sentence,
            Article.id,
            Article.title,
            Article.published_at,
            *columns,
        )
        .join(Article, Article.id == Metric.article_id)
        .where(*article_conditions(criteria, _dialect(session)), *metric_conditions(criteria))
    )
    totals: dict[tuple[str, str, str], dict[str, Any]] = {}
    evidence: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in session.execute(query).all():
        value, unit_, kind, text, sentence, aid, title, published = row[:8]
        if group_by == "year":
            key = str(clock.local(published).year) if published else "(no date)"
        else:
            key = " ".join(str(v) for v in row[8:] if v) or "(unknown)"
        kind = (kind or "other") if unit_ == "CNY" else ""  # other: none of the kinds, or stored before kinds
        slot = totals.setdefault(
            (key, unit_, kind),
            {
                group_by: key,
                "unit": unit_,
                "kind": kind or None,
                "total": Decimal(0),
                "mentions": 0,
                "articles": set(),
                "values": [],
            },
        )
        slot["total"] += value
        slot["values"].append(value)
        slot["mentions"] += 1
        slot["articles"].add(aid)
        if len(evidence[(key, unit_, kind)]) < with_evidence:
            evidence[(key, unit_, kind)].append({"article_id": aid, "title": title, "text": text, "sentence": sentence})
    out = []
    for k, slot in sorted(totals.items()):
        slot["articles"] = len(slot["articles"])
        values = sorted(slot.pop("values"))
        if slot["unit"] in SHARE_UNITS or slot["kind"] == "price":  # a sum of shares or of prices means nothing
            slot["total"] = None
            slot["range"] = f"{values[0]}–{values[-1]}" if values[0] != values[-1] else str(values[0])
            slot["values"] = values
        else:
            slot["range"] = None
        if with_evidence:
            slot["evidence"] = evidence[k]
        out.append(slot)
    return out


def article(session: Session, article_id: int) -> dict[str, Any] | None:
    """One article whole: metadata, body (and as published), its figures with their sentences, quality flags."""
    found = session.get(Article, article_id)
    if found is None:
        return None
    page = session.get(Page, found.page_id) if found.page_id is not None else None
    figures = (
        session.execute(sa.select(Metric).where(Metric.article_id == article_id).order_by(Metric.start, Metric.id))
        .scalars()
        .all()
    )
    copies = list(
        session.execute(sa.select(Article.id).where(Article.duplicate_of == article_id).order_by(Article.id)).scalars()
    )
    return {
        **_article_row(found, len(figures)),
        "subtitle": found.subtitle,
        "period_start": found.period_start,
        "period_end": found.period_end,
        "provider_inferred": found.provider_inferred,
        "recipient_inferred": found.recipient_inferred,
        "fetched_at": local_time(page.fetched_at) if page else None,
        "encoding": page.detected_encoding if page else None,
        "updated_at": local_time(found.updated_at),
        "quality": {
            "script": found.script,
            "pinyin_stripped": found.pinyin_stripped,
            "garbled_found": found.garbled_found,
            "garbled_repaired": found.garbled_repaired,
            "garbled_spans": found.garbled_spans,
            "duplicate_of": found.duplicate_of,
            "copies": copies,
            "provider_inferred": found.provider_inferred,
            "recipient_inferred": found.recipient_inferred,
            "extractor_version": found.extractor_version,
        },
        "images": found.images,
        "body": found.body,
        "body_original": found.body_original,
        "figures": [
            {
                "id": m.id,
                "text": m.text,
                "value": m.value,
                "value_max": m.value_max,
                "unit": m.unit,
                "qualifier": m.qualifier,
                "category": m.category,
                "subject": m.subject,
                "start": m.start,
                "end": m.end,
                "sentence": m.sentence,
            }
            for m in figures
        ],
    }


def article_ids(session: Session) -> tuple[int, int] | None:
    """The lowest and highest stored article id, or None when there is none."""
    low, high = session.execute(sa.select(sa.func.min(Article.id), sa.func.max(Article.id))).one()
    return None if low is None else (low, high)


def status(session: Session, configured: Sequence[str] = ()) -> dict[str, Any]:
    """Counts, pending work, recent runs and the health of every source (`configured`: the sources file's)."""
    count = lambda q: session.execute(q).scalar_one()  # noqa: E731
    summary: dict[str, Any] = {
        "articles": count(sa.select(sa.func.count(Article.id))),
        "primary_articles": count(sa.select(sa.func.count(Article.id)).where(Article.duplicate_of.is_(None))),
        "metrics": count(sa.select(sa.func.count(Metric.id))),
        "pages": count(sa.select(sa.func.count(Page.id))),
        "pages_pending": count(sa.select(sa.func.count(Page.id)).where(Page.etl_status == PageState.PENDING)),
        "pages_failed": count(sa.select(sa.func.count(Page.id)).where(Page.etl_status == PageState.ERROR)),
    }
    runs = session.execute(sa.select(Run).order_by(Run.id.desc()).limit(10)).scalars().all()
    summary["recent_runs"] = [
        {
            "id": r.id,
            "kind": r.kind,
            "source": r.source_name,
            "status": r.status,
            "started_at": local_time(r.started_at),
            "finished_at": local_time(r.finished_at),
            "counts": r.counts,
            "error": r.error,
        }
        for r in runs
    ]
    summary["sources"] = source_health(session, configured)
    summary["service"] = service_state(session)
    summary["tables"] = table_sizes(session)
    return summary


def table_sizes(session: Session) -> list[dict[str, Any]]:
    """Rows per table, and bytes on disk (with its indexes) where the database can tell: SQLite's dbstat
    table (when compiled in), PostgreSQL's pg_total_relation_size. What grows, and by how much."""
    names = sorted(SQLModel.metadata.tables)
    sizes: dict[str, int] = {}
    dialect = session.get_bind().dialect.name
    try:
        if dialect == "sqlite":
            rows = session.execute(
                sa.text(
                    "SELECT m.tbl_name, SUM(s.pgsize) FROM dbstat s JOIN sqlite_master m ON m.name = s.name "
                    "GROUP BY m.tbl_name"
                )
            ).all()
            sizes = {name: int(size) for name, size in rows}
        elif dialect == "postgresql":
            sizes = {
                name: int(
                    session.execute(
                        sa.text("SELECT pg_total_relation_size(CAST(:t AS regclass))"), {"t": name}
                    ).scalar_one()
                )
                for name in names
            }
    except sa.exc.DBAPIError:  # no dbstat in this SQLite build
        session.rollback()
    out = []
    for name in names:
        table = SQLModel.metadata.tables[name]
        rows_count = session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        out.append({"table": name, "rows": rows_count, "bytes": sizes.get(name)})
    return out


def service_state(session: Session, stale_after: float = 180.0) -> dict[str, Any] | None:
    """The newest scheduler's record: running (with its jobs' next runs) or when it was last seen."""
    row = session.execute(sa.select(Service).order_by(Service.id.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        return None
    age = (datetime.now(row.heartbeat_at.tzinfo) - row.heartbeat_at).total_seconds()
    state = "stopped" if row.stopped_at else ("running" if age <= stale_after else "silent")
    return {
        "state": state,
        "host": row.host,
        "pid": row.pid,
        "started_at": local_time(row.started_at),
        "last_seen": local_time(row.heartbeat_at),
        "jobs": [
            {
                "job": j["job"],
                "next_run": local_time(datetime.fromisoformat(j["next_run"]), "seconds") if j["next_run"] else "paused",
            }
            for j in row.jobs
        ],
    }


HEALTH_WINDOW = 20  # a source's latest crawls that health looks at
QUIET_CRAWLS = 3  # crawls in a row with nothing new before `status` says so …
MIN_HISTORY = 3  # … and only with at least this many earlier crawls (after the first full one) to compare with


@dataclass(frozen=True)
class CrawlYield:
    """What one successful crawl brought from one source."""

    run_id: int
    new_pages: int  # new article pages stored
    list_pages: int | None  # list pages read (None: a crawl recorded before these were counted)


def crawl_yields(session: Session, name: str, window: int = HEALTH_WINDOW) -> tuple[int | None, list[CrawlYield]]:
    """The id of the source's first full crawl, and its latest successful crawls, newest first.

    The first full crawl is the one that read all its list pages (`source.full_crawl_run`); for crawls
    recorded before that was kept, the source's first successful crawl stands in.
    """
    marked = session.execute(sa.select(Source.full_crawl_run).where(Source.name == name)).scalar_one_or_none()
    runs = session.execute(
        sa.select(Run.id, Run.source_name, Run.counts)
        .where(
            Run.kind == RunKind.CRAWL, Run.status.in_([RunStatus.OK, RunStatus.PARTIAL]), Run.source_name.contains(name)
        )
        .order_by(Run.id.desc())
    ).all()
    mine = [(run_id, counts or {}) for run_id, names, counts in runs if name in (names or "").split(",")]
    yields = []
    for run_id, counts in mine[:window]:
        if "by_source" in counts:  # counted per source (a source that fetched nothing has no entry)
            own = counts["by_source"].get(name) or {}
            yields.append(CrawlYield(run_id, int(own.get("articles_new", 0)), int(own.get("fetched_list", 0))))
        else:  # a run recorded before per-source counts: its totals
            yields.append(CrawlYield(run_id, int(counts.get("pages_stored", 0)), counts.get("fetched_list")))
    return (marked if marked is not None else mine[-1][0] if mine else None), yields


def quiet_warning(first_full: int | None, yields: list[CrawlYield]) -> str | None:
    """A warning when the latest QUIET_CRAWLS crawls found nothing new though the source usually yields pages.

    "Usually" is the median of the crawls before them, after the source's first full crawl (whose burst of a
    whole archive says nothing about a normal day), and needs MIN_HISTORY of them; the warning names the
    crawls it compared.
    """
    after_first = [y for y in yields if first_full is None or y.run_id > first_full]
    recent, history = after_first[:QUIET_CRAWLS], after_first[QUIET_CRAWLS:]
    if len(recent) < QUIET_CRAWLS or len(history) < MIN_HISTORY or any(y.new_pages for y in recent):
        return None
    usual = statistics.median_low(y.new_pages for y in history)
    if usual == 0:
        return None
    quiet = ", ".join(f"#{y.run_id}" for y in reversed(recent))
    return (
        f"nothing new in crawls {quiet}, though crawls #{history[-1].run_id}–#{history[0].run_id} "
        f"(after the first full crawl #{first_full}) yielded a median of {usual} new pages"
    )


def source_health(
    session: Session, configured: Sequence[str] = (), window: int = 10, recent_pages: int = 20
) -> list[dict[str, Any]]:
    """Per source: its pages, articles, last crawl and last success, last error, new pages per crawl, warnings.

    Every source is listed: those of `configured` (the sources file) and of the `source` table, even one never
    crawled or never successful, and every source that has pages; pages without a source get a row of their
    own, so the rows' pages add up to the database's. Warnings name the signs of trouble: a last crawl that
    fetched nothing, several crawls in a row with nothing new where the source usually yields pages, a share of
    garbled articles above GARBLED_WARNING_SHARE, and a recent share of failed or garbled extractions far above
    its usual.
    """
    pages_by_source = dict(
        session.execute(sa.select(Page.source_name, sa.func.count(Page.id)).group_by(Page.source_name)).all()
    )
    known = {name for (name,) in session.execute(sa.select(Source.name))}
    names = sorted(known | set(configured) | {n for n in pages_by_source if n})
    out = [_health(session, name, pages_by_source.get(name, 0), window, recent_pages) for name in names]
    if pages_by_source.get(None):
        out.append(
            {
                "source": UNNAMED_SOURCE,
                "pages": pages_by_source[None],
                "articles": 0,
                "failed": 0,
                "garbled_share": 0.0,
                "last_crawl": None,
                "last_success": None,
                "last_error": None,
                "last_error_at": None,
                "last_errors": [],
                "first_full_crawl": None,
                "new_pages_last_runs": [],
                "list_pages_last_runs": [],
                "usual_new_pages": None,
                "warnings": [],
            }
        )
    return out


def _crawls_of(session: Session, name: str, window: int) -> list[Run]:
    """The latest crawls that included this source (a run's label lists its sources, comma-separated)."""
    query = (
        sa.select(Run)
        .where(Run.kind == RunKind.CRAWL, Run.source_name.contains(name, autoescape=True))
        .order_by(Run.id.desc())
        .limit(window * 4)
    )
    return [r for r in session.execute(query).scalars() if name in (r.source_name or "").split(",")][:window]


def _answered(run: Run, name: str) -> bool | None:
    """Did the source give anything in this crawl? None when the crawl kept no per-source counts (older runs)."""
    per = (run.counts or {}).get("sources", {}).get(name)
    if per is None:
        return None if run.status != RunStatus.RUNNING else False
    return bool(per.get("responses"))


def _succeeded(run: Run, name: str) -> bool:
    answered = _answered(run, name)
    return answered if answered is not None else run.status == RunStatus.OK


def _last_error(run: Run, name: str) -> str | None:
    """What went wrong for this source in this crawl: its errors by reason, or why the crawl itself failed."""
    per = (run.counts or {}).get("sources", {}).get(name)
    if per and per.get("errors"):
        reasons = sorted(
            ((k.removeprefix("error: "), v) for k, v in per.items() if k.startswith("error: ")),
            key=lambda kv: (-kv[1], kv[0]),
        )
        return ", ".join(f"{reason} ({n})" if n > 1 else reason for reason, n in reasons) or "errors"
    if run.status not in (RunStatus.OK, RunStatus.PARTIAL, RunStatus.RUNNING) and run.error:
        return f"crawl {run.status}: {run.error.strip().splitlines()[-1]}"
    return None


def _health(session: Session, name: str, pages: int, window: int, recent_pages: int) -> dict[str, Any]:
    states = dict(
        session.execute(
            sa.select(Page.etl_status, sa.func.count(Page.id))
            .where(Page.kind == "article", Page.source_name == name)
            .group_by(Page.etl_status)
        ).all()
    )
    article_pages = sum(states.values())
    articles, garbled, repaired = session.execute(
        sa.select(
            sa.func.count(Article.id),
            sa.func.count(Article.id).filter(Article.garbled_found > 0),
            sa.func.count(Article.id).filter(Article.garbled_repaired > 0),
        ).where(Article.source_name == name)
    ).one()
    crawls = _crawls_of(session, name, window)
    finished = [r for r in crawls if r.status != RunStatus.RUNNING]
    first_full, yields = crawl_yields(session, name, window)
    before_latest = [y.new_pages for y in yields[QUIET_CRAWLS:] if first_full is None or y.run_id > first_full]
    usual = statistics.median_low(before_latest) if len(before_latest) >= MIN_HISTORY else None
    last_ok = next((r for r in finished if _succeeded(r, name)), None)
    with_error = next(((r, e) for r in finished if (e := _last_error(r, name))), None)
    last = finished[0] if finished else None
    bad_total = states.get(PageState.ERROR, 0) + garbled
    recent = session.execute(
        sa.select(Page.etl_status, Article.garbled_found)
        .outerjoin(Article, Article.page_id == Page.id)
        .where(Page.kind == "article", Page.source_name == name, Page.etl_status.in_([PageState.DONE, PageState.ERROR]))
        .order_by(Page.id.desc())
        .limit(recent_pages)
    ).all()
    recent_bad = sum(1 for status, g in recent if status == PageState.ERROR or (g or 0) > 0)
    recent_share = recent_bad / len(recent) if recent else 0.0
    older = article_pages - len(recent)  # the baseline is the source's earlier pages, not the ones being judged
    usual_share = (bad_total - recent_bad) / older if older > 0 else 0.0
    warnings = []
    if last is None:
        warnings.append(NEVER_CRAWLED)
    elif not _succeeded(last, name):
        warnings.append("its last crawl fetched nothing" + ("" if last_ok else ", and no crawl ever did"))
    if quiet := quiet_warning(first_full, yields):
        warnings.append(quiet)
    if articles and garbled / articles > GARBLED_WARNING_SHARE:
        warnings.append(
            f"{garbled / articles:.0%} of its articles came with garbled characters ({repaired} "
            "repaired): check its encoding"
        )
    if len(recent) >= 10 and recent_share >= 0.3 and recent_share > 2 * usual_share:
        warnings.append(
            f"{recent_share:.0%} of its latest pages failed or came out garbled "
            f"(usually {usual_share:.0%}): has its layout or encoding changed?"
        )
    elif article_pages and states.get(PageState.ERROR, 0) / article_pages > 0.2:
        warnings.append(f"{states[PageState.ERROR] / article_pages:.0%} of its pages failed extraction")
    last_errors = (
        []
        if with_error is None
        else [e for e in (with_error[0].errors or []) if isinstance(e, dict) and e.get("source") == name][:SHOWN_ERRORS]
    )
    return {
        "source": name,
        "pages": pages,
        "articles": articles,
        "failed": states.get(PageState.ERROR, 0),
        "garbled_share": round(garbled / articles, 3) if articles else 0.0,
        "last_crawl": "never" if last is None else ("ok" if _succeeded(last, name) else "failed"),
        "last_success": local_time(last_ok.finished_at) if last_ok else None,
        "last_error": with_error[1] if with_error else None,
        "last_error_at": local_time(with_error[0].finished_at) if with_error else None,
        "last_errors": last_errors,
        "first_full_crawl": first_full,
        "new_pages_last_runs": [y.new_pages for y in yields[:5]],
        "list_pages_last_runs": [y.list_pages for y in yields[:5]],
        "usual_new_pages": usual,
        "warnings": warnings,
    }
