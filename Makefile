# Calumet. Quick start: `make run`, then `make test`. `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
# The SIP2 server of `make run` (empty: CALUMET_SIP2_PORT from the environment or .env, else 6001).
SIP2_PORT ?=
SCALE  ?= 1
ARGS   ?=
LOCK   := requirements-dev.lock
# Local development runs with DEBUG on unless the environment says otherwise.
DEV_ENV := DJANGO_DEBUG=$${DJANGO_DEBUG:-true}
# Two locks, solved for every platform and the oldest Python we support: requirements.lock
# (what the site runs on; servers install it) and requirements-dev.lock (that plus the tools,
# at the same versions; the virtualenv of `make` has it).
COMPILE := $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
           --generate-hashes --quiet

.DEFAULT_GOAL := help
.PHONY: help venv lock upgrade run demo migrate manage expunge serve worker axe test \
        test-postgres screenshots messages bench drills lint format clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

# Installs exactly what the lock names (with their hashes), then our own code without
# dependencies; `pip check` fails if pyproject.toml asks for something the lock lacks.
$(VENV)/.installed: $(LOCK) pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip check
	touch $@

venv: $(VENV)/.installed  ## Create or update the virtualenv from requirements-dev.lock

# uv solves the lock; it is itself pinned there, and installed alone so that a lock that no
# longer matches pyproject.toml can still be re-solved.
$(VENV)/bin/uv:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "$$(grep -E '^uv==' $(LOCK) | cut -d' ' -f1)"

lock: $(VENV)/bin/uv  ## Re-solve the locks after editing pyproject.toml (keeps the other pins)
	$(COMPILE) $(UPGRADE) -o requirements.lock
	$(COMPILE) $(UPGRADE) --extra dev -c requirements.lock -o $(LOCK)
	$(MAKE) venv

upgrade:  ## Upgrade every dependency to its newest allowed version in the locks
	$(MAKE) lock UPGRADE=--upgrade

migrate: venv  ## Apply database migrations
	$(DEV_ENV) $(PY) manage.py migrate --no-input

demo: migrate  ## Load the demo library (idempotent)
	$(DEV_ENV) $(PY) manage.py seed_demo

run: demo  ## Serve the site, the worker and SIP2 on 127.0.0.1:$(PORT) and SIP2_PORT (Ctrl-C stops all)
	exec env $(DEV_ENV) $(if $(SIP2_PORT),CALUMET_SIP2_PORT=$(SIP2_PORT)) PY=$(PY) \
	    scripts/run-dev.sh $(PORT)

# `exec` (here and below): SIGTERM to make reaches the command itself, not only the shell.
manage: venv  ## Any manage.py command, as `make run` sets it up: make manage ARGS="check"
	@exec env $(DEV_ENV) $(PY) manage.py $(ARGS)

expunge: venv  ## The retention run: make expunge ARGS="--dry-run --json"
	@exec env $(DEV_ENV) $(PY) manage.py expunge $(ARGS)

serve: venv  ## The production stack (gunicorn + worker) with the environment's settings
	exec env PY=$(PY) GUNICORN=$(VENV)/bin/gunicorn scripts/serve.sh

worker: venv  ## Run the django-q2 worker alone
	exec env $(DEV_ENV) $(PY) manage.py qcluster

# axe-core, the accessibility engine the browser tests run in Chromium: from the npm
# registry into var/axe, at the version CI pins, unless CALUMET_AXE_CORE already names an
# axe.min.js. The tests get it as CALUMET_AXE_CORE (without it they are skipped, and fail
# under CI=true).
AXE_VERSION := 4.14.1
AXE_JS      := var/axe/node_modules/axe-core/axe.min.js
AXE_ENV     := CALUMET_AXE_CORE="$${CALUMET_AXE_CORE:-$$(test -f $(AXE_JS) && echo $(CURDIR)/$(AXE_JS))}"

axe:  ## Fetch axe-core $(AXE_VERSION) into var/axe with npm (make test does it)
	@if [ -n "$$CALUMET_AXE_CORE" ] && [ -f "$$CALUMET_AXE_CORE" ]; then \
	    exit 0; \
	elif [ -f $(AXE_JS) ] && grep -q '"version": "$(AXE_VERSION)"' var/axe/node_modules/axe-core/package.json; then \
	    exit 0; \
	elif command -v npm >/dev/null; then \
	    echo "Fetching axe-core $(AXE_VERSION) into var/axe (npm registry)"; \
	    mkdir -p var/axe && npm install --silent --no-audit --no-fund --prefix var/axe \
	        axe-core@$(AXE_VERSION) >/dev/null; \
	else \
	    echo "npm not found: the accessibility tests will be skipped. Install Node.js and npm" \
	        "(sudo apt-get install npm), or set CALUMET_AXE_CORE to an axe.min.js." >&2; \
	fi

# The suite runs in one process per core (pytest-xdist; TEST_WORKERS=0 runs it in this one).
TEST_WORKERS ?= auto
test: venv axe  ## Run the whole test suite (SQLite, or DATABASE_URL); PYTEST_ARGS="..." passes options
	$(AXE_ENV) $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-postgres: venv axe  ## Run the suite on the local PostgreSQL (database `calumet`, or DATABASE_URL)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/calumet} $(AXE_ENV) \
	    $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

screenshots: venv axe  ## Run the browser tests and rewrite docs/screenshots/
	CALUMET_SCREENSHOTS=1 $(AXE_ENV) $(PY) -m pytest tests/e2e $(PYTEST_ARGS)

# Needs gettext (xgettext, msgfmt): `apt-get install gettext`. The compiled .mo is committed, so
# servers need neither gettext nor this step.
messages: venv  ## Find new translatable strings (locale/es/…/django.po) and compile the catalog
	$(DEV_ENV) $(PY) manage.py makemessages -l es --no-obsolete \
	    --ignore=.venv --ignore=var --ignore=tests --ignore=bench
	$(DEV_ENV) $(PY) manage.py compilemessages -l es --ignore=.venv --ignore=var

bench: venv  ## Benchmark a large library on the local PostgreSQL (SCALE=0.1: ~2 min, default 1: ~5 min)
	$(PY) -m bench --scale $(SCALE) $(BENCH_ARGS)

# Private PostgreSQL and Redis on free ports of 127.0.0.1 (or CALUMET_DRILL_PG_PORT and
# CALUMET_DRILL_REDIS_PORT) in a temporary folder, never the machine's shared servers;
# about 80 seconds at DRILL_SCALE=1.
DRILL_SCALE ?= 1
drills: venv  ## Fault drills: PostgreSQL restarted, Redis stopped, the worker killed mid-batch
	$(PY) -m scripts.drills --scale $(DRILL_SCALE) $(DRILL_ARGS)

lint: venv  ## ruff check, ruff format --check and the import rules (import-linter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: venv  ## Reformat the code with ruff
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:  ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var .pytest_cache .ruff_cache .import_linter_cache
