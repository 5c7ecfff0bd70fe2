"""search speed: a bigram index for terms of one or two characters on SQLite (`article_grams`)

The trigram index of 0007 cannot look up a term shorter than three characters, and such terms (疏勒, 新疆, 援)
were matched by a scan of every article: seconds at 100,000 articles (bench/README.md). `article_grams` is a
contentless FTS5 table over the title and body written as bigrams (etl.store.grams explains the tokens), with a
one-character prefix index for one-character terms. Triggers keep it in step, computing the bigrams with
`aidnews_grams`, which this migration registers on its own connection (aidnews registers it on every one) so
that the back-fill runs whoever runs the migration. PostgreSQL needs no schema change here.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 18:00:00
"""

from collections.abc import Sequence

from alembic import op

from etl.store import grams

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRAMS_TABLE = "article_grams"
_F = grams.FUNCTION
_REMOVE = (
    f"INSERT INTO {GRAMS_TABLE}({GRAMS_TABLE}, rowid, title, body) "
    f"VALUES ('delete', old.id, {_F}(old.title), {_F}(old.body));"
)
_ADD = f"INSERT INTO {GRAMS_TABLE}(rowid, title, body) VALUES (new.id, {_F}(new.title), {_F}(new.body));"
TRIGGERS = {
    "article_grams_insert": f"CREATE TRIGGER article_grams_insert AFTER INSERT ON article BEGIN {_ADD} END",
    "article_grams_delete": f"CREATE TRIGGER article_grams_delete AFTER DELETE ON article BEGIN {_REMOVE} END",
    "article_grams_update": (
        "CREATE TRIGGER article_grams_update AFTER UPDATE OF title, body ON article "
        f"WHEN old.title IS NOT new.title OR old.body IS NOT new.body BEGIN {_REMOVE} {_ADD} END"
    ),
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    grams.register(bind.connection.driver_connection)  # type: ignore[arg-type]
    op.execute(f"CREATE VIRTUAL TABLE {GRAMS_TABLE} USING fts5(title, body, content='', tokenize='ascii', prefix='1')")
    for statement in TRIGGERS.values():
        op.execute(statement)
    op.execute(f"INSERT INTO {GRAMS_TABLE}(rowid, title, body) SELECT id, {_F}(title), {_F}(body) FROM article")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"DROP TABLE IF EXISTS {GRAMS_TABLE}")
