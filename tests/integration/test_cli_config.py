"""A bad sources.toml through the command line: `check-sources` and `serve` print every problem, file, table and
key (square brackets intact), and exit 2. They start the CLI as a child process, so they live here; the
validation itself is tested without one in tests/unit/test_config.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_sources_prints_every_problem_with_its_brackets_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        '[settings]\netl_interval_minutes = "x"\npage_retention_days = -5\n\n[[source]]\nname = "hq"\n'
        'start_urls = ["https://a.cn/list.html"]\narticle_patterns = ["(unclosed"]\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "aidnews", "check-sources", "--sources", str(path)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "3 problems" in result.stderr
    assert f"{path} [settings]: key 'etl_interval_minutes' must be a whole number" in result.stderr
    assert f"{path} [settings]: key 'page_retention_days' must be 1 or more" in result.stderr
    assert f"{path} [[source]] #1 'hq': key 'article_patterns' has a bad regex" in result.stderr


def test_the_service_refuses_a_bad_sources_file_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        '[settings]\netl_interval_minutes = 0\n\n[[source]]\nname = "hq"\nstart_urls = ["https://a.cn/"]\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "aidnews", "serve", "--sources", str(path)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"{path} [settings]: key 'etl_interval_minutes' must be 1 or more, not 0" in result.stderr
    assert f"{path} [[source]] #1 'hq': key 'article_patterns' is missing" in result.stderr
