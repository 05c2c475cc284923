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

.PHONY: help setup tex browser test check lint run report student lab clean-reports

help:
	@echo "make report PROFILE=quick SEED=0 run every chapter, then write reports/<profile>/workbook.pdf"
	@echo "                                and solutions.pdf beside it, the exercises' solutions for teachers"
	@echo "make student                    the student edition (solutions out, checks kept): reports/student/"
	@echo "make test                       ruff + every test that needs no chapter run, TeX, browser or cluster"
	@echo "make check                      ruff + every test: chapters at smoke, the PDF, JupyterLab, resume, cluster"
	@echo "make run PROFILE=quick SEED=0   execute every chapter into reports/<profile>/ (FORCE=1 reruns unchanged ones)"
	@echo "make lab                        JupyterLab on the workbook's kernel"
	@echo "make lint                       ruff on labkit/, tests/ and notebooks/"
	@echo "make tex                        check (as root: install) xelatex, pandoc, pdftotext for the PDF and its tests"
	@echo "make browser                    check (as root: install) chromium for the JupyterLab test"
	@echo "make setup GPU=1                TensorFlow with CUDA instead of the CPU wheel (Linux, NVIDIA)"
	@echo "python -m labkit status         which runs are stale, and which definitions made them so"
	@echo "(what each command costs: the README's generated cost lines, from the last runs' records)"

# GPU=1 (Linux, NVIDIA): TensorFlow with CUDA (the `gpu` extra) in place of tensorflow-cpu; the
# choice sticks to .venv (.venv/.gpu) until .venv is removed.
GPU ?=
GPU_MARK := $(VENV)/.gpu
ifneq ($(GPU),)
$(VENV)/.installed: $(GPU_MARK)
$(GPU_MARK):
	mkdir -p $(VENV) && touch $@
endif

# The stamp is rebuilt when pyproject.toml changes. With the GPU mark, tensorflow-cpu is removed
# after the `gpu` extra is in and tensorflow reinstalled over the files the two wheels share.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	if [ -f $(GPU_MARK) ]; then \
	  $(PY) -m pip install --quiet -e '.[dev,gpu]' && \
	  $(PY) -m pip uninstall --quiet -y tensorflow-cpu && \
	  $(PY) -m pip install --quiet --force-reinstall --no-deps \
	    "tensorflow==$$($(PY) -m pip show tensorflow | sed -n 's/^Version: //p')" && \
	  $(PY) -c 'import tensorflow as tf; print("GPUs:", tf.config.list_physical_devices("GPU"))'; \
	fi
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (labkit workbook)"
	touch $@

setup: $(VENV)/.installed

# $(call apt_need,PROGRAMS,PACKAGES,WHAT): nothing when every program is on the PATH; run as
# root with apt-get, the Debian packages are installed; otherwise the command is printed.
define apt_need
	@if (for p in $(1); do command -v $$p >/dev/null || exit 1; done); then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing $(2) for $(3) (about 1 min)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $(2) >/dev/null; \
	else \
	  echo "$(3) needs $(1); install them with:"; \
	  echo "  sudo apt-get install -y $(2)"; \
	  exit 1; \
	fi
endef

# xelatex, pandoc and pdftotext for the PDF and its tests.
tex:
	$(call apt_need,xelatex pandoc pdftotext,$(TEX_PACKAGES),the PDF)

# The browser test drives Debian's chromium through playwright (no browser download).
browser:
	$(call apt_need,chromium,chromium,the JupyterLab browser test)

# Tests in two tiers (nothing is skipped for a tool make can install):
# `make test`  ruff and every test that needs no chapter run, no browser and no cluster (the
#              `slow` marker); the PDF tools for the report's LaTeX tests.
# `make check` ruff and every test: each chapter at smoke once (a shared fixture the contract,
#              PDF and resume tests read), the JupyterLab browser test, the killed-and-resumed
#              run, the distributed search. CI runs this one.
PYTEST_TIMES := --durations=15 --durations-min=1.0

test: setup
	$(PY) -m ruff check labkit tests notebooks
	$(PY) -m pytest -m "not slow and not pdf" $(PYTEST_TIMES)

check: setup tex browser
	$(PY) -m ruff check labkit tests notebooks
	$(PY) -m pytest $(PYTEST_TIMES)

lint: setup
	$(PY) -m ruff check labkit tests notebooks

run: setup
	$(PY) -m labkit run --profile $(PROFILE) --seed $(SEED) $(if $(FORCE),--force,)

report: setup tex
	$(PY) -m labkit run --profile $(PROFILE) --seed $(SEED) $(if $(FORCE),--force,)
	$(PY) -m labkit report --profile $(PROFILE)
	$(PY) -m labkit report --profile $(PROFILE) --solutions

# The student edition, written by nbgrader from the chapters (no run needed): hand out
# reports/student/handout/; nbgrader's course folder is reports/student/course/.
student: setup
	$(PY) -m labkit student

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

clean-reports:
	rm -rf reports/smoke reports/quick
