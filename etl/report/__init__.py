"""`aidnews report`: one self-contained HTML file that shows what the database holds.

Someone who will never run SQL should see at a glance where the aid money went, from whom, when the news came,
what the articles count and how clean the data is. The file carries its CSS and its charts (inline SVG drawn by
etl/svgcharts.py): it opens offline, can be mailed, and asks nothing of the network.

`etl.report.data` reads what the report shows (`collect`, read-only), `etl.report.page` draws it (`render`);
`write_report` does both for the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from etl.report.data import ReportData, ReportError, SourceRow, collect, read_only_engine
from etl.report.page import render

__all__ = [
    "ReportData",
    "ReportError",
    "ReportSummary",
    "SourceRow",
    "collect",
    "read_only_engine",
    "render",
    "write_report",
]


@dataclass(frozen=True)
class ReportSummary:
    """What a written report holds, for the command's one-line answer."""

    articles: int
    metrics: int
    charts: int


def write_report(url: str, out: Path) -> ReportSummary:
    """Read the database (read-only), render the report, write it to `out`."""
    engine = read_only_engine(url)
    try:
        data = collect(engine, make_url(url).render_as_string(hide_password=True))
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        raise ReportError(
            f"cannot read the database {make_url(url).render_as_string(hide_password=True)}: {reason}"
        ) from None
    finally:
        engine.dispose()
    html = render(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return ReportSummary(data.articles, data.metrics, html.count('<figure data-chart="'))
