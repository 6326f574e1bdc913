# One command to run tf-tui against its embedded local server, one to run the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Python caches each module's compiled bytecode beside it; an environment that turns that off
# (PYTHONDONTWRITEBYTECODE) makes every test worker, server, trainer and CLI process compile the package
# and the tests' assertion rewriting again from source, about half a second a process.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test soak lint serve screenshots bench bench-quick clean fleet-demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[server,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tf-tui --local

# Three local reference servers and a dashboard over them; quitting the dashboard stops the three.
fleet-demo: $(STAMP)
	$(BIN)/python tools/fleet_demo.py

# Three workers on two cores: a test often waits on a real server or a training process; work stealing
# keeps a worker from idling behind the longest tests. Every test is independent of order and of its
# neighbours. Budget: 5 minutes on 2 cores; long runs belong in `make soak`, and the 15 slowest tests are
# listed at the end. Measured on a quiet 2-core machine (2026-12-08, 1,446 tests): 3 min 22 s to 3 min 40 s,
# 6 min 2 s and 6 min 22 s pinned to one core, 3 min 32 s for the first run in a fresh clone
# (docs/RELIABILITY.md, runs 82-87).
test: $(STAMP)
	$(BIN)/pytest -n 3 --dist worksteal --durations=15

# The long versions of the fault and fuzz tests, and the property tests with many more examples.
soak: $(STAMP)
	$(BIN)/pytest -m "soak or hypothesis" --hypothesis-profile=soak --timeout=3600 -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

serve: $(STAMP)
	$(BIN)/tf-tui serve

# SVGs of the dashboard from fixed data (no server needed), shown in the README.
screenshots: $(STAMP)
	TZ=UTC $(BIN)/python -m tf_tui.ui.demo screenshots

# The dashboard measured from outside, beside two reference clients (docs/PERFORMANCE.md says how); the
# table of results goes into docs/PERFORMANCE.md.
bench: $(STAMP)
	$(BIN)/python -m bench.run --write docs/PERFORMANCE.md

bench-quick: $(STAMP)
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) .venv-floor .pytest_cache .ruff_cache .import_linter_cache .mypy_cache *.egg-info
