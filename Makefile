# gis_planner — the two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test bench lint regenerate-demo clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	@touch $(STAMP)

install: $(STAMP)  ## create .venv if missing and install the package with its test tools

demo: $(STAMP)  ## run the planner on the embedded Deqing demo; outputs in outputs/
	$(BIN)/gis-planner demo --out outputs

test: $(STAMP)  ## run the whole suite
	$(BIN)/python -m pytest

bench: $(STAMP)  ## benchmarks (by hand, not part of the suite); figures go in the README
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python benchmarks/bench_pipeline.py
	$(BIN)/python benchmarks/bench_map.py
	$(BIN)/python benchmarks/bench_siting.py

lint: $(STAMP)
	$(BIN)/ruff check gis_planner tests benchmarks

regenerate-demo: $(STAMP)  ## rebuild layers/deqing_demo from its deterministic generator
	$(BIN)/python -m gis_planner.demo layers/deqing_demo

clean:
	rm -rf $(VENV) .pytest_cache
