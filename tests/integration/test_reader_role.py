"""The read-only role aidnews_reader (migration 0009): it reads every table and view, and changes nothing.

Roles are cluster-wide and other test sessions migrate their own databases at the same time, so nothing here
drops or alters the role itself; each check runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from etl.store import engine as db

pytestmark = pytest.mark.postgres

READER = db.READER_ROLE
VIEWS = ("v_articles", "v_metrics", "v_funding_totals")
WRITES = (
    "INSERT INTO source (name) VALUES ('x')",
    "UPDATE article SET title = 'x'",
    "DELETE FROM metric",
    "TRUNCATE page CASCADE",
    "CREATE TABLE reader_was_here (id int)",
    "CREATE VIEW reader_view AS SELECT 1 AS one",
    "DROP VIEW v_articles",
    "ALTER TABLE article ADD COLUMN x int",
)


def as_reader(conn: sa.Connection) -> None:
    conn.exec_driver_sql(f"SET LOCAL ROLE {READER}")


def test_the_migration_creates_the_role_without_a_login(postgres_url: str) -> None:
    with db.get_engine(postgres_url).connect() as conn:
        login, superuser = conn.execute(
            sa.text("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = :r"), {"r": READER}
        ).one()
    assert (login, superuser) == (False, False)


def test_the_reader_selects_from_the_views_and_every_table(postgres_url: str) -> None:
    engine = db.get_engine(postgres_url)
    with engine.connect() as conn:
        tables = sa.inspect(conn).get_table_names() + sa.inspect(conn).get_view_names()
        conn.rollback()
        with conn.begin():
            as_reader(conn)
            assert conn.exec_driver_sql("SELECT current_user").scalar_one() == READER
            for name in tables:
                conn.exec_driver_sql(f'SELECT * FROM "{name}" LIMIT 1').all()
    assert set(VIEWS) <= set(tables) and {"article", "metric", "page", "run"} <= set(tables)


@pytest.mark.parametrize("statement", WRITES)
def test_the_reader_cannot_write(postgres_url: str, statement: str) -> None:
    with db.get_engine(postgres_url).connect() as conn, conn.begin() as transaction:
        as_reader(conn)
        with pytest.raises(sa.exc.ProgrammingError) as refused:
            conn.exec_driver_sql(statement)
        transaction.rollback()
    assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value)


def test_a_table_created_later_is_readable_by_default(postgres_url: str) -> None:
    engine = db.get_engine(postgres_url)
    with engine.connect() as conn, conn.begin() as transaction:
        conn.exec_driver_sql("CREATE TABLE later_table (id int)")  # as the migrating user, like a later migration
        as_reader(conn)
        assert conn.exec_driver_sql("SELECT count(*) FROM later_table").scalar_one() == 0
        transaction.rollback()


def test_read_commands_connect_as_the_reader(postgres_url: str) -> None:
    reader = db.reader(postgres_url)
    with reader.connect() as conn:
        assert conn.exec_driver_sql("SELECT current_user").scalar_one() == READER
        assert conn.exec_driver_sql("SELECT count(*) FROM v_articles").scalar_one() == 0


def test_upgrading_again_is_harmless_when_the_role_exists(postgres_url: str) -> None:
    config = db.alembic_config(postgres_url)
    command.downgrade(config, "0009")
    command.upgrade(config, "head")  # the role is there already (and other databases hold grants to it)
    with db.get_engine(postgres_url).connect() as conn, conn.begin():
        as_reader(conn)
        conn.exec_driver_sql("SELECT count(*) FROM v_metrics").scalar_one()


def test_a_database_behind_the_role_migration_says_to_upgrade_not_permission_denied(postgres_url: str) -> None:
    """The role is the cluster's, the grants each database's: one not yet migrated to 0010 is read as the
    connecting user, so that `status` says the schema is behind instead of failing on a table it may not read."""
    from typer.testing import CliRunner

    from aidnews.cli import app

    config = db.alembic_config(postgres_url)
    command.downgrade(config, "0009")
    db.reader(postgres_url).dispose()  # no connection that switched roles under the newer schema
    try:
        for args in (["status"], ["articles"]):
            done = CliRunner().invoke(app, args)
            assert done.exit_code == 2, done.output
            assert "has schema 0009, older than this version's" in done.stderr, done.stderr
            assert "permission denied" not in done.stderr
    finally:
        db.reader(postgres_url).dispose()
        command.upgrade(config, "head")
