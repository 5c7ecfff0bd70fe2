"""Daily maintenance: prune raw page versions past their retention, then refresh the planner's statistics.

Raw pages are the one table that grows with every crawl; articles are replaced in place. A page version is
pruned only when it is old, not the newest of its URL, not pending, and no article was built from it, so
`etl --reprocess` can always rebuild every article.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from etl.store.engine import get_engine
from etl.store.models import Article, Page, Run, utcnow
from etl.store.pages import PageState
from etl.store.runs import RunKind, RunStatus, finish_run, start_run


def maintenance(retention_days: int = 180, engine: sa.Engine | None = None) -> Run:
    """Prune old raw page versions (never the newest of a URL, nor one an article points at), then ANALYZE."""
    engine = engine or get_engine()
    run_id = start_run(RunKind.MAINTENANCE, None, engine)
    cutoff = utcnow() - timedelta(days=retention_days)
    try:
        with engine.begin() as conn:
            newest = sa.select(sa.func.max(Page.id)).group_by(Page.url)
            referenced = sa.select(Article.page_id).where(Article.page_id.is_not(None))
            pruned = conn.execute(sa.delete(Page).where(
                Page.fetched_at < cutoff, Page.id.not_in(newest), Page.id.not_in(referenced),
                Page.etl_status != PageState.PENDING)).rowcount
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
    return finish_run(run_id, RunStatus.OK, {"pages_pruned": pruned}, engine=engine)
