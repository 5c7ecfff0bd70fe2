"""The freshness migrations (article versions, page checks, full crawls) down and up again with data, on both
databases."""

from __future__ import annotations

import zlib

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from etl.store import engine as db
from etl.store.models import Article, ArticleVersion, Page

pytestmark = pytest.mark.integration


def test_the_freshness_migration_downgrades_and_upgrades_again_keeping_pages_and_articles(database_url: str) -> None:
    engine = db.get_engine(database_url)
    with Session(engine) as session:
        page = Page(
            url="http://a.cn/c_1.html",
            final_url="http://a.cn/c_1.html",
            status=200,
            body=zlib.compress(b"x"),
            sha256="x",
            etl_status="done",
        )
        session.add(page)
        session.commit()
        article = Article(url=page.url, canonical_url=page.url, content_hash="h", page_id=page.id, title="新")
        session.add(article)
        session.commit()
        session.add(ArticleVersion(article_id=article.id, page_id=page.id, title="旧", body="旧正文"))
        session.commit()
    config = db.alembic_config(database_url)
    try:
        command.downgrade(config, "0004")  # to before 0005_freshness (and 0008_full_crawl)
        inspector = sa.inspect(engine)
        assert "article_version" not in inspector.get_table_names()
        assert "full_crawl_run" not in {c["name"] for c in inspector.get_columns("source")}
        assert "checked_at" not in {c["name"] for c in inspector.get_columns("page")}
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT COUNT(*) FROM page")).scalar_one() == 1
            assert conn.execute(sa.text("SELECT title FROM article")).scalar_one() == "新"
            assert conn.execute(sa.text("SELECT COUNT(*) FROM v_articles")).scalar_one() == 1
    finally:
        command.upgrade(config, "head")
    inspector = sa.inspect(engine)
    assert "article_version" in inspector.get_table_names()
    assert "full_crawl_run" in {c["name"] for c in inspector.get_columns("source")}
