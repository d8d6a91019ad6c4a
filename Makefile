# Everything sets itself up: a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(UV) run --frozen --no-sync
PYTEST_UNIT := libs/contracts/tests libs/runtime/tests libs/paper/tests libs/strategies/tests libs/backtest/tests tools/cli/tests $(wildcard services/*/tests) tests/deploy

.PHONY: help setup run test test-unit test-integration chromium bench lint lint-mypy fmt clean contracts-wheel

help:
	@echo "make run    start the embedded stack (NATS, PostgreSQL, every service)"
	@echo "make test   unit + integration tests on real NATS and PostgreSQL"
	@echo "make bench  latency and throughput figures"
	@echo "make lint   ruff, ruff format --check, mypy (code and tests); CI runs it before make test"
	@echo "make contracts-wheel  dist/tradeplane_contracts-*.whl for event subscribers (docs/events.md)"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml tools/*/pyproject.toml)
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --all-packages --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced

run: setup
	$(RUN) tradeplane up

test: setup test-unit test-integration

# Each run gets its own pytest temp dir: pytest prunes all but the newest three shared ones, which
# would delete the data of servers a concurrent run still uses.
test-unit: setup
	d=$$(mktemp -d -t tp-unit-XXXXXX); $(RUN) pytest -q --basetemp=$$d $(PYTEST_UNIT); rc=$$?; rm -rf $$d; exit $$rc

# The browser tests drive the system Chromium (Playwright cannot download its own browser here).
CHROMIUM := /usr/bin/chromium

chromium:
	@test -x $(CHROMIUM) || { \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; \
		else echo "the browser tests need $(CHROMIUM): run 'sudo apt-get install -y chromium'" >&2; exit 1; fi; }

test-integration: setup chromium
	d=$$(mktemp -d -t tp-integration-XXXXXX); $(RUN) pytest -q --basetemp=$$d --durations=25 tests/integration; rc=$$?; rm -rf $$d; exit $$rc

bench: setup
	$(RUN) python -m tests.bench

lint: setup
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(MAKE) --no-print-directory lint-mypy

# The code and its tests (tests under non-strict settings: see pyproject's mypy overrides).
lint-mypy: setup
	$(RUN) mypy libs/contracts/src libs/runtime/src libs/paper/src libs/strategies/src libs/riskrules/src libs/backtest/src services/*/src tools/cli/src examples \
		tests libs/*/tests services/*/tests tools/cli/tests

fmt: setup
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

clean:
	rm -rf $(VENV) $(TOOLS)

# The contracts as a wheel an analytics team installs alone (pydantic only): dist/tradeplane_contracts-*.whl
contracts-wheel: $(UV)
	$(UV) build --package tradeplane-contracts --wheel --out-dir dist
