"""initial schema: source, run, page, article, metric

Revision ID: 0001
Revises:
Create Date: 2026-11-29 02:56:10.705617
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import etl.store.models

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("started_at", etl.store.models.AwareDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", etl.store.models.AwareDateTime(timezone=True), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_started_at"), ["started_at"], unique=False)

    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", etl.store.models.AwareDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", etl.store.models.AwareDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_name"), ["name"], unique=True)

    op.create_table(
        "page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("final_url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("http_charset", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("meta_charset", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("detected_encoding", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("fetched_at", etl.store.models.AwareDateTime(timezone=True), nullable=False),
        sa.Column("etag", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("last_modified", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("etl_status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("etl_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("extractor_version", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("processed_at", etl.store.models.AwareDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("page", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_etl_status"), ["etl_status"], unique=False)
        batch_op.create_index(batch_op.f("ix_page_fetched_at"), ["fetched_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_page_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_page_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_page_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_page_source_name"), ["source_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_page_url"), ["url"], unique=False)

    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=True),
        sa.Column("source_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("canonical_url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("subtitle", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("published_at", etl.store.models.AwareDateTime(timezone=True), nullable=True),
        sa.Column("news_source", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("editor", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("body_original", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("script", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("pinyin_stripped", sa.Integer(), nullable=False),
        sa.Column("garbled_found", sa.Integer(), nullable=False),
        sa.Column("garbled_repaired", sa.Integer(), nullable=False),
        sa.Column("garbled_spans", sa.JSON(), nullable=False),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("simhash", sa.BigInteger(), nullable=True),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("program", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("provider_province", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("provider_prefecture", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("provider_county", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("provider_inferred", sa.Boolean(), nullable=False),
        sa.Column("recipient_province", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("recipient_prefecture", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("recipient_county", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("recipient_inferred", sa.Boolean(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=True),
        sa.Column("period_start", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("period_end", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("extractor_version", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", etl.store.models.AwareDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", etl.store.models.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["duplicate_of"],
            ["article.id"],
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["page.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_canonical_url"), ["canonical_url"], unique=True)
        batch_op.create_index(batch_op.f("ix_article_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_duplicate_of"), ["duplicate_of"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_page_id"), ["page_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_program"), ["program"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_published_at"), ["published_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_source_name"), ["source_name"], unique=False)

    op.create_table(
        "metric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("sentence", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("value_max", sa.Float(), nullable=True),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("classifier", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("qualifier", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("metric", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_metric_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_metric_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_metric_unit"), ["unit"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("metric", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_unit"))
        batch_op.drop_index(batch_op.f("ix_metric_category"))
        batch_op.drop_index(batch_op.f("ix_metric_article_id"))

    op.drop_table("metric")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_source_name"))
        batch_op.drop_index(batch_op.f("ix_article_published_at"))
        batch_op.drop_index(batch_op.f("ix_article_program"))
        batch_op.drop_index(batch_op.f("ix_article_page_id"))
        batch_op.drop_index(batch_op.f("ix_article_duplicate_of"))
        batch_op.drop_index(batch_op.f("ix_article_content_hash"))
        batch_op.drop_index(batch_op.f("ix_article_canonical_url"))

    op.drop_table("article")
    with op.batch_alter_table("page", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_url"))
        batch_op.drop_index(batch_op.f("ix_page_source_name"))
        batch_op.drop_index(batch_op.f("ix_page_sha256"))
        batch_op.drop_index(batch_op.f("ix_page_run_id"))
        batch_op.drop_index(batch_op.f("ix_page_kind"))
        batch_op.drop_index(batch_op.f("ix_page_fetched_at"))
        batch_op.drop_index(batch_op.f("ix_page_etl_status"))

    op.drop_table("page")
    with op.batch_alter_table("source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_name"))

    op.drop_table("source")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_started_at"))
        batch_op.drop_index(batch_op.f("ix_run_kind"))

    op.drop_table("run")
