# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA_DIR ?= .data
export DATA_DIR

.PHONY: install run test lint unit integration faults bench schemas broker clean

install: $(STAMP)

# PYTHONWARNINGS: setuptools' boxed notice about editable installs is for people who did not choose one.
$(STAMP): pyproject.toml
	@echo "installing the project and its dependencies into $(VENV) (the first time takes a minute or two)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)
	@echo "installed."

## Broker + handler + gateway on 127.0.0.1:$${PORT:-8080}; Ctrl-C stops them all.
run: install
	$(BIN)/python -m infra.kafka.launcher fetch
	$(BIN)/python -m services.devstack

## Every test: lint, unit, then integration against a real broker the tests start themselves.
## The browser tests drive Debian's Chromium (never `playwright install`: it downloads a browser).
test: install lint
	test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	$(BIN)/python -m infra.kafka.launcher fetch
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: install
	$(BIN)/python -m pytest tests/unit

integration: install
	$(BIN)/python -m infra.kafka.launcher fetch
	$(BIN)/python -m pytest tests/integration

## The fault cases alone: broker outages, unconfirmed creates, poison records, slow and malformed requests;
## one broker of a three-node cluster killed under load, and schemathesis for 10 minutes ($$SCHEMATHESIS_SECONDS);
## then kill -9 of each part three times during ~1,000 executions, its table written to docs/faults.md.
faults: install
	$(BIN)/python -m infra.kafka.launcher fetch
	$(BIN)/python -m pytest tests/faults tests/integration/test_projection_poison.py \
		tests/integration/test_handler_poison.py tests/integration/test_request_limits.py tests/integration/test_oversize.py
	$(BIN)/python -m pytest -m slow tests/faults/test_cluster.py tests/faults/test_schemathesis_soak.py
	$(BIN)/python -m tests.faults.chaos --executions 1000 --kills 3

## Throughput, latency, reads and replay of the whole system against raw Kafka and bare aiohttp, same run
## (not part of `make test`); reads are loaded with wrk, and first paint timed in Chromium, both installed
## from Debian's packages when missing.
bench: install
	command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	$(BIN)/python -m infra.kafka.launcher fetch
	$(BIN)/python -m bench.e2e
	$(BIN)/python -m pytest -m slow -s -q tests/browser/test_first_paint.py

## Regenerate the published JSON Schemas after changing an event.
schemas: install
	$(BIN)/python -m contracts.schema_export

## Just the broker, in the foreground.
broker: install
	$(BIN)/python -m infra.kafka.launcher run --data-dir $(DATA_DIR)/kafka

clean:
	rm -rf $(VENV) $(DATA_DIR) .pytest_cache
