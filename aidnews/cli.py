"""The `aidnews` command line: crawl, ETL, serve, query and extract.

Every command reads `DATABASE_URL` (default: SQLite at data/aidnews.db) and, where it needs sources,
`--sources` (default: $AIDNEWS_SOURCES or ./sources.toml). This module only assembles the app; the
commands are in aidnews.commands, by group, and what they share is in aidnews.common.
"""

from __future__ import annotations

import typer

from aidnews.commands import present, query, service, tools

app = typer.Typer(
    help="aidnews: Chinese aid-work news (援疆 援藏 援青 东西部协作 定点帮扶) into a queryable database.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema: upgrade and inspect migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

# jobs and the service
app.command("serve")(service.serve)
app.command("run-once")(service.run_once)
app.command("crawl")(service.crawl)
app.command("etl")(service.etl)
app.command("demo-site")(service.demo_site)
# reading what is stored
app.command("articles")(query.articles)
app.command("article")(query.article)
app.command("metrics")(query.metrics)
app.command("export")(query.export)
app.command("status")(query.status)
app.command("browse")(present.browse)
app.command("report")(present.report)
# offline tools and the schema
app.command("extract")(tools.extract)
app.command("check-sources")(tools.check_sources)
db_app.command("upgrade")(tools.db_upgrade)
db_app.command("current")(tools.db_current)
