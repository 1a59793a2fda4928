# gis_planner — the two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# the lowest supported versions (ci/constraints-lowest.txt), in a venv of their own
LOWEST        := .venv-lowest
LOWEST_BIN    := $(LOWEST)/bin
LOWEST_STAMP  := $(LOWEST)/.installed-stamp
LOWEST_PINS   := ci/constraints-lowest.txt
# byte-identical GeoPackage/GeoTIFF demo files hold for the GDAL that wrote them (the newest);
# an older GDAL writes the same data with other GPKG triggers and TIFF tags
LOWEST_PYTEST := --deselect tests/test_demo.py::test_deterministic_and_equal_to_the_committed_demo
PIP := python -m pip install --quiet --disable-pip-version-check

.PHONY: install install-lowest demo test test-lowest fuzz bench bench-all lint notebooks notebooks-refresh regenerate-demo clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/$(PIP) -e '.[test,dev,notebooks]'
	@touch $(STAMP)

# made anew whenever the pins or the dependencies change, so no newer leftover stays in it
$(LOWEST_STAMP): pyproject.toml $(LOWEST_PINS)
	rm -rf $(LOWEST)
	$(PYTHON) -m venv $(LOWEST)
	$(LOWEST_BIN)/$(PIP) -c $(LOWEST_PINS) -e '.[test,notebooks]'
	$(LOWEST_BIN)/python -m pip check
	@touch $(LOWEST_STAMP)

install: $(STAMP)  ## create .venv if missing and install the package with its test tools

demo: $(STAMP)  ## run the planner on the embedded Deqing demo; outputs in outputs/
	$(BIN)/gis-planner demo --out outputs

test: $(STAMP)  ## run the whole suite
	$(BIN)/python -m pytest

install-lowest: $(LOWEST_STAMP)  ## create .venv-lowest with the lowest supported versions

test-lowest: $(LOWEST_STAMP)  ## run the suite on the lowest supported versions (CI does both)
	GP_FUZZ_EXAMPLES=24 $(LOWEST_BIN)/python -m pytest $(LOWEST_PYTEST)

fuzz: $(STAMP)  ## thousands of generated counties through the whole pipeline (by hand)
	GP_FUZZ_EXAMPLES=3000 $(BIN)/python -m pytest tests/test_generated_counties.py -q

# every figure of issue 12 beside its target, in about 20 minutes on 2 quiet cores (README,
# "Benchmarks"); the browser figures need /usr/bin/chromium (apt-get install chromium)
bench: $(STAMP)  ## benchmarks (by hand, not part of the suite); figures go in the README
	$(BIN)/$(PIP) -e '.[bench,parallel]'
	$(BIN)/python -m benchmarks.bench_pipeline
	$(BIN)/python -m benchmarks.bench_map
	$(BIN)/python -m benchmarks.bench_siting
	$(BIN)/python -m benchmarks.bench_layout
	$(BIN)/python -m benchmarks.bench_partition

# what the issue does not ask for (about 15 minutes more): the partitioned city with the R7
# proposals on 1 and 2 workers, and the dense siting case (60 s of solver time per model)
bench-all: bench  ## `make bench` and the longer comparisons beside it
	$(BIN)/python -m benchmarks.bench_partition --size city --counties 10 --layout-size city
	$(BIN)/python -m benchmarks.bench_siting --dense

lint: $(STAMP)  ## ruff (check + format), mypy and import-linter's layer contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy gis_planner
	$(BIN)/lint-imports

notebooks: $(STAMP)  ## open the notebooks in JupyterLab (installs it into .venv first)
	$(BIN)/$(PIP) jupyterlab
	$(BIN)/jupyter lab notebooks/

notebooks-refresh: $(STAMP)  ## run the notebooks and store them with their outputs
	$(BIN)/python -m tools.run_notebooks

regenerate-demo: $(STAMP)  ## rebuild layers/deqing_demo from its deterministic generator (tools/)
	$(BIN)/python -m tools.datagen.deqing layers/deqing_demo

clean:
	rm -rf $(VENV) $(LOWEST) .pytest_cache
