# Two commands on a fresh machine: `make run` (the dashboard) and `make test` (every test);
# `make test-fast` leaves out the browser tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run demo test test-fast lint bench system-packages postgresql-package

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

# Debian's Chromium (Playwright cannot download its own browser here), Debian's nginx (the
# deployment tests put it in front of the dashboard), systemd (`systemd-analyze verify` of
# the service files in docs/deploy/) and PostgreSQL (the tests start a throw-away cluster of
# their own: the package's own cluster is not used), installed together when any is missing.
system-packages:
	@[ -x /usr/bin/chromium ] && [ -x /usr/sbin/nginx ] && [ -x /usr/bin/systemd-analyze ] && \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium nginx systemd postgresql; }

# The tests that need no browser still run the storage tests on PostgreSQL too.
postgresql-package:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql; }

run: $(VENV)/.runtime
	$(BIN)/streamlit run dashboard.py

demo: $(VENV)/.runtime
	$(BIN)/python -m copernica_core demo

# More workers than cores: much of the core tests' time is spent waiting on real processes
# (watchers, rotations, backups), not computing. The browser tests run in two groups of modules,
# each in order on one worker (tests/e2e/conftest.py).
test: $(VENV)/.dev system-packages
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 4 --dist loadgroup

# Everything but the browser tests, for the edit–test loop.
test-fast: $(VENV)/.dev postgresql-package
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 6 --dist worksteal --ignore=tests/e2e

bench: $(VENV)/.dev
	$(BIN)/python bench/run.py
