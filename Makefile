# Every target sets up its own virtual environment on first use (a fresh machine needs only python3).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test check bench clean

demo: $(STAMP)  ## the main job: 10x3 repeated CV of the neural model on the reference problem
	$(VENV)/bin/tagwise cv

test: $(STAMP)  ## the test suite (2 workers)
	$(PY) -m pytest -q -n 2 --dist loadfile

check: $(STAMP)  ## lint, types and tests
	$(VENV)/bin/ruff check tagwise tests benchmarks
	$(VENV)/bin/ruff format --check tagwise tests benchmarks
	$(VENV)/bin/mypy tagwise
	$(PY) -m pytest -q -n 2 --dist loadfile

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch is pinned to the local CPU wheel: an unpinned torch pulls GBs of CUDA packages.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
