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
POSTGRES_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# The production server: `make run` serves with exactly this command, and `make bench` measures exactly it.
# board/serve.py runs granian through its Python API: it binds the port first (a taken port is refused in one
# line, never shared) and stops within seconds on Ctrl-C or SIGTERM at any moment.
SERVE = $(BIN)/python -m board.serve --workers $(BOARD_WORKERS) --threads $(BOARD_THREADS)

.PHONY: run dev test test-postgres install install-test browser clean bench bench-profile install-bench wrk

run: install ## set up instance/, migrate, load the demo board into an empty database, serve with granian and deliver mail
	$(FLASK) setup
	@exec $(SERVE) --host $(BOARD_HOST) --port $(BOARD_PORT) --mail-worker

dev: install ## the same board on Flask's debug server, reloading on change
	$(FLASK) setup
	BOARD_SERVE_URL=http://$(BOARD_HOST):$(BOARD_PORT) $(FLASK) run --debug --host $(BOARD_HOST) --port $(BOARD_PORT)

test: install-test browser proxies ## the whole suite (browser tests included) against a throwaway database per test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install-test ## the suite (without the browser tests) against PostgreSQL at POSTGRES_TEST_URL
	BOARD_TEST_DATABASE_URL=$(POSTGRES_TEST_URL) BOARD_TEST_REDIS_URL=$(POSTGRES_TEST_REDIS_URL) \
		$(BIN)/python -m pytest --ignore=tests/browser $(PYTEST_ARGS)

bench: install-bench wrk ## build a throwaway board, serve it as `make run` does, load it with wrk (BENCH_QUICK=1: < 3 min)
	BENCH_SERVE="$(SERVE)" BOARD_WORKERS=$(BOARD_WORKERS) BOARD_THREADS=$(BOARD_THREADS) $(BIN)/python -m benchmarks.run

bench-profile: ## the benchmark, plus py-spy profiles of the front page and the 200-reply thread page
	$(MAKE) bench BENCH_PROFILE=1

# Administration: each target works on a fresh clone (it creates .venv first) and none of them serves the board.
# The same commands are `.venv/bin/flask --app board <command>` (README.md lists them all).
.PHONY: setup admin remove-demo backup restore proxies

setup: install ## instance/config.py, the database schema, the demo board on an empty database (BOARD_DEMO=0: none)
	$(FLASK) setup

admin: install ## create an admin, or make a member one: make admin NAME=yourname (asks for the password)
	@if [ -z "$(NAME)" ]; then echo "Which name? make admin NAME=yourname"; exit 2; fi
	$(FLASK) init-db
	$(FLASK) create-admin $(NAME)

remove-demo: install ## remove the demo board: its accounts, their threads, films left empty (asks first)
	$(FLASK) init-db
	$(FLASK) remove-demo

backup: FILE ?= instance/backups/board-$(shell date +%Y%m%d-%H%M%S).db
backup: install ## an online backup of the SQLite database: make backup [FILE=path], by default in instance/backups/
	mkdir -p "$(dir $(FILE))"
	$(FLASK) backup "$(FILE)"

restore: install ## put a backup back: make restore FILE=path (asks first; keeps the current database beside it)
	@if [ -z "$(FILE)" ]; then echo "Which backup? make restore FILE=path"; exit 2; fi
	$(FLASK) restore "$(FILE)"

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

proxies: ## Debian's nginx and Caddy, for tests/test_docs.py's check of docs/deploy.md's examples (nginx -t, caddy validate)
	@if { command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null && command -v caddy >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing nginx and caddy with apt-get (the tests only check configurations with them)…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx caddy >/dev/null; \
	else \
		echo "nginx or caddy is missing and cannot be installed here (need root and apt-get): their tests will be skipped outside CI."; \
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
