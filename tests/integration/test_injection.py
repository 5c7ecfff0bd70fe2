"""Hostile filter values leave the database as it was, on SQLite and PostgreSQL.

Quote, comment and statement strings, LIKE wildcards, the escape character, backticks and NUL go through every
filter of `articles`, `metrics` and `export`, through `--q` and through `--group-by`. Each run must end with
exit 0 (nothing matched) or 2 (a value that names nothing), never a traceback; afterwards every table holds
exactly what it held. Every statement sent to the database is recorded too: a hostile value may only ever
travel as a bound parameter, never inside the SQL text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from typer.testing import CliRunner

from aidnews.cli import app
from etl.store import engine as db
from etl.store.models import Article, Metric, Page, Run, Source

pytestmark = pytest.mark.integration

HOSTILE = (
    "'; DROP TABLE article; --",
    '" OR 1=1 --',
    "') OR ('1'='1",
    "%",
    "_",
    "\\",
    "`article`; DELETE FROM metric; --",
    "援疆\x00'; DROP TABLE metric; --",
    '"援疆" OR "x" NOT y*',  # FTS5 query syntax
    "1; UPDATE article SET title = 'x'",
)
FILTERS = ("--program", "--provider", "--recipient", "--source", "--since", "--until", "--category", "--q")
COMMANDS = {
    ("articles",): FILTERS,
    ("metrics",): (*FILTERS, "--unit", "--group-by"),
    ("export", "articles"): FILTERS,
    ("export", "metrics"): FILTERS,
}
TABLES = ("article", "metric", "page", "run", "source", "service", "alembic_version")
SIGNATURE_MIN = 4  # hostile values this long or longer must never appear in SQL text (`%` may, as SQL's own)


@pytest.fixture(autouse=True)
def engine_of_this_test() -> Iterator[None]:
    """The CLI's `get_engine()` is cached under no URL, once per process: make it read this DATABASE_URL."""
    db.reset_engines()
    yield
    db.reset_engines()


@pytest.fixture
def stored(database_url: str) -> str:
    with Session(db.get_engine(database_url)) as session:
        session.add(Source(name="demo-a", config={"start_urls": ["http://example.test/"]}))
        session.add(Run(kind="crawl", status="ok", counts={"pages_stored": 1}))
        session.add(Page(url="http://example.test/1", final_url="http://example.test/1", source_name="demo-a",
                         status=200, body=b"x", sha256="0" * 64))
        for i in range(3):
            article = Article(url=f"http://example.test/{i}", canonical_url=f"http://example.test/{i}",
                              content_hash=str(i), title=f"援疆项目{i}", body=f"疏附县投入援疆资金{i}00万元。",
                              program="援疆", provider_province="广东省", recipient_province="新疆维吾尔自治区",
                              recipient_prefecture="喀什地区", source_name="demo-a",
                              published_at=datetime(2023, 1 + i, 1, tzinfo=UTC))
            session.add(article)
            session.commit()
            session.add(Metric(article_id=article.id, text=f"{i}00万元", start=8, end=13, sentence="投入资金。",
                               value=float(i * 1_000_000), unit="CNY", category="funding", money_kind="aid_funding"))
        session.commit()
    return database_url


def snapshot(url: str) -> dict[str, str]:
    """A digest of every row of every table, and the list of tables, views and indexes."""
    engine = db.get_engine(url)
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for table in TABLES:
            rows = conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1")).all()
            out[table] = hashlib.sha256(repr(rows).encode()).hexdigest() + f" ({len(rows)} rows)"
        if engine.dialect.name == "sqlite":
            objects = conn.execute(sa.text("SELECT type, name FROM sqlite_master ORDER BY name")).all()
        else:
            objects = conn.execute(sa.text("SELECT 'relation', relname FROM pg_class c JOIN pg_namespace n "
                                           "ON n.oid = c.relnamespace WHERE nspname = 'public' ORDER BY 2")).all()
        out["schema"] = repr(objects)
    return out


def test_hostile_values_through_every_filter_change_nothing(stored: str, tmp_path: Path) -> None:
    before = snapshot(stored)
    statements: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    outcomes: dict[tuple[str, str, str], int] = {}
    written = tmp_path / "out.jsonl"
    try:
        for command, options in COMMANDS.items():
            target = [*command, "-o", str(written)] if command[0] == "export" else list(command)
            for option in options:
                for value in HOSTILE:
                    result = CliRunner().invoke(app, [*target, option, value])
                    said = result.output + result.stderr
                    assert result.exception is None or isinstance(result.exception, SystemExit), \
                        (command, option, value, result.exception)
                    assert "Traceback" not in said, (command, option, value, said)
                    assert result.exit_code in (0, 2), (command, option, value, said)
                    outcomes[(" ".join(command), option, value)] = result.exit_code
        for value in ("1 OR 1=1", "'; DROP TABLE article; --"):
            result = CliRunner().invoke(app, ["article", value])
            assert result.exit_code == 2 and result.exception is None or isinstance(result.exception, SystemExit)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert snapshot(stored) == before
    assert statements
    for value in HOSTILE:
        if len(value) >= SIGNATURE_MIN:
            assert not any(value in statement for statement in statements), value
    # the values were really looked at: a NUL is refused, and every --q is a valid search that finds nothing
    refused = {key for key, code in outcomes.items() if code == 2}
    assert {key for key in outcomes if "\x00" in key[2]} <= refused
    assert not {key for key in refused if key[1] == "--q" and "\x00" not in key[2]}
    assert outcomes[("metrics", "--group-by", "'; DROP TABLE article; --")] == 2
