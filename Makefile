# Ollive — one machine, no Docker. `make demo` sets everything up and runs the pipeline end to
# end; `make test` runs the test suite against the real embedded stack.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PYTEST_ARGS ?=

.PHONY: help setup setup-python setup-system setup-superset demo up down status test test-slow test-unit \
	bench soak lint fmt schema env-example dagster-config prod-env

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

setup: setup-system setup-python setup-superset ## Install everything (uv, venvs, Debian packages)

setup-python: ## uv (from PyPI if missing) and the pipeline's virtualenv from uv.lock
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --quiet --user uv
	$(UV) sync --frozen --all-packages

setup-system: ## Debian packages the tests need (headless Chromium for the Superset tests)
	@bash scripts/install_system_packages.sh

setup-superset: ## Superset in its own virtualenv (its pins conflict with the pipeline's)
	@bash superset_config/install.sh

demo: setup ## Set up, start the stack, send traffic, print the 5-minute rollup
	$(UV) run ollive demo

up: setup-python ## Start the embedded stack
	$(UV) run ollive up

down: ## Stop the embedded stack
	$(UV) run ollive down

status: ## Show the stack's services
	$(UV) run ollive status

test: setup ## Run the test suite against the real embedded stack (all but the slow e2e tests)
	$(UV) run pytest -m "not slow" --durations=20 $(PYTEST_ARGS)

test-slow: setup ## The slow e2e test: OTLP exporters through the whole pipeline
	$(UV) run pytest -m slow $(PYTEST_ARGS)

test-unit: setup-python ## The unit tests only: no services, about 1.5 min
	$(UV) run pytest tests/unit $(PYTEST_ARGS)

# benches that measure a running `ollive up` (docs/dagster.md), and modules the benches share
STACK_BENCHES := bench/freshness.py bench/dagster_runs.py
# half an hour of traffic and faults on a stack of its own: `make soak` (docs/reliability.md);
# the scale run, 1M to 100M events, about an hour (docs/scale-out.md)
LONG_BENCHES := bench/soak.py bench/scale.py
BENCH_LIBS := bench/load_common.py bench/ingest_common.py bench/pii_labels.py bench/dbt_harness.py \
	bench/lake_events.py bench/peak_memory.py bench/cpu_share.py bench/process_sampling.py

bench: setup ## Run the self-contained benchmarks (figures printed and written to bench/results/)
	@for b in $(filter-out $(STACK_BENCHES) $(BENCH_LIBS) $(LONG_BENCHES),$(wildcard bench/*.py)); do \
		echo "== $$b"; $(UV) run python $$b || exit 1; done
	@echo "Not run, they measure a running stack: $(STACK_BENCHES) (start \`ollive up\` first)"

soak: setup-python ## The 30-minute fault soak (kill -9 and restarts under traffic; docs/reliability.md)
	$(UV) run python bench/soak.py --minutes 30

lint: setup-python ## ruff, the import-linter layer contracts, sqlfluff
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run lint-imports
	cd dbt_project && $(UV) run sqlfluff lint models

fmt: setup-python ## Format the Python code
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

schema: setup-python ## Regenerate the wire contract's JSON Schema
	$(UV) run python -m ollive_contract.json_schema

env-example: setup-python ## Regenerate .env.example from the settings registry
	$(UV) run python -m ollive.env_example

dagster-config: setup-python ## Regenerate the production docker/dagster/dagster.yaml
	$(UV) run python -m ollive.stack.dagster_home

prod-env: setup-python ## Write .env for docker-compose.yml with generated secrets (docs/production.md)
	$(UV) run ollive prod init
