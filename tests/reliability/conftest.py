"""The fault campaign's fixtures: a hostile server on 127.0.0.1 per test (see hostile.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile import HostileServer  # noqa: E402 (the folder is put on the path just above)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as running:
        yield running
