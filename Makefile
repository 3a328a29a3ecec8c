# Forgeline: two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: fresh embedded database, default plant, admin user, five simulated days of production
## (the plant twin, through the ingest path), then serve on 127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/forgeline demo

## browser: Debian's chromium for the browser tests (Playwright never downloads one here)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## test: the whole suite, on SQLite and PostgreSQL (PostgreSQL required when CI=true), one
## worker process per core (pytest-xdist); a test file stays on one worker, so a file's
## session fixtures (the inspection tests' trained model) are built once per worker at most
test: $(STAMP) browser
	$(BIN)/pytest -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## bench: the figures in BENCHMARKS.md. TRACE_PIECES=10000000 reproduces the trace table
## (~45 GB of disk, ~20 min to generate); the default is a quick 200,000-piece run.
TRACE_PIECES ?= 200000
bench: $(STAMP)
	$(BIN)/python bench/ingest.py --batches 5
	$(BIN)/python bench/trace.py --pieces $(TRACE_PIECES)
	$(BIN)/python bench/spc.py
	$(BIN)/python bench/twin.py
	$(BIN)/python bench/provisioning.py
	$(BIN)/python bench/certificate.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
