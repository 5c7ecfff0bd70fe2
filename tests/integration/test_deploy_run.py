"""Deployment files run as an operator would run them: `docker-compose config` over every profile, and the
image's HEALTHCHECK pipeline (`aidnews status --format json | scripts/healthcheck.py`) against a real database.

Debian's docker-compose package resolves and checks a file without a Docker engine (.ci/run installs it);
without the binary the compose tests skip on a developer machine and fail in CI (CI=true). These start child
processes, so they live here rather than with the file checks of tests/unit/test_deploy.py.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROFILES = ("app", "demo", "distributed")


def env_file(tmp_path: Path, password: str | None) -> Path:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    if password is not None:
        text, count = re.subn(r"^POSTGRES_PASSWORD=.*$", f"POSTGRES_PASSWORD={password}", text, flags=re.MULTILINE)
        assert count == 1
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def compose_binary() -> str:
    found = shutil.which("docker-compose")
    if found is None:
        reason = "docker-compose is not installed (Debian: apt-get install docker-compose; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(f"required in CI: {reason}")
        pytest.skip(reason)
    return found


def compose_config(binary: str, env: Path, *profiles: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "POSTGRES_", "AIDNEWS_"))}
    flags = [arg for p in profiles for arg in ("--profile", p)]
    return subprocess.run(
        [binary, "-f", str(COMPOSE_FILE), "--env-file", str(env), *flags, "config"],
        capture_output=True,
        text=True,
        env=clean,
        timeout=120,
    )


@pytest.mark.parametrize("profiles", [(), *((p,) for p in PROFILES)], ids=["default", *PROFILES])
def test_compose_config_validates(compose_binary: str, tmp_path: Path, profiles: tuple[str, ...]) -> None:
    password = secrets.token_hex(12)
    result = compose_config(compose_binary, env_file(tmp_path, password), *profiles)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    urls = {
        s["environment"]["DATABASE_URL"]
        for s in resolved["services"].values()
        if "DATABASE_URL" in (s.get("environment") or {})
    }
    assert urls == {f"postgresql+psycopg://aidnews:{password}@db:5432/aidnews"}  # assembled from .env
    assert resolved["services"]["db"]["environment"]["POSTGRES_PASSWORD"] == password


def test_compose_refuses_to_run_without_a_password(compose_binary: str, tmp_path: Path) -> None:
    result = compose_config(compose_binary, env_file(tmp_path, None))  # .env.example as committed
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_the_distributed_app_hands_its_crawls_to_the_workers_redis(compose_binary: str, tmp_path: Path) -> None:
    env = env_file(tmp_path, secrets.token_hex(12))
    text = env.read_text(encoding="utf-8")
    text, count = re.subn(r"^AIDNEWS_REDIS_URL=.*$", "AIDNEWS_REDIS_URL=redis://redis:6379/0", text, flags=re.MULTILINE)
    assert count == 1  # .env.example has the line to fill in
    env.write_text(text, encoding="utf-8")
    result = compose_config(compose_binary, env, "distributed")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    redis_urls = {name: services[name]["environment"].get("AIDNEWS_REDIS_URL") for name in ("app", "crawl-worker")}
    assert redis_urls == {"app": "redis://redis:6379/0", "crawl-worker": "redis://redis:6379/0"}
    assert "DATABASE_URL" in services["app"]["environment"]  # the merged environment keeps the database


def _pipeline(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The image's HEALTHCHECK command, with this checkout's aidnews."""
    status = f"{sys.executable} -m aidnews status --format json"
    check = f"{sys.executable} scripts/healthcheck.py --this-host"
    return subprocess.run(
        ["sh", "-c", f"{status} | {check}"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_health_check_reads_what_status_prints(sqlite_url: str) -> None:
    from sqlmodel import Session

    from etl.store.engine import get_engine
    from etl.store.models import Service, utcnow

    env = dict(os.environ, DATABASE_URL=sqlite_url, PYTHONIOENCODING="utf-8", PYTHONPATH=str(ROOT))
    none_yet = _pipeline(env)
    assert none_yet.returncode == 1 and "no service has ever run" in none_yet.stdout, none_yet
    engine = get_engine(sqlite_url)
    with Session(engine) as session:
        row = Service(host=socket.gethostname(), pid=os.getpid(), heartbeat_at=utcnow())
        session.add(row)
        session.commit()
        fresh = _pipeline(env)
        assert fresh.returncode == 0 and fresh.stdout.startswith("healthy: "), (fresh.stdout, fresh.stderr[-2000:])
        row.heartbeat_at = utcnow() - timedelta(minutes=10)
        session.add(row)
        session.commit()
        stale = _pipeline(env)
        assert stale.returncode == 1 and "'silent'" in stale.stdout, stale
