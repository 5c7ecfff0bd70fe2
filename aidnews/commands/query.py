"""Commands that read what is stored: `articles`, `article`, `metrics` and `export` (`status` is in its own module).

They print tables for people and JSON lines (`--format json`) or files (`export`) for programs; the
queries themselves are in etl.query, the filters in etl.filters and the export files in etl.export. A filter
value that names nothing is a usage error (exit 2) listing the valid values; a valid filter that matches
nothing says so and exits 0.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from aidnews import render
from aidnews.common import (
    ID_MAX,
    ROWS_MAX,
    FormatOpt,
    WideOpt,
    cell,
    console,
    emit,
    err,
    fail,
    read_db,
)
from aidnews.filter_options import filter_options

if TYPE_CHECKING:
    from etl.filters import Filters

EVIDENCE_MAX = 100  # sentences per total in --evidence: more is a report, not a table
COPY_COLUMN = "copy_of"  # with --duplicates, tables show which article each syndicated copy copies


def _criteria(session: Any, filters: Any) -> Any:
    """The filters checked against the database, or exit 2 with the valid values."""
    from etl.filters import InvalidFilter, resolve

    try:
        return resolve(session, filters)
    except InvalidFilter as exc:
        raise fail(str(exc)) from None


def _nothing_found(what: str, description: str, stored: int) -> None:
    """Say why a listing is empty: nothing stored at all, or nothing that matches the filters."""
    if stored:
        err.print(f"no {what} matches: {escape(description)}", highlight=False)
    else:
        err.print("nothing stored yet: run [bold]aidnews run-once --demo[/] or [bold]aidnews crawl[/] first")


@filter_options(
    leave_out=("unit",),
    category=Annotated[str | None, typer.Option(help="only articles stating a figure of this category")],
)
def articles(
    limit: Annotated[int, typer.Option(min=1, max=ROWS_MAX, help="rows to show")] = 50,
    *,
    filters: Filters,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
) -> None:
    """List stored articles, newest first; with --q, the best matches first, each with the passage it matched.

    Example: aidnews articles --q 援疆干部 --recipient 喀什 --since 2023
    """
    from etl import query
    from etl.store.engine import session_scope

    db = read_db()
    with session_scope(db) as session:
        listing = query.articles(session, _criteria(session, filters), limit=limit)
        stored = query.stored_articles(session) if not listing.rows else 0
    if not listing.rows:
        _nothing_found("article", filters.describe(), stored)
        return
    if fmt != "table":
        emit(listing.rows, fmt, list(listing.rows[0]), title="articles")
        return
    columns = ["id", "published_at", "title", "program", "recipient", "metrics", "source"]
    if filters.q is not None:
        columns = ["id", "score", "published_at", "title", "snippet", "recipient"]
    if filters.duplicates:  # a copy is marked with the id of the article it copies
        columns.insert(1, COPY_COLUMN)
    emit(
        [dict(r, copy_of=r["duplicate_of"]) for r in listing.rows],
        fmt,
        columns,
        title="articles",
        total=None if listing.more else listing.total,
        wide=wide,
    )
    if listing.more:  # a search ranks and counts a bounded number of matches: say so, and how to narrow it
        err.print(
            Text(
                f"showing {len(listing.rows):,} of more than {listing.total:,} matches, ranked among the "
                f"{listing.total:,} most recently stored: add a word or a filter to narrow the search",
                style="dim",
            ),
            highlight=False,
        )


def article(
    article_id: Annotated[int, typer.Argument(metavar="ID", help="the article's id (from aidnews articles)")],
    original: Annotated[
        bool, typer.Option("--original", help="show the body as published, before normalising")
    ] = False,
    versions: Annotated[
        bool, typer.Option("--versions", help="every version of a corrected article and what each correction changed")
    ] = False,
    fmt: FormatOpt = "table",
) -> None:
    """Show one article whole: its metadata, body, the figures it states with their sentences, quality flags.

    Example: aidnews article 12 --format json   (aidnews article 12 --versions: what corrections changed)
    """
    from aidnews.commands.versions import show_versions
    from etl import query
    from etl.store.engine import session_scope

    if versions:
        show_versions(article_id, fmt)
        return
    db = read_db()
    with session_scope(db) as session:
        found = query.article(session, article_id)
        ids = query.article_ids(session) if found is None else None
    if found is None:
        known = f"ids run from {ids[0]} to {ids[1]}" if ids else "nothing is stored yet"
        raise fail(f"no article {article_id}: {known}", code=1)
    if fmt == "json":
        sys.stdout.write(render.json_line(found, indent=2) + "\n")
        return
    if fmt != "table":
        raise fail(f"unknown format {fmt!r}: use table or json")
    _show_article(found, original)


def _show_article(a: dict[str, Any], original: bool) -> None:
    quality = a["quality"]

    def line(*pairs: tuple[str, Any]) -> None:
        shown = [f"[dim]{label}[/] {escape(cell(value))}" for label, value in pairs if value not in (None, "", [])]
        if shown:
            console.print("  ".join(shown), highlight=False)

    console.print(f"[bold]#{a['id']} {escape(a['title'] or '(no title)')}[/]", highlight=False)
    line(("", a["subtitle"]))
    line(
        ("published", a["published_at"]),
        ("source", a["source"]),
        ("来源", a["news_source"]),
        ("author", a["author"]),
        ("editor", a["editor"]),
    )
    inferred = " (inferred)"
    line(
        ("program", a["program"]),
        ("batch", a["batch"]),
        ("provider", (a["provider"] or "") + (inferred if a["provider"] and a["provider_inferred"] else "")),
        ("recipient", (a["recipient"] or "") + (inferred if a["recipient"] and a["recipient_inferred"] else "")),
        ("period", "–".join(p for p in (a["period_start"], a["period_end"]) if p)),
        ("topics", a["topics"]),
    )
    line(("url", a["url"]))
    if a["canonical_url"] != a["url"]:
        line(("canonical", a["canonical_url"]))
    line(
        ("fetched", a["fetched_at"]),
        ("encoding", a["encoding"]),
        ("script", quality["script"]),
        ("extractor", quality["extractor_version"]),
    )
    flags = []
    if quality["duplicate_of"]:
        flags.append(f"a syndicated copy of article {quality['duplicate_of']}")
    if quality["copies"]:
        flags.append("copied as article " + ", ".join(map(str, quality["copies"])))
    if quality["garbled_found"]:
        flags.append(f"{quality['garbled_found']} garbled characters found, {quality['garbled_repaired']} repaired")
    if quality["pinyin_stripped"]:
        flags.append(f"{quality['pinyin_stripped']} pinyin annotations removed")
    console.print(f"[dim]quality[/] {escape('; '.join(flags) or 'no flags')}", highlight=False)
    console.print()
    console.print(render.plain(a["body_original"] if original else a["body"]), highlight=False)
    console.print()
    if a["figures"]:
        emit(
            a["figures"],
            "table",
            ["text", "value", "unit", "category", "subject", "sentence"],
            title=f"{len(a['figures'])} figures",
        )
    else:
        console.print("[dim]no figures[/]")


@filter_options()
def metrics(
    *,
    filters: Filters,
    group_by: Annotated[str | None, typer.Option(help="provider, recipient, program, category, year or source")] = None,
    evidence: Annotated[
        int, typer.Option(min=0, max=EVIDENCE_MAX, help="with --group-by: show up to N sentences behind each total")
    ] = 0,
    article: Annotated[int | None, typer.Option(min=1, max=ID_MAX, help="only the metrics of this article id")] = None,
    limit: Annotated[int, typer.Option(min=1, max=ROWS_MAX, help="rows to show")] = 100,
    fmt: FormatOpt = "table",
    wide: WideOpt = False,
) -> None:
    """List the figures articles state, or total them per group and unit (CNY is never added to persons).

    Example: aidnews metrics --group-by recipient --category funding --since 2023
    """
    from etl import query
    from etl.staleness import unclassified_note
    from etl.store.engine import session_scope

    description = filters.describe() + (f", article {article}" if article is not None else "")
    db = read_db()
    unclassified = 0
    with session_scope(db) as session:
        criteria = _criteria(session, filters)
        if group_by:
            try:
                rows = query.grouped_metrics(session, group_by, criteria, with_evidence=evidence)
            except ValueError as exc:
                raise fail(str(exc)) from None
            unclassified = query.unclassified_figures(session, criteria)
        else:
            listing = query.metrics(session, criteria, limit=limit, article_id=article)
            rows, total = listing.rows, listing.total
        stored = query.stored_articles(session) if not rows else 0
    if unclassified:  # money no kind-aware extractor has read: never added in, and said so
        err.print(Text("note: ", style="yellow") + render.plain(unclassified_note(unclassified)), highlight=False)
    if not rows:
        _nothing_found("figure", description, stored)
        return
    if group_by:
        emit(
            rows,
            fmt,
            [group_by, "unit", "kind", "total", "range", "mentions", "articles"],
            title=f"metrics by {group_by}",
            wide=wide,
        )
        if evidence and fmt == "table":
            for row in rows:
                for item in row.get("evidence", []):
                    console.print(
                        render.plain(f"{row[group_by]} {row['unit']}", style="bold")
                        + render.plain(f"  article {item['article_id']}: {item['text']}"),
                        highlight=False,
                    )
                    console.print(Padding(render.plain(item["sentence"] or ""), (0, 0, 0, 4)), highlight=False)
        return
    if fmt != "table":
        emit(rows, fmt, list(rows[0]), title="metrics")
        return
    columns = ["article_id", "text", "value", "unit", "qualifier", "category", "money_kind", "subject", "title"]
    if filters.duplicates:
        columns.insert(1, COPY_COLUMN)
    emit(
        [dict(r, copy_of=r["duplicate_of"]) for r in rows],
        fmt,
        columns,
        title="metrics",
        total=total,
        wide=wide,
        ranks={"title": 7},
    )


@filter_options(leave_out=("unit", "duplicates"))
def export(
    what: Annotated[str, typer.Argument(help="articles or metrics")],
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write: .csv, .jsonl or .parquet")],
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="csv, jsonl or parquet [default: from the file name]")
    ] = None,
    primary_only: Annotated[bool, typer.Option("--primary-only", help="leave out syndicated copies")] = False,
    *,
    filters: Filters,
) -> None:
    """Export articles (with their bodies) or metrics to CSV (for spreadsheets), JSON Lines or Parquet (pandas).

    Every match is written; syndicated copies too, unless --primary-only, with `duplicate_of` naming the original.
    Example: aidnews export metrics -o metrics.parquet --category funding --primary-only
    """
    from etl import export as exporting
    from etl.store.engine import session_scope

    if what not in exporting.COLUMNS:
        raise fail(f"cannot export {what!r}: choose {' or '.join(exporting.COLUMNS)}")
    try:
        chosen = exporting.format_of(output, fmt)
    except ValueError as exc:
        raise fail(str(exc)) from None
    filters = dataclasses.replace(filters, duplicates=not primary_only)
    db = read_db()
    with session_scope(db) as session:
        criteria = _criteria(session, filters)
        try:
            count = exporting.write(exporting.records(session, what, criteria), what, output, chosen)
        except OSError as exc:
            raise fail(f"cannot write {output}: {exc.strerror or exc}") from None
    err.print(
        f"{count} {what} written to {escape(str(output))} ({chosen.value}); filters: {escape(filters.describe())}",
        highlight=False,
    )
