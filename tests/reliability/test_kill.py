"""No orphan, no duplicate after a kill: `kill -9` and SIGTERM of `python -m aidnews run-once --demo` mid-crawl.

Each round starts run-once on the demo portal, waits until its crawl child is crawling, signals the parent,
and checks that the child is gone within 5 s. After the rounds: page rows per URL are one per distinct
content, no run is left `running` once the dead ones are reaped, and no temporary file is left behind.
AIDNEWS_KILL_REPEATS sets the rounds per signal and database (2 here; the campaign in docs/reliability.md
ran 10).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from etl.store import engine as db
from etl.store.models import Page, Run
from etl.store.runs import RunStatus, reap_stale_runs

ROOT = Path(__file__).resolve().parents[2]
REPEATS = int(os.environ.get("AIDNEWS_KILL_REPEATS", "2"))
CHILD_GONE_SECONDS = 5.0
pytestmark = pytest.mark.slow


def _children(pid: int) -> dict[int, bytes]:
    """Live children of pid: pid -> command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found[int(entry.name)] = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _sockets(pid: int) -> int:
    try:
        return sum(os.readlink(fd).startswith("socket:") for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return 0


def _crawling_child(
    parent: subprocess.Popen[bytes], engine: sa.Engine, stored: bool, stderr: Path, timeout: float = 120.0
) -> int:
    """The crawl child of parent, once it crawls: it holds a socket (and with `stored`, has stored a page)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid, command in _children(parent.pid).items():
            if b"crawler.run" in command and _sockets(pid) and (not stored or _page_count(engine)):
                return pid
        if parent.poll() is not None:
            raise AssertionError(
                f"run-once ended ({parent.returncode}) before its crawl was seen: "
                f"{stderr.read_text(errors='replace')[-2000:]}"
            )
        time.sleep(0.05)
    raise AssertionError("no crawl child appeared")


def _page_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count(Page.id))).scalar_one()


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_killed_run_once_leaves_no_child_no_duplicate_and_no_temporary_file(
    database_url: str, signum: int, tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT),
        TMPDIR=str(temp),
        AIDNEWS_DEMO_PORT=os.environ.get("AIDNEWS_DEMO_PORT", "18712"),
    )
    engine = db.get_engine(database_url)
    rng = random.Random(signum)
    lifetimes = []
    for round_ in range(REPEATS):
        with open(tmp_path / "stderr.txt", "wb") as stderr:
            parent = subprocess.Popen(
                [sys.executable, "-m", "aidnews", "run-once", "--demo"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=tmp_path,
            )
        child = 0
        try:
            child = _crawling_child(
                parent,
                engine,
                stored=round_ == 0,  # the first round stores some pages
                stderr=tmp_path / "stderr.txt",
            )
            time.sleep(rng.uniform(0.2, 2.0))  # somewhere in the crawl (a demo crawl takes about 8 s)
            crawling = _alive(child)  # else the crawl ended in the pause, and the signal meets no job to stop
            parent.send_signal(signum)
            killed_at = time.monotonic()
            while _alive(child) and time.monotonic() - killed_at < CHILD_GONE_SECONDS + 5:
                _reap()  # the child is this test's once its parent is gone (pytest is a child subreaper)
                time.sleep(0.02)
            lifetimes.append(time.monotonic() - killed_at)
            parent.wait(timeout=60)
            assert not _alive(child), f"the crawl child {child} outlived its parent by {lifetimes[-1]:.1f} s"
            if signum == signal.SIGTERM and crawling:  # the crawl recorded its end, then the process ended
                assert parent.returncode == 128 + signal.SIGTERM, (tmp_path / "stderr.txt").read_text()[-2000:]
        finally:
            if parent.poll() is None:
                parent.kill()
                parent.wait()
            deadline = time.monotonic() + 10
            while child and Path(f"/proc/{child}").exists() and time.monotonic() < deadline:  # this test adopted it
                _reap()
                time.sleep(0.05)
    print(f"\n{signal.Signals(signum).name}: crawl child gone {', '.join(f'{t:.2f}' for t in lifetimes)} s after")
    assert max(lifetimes) < CHILD_GONE_SECONDS, lifetimes

    with engine.connect() as conn:  # each run-once reaped the runs its killed predecessors left running
        left = conn.execute(sa.select(sa.func.count()).where(Run.status == RunStatus.RUNNING)).scalar_one()
    assert left <= 2  # the last round's crawl run (and ETL run, if it had begun)
    reap_stale_runs(engine)
    with engine.connect() as conn:
        versions = conn.execute(
            sa.select(Page.url, sa.func.count(), sa.func.count(sa.distinct(Page.sha256))).group_by(Page.url)
        ).all()
        statuses = dict(conn.execute(sa.select(Run.id, Run.status).where(Run.kind == "crawl")).all())
    assert versions, "the crawls stored nothing"
    assert all(rows == distinct for _url, rows, distinct in versions)
    assert RunStatus.RUNNING not in statuses.values()
    if signum == signal.SIGTERM:  # the parent recorded how its crawl ended before it went
        assert set(statuses.values()) <= {RunStatus.INTERRUPTED, RunStatus.OK}, statuses
    assert list(temp.iterdir()) == []
