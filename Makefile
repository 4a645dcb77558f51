# mmpanoptic developer commands. WHEELS=DIR uses a local wheel cache (e.g. ../shared/wheels) for mmcv.
VENV ?= .venv
WHEELS ?= $(MMPANOPTIC_WHEELS)
PYTEST_ARGS ?=
SETUP = bash tools/setup_env.sh --venv $(VENV) $(if $(WHEELS),--wheels $(WHEELS))

.PHONY: env demo test test-fast

env:
	$(SETUP)

# The main job: synthetic data -> distributed training on 2 processes -> PQ on val -> prediction picture.
demo: env
	MMPANOPTIC_VENV=$(VENV) bash tools/run_demo.sh

# The whole test suite, slow training tests included (what CI runs).
test: env
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# Everything but the slow training tests.
test-fast: env
	$(VENV)/bin/python -m pytest -m "not slow" $(PYTEST_ARGS)
