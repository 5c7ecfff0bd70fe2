"""ETL workers on PostgreSQL: a lease on pending pages, and a revision on articles for the shared duplicate index

Several `aidnews etl --worker` processes share the pending pages (etl/store/claims.py). A worker claims a
batch by writing its name and a lease end into `page.claimed_by` / `page.claimed_until`; the batch's write
clears them. A killed worker's claim simply expires. `article.dedup_rev` is stamped from a sequence by a
trigger whenever an article is inserted or one of the columns that duplicate detection reads changes, so a
worker can bring its in-memory duplicate index up to date with what the others stored (rows past the newest
revision it has seen) instead of reloading every article.

PostgreSQL only: SQLite has one writer and no `etl --worker`, so its schema does not change. Nothing here is
in the SQLModel classes; etl/store/claims.py names the columns itself.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_UPGRADE = (
    "ALTER TABLE page ADD COLUMN claimed_by TEXT",
    "ALTER TABLE page ADD COLUMN claimed_until TIMESTAMP WITH TIME ZONE",
    # Claims look for pending pages in id order; the partial index keeps that cheap however many pages are done.
    "CREATE INDEX ix_page_pending_id ON page (id) WHERE etl_status = 'pending'",
    "CREATE SEQUENCE article_dedup_rev_seq",
    "ALTER TABLE article ADD COLUMN dedup_rev BIGINT",
    "UPDATE article SET dedup_rev = nextval('article_dedup_rev_seq')",
    "CREATE INDEX ix_article_dedup_rev ON article (dedup_rev)",
    """
    CREATE FUNCTION article_dedup_rev() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.dedup_rev := nextval('article_dedup_rev_seq');
        RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER article_dedup_rev_insert BEFORE INSERT ON article "
    "FOR EACH ROW EXECUTE FUNCTION article_dedup_rev()",
    # Only the columns the duplicate index holds; a WHEN clause skips updates that rewrite the same values.
    "CREATE TRIGGER article_dedup_rev_update BEFORE UPDATE OF content_hash, simhash, published_at, page_id, "
    "duplicate_of ON article FOR EACH ROW WHEN ("
    "OLD.content_hash IS DISTINCT FROM NEW.content_hash OR OLD.simhash IS DISTINCT FROM NEW.simhash "
    "OR OLD.published_at IS DISTINCT FROM NEW.published_at OR OLD.page_id IS DISTINCT FROM NEW.page_id "
    "OR OLD.duplicate_of IS DISTINCT FROM NEW.duplicate_of) EXECUTE FUNCTION article_dedup_rev()",
)

PG_DOWNGRADE = (
    "DROP TRIGGER article_dedup_rev_update ON article",
    "DROP TRIGGER article_dedup_rev_insert ON article",
    "DROP FUNCTION article_dedup_rev()",
    "DROP INDEX ix_article_dedup_rev",
    "ALTER TABLE article DROP COLUMN dedup_rev",
    "DROP SEQUENCE article_dedup_rev_seq",
    "DROP INDEX ix_page_pending_id",
    "ALTER TABLE page DROP COLUMN claimed_until",
    "ALTER TABLE page DROP COLUMN claimed_by",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DOWNGRADE:
            op.execute(statement)
