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

# What the PDF needs (xelatex, pandoc) and its test (pdftotext); labkit/report.py names the same.
TEX_PACKAGES := texlive-xetex texlive-fonts-recommended texlive-plain-generic pandoc poppler-utils

.PHONY: help setup tex test lint run report lab clean-reports

help:
	@echo "make report PROFILE=quick SEED=0 run every chapter, then write reports/<profile>/workbook.pdf"
	@echo "make test                       set up .venv and the PDF tools if missing, then run the tests (smoke profile)"
	@echo "make run PROFILE=quick SEED=0   execute every chapter into reports/<profile>/ (FORCE=1 reruns unchanged ones)"
	@echo "make lab                        JupyterLab on the workbook's kernel"
	@echo "make lint                       ruff on labkit/, tests/ and notebooks/"
	@echo "make tex                        check (as root: install) xelatex, pandoc, pdftotext for the PDF and its tests"

# The stamp is rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (labkit workbook)"
	touch $@

setup: $(VENV)/.installed

# xelatex, pandoc and pdftotext: installed from Debian's packages when missing and run as root,
# otherwise the exact command is printed.
tex:
	@if command -v xelatex >/dev/null && command -v pandoc >/dev/null && command -v pdftotext >/dev/null; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing LaTeX, pandoc and poppler-utils for the PDF (about 1 min)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES) >/dev/null; \
	else \
	  echo "the PDF needs xelatex, pandoc and pdftotext; install them with:"; \
	  echo "  sudo apt-get install -y $(TEX_PACKAGES)"; \
	  exit 1; \
	fi

# The tests need the PDF tools too (nothing is skipped for a tool make can install).
test: setup tex
	$(PY) -m ruff check labkit tests notebooks
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check labkit tests notebooks

run: setup
	$(PY) -m labkit run --profile $(PROFILE) --seed $(SEED) $(if $(FORCE),--force,)

report: setup tex
	$(PY) -m labkit run --profile $(PROFILE) --seed $(SEED) $(if $(FORCE),--force,)
	$(PY) -m labkit report --profile $(PROFILE)

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

clean-reports:
	rm -rf reports/smoke reports/quick
