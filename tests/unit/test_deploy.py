"""Deployment files read as an operator would run them: locks, image, compose file, health check.

Everything here reads files only: no network, no engine, no child process but `git check-ignore`. The checks
that run programs — `docker-compose config` over every profile, and the image's health check against what
`aidnews status` prints — are in tests/integration/test_deploy_run.py.
"""

from __future__ import annotations

import importlib.util
import io
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROFILES = ("app", "demo", "distributed")
COMPILERS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|cc|make|cmake|python3?-dev)\b")
SECRET_KEY = re.compile(r"pass(word)?|secret|token|key", re.IGNORECASE)
VARIABLE_ONLY = re.compile(r"^(\$\{[^}]+\})+$")
URL_CREDENTIALS = re.compile(r"://[^/:@\s]+:([^@\s]+)@")
DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms|us)")
DURATION_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 0.000001}
SHUTDOWN_SECONDS = 30  # the service's own stop: crawl asked to stop, killed 20 s later, ETL batch finishes


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"aidnews_scripts_{name}", ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


lock = load_script("lock")
healthcheck = load_script("healthcheck")


# -- locks -------------------------------------------------------------------------------------------------------


def test_both_locks_match_pyproject() -> None:
    project = lock.read_pyproject()
    found = [p for spec in lock.LOCKS for p in lock.problems(spec, project)]
    assert not found, "\n".join(found) + "\nrun `make lock`"


@pytest.mark.parametrize("change", ["add", "tighten", "extra"])
def test_a_dependency_change_makes_the_lock_out_of_date(change: str) -> None:
    project = lock.read_pyproject()
    project = {
        **project,
        "dependencies": list(project["dependencies"]),
        "optional-dependencies": {k: list(v) for k, v in project["optional-dependencies"].items()},
    }
    if change == "add":
        project["dependencies"].append("aidnews-not-a-real-package>=1")
        expected = "does not pin aidnews-not-a-real-package"
    elif change == "tighten":
        project["dependencies"] = [("scrapy>=999" if d.startswith("scrapy>") else d) for d in project["dependencies"]]
        expected = "outside >=999"
    else:
        project["optional-dependencies"]["dev"].append("aidnews-dev-only>=0.1")
        expected = "requirements-dev.lock does not pin aidnews-dev-only"
    found = [p for spec in lock.LOCKS for p in lock.problems(spec, project)]
    assert any("other dependency lists" in p for p in found), found
    assert any(expected in p for p in found), found
    if change == "extra":  # the runtime lock does not depend on the dev extra
        assert not lock.problems(lock.RUNTIME, project)


def test_fingerprint_ignores_order_spacing_and_name_spelling() -> None:
    project = lock.read_pyproject()
    shuffled = {
        **project,
        "dependencies": [d.replace(">=", " >= ").replace("-", "_") for d in reversed(project["dependencies"])],
    }
    assert lock.fingerprint(shuffled, ()) == lock.fingerprint(project, ())
    assert lock.fingerprint(shuffled, ("dev",)) != lock.fingerprint(project, ())


def test_the_image_ships_the_versions_the_tests_run_on() -> None:
    runtime = lock.pins(lock.RUNTIME.path.read_text(encoding="utf-8"))
    dev = lock.pins(lock.DEV.path.read_text(encoding="utf-8"))
    assert len(runtime) >= len(lock.read_pyproject()["dependencies"])
    assert {n: p.version for n, p in runtime.items()} == {n: dev[n].version for n in runtime if n in dev}
    assert set(runtime) <= set(dev)


def test_installs_use_the_locks_with_hashes() -> None:
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    install = make[make.index("$(STAMP):") : make.index("install: $(STAMP)")]
    assert "--require-hashes -r requirements-dev.lock" in install and "--no-deps -e ." in install
    assert "scripts/lock.py --check" in install
    assert re.search(r"^lock:", make, re.MULTILINE)
    builder = dockerfile_stages()[0]
    assert any(i.name == "RUN" and "--require-hashes -r /tmp/requirements.lock" in i.args for i in builder.body)


def test_license_is_an_spdx_expression() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["license"] == "Apache-2.0"
    setuptools = [r for r in data["build-system"]["requires"] if r.startswith("setuptools")]
    assert setuptools == ["setuptools>=77"]  # the first setuptools that reads a license string (PEP 639)


# -- Dockerfile --------------------------------------------------------------------------------------------------


class Instruction(NamedTuple):
    name: str
    args: str


class Stage(NamedTuple):
    base: str
    alias: str | None
    body: list[Instruction]


def dockerfile_stages(path: Path = ROOT / "Dockerfile") -> list[Stage]:
    """The Dockerfile's build stages, continuation lines joined and comments dropped."""
    logical, current = [], ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.lstrip().startswith("#"):  # Docker drops comment lines, inside continuations too
            continue
        if raw.rstrip().endswith("\\"):
            current += raw.rstrip()[:-1] + " "
            continue
        current += raw
        if current.strip():
            logical.append(current.strip())
        current = ""
    stages: list[Stage] = []
    for line in logical:
        name, _, args = line.partition(" ")
        name = name.upper()
        if name == "FROM":
            words = args.split()
            alias = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], alias, []))
        else:
            assert stages, f"{name} before the first FROM"
            stages[-1].body.append(Instruction(name, " ".join(args.split())))
    return stages


def test_image_is_multi_stage_and_the_final_stage_has_no_compiler() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    final = stages[-1]
    assert final.base == "python:3.11-slim"
    builder = stages[0]
    assert any(i.name == "RUN" and COMPILERS.search(i.args) for i in builder.body)  # the builder may compile
    assert not any(i.name == "RUN" and COMPILERS.search(i.args) for i in final.body)
    assert not any(i.name == "RUN" and re.search(r"\bpip install\b", i.args) for i in final.body)
    copies = [i.args for i in final.body if i.name == "COPY"]
    assert any(c.startswith(f"--from={builder.alias} /opt/venv") for c in copies)


def test_image_runs_as_a_user_who_owns_only_its_data_directory() -> None:
    final = dockerfile_stages()[-1]
    users = [i.args for i in final.body if i.name == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}
    user = users[-1].split(":")[0]
    setup = " ".join(i.args for i in final.body if i.name == "RUN")
    assert re.search(rf"useradd .*\b{user}\b", setup)
    assert re.search(rf"(install -d -o {user} .*/data\b|chown \S*{user}\S* /data\b)", setup)
    assert not re.search(r"chown .*(/app|/opt)", setup)  # code and environment stay root's
    env = " ".join(i.args for i in final.body if i.name == "ENV")
    assert "DATABASE_URL=sqlite:////data/aidnews.db" in env


def test_image_health_check_and_stop_signal() -> None:
    final = dockerfile_stages()[-1]
    checks = [i.args for i in final.body if i.name == "HEALTHCHECK"]
    assert len(checks) == 1
    assert re.search(r"CMD aidnews status --format json \| python /app/healthcheck\.py", checks[0])
    copied = " ".join(i.args for i in final.body if i.name == "COPY")
    assert "scripts/healthcheck.py" in copied
    assert [i.args for i in final.body if i.name == "STOPSIGNAL"] == ["SIGTERM"]
    assert [i.args for i in final.body if i.name == "CMD"] == ['["aidnews", "serve"]']


def test_dockerignore_keeps_local_state_out_of_the_build() -> None:
    entries = {
        line.strip().strip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "data", ".env"} <= entries


def test_env_is_git_ignored_and_its_template_is_not() -> None:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT).returncode
    template = subprocess.run(["git", "check-ignore", "-q", ".env.example"], cwd=ROOT).returncode
    assert (ignored, template) == (0, 1)


# -- docker-compose.yml ------------------------------------------------------------------------------------------


def seconds(duration: str | int | float) -> float:
    if isinstance(duration, int | float):
        return float(duration)
    parts = DURATION.findall(duration)
    assert parts and "".join(n + u for n, u in parts) == duration.replace(" ", ""), duration
    return sum(float(n) * DURATION_SECONDS[u] for n, u in parts)


def started(services: dict[str, Any], profiles: list[str]) -> set[str]:
    """What `docker compose up` starts with these active profiles: services without a profile, and those with
    one of them (compose's rule). A started service whose dependency would not start is a configuration error."""
    chosen = {name for name, s in services.items() if not s.get("profiles") or set(s["profiles"]) & set(profiles)}
    for name in chosen:
        missing = set(services[name].get("depends_on") or {}) - chosen
        assert not missing, f"{name} depends on {missing}, which profiles {profiles} do not start"
    return chosen


def dotenv(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in path.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )
    return {k.strip(): v.strip() for k, v in pairs}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def test_compose_file_holds_no_secret(raw: dict[str, Any]) -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for match in URL_CREDENTIALS.finditer(text):
        assert VARIABLE_ONLY.match(match.group(1)), f"a password literal in a URL: {match.group(0)}"
    definitions = [*raw["services"].values(), *(v for k, v in raw.items() if k.startswith("x-"))]
    for service in definitions:
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        for key, value in environment.items():
            if SECRET_KEY.search(key):
                assert VARIABLE_ONLY.match(str(value)), f"{key} has a literal value in docker-compose.yml"


def test_profiles_start_the_demo_instead_of_the_service(raw: dict[str, Any]) -> None:
    services = raw["services"]
    default = dotenv(ROOT / ".env.example")["COMPOSE_PROFILES"].split(",")  # what a plain `up` reads
    assert started(services, default) == {"db", "migrate", "app"}
    assert started(services, ["demo"]) == {"db", "migrate", "demo"}  # --profile replaces COMPOSE_PROFILES
    assert started(services, ["distributed"]) == {"db", "migrate", "app", "redis", "crawl-worker", "etl-worker"}


def test_compose_services_run_the_right_commands(raw: dict[str, Any]) -> None:
    services = raw["services"]
    assert services["migrate"]["command"] == ["aidnews", "db", "upgrade"]
    assert services["app"]["command"] == ["aidnews", "serve"]
    assert services["demo"]["command"] == ["aidnews", "serve", "--demo"]
    assert services["etl-worker"]["command"] == ["aidnews", "etl", "--worker"]
    # A crawl-worker joins the crawls app announces; a crawl of its own per replica would crawl everything N times.
    assert services["crawl-worker"]["command"] == ["aidnews", "crawl", "--worker"]
    assert services["crawl-worker"]["environment"]["AIDNEWS_REDIS_URL"] == "redis://redis:6379/0"
    assert "volumes" not in services["crawl-worker"]  # its sources come with each announced crawl
    assert VARIABLE_ONLY.match(services["app"]["environment"]["AIDNEWS_REDIS_URL"])  # set in .env when distributed
    for name in ("app", "demo", "crawl-worker", "etl-worker"):  # migrations run once, before them
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["db"] == {"condition": "service_healthy"}, name
    assert services["migrate"].get("restart") == "no"


def test_compose_health_checks_and_stop_grace(raw: dict[str, Any]) -> None:
    services = raw["services"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]
    for name in ("migrate", "crawl-worker", "etl-worker"):  # the image's check is about the scheduler only
        assert services[name]["healthcheck"] == {"disable": True}, name
    assert "healthcheck" not in services["app"]  # app keeps the image's HEALTHCHECK
    for name in ("app", "demo", "crawl-worker", "etl-worker"):
        assert seconds(services[name]["stop_grace_period"]) > SHUTDOWN_SECONDS, name
    assert raw["volumes"] == {"pgdata": None}
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]


def test_workers_scale(raw: dict[str, Any]) -> None:
    for name in ("crawl-worker", "etl-worker"):
        service = raw["services"][name]
        assert "container_name" not in service, name
        fixed = [p for p in service.get("ports") or [] if ":" in str(p)]
        assert not fixed, f"{name} binds host ports {fixed}: a second replica could not start"


# -- health check ------------------------------------------------------------------------------------------------

NOW = datetime(2025, 6, 1, 4, 0, 30, tzinfo=UTC)
SHANGHAI_OFFSET = "+08:00"


def status_doc(state: str | None, seen: datetime = NOW, host: str = "c0ffee") -> dict[str, Any]:
    """A `status --format json` document as etl.query.service_state writes it (local time, to the minute)."""
    if state is None:
        return {"articles": 0, "service": None}
    local = (seen + timedelta(hours=8)).replace(tzinfo=None).isoformat(timespec="minutes") + SHANGHAI_OFFSET
    return {
        "articles": 3,
        "service": {"state": state, "host": host, "pid": 1, "started_at": local, "last_seen": local, "jobs": []},
    }


@pytest.mark.parametrize(
    ("doc", "healthy", "reason"),
    [
        (status_doc("running"), True, "running"),
        (status_doc("running", NOW - timedelta(seconds=300)), False, "stale"),
        (status_doc("silent", NOW - timedelta(minutes=10)), False, "'silent'"),
        (status_doc("stopped"), False, "'stopped'"),
        (status_doc(None), False, "no service"),
        ([], False, "JSON object"),
        ({"service": {"state": "running", "last_seen": "yesterday"}}, False, "unreadable"),
        ({"service": {"state": "running", "last_seen": "2025-06-01T12:00"}}, False, "time zone"),
    ],
)
def test_health_verdict(doc: Any, healthy: bool, reason: str) -> None:
    verdict = healthcheck.check(doc, NOW)
    assert verdict.healthy is healthy and reason in verdict.reason, verdict


def test_health_check_allows_for_last_seen_rounded_to_the_minute() -> None:
    """Whatever second of the minute it is: a heartbeat up to max-age old passes, one over a minute older fails."""
    for second in range(60):
        now = NOW.replace(second=second)
        assert healthcheck.check(status_doc("running", now - timedelta(seconds=180)), now, max_age=180).healthy
        stale = healthcheck.check(status_doc("running", now - timedelta(seconds=241)), now, max_age=180)
        assert not stale.healthy and "stale" in stale.reason


def test_health_check_wants_this_hosts_heartbeat() -> None:
    assert healthcheck.check(status_doc("running", host="c0ffee"), NOW, host="c0ffee").healthy
    verdict = healthcheck.check(status_doc("running", host="c0ffee"), NOW, host="other")
    assert not verdict.healthy and "not on this host" in verdict.reason


def test_health_check_max_age_is_tunable() -> None:
    doc = status_doc("running", NOW - timedelta(seconds=150))
    assert healthcheck.check(doc, NOW, max_age=180).healthy
    assert not healthcheck.check(doc, NOW, max_age=60).healthy


@pytest.mark.parametrize(("stdin", "code"), [("", 1), ("cannot open the database", 1), ("null", 1)])
def test_health_check_without_a_status_document_fails(
    stdin: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert healthcheck.main([], stdin=io.StringIO(stdin)) == code
    assert capsys.readouterr().out.startswith("unhealthy: ")
