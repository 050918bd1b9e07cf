# Two commands for users: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

TEST_DATABASE_URL ?=
# pytest-xdist: one worker per core; each test file runs whole on one worker, in order, so its
# module-scoped servers and browsers start once. PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= auto
XDIST := -n $(PYTEST_WORKERS) --dist loadfile
# Schemathesis gives every API operation's case one node id; xdist schedules by node id and would
# run only one of them, so this file runs in one process after the others.
ONE_ID := tests/api/test_openapi.py

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/openpost serve

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest $(XDIST) --ignore=$(ONE_ID) $(PYTEST_ARGS)
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest $(ONE_ID) $(PYTEST_ARGS)

# The quick benchmarks (all of them live in bench/), each printing one JSON line of figures last
# (docs/performance.md). Those that need a database use DATABASE_URL, or the embedded server.
bench: $(STAMP)
	$(BIN)/python -m bench.tricks
	$(BIN)/python -m bench.preview
	$(BIN)/python -m bench.calendar_page --posts 2000 --runs 10 --polls 50
	$(BIN)/python -m bench.webhooks --endpoints 5 --events 20 --slow-ms 500
	$(BIN)/openpost bench --posts 2000 --workers 2
	$(BIN)/openpost bench web --seconds 5 --clients 8
	$(BIN)/openpost bench metrics --posts 400

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache
