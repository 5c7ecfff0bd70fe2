"""CSV cells of crawled text never run as formulas in a spreadsheet (OWASP's CSV injection rule)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from etl import spreadsheet

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_quote(start: str) -> None:
    title = f'{start}HYPERLINK("http://evil.example/","援疆")'
    assert spreadsheet.cell(title) == "'" + title


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_the_quoted_cell_survives_a_csv_round_trip(start: str) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerow([spreadsheet.cell(f"{start}1+1"), "援疆"])
    [row] = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert row == [f"'{start}1+1", "援疆"]


@pytest.mark.parametrize("value", ["援疆干部 =3", "3.5亿元", "", "'already quoted", " =leading space"])
def test_ordinary_text_is_left_alone(value: str) -> None:
    assert spreadsheet.cell(value) == value


@pytest.mark.parametrize("value", [-5, -2.5, Decimal("-1.5"), 0, None, True])
def test_numbers_and_empty_cells_stay_what_they_are(value: object) -> None:
    assert spreadsheet.cell(value) is value
