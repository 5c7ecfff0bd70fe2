"""Daily maintenance: prune raw page versions and run records past their retention, then refresh statistics.

Raw pages and runs are the tables that grow with every crawl; articles are replaced in place. A page version
is pruned only when it is old, not the newest of its URL, not pending, and no article (nor a kept article
version) was built from it, so `etl --reprocess` can always rebuild every article. A run record is pruned
when it is older than `run_retention_days` (failed, timed-out and crashed runs: `failed_run_retention_days`),
never while running, and never the latest finished one of its kind and source, so `status` always shows
how each job last ended; pages it stored keep their content and lose only the link to it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col

from etl.store.engine import get_engine
from etl.store.models import Article, ArticleVersion, Page, Run, utcnow
from etl.store.pages import PageState
from etl.store.runs import RunKind, RunStatus, finish_run, start_run

FAILED_RUNS = (RunStatus.FAILED, RunStatus.TIMEOUT, RunStatus.CRASHED)  # kept for failed_run_retention_days


def prune_runs(conn: sa.Connection, now: datetime, retention_days: int, failed_retention_days: int) -> int:
    """Delete run records past their retention (see the module's docstring); returns how many."""
    latest = (
        sa.select(sa.func.max(col(Run.id)))
        .where(col(Run.status) != RunStatus.RUNNING)  # how each job last ended
        .group_by(col(Run.kind), col(Run.source_name))
    )
    expired = sa.or_(
        sa.and_(col(Run.status).in_(FAILED_RUNS), col(Run.started_at) < now - timedelta(days=failed_retention_days)),
        sa.and_(col(Run.status).not_in(FAILED_RUNS), col(Run.started_at) < now - timedelta(days=retention_days)),
    )
    doomed = sa.select(col(Run.id)).where(expired, col(Run.status) != RunStatus.RUNNING, col(Run.id).not_in(latest))
    conn.execute(sa.update(Page).where(col(Page.run_id).in_(doomed)).values(run_id=None))
    return conn.execute(sa.delete(Run).where(col(Run.id).in_(doomed))).rowcount


def maintenance(
    retention_days: int = 180,
    engine: sa.Engine | None = None,
    *,
    run_retention_days: int = 30,
    failed_run_retention_days: int = 90,
) -> Run:
    """Prune old raw page versions and run records, then ANALYZE (and on SQLite checkpoint and VACUUM)."""
    engine = engine or get_engine()
    run_id = start_run(RunKind.MAINTENANCE, None, engine)
    now = utcnow()
    cutoff = now - timedelta(days=retention_days)
    try:
        with engine.begin() as conn:
            newest = sa.select(sa.func.max(col(Page.id))).group_by(col(Page.url))
            referenced = sa.select(col(Article.page_id)).where(col(Article.page_id).is_not(None))
            versioned = sa.select(col(ArticleVersion.page_id)).where(col(ArticleVersion.page_id).is_not(None))
            pruned = conn.execute(
                sa.delete(Page).where(
                    col(Page.fetched_at) < cutoff,
                    col(Page.id).not_in(newest),
                    col(Page.id).not_in(referenced),
                    col(Page.id).not_in(versioned),
                    col(Page.etl_status) != PageState.PENDING,
                )
            ).rowcount
            runs_pruned = prune_runs(conn, now, run_retention_days, failed_run_retention_days)
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            raw = engine.raw_connection()
            try:
                raw.execute("VACUUM")  # type: ignore[attr-defined]
            finally:
                raw.close()
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
    except Exception as exc:
        return finish_run(run_id, RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}", engine=engine)
    return finish_run(run_id, RunStatus.OK, {"pages_pruned": pruned, "runs_pruned": runs_pruned}, engine=engine)
