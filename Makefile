# CRM analytics notebooks. `make` alone lists the targets.
# `make reports` and `make test` create .venv and install the locked packages when needed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP  := $(VENV)/.installed
CONFIG ?= configs/default.yaml
ARGS   ?=
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help env reports test test-fast lab data clean lock course catalog

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# Bytecode: the commands make runs write the bytecode of what they import into .venv and src/ (Python's default),
# even where PYTHONDONTWRITEBYTECODE is set, as on CI machines. With the setting, every process compiled every module
# it imported from source again (each notebook kernel paid about 4 s of CPU for it); compiling the whole lock at
# install instead (uv's --compile-bytecode) took 17 s of a fresh clone's `make test` for 14,500 modules, of which a
# batch imports about 4,200. Outside make the setting holds, and the bytecode make's commands wrote is read.
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@touch $@

env: $(STAMP) ## create .venv and install the locked packages (done by the other targets)

reports: $(STAMP) ## run the notebooks on CONFIG (one or more files; default configs/default.yaml) into reports/<run>/; ARGS="--set key=value --grid key=a,b --force"
	$(BIN)/python -m helpers.runner $(foreach c,$(CONFIG),--config $(c)) $(ARGS)

LANGUAGE ?=
COURSE_ARGS ?=
course: $(STAMP) ## exercise course pack for CONFIG into reports/<run>/course/ (student notebooks, solution HTML, glossary, concept map); LANGUAGE=tr for Turkish
	$(BIN)/python -m helpers.runner.course --config $(CONFIG) $(if $(LANGUAGE),--language $(LANGUAGE)) $(COURSE_ARGS)

# Each notebook batch runs once per session and is shared by the workers (tests/conftest.py, english_batch,
# turkish_batch); --dist worksteal hands each worker its own heavy groups first (tests/conftest.py, HEAVY, lanes)
# and lets an idle worker take the others' last tests. The ten slowest tests are listed at the end
# (pyproject.toml, addopts). Two workers on two cores: from a fresh clone (empty data/ and PyTensor compile cache, as
# in CI) the cores are busy 96 % of the run, and a third worker made it slower (621 s against 597 s, December 2026);
# it helps only with warm caches (536 s against 609 s).
TEST_JOBS ?= 2
test: $(STAMP) ## all tests: unit, property, engine parity, notebooks (nbval), shared-data integration; TEST_JOBS=1 runs them in one process
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -n $(TEST_JOBS) --dist worksteal $(PYTEST_ARGS)

test-fast: $(STAMP) ## the tests without the slow ones (no notebook batch, no model fit on larger data)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lab: $(STAMP) ## JupyterLab on notebooks/ with the project's kernel registered
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (CRM analytics .venv)" >/dev/null
	$(BIN)/jupyter lab --notebook-dir=notebooks

data: $(STAMP) ## generate the default synthetic data into data/raw/
	$(BIN)/python -m helpers.io.synth --customers 5000 --seed 42

clean: ## remove generated data, cached tables and reports (keeps .venv and data/.mask_key)
	rm -rf data/raw data/interim data/processed spark-warehouse metastore_db derby.log
	find reports -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +

lock: ## re-resolve requirements.lock from pyproject.toml and regenerate environment.yml
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install -q uv==$(UV_VERSION); }
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --universal -o requirements.lock -q --override requirements-overrides.txt
	$(BIN)/python scripts/sync_environment.py

.PHONY: bench
BENCH_ARGS ?=
catalog: $(STAMP) ## after changing report strings: extract them (pybabel) and merge new ones into the Turkish .po (translate the empty msgstr)
	@mkdir -p build
	PYTHONPATH=src $(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output -k N_ -k NP_:1c,2 -o build/messages.pot .
	$(BIN)/pybabel -q update -i build/messages.pot -d src/helpers/locale -l tr -D messages -w 100 --ignore-obsolete --no-fuzzy-matching

# --no-deps: requirements-bench.lock is a whole lock, installed as written; resolving again would bring back what the
# locks leave out (rfc3987-syntax: a second of lark grammars in every process that imports nbformat, every kernel)
bench: $(STAMP) ## benchmark the engine path against pandas + lifetimes / mlxtend into reports/bench/ (installs requirements-bench.lock); BENCH_ARGS="--sizes default --repeats 1"
	$(BIN)/uv pip install -q --no-deps --compile-bytecode --python $(BIN)/python -r requirements-bench.lock
	$(BIN)/python -m bench.run $(BENCH_ARGS)

.PHONY: spark-cluster spark-cluster-stop
spark-cluster: $(STAMP) ## start a local Spark standalone master (spark://127.0.0.1:7077) and one worker from pyspark's jars
	$(BIN)/python scripts/spark_cluster.py start

spark-cluster-stop: $(STAMP) ## stop the local Spark cluster started by `make spark-cluster`
	$(BIN)/python scripts/spark_cluster.py stop
