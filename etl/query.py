"""Read-side queries behind `aidnews articles`, `article`, `metrics`, `export` and `status`.

Filters arrive checked and resolved (etl.filters.Criteria); searching is etl.store.search; the per-source part of
`status` is etl.health. Listings return the rows up to their limit and how many match in all, so that a table can
say how many it leaves out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col

from etl import clock
from etl.filters import Criteria, article_conditions, has_metrics, metric_conditions
from etl.health import source_health
from etl.metrics import SHARE_UNITS
from etl.staleness import NO_KIND_CATEGORY, UNCLASSIFIED, count_unclassified, staleness
from etl.store import search
from etl.store.models import Article, Metric, Page, Run, Service, table_of
from etl.store.pages import PageState
from etl.store.runs import RunStatus, left_running

GROUPS = {
    "provider": (col(Article.provider_province), col(Article.provider_prefecture)),
    "recipient": (col(Article.recipient_province), col(Article.recipient_prefecture)),
    "program": (col(Article.program),),
    "category": (col(Metric.category),),
    "year": (),
    "source": (col(Article.source_name),),
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
    return session.execute(sa.select(sa.func.count(col(Article.id)))).scalar_one()


def articles(session: Session, criteria: Criteria, *, limit: int = 50) -> Listing:
    """Articles matching the criteria: by relevance when searching (with a snippet), else newest first.

    The matching is done once: an inner query ranks the ids and counts the matches (a window count), and only
    the rows shown are then read whole. A search ranks at most `search.ranked_at_most` matches, the most recently
    stored, and counts no further (`Listing.more`): ranking costs work per match, and a term held by most
    articles (援, 新疆) would otherwise cost a pass over nearly the whole database. On PostgreSQL it looks for them
    among the newest articles first, widening the range until it holds enough (`search.widen`): the answer is
    the same, and a common term is not looked up in every article that holds it.
    """
    dialect = _dialect(session)
    if criteria.query is None:
        found_rows = session.execute(_listing(criteria, dialect, limit)).all()
        return Listing([_article_row(found, metrics) for found, metrics, _, _ in found_rows], _total(found_rows))
    query = criteria.query
    bound = search.ranked_at_most(dialect)
    newest = session.execute(sa.select(sa.func.max(col(Article.id)))).scalar() if dialect == "postgresql" else None
    span = search.WINDOW_FIRST * bound
    with search.index_lookups(session):
        while True:
            floor = newest - span + 1 if newest is not None and newest > span else None
            found_rows = session.execute(_listing(criteria, dialect, limit, floor)).all()
            if floor is None or newest is None or _total(found_rows) > bound:
                break
            span = search.widen(span, _total(found_rows), bound, newest)
    rows = []
    for found, metrics, score_, _ in found_rows:
        row = _article_row(found, metrics)
        # four significant digits order the rows as well as fifteen do, and a reader can compare them
        row["score"] = float(f"{float(score_):.4g}")
        row["snippet"] = search.make_snippet(query, found.title, found.body)
        rows.append(row)
    total = _total(found_rows)
    if total > bound:
        return Listing(rows, bound, more=True)
    return Listing(rows, total)


def _total(found_rows: Sequence[sa.Row]) -> int:
    return max((row[-1] for row in found_rows), default=0)


def _listing(criteria: Criteria, dialect: str, limit: int, floor: int | None = None) -> sa.Select:
    """The query behind `articles`: (article, figures, score, matches in all) of the rows shown."""
    where = [*article_conditions(criteria, dialect, with_search=False), *has_metrics(criteria)]
    source: sa.FromClause = table_of(Article)
    bound = search.ranked_at_most(dialect)
    score: sa.ColumnElement = sa.null()
    ranking = search.ranking(criteria.query, dialect, floor) if criteria.query is not None else None
    if ranking is not None:
        where.append(ranking.where)
        if not ranking.scored_apart:
            for join in ranking.joins:
                source = sa.join(source, join.target, join.on)
            score = ranking.score
    # SQLite evaluates a window query's columns where FTS5's bm25() no longer has its match: score in a subquery
    matched_query = (
        sa.select(col(Article.id).label("id"), col(Article.published_at).label("published_at"), score.label("score"))
        .select_from(source)
        .where(*where)
    )
    if ranking is not None:  # the most recent matches, read in the index's id order, and one more
        matched_query = matched_query.order_by(ranking.recency.desc()).limit(bound + 1)
    matched = matched_query.subquery("matched")
    if ranking is not None and ranking.scored_apart:
        # scored once the matches are bounded: a planner that underestimates a term's matches would otherwise
        # count its occurrences in every article holding it (19,080 articles, 0.6 s, at 100,000 on PostgreSQL)
        scored_from = sa.join(matched, table_of(Article), matched.c.id == col(Article.id))
        for join in ranking.joins:
            scored_from = sa.join(scored_from, join.target, join.on)
        matched = (
            sa.select(matched.c.id, matched.c.published_at, ranking.score.label("score"))
            .select_from(scored_from)
            .subquery("scored")
        )
    if ranking is not None:  # counted up to one past the bound, which says that there are more and is not ranked
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
    metric_count = (
        sa.select(sa.func.count(col(Metric.id))).where(col(Metric.article_id) == col(Article.id)).scalar_subquery()
    )
    return (
        sa.select(Article, metric_count.label("metrics"), ranked.c.score, ranked.c.total)
        .join(ranked, ranked.c.id == col(Article.id))
        .order_by(
            ranked.c.score.desc() if ranking is not None else ranked.c.published_at.desc().nulls_last(),
            ranked.c.id.desc(),
        )
    )


def _metric_query(criteria: Criteria, dialect: str) -> sa.Select:
    return (
        sa.select(Metric, col(Article.title), col(Article.url), col(Article.published_at), col(Article.duplicate_of))
        .join(Article, col(Article.id) == col(Metric.article_id))
        .where(*article_conditions(criteria, dialect), *metric_conditions(criteria))
    )


def metrics(session: Session, criteria: Criteria, *, limit: int = 100, article_id: int | None = None) -> Listing:
    """Figures matching the criteria, newest articles first, in the order each article states them."""
    query = _metric_query(criteria, _dialect(session))
    if article_id is not None:
        query = query.where(col(Metric.article_id) == article_id)
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    query = query.order_by(col(Article.published_at).desc().nulls_last(), col(Metric.article_id), col(Metric.start))
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
    no total but the range and the list of the values stated; nor is money an older extractor stored without a
    kind (kind ``unclassified``, etl.staleness), which may be aid, a price or a wage."""
    if group_by not in GROUPS:
        raise ValueError(f"cannot group by {group_by!r}; choose one of {', '.join(GROUPS)}")
    if criteria.filters.duplicates:
        raise ValueError("totals count each article once: --duplicates cannot be combined with --group-by")
    columns = GROUPS[group_by]
    query = (
        sa.select(
            col(Metric.value),
            col(Metric.unit),
            col(Metric.money_kind),
            col(Metric.text),
            col(Metric.sentence),
            col(Article.id),
            col(Article.title),
            col(Article.published_at),
            col(Metric.category),
            *columns,
        )
        .join(Article, col(Article.id) == col(Metric.article_id))
        .where(*article_conditions(criteria, _dialect(session)), *metric_conditions(criteria))
    )
    totals: dict[tuple[str, str, str], dict[str, Any]] = {}
    evidence: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in session.execute(query).all():
        value, unit_, kind, text, sentence, aid, title, published, category = row[:9]
        if group_by == "year":
            key = str(clock.local(published).year) if published else "(no date)"
        else:
            key = " ".join(str(v) for v in row[9:] if v) or "(unknown)"
        if unit_ == "CNY" and kind is None:  # none of the kinds (category other), or stored before the kinds
            kind = "other" if category == NO_KIND_CATEGORY else UNCLASSIFIED
        kind = kind if unit_ == "CNY" else ""
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
        if slot["unit"] in SHARE_UNITS or slot["kind"] in ("price", UNCLASSIFIED):  # their sums mean nothing
            slot["total"] = None
            slot["range"] = f"{values[0]}–{values[-1]}" if values[0] != values[-1] else str(values[0])
            slot["values"] = values
        else:
            slot["range"] = None
        if with_evidence:
            slot["evidence"] = evidence[k]
        out.append(slot)
    return out


def unclassified_figures(session: Session, criteria: Criteria) -> int:
    """Money figures under ``criteria`` that totals leave out: no kind-aware extractor has read them yet."""
    wanted = [col(Metric.category) == criteria.category] if criteria.category else []
    wanted += [col(Metric.unit) == criteria.unit] if criteria.unit else []
    return count_unclassified(session, *article_conditions(criteria, _dialect(session)), *wanted)


def article(session: Session, article_id: int) -> dict[str, Any] | None:
    """One article whole: metadata, body (and as published), its figures with their sentences, quality flags."""
    found = session.get(Article, article_id)
    if found is None:
        return None
    page = session.get(Page, found.page_id) if found.page_id is not None else None
    figures = (
        session.execute(
            sa.select(Metric).where(col(Metric.article_id) == article_id).order_by(col(Metric.start), col(Metric.id))
        )
        .scalars()
        .all()
    )
    copies = list(
        session.execute(
            sa.select(col(Article.id)).where(col(Article.duplicate_of) == article_id).order_by(col(Article.id))
        ).scalars()
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
    low, high = session.execute(sa.select(sa.func.min(col(Article.id)), sa.func.max(col(Article.id)))).one()
    return None if low is None else (low, high)


def status(session: Session, configured: Sequence[str] = ()) -> dict[str, Any]:
    """Counts, pending work, recent runs and the health of every source (`configured`: the sources file's)."""
    count = lambda q: session.execute(q).scalar_one()  # noqa: E731
    summary: dict[str, Any] = {
        "articles": count(sa.select(sa.func.count(col(Article.id)))),
        "primary_articles": count(sa.select(sa.func.count(col(Article.id))).where(col(Article.duplicate_of).is_(None))),
        "metrics": count(sa.select(sa.func.count(col(Metric.id)))),
        "pages": count(sa.select(sa.func.count(col(Page.id)))),
        "pages_pending": count(sa.select(sa.func.count(col(Page.id))).where(col(Page.etl_status) == PageState.PENDING)),
        "pages_failed": count(sa.select(sa.func.count(col(Page.id))).where(col(Page.etl_status) == PageState.ERROR)),
    }
    runs = session.execute(sa.select(Run).order_by(col(Run.id).desc()).limit(10)).scalars().all()
    # A run whose process died (SIGKILL, a lost container) stays `running` in the table until the next job of its
    # machine reaps it; shown as what it is meanwhile (reading, status writes nothing).
    crashed = {r.id: why for r in runs if (why := left_running(r.status, r.pid, r.host)) is not None}
    summary["recent_runs"] = [
        {
            "id": r.id,
            "kind": r.kind,
            "source": r.source_name,
            "status": RunStatus.CRASHED.value if r.id in crashed else r.status,
            "started_at": local_time(r.started_at),
            "finished_at": local_time(r.finished_at),
            "counts": r.counts,
            "error": (r.error or crashed[r.id]) if r.id in crashed else r.error,  # as reap_stale_runs writes
        }
        for r in runs
    ]
    from etl.extract import EXTRACTOR_VERSION  # the cleaner's modules load only for this command

    summary["extraction"] = asdict(staleness(session, EXTRACTOR_VERSION))  # articles an older extractor built
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
    row = session.execute(sa.select(Service).order_by(col(Service.id).desc()).limit(1)).scalar_one_or_none()
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
