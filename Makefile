# GigSta developer commands. `make run` and `make test` are all a newcomer needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser)
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in emails point at the server `make run` starts (HOST and PORT), unless SITE_URL is set.
SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test lint format check-e2e e2e migrate seed clean help bench stack replica

help:
	@echo "make run    install, migrate, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test   install dev tools, lint, run every test (browser tests when Chromium is present)"
	@echo "make stack  nginx, gunicorn, PostgreSQL and a read replica on this machine, checked end to end"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  GigSta is starting. Open http://$(HOST):$(PORT)/"
	@echo "  Staff admin: http://$(HOST):$(PORT)/admin/   API docs: http://$(HOST):$(PORT)/api/docs"
	@echo "  A task worker runs beside the server: emails (sign-up, bookings) are printed in this"
	@echo "  terminal when it sends them, and the timers run every minute. Stop all with Ctrl+C."
	@echo ""
	@# The worker (manage.py db_worker) runs queued work: emails, Stripe calls, calendar imports.
	@# The timers (manage.py run_timers, every minute, as compose's scheduler) expire, remind and
	@# queue each imported calendar's fetch every 15 minutes. Both stop with the server.
	DEBUG=1 SITE_URL=$(SITE_URL) $(BIN)/python manage.py db_worker --no-reload --interval 1 & worker=$$!; \
	while :; do DEBUG=1 SITE_URL=$(SITE_URL) $(BIN)/python manage.py run_timers > /dev/null; sleep 60; done & timers=$$!; \
	trap 'kill $$worker $$timers 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 SITE_URL=$(SITE_URL) $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	@DATABASE_URL= DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run > /dev/null || \
		(echo "Models changed without a migration: run manage.py makemigrations" && exit 1)
	@# Migrations are linted as PostgreSQL (production) runs them; SQLite rebuilds whole tables
	@# for any new column, which says nothing about a zero-downtime deploy.
	@case "$$DATABASE_URL" in postgres*) \
		DEBUG=1 LOG_LEVEL=WARNING $(BIN)/python manage.py lintmigrations --no-cache --quiet ok ignore ;; \
		*) echo "Migration linter: runs with DATABASE_URL=postgres://... (the CI's second pass)." ;; esac
ifeq ($(CHROMIUM),)
	$(BIN)/pytest --ignore=tests/e2e
	@echo ""
	@echo "*** Browser tests (tests/e2e) were NOT run: Chromium is not installed."
	@echo "*** Install it (Debian/Ubuntu: sudo apt-get install chromium) and run make test again."
else
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest
endif

e2e: $(VENV)/.installed-dev
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest tests/e2e

bench: $(VENV)/.installed
	$(BIN)/python -m bench.run

# tests/stack gives its servers only the settings it states; pytest's own Django must not reach
# the caller's DATABASE_URL or REDIS_URL either.
stack: $(VENV)/.installed-dev
	DATABASE_URL= REDIS_URL= $(BIN)/pytest tests/stack -v
	$(MAKE) replica

# A PostgreSQL primary and its streaming replica of their own (initdb, pg_basebackup) on free
# loopback ports: the read-replica router, read-your-writes and the fall-back to the primary.
replica: $(VENV)/.installed-dev
	DATABASE_URL= REDIS_URL= $(BIN)/pytest tests/replica --ds=tests.replica.settings -v

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles test-results
