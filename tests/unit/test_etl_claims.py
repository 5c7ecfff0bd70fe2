"""The parts of ETL work-sharing that need no database: worker names, the copy order, the CLI's lease default."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

from aidnews.commands.service import LEASE_DEFAULT
from etl.store.articles import primary_key
from etl.store.claims import DEFAULT_LEASE_SECONDS, _pid, key_lock, new_worker_name


def test_a_worker_name_carries_this_host_and_pid() -> None:
    name = new_worker_name()
    assert name.startswith(socket.gethostname() + ":") and _pid(name) == os.getpid()
    assert new_worker_name() != name  # two passes of one process never share claims by accident
    assert _pid("no-pid-here") is None


def test_copies_published_together_are_ordered_by_page_not_by_write_order() -> None:
    day = datetime(2024, 5, 1, tzinfo=UTC)
    # Article 9 was written first by a fast worker, but its page came later: the earlier page is the primary.
    assert sorted([primary_key(day, 20, 9), primary_key(day, 10, 12)]) == [
        primary_key(day, 10, 12),
        primary_key(day, 20, 9),
    ]
    assert primary_key(datetime(2024, 4, 30, tzinfo=UTC), 99, 99) < primary_key(day, 1, 1)  # earlier date first
    assert primary_key(None, 1, 1) > primary_key(day, 99, 99)  # undated last


def test_the_cli_lease_default_is_the_stores() -> None:
    assert LEASE_DEFAULT == DEFAULT_LEASE_SECONDS


def test_a_canonical_urls_lock_key_fits_postgresqls_int4() -> None:
    keys = [key_lock(f"http://aid.example.cn/{n}.html") for n in range(2000)]
    assert all(-(2**31) <= k < 2**31 for k in keys)
    assert min(keys) < 0 < max(keys)  # both halves of the CRC-32 range are used, mapped onto signed int4
    assert len(set(keys)) == len(keys)  # distinct URLs rarely share a lock (sharing would only serialize them)
    assert key_lock("http://aid.example.cn/1.html") == key_lock("http://aid.example.cn/1.html")
