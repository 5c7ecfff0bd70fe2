# aidnews — `make demo` runs the service on the bundled demo portal; `make test` runs the whole test suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo serve run-once test services lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("aidnews needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## install aidnews and its test tools into .venv

demo: $(STAMP)  ## run the service on the bundled demo portal with SQLite (Ctrl-C stops it)
	$(BIN)/aidnews serve --demo

serve: $(STAMP)  ## run the service on the sources in sources.toml
	$(BIN)/aidnews serve

run-once: $(STAMP)  ## one crawl and one ETL pass over the demo portal
	$(BIN)/aidnews run-once --demo

services:  ## start PostgreSQL and Redis where they are installed but not running (CI machines)
	@bash scripts/services.sh

test: $(STAMP) services  ## the whole test suite, SQLite and PostgreSQL
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)  ## benchmarks (installs the bench extra: trafilatura, readability-lxml, GNE)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/bench_extract.py
	$(BIN)/python bench/bench_crawl.py

clean:
	rm -rf $(VENV) data .pytest_cache
