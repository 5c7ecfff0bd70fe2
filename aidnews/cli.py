"""The `aidnews` command line: crawl, ETL, serve, query and extract.

Every command reads `DATABASE_URL` (default: SQLite at data/aidnews.db) and, where it needs sources,
`--sources` (default: $AIDNEWS_SOURCES or ./sources.toml). This module only assembles the app and its global
options (`-v`, and the time zone every command shows times in); the commands are in aidnews.commands, by
group, and what they share is in aidnews.common.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

from aidnews import common, render
from aidnews.commands import present, query, service, status, tools
from etl import clock, logs

HELP = """aidnews: Chinese aid-work news (援疆 援藏 援青 东西部协作 定点帮扶) into a queryable database.

The database is [bold]DATABASE_URL[/], an SQLAlchemy URL such as postgresql+psycopg://user@host/aidnews; without it, \
SQLite at ./data/aidnews.db. Only serve, run-once, crawl, etl and db upgrade create or migrate it; the other \
commands only read it. Sources come from --sources, else $AIDNEWS_SOURCES, else ./sources.toml; times show in \
its \\[settings] timezone (default Asia/Shanghai).

Example: aidnews run-once --demo && aidnews articles
"""


# The base of the usage errors typer raises (click's, which typer vendors and does not export): found at run time
# through an exported subclass, so a typer that moves its copy of click does not break the import; the type
# checker reads the vendored module.
if TYPE_CHECKING:
    from typer._click.exceptions import ClickException as ClickError
else:
    ClickError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _no_flag_metavars(params: list[Any]) -> list[Any]:
    """A flag takes no value, so its help shows none (typer would print `<bool>`)."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _no_flag_metavars(super().get_params(ctx))


class Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _no_flag_metavars(super().get_params(ctx))

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """A usage error (a bad option value, an unknown command) in one line on stderr, exit 2."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except ClickError as exc:
            if type(exc).__name__ != "NoArgsIsHelpError":  # that one has printed the help already
                ctx = getattr(exc, "ctx", None)
                hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
                common.err.print(
                    Text("error: ", style="bold red") + render.plain(exc.format_message() + hint),
                    highlight=False,
                    soft_wrap=True,
                )
            sys.exit(exc.exit_code)
        except typer.Abort:
            sys.exit(1)
        except Exception as exc:
            message = _outage(exc)
            if message is None:
                raise
            common.fail(message, code=1)  # with -v, the traceback first
            sys.exit(1)
        sys.exit(code or 0)


def _outage(exc: BaseException) -> str | None:
    """A job's database or Redis gone for longer than its retries wait, in a line; None for any other error.

    An expected failure (a server restarted for good, a database dropped, the network gone) is said in a line and
    exits 1, like a failed run; the run it interrupted shows as crashed in `aidnews status`. Looked up among the
    loaded modules: a command that never imported SQLAlchemy or Redis cannot have failed in them.
    """
    database = sys.modules.get("sqlalchemy.exc")
    if database is not None and isinstance(exc, database.OperationalError | database.InterfaceError):
        from etl.store.engine import database_url, describe

        return f"the database at {describe(database_url())} failed: {common.reason(exc)}"
    queue = sys.modules.get("redis.exceptions")
    if queue is not None and isinstance(exc, queue.ConnectionError | queue.TimeoutError):
        return f"Redis failed: {common.reason(exc)}"
    return None


app = typer.Typer(
    help=HELP,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    cls=Group,
    add_completion=False,
)
db_app = typer.Typer(
    help="Database schema: upgrade and inspect migrations (DATABASE_URL names the database).",
    no_args_is_help=True,
    cls=Group,
)
app.add_typer(db_app, name="db")


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show the traceback behind an error")] = False,
) -> None:
    common.verbose = verbose
    clock.use(clock.configured_name(common.sources_path(None)) or clock.DEFAULT_TIMEZONE)
    logs.setup(level=logging.WARNING, tracebacks=verbose)


def _add(group: typer.Typer, name: str, function: Any) -> None:
    group.command(name, cls=Command)(function)


# jobs and the service
_add(app, "serve", service.serve)
_add(app, "run-once", service.run_once)
_add(app, "crawl", service.crawl)
_add(app, "etl", service.etl)
_add(app, "demo-site", service.demo_site)
# reading what is stored
_add(app, "articles", query.articles)
_add(app, "article", query.article)
_add(app, "metrics", query.metrics)
_add(app, "export", query.export)
_add(app, "status", status.status)
_add(app, "browse", present.browse)
_add(app, "report", present.report)
# offline tools and the schema
_add(app, "extract", tools.extract)
_add(app, "check-sources", tools.check_sources)
_add(db_app, "upgrade", tools.db_upgrade)
_add(db_app, "current", tools.db_current)
