"""`aidnews article ID --versions`: what a corrected article said before, and what each correction changed.

The history itself is read by etl.store.versions; this module only prints it: one row per version (the
current one last), then per correction the title before and after, the body characters added and removed,
and the figures added, removed or changed.
"""

from __future__ import annotations

import sys
from typing import Any

from rich.markup import escape

from aidnews import render
from aidnews.common import cell, console, emit, fail, read_db
from etl.query import local_time


def version_rows(article_id: int) -> list[dict[str, Any]]:
    """Each version of the article, oldest first, with what changed against the one before (None for the first)."""
    from etl.store.engine import session_scope
    from etl.store.versions import compare, history

    with session_scope(read_db()) as session:
        versions = history(session, article_id)
    rows = []
    for before, version in zip([None, *versions], versions, strict=False):
        change = compare(before, version) if before is not None else None
        rows.append({
            "version": version.number, "current": version.current, "title": version.title,
            "published_at": local_time(version.published_at), "extracted_at": local_time(version.extracted_at),
            "superseded_at": local_time(version.superseded_at), "body_chars": len(version.body),
            "figures": len(version.figures), "page_id": version.page_id,
            "changes": None if change is None else {
                "title": [change.title_before, change.title_after] if change.title_changed else None,
                "published_at": [local_time(change.published_before), local_time(change.published_after)]
                if change.published_before != change.published_after else None,
                "body_added": change.body_added, "body_removed": change.body_removed,
                "figures_added": list(change.figures_added), "figures_removed": list(change.figures_removed),
                "figures_changed": [{"before": c.before, "after": c.after, "unit": c.unit, "category": c.category}
                                    for c in change.figures_changed],
            },
        })
    return rows


def show_versions(article_id: int, fmt: str = "table") -> None:
    """Print the versions of one article (table or JSON lines); exits 1 when there is no such article."""
    rows = version_rows(article_id)
    if not rows:
        raise fail(f"no article with id {article_id}", code=1)
    if fmt == "json":
        for row in rows:
            sys.stdout.write(render.json_line(row) + "\n")
        return
    emit([dict(r, state="current" if r["current"] else f"until {cell(r['superseded_at'])}") for r in rows], fmt,
         ["version", "state", "extracted_at", "title", "body_chars", "figures"], title=f"article {article_id}")
    if len(rows) == 1:
        console.print("one version: no correction of this article has been seen")
    for row in rows[1:]:
        console.print(f"[bold]version {row['version'] - 1} → {row['version']}[/]", highlight=False)
        for line in change_lines(row["changes"]):
            console.print(f"  {escape(line)}", highlight=False)


def change_lines(changes: dict[str, Any]) -> list[str]:
    """A correction as lines a person reads."""
    lines = []
    if changes["title"]:
        lines.append(f"title: {changes['title'][0]} → {changes['title'][1]}")
    if changes["published_at"]:
        lines.append(f"published: {cell(changes['published_at'][0])} → {cell(changes['published_at'][1])}")
    lines.append(f"body: +{changes['body_added']} / -{changes['body_removed']} characters")
    for figure in changes["figures_changed"]:
        lines.append(f"figure changed: {figure['before']} → {figure['after']} ({figure['category']}, {figure['unit']})")
    if changes["figures_added"]:
        lines.append("figures added: " + "、".join(changes["figures_added"]))
    if changes["figures_removed"]:
        lines.append("figures removed: " + "、".join(changes["figures_removed"]))
    if not (changes["figures_changed"] or changes["figures_added"] or changes["figures_removed"]):
        lines.append("figures: unchanged")
    return lines

