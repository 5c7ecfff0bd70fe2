"""full-text search: article_fts (SQLite FTS5 trigram) or a pg_trgm GIN index (PostgreSQL)

Both index character trigrams of the title and body (stored in Simplified form); etl/store/search.py explains
the choice and holds the queries. Existing articles are indexed here.

SQLite: `article_fts` is an external-content FTS5 table (it stores no copy of the text; its rowid is the article
id, which is what `aidnews browse` tells Datasette). Three triggers on `article` keep it in step in the writing
transaction; the update trigger re-indexes only when the title or body changed, so a reprocess that changes
neither costs nothing here. A later migration that rebuilds `article` on SQLite (batch mode) drops these
triggers with the old table and must create them again (`TRIGGERS` below), then `rebuild` the index.

PostgreSQL: `pg_trgm` is a trusted extension (PostgreSQL 13+), so the database owner may create it. The index
is on an expression of `article`'s own columns, so the server keeps it in step. Downgrade drops the index but
leaves the extension, which other objects of the database may use.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from etl.store.search: a migration keeps meaning what it meant when written.
FTS_TABLE = "article_fts"
PG_INDEX = "ix_article_search_trgm"
SEARCH_TEXT_PG = "(coalesce(article.title, '') || ' ' || article.body)"

_REMOVE = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);"
_ADD = f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, new.title, new.body);"
TRIGGERS = {
    "article_fts_insert": f"CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN {_ADD} END",
    "article_fts_delete": f"CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN {_REMOVE} END",
    "article_fts_update": (
        "CREATE TRIGGER article_fts_update AFTER UPDATE OF title, body ON article "
        f"WHEN old.title IS NOT new.title OR old.body IS NOT new.body BEGIN {_REMOVE} {_ADD} END"
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX {PG_INDEX} ON article USING gin ({SEARCH_TEXT_PG} gin_trgm_ops)")
        return
    op.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, body, content='article', content_rowid='id', "
               "tokenize='trigram')")
    for statement in TRIGGERS.values():
        op.execute(statement)
    op.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
