"""Write the hashed lock files from pyproject.toml, and tell (offline) whether they are still current.

    python scripts/lock.py --uv PATH/TO/uv [--upgrade]     (what `make lock` runs)
    python scripts/lock.py --check                         (what `make install` runs first; no network)

Two locks, both for CPython 3.11 on linux x86_64 (the Docker image and CI): `requirements.lock` holds the
runtime dependencies (the image installs it), `requirements-dev.lock` adds the `dev` extra (`make install`).
The dev lock is resolved under the runtime lock as a constraint, so tests run on exactly the versions the
image ships. Each lock starts with a fingerprint of the dependency lists it was made from: a change to
`requires-python`, `dependencies` or a locked extra changes the fingerprint, and `--check` (and
tests/test_deploy.py) then says the lock is out of date without asking any index. Re-running keeps every pin
that still fits and only resolves what changed; `--upgrade` moves every pin to the newest release.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYTHON_VERSION = "3.11"
PLATFORM = "x86_64-unknown-linux-gnu"
FINGERPRINT_PREFIX = "# pyproject-fingerprint: "
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


@dataclass(frozen=True)
class LockSpec:
    """One lock file and the optional-dependency groups it includes besides the runtime dependencies."""

    path: Path
    extras: tuple[str, ...]


RUNTIME = LockSpec(ROOT / "requirements.lock", ())
DEV = LockSpec(ROOT / "requirements-dev.lock", ("dev",))
LOCKS = (RUNTIME, DEV)


def read_pyproject(path: Path = ROOT / "pyproject.toml") -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))["project"]


def requirements(project: dict, extras: tuple[str, ...]) -> list[Requirement]:
    """The requirements a lock with these extras must satisfy, as pyproject.toml states them."""
    lines = list(project.get("dependencies", []))
    for extra in extras:
        lines += project.get("optional-dependencies", {}).get(extra, [])
    return [Requirement(line) for line in lines]


def fingerprint(project: dict, extras: tuple[str, ...]) -> str:
    """SHA-256 of the inputs of one lock, insensitive to order, spacing and name spelling."""
    optional = project.get("optional-dependencies", {})
    canonical = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": sorted(_normal(r) for r in project.get("dependencies", [])),
        "extras": {e: sorted(_normal(r) for r in optional.get(e, [])) for e in sorted(extras)},
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode("utf-8")).hexdigest()


def _normal(line: str) -> str:
    req = Requirement(line)
    req.name = canonicalize_name(req.name)
    return str(req)


def stored_fingerprint(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith(FINGERPRINT_PREFIX):
            return line[len(FINGERPRINT_PREFIX) :].strip()
    return None


@dataclass(frozen=True)
class Pin:
    """One `name==version` line of a lock and the number of hashes that follow it."""

    name: str
    version: str
    hashes: int


def pins(text: str) -> dict[str, Pin]:
    """Every pinned package in a lock (names canonical), with how many hashes each carries."""
    found: dict[str, Pin] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        match = PIN.match(raw)
        if match:
            current = canonicalize_name(match.group(1))
            found[current] = Pin(current, match.group(3), line.count("--hash="))
        elif current and line.startswith("--hash="):
            found[current] = Pin(current, found[current].version, found[current].hashes + 1)
        elif line and not line.startswith("#"):
            current = None
    return found


def problems(spec: LockSpec, project: dict) -> list[str]:
    """Why this lock does not match pyproject.toml (empty when it does)."""
    if not spec.path.exists():
        return [f"{spec.path.name} is missing"]
    text = spec.path.read_text(encoding="utf-8")
    out = []
    if stored_fingerprint(text) != fingerprint(project, spec.extras):
        out.append(f"{spec.path.name} was made from other dependency lists than pyproject.toml's")
    locked = pins(text)
    env = {
        "python_version": PYTHON_VERSION,
        "python_full_version": f"{PYTHON_VERSION}.0",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }
    for req in requirements(project, spec.extras):
        if req.marker is not None and not req.marker.evaluate(env | {"extra": ""}):
            continue
        pin = locked.get(canonicalize_name(req.name))
        if pin is None:
            out.append(f"{spec.path.name} does not pin {req.name}")
        elif not req.specifier.contains(pin.version, prereleases=True):
            out.append(f"{spec.path.name} pins {req.name}=={pin.version}, outside {req.specifier}")
    out += [f"{spec.path.name}: {p.name}=={p.version} has no hash" for p in locked.values() if not p.hashes]
    return out


def compile_lock(spec: LockSpec, uv: str, upgrade: bool, constraint: Path | None) -> None:
    project = read_pyproject()
    cmd = [
        uv,
        "pip",
        "compile",
        str(ROOT / "pyproject.toml"),
        "--generate-hashes",
        "--python-version",
        PYTHON_VERSION,
        "--python-platform",
        PLATFORM,
        "--custom-compile-command",
        "make lock",
        "--quiet",
    ]
    for extra in spec.extras:
        cmd += ["--extra", extra]
    if constraint is not None:
        cmd += ["--constraints", str(constraint)]
    if upgrade:
        cmd.append("--upgrade")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / spec.path.name
        if spec.path.exists() and not upgrade:  # uv keeps the pins it finds in the output file
            out.write_bytes(spec.path.read_bytes())
        subprocess.run([*cmd, "-o", str(out)], check=True, cwd=ROOT)
        body = out.read_text(encoding="utf-8")
    header = (
        f"# aidnews {'+'.join(('runtime', *spec.extras))} lock for CPython {PYTHON_VERSION} on linux x86_64."
        f" Regenerate with `make lock`; do not edit.\n{FINGERPRINT_PREFIX}{fingerprint(project, spec.extras)}\n"
    )
    body = "".join(
        line
        for line in body.splitlines(keepends=True)
        if not line.startswith(FINGERPRINT_PREFIX) and not line.startswith("# aidnews ")
    )
    spec.path.write_text(header + body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uv", default="uv", help="the uv executable that resolves the locks")
    parser.add_argument("--upgrade", action="store_true", help="move every pin to its newest release")
    parser.add_argument("--check", action="store_true", help="only say whether the locks are current (offline)")
    args = parser.parse_args(argv)
    if not args.check:
        compile_lock(RUNTIME, args.uv, args.upgrade, constraint=None)
        compile_lock(DEV, args.uv, args.upgrade, constraint=RUNTIME.path)
    project = read_pyproject()
    found = [p for spec in LOCKS for p in problems(spec, project)]
    for problem in found:
        print(f"lock out of date: {problem}", file=sys.stderr)
    if found:
        print("run `make lock` and commit requirements.lock and requirements-dev.lock", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
