"""one page row per URL and content; the host of every run

A crawl child that outlived its killed parent, or two crawls at once, stored the same page version twice. Now
`page` holds at most one row per (url, sha256): the upgrade folds existing duplicates into their first row (and
points any article built from a later copy at it), then a unique index keeps it so. A page fetched again with
content it had before refreshes that row instead (etl.store.pages.store_pages).

`run.host` names the machine whose process does the run, so a command that reaps runs left `running` by dead
processes judges only its own machine's pids (containers sharing one PostgreSQL have separate pid spaces).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The first row of each (url, sha256) group, and every row of the group with it.
_FIRST_OF_GROUP = (
    "SELECT later.id AS id, min(first.id) AS first_id FROM page AS later "
    "JOIN page AS first ON first.url = later.url AND first.sha256 = later.sha256 AND first.id < later.id "
    "GROUP BY later.id"
)


def upgrade() -> None:
    op.execute(
        f"UPDATE article SET page_id = (SELECT g.first_id FROM ({_FIRST_OF_GROUP}) AS g WHERE g.id = article.page_id) "
        f"WHERE page_id IN (SELECT g.id FROM ({_FIRST_OF_GROUP}) AS g)"
    )
    op.execute(f"DELETE FROM page WHERE id IN (SELECT g.id FROM ({_FIRST_OF_GROUP}) AS g)")
    op.create_index("ux_page_url_sha256", "page", ["url", "sha256"], unique=True)
    op.add_column("run", sa.Column("host", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.drop_column("host")
    op.drop_index("ux_page_url_sha256", table_name="page")
