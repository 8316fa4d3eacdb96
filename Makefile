# Safeguard Portal: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000
CASESIM_PORT ?= 5100

.PHONY: demo test install assets db seed serve clean lock fuzz cluster cluster-stop failover-drill

# Dependencies come from requirements/lock.txt, every file checked against its hash; the portal
# itself is then installed without dependencies (its entry points give `flask` the demo and
# simulator commands).
$(BIN)/activate: pyproject.toml requirements/lock.txt
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/lock.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(BIN)/activate

install: $(BIN)/activate

assets:
	./scripts/fetch-govuk-frontend.sh

db: install
	$(FLASK) db upgrade

seed: db
	$(FLASK) demo seed

## make demo: set up everything and serve the portal with demo data on http://127.0.0.1:5000,
## with the case-system simulator (port 5100) and a connector worker beside it.
## Other ports: make demo PORT=8080 CASESIM_PORT=8100 (links in emails follow PORT)
demo: install assets seed
	HOST=$(HOST) PORT=$(PORT) CASESIM_PORT=$(CASESIM_PORT) ./scripts/demo.sh

## make test: the whole suite (PORTAL_TEST_DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
test: install assets
	$(BIN)/pytest $(PYTEST_ARGS)

## make fuzz: a longer, random run of the route fuzzer (CI runs a fixed 500 examples)
fuzz: install assets
	PORTAL_FUZZ_RANDOM=1 PORTAL_FUZZ_EXAMPLES=$${PORTAL_FUZZ_EXAMPLES:-5000} $(BIN)/pytest tests/fuzz $(PYTEST_ARGS)

## make lock: after changing dependencies in pyproject.toml, pin them again (with hashes)
# Extras are kept in the lock (fonttools[woff], as WeasyPrint asks for it): with them stripped,
# pip's hash-checking install looked for WeasyPrint's `fonttools[woff]>=...` among all releases,
# and failed as unpinned the day a newer fonttools came out (2026-12-06).
lock: install
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --extra test --no-strip-extras \
		--no-emit-index-url --no-emit-find-links -o requirements/lock.txt pyproject.toml

## make cluster: HAProxy, two web nodes, two connector workers, the mail worker, Redis and a
## PostgreSQL primary with a synchronous standby, on loopback (README "Running several nodes")
cluster: install assets
	./deploy/cluster.sh start

cluster-stop:
	./deploy/cluster.sh stop

## make failover-drill: under load, kill a web node, then fail the database over (bench/failover.py)
failover-drill: install
	$(BIN)/python bench/failover.py $(DRILL_ARGS)

clean:
	rm -rf $(VENV) instance static/govuk-frontend .pytest_cache
