# Two commands on a fresh machine (only python3 needed): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench template clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/cxkit run data_samples/northwind/engagement.yaml --out out

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/bench_drivers.py
	$(BIN)/python bench/bench_run.py
	$(BIN)/python bench/bench_units.py

template: $(STAMP)
	$(BIN)/python -m cxkit.report.template templates/deck.pptx

clean:
	rm -rf out .pytest_cache
