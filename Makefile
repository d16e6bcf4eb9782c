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
# The production server: `make run` serves with exactly this command, and `make bench` measures exactly it.
# board/serve.py runs granian through its Python API: it binds the port first (a taken port is refused in one
# line, never shared) and stops within seconds on Ctrl-C or SIGTERM at any moment.
SERVE = $(BIN)/python -m board.serve --workers $(BOARD_WORKERS) --threads $(BOARD_THREADS)

.PHONY: run dev test test-postgres install install-test browser clean bench bench-profile install-bench wrk

run: install ## set up instance/, migrate, load the demo board into an empty database, serve with granian
	$(FLASK) setup
	@exec $(SERVE) --host $(BOARD_HOST) --port $(BOARD_PORT)

dev: install ## the same board on Flask's debug server, reloading on change
	$(FLASK) setup
	$(FLASK) run --debug --host $(BOARD_HOST) --port $(BOARD_PORT)

test: install-test browser ## the whole suite (browser tests included) against a throwaway database per test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install-test ## the suite (without the browser tests) against PostgreSQL at POSTGRES_TEST_URL
	BOARD_TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/python -m pytest --ignore=tests/browser $(PYTEST_ARGS)

bench: install-bench wrk ## build a throwaway board, serve it as `make run` does, load it with wrk (BENCH_QUICK=1: < 3 min)
	BENCH_SERVE="$(SERVE)" BOARD_WORKERS=$(BOARD_WORKERS) BOARD_THREADS=$(BOARD_THREADS) $(BIN)/python -m benchmarks.run

bench-profile: ## the benchmark, plus py-spy profiles of the front page and the 200-reply thread page
	$(MAKE) bench BENCH_PROFILE=1

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

$(VENV)/.installed-bench: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[bench]"
	touch $@

install-bench: $(VENV)/.installed-bench

wrk: ## the load generator for `make bench`, from Debian's packages
	@if command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing wrk with apt-get…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	else \
		echo "wrk is missing and cannot be installed here (need root and apt-get): install it, then run make bench."; exit 1; \
	fi

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
