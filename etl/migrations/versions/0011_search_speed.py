"""search speed: a bigram index for terms of one or two characters (`article_grams`)

The trigram indexes of 0007 cannot look up a term shorter than three characters, and such terms (疏勒, 新疆, 援)
were matched by a scan of every article (SQLite) or every passage (PostgreSQL): seconds at 100,000 articles
(bench/README.md). `article_grams` indexes the character bigrams of each title and body:

- SQLite: a contentless FTS5 table over the title and body written as bigrams (etl.store.grams explains the
  tokens), with a one-character prefix index for one-character terms. Triggers keep it in step, computing the
  bigrams with `aidnews_grams`, which this migration registers on its own connection (aidnews registers it on
  every one) so that the back-fill runs whoever runs the migration.
- PostgreSQL: one row per article holding the set of its lower-cased bigrams (and each text's last character)
  as a tsvector built with `array_to_tsvector` (lexemes taken as they are, no parser), with a GIN index; a
  two-character term is one lexeme, a one-character term a prefix (`'援':*`). Filled by a trigger on `article`
  in plain SQL, emptied by the foreign key's cascade. It keeps no positions: it finds articles, and ranking
  counts occurrences in the few articles ranked (etl/store/search.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 18:00:00
"""

from collections.abc import Sequence

from alembic import op

from etl.store import grams

revision: str = "0011"
down_revision: str | None = "0010"
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


PG_UPGRADE = (
    f"""CREATE TABLE {GRAMS_TABLE} (
        article_id integer PRIMARY KEY REFERENCES article (id) ON DELETE CASCADE,
        grams tsvector NOT NULL
    )""",
    # Each character of the lower-cased text with the one after it (the last alone); NULL gives none. Zipping
    # the characters with themselves shifted by one is linear: substr(t, i, 2) in a loop walks the UTF-8 text
    # from its start each time, which took 68 ms for an article of 1,500 characters.
    """CREATE FUNCTION aidnews_grams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(u.x || coalesce(u.y, '')), '{}')
        FROM (SELECT string_to_array(lower(t), NULL) AS a) AS c, unnest(c.a, c.a[2:]) AS u(x, y)
    $$""",
    f"""CREATE FUNCTION aidnews_article_grams() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.title IS NOT DISTINCT FROM OLD.title
                AND NEW.body IS NOT DISTINCT FROM OLD.body THEN
            RETURN NULL;
        END IF;
        INSERT INTO {GRAMS_TABLE} (article_id, grams)
        VALUES (NEW.id, array_to_tsvector(aidnews_grams(NEW.title) || aidnews_grams(NEW.body)))
        ON CONFLICT (article_id) DO UPDATE SET grams = EXCLUDED.grams;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER article_grams AFTER INSERT OR UPDATE OF title, body ON article
        FOR EACH ROW EXECUTE FUNCTION aidnews_article_grams()""",
    f"""INSERT INTO {GRAMS_TABLE} (article_id, grams)
        SELECT id, array_to_tsvector(aidnews_grams(title) || aidnews_grams(body)) FROM article""",
    f"CREATE INDEX ix_{GRAMS_TABLE}_grams ON {GRAMS_TABLE} USING gin (grams)",
    f"ANALYZE {GRAMS_TABLE}",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in PG_UPGRADE:
            op.execute(statement)
        return
    grams.register(bind.connection.driver_connection)  # type: ignore[arg-type]
    op.execute(f"CREATE VIRTUAL TABLE {GRAMS_TABLE} USING fts5(title, body, content='', tokenize='ascii', prefix='1')")
    for statement in TRIGGERS.values():
        op.execute(statement)
    op.execute(f"INSERT INTO {GRAMS_TABLE}(rowid, title, body) SELECT id, {_F}(title), {_F}(body) FROM article")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS article_grams ON article")
        op.execute("DROP FUNCTION IF EXISTS aidnews_article_grams()")
        op.execute("DROP FUNCTION IF EXISTS aidnews_grams(text)")
        op.execute(f"DROP TABLE IF EXISTS {GRAMS_TABLE}")
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"DROP TABLE IF EXISTS {GRAMS_TABLE}")
