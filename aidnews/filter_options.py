"""The filter options of `articles`, `metrics` and `export`, declared once.

A command takes them as one parameter, `filters: Filters`; `@filter_options()` puts the options in its place
(in FILTER_OPTIONS order, so every command lists them alike) and calls the command with one
`etl.filters.Filters` built from what was given. Adding a filter is one entry here and one field of `Filters`;
a command that cannot honour a filter leaves it out by name, and one that needs other words for a filter's
help gives its own option for it. `etl.filters` is imported only when a command runs, as the other commands'
modules are: it loads SQLAlchemy and the gazetteer, which `aidnews --help` does not need.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

Command = TypeVar("Command", bound=Callable[..., Any])

# Option name -> (its type and typer option, its default when not given): the fields of etl.filters.Filters.
FILTER_OPTIONS: dict[str, tuple[Any, Any]] = {
    "program": (Annotated[str | None, typer.Option(help="援疆, 援藏, 援青, 东西部协作, 定点帮扶 or 对口支援")], None),
    "provider": (
        Annotated[
            str | None,
            typer.Option(help="the helping side: a province, prefecture or county, full or short name (山东, 深圳市)"),
        ],
        None,
    ),
    "recipient": (
        Annotated[
            str | None,
            typer.Option(
                help="the side helped: a province, prefecture or county, full or short name (新疆, 喀什地区, 疏附)"
            ),
        ],
        None,
    ),
    "source": (
        Annotated[str | None, typer.Option("--source", help="only articles crawled from this source (by name)")],
        None,
    ),
    "since": (
        Annotated[str | None, typer.Option(help="published on or after this day: YYYY, YYYY-MM or YYYY-MM-DD")],
        None,
    ),
    "until": (
        Annotated[str | None, typer.Option(help="published on or before this day: YYYY, YYYY-MM or YYYY-MM-DD")],
        None,
    ),
    "category": (
        Annotated[
            str | None,
            typer.Option(help="a figure category: funding, investment, personnel, jobs, training … (docs/metrics.md)"),
        ],
        None,
    ),
    "unit": (
        Annotated[str | None, typer.Option(help="CNY, person, household, count, m2, mu, kg, percent, …")],
        None,
    ),
    "duplicates": (
        Annotated[bool, typer.Option("--duplicates", help="include syndicated copies, marked as copies")],
        False,
    ),
    "q": (
        Annotated[
            str | None,
            typer.Option(
                "--q", "--search", help="words the title or body holds, all of them (Traditional or Simplified)"
            ),
        ],
        None,
    ),
}


def filter_options(*, leave_out: tuple[str, ...] = (), **worded: Any) -> Callable[[Command], Command]:
    """Give a command the filter options in place of its `filters` parameter, but those of `leave_out`; `worded`
    maps a filter to the annotation (type and typer option) this command shows instead of the shared one."""
    unknown = sorted((set(leave_out) | set(worded)) - set(FILTER_OPTIONS))
    if unknown:
        raise ValueError(f"no filter option named {', '.join(unknown)}: the filters are {', '.join(FILTER_OPTIONS)}")

    def decorate(command: Command) -> Command:
        # typer reads the signature with its annotations evaluated; `Filters` stays a name, as it is never shown
        own = inspect.signature(command, eval_str=True, locals={"Filters": "etl.filters.Filters"})
        if "filters" not in own.parameters:
            raise TypeError(f"{command.__name__} has no `filters` parameter to put the filter options in")
        kind = own.parameters["filters"].kind
        shared = [
            inspect.Parameter(name, kind, default=default, annotation=worded.get(name, annotation))
            for name, (annotation, default) in FILTER_OPTIONS.items()
            if name not in leave_out
        ]
        parameters = [p for own_p in own.parameters.values() for p in (shared if own_p.name == "filters" else [own_p])]

        @functools.wraps(command)
        def run(**given: Any) -> Any:
            from etl.filters import Filters

            values = {name: given.pop(name) for name in FILTER_OPTIONS if name in given}
            return command(filters=Filters(**values), **given)

        run.__signature__ = own.replace(parameters=parameters)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in parameters}
        return run  # type: ignore[return-value]

    return decorate
