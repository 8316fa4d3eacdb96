# Safeguard Portal: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: demo test install assets db seed serve clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/activate

install: $(BIN)/activate

assets:
	./scripts/fetch-govuk-frontend.sh

db: install
	$(FLASK) db upgrade

seed: db
	$(FLASK) demo seed

## make demo: set up everything and serve the portal with demo data on http://127.0.0.1:5000,
## with the case-system simulator (port 5100) and a connector worker beside it
demo: install assets seed
	HOST=$(HOST) PORT=$(PORT) ./scripts/demo.sh

## make test: the whole suite (PORTAL_TEST_DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
test: install assets
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance static/govuk-frontend .pytest_cache
