# policyflow: `make run` and `make test` work on a fresh clone (they create .venv and install into it).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Prefect state lives in the project's ignored .prefect/, telemetry off: nothing depends on $HOME or the network.
export PREFECT_HOME := $(CURDIR)/.prefect
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: install run test test-slow test-all schema clean browser bench bench-local bench-hostile fuzz coverage

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/policyflow extract raw --out output

# Headless Chromium and a CJK font for the review-report browser test (Debian packages; root needed).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null) \
	      || echo "warning: could not install chromium; the browser test will be skipped"; \
	  else echo "warning: chromium missing and not root; the browser test will be skipped"; fi; }

test: install browser
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: install
	$(BIN)/python -m pytest -q -rP -m slow; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]

test-all: test test-slow

# Benchmark on a synthetic corpus (N documents, default 1000); prints one JSON object.
N ?= 1000
bench: install
	N=$(N) $(BIN)/python -m policyflow.flows.bench

# A 4-document local `policyflow extract`, command to exit: temporary vs reusable Prefect server; prints one JSON object.
bench-local: install
	$(BIN)/python -m policyflow.flows.bench_local

# What hostile files cost (99k-page PDF, 3 GB-inflating docx, 2 GB text, 2,000-measure diff); prints one JSON object.
bench-hostile: install
	$(BIN)/python -m policyflow.flows.bench_hostile

# Fuzz the extractors with generated hostile texts (CASES, default 10000); prints one JSON object.
CASES ?= 10000
fuzz: install
	CASES=$(CASES) $(BIN)/python -m policyflow.flows.fuzz

# Coverage on a real corpus (no gold): share of documents with each field and record kind, per subfolder.
CORPUS ?= ../shared/corpus/real
coverage: install
	$(BIN)/policyflow coverage $(CORPUS) $$(test -f $(CORPUS)/MANIFEST.csv && echo --hints $(CORPUS)/MANIFEST.csv)

schema: install
	$(BIN)/policyflow schema

clean:
	-@test -x $(BIN)/policyflow && $(BIN)/policyflow server stop >/dev/null 2>&1
	rm -rf $(VENV) .prefect .pytest_cache .hypothesis output/revisions output/tables output/errors output/catalog.duckdb
