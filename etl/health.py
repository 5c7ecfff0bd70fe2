"""How each source is doing, for `aidnews status`: its pages and articles, its last crawls, and warnings.

A crawl run's label lists the sources it crawled (comma-separated), and one run serves every source in it, so
the crawl runs are read once, newest first, and handed to each source they name; each source's health (last
crawl, last success, last error, new pages per crawl, the first full crawl) is then worked out from its own
list. Only the error lists of the few runs shown are read whole.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from etl import clock
from etl.store.models import Article, Page, Run, Source
from etl.store.pages import PageState
from etl.store.runs import RunKind, RunStatus, left_running

HEALTH_WINDOW = 10  # a source's latest crawls that health looks at
GARBLED_WARNING_SHARE = 0.2  # a source whose articles come garbled more often than this is read wrongly
RECENT_PAGES = 20  # latest article pages whose failure share is compared with the source's usual one
SHOWN_ERRORS = 5  # failed URLs of a source's last erring crawl, in `status --format json`
QUIET_CRAWLS = 3  # crawls in a row with nothing new before `status` says so …
MIN_HISTORY = 3  # … and only with at least this many earlier crawls (after the first full one) to compare with
NEVER_CRAWLED = "never crawled"
UNNAMED_SOURCE = "(no source)"  # the row of pages stored without a source name
SUCCEEDED = (RunStatus.OK, RunStatus.PARTIAL)


@dataclass(frozen=True)
class Crawl:
    """One crawl run, as health reads it (its error list is read only for the runs shown)."""

    id: int
    status: str
    counts: dict[str, Any]
    error: str | None
    finished_at: datetime | None


@dataclass(frozen=True)
class CrawlYield:
    """What one successful crawl brought from one source."""

    run_id: int
    new_pages: int  # new article pages stored
    list_pages: int | None  # list pages read (None: a crawl recorded before these were counted)


def crawls_by_source(session: Session, names: Sequence[str]) -> dict[str, list[Crawl]]:
    """Every crawl run of each named source, newest first, in one read of the crawl runs."""
    found: dict[str, list[Crawl]] = {name: [] for name in names}
    rows = session.execute(
        sa.select(
            col(Run.id),
            col(Run.source_name),
            col(Run.status),
            col(Run.counts),
            col(Run.error),
            col(Run.finished_at),
            col(Run.pid),
            col(Run.host),
        )
        .where(col(Run.kind) == RunKind.CRAWL)
        .order_by(col(Run.id).desc())
    )
    for run_id, label, status, counts, error, finished_at, pid, host in rows:
        # a crawl whose process died stays `running` until a job of its machine reaps it: read as what it is
        if (why := left_running(status, pid, host)) is not None:
            status, error = RunStatus.CRASHED, error or why
        crawl = Crawl(run_id, status, counts or {}, error, finished_at)
        for name in (label or "").split(","):
            if name in found:
                found[name].append(crawl)
    return found


def crawl_yields(crawls: Sequence[Crawl], name: str, window: int = HEALTH_WINDOW) -> list[CrawlYield]:
    """What the source's latest `window` successful crawls brought, newest first (`crawls`: newest first)."""
    yields = []
    for crawl in [c for c in crawls if c.status in SUCCEEDED][:window]:
        counts = crawl.counts
        if "by_source" in counts:  # counted per source (a source that fetched nothing has no entry)
            own = counts["by_source"].get(name) or {}
            yields.append(CrawlYield(crawl.id, int(own.get("articles_new", 0)), int(own.get("fetched_list", 0))))
        else:  # a run recorded before per-source counts: its totals
            yields.append(CrawlYield(crawl.id, int(counts.get("pages_stored", 0)), counts.get("fetched_list")))
    return yields


def first_full_crawl(crawls: Sequence[Crawl], marked: int | None) -> int | None:
    """The source's first full crawl: the one that read all its list pages (`source.full_crawl_run`); for
    crawls recorded before that was kept, the source's first successful crawl stands in."""
    if marked is not None:
        return marked
    return next((c.id for c in reversed(crawls) if c.status in SUCCEEDED), None)


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
    session: Session, configured: Sequence[str] = (), window: int = HEALTH_WINDOW, recent_pages: int = RECENT_PAGES
) -> list[dict[str, Any]]:
    """Per source: its pages, articles, last crawl and last success, last error, new pages per crawl, warnings.

    Every source is listed: those of `configured` (the sources file) and of the `source` table, even one never
    crawled or never successful, and every source that has pages; pages without a source get a row of their
    own, so the rows' pages add up to the database's. Warnings name the signs of trouble: a last crawl that
    fetched nothing, several crawls in a row with nothing new where the source usually yields pages, a share of
    garbled articles above GARBLED_WARNING_SHARE, and a recent share of failed or garbled extractions far above
    its usual.
    """
    pages_by_source: dict[str | None, int] = {
        name: count
        for name, count in session.execute(
            sa.select(col(Page.source_name), sa.func.count(col(Page.id))).group_by(col(Page.source_name))
        )
    }
    marked: dict[str, int | None] = {
        name: run_id for name, run_id in session.execute(sa.select(col(Source.name), col(Source.full_crawl_run)))
    }
    names = sorted(set(marked) | set(configured) | {n for n in pages_by_source if n})
    crawls = crawls_by_source(session, names)
    crawl_health = {name: _crawl_health(name, crawls[name], marked.get(name), window) for name in names}
    _add_shown_errors(session, crawl_health)
    out = [
        {"source": name, "pages": pages_by_source.get(name, 0)}
        | _extraction_health(session, name, recent_pages, crawl_health[name])
        for name in names
    ]
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


def _answered(crawl: Crawl, name: str) -> bool | None:
    """Did the source give anything in this crawl? None when the crawl kept no per-source counts (older runs)."""
    per = crawl.counts.get("sources", {}).get(name)
    if per is None:
        return None if crawl.status != RunStatus.RUNNING else False
    return bool(per.get("responses"))


def _succeeded(crawl: Crawl, name: str) -> bool:
    answered = _answered(crawl, name)
    return answered if answered is not None else crawl.status == RunStatus.OK


def _last_error(crawl: Crawl, name: str) -> str | None:
    """What went wrong for this source in this crawl: its errors by reason, or why the crawl itself failed."""
    per = crawl.counts.get("sources", {}).get(name)
    if per and per.get("errors"):
        reasons = sorted(
            ((k.removeprefix("error: "), v) for k, v in per.items() if k.startswith("error: ")),
            key=lambda kv: (-kv[1], kv[0]),
        )
        return ", ".join(f"{reason} ({n})" if n > 1 else reason for reason, n in reasons) or "errors"
    if crawl.status not in (RunStatus.OK, RunStatus.PARTIAL, RunStatus.RUNNING) and crawl.error:
        return f"crawl {crawl.status}: {crawl.error.strip().splitlines()[-1]}"
    return None


@dataclass
class _CrawlHealth:
    """What a source's crawls say: filled from its crawl list, then its shown errors from their runs."""

    last: Crawl | None  # the latest finished crawl
    last_ok: Crawl | None
    with_error: tuple[Crawl, str] | None  # the latest finished crawl with an error for it, and that error
    first_full: int | None
    yields: list[CrawlYield]
    last_errors: list[dict[str, Any]]


def _crawl_health(name: str, crawls: list[Crawl], marked: int | None, window: int) -> _CrawlHealth:
    finished = [c for c in crawls[:window] if c.status != RunStatus.RUNNING]
    return _CrawlHealth(
        last=finished[0] if finished else None,
        last_ok=next((c for c in finished if _succeeded(c, name)), None),
        with_error=next(((c, e) for c in finished if (e := _last_error(c, name))), None),
        first_full=first_full_crawl(crawls, marked),
        yields=crawl_yields(crawls, name, window),
        last_errors=[],
    )


def _add_shown_errors(session: Session, health: dict[str, _CrawlHealth]) -> None:
    """The failed URLs of each source's last erring crawl (run.errors), read for those runs only."""
    shown = {h.with_error[0].id for h in health.values() if h.with_error}
    if not shown:
        return
    errors_of: dict[int, list[Any]] = {
        run_id: errors or []
        for run_id, errors in session.execute(sa.select(col(Run.id), col(Run.errors)).where(col(Run.id).in_(shown)))
    }
    for name, h in health.items():
        if h.with_error:
            own = [e for e in errors_of.get(h.with_error[0].id, []) if isinstance(e, dict) and e.get("source") == name]
            h.last_errors = own[:SHOWN_ERRORS]


def _extraction_health(session: Session, name: str, recent_pages: int, crawled: _CrawlHealth) -> dict[str, Any]:
    states: dict[str, int] = {
        state: count
        for state, count in session.execute(
            sa.select(col(Page.etl_status), sa.func.count(col(Page.id)))
            .where(col(Page.kind) == "article", col(Page.source_name) == name)
            .group_by(col(Page.etl_status))
        )
    }
    article_pages = sum(states.values())
    articles, garbled, repaired = session.execute(
        sa.select(
            sa.func.count(col(Article.id)),
            sa.func.count(col(Article.id)).filter(col(Article.garbled_found) > 0),
            sa.func.count(col(Article.id)).filter(col(Article.garbled_repaired) > 0),
        ).where(col(Article.source_name) == name)
    ).one()
    first_full, yields, last, last_ok = crawled.first_full, crawled.yields, crawled.last, crawled.last_ok
    before_latest = [y.new_pages for y in yields[QUIET_CRAWLS:] if first_full is None or y.run_id > first_full]
    usual = statistics.median_low(before_latest) if len(before_latest) >= MIN_HISTORY else None
    failed = states.get(PageState.ERROR, 0)
    recent = session.execute(
        sa.select(col(Page.etl_status), col(Article.garbled_found))
        .outerjoin(Article, col(Article.page_id) == col(Page.id))
        .where(
            col(Page.kind) == "article",
            col(Page.source_name) == name,
            col(Page.etl_status).in_([PageState.DONE, PageState.ERROR]),
        )
        .order_by(col(Page.id).desc())
        .limit(recent_pages)
    ).all()
    recent_bad = sum(1 for status, g in recent if status == PageState.ERROR or (g or 0) > 0)
    recent_share = recent_bad / len(recent) if recent else 0.0
    older = article_pages - len(recent)  # the baseline is the source's earlier pages, not the ones being judged
    usual_share = (failed + garbled - recent_bad) / older if older > 0 else 0.0
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
    elif article_pages and failed / article_pages > 0.2:
        warnings.append(f"{failed / article_pages:.0%} of its pages failed extraction")
    with_error = crawled.with_error
    return {
        "articles": articles,
        "failed": failed,
        "garbled_share": round(garbled / articles, 3) if articles else 0.0,
        "last_crawl": "never" if last is None else ("ok" if _succeeded(last, name) else "failed"),
        "last_success": clock.iso(last_ok.finished_at) if last_ok else None,
        "last_error": with_error[1] if with_error else None,
        "last_error_at": clock.iso(with_error[0].finished_at) if with_error else None,
        "last_errors": crawled.last_errors,
        "first_full_crawl": first_full,
        "new_pages_last_runs": [y.new_pages for y in yields[:5]],
        "list_pages_last_runs": [y.list_pages for y in yields[:5]],
        "usual_new_pages": usual,
        "warnings": warnings,
    }
