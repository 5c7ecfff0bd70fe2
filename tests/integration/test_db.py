"""The schema on SQLite and PostgreSQL: migrations, time zones, idempotent article writes."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from etl.store import engine as db
from etl.store.models import Article, Metric, Page, Run

SHANGHAI = timezone(timedelta(hours=8))


def test_upgrade_creates_every_table_at_the_newest_revision(database_url: str) -> None:
    tables = set(sa.inspect(db.get_engine(database_url)).get_table_names())
    assert {"source", "page", "article", "metric", "run", "service", "alembic_version"} <= tables
    assert db.current_revision(database_url) == db.head_revision()


def test_upgrade_twice_is_harmless(database_url: str) -> None:
    db.upgrade(database_url)
    assert db.current_revision(database_url) == db.head_revision()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    with db.get_engine(sqlite_url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 30000


def test_default_database_is_sqlite_under_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert db.database_url() == "sqlite:///data/aidnews.db"
    monkeypatch.setenv("DATABASE_URL", "postgresql://aid:secret@db.example/aidnews")
    assert db.database_url().startswith("postgresql+psycopg://")
    assert "secret" not in db.describe(db.database_url())


def test_times_come_back_aware_and_equal(database_url: str) -> None:
    published = datetime(2023, 6, 12, 10, 30, tzinfo=SHANGHAI)
    with Session(db.get_engine(database_url)) as session:
        article = Article(url="http://a/1", canonical_url="http://a/1", content_hash="x", published_at=published)
        session.add(article)
        session.commit()
        article_id = article.id
    with Session(db.get_engine(database_url)) as session:
        stored = session.get(Article, article_id)
        assert stored is not None and stored.published_at is not None
        assert stored.published_at.tzinfo is not None
        assert stored.published_at == published


def test_naive_times_are_refused(database_url: str) -> None:
    with Session(db.get_engine(database_url)) as session:
        session.add(Run(kind="crawl", started_at=datetime(2024, 1, 1)))
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            session.commit()


def test_deleting_an_article_deletes_its_metrics(database_url: str) -> None:
    engine = db.get_engine(database_url)
    with Session(engine) as session:
        article = Article(url="http://a/2", canonical_url="http://a/2", content_hash="y")
        session.add(article)
        session.commit()
        session.add(Metric(article_id=article.id, text="3000个", start=0, end=5, sentence="s", value=3000,
                           unit="count", category="jobs"))
        session.commit()
        session.delete(article)
        session.commit()
        assert session.execute(sa.select(sa.func.count(Metric.id))).scalar_one() == 0


def test_canonical_url_is_unique(database_url: str) -> None:
    with Session(db.get_engine(database_url)) as session:
        session.add(Article(url="http://a/3", canonical_url="http://a/3", content_hash="z"))
        session.add(Article(url="http://a/3?x", canonical_url="http://a/3", content_hash="z"))
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()


def test_page_body_round_trips_compressed_bytes(database_url: str) -> None:
    raw = "<html><body>东营援疆</body></html>".encode("gb18030")
    with Session(db.get_engine(database_url)) as session:
        page = Page(url="http://a/4", final_url="http://a/4", status=200, body=zlib.compress(raw), size=len(raw),
                    sha256="s")
        session.add(page)
        session.commit()
        session.refresh(page)
        assert zlib.decompress(page.body) == raw
        assert page.etl_status == "pending"


def test_every_migration_downgrades_and_upgrades_again(database_url: str) -> None:
    from alembic import command

    engine = db.get_engine(database_url)
    with engine.begin() as conn:
        cfg = db.alembic_config(database_url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    db.upgrade(database_url)
    assert db.current_revision(database_url) == db.head_revision()
    assert {"article", "metric", "page", "run"} <= set(sa.inspect(engine).get_table_names())
