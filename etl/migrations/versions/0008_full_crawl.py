"""source.full_crawl_run: the first crawl that read every list page of a source

A crawl may stop paging at the first list page with nothing new only once the source has been crawled
whole; this column names that crawl (etl.store.sources). A plain ADD COLUMN on both databases: `source`
is in no view.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("source", sa.Column("full_crawl_run", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("source", "full_crawl_run")
