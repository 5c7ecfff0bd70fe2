"""How a finished crawl is judged from its per-source counts: ok, partial or failed, never a quiet `ok`."""

from __future__ import annotations

import pytest

from crawler.run import EXIT_PAGES_LOST, exit_status, merge_counts
from etl.store.runs import RunStatus, counts_by_source, judge_crawl

pytestmark = pytest.mark.unit

NAMES = ["hq", "county", "dead"]


def test_every_source_answering_is_ok_even_with_some_failed_pages() -> None:
    counts = {
        "errors": 3,
        "by_source": {
            "hq": {"responses": 40, "errors": 2, "error: HTTP 404": 2},
            "county": {"responses": 12, "errors": 1, "error: timed out": 1},
            "dead": {"responses": 1},
        },
    }
    verdict = judge_crawl(NAMES, counts)
    assert verdict.status is RunStatus.OK and verdict.error is None


def test_a_source_with_errors_and_no_answer_makes_the_crawl_partial_and_is_named() -> None:
    counts = {
        "errors": 3,
        "by_source": {
            "hq": {"responses": 40},
            "county": {"responses": 3},
            "dead": {"errors": 3, "error: DNS lookup failed": 2, "error: connection refused": 1},
        },
    }
    verdict = judge_crawl(NAMES, counts)
    assert verdict.status is RunStatus.PARTIAL and verdict.failed == ("dead",)
    assert verdict.error is not None
    head, *lines = verdict.error.splitlines()
    assert head == "1 of 3 sources failed"
    assert lines == ["dead: nothing fetched, 3 errors: DNS lookup failed 2, connection refused 1"]


def test_every_source_failing_makes_the_crawl_failed() -> None:
    counts = {
        "errors": 2,
        "by_source": {"hq": {"errors": 1, "error: HTTP 503": 1}, "dead": {"errors": 1, "error: timed out": 1}},
    }
    verdict = judge_crawl(["hq", "dead"], counts)
    assert verdict.status is RunStatus.FAILED and verdict.failed == ("hq", "dead")
    assert verdict.error is not None and verdict.error.startswith("every source failed")
    assert judge_crawl(["hq"], {"errors": 1, "by_source": {"hq": {"errors": 1}}}).error.startswith("the source failed")


def test_nothing_answered_while_errors_occurred_is_failed() -> None:
    counts = {"errors": 4, "by_source": {"hq": {}, "county": {}}}  # errors not tied to a source
    verdict = judge_crawl(["hq", "county"], counts)
    assert verdict.status is RunStatus.FAILED
    assert verdict.error == "nothing fetched, 4 errors"


def test_a_quiet_crawl_with_nothing_new_and_no_error_is_ok() -> None:
    assert judge_crawl(NAMES, {"by_source": {n: {"responses": 1} for n in NAMES}}).status is RunStatus.OK
    assert judge_crawl(NAMES, {"errors": 0, "by_source": {}}).status is RunStatus.OK


def test_a_run_without_per_source_counts_is_not_judged() -> None:
    assert judge_crawl(NAMES, {"errors": 5}).status is RunStatus.OK


def test_runs_recorded_with_two_per_source_tables_are_read_whole() -> None:
    old = {
        "errors": 2,
        "sources": {"hq": {"responses": 4}, "county": {}, "dead": {"errors": 2, "error: timed out": 2}},
        "by_source": {"hq": {"responses": 4, "pages_stored": 3}, "dead": {"errors": 2, "error: timed out": 2}},
    }
    assert counts_by_source(old) == {
        "hq": {"responses": 4, "pages_stored": 3},
        "county": {},
        "dead": {"errors": 2, "error: timed out": 2},
    }
    verdict = judge_crawl(NAMES, old)
    assert verdict.status is RunStatus.PARTIAL and verdict.failed == ("dead",)
    assert counts_by_source({"sources": {"hq": {"responses": 1}}}) == {"hq": {"responses": 1}}
    assert counts_by_source({"errors": 1}) is None


def test_many_reasons_are_summarised() -> None:
    reasons = {f"error: reason {i}": 1 for i in range(6)}
    verdict = judge_crawl(
        ["a", "b"], {"errors": 6, "by_source": {"a": {"responses": 1}, "b": {"errors": 6, **reasons}}}
    )
    assert verdict.error is not None and "3 other reasons" in verdict.error


def test_two_workers_counts_add_up_per_source() -> None:
    first = {"errors": 1, "pages_stored": 3, "by_source": {"hq": {"responses": 3}, "dead": {"errors": 1}}}
    second = {"errors": 2, "pages_stored": 4, "by_source": {"hq": {"responses": 5, "errors": 2}}}
    merged = merge_counts(first, second)
    assert merged == {
        "errors": 3,
        "pages_stored": 7,
        "by_source": {"hq": {"responses": 8, "errors": 2}, "dead": {"errors": 1}},
    }


def test_every_status_is_documented_and_only_ok_is_success() -> None:
    import inspect

    import etl.store.runs as runs

    source = inspect.getsource(runs.RunStatus)
    for status in RunStatus:
        line = next(line for line in source.splitlines() if f'= "{status.value}"' in line)
        assert "#" in line, f"{status} has no comment saying what it means"
    assert RunStatus.PARTIAL == "partial"


def test_a_crawl_child_exits_0_only_when_scrapy_says_it_finished() -> None:
    """A follower told to stop a second after joining had no spider open yet, so no finish reason: it did not
    finish its part, and its worker must not report the part ok (the run would then hide the stop)."""
    assert exit_status({"finish_reason": "finished"}) == 0
    assert exit_status({"finish_reason": "shutdown"}) == 1
    assert exit_status({}) == 1
    assert exit_status({"finish_reason": "finished", "store_errors": 2}) == EXIT_PAGES_LOST
