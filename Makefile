# Calumet. Quick start: `make run`, then `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
SCALE  ?= 1
# Local development runs with DEBUG on unless the environment (or .env) says otherwise.
DEV_ENV := DJANGO_DEBUG=$${DJANGO_DEBUG:-true}

.DEFAULT_GOAL := help
.PHONY: help venv run demo migrate serve worker test test-postgres bench lint format clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed  ## Create or update the virtualenv

migrate: venv  ## Apply database migrations
	$(DEV_ENV) $(PY) manage.py migrate --no-input

demo: migrate  ## Load the demo library (idempotent)
	$(DEV_ENV) $(PY) manage.py seed_demo

run: demo  ## Serve the site and the worker on http://127.0.0.1:$(PORT) (Ctrl-C stops both)
	$(DEV_ENV) PY=$(PY) scripts/run-dev.sh $(PORT)

serve: venv  ## The production stack (gunicorn + worker) with the environment's settings
	PY=$(PY) GUNICORN=$(VENV)/bin/gunicorn scripts/serve.sh

worker: venv  ## Run the django-q2 worker alone
	$(DEV_ENV) $(PY) manage.py qcluster

test: venv  ## Run the whole test suite (SQLite, or DATABASE_URL)
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: venv  ## Run the suite on the local PostgreSQL
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/calumet} $(PY) -m pytest $(PYTEST_ARGS)

bench: venv  ## Benchmark a large library on the local PostgreSQL (SCALE=0.1: ~2 min, default 1: ~5 min)
	$(PY) -m bench --scale $(SCALE) $(BENCH_ARGS)

lint: venv  ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv  ## Reformat the code with ruff
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:  ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var .pytest_cache .ruff_cache
