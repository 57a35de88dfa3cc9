# shulu — two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-out

.PHONY: install demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/shulu data china --year 2025 --jobs 100000 --out $(DEMO_DIR)/china-2025
	$(BIN)/shulu info $(DEMO_DIR)/china-2025
	$(BIN)/shulu simulate $(DEMO_DIR)/china-2025 --policy local --out $(DEMO_DIR)/run-local
	$(BIN)/shulu compare $(DEMO_DIR)/china-2025 --policies local,greenest-now,spatio-temporal,renewable-following \
		--out $(DEMO_DIR)/compare
	$(BIN)/shulu report $(DEMO_DIR)/compare --out $(DEMO_DIR)/report.html

lint: install
	$(BIN)/ruff check src tests benchmarks

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest src/shulu tests

test: lint typecheck pytest

bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache
