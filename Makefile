# Quick start: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app

.PHONY: run test lint install install-dev assets db bench clean help

help:
	@echo "make run   - install everything, prepare the SQLite database with demo data, serve on $(HOST):$(PORT)"
	@echo "make test  - install test dependencies, lint (ruff, import contracts), run the whole suite in parallel"
	@echo "make lint  - ruff check, ruff format --check and the import-linter contracts only"
	@echo "make bench - run the benchmarks and print their figures"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

coordination/static/build/app.css: node_modules/.installed $(wildcard assets/scss/*.scss)
	npx --no-install sass --no-source-map --load-path=node_modules --quiet-deps --style=compressed \
		assets/scss/app.scss $@

install: $(VENV)/.installed node_modules/.installed coordination/static/build/app.css
install-dev: install $(VENV)/.installed-dev

db: install
	$(FLASK) db upgrade

run: db
	$(FLASK) demo seed --if-empty
	$(FLASK) engagement publish
	$(FLASK) organisations map-layer
	HOST=$(HOST) PORT=$(PORT) $(FLASK) run --host $(HOST) --port $(PORT)

# One pytest worker per core; --dist loadfile keeps each file (and its live server and browser) in one worker.
PYTEST_WORKERS ?= auto

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: install-dev
	@for script in bench/[!_]*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) node_modules coordination/static/build .pytest_cache
