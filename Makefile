# Two commands on a fresh machine: `make run` (set up, ingest sample_docs) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench samples clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/fiscaldocs run

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/extraction.py

# Regenerates the committed sample corpus (needs LibreOffice and CJK fonts; never run in CI).
samples: $(STAMP)
	$(BIN)/python sample_docs/tools/generate.py

clean:
	rm -rf $(VENV) out warehouse.duckdb
