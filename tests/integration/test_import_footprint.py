"""What importing the ETL loop loads, seen from a fresh interpreter: neither the scheduler, the crawler, the CLI,
nor APScheduler, Scrapy or Twisted — so a worker that only extracts stays light.

The static import rules are in tests/unit/test_architecture.py; this one starts a Python process (about 1.5 s
of CPU), so it lives in the integration layer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_etl_loop_loads_neither_the_scheduler_nor_the_crawler() -> None:
    probe = (
        "import sys, etl.process; print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'apscheduler', 'scrapy', 'twisted', 'crawler', 'scheduler', 'aidnews'})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []
