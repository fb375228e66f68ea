# nlp-assises: `make run` and `make test` do all the set-up themselves on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The CPU build of torch lies on this kind of machine's disk; pip looks there first.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
PIP := $(BIN)/python -m pip
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
SAMPLE := nlp_assises/data/sample

.PHONY: help install models browser fonts postgres run serve test test-fast test-pg lint bench constraints screenshots clean notebooks strip-notebooks

help:
	@echo "make run    install, build the default models, run the pipeline on the sample, serve"
	@echo "make test   install and run the test suite"
	@echo "make test-fast   the quick tier (no real servers, no whole-pipeline runs): the default loop"
	@echo "make test-pg     the whole suite with every test's store on PostgreSQL"
	@echo "make bench  run the benchmarks in bench/ (JSON results in bench/results/)"
	@echo "make lint   ruff (checks and formatting)"
	@echo "make notebooks         JupyterLab on notebooks/ (store and models copied under var/notebooks)"
	@echo "make strip-notebooks   remove outputs from notebooks/*.ipynb before committing"

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip setuptools wheel
	$(PIP) install --quiet $(FIND_LINKS) -c constraints.txt -e '.[dev,compare,notebooks,dask]'
	@touch $(STAMP)

install: $(STAMP)

models: install
	$(BIN)/nlp-assises models setup

run: models
	$(BIN)/nlp-assises run $(SAMPLE)
	@$(BIN)/nlp-assises keys local var/writer.key
	$(BIN)/nlp-assises serve

serve: models
	$(BIN)/nlp-assises serve

# The browser tests drive Debian's chromium (playwright's driver only, never its downloads).
browser:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else echo "chromium is missing and this is not root: the browser tests will be skipped" \
		"(install it with: sudo apt-get install chromium chromium-driver)"; fi

# The real-PDF repair tests and bench/repair_pdf.py draw French with DejaVu Sans (Debian's font).
DEJAVU := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
fonts:
	@if [ -f $(DEJAVU) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core; \
	else echo "DejaVu Sans is missing and this is not root: the real-PDF tests will be skipped" \
		"(install it with: sudo apt-get install fonts-dejavu-core)"; fi

# The store's tests also run on a real PostgreSQL server that tests/postgres.py starts (initdb +
# pg_ctl in a temporary folder): Debian's server binaries, installed here when missing.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	else echo "PostgreSQL is missing and this is not root: its tests will be skipped" \
		"(install it with: sudo apt-get install postgresql)"; fi

test: models browser postgres fonts
	$(BIN)/python -m pytest -q

# The whole suite again with every test's store a fresh PostgreSQL database (CI runs only the
# store's tests on both databases: the whole suite twice would not fit its time).
test-pg: models browser postgres fonts
	NLP_ASSISES_TEST_DATABASE=postgresql $(BIN)/python -m pytest -q

# The developers' loop: everything but the tests marked slow (whole-pipeline runs, CLI
# subprocesses that load the models, SIGKILL drills) or e2e (real servers, the browser).
# CI runs the whole suite (`make test`).
test-fast: models
	$(BIN)/python -m pytest -q -m "not slow and not e2e"

# Screenshots of every page into docs/screenshots/ (runs the pipeline on the sample first).
screenshots: models browser
	$(BIN)/python scripts/screenshots.py

lint: install
	$(BIN)/ruff check nlp_assises service tests bench
	$(BIN)/ruff format --check nlp_assises service tests bench

bench: models
	$(BIN)/python bench/run_all.py

# Re-pin every dependency after changing pyproject.toml (torch keeps its CPU build).
constraints: install
	$(PIP) freeze --exclude-editable | sed -e 's/+cpu$$//' > constraints.txt

# The notebooks read NLP_ASSISES_* like everything else: their store and a copy of the models live
# under var/notebooks, so running them never changes the repository's models.
NOTEBOOK_DIR := $(CURDIR)/var/notebooks
notebooks: models
	@mkdir -p $(NOTEBOOK_DIR)
	@test -d $(NOTEBOOK_DIR)/models || cp -r models $(NOTEBOOK_DIR)/models
	NLP_ASSISES_DATA_DIR=$(NOTEBOOK_DIR) NLP_ASSISES_MODELS_DIR=$(NOTEBOOK_DIR)/models \
		$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root,) notebooks/

strip-notebooks: install
	$(BIN)/python scripts/strip_notebooks.py notebooks/*.ipynb

clean:
	rm -rf var .pytest_cache
