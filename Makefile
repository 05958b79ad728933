# PivotDesk — `make run` serves the site with demo data; `make test` lints and tests.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
# The first interpreter that is Python >= 3.12 (Django 6 needs it); pyenv reads .python-version.
PYTHON ?= $(shell for c in python3.13 python3.14 python3 python python3.12; do \
	if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	echo $$c; break; fi; done)

.PHONY: help python venv install install-dev bundles run test test-all lint format spike spike-cdn clean

help:
	@echo "make run    - set up .venv and the CSS/JS bundles (npm), migrate, seed demo data, serve http://127.0.0.1:$(PORT) with a worker and the clock (Procfile.dev)"
	@echo "make test   - ruff check, ruff format --check, pytest without the slow drills (Postgres/Redis if DATABASE_URL/REDIS_URL are set)"
	@echo "make test-all - the same with the slow drills (browsers, servers); what CI runs"
	@echo "make bundles - the CSS and JS bundles in static/dist/ (npm ci, esbuild); run by the others"
	@echo "make spike  - load drill: gunicorn + Postgres + Redis + Locust, report in loadtest/report/"
	@echo "make spike-cdn - the same visitors through Varnish (deploy/varnish), report in loadtest/report-cdn/"

# Checked whatever chose it (PYTHON=... on the command line or in the environment too).
python:
	@if [ -z "$(PYTHON)" ] || ! $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
		echo "error: PivotDesk needs Python 3.12 or newer (Django 6)$(if $(PYTHON),; $(PYTHON) is not). Install Python 3.13 (see .python-version) and run again." >&2; \
		exit 1; fi

$(BIN)/python: | python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

# honcho runs Procfile.dev for `make run`, localstripe is its fake Stripe; both pins are in
# requirements-dev.txt.
$(VENV)/.honcho: requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet "$$(grep -i '^honcho==' requirements-dev.txt)" \
		"$$(grep -i '^localstripe==' requirements-dev.txt)"
	@touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Payments on a laptop: localstripe (Procfile.dev's stripe:) with test keys; pay with 4242 4242 4242 4242.
LOCAL_STRIPE = STRIPE_API_BASE=$${STRIPE_API_BASE:-http://127.0.0.1:8420} \
	STRIPE_SECRET_KEY=$${STRIPE_SECRET_KEY:-sk_test_localstripe} \
	STRIPE_PUBLISHABLE_KEY=$${STRIPE_PUBLISHABLE_KEY:-pk_test_localstripe} \
	STRIPE_WEBHOOK_SECRET=$${STRIPE_WEBHOOK_SECRET:-whsec_localstripe}

# web (runserver), worker (the jobs: emails), clock (periodic jobs) as the Procfile runs
# them on the platform, and stripe (localstripe). honcho replaces the recipe's shell (exec), so
# Ctrl-C, or a SIGTERM to make (`timeout make run`), stops them all.
run: install bundles $(VENV)/.honcho
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	exec env DEBUG=$${DEBUG:-1} PATH="$(CURDIR)/$(BIN):$$PATH" $(LOCAL_STRIPE) $(BIN)/honcho -f Procfile.dev start -p $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# pytest-xdist: two workers, each with its own database and cache (SQLite and the in-memory
# cache are per process; with DATABASE_URL/REDIS_URL, pytest-django names a test database per
# worker and pivotdesk/settings/test.py picks a Redis database per worker).
PYTEST_WORKERS ?= 2
# `make test` leaves out the drills marked slow (real servers, browsers, collectstatic; about
# two minutes on their own); `make test-all` and .ci/run run everything.
PYTEST_MARKERS ?= not slow

test: lint bundles
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "$(PYTEST_MARKERS)" $(PYTEST_ARGS)

test-all:
	$(MAKE) test PYTEST_MARKERS=

# Node packages pinned in package-lock.json: esbuild (the bundles) and axe-core (the browser
# accessibility tests, tests/browser).
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "error: npm not found: PivotDesk's CSS and JS bundles are built with Node.js 20+ and npm; install them and run again." >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The CSS and JS bundles in static/dist/ (esbuild, `npm run build`), from assets/ and the
# files they import; collectstatic hashes and compresses them like any static file.
static/dist/.built: node_modules/.package-lock.json $(wildcard assets/* static/css/*.css static/js/*.js static/vendor/leaflet/*.*)
	npm run --silent build
	@touch $@

bundles: static/dist/.built

clean:
	rm -rf $(VENV) staticfiles static/dist node_modules .pytest_cache

# The load drill: Postgres db pivotdesk_spike + Redis db 15, gunicorn as the
# Procfile starts it, Locust ramping to 1,000 visitors, the bare-Django ceiling. ~5 minutes.
spike: install-dev bundles
	bash loadtest/spike.sh

# The same drill through Varnish with the repo's VCL, the limit (same bytes from a file
# through the same Varnish) and a host's edit timed through the cache.
spike-cdn: install-dev bundles
	bash loadtest/spike_cdn.sh
