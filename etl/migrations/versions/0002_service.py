"""service table: the running scheduler and its next runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 04:42:30.862343
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import etl.store.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", etl.store.models.AwareDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", etl.store.models.AwareDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", etl.store.models.AwareDateTime(timezone=True), nullable=True),
        sa.Column("jobs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("service")
