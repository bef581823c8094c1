# The two commands: `make run` (set up everything and serve http://127.0.0.1:8000) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 2>/dev/null || echo python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install system-packages run serve migrate data test lint bench lock clean backup restore messages compilemessages

install: system-packages $(VENV)/.installed

system-packages:
	@bash bin/install-system-packages

$(VENV)/.installed: requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else "Python 3.12 is required (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@

migrate: install
	$(MANAGE) migrate --no-input

data: migrate
	$(MANAGE) load_reference_data
	$(MANAGE) seed_demo

run: data
	$(MANAGE) runserver $(HOST):$(PORT)

test: install
	@bash bin/install-system-packages --with-browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: install
	@bash bin/install-system-packages --with-bench
	$(BIN)/python -m bench $(BENCH_ARGS)

lock:
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.12 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.12 -o requirements-dev.lock

clean:
	rm -rf $(VENV) var staticfiles

backup: install
	$(MANAGE) backup

restore: install
	@test -n "$(FROM)" || (echo "Usage: make restore FROM=var/backups/<folder>" && exit 2)
	$(MANAGE) restore $(FROM)

# Refresh the translation catalogues after adding or changing user-visible strings (needs gettext).
messages: install
	$(MANAGE) makemessages -l en -l vi --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=staticfiles
	@echo "Fill every new msgstr in locale/en/LC_MESSAGES/django.po, then: make compilemessages"

compilemessages: install
	$(MANAGE) compilemessages --ignore=.venv --ignore=var

# Fault injection (RELIABILITY.md L2, L3, L5, L6, L9): own Redis, PostgreSQL, Celery workers and gunicorn on loopback.
# CI semantics: CI=true makes missing services fail instead of skip. Slow: not part of `make test`.
.PHONY: chaos load
chaos: install
	CI=true RUN_CHAOS=1 $(BIN)/python -m pytest tests/chaos -m chaos -q $(PYTEST_ARGS)

# Steady load (RELIABILITY.md K2): gunicorn and a Celery worker as in docker-compose.yml + demo data in the ketnghia_load database + locust.
# LOAD_USERS (70: RELIABILITY decision 6 on 2 cores; 200 is K2 as written), LOAD_SECONDS (60 measured), LOAD_RAMP (20),
# LOAD_DATABASE_URL; LOAD_ARGS=--fresh re-seeds,
# LOAD_ARGS=--kill-worker also SIGKILLs a gunicorn worker mid-load (RELIABILITY L7).
# Other modes of the same runner, each printing a table of its criteria (exit 0 only if all pass):
#   LOAD_ARGS=--overload       K3: 500 users without pauses for 30 s; statuses, worker crashes, audited writes, recovery
#   LOAD_ARGS=--report-burst   K6: 30 report requests from 10 people within 60 s while 50 users browse
#   LOAD_ARGS=--soak           K5: 50 users for 30 minutes (add --seconds 300 for a shorter try-out)
load: install
	$(BIN)/python tests/load/run.py $(LOAD_ARGS)
