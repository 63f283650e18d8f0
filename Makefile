# CMSS: `make run` for the demo, `make test` for the whole suite. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
PG_URL ?= postgres://postgres@127.0.0.1:5432/cmss
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint check pytest pytest-sqlite pytest-postgres browser chromium bench migrate clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

# The task worker (mail) runs beside the server and stops with it.
run: migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py retry_mail
	@echo ""
	@echo "CMSS runs on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/; Ctrl-C stops it)"
	@$(PY) manage.py db_worker --backend background --queue-name '*' --no-reload --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: $(STAMP)
	DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) manage.py makemigrations --check --dry-run

pytest-sqlite: $(STAMP)
	@echo "== pytest on SQLite =="
	env -u DATABASE_URL $(PY) -m pytest -m "not browser" -p no:cacheprovider

# PostgreSQL when one answers; CMSS_REQUIRE_POSTGRES=1 (set by .ci/run) turns a missing server into a failure.
pytest-postgres: $(STAMP)
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(PG_URL)'.rsplit('/',1)[0]+'/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== pytest on PostgreSQL ($(PG_URL)) =="; \
		DATABASE_URL=$(PG_URL) $(PY) -m pytest -m "not browser" -p no:cacheprovider; \
	elif [ "$$CMSS_REQUIRE_POSTGRES" = "1" ]; then \
		echo "PostgreSQL is not reachable at $(PG_URL), and CMSS_REQUIRE_POSTGRES=1 requires it." >&2; exit 1; \
	else \
		echo "== SKIPPED the PostgreSQL pass: no server answers at $(PG_URL) =="; \
	fi

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "Installing Debian's chromium for the browser tests"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "Browser tests need $(CHROMIUM): run 'sudo apt-get install chromium'." >&2; exit 1; \
		fi; \
	fi

# Browser tests in their own run: a live server flushes the database between tests.
browser: $(STAMP) chromium
	@echo "== browser tests (headless Chromium) =="
	env -u DATABASE_URL $(PY) -m pytest -m browser -p no:cacheprovider

test: lint check pytest-sqlite pytest-postgres browser
	@echo "All checks passed."

bench: migrate
	@command -v wrk >/dev/null || [ "$$(id -u)" != "0" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || true
	$(PY) bench/pages.py
	$(PY) bench/import_directory.py
	$(PY) bench/mail.py
	$(PY) bench/directory_search.py

clean:
	rm -rf $(VENV) db.sqlite3 media var static_collected
