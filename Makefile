# The workbook's commands. `make test` and `make run` set up .venv when it is missing.
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
PROFILE ?= quick
SEED    ?= 0
KERNEL  := labkit

# The offline data mirror beside the checkout, when there is one (CI has it).
ifneq ($(wildcard ../shared/data),)
export LABKIT_DATA_DIR ?= $(abspath ../shared/data)
endif
export PYTHONUNBUFFERED := 1
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: help setup test lint run lab clean-reports

help:
	@echo "make test                       set up .venv if missing, then run the tests (smoke profile)"
	@echo "make run PROFILE=quick SEED=0   execute every chapter into reports/<profile>/ (FORCE=1 reruns unchanged ones)"
	@echo "make lab                        JupyterLab on the workbook's kernel"
	@echo "make lint                       ruff on labkit/, tests/ and notebooks/"

# The stamp is rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (labkit workbook)"
	touch $@

setup: $(VENV)/.installed

test: setup
	$(PY) -m ruff check labkit tests notebooks
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check labkit tests notebooks

run: setup
	$(PY) -m labkit run --profile $(PROFILE) --seed $(SEED) $(if $(FORCE),--force,)

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

clean-reports:
	rm -rf reports/smoke reports/quick
