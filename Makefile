# aidnews — `make demo` runs the service on the bundled demo portal; `make test` runs the whole test suite.
# Installs come from the hashed lock files (requirements-dev.lock here, requirements.lock in the image);
# after changing dependencies in pyproject.toml, run `make lock` and commit both lock files.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK_VENV  := .venv-lock
UV_VERSION := 0.13.9

.PHONY: install lock lock-upgrade demo serve run-once test test-fast services lint bench clean

$(STAMP): pyproject.toml requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit("aidnews needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python scripts/lock.py --check
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)  ## install aidnews and its test tools into .venv, exactly the versions in requirements-dev.lock

$(LOCK_VENV)/bin/uv:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet "uv==$(UV_VERSION)" "packaging>=24"

lock: $(LOCK_VENV)/bin/uv  ## re-resolve both locks after a dependency change (pins that still fit are kept)
	$(LOCK_VENV)/bin/python scripts/lock.py --uv $(LOCK_VENV)/bin/uv

lock-upgrade: $(LOCK_VENV)/bin/uv  ## move every pin in both locks to its newest release
	$(LOCK_VENV)/bin/python scripts/lock.py --uv $(LOCK_VENV)/bin/uv --upgrade

demo: $(STAMP)  ## run the service on the bundled demo portal with SQLite (Ctrl-C stops it)
	$(BIN)/aidnews serve --demo

serve: $(STAMP)  ## run the service on the sources in sources.toml
	$(BIN)/aidnews serve

run-once: $(STAMP)  ## one crawl and one ETL pass over the demo portal
	$(BIN)/aidnews run-once --demo

services:  ## start PostgreSQL and Redis where they are installed but not running (CI machines)
	@bash scripts/services.sh

test: $(STAMP) services lint  ## lint, format and type checks, then the whole test suite, SQLite and PostgreSQL
	$(BIN)/python -m pytest

test-fast: $(STAMP)  ## the unit layer only: no network, no database server, well under a minute
	$(BIN)/python -m pytest tests/unit -q

lint: $(STAMP)  ## ruff (lint and format) and mypy (no disabled error codes) on etl/, crawler/, scheduler.py and aidnews/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

bench: $(STAMP)  ## benchmarks (installs the bench extra: trafilatura, readability-lxml, GNE)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/bench_extract.py
	$(BIN)/python bench/bench_crawl.py

clean:
	rm -rf $(VENV) $(LOCK_VENV) data .pytest_cache
