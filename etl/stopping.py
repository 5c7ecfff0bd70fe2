"""Stopping a job cleanly when its process is asked to end: SIGTERM, SIGHUP or Ctrl-C become a stop request.

`aidnews run-once`, `crawl` and `etl` run their job in the main thread. Without this, SIGTERM (from `kill`,
`timeout`, a container stop) ends the process at once: the run stays `running`, and a crawl child loses its
parent. Inside `stop_on_signals()` those signals only set a flag that the job polls (the crawl stops its
children, the ETL finishes its batch); the job records how it ended, and then the process ends as the signal
asked (exit status 128 + the signal's number). A signal the process handles itself (the service) or ignores (nohup), or
a job run outside the main thread (the service's worker threads) is left as it is.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
_DEFAULT_HANDLERS = (signal.SIG_DFL, signal.default_int_handler)


@dataclass
class StopRequest:
    """Set by a stop signal while a job runs: which one, so the process can end as it asked."""

    signum: int | None = None

    def __call__(self) -> bool:
        return self.signum is not None


@contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """A StopRequest the block polls; once the block has ended, a caught signal ends the process (SystemExit)."""
    request = StopRequest()
    previous: dict[int, Any] = {}

    def handle(signum: int, _frame: Any) -> None:
        request.signum = request.signum or signum

    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            handler = signal.getsignal(sig)
            if handler in _DEFAULT_HANDLERS:  # not one the process set itself, nor ignored (nohup)
                previous[sig] = handler
                signal.signal(sig, handle)
    try:
        yield request
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if request.signum is not None:
        raise SystemExit(128 + request.signum)
