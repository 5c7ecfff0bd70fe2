"""views for analysts: v_articles, v_metrics, v_funding_totals

The tables are shaped for the ETL; these views are shaped for someone with a SQL prompt. They mean the same on
SQLite and PostgreSQL: only the date arithmetic differs, and both branches turn the stored UTC time into Beijing
time (UTC+8; China has kept no daylight saving since 1991) before taking its date or year, as the CLI does.

A view pins the columns it reads: a later migration that rebuilds `article` or `metric` (SQLite batch mode, or
a column type change on PostgreSQL) must drop these views first and create them again afterwards.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS = ("v_funding_totals", "v_metrics", "v_articles")  # in the order they can be dropped


def _local_date(column: str, dialect: str) -> str:
    """`YYYY-MM-DD` of a stored UTC time, in Beijing."""
    if dialect == "postgresql":
        return f"to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
    return f"date({column}, '+8 hours')"


def _local_year(column: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"CAST(EXTRACT(YEAR FROM {column} AT TIME ZONE 'Asia/Shanghai') AS INTEGER)"
    return f"CAST(strftime('%Y', {column}, '+8 hours') AS INTEGER)"


def _v_articles(dialect: str) -> str:
    return f"""
CREATE VIEW v_articles AS
SELECT a.id, a.title, a.subtitle, a.published_at,
       {_local_date('a.published_at', dialect)} AS published_date,
       {_local_year('a.published_at', dialect)} AS published_year,
       a.source_name, a.news_source, a.author, a.editor, a.url, a.canonical_url,
       a.program,
       a.provider_province, a.provider_prefecture, a.provider_county, a.provider_inferred,
       a.recipient_province, a.recipient_prefecture, a.recipient_county, a.recipient_inferred,
       a.batch, a.period_start, a.period_end,
       (SELECT COUNT(*) FROM metric m WHERE m.article_id = a.id) AS metrics,
       (SELECT COUNT(*) FROM article d WHERE d.duplicate_of = a.id) AS copies,
       a.script, a.garbled_found, a.garbled_repaired,
       a.body
FROM article a
WHERE a.duplicate_of IS NULL
"""


def _v_metrics(dialect: str) -> str:
    return f"""
CREATE VIEW v_metrics AS
SELECT m.id, m.article_id, m.text, m.value, m.value_max, m.unit, m.classifier, m.qualifier, m.category,
       m.subject, m.sentence,
       a.title, a.url, a.published_at,
       {_local_date('a.published_at', dialect)} AS published_date,
       {_local_year('a.published_at', dialect)} AS published_year,
       a.program,
       a.provider_province, a.provider_prefecture, a.provider_county,
       a.recipient_province, a.recipient_prefecture, a.recipient_county,
       a.source_name, a.news_source,
       a.duplicate_of
FROM metric m
JOIN article a ON a.id = m.article_id
"""


# Aid funding only (money kind `aid_funding`: a price, a wage or a sale is never added in), in yuan, over
# primary articles, so that a syndicated copy is not counted twice and no other unit is ever added in.
def _v_funding_totals(dialect: str) -> str:
    year = _local_year("a.published_at", dialect)
    return f"""
CREATE VIEW v_funding_totals AS
SELECT a.provider_province, a.provider_prefecture, a.provider_county,
       a.recipient_province, a.recipient_prefecture, a.recipient_county,
       {year} AS year,
       SUM(m.value) AS total_cny,
       COUNT(*) AS mentions,
       COUNT(DISTINCT a.id) AS articles,
       SUM(CASE WHEN m.qualifier <> 'exact' OR m.value_max IS NOT NULL THEN 1 ELSE 0 END) AS approximate_mentions
FROM metric m
JOIN article a ON a.id = m.article_id
WHERE a.duplicate_of IS NULL
  AND m.category = 'funding'
  AND m.money_kind = 'aid_funding'
  AND m.unit = 'CNY'
GROUP BY a.provider_province, a.provider_prefecture, a.provider_county,
         a.recipient_province, a.recipient_prefecture, a.recipient_county,
         {year}
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for build in (_v_articles, _v_metrics, _v_funding_totals):
        op.execute(build(dialect))


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
