"""metric values as exact decimals, the kind of each money figure, 个百分点 as its own unit

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-02 10:00:00

Existing values were doubles (2.3亿元 stored as 229999999.99999997); they are rounded to 15 significant
digits, which is all a double holds of a decimal, and so come back as the figure that was written.
``money_kind`` stays empty for stored rows until they are extracted again (``aidnews etl --reprocess``): the
kind is read from the sentence, which a migration does not do.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALUES = ("value", "value_max")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("metric") as batch:
        for column in VALUES:
            batch.alter_column(column, type_=sa.Numeric(), existing_type=sa.Float(),
                               existing_nullable=column == "value_max",
                               postgresql_using=f"{column}::numeric")  # PostgreSQL casts with 15 digits
        batch.add_column(sa.Column("money_kind", sa.String(), nullable=True))
        batch.create_index("ix_metric_money_kind", ["money_kind"])
    if sqlite:
        for column in VALUES:
            op.execute(f"UPDATE metric SET {column} = CAST(printf('%.15g', {column}) AS NUMERIC) "
                       f"WHERE {column} IS NOT NULL")
    op.execute("UPDATE metric SET unit = 'percentage_point' WHERE unit = 'percent' AND classifier = '个百分点'")


def downgrade() -> None:
    op.execute("UPDATE metric SET unit = 'percent' WHERE unit = 'percentage_point'")
    with op.batch_alter_table("metric") as batch:
        batch.drop_index("ix_metric_money_kind")
        batch.drop_column("money_kind")
        for column in VALUES:
            batch.alter_column(column, type_=sa.Float(), existing_type=sa.Numeric(),
                               existing_nullable=column == "value_max",
                               postgresql_using=f"{column}::double precision")
