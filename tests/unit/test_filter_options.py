"""The filter options of `articles`, `metrics` and `export` come from one table (aidnews.filter_options)."""

from __future__ import annotations

import inspect
from dataclasses import fields
from typing import Annotated

import pytest
import typer
from typer.main import get_command

from aidnews.cli import app
from aidnews.filter_options import FILTER_OPTIONS, filter_options
from etl.filters import Filters

pytestmark = pytest.mark.unit


def options_of(command: str) -> list[str]:
    """The parameter names of a command, in the order its --help lists them."""
    return [param.name for param in get_command(app).commands[command].params]  # type: ignore[attr-defined]


def test_every_field_of_filters_is_an_option_and_no_other() -> None:
    assert sorted(FILTER_OPTIONS) == sorted(f.name for f in fields(Filters))


@pytest.mark.parametrize(
    ("command", "left_out"), [("articles", {"unit"}), ("metrics", set()), ("export", {"unit", "duplicates"})]
)
def test_each_command_takes_the_filters_in_one_order(command: str, left_out: set[str]) -> None:
    shown = [name for name in options_of(command) if name in FILTER_OPTIONS]
    assert shown == [name for name in FILTER_OPTIONS if name not in left_out]
    assert "filters" not in options_of(command)


def test_a_command_gets_one_filters_value_and_its_own_options() -> None:
    @filter_options(leave_out=("unit",))
    def listing(limit: int = 5, *, filters: Filters, fmt: str = "table") -> tuple[Filters, int, str]:
        return filters, limit, fmt

    assert [p for p in inspect.signature(listing).parameters][:2] == ["limit", "program"]
    assert "unit" not in inspect.signature(listing).parameters
    got = listing(limit=2, program="援疆", q="疏附", duplicates=True, fmt="json")
    assert got == (Filters(program="援疆", q="疏附", duplicates=True), 2, "json")
    assert listing()[0] == Filters()


def test_a_misspelt_filter_name_is_refused_when_the_command_is_declared() -> None:
    with pytest.raises(ValueError, match="no filter option named recipeint"):
        filter_options(leave_out=("recipeint",))
    with pytest.raises(TypeError, match="no `filters` parameter"):
        filter_options()(lambda limit=1: limit)


def test_a_command_may_word_a_filters_help_its_own_way() -> None:
    def help_of(command: str, option: str) -> str:
        params = get_command(app).commands[command].params  # type: ignore[attr-defined]
        return next(p.help for p in params if p.name == option)

    assert help_of("articles", "category") == "only articles stating a figure of this category"
    assert help_of("metrics", "category").startswith("a figure category: funding")

    @filter_options(since=Annotated[str | None, typer.Option(help="from this day")])
    def listing(*, filters: Filters) -> Filters:
        return filters

    assert inspect.signature(listing).parameters["since"].annotation.__metadata__[0].help == "from this day"
    assert listing(since="2023") == Filters(since="2023")
