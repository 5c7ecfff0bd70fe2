"""Structured logging: one JSON object per line for the service, readable lines for the CLI.

Both stamp records in the configured time zone (etl.clock), the zone the CLI's tables and `status` show, so
a log line and a table row about the same moment read the same clock time. The CLI's lines leave tracebacks
out unless asked (`aidnews -v`): an expected failure is reported in a line or two, not a stack.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime

from etl import clock

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Every record as JSON: time, level, logger, message and any `extra=` fields, Chinese kept readable."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, clock.zone()).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class LineFormatter(logging.Formatter):
    """`08:15:02 WARNING aidnews.etl: message`, in the configured zone; the traceback only when `tracebacks`."""

    def __init__(self, tracebacks: bool = False) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.tracebacks = tracebacks

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        return datetime.fromtimestamp(record.created, clock.zone()).strftime(datefmt or "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        if not self.tracebacks and record.exc_info:  # one line: the message and the exception's own words
            exc = record.exc_info[1]
            line = super().format(logging.makeLogRecord(dict(record.__dict__, exc_info=None, exc_text=None)))
            words = str(exc).strip().splitlines()
            return f"{line} ({type(exc).__name__}: {words[0] if words else ''})" if exc is not None else line
        return super().format(record)


def setup(json_lines: bool = False, level: int = logging.INFO, tracebacks: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else LineFormatter(tracebacks))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("apscheduler.executors.default", "sqlalchemy.engine"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
