"""Tables and values as the CLI prints them: inert crawled text, one line per row at any width, exact figures."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from rich.cells import cell_len
from rich.console import Console

from aidnews import render
from etl import clock

pytestmark = pytest.mark.unit

HOSTILE = ("[/] [bold]loud[/bold] \x1b[2J\x1b[31mred\x1b[0m \x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\ "
           "\x07\x08\x9b\u202eevil")


def printed(renderable: object, width: int = 80) -> str:
    console = Console(width=width, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


@pytest.fixture(autouse=True)
def shanghai() -> None:
    clock.use("Asia/Shanghai")


def test_control_characters_are_shown_not_sent() -> None:
    text = render.inert(HOSTILE)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)
    assert "\\x1b[2J" in text and "\\x07" in text and "\\x9b" in text and "\\u202e" in text
    assert render.inert("a\tb\nc", one_line=True) == "a b c"
    assert render.inert("a\tb\nc") == "a\tb\nc"  # kept where lines are allowed (wide tables, article bodies)


def test_markup_in_a_title_prints_as_written_in_a_table() -> None:
    rows = [{"id": 1, "title": "[/] 援疆 [bold]项目[/bold] [link=http://x]y[/link]"}]
    shown, _ = render.table(rows, ["id", "title"], 80)
    out = printed(shown)
    assert "[/] 援疆 [bold]项目[/bold] [link=http://x]y[/link]" in out


def test_a_hostile_title_reaches_the_terminal_without_one_control_character() -> None:
    shown, _ = render.table([{"id": 1, "title": HOSTILE}], ["id", "title"], 200)
    console = Console(width=200, force_terminal=True, color_system=None, record=True,
                      file=open("/dev/null", "w"))  # noqa: SIM115
    with console.capture() as capture:
        console.print(shown)
    raw = capture.get()
    assert "\x1b" not in raw and "\x07" not in raw and "\x9b" not in raw and "\u202e" not in raw
    assert "[bold]loud[/bold]" in raw


@pytest.mark.parametrize(("value", "shown"), [
    (465000000, "465,000,000"),
    (Decimal("465000000"), "465,000,000"),
    (Decimal("4.65E+8"), "465,000,000"),
    (Decimal("0.125"), "0.125"),
    (0.125, "0.125"),
    (Decimal("2.5"), "2.5"),
    (230000000.0, "230,000,000"),
    (Decimal("12345.678"), "12,345.678"),
    (1.12 * 1e8, "112,000,000"),  # 112000000.00000001: the float's rounding, not the source's digits
    (0.1 + 0.2, "0.3"),
    (Decimal("0.30000000000000004"), "0.30000000000000004"),  # a Decimal holds what was written, all of it
])
def test_amounts_keep_every_digit_they_were_written_with(value: object, shown: str) -> None:
    assert render.number(value) == shown  # type: ignore[arg-type]


def test_decimals_go_to_json_as_exact_numbers() -> None:
    assert render.json_line({"v": Decimal("230000000")}) == '{"v": 230000000}'
    assert render.json_line({"v": Decimal("0.05")}) == '{"v": 0.05}'
    assert render.json_line({"v": Decimal("0.12345678901234567890")}) == '{"v": "0.12345678901234567890"}'


def test_times_show_in_the_configured_zone() -> None:
    moment = datetime(2025, 6, 10, 0, 15, tzinfo=UTC)
    assert render.when(moment) == "2025-06-10 08:15"
    assert render.when("2025-06-10T08:15+08:00") == "2025-06-10 08:15"
    assert render.when("2025-06-10T00:15:00+00:00", date_only=True) == "2025-06-10"
    clock.use("Asia/Kolkata")
    assert render.when(moment) == "2025-06-10 05:45"
    assert render.when("2025-06-10T08:15+08:00") == "2025-06-10 05:45"
    assert render.when("not a time") == "not a time"


FIGURES = [{"article_id": 74, "text": "1,380余人次", "value": Decimal("1380"), "unit": "person_time",
            "qualifier": "over", "category": "duration", "subject": "口腔颌面外科诊疗" * 2,
            "title": "沪滇协作“组团式”帮扶 红河州县级医院能力提升" * 2}] * 5
FIGURE_COLUMNS = ["article_id", "text", "value", "unit", "qualifier", "category", "subject", "title"]


@pytest.mark.parametrize("width", [60, 80, 100, 120, 200])
def test_a_row_is_one_line_and_no_short_word_is_cut_at_any_width(width: int) -> None:
    shown, layout = render.table(FIGURES, FIGURE_COLUMNS, width)
    lines = printed(shown, width).splitlines()
    assert layout.width <= width
    assert all(cell_len(line.rstrip()) <= width for line in lines)
    assert len(lines) == 2 + len(FIGURES)  # header, rule, one line per row
    body = "\n".join(lines)
    shown_keys = {c.key for c in layout.shown}
    for key, word in (("unit", "person_time"), ("category", "duration"), ("text", "1,380余人次")):
        assert (word in body) == (key in shown_keys)  # a short column is shown whole or not at all
    assert {"article_id", "text", "value"} <= shown_keys
    assert set(layout.hidden) | {c.label for c in layout.shown} == {render.column(k, 0).label for k in FIGURE_COLUMNS}


def test_a_narrow_terminal_leaves_out_the_least_useful_columns_and_says_which() -> None:
    _, layout = render.table(FIGURES, FIGURE_COLUMNS, 80, ranks={"title": 7})
    assert [c.key for c in layout.shown][:4] == ["article_id", "text", "value", "unit"]
    assert "title" in layout.hidden and "subject" not in layout.hidden
    note = render.notes(layout, 5, 1125, 80)
    assert note[0] == "showing 5 of 1,125 (use --limit)"
    assert "title" in note[1] and "--wide" in note[1]
    assert render.notes(layout, 5, 5, 80)[0].startswith("hidden")  # all rows shown: nothing to say about them


def test_wide_shows_every_column_with_its_text_whole() -> None:
    shown, layout = render.table(FIGURES, FIGURE_COLUMNS, 240, wide=True)
    assert not layout.hidden
    out = printed(shown, 240)
    assert FIGURES[0]["title"] in out and FIGURES[0]["subject"] in out


def test_wide_on_a_narrow_terminal_prints_each_row_as_a_block() -> None:
    out = printed(render.records(FIGURES[:2], FIGURE_COLUMNS, "metrics"), 80)
    lines = out.splitlines()
    assert all(cell_len(line.rstrip()) <= 80 for line in lines)
    assert sum(1 for line in lines if line.startswith("title")) == 2
    joined = "".join(line[len("title") + 6:].strip() if line.startswith("title") else "" for line in lines)
    assert FIGURES[0]["title"] in joined or FIGURES[0]["title"][:30] in joined


def test_long_text_is_cut_with_an_ellipsis_and_places_keep_their_most_specific_part() -> None:
    assert render.fit("沪滇协作组团式帮扶", 9) == "沪滇协作…"
    assert cell_len(render.fit("沪滇协作组团式帮扶", 9)) <= 9
    assert render.fit("新疆维吾尔自治区 喀什地区 疏附县", 18, keep_end=True) == "…喀什地区 疏附县"
    assert render.fit("新疆维吾尔自治区 喀什地区 疏附县", 10, keep_end=True) == "…疏附县"
    assert render.fit("short", 10) == "short"


def test_long_text_columns_share_the_spare_width_by_weight() -> None:
    rows = [{"id": 1, "title": "题" * 60, "recipient": "新疆维吾尔自治区 喀什地区 疏附县"}]
    _, layout = render.table(rows, ["id", "title", "recipient"], 80)
    widths = dict(zip((c.key for c in layout.shown), layout.widths, strict=True))
    assert widths["title"] > widths["recipient"] >= render.FLEX_MIN
    assert layout.width == 80


def test_headers_never_wrap() -> None:
    rows = [{"garbled_share": 0.5, "new_pages_last_runs": [1, 2], "id": 3}]
    shown, _ = render.table(rows, ["id", "garbled_share", "new_pages_last_runs"], 80)
    out = printed(shown)
    assert "garbled" in out and "new pages (last runs)" in out
