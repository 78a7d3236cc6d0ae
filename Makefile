# The hub's commands. `make run` brings it up with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HUB_DB ?= hub
export HUB_DB
export DATABASE_URL ?= postgres://hub_app@127.0.0.1:5432/$(HUB_DB)
export MIGRATION_DATABASE_URL ?= postgres://hub_owner@127.0.0.1:5432/$(HUB_DB)
export REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test lint format venv assets services db migrate seed bench clean db-roles

run: venv assets services db seed  ## set up everything and start web, worker and beat
	DEBUG=1 ./scripts/run.sh

test: venv assets services db-roles  ## the whole suite against real PostgreSQL and Redis
	./scripts/ensure_chromium.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DATABASE_URL=$(MIGRATION_DATABASE_URL) SECRET_KEY=test-only-secret-key-not-for-any-real-use \
		$(BIN)/python manage.py makemigrations --check --dry-run
	DATABASE_URL=$(MIGRATION_DATABASE_URL) SECRET_KEY=test-only-secret-key-not-for-any-real-use \
		$(BIN)/python manage.py spectacular --fail-on-warn --validate --file /dev/null
	DATABASE_URL=$(MIGRATION_DATABASE_URL) SECRET_KEY=test-only-secret-key-not-for-any-real-use \
		$(BIN)/pytest $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

venv: $(BIN)/.installed
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q '.[dev]'
	touch $@

assets: node_modules/.installed
node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	mkdir -p staticfiles
	touch $@

services:
	./scripts/ensure_services.sh

db-roles: services
	./scripts/db_setup.sh

db: db-roles migrate

migrate: venv
	DATABASE_URL=$(MIGRATION_DATABASE_URL) DEBUG=1 $(BIN)/python manage.py migrate --noinput

seed: venv  ## demo data, and each demo area's information-sharing agreement (the MASH rule)
	DEBUG=1 $(BIN)/python manage.py seed_demo
	for area in demo-fernleigh demo-brackenmoor; do \
		DEBUG=1 $(BIN)/python manage.py consent_agreement_add --if-missing --area $$area \
			--from 2024-01-01 --title "Demo MASH information-sharing agreement" || exit 1; \
	done

clean:
	rm -rf $(VENV) node_modules staticfiles

# Benchmarks and maintenance commands on a development database: a throwaway key, DEBUG off.
BENCH_KEY := SECRET_KEY=bench-only-secret-key-not-for-any-real-use

# --- matching (docs/matching.md) ---
.PHONY: bench-matching train-matching
bench-matching: venv  ## FEBRL3/4 + synthetic 200,000 beside Splink, and one record against 1,000,000
	$(BIN)/pip install -q '.[matching]'
	$(BENCH_KEY) $(BIN)/python manage.py bench_matching --online 1000000

train-matching: venv  ## estimate matching parameters from the hub's records (a new version)
	$(BENCH_KEY) $(BIN)/python manage.py train_matching

.PHONY: bench-api
bench-api: venv  ## load test: 50 API clients against gunicorn, the real endpoint vs a bare DRF create
	$(BENCH_KEY) $(BIN)/python manage.py bench_api --clients 50 --duration 20

bench-triage: venv  ## time the MASH queue's first page with 100,000 open items
	DATABASE_URL=$(MIGRATION_DATABASE_URL) SECRET_KEY=test-only-secret-key-not-for-any-real-use \
		$(BIN)/python manage.py bench_triage $(BENCH_ARGS)
.PHONY: bench-audit
bench-audit: venv  ## audit append throughput, view latency, verify_audit over 1M events
	SECRET_KEY=test-only-secret-key-not-for-any-real-use $(BIN)/python manage.py bench_audit $(BENCH_ARGS)
bench-policy: venv  ## time the visibility rule (docs/consent.md)
	DATABASE_URL=$(MIGRATION_DATABASE_URL) DEBUG=1 $(BIN)/python manage.py bench_policy
.PHONY: bench-risk
bench-risk: venv  ## combined-risk benchmark: BENCH_ARGS="--generate" loads 200k children / 1M concerns
	DEBUG=1 $(BIN)/python manage.py bench_aggregate $(BENCH_ARGS)
