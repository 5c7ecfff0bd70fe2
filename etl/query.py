"""Read-side queries behind `aidnews articles`, `aidnews metrics` and `aidnews status`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from etl import clock
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


def local_time(value: datetime | None) -> str | None:
    return clock.iso(value)


def _article_conditions(program: str | None, source: str | None, search: str | None,
                        include_duplicates: bool) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if program:
        conditions.append(Article.program == program)
    if source:
        conditions.append(Article.source_name == source)
    if search:
        conditions.append(sa.or_(Article.title.contains(search), Article.body.contains(search)))
    if not include_duplicates:
        conditions.append(Article.duplicate_of.is_(None))
    return conditions


def count_articles(session: Session, *, program: str | None = None, source: str | None = None,
                   search: str | None = None, include_duplicates: bool = True) -> int:
    """How many articles `articles` would list without its limit."""
    where = _article_conditions(program, source, search, include_duplicates)
    return session.execute(sa.select(sa.func.count(Article.id)).where(*where)).scalar_one()


def articles(session: Session, *, limit: int = 50, program: str | None = None, source: str | None = None,
             search: str | None = None, include_duplicates: bool = True) -> list[dict[str, Any]]:
    metric_count = (
        sa.select(sa.func.count(Metric.id)).where(Metric.article_id == Article.id).scalar_subquery()
    )
    query = sa.select(Article, metric_count.label("metrics")).order_by(
        Article.published_at.desc().nulls_last(), Article.id.desc()
    ).where(*_article_conditions(program, source, search, include_duplicates))
    rows = []
    for article, count in session.execute(query.limit(limit)).all():
        rows.append({
            "id": article.id, "published_at": local_time(article.published_at), "title": article.title,
            "source": article.source_name, "news_source": article.news_source, "author": article.author,
            "editor": article.editor, "program": article.program,
            "provider": _place(article.provider_province, article.provider_prefecture, article.provider_county),
            "recipient": _place(article.recipient_province, article.recipient_prefecture,
                                article.recipient_county),
            "batch": article.batch, "topics": article.topics, "metrics": count,
            "duplicate_of": article.duplicate_of, "script": article.script,
            "garbled_found": article.garbled_found, "url": article.url, "canonical_url": article.canonical_url,
        })
    return rows


def _place(*parts: str | None) -> str | None:
    named = [p for p in parts if p]
    return " ".join(named) or None


def _filtered(query: sa.Select, category: str | None, unit: str | None, program: str | None) -> sa.Select:
    if category:
        query = query.where(Metric.category == category)
    if unit:
        query = query.where(Metric.unit == unit)
    if program:
        query = query.where(Article.program == program)
    return query


def count_metrics(session: Session, *, category: str | None = None, unit: str | None = None,
                  program: str | None = None, article_id: int | None = None) -> int:
    """How many figures `metrics` would list without its limit."""
    query = sa.select(sa.func.count(Metric.id)).join(Article, Article.id == Metric.article_id)
    query = _filtered(query, category, unit, program)
    if article_id is not None:
        query = query.where(Metric.article_id == article_id)
    return session.execute(query).scalar_one()


def metrics(session: Session, *, limit: int = 100, category: str | None = None, unit: str | None = None,
            program: str | None = None, article_id: int | None = None) -> list[dict[str, Any]]:
    query = (
        sa.select(Metric, Article.title, Article.url, Article.published_at, Article.duplicate_of)
        .join(Article, Article.id == Metric.article_id)
        .order_by(Article.published_at.desc().nulls_last(), Metric.article_id, Metric.start)
    )
    query = _filtered(query, category, unit, program)
    if article_id is not None:
        query = query.where(Metric.article_id == article_id)
    rows = []
    for metric, title, url, published, duplicate_of in session.execute(query.limit(limit)).all():
        rows.append({
            "article_id": metric.article_id, "title": title, "published_at": local_time(published),
            "text": metric.text, "value": metric.value, "value_max": metric.value_max, "unit": metric.unit,
            "qualifier": metric.qualifier, "category": metric.category, "subject": metric.subject,
            "sentence": metric.sentence, "duplicate": duplicate_of is not None, "url": url,
        })
    return rows


def grouped_metrics(session: Session, group_by: str, *, category: str | None = None, unit: str | None = None,
                    program: str | None = None, with_evidence: int = 0) -> list[dict[str, Any]]:
    """Totals per group and per unit (CNY is never added to persons), over primary articles only."""
    if group_by not in GROUPS:
        raise ValueError(f"cannot group by {group_by!r}; choose one of {', '.join(GROUPS)}")
    columns = GROUPS[group_by]
    query = (
        sa.select(Metric.value, Metric.unit, Metric.category, Metric.text, Metric.sentence, Article.id,
                  Article.title, Article.published_at, *columns)
        .join(Article, Article.id == Metric.article_id)
        .where(Article.duplicate_of.is_(None))
    )
    query = _filtered(query, category, unit, program)
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    evidence: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in session.execute(query).all():
        value, unit_, _category, text, sentence, aid, title, published = row[:8]
        if group_by == "year":
            key = str(clock.local(published).year) if published else "(no date)"
        else:
            key = " ".join(str(v) for v in row[8:] if v) or "(unknown)"
        slot = totals.setdefault((key, unit_), {group_by: key, "unit": unit_, "total": 0.0, "mentions": 0,
                                                "articles": set()})
        slot["total"] += value
        slot["mentions"] += 1
        slot["articles"].add(aid)
        if len(evidence[(key, unit_)]) < with_evidence:
            evidence[(key, unit_)].append({"article_id": aid, "title": title, "text": text, "sentence": sentence})
    out = []
    for k, slot in sorted(totals.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        slot["articles"] = len(slot["articles"])
        if with_evidence:
            slot["evidence"] = evidence[k]
        out.append(slot)
    return out


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
    summary["recent_runs"] = [{
        "id": r.id, "kind": r.kind, "source": r.source_name, "status": r.status,
        "started_at": local_time(r.started_at), "finished_at": local_time(r.finished_at),
        "counts": r.counts, "error": r.error,
    } for r in runs]
    summary["sources"] = source_health(session, configured)
    summary["service"] = service_state(session)
    return summary


def service_state(session: Session, stale_after: float = 180.0) -> dict[str, Any] | None:
    """The newest scheduler's record: running (with its jobs' next runs) or when it was last seen."""
    row = session.execute(sa.select(Service).order_by(Service.id.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        return None
    age = (datetime.now(row.heartbeat_at.tzinfo) - row.heartbeat_at).total_seconds()
    state = "stopped" if row.stopped_at else ("running" if age <= stale_after else "silent")
    return {"state": state, "host": row.host, "pid": row.pid, "started_at": local_time(row.started_at),
            "last_seen": local_time(row.heartbeat_at), "jobs": [
                {"job": j["job"], "next_run": local_time(datetime.fromisoformat(j["next_run"])) if j["next_run"]
                 else "paused"} for j in row.jobs]}


def source_health(session: Session, configured: Sequence[str] = (), window: int = 10,
                  recent_pages: int = 20) -> list[dict[str, Any]]:
    """Per source: its pages, articles, last crawl and last success, last error, new pages per crawl, warnings.

    Every source is listed: those of `configured` (the sources file) and of the `source` table, even one never
    crawled or never successful, and every source that has pages; pages without a source get a row of their
    own, so the rows' pages add up to the database's. Warnings name the signs of trouble: a last crawl that
    fetched nothing, several crawls in a row with nothing new where the source usually yields pages, a share of
    garbled articles above GARBLED_WARNING_SHARE, and a recent share of failed or garbled extractions far above
    its usual.
    """
    pages_by_source = dict(session.execute(sa.select(Page.source_name, sa.func.count(Page.id))
                                           .group_by(Page.source_name)).all())
    known = {name for (name,) in session.execute(sa.select(Source.name))}
    names = sorted(known | set(configured) | {n for n in pages_by_source if n})
    out = [_health(session, name, pages_by_source.get(name, 0), window, recent_pages) for name in names]
    if pages_by_source.get(None):
        out.append({"source": UNNAMED_SOURCE, "pages": pages_by_source[None], "articles": 0, "failed": 0,
                    "garbled_share": 0.0, "last_crawl": None, "last_success": None, "last_error": None,
                    "last_error_at": None, "last_errors": [], "new_pages_last_runs": [], "usual_new_pages": None,
                    "warnings": []})
    return out


def _crawls_of(session: Session, name: str, window: int) -> list[Run]:
    """The latest crawls that included this source (a run's label lists its sources, comma-separated)."""
    query = (sa.select(Run).where(Run.kind == RunKind.CRAWL, Run.source_name.contains(name, autoescape=True))
             .order_by(Run.id.desc()).limit(window * 4))
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
        reasons = sorted(((k.removeprefix("error: "), v) for k, v in per.items() if k.startswith("error: ")),
                         key=lambda kv: (-kv[1], kv[0]))
        return ", ".join(f"{reason} ({n})" if n > 1 else reason for reason, n in reasons) or "errors"
    if run.status not in (RunStatus.OK, RunStatus.PARTIAL, RunStatus.RUNNING) and run.error:
        return f"crawl {run.status}: {run.error.strip().splitlines()[-1]}"
    return None


def _health(session: Session, name: str, pages: int, window: int, recent_pages: int) -> dict[str, Any]:
    states = dict(session.execute(
        sa.select(Page.etl_status, sa.func.count(Page.id))
        .where(Page.kind == "article", Page.source_name == name).group_by(Page.etl_status)).all())
    article_pages = sum(states.values())
    articles, garbled, repaired = session.execute(
        sa.select(sa.func.count(Article.id), sa.func.count(Article.id).filter(Article.garbled_found > 0),
                  sa.func.count(Article.id).filter(Article.garbled_repaired > 0))
        .where(Article.source_name == name)).one()
    crawls = _crawls_of(session, name, window)
    shared = [r.id for r in crawls if r.source_name != name]  # a run of several sources: count this one's pages
    stored_by_run = dict(session.execute(
        sa.select(Page.run_id, sa.func.count(Page.id))
        .where(Page.source_name == name, Page.run_id.in_(shared)).group_by(Page.run_id)).all()) if shared else {}
    finished = [r for r in crawls if r.status != RunStatus.RUNNING]
    new_per_run = [int((r.counts or {}).get("pages_stored", 0)) if r.source_name == name
                   else int(stored_by_run.get(r.id, 0)) for r in finished if _succeeded(r, name)]
    usual = sorted(new_per_run[1:])[len(new_per_run[1:]) // 2] if len(new_per_run) > 1 else None
    last_ok = next((r for r in finished if _succeeded(r, name)), None)
    with_error = next(((r, e) for r in finished if (e := _last_error(r, name))), None)
    last = finished[0] if finished else None
    bad_total = states.get(PageState.ERROR, 0) + garbled
    recent = session.execute(
        sa.select(Page.etl_status, Article.garbled_found)
        .outerjoin(Article, Article.page_id == Page.id)
        .where(Page.kind == "article", Page.source_name == name,
               Page.etl_status.in_([PageState.DONE, PageState.ERROR]))
        .order_by(Page.id.desc()).limit(recent_pages)).all()
    recent_bad = sum(1 for status, g in recent if status == PageState.ERROR or (g or 0) > 0)
    recent_share = recent_bad / len(recent) if recent else 0.0
    older = article_pages - len(recent)  # the baseline is the source's earlier pages, not the ones being judged
    usual_share = (bad_total - recent_bad) / older if older > 0 else 0.0
    warnings = []
    if last is None:
        warnings.append(NEVER_CRAWLED)
    elif not _succeeded(last, name):
        warnings.append("its last crawl fetched nothing" + ("" if last_ok else ", and no crawl ever did"))
    if len(new_per_run) >= 3 and not any(new_per_run[:3]) and any(new_per_run[3:]):
        warnings.append("nothing new in the last 3 crawls, though it usually yields pages")
    if articles and garbled / articles > GARBLED_WARNING_SHARE:
        warnings.append(f"{garbled / articles:.0%} of its articles came with garbled characters ({repaired} "
                        "repaired): check its encoding")
    if len(recent) >= 10 and recent_share >= 0.3 and recent_share > 2 * usual_share:
        warnings.append(f"{recent_share:.0%} of its latest pages failed or came out garbled "
                        f"(usually {usual_share:.0%}): has its layout or encoding changed?")
    elif article_pages and states.get(PageState.ERROR, 0) / article_pages > 0.2:
        warnings.append(f"{states[PageState.ERROR] / article_pages:.0%} of its pages failed extraction")
    last_errors = [] if with_error is None else [
        e for e in (with_error[0].errors or []) if isinstance(e, dict) and e.get("source") == name][:SHOWN_ERRORS]
    return {
        "source": name, "pages": pages, "articles": articles, "failed": states.get(PageState.ERROR, 0),
        "garbled_share": round(garbled / articles, 3) if articles else 0.0,
        "last_crawl": "never" if last is None else ("ok" if _succeeded(last, name) else "failed"),
        "last_success": local_time(last_ok.finished_at) if last_ok else None,
        "last_error": with_error[1] if with_error else None,
        "last_error_at": local_time(with_error[0].finished_at) if with_error else None,
        "last_errors": last_errors,
        "new_pages_last_runs": new_per_run[:5], "usual_new_pages": usual, "warnings": warnings,
    }
