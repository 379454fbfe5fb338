# Two commands on a fresh machine: `make run` (set up, ingest sample_docs) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint wheel-check bench fuzz samples clean

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

# Builds the sdist and the wheel, installs the wheel alone in a fresh venv outside the repository
# and runs the main job from an empty folder (.ci/wheel_check.sh says what it checks).
wheel-check: $(STAMP)
	PYTHON=$(PYTHON) BUILD_PYTHON=$(BIN)/python bash .ci/wheel_check.sh

# The fuzz tests with 25x the examples, drawn at random (the suite draws few; CI draws fixed ones).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=default FISCALDOCS_FUZZ_SCALE=25 $(BIN)/python -m pytest -q tests/test_fuzz.py

bench: $(STAMP)
	$(BIN)/python benchmarks/extraction.py
	$(BIN)/python benchmarks/pdf_speed.py --cpu

# Regenerates the committed sample corpus (needs LibreOffice and CJK fonts; never run in CI).
samples: $(STAMP)
	$(BIN)/python sample_docs/tools/generate.py

# Everything the targets, the tests and a build leave in the work tree: the venv, the staging
# folder, outputs, the warehouse and its siblings (.wal, .next, .lock), tool caches.
clean:
	rm -rf $(VENV) .fiscaldocs out dist build *.egg-info .pytest_cache .ruff_cache .hypothesis
	rm -f warehouse.duckdb warehouse.duckdb.*
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
