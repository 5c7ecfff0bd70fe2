"""freshness: article versions, and when a stored page was last found unchanged

`article_version` keeps the extraction a corrected page replaced (title, body, date, figures), so a user can
see what changed; `page.checked_at` records the last conditional GET that found a page unchanged, so the
crawler spaces its revisits. Neither change touches `article` or `metric`, so the views stay as they are.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import etl.store.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("published_at", etl.store.models.AwareDateTime(timezone=True), nullable=True),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("body_length", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("extractor_version", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("extracted_at", etl.store.models.AwareDateTime(timezone=True), nullable=True),
        sa.Column("superseded_at", etl.store.models.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["page_id"], ["page.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("article_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_version_article_id"), ["article_id"], unique=False)
    # A plain ADD COLUMN on both databases (no table rebuild on SQLite).
    op.add_column("page", sa.Column("checked_at", etl.store.models.AwareDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("article_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_version_article_id"))
    op.drop_table("article_version")
    # ALTER TABLE … DROP COLUMN on both (SQLite 3.35+): a batch rebuild of `page` would delete and re-insert
    # the pages that articles point at.
    op.drop_column("page", "checked_at")
