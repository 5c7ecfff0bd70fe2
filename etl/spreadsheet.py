"""CSV cells a spreadsheet shows as text: crawled text is never run as a formula (OWASP's CSV injection rule).

A spreadsheet opening a CSV file reads a cell that begins with `=`, `+`, `-` or `@` as a formula (and tab and
carriage return can hide such a start), so a page title like `=HYPERLINK("http://…")` in an export would run
on the analyst's machine. Such a cell is written with a leading single quote, which spreadsheets take as "this
is text" and do not show. Only text is touched: numbers (a negative amount) stay numbers.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"


def cell(value: Any) -> Any:
    """`value` for a CSV cell: text that a spreadsheet would read as a formula gets a leading single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return TEXT_MARK + value
    return value
