# Reelboard: `make run` serves the board, `make test` runs the whole suite. Each target sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app board
BOARD_HOST ?= 127.0.0.1
BOARD_PORT ?= 5000
BOARD_WORKERS ?= 2
BOARD_THREADS ?= 8
CHROMIUM ?= /usr/bin/chromium

POSTGRES_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run dev test test-postgres install install-test browser clean

run: install ## set up instance/, migrate, load the demo board into an empty database, serve with granian
	$(FLASK) setup
	@echo "Serving Reelboard on http://$(BOARD_HOST):$(BOARD_PORT) (Ctrl-C to stop)"
	exec $(BIN)/granian --interface wsgi --factory --host $(BOARD_HOST) --port $(BOARD_PORT) \
		--workers $(BOARD_WORKERS) --blocking-threads $(BOARD_THREADS) --no-access-log board:create_app

dev: install ## the same board on Flask's debug server, reloading on change
	$(FLASK) setup
	$(FLASK) run --debug --host $(BOARD_HOST) --port $(BOARD_PORT)

test: install-test browser ## the whole suite (browser tests included) against a throwaway database per test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install-test ## the suite (without the browser tests) against PostgreSQL at POSTGRES_TEST_URL
	BOARD_TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/python -m pytest --ignore=tests/browser $(PYTEST_ARGS)

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

browser: ## Debian's Chromium for the Playwright tests (never `playwright install`: it downloads)
	@if [ -x "$(CHROMIUM)" ] || [ -x /usr/lib/chromium/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Chromium with apt-get…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium is missing and cannot be installed here (need root and apt-get): browser tests will be skipped outside CI."; \
	fi

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
