"""full-text search: article_fts (SQLite FTS5 trigram) or article_passage with a pg_trgm index (PostgreSQL)

Both index character trigrams of the title and body (stored in Simplified form), and both are kept in step by
the database in the writing transaction, whoever writes; etl/store/search.py explains the choices and holds
the queries. Existing articles are indexed here.

SQLite: `article_fts` is an external-content FTS5 table (it stores no copy of the text; its rowid is the article
id, which is what `aidnews browse` tells Datasette). Three triggers on `article` keep it in step; the update
trigger re-indexes only when the title or body changed, so a reprocess that changes neither costs nothing
here. A later migration that rebuilds `article` on SQLite (batch mode) drops these triggers with the old table
and must create them again (`TRIGGERS` below), then `rebuild` the index.

PostgreSQL: `article_passage` holds each article's title (seq 0) and the sentences of its body (seq 1, 2, …,
split after 。！？；!?; and line ends), filled by a trigger on `article` (only when the title or body changed)
and emptied by the foreign key's cascade when an article goes. `pg_trgm` is a trusted extension (PostgreSQL
13+), so the database owner may create it; downgrade leaves it, as other objects may use it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from etl.store.search: a migration keeps meaning what it meant when written.
FTS_TABLE = "article_fts"
PASSAGE_TABLE = "article_passage"

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


def _passages(row: str) -> str:
    """The passages of one article, `row` (a row of `article`): its title, then its body split after each
    sentence end, the split characters kept at the end of their passage."""
    return rf"""
    SELECT {row}.id, 0, {row}.title WHERE {row}.title IS NOT NULL AND {row}.title <> ''
    UNION ALL
    SELECT {row}.id, p.seq, p.text
    FROM regexp_split_to_table({row}.body, '(?<=[。！？；!?;\n])') WITH ORDINALITY AS p(text, seq)
    WHERE p.text <> ''
"""


PG_UPGRADE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"""CREATE TABLE {PASSAGE_TABLE} (
        article_id integer NOT NULL REFERENCES article (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        text text NOT NULL,
        PRIMARY KEY (article_id, seq)
    )""",
    f"""CREATE FUNCTION aidnews_article_passages() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            IF NEW.title IS NOT DISTINCT FROM OLD.title AND NEW.body IS NOT DISTINCT FROM OLD.body THEN
                RETURN NULL;
            END IF;
            DELETE FROM {PASSAGE_TABLE} WHERE article_id = OLD.id;
        END IF;
        INSERT INTO {PASSAGE_TABLE} (article_id, seq, text) {_passages('NEW')};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER article_passages AFTER INSERT OR UPDATE OF title, body ON article
        FOR EACH ROW EXECUTE FUNCTION aidnews_article_passages()""",
    f"INSERT INTO {PASSAGE_TABLE} (article_id, seq, text) SELECT q.* FROM article a, LATERAL ({_passages('a')}) q",
    f"CREATE INDEX ix_{PASSAGE_TABLE}_trgm ON {PASSAGE_TABLE} USING gin (text gin_trgm_ops)",
    f"ANALYZE {PASSAGE_TABLE}",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_UPGRADE:
            op.execute(statement)
        return
    op.execute(f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, body, content='article', content_rowid='id', "
               "tokenize='trigram')")
    for statement in TRIGGERS.values():
        op.execute(statement)
    op.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS article_passages ON article")
        op.execute("DROP FUNCTION IF EXISTS aidnews_article_passages()")
        op.execute(f"DROP TABLE IF EXISTS {PASSAGE_TABLE}")
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
