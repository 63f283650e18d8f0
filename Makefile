# CMSS: `make run` for the demo, `make test` for the whole suite. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Every package, pinned with hashes (pip-tools). pyproject.toml keeps the compatible ranges;
# `make upgrade` refreshes this file from them, `make test-latest` tries the newest first.
LOCK ?= requirements.lock.txt
# pip-compile reads PyPI only: no machine-local index or wheel folder may end up in the lock.
PIP_COMPILE = PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= $(VENV)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --all-build-deps --extra test --extra dev --strip-extras \
	--no-emit-index-url --no-emit-find-links
CHROMIUM ?= /usr/bin/chromium
PG_URL ?= postgres://postgres@127.0.0.1:5432/cmss
HOST ?= 127.0.0.1
PORT ?= 8000
# The SQLite and PostgreSQL passes run on this many processes (pytest-xdist, one test database
# each); the browser pass stays on one, so Chromium and its live server keep a core to themselves.
PYTEST_WORKERS ?= 2

.PHONY: run test lint check pytest pytest-sqlite pytest-postgres browser chromium fonts bench migrate \
	clean upgrade test-latest

# Installs exactly what the lock names, hash-checked. The project itself runs from this folder
# (manage.py, pytest and bench/ put it on the path), so it is not installed into the venv.
$(STAMP): $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	touch $(STAMP)

# Refresh the lock to the newest versions pyproject.toml's ranges allow. Then `make test`,
# and commit requirements.lock.txt with what the test run showed (README, "Upgrading").
upgrade: $(STAMP)
	$(PIP_COMPILE) --upgrade -o $(LOCK) pyproject.toml
	@echo "$(LOCK) refreshed. Run 'make test', then commit it."

# The suite against the newest versions the ranges allow, in a venv of its own (.venv-latest),
# leaving the lock and .venv as they are: an upstream release breaks this before it breaks a user.
test-latest: $(STAMP)
	mkdir -p .venv-latest
	rm -f .venv-latest/requirements.txt
	$(PIP_COMPILE) -o .venv-latest/requirements.txt pyproject.toml
	$(MAKE) VENV=.venv-latest LOCK=.venv-latest/requirements.txt test

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

# Links in emails and admin notifications use the address the demo serves on. `send_reminders
# --schedule` queues the webinar round (reminders, recordings, attendance) that the worker repeats.
run: export CMSS_BASE_URL = http://$(HOST):$(PORT)
# Two task workers run beside the server and stop with it: one for all queues (imports, Webex
# bookings, mail) and one for mail only, so sign-in codes never wait behind a long import. They
# survive database errors; if one stops all the same, the terminal says so and it restarts (a
# worker that exits cleanly was told to stop: Ctrl-C).
run: migrate fonts
	$(PY) manage.py seed_demo
	$(PY) manage.py retry_mail
	$(PY) manage.py send_reminders --schedule
	@echo ""
	@echo "CMSS runs on $(CMSS_BASE_URL)/  (admin: $(CMSS_BASE_URL)/admin/; Ctrl-C stops it)"
	@rm -f $(VENV)/.stopping; \
	supervise() { while :; do \
		$(PY) manage.py task_worker --verbosity 0 "$$@"; code=$$?; \
		{ [ $$code = 0 ] || [ -f $(VENV)/.stopping ]; } && return 0; \
		echo "** The task worker ($${*:-all queues}) stopped (exit $$code): its work waits. Restarting it in 5 s." >&2; \
		sleep 5; \
	done; }; \
	supervise & all=$$!; supervise --queue-name mail & mail=$$!; \
	trap 'touch $(VENV)/.stopping; sleep 0.5; pkill -TERM -P $$all,$$mail 2>/dev/null; \
		kill $$all $$mail 2>/dev/null; wait 2>/dev/null; rm -f $(VENV)/.stopping' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

check: $(STAMP)
	DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) manage.py makemigrations --check --dry-run

pytest-sqlite: $(STAMP)
	@echo "== pytest on SQLite =="
	env -u DATABASE_URL $(PY) -m pytest -m "not browser" -p no:cacheprovider -n $(PYTEST_WORKERS)

# PostgreSQL when one answers; CMSS_REQUIRE_POSTGRES=1 (set by .ci/run) turns a missing server into a failure.
pytest-postgres: $(STAMP)
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(PG_URL)'.rsplit('/',1)[0]+'/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== pytest on PostgreSQL ($(PG_URL)) =="; \
		DATABASE_URL=$(PG_URL) $(PY) -m pytest -m "not browser" -p no:cacheprovider -n $(PYTEST_WORKERS); \
	elif [ "$$CMSS_REQUIRE_POSTGRES" = "1" ]; then \
		echo "PostgreSQL is not reachable at $(PG_URL), and CMSS_REQUIRE_POSTGRES=1 requires it." >&2; exit 1; \
	else \
		echo "== SKIPPED the PostgreSQL pass: no server answers at $(PG_URL) =="; \
	fi

# The information package's PDF is set in DejaVu Sans (every European alphabet); without it the
# PDF falls back to a core font that drops letters outside Latin-1.
FONT_FILE ?= /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
fonts:
	@if [ ! -f $(FONT_FILE) ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "Installing Debian's fonts-dejavu-core for the information package's PDF"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null; \
		else \
			echo "The package PDF needs DejaVu Sans: run 'sudo apt-get install fonts-dejavu-core' (it works without, in a core font)." >&2; \
		fi; \
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
browser: $(STAMP) chromium fonts
	@echo "== browser tests (headless Chromium) =="
	env -u DATABASE_URL $(PY) -m pytest -m browser -p no:cacheprovider

test: fonts lint check pytest-sqlite pytest-postgres browser
	@echo "All checks passed."

bench: migrate
	@command -v wrk >/dev/null || [ "$$(id -u)" != "0" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || true
	$(PY) bench/pages.py
	$(PY) bench/import_directory.py
	$(PY) bench/import_memory.py
	$(PY) bench/mail.py
	$(PY) bench/directory_search.py
	$(PY) bench/identifiers.py
	$(PY) bench/announcements.py

clean:
	rm -rf $(VENV) .venv-latest db.sqlite3 db.sqlite3-wal db.sqlite3-shm media var static_collected
