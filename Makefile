# policyflow: `make run` and `make test` work on a fresh clone (they create .venv and install into it).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Prefect state lives in the project's ignored .prefect/, telemetry off: nothing depends on $HOME or the network.
export PREFECT_HOME := $(CURDIR)/.prefect
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: install run test test-slow test-all schema clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/policyflow extract raw --out output

test: install
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: install
	$(BIN)/python -m pytest -q -m slow; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]

test-all: test test-slow

schema: install
	$(BIN)/policyflow schema

clean:
	rm -rf $(VENV) .prefect .pytest_cache .hypothesis output/revisions output/tables output/errors output/catalog.duckdb
