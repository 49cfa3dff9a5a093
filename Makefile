# Two entry points work on a fresh clone (see README):
#   make sample   - create the environment, run the main job on the shipped sample
#   make test     - create the environment, run the tests
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip's index config on some machines lists local mirrors that may not exist; their warnings are noise.
PIP_QUIET := grep -v "is ignored: it is neither a file nor a directory" || true

.PHONY: env sample test lint bench clean

env: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt setup.py
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt 2>&1 | $(PIP_QUIET)
	$(BIN)/pip install -q --no-deps -e . 2>&1 | $(PIP_QUIET)
	$(BIN)/pip check
	touch $(STAMP)

sample: env
	$(BIN)/curation run configs/sample.yaml --output out/sample

test: env
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: env
	$(BIN)/ruff check .

# Every benchmark at CI size (--quick, under a minute each); harness.py, bench_warc.py and memory.py are their libraries.
BENCHES := $(filter-out bench/harness.py bench/bench_warc.py bench/memory.py,$(wildcard bench/*.py))

bench: env
	for script in $(BENCHES); do echo "== $$script"; $(BIN)/python $$script --quick; done

clean:
	rm -rf out .pytest_cache
